"""Settings, read from the environment in one place and frozen.

Chalice copies a stage's ``environment_variables`` from ``.chalice/config.json``
into the environment, and the local runner lets its own environment win over
the stage file, so everything configurable arrives here as a string.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from chalicelib.errors import ConfigurationError

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DEFAULT_VOTE_RATE_LIMIT = "30/600"


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    jwt_secret: str
    edit_token_key: str
    # Long-lived: keys the stored hashes of addresses and e-mails (rate windows,
    # first-time approvals, confirmed addresses) and comment-form tokens.
    hash_key: str
    # Signs the links in mail (unsubscribe, confirm an address): they must outlive edit tokens.
    mail_link_key: str
    admins: frozenset[str]
    cors_origins: tuple[str, ...]
    anonymous_comments: bool
    open_authoring: bool
    edit_window_seconds: int
    max_reply_depth: int
    token_ttl_seconds: int
    password_cost: int
    moderation: str
    comment_rate_limit: tuple[int, int]
    # Votes from one address (signed in or not) per window: (count, seconds).
    vote_rate_limit: tuple[int, int]
    # Sign-in limits (N, seconds): failed logins per account (by e-mail) and per address,
    # and sign-up attempts per address.
    login_account_limit: tuple[int, int]
    login_address_limit: tuple[int, int]
    signup_rate_limit: tuple[int, int]
    preview_rate_limit: tuple[int, int]
    require_form_token: bool
    min_form_seconds: int
    comments_close_after_days: int
    max_links: int
    duplicate_window_seconds: int
    blocked_words: tuple[str, ...]
    # Where readers find the blog: the base of every absolute URL in feeds and the sitemap.
    site_url: str
    # Comment notifications, sent from the table's stream (never inside a request):
    # on or off, and the sender; an empty sender sends nothing.
    notifications: bool
    notify_from: str
    # Mails (notifications and confirmation requests) to one address per day.
    notify_rate_limit: int
    # Gravatar URLs for commenters with an e-mail: opt-in, since the URL's hash confirms a guessed address.
    gravatar: bool
    # The demo blog at /demo/ (web/demo): on for the local stage, off wherever a real blog lives.
    demo_pages: bool

    def check_secrets(self) -> None:
        # A short key makes HMAC and JWT signatures guessable; refuse to serve with one.
        for name, value in (("JWT_SECRET", self.jwt_secret), ("EDIT_TOKEN_KEY", self.edit_token_key),
                            ("HASH_KEY", self.hash_key), ("MAIL_LINK_KEY", self.mail_link_key)):
            if len(value) < 32:
                raise ConfigurationError(f"{name} is not set (at least 32 characters)")


def _bool(raw: str, name: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _int(raw: str, name: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _rate(raw: str, name: str) -> tuple[int, int]:
    count, _, seconds = raw.partition("/")
    if not (count.strip().isdigit() and seconds.strip().isdigit()) or int(seconds) < 1:
        raise ConfigurationError(f"{name} must look like N/SECONDS (e.g. 2/60), not {raw!r}")
    return int(count), int(seconds)


def _site_url(raw: str, name: str) -> str:
    refused = ConfigurationError(
        f"{name} must be an http:// or https:// URL with no trailing slash, query or fragment "
        f"(e.g. https://blog.example.com), not {raw!r}"
    )
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise refused from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password
            or parts.query or parts.fragment or "#" in raw or "?" in raw or raw.endswith("/")
            or not raw.isascii() or any(c.isspace() for c in raw)):
        raise refused
    return raw


def _sender(raw: str, name: str) -> str:
    address = parseaddr(raw)[1]
    if raw and (not _ADDRESS.match(address) or any(c in raw for c in "\r\n")):
        raise ConfigurationError(f"{name} must be an e-mail address such as blog@example.com "
                                 f"or 'Blog <blog@example.com>', not {raw!r}")
    return raw


def _choice(raw: str, name: str, options: tuple[str, ...]) -> str:
    if raw not in options:
        raise ConfigurationError(f"{name} must be one of {', '.join(options)}, not {raw!r}")
    return raw


def load_settings(env: Mapping[str, str]) -> Settings:
    return Settings(
        stage=env.get("STAGE", "dev"),
        table_name=env.get("TABLE_NAME", "blog"),
        jwt_secret=env.get("JWT_SECRET", ""),
        edit_token_key=env.get("EDIT_TOKEN_KEY", ""),
        hash_key=env.get("HASH_KEY", ""),
        mail_link_key=env.get("MAIL_LINK_KEY", ""),
        admins=frozenset(_csv(env.get("BLOG_ADMINS", ""))),
        cors_origins=_csv(env.get("CORS_ORIGINS", "*")),
        anonymous_comments=_bool(env.get("ANONYMOUS_COMMENTS", "true"), "ANONYMOUS_COMMENTS"),
        # true: any signed-up user may write posts (RealWorld's model); false: authors and admins.
        open_authoring=_bool(env.get("OPEN_AUTHORING", "false"), "OPEN_AUTHORING"),
        edit_window_seconds=_int(env.get("EDIT_WINDOW_SECONDS", "900"), "EDIT_WINDOW_SECONDS", 0),
        max_reply_depth=_int(env.get("MAX_REPLY_DEPTH", "5"), "MAX_REPLY_DEPTH", 0),
        token_ttl_seconds=_int(env.get("TOKEN_TTL_SECONDS", "604800"), "TOKEN_TTL_SECONDS", 60),
        # scrypt's N as a power of two: 2**14 uses 16 MiB per hash. Only the test
        # stage lowers it, so the suite can sign up hundreds of users quickly.
        password_cost=_int(env.get("PASSWORD_COST", "14"), "PASSWORD_COST", 10),
        moderation=_choice(env.get("MODERATION", "off"), "MODERATION", ("off", "first-time", "all")),
        comment_rate_limit=_rate(env.get("COMMENT_RATE_LIMIT", "5/60"), "COMMENT_RATE_LIMIT"),
        # A reader voting down a long thread stays under 30 in ten minutes; one address
        # stuffing a ballot gets 30 votes per ten minutes, not one per request.
        vote_rate_limit=_rate(env.get("VOTE_RATE_LIMIT", DEFAULT_VOTE_RATE_LIMIT), "VOTE_RATE_LIMIT"),
        # One address gets 40 failures an hour, fewer than the account allows: locking someone
        # out takes failures from several addresses, window after window (README: Security model).
        login_account_limit=_rate(env.get("LOGIN_ACCOUNT_LIMIT", "50/3600"), "LOGIN_ACCOUNT_LIMIT"),
        login_address_limit=_rate(env.get("LOGIN_ADDRESS_LIMIT", "10/900"), "LOGIN_ADDRESS_LIMIT"),
        signup_rate_limit=_rate(env.get("SIGNUP_RATE_LIMIT", "10/3600"), "SIGNUP_RATE_LIMIT"),
        # An editor previews as its author types (the console waits for a pause first): 120 in
        # five minutes is one every 2.5 s of steady typing, and caps what one caller makes us render.
        preview_rate_limit=_rate(env.get("PREVIEW_RATE_LIMIT", "120/300"), "PREVIEW_RATE_LIMIT"),
        require_form_token=_bool(env.get("REQUIRE_FORM_TOKEN", "false"), "REQUIRE_FORM_TOKEN"),
        min_form_seconds=_int(env.get("MIN_FORM_SECONDS", "3"), "MIN_FORM_SECONDS", 0),
        comments_close_after_days=_int(env.get("COMMENTS_CLOSE_AFTER_DAYS", "0"), "COMMENTS_CLOSE_AFTER_DAYS", 0),
        max_links=_int(env.get("COMMENT_MAX_LINKS", "3"), "COMMENT_MAX_LINKS", 0),
        duplicate_window_seconds=_int(env.get("DUPLICATE_WINDOW_SECONDS", "600"), "DUPLICATE_WINDOW_SECONDS", 0),
        blocked_words=tuple(w.casefold() for w in _csv(env.get("BLOCKED_WORDS", ""))),
        site_url=_site_url(env.get("SITE_URL", "http://127.0.0.1:8000"), "SITE_URL"),
        notifications=_bool(env.get("NOTIFICATIONS", "true"), "NOTIFICATIONS"),
        notify_from=_sender(env.get("NOTIFY_FROM", "").strip(), "NOTIFY_FROM"),
        notify_rate_limit=_int(env.get("NOTIFY_RATE_LIMIT", "10"), "NOTIFY_RATE_LIMIT", 1),
        gravatar=_bool(env.get("GRAVATAR", "false"), "GRAVATAR"),
        demo_pages=_bool(env.get("DEMO_PAGES", "false"), "DEMO_PAGES"),
    )


# Chalice reads an event source's ARN when it imports app.py to deploy or package,
# in the deployer's shell: stage environment variables are not set then. So the
# table's stream ARN comes from that shell (STREAM_ARN=... chalice deploy); the
# placeholder lets the app import anywhere else (tests, chalice local, Lambda).
PLACEHOLDER_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/blog/stream/1970-01-01T00:00:00.000"


def stream_arn(env: Mapping[str, str] = os.environ) -> str:
    return env.get("STREAM_ARN") or PLACEHOLDER_STREAM_ARN


# Deployed stages keep their secrets in SSM Parameter Store, as SecureString
# parameters <SECRETS_PARAMETER_PATH>/<name> (deploy/bootstrap.py makes them).
# A value in the environment wins, so the local runner and the tests need no SSM.
SECRET_PARAMETERS = {"JWT_SECRET": "jwt-secret", "EDIT_TOKEN_KEY": "edit-token-key", "HASH_KEY": "hash-key",
                     "MAIL_LINK_KEY": "mail-link-key"}


def with_secrets(env: Mapping[str, str]) -> Mapping[str, str]:
    """``env`` plus the secrets it lacks, read from SSM in one GetParameters call."""
    path = env.get("SECRETS_PARAMETER_PATH", "").rstrip("/")
    wanted = {f"{path}/{leaf}": name for name, leaf in SECRET_PARAMETERS.items() if not env.get(name)}
    if not path or not wanted:
        return env
    # Imported here: boto3 is only needed when the secrets are not in the environment.
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.store.client import DeadlineExceeded, ssm_client

    try:
        response = ssm_client().get_parameters(Names=sorted(wanted), WithDecryption=True)
    except (BotoCoreError, ClientError, DeadlineExceeded) as error:
        raise ConfigurationError(f"cannot read the secrets under {path} from SSM: {error}") from None
    found = {wanted[p["Name"]]: p["Value"] for p in response.get("Parameters", []) if p.get("Name") in wanted}
    if len(found) < len(wanted):
        lacking = sorted(name for name in wanted if wanted[name] not in found)
        raise ConfigurationError(f"SSM has no {', '.join(lacking)}: run the stage's bootstrap")
    return {**env, **found}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    # Cached: SSM is asked once per container, on the first request that needs settings.
    return load_settings(with_secrets(os.environ))
