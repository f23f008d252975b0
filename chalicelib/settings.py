"""Settings, read from the environment in one place and frozen.

Chalice copies a stage's ``environment_variables`` from ``.chalice/config.json``
into the environment, and the local runner lets its own environment win over
the stage file, so everything configurable arrives here as a string.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.utils import parseaddr
from functools import lru_cache
from typing import ClassVar, Final
from urllib.parse import urlsplit

from chalicelib.errors import ConfigurationError
from chalicelib.patterns import lazy
from chalicelib.values import Value

_ADDRESS = lazy(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DEFAULT_VOTE_RATE_LIMIT = "30/600"


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Settings(Value):
    __slots__ = (
        "admins", "akismet_key", "akismet_url", "anonymous_comments", "api_url", "blocked_words", "cache_times",
        "challenge", "challenge_secret", "challenge_site_key", "challenge_verify_url", "challenge_when",
        "comment_rate_limit",
        "comments_close_after_days", "cors_origins", "demo_pages", "duplicate_window_seconds", "edit_token_key",
        "edit_window_seconds", "gravatar", "hash_key", "hash_key_previous", "jwt_secret", "login_account_limit",
        "login_address_limit",
        "mail_link_key", "max_links", "max_reply_depth", "min_form_seconds", "moderation", "notifications",
        "notify_from", "notify_rate_limit", "open_authoring", "password_cost", "preview_rate_limit",
        "require_form_token", "signup_rate_limit", "site_url", "stage", "subscription_digest_seconds", "table_name",
        "token_ttl_seconds",
        "vote_rate_limit", "webhook_secret", "webhooks",
    )

    def __init__(self, *,
                 stage: str,
                 table_name: str,
                 jwt_secret: str,
                 edit_token_key: str,
                 hash_key: str,
                 mail_link_key: str,
                 hash_key_previous: str = "",
                 admins: frozenset[str],
                 cors_origins: tuple[str, ...],
                 anonymous_comments: bool,
                 open_authoring: bool,
                 edit_window_seconds: int,
                 max_reply_depth: int,
                 token_ttl_seconds: int,
                 password_cost: int,
                 moderation: str,
                 comment_rate_limit: tuple[int, int],
                 vote_rate_limit: tuple[int, int],
                 login_account_limit: tuple[int, int],
                 login_address_limit: tuple[int, int],
                 signup_rate_limit: tuple[int, int],
                 preview_rate_limit: tuple[int, int],
                 require_form_token: bool,
                 min_form_seconds: int,
                 comments_close_after_days: int,
                 max_links: int,
                 duplicate_window_seconds: int,
                 blocked_words: tuple[str, ...],
                 site_url: str,
                 api_url: str,
                 notifications: bool,
                 notify_from: str,
                 notify_rate_limit: int,
                 subscription_digest_seconds: int = 900,
                 gravatar: bool,
                 demo_pages: bool,
                 webhooks: tuple[Webhook, ...],
                 webhook_secret: str,
                 cache_times: dict[str, tuple[int, int, int]],
                 akismet_key: str = "",
                 akismet_url: str = "",
                 challenge: str = "off",
                 challenge_site_key: str = "",
                 challenge_secret: str = "",
                 challenge_when: tuple[str, int, int] = ("first-time", 0, 0),
                 challenge_verify_url: str = "") -> None:
        self.stage: Final = stage
        self.table_name: Final = table_name
        self.jwt_secret: Final = jwt_secret
        self.edit_token_key: Final = edit_token_key
        # Long-lived: keys the stored hashes of addresses and e-mails (rate windows,
        # first-time approvals, confirmed addresses) and comment-form tokens.
        self.hash_key: Final = hash_key
        # The HASH_KEY before the last rotation, during its grace period (docs: key rotation): stored
        # hashes made with it are still found (a commenter's own data, first-time approvals).
        self.hash_key_previous: Final = hash_key_previous
        # Signs the links in mail (unsubscribe, confirm an address): they must outlive edit tokens.
        self.mail_link_key: Final = mail_link_key
        self.admins: Final = admins
        self.cors_origins: Final = cors_origins
        self.anonymous_comments: Final = anonymous_comments
        self.open_authoring: Final = open_authoring
        self.edit_window_seconds: Final = edit_window_seconds
        self.max_reply_depth: Final = max_reply_depth
        self.token_ttl_seconds: Final = token_ttl_seconds
        self.password_cost: Final = password_cost
        self.moderation: Final = moderation
        self.comment_rate_limit: Final = comment_rate_limit
        # Votes from one address (signed in or not) per window: (count, seconds).
        self.vote_rate_limit: Final = vote_rate_limit
        # Sign-in limits (N, seconds): failed logins per account (by e-mail) and per address,
        # and sign-up attempts per address.
        self.login_account_limit: Final = login_account_limit
        self.login_address_limit: Final = login_address_limit
        self.signup_rate_limit: Final = signup_rate_limit
        self.preview_rate_limit: Final = preview_rate_limit
        self.require_form_token: Final = require_form_token
        self.min_form_seconds: Final = min_form_seconds
        self.comments_close_after_days: Final = comments_close_after_days
        self.max_links: Final = max_links
        self.duplicate_window_seconds: Final = duplicate_window_seconds
        self.blocked_words: Final = blocked_words
        # Where readers find the blog: the base of every absolute URL in feeds and the sitemap.
        self.site_url: Final = site_url
        # Where this API is reachable from outside: the base of every link in mail (mail.link), since
        # their pages and routes are the API's, not the blog's (which may be Blogger or a static site).
        self.api_url: Final = api_url
        # Comment notifications, sent from the table's stream (never inside a request):
        # on or off, and the sender; an empty sender sends nothing.
        self.notifications: Final = notifications
        self.notify_from: Final = notify_from
        # Mails (notifications and confirmation requests) to one address per day.
        self.notify_rate_limit: Final = notify_rate_limit
        # A thread subscriber gets at most one digest of new comments per this many seconds.
        self.subscription_digest_seconds: Final = subscription_digest_seconds
        # Gravatar URLs for commenters with an e-mail: opt-in, since the URL's hash confirms a guessed address.
        self.gravatar: Final = gravatar
        # The demo blog at /demo/ (web/demo): on for the local stage, off wherever a real blog lives.
        self.demo_pages: Final = demo_pages
        # Receivers of the blog's events (blog/webhooks.py), and the key their requests are signed with.
        self.webhooks: Final = webhooks
        self.webhook_secret: Final = webhook_secret
        # HTTP caching per cache class (api/caching.py): (shared, browser, stale-while-revalidate) seconds.
        self.cache_times: Final = cache_times
        # Akismet (blog/akismet.py), off when no key is set: the key (a secret, from SSM on a deployed
        # stage) and the REST endpoint's base, which only tests point elsewhere.
        self.akismet_key: Final = akismet_key
        self.akismet_url: Final = akismet_url or AKISMET_URL
        # The challenge (blog/challenge.py): off, turnstile or hcaptcha; its public site key, its secret (from
        # SSM on a deployed stage), when a comment needs it ("first-time", "always", or "after" N comments
        # from one address in SECONDS), and siteverify's URL, which only tests point elsewhere ("" = the provider's).
        self.challenge: Final = challenge
        self.challenge_site_key: Final = challenge_site_key
        self.challenge_secret: Final = challenge_secret
        self.challenge_when: Final = challenge_when
        self.challenge_verify_url: Final = challenge_verify_url

    def __repr__(self) -> str:
        # Never the secrets, should settings ever reach a log.
        return f"Settings(stage={self.stage!r}, table_name={self.table_name!r}, …)"

    def check_secrets(self) -> None:
        # A short key makes HMAC and JWT signatures guessable; refuse to serve with one.
        named = [("JWT_SECRET", self.jwt_secret), ("EDIT_TOKEN_KEY", self.edit_token_key),
                 ("HASH_KEY", self.hash_key), ("MAIL_LINK_KEY", self.mail_link_key)]
        if self.webhooks:
            named.append(("WEBHOOK_SECRET", self.webhook_secret))
        if self.hash_key_previous:
            named.append(("HASH_KEY_PREVIOUS", self.hash_key_previous))
        for name, value in named:
            if len(value) < 32:
                raise ConfigurationError(f"{name} is not set (at least 32 characters)")


class Webhook(Value):
    """One receiver: the body's shape (json, slack or discord), where it goes, and whether that may be private."""

    __slots__ = ("allow_private", "shape", "url")
    SHAPES: ClassVar = ("json", "slack", "discord")

    def __init__(self, *, shape: str, url: str, allow_private: bool = False) -> None:
        self.shape: Final = shape
        self.url: Final = url
        # WEBHOOKS_ALLOW_PRIVATE: a stage whose receivers sit in its own network (10.x, 169.254.x…).
        self.allow_private: Final = allow_private


