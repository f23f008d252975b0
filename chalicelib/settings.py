"""Settings: each declared once, read from the environment in one place, and frozen.

Chalice copies a stage's ``environment_variables`` from ``.chalice/config.json``
into the environment, and the local runner lets its own environment win over
the stage file, so everything configurable arrives here as a string.

Each setting is one line of ``Settings`` below: its variable, kind (the parser,
chalicelib/setting_kinds.py), default and the sentence docs/settings.md shows.
``load_settings`` reads them all; devtools/settings_page.py writes the docs
page's table from them, and tests/docs/test_docs_settings.py fails when it is stale.
A new setting is a new line here, then ``python -m devtools.settings_page``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from chalicelib.errors import ConfigurationError
from chalicelib.oidc_providers import CLIENT_SECRETS, PROVIDERS
from chalicelib.setting_kinds import (
    ADDRESS,
    AKISMET_BASE,
    BOOLEAN,
    CACHE_TIMES,
    CHALLENGE_PROVIDER,
    CHALLENGE_RULE,
    DEFAULT_REACTIONS,
    EMOJI,
    LIST,
    NAME_SET,
    RATE,
    RECEIVERS,
    SECRET,
    STRIPPED_SECRET,
    TEXT,
    URL,
    VERIFY_URL,
    WORDS,
    Setting,
    Webhook,
    choice,
    integer,
)

__all__ = ["DECLARED", "DEFAULT_REACTIONS", "Settings", "Webhook", "get_settings", "load_settings"]


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
# The order is the docs page's.
class Settings:
    stage = Setting("STAGE", TEXT, "dev", "the stage's name, set by each stage in `.chalice/config.json`")
    table_name = Setting("TABLE_NAME", TEXT, "blog", "the DynamoDB table; each stage names its own (`blog-<stage>`)")
    jwt_secret = Setting("JWT_SECRET", SECRET, "", "signs account tokens; see [keys](security.md) for what "
                         "rotating each secret breaks", parameter="jwt-secret")
    edit_token_key = Setting("EDIT_TOKEN_KEY", SECRET, "", "signs comments' edit tokens, and (derived) page cursors",
                             parameter="edit-token-key")
    # Long-lived, unlike the edit tokens' key.
    hash_key = Setting("HASH_KEY", SECRET, "", "keys the stored hashes of addresses and e-mails, and comment-form "
                       "tokens; meant to live as long as the table", parameter="hash-key")
    hash_key_previous = Setting("HASH_KEY_PREVIOUS", SECRET, "", "the `HASH_KEY` before the last rotation, during "
                                "its grace period (`make rotate-key`): hashes stored with it are still found",
                                parameter="hash-key-previous", optional=True)
    # Mail links must outlive edit tokens: a key of their own.
    mail_link_key = Setting("MAIL_LINK_KEY", SECRET, "", "signs the links in mail: unsubscribe, confirm an address, "
                            "moderate by mail, data requests", parameter="mail-link-key")
    webhook_secret = Setting("WEBHOOK_SECRET", SECRET, "", "the key webhook requests are signed with; required "
                             "(≥ 32 characters) only when `WEBHOOKS` names a receiver",
                             parameter="webhook-secret")
    akismet_key = Setting("AKISMET_KEY", STRIPPED_SECRET, "", "an Akismet API key: new comments are checked from "
                          "the stream and moderators' verdicts sent back; off when empty; on a deployed stage the "
                          "SSM parameter `akismet-key` (see [Akismet](akismet.md))",
                          parameter="akismet-key", optional=True)
    # Only tests point it elsewhere.
    akismet_url = Setting("AKISMET_URL", AKISMET_BASE, "", "Akismet's REST base when empty "
                          "`https://rest.akismet.com/1.1`; https only (http only to `127.0.0.1`/`localhost`, "
                          "for tests)")
    # The challenge (blog/challenge.py); CHALLENGE is read after its keys, which it needs.
    challenge_site_key = Setting("CHALLENGE_SITE_KEY", TEXT, "", "the challenge provider's public site key "
                                 "(letters, digits, `-`, `_`), given to the widget")
    challenge_secret = Setting("CHALLENGE_SECRET", STRIPPED_SECRET, "", "the challenge provider's secret key, sent "
                               "only to its siteverify; on a deployed stage the SSM parameter `challenge-secret`",
                               parameter="challenge-secret", optional=True)
    challenge = Setting("CHALLENGE", CHALLENGE_PROVIDER, "off", "`off`, `turnstile` or `hcaptcha`: the challenge a "
                        "new comment may be asked for (see [spam rules](spam-rules.md#a-challenge-turnstile-or-"
                        "hcaptcha)); on, it needs the two keys above")
    challenge_when = Setting("CHALLENGE_WHEN", CHALLENGE_RULE, "first-time", "when a comment needs it: `first-time` "
                             "(no approved comment yet), `after:N/SECONDS` (past N comments from one address in the "
                             "window), or `always`; never for admins")
    challenge_verify_url = Setting("CHALLENGE_VERIFY_URL", VERIFY_URL, "", "siteverify's URL, when empty the "
                                   "provider's own; https only (http only to `127.0.0.1`/`localhost`, for tests)")
    admins = Setting("BLOG_ADMINS", NAME_SET, "", "usernames that are admins (the local stage: `admin`); sign-up "
                     "refuses them, `make admin` makes them")
    cors_origins = Setting("CORS_ORIGINS", LIST, "*", "`*`, or the origins allowed to call the API from a browser")
    site_url = Setting("SITE_URL", URL, "http://127.0.0.1:8000", "where readers find the blog (http or https, no "
                       "trailing slash): the base of the sitemap's and feeds' links; `make run` sets "
                       "`http://127.0.0.1:PORT/demo`")
    # Mail links are the API's pages and routes, not the blog's (which may be Blogger or a static site).
    api_url = Setting("API_URL", URL, "http://127.0.0.1:8000", "the API's public base: every link in mail is built "
                      "on it (their pages are the API's); `make run` sets `http://127.0.0.1:PORT`, `make package` "
                      "the stage's API Gateway or CloudFront address")
    passkey_rp_id = Setting("PASSKEY_RP_ID", TEXT, "localhost", "the passkeys' relying party: the blog's domain (a "
                            "host name, never an address; `localhost` under `make run`, opened as http://localhost:PORT)")
    passkey_origins = Setting("PASSKEY_ORIGINS", LIST, "", "the pages' origins a passkey may be used from; empty: "
                              "those of `SITE_URL`, `API_URL` and `CORS_ORIGINS` on `PASSKEY_RP_ID`'s domain (and "
                              "any `http://localhost:PORT` when it is `localhost`)")
    # Sign-in with OpenID Connect (blog/oidc_sign_in.py); the secrets are read after the providers they name.
    oidc_providers = Setting("OIDC_PROVIDERS", PROVIDERS, "", "OpenID Connect issuers readers may sign in with: "
                             "`<name>|<display name>|<issuer URL>|<client id>` entries separated by `;`, "
                             "`github:<URL>` as the issuer for GitHub's OAuth (see [OpenID Connect](oidc.md)); "
                             "empty: none")
    oidc_clients = Setting("OIDC_CLIENT_SECRETS", CLIENT_SECRETS, "", "`<name>=<client secret>` for each provider "
                           "that has one, separated by spaces; on a deployed stage the SSM parameter "
                           "`oidc-client-secrets`", parameter="oidc-client-secrets", optional=True)
    anonymous_comments = Setting("ANONYMOUS_COMMENTS", BOOLEAN, "true", "whether readers may comment without an "
                                 "account")
    open_authoring = Setting("OPEN_AUTHORING", BOOLEAN, "false", "`true`: any signed-up user may write posts "
                             "(RealWorld's model)")
    edit_window_seconds = Setting("EDIT_WINDOW_SECONDS", integer(0), "900", "how long a comment's edit token works")
    max_reply_depth = Setting("MAX_REPLY_DEPTH", integer(0), "5", "how deep replies may nest")
    token_ttl_seconds = Setting("TOKEN_TTL_SECONDS", integer(60), "604800", "an account token's lifetime (at "
                                "least 60)")
    # Only the test stage lowers it, so the suite can sign up hundreds of users quickly.
    password_cost = Setting("PASSWORD_COST", integer(10), "14", "scrypt's cost as log2 N (14: 16 MiB per hash; at "
                            "least 10); only the test stage lowers it")
    moderation = Setting("MODERATION", choice("off", "first-time", "all"), "off", "`off`, `first-time` (hold a "
                         "commenter's comments until one is approved) or `all`; admins' and the post author's own "
                         "comments are never held")
    comment_rate_limit = Setting("COMMENT_RATE_LIMIT", RATE, "5/60", "comments and comment edits per address per "
                                 "window (429 with `Retry-After` beyond it)")
    # A reader voting down a long thread stays under 30 in ten minutes; one address stuffing a ballot gets
    # 30 votes per ten minutes, not one per request.
    vote_rate_limit = Setting("VOTE_RATE_LIMIT", RATE, "30/600", "votes and reactions per address per window, "
                              "signed in or not; admins are exempt")
    reactions = Setting("REACTIONS", EMOJI, DEFAULT_REACTIONS, "the emoji readers may react with to posts and "
                        "comments, in the order the widget shows them: at most 12, each one emoji (a skin tone, "
                        "ZWJ sequence or flag counts as one); empty turns reactions off; they share "
                        "`VOTE_RATE_LIMIT`")
    # One address gets fewer failures than the account allows: locking someone out takes failures from
    # several addresses, window after window (docs: security model).
    login_account_limit = Setting("LOGIN_ACCOUNT_LIMIT", RATE, "50/3600", "failed sign-ins per account (by the "
                                  "e-mail given) per window")
    login_address_limit = Setting("LOGIN_ADDRESS_LIMIT", RATE, "10/900", "failed sign-ins per address per window, "
                                  "whatever the account")
    signup_rate_limit = Setting("SIGNUP_RATE_LIMIT", RATE, "10/3600", "sign-up attempts per address per window, "
                                "refused ones included; `0/…` closes sign-ups")
    # An editor previews as its author types (the console waits for a pause first): one every 2.5 s of
    # steady typing, and a cap on what one caller makes us render.
    preview_rate_limit = Setting("PREVIEW_RATE_LIMIT", RATE, "120/300", "previews (`POST /preview`) per account, "
                                 "or per address when signed out")
    require_form_token = Setting("REQUIRE_FORM_TOKEN", BOOLEAN, "false", "`true`: a comment must carry the "
                                 "`form_token` of `GET /posts/{slug}/comment-form` (the widget always sends one)")
    min_form_seconds = Setting("MIN_FORM_SECONDS", integer(0), "3", "a form token younger than this is refused "
                               "with 429 (nobody types that fast)")
    comments_close_after_days = Setting("COMMENTS_CLOSE_AFTER_DAYS", integer(0), "0", "close comments this many "
                                        "days after a post is published; `0` never does")
    max_links = Setting("COMMENT_MAX_LINKS", integer(0), "3", "links allowed in one comment, URLs written as text "
                        "included")
    duplicate_window_seconds = Setting("DUPLICATE_WINDOW_SECONDS", integer(0), "600", "the same body on the same "
                                       "post within this window is refused (409)")
    blocked_words = Setting("BLOCKED_WORDS", WORDS, "", "words refused in comment bodies and names (compared "
                            "case-folded)")
    # Sent from the table's stream, never inside a request.
    notifications = Setting("NOTIFICATIONS", BOOLEAN, "true", "e-mail post authors about new comments, and "
                            "confirmed commenters who asked about replies")
    notify_from = Setting("NOTIFY_FROM", ADDRESS, "", "the sender of every mail, an SES-verified address "
                          "(`blog@example.com` or `Blog <blog@example.com>`); empty: nothing is sent")
    notify_rate_limit = Setting("NOTIFY_RATE_LIMIT", integer(1), "10", "mails to one address per UTC day from one "
                                "sender (a commenter's account or network address); ten times it from all senders "
                                "together; beyond either a mail is dropped, not delayed")
    subscription_digest_seconds = Setting("SUBSCRIPTION_DIGEST_SECONDS", integer(60), "900", "a thread subscriber "
                                          "gets at most one digest of a post's new comments per this many seconds "
                                          "(at least 60); sent by the one-minute schedule")
    held_digest_seconds = Setting("HELD_DIGEST_SECONDS", integer(60), "900", "once a moderator's "
                                  "`NOTIFY_RATE_LIMIT` is spent, their further held-comment mail is one digest per "
                                  "this many seconds (at least 60), listing every comment held since; sent by the "
                                  "one-minute schedule")
    # Opt-in: the URL's hash confirms a guessed address.
    gravatar = Setting("GRAVATAR", BOOLEAN, "false", "`true`: comments by someone who gave an e-mail show their "
                       "Gravatar picture (whose unsalted hash lets anyone confirm a guessed address)")
    demo_pages = Setting("DEMO_PAGES", BOOLEAN, "false", "serve the demo blog at `/demo/` (the local stage turns "
                         "it on)")
    webhooks_allow_private = Setting("WEBHOOKS_ALLOW_PRIVATE", BOOLEAN, "false", "let `WEBHOOKS` name private and "
                                     "link-local addresses (`10.x`, `169.254.x`…), and names that resolve to them; "
                                     "loopback is allowed either way")
    # Receivers of the blog's events (blog/webhooks.py); read after WEBHOOKS_ALLOW_PRIVATE, which it needs.
    webhooks = Setting("WEBHOOKS", RECEIVERS, "", "where the blog's events go: `<shape>:<url>` entries, shapes "
                       "`json`, `slack`, `discord`; https only (http only to `127.0.0.1`/`localhost`), no user name "
                       "in the URL; see [webhooks](comments.md#webhooks)")
    # Short: another reader sees a new comment at most SHARED + STALE seconds after it is written. Pages and
    # lists take no stale-while-revalidate: browsers honour it too, and a reader who reloads after commenting
    # would be shown the list from before their comment. A page (what the widget reads, and looks at again for
    # live threads) keeps 15 s: with the widget's 15 s between looks, an open page shows a new comment within 30 s.
    cache_page = Setting("CACHE_PAGE", CACHE_TIMES, "15/0/0", "how long caches may keep a post page or comment page "
                         "(see [caching](caching.md)); with the widget's `data-live`, how soon an open page sees a new "
                         "comment ([live threads](live-threads.md)); `0/0/x` sends `no-cache`")
    cache_list = Setting("CACHE_LIST", CACHE_TIMES, "30/0/0", "the same for lists, labels and the archive")
    cache_feed = Setting("CACHE_FEED", CACHE_TIMES, "300/300/300", "the same for feeds and the sitemap")
    cache_asset = Setting("CACHE_ASSET", CACHE_TIMES, "300/300/3600", "the same for the widget's, console's and "
                          "demo's files and `/openapi.json`")

    def __init__(self, **values: Any) -> None:
        missing = sorted(setting.attribute for setting in DECLARED if setting.attribute not in values)
        unknown = sorted(set(values) - {setting.attribute for setting in DECLARED})
        if missing or unknown:
            raise TypeError(f"Settings: missing {', '.join(missing) or 'none'}; unknown {', '.join(unknown) or 'none'}")
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"settings are frozen: make another with replace({name}=...)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds a dict: like a dict, unhashable

    def __repr__(self) -> str:
        # Never the secrets, should settings ever reach a log.
        return f"Settings(stage={self.stage!r}, table_name={self.table_name!r}, …)"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, as ``dataclasses.replace`` makes one."""
        return Settings(**{**self.__dict__, **changes})

    @property
    def cache_times(self) -> dict[str, tuple[int, int, int]]:
        """HTTP caching per cache class (api/caching.py): (shared, browser, stale-while-revalidate) seconds."""
        return {"page": self.cache_page, "list": self.cache_list, "feed": self.cache_feed, "asset": self.cache_asset}

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


# Every declaration, in the order written (a class body keeps it).
DECLARED: Final[tuple[Setting[Any], ...]] = tuple(
    value for value in vars(Settings).values() if isinstance(value, Setting))


def load_settings(env: Mapping[str, str]) -> Settings:
    """Every declared setting from ``env``, parsed; a bad value raises ConfigurationError naming it."""
    values: dict[str, Any] = {}
    for setting in DECLARED:
        values[setting.attribute] = setting.read(env, values)
    return Settings(**values)


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
# Both maps are read from the declarations: variable -> parameter.
SECRET_PARAMETERS: Final = {s.variable: s.parameter for s in DECLARED if s.parameter and not s.optional}
# Read when there, never required: HASH_KEY_PREVIOUS only during a rotation's grace period (deploy/rotate.py),
# AKISMET_KEY only on stages that use Akismet (put there by the operator: docs, Akismet).
OPTIONAL_SECRET_PARAMETERS: Final = {s.variable: s.parameter for s in DECLARED if s.parameter and s.optional}


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