def _webhooks(raw: str, allow_private: bool) -> tuple[Webhook, ...]:
    """``<shape>:<url>`` entries, separated by spaces or commas; https, or http to this machine only.

    A URL is read as a URL parser reads it, not by its first characters:
    "http://127.0.0.1:80@169.254.169.254/" is the host 169.254.169.254 with a
    user name, and is refused (no user names, no backslashes, no spaces or controls).
    A receiver named by a private or link-local address (cloud metadata lives at
    169.254.169.254) is refused unless WEBHOOKS_ALLOW_PRIVATE; loopback stays
    allowed, as before, for receivers on this machine. Names are checked again
    once resolved, when sending (blog/webhooks.py).
    """
    hooks = []
    for entry in raw.replace(",", " ").split():
        shape, _, url = entry.partition(":")
        if shape not in Webhook.SHAPES:
            raise ConfigurationError(f"WEBHOOKS: {entry!r} must start with one of {', '.join(Webhook.SHAPES)}:")
        problem = webhook_url_problem(url, allow_private)
        if problem:
            raise ConfigurationError(f"WEBHOOKS: {url!r} {problem}")
        hooks.append(Webhook(shape=shape, url=url, allow_private=allow_private))
    return tuple(hooks)


def webhook_url_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None."""
    import ipaddress
    from urllib.parse import urlsplit

    plain = "must be an https URL (http only to 127.0.0.1 or localhost)"
    if any(c in url for c in "\"<>\\@") or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return plain + ", with no user name, quote, backslash, space or control character"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:
        return plain
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.fragment:
        return plain
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if parts.scheme == "http" and not loopback:
        return plain
    if address is not None and not loopback and not address.is_global and not allow_private:
        return "names a private or link-local address; set WEBHOOKS_ALLOW_PRIVATE=true on a stage that means it"
    return None


AKISMET_URL: Final = "https://rest.akismet.com/1.1"


def _akismet_url(raw: str, name: str = "AKISMET_URL") -> str:
    """Akismet's REST base: https, or http to this machine only (a test's receiver), as for webhooks."""
    if not raw:
        return AKISMET_URL
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigurationError(f"{name}: {raw!r} is not a URL") from None
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and not parts.username
    if not (parts.scheme == "https" or local) or parts.query or parts.fragment or raw.endswith("/") \
            or any(c.isspace() or c in "\"\\<>@" for c in raw):
        raise ConfigurationError(f"{name}: {raw!r} must be an https URL with no trailing slash "
                                 "(http only to 127.0.0.1 or localhost)")
    return raw


CHALLENGE_PROVIDERS: Final = ("off", "turnstile", "hcaptcha")
_SITE_KEY = lazy(r"[A-Za-z0-9_-]{1,100}")


def _challenge_when(raw: str) -> tuple[str, int, int]:
    """CHALLENGE_WHEN: "first-time", "always" or "after:N/SECONDS" (N comments from one address, then challenged)."""
    if raw in ("first-time", "always"):
        return raw, 0, 0
    count, seconds = _rate(raw.removeprefix("after:"), "CHALLENGE_WHEN") if raw.startswith("after:") else (0, 0)
    if count < 1:
        raise ConfigurationError(f"CHALLENGE_WHEN must be first-time, always or after:N/SECONDS with N at least 1 "
                                 f"(e.g. after:3/3600), not {raw!r}")
    return "after", count, seconds


def _challenge(env: Mapping[str, str]) -> str:
    """CHALLENGE, once its site key and secret are there: a challenge with neither would refuse every comment."""
    provider = _choice(env.get("CHALLENGE", "off").strip(), "CHALLENGE", CHALLENGE_PROVIDERS)
    site_key, secret = env.get("CHALLENGE_SITE_KEY", "").strip(), env.get("CHALLENGE_SECRET", "").strip()
    if provider != "off" and not (_SITE_KEY.fullmatch(site_key) and secret):
        raise ConfigurationError(f"CHALLENGE={provider} needs CHALLENGE_SITE_KEY (letters, digits, - and _) and "
                                 "CHALLENGE_SECRET (on a deployed stage, the SSM parameter challenge-secret)")
    return provider


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


# Short: another reader sees a new comment at most SHARED + STALE seconds after it is written.
# Pages and lists take no stale-while-revalidate: browsers honour it too, and a reader who
# reloads after commenting would be shown the list from before their comment.
DEFAULT_CACHE_TIMES = {"CACHE_PAGE": "30/0/0", "CACHE_LIST": "30/0/0", "CACHE_FEED": "300/300/300",
                       "CACHE_ASSET": "300/300/3600"}


def _cache_times(raw: str, name: str) -> tuple[int, int, int]:
    parts = raw.split("/")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ConfigurationError(f"{name} must look like SHARED/BROWSER/STALE seconds (e.g. 30/0/30), not {raw!r}")
    shared, browser, stale = (int(part) for part in parts)
    return shared, browser, stale


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
        hash_key_previous=env.get("HASH_KEY_PREVIOUS", ""),
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
        # The package sets the stage's API Gateway (or CloudFront) address; `make run` its loopback one.
        api_url=_site_url(env.get("API_URL", "http://127.0.0.1:8000"), "API_URL"),
        notifications=_bool(env.get("NOTIFICATIONS", "true"), "NOTIFICATIONS"),
        notify_from=_sender(env.get("NOTIFY_FROM", "").strip(), "NOTIFY_FROM"),
        notify_rate_limit=_int(env.get("NOTIFY_RATE_LIMIT", "10"), "NOTIFY_RATE_LIMIT", 1),
        subscription_digest_seconds=_int(env.get("SUBSCRIPTION_DIGEST_SECONDS", "900"),
                                         "SUBSCRIPTION_DIGEST_SECONDS", 60),
        gravatar=_bool(env.get("GRAVATAR", "false"), "GRAVATAR"),
        demo_pages=_bool(env.get("DEMO_PAGES", "false"), "DEMO_PAGES"),
        webhooks=_webhooks(env.get("WEBHOOKS", ""),
                           _bool(env.get("WEBHOOKS_ALLOW_PRIVATE", "false"), "WEBHOOKS_ALLOW_PRIVATE")),
        webhook_secret=env.get("WEBHOOK_SECRET", ""),
        cache_times={name.removeprefix("CACHE_").lower(): _cache_times(env.get(name, default), name)
                     for name, default in DEFAULT_CACHE_TIMES.items()},
        akismet_key=env.get("AKISMET_KEY", "").strip(),
        akismet_url=_akismet_url(env.get("AKISMET_URL", "").strip()),
        challenge=_challenge(env),
        challenge_site_key=env.get("CHALLENGE_SITE_KEY", "").strip(),
        challenge_secret=env.get("CHALLENGE_SECRET", "").strip(),
        challenge_when=_challenge_when(env.get("CHALLENGE_WHEN", "first-time").strip()),
        # Empty: the provider's own siteverify (blog/challenge.py); the same rule as AKISMET_URL otherwise.
        challenge_verify_url=_akismet_url(env["CHALLENGE_VERIFY_URL"].strip(), "CHALLENGE_VERIFY_URL")
        if env.get("CHALLENGE_VERIFY_URL", "").strip() else "",
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
                     "MAIL_LINK_KEY": "mail-link-key", "WEBHOOK_SECRET": "webhook-secret"}
# Present only during a rotation's grace period (deploy/rotate.py): read when there, never required.
# AKISMET_KEY: only on stages that use Akismet (put there by the operator: docs, Akismet).
# CHALLENGE_SECRET: only on stages with a challenge (the operator puts it there: docs, spam rules).
OPTIONAL_SECRET_PARAMETERS = {"HASH_KEY_PREVIOUS": "hash-key-previous", "AKISMET_KEY": "akismet-key",
                              "CHALLENGE_SECRET": "challenge-secret"}


def with_secrets(env: Mapping[str, str]) -> Mapping[str, str]:
    """``env`` plus the secrets it lacks, read from SSM in one GetParameters call."""
    path = env.get("SECRETS_PARAMETER_PATH", "").rstrip("/")
    wanted = {f"{path}/{leaf}": name for name, leaf in SECRET_PARAMETERS.items() if not env.get(name)}
    if not path or not wanted:
        return env
    optional = {f"{path}/{leaf}": name for name, leaf in OPTIONAL_SECRET_PARAMETERS.items() if not env.get(name)}
    # Imported here: boto3 is only needed when the secrets are not in the environment.
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.store.client import DeadlineExceeded, ssm_client

    try:
        response = ssm_client().get_parameters(Names=sorted({**wanted, **optional}), WithDecryption=True)
    except (BotoCoreError, ClientError, DeadlineExceeded) as error:
        raise ConfigurationError(f"cannot read the secrets under {path} from SSM: {error}") from None
    found = {wanted[p["Name"]]: p["Value"] for p in response.get("Parameters", []) if p.get("Name") in wanted}
    present = {optional[p["Name"]]: p["Value"] for p in response.get("Parameters", []) if p.get("Name") in optional}
    if len(found) < len(wanted):
        lacking = sorted(name for name in wanted if wanted[name] not in found)
        raise ConfigurationError(f"SSM has no {', '.join(lacking)}: run the stage's bootstrap")
    return {**env, **present, **found}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    # Cached: SSM is asked once per container, on the first request that needs settings.
    return load_settings(with_secrets(os.environ))
