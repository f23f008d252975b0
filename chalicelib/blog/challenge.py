"""The challenge: Cloudflare Turnstile or hCaptcha, asked of a new comment only when CHALLENGE_WHEN says so.

When (CHALLENGE_WHEN), for anyone but an admin:

- ``first-time``: the commenter has no approved comment yet (no ``COMMENTER#<id>#APPROVED``, which the
  create path reads anyway; a typed e-mail counts once its owner confirmed it, as for moderation);
- ``after:N/SECONDS``: one address already sent N comments in the current window of SECONDS (its
  ``CHALLENGERATE#`` item, read in the create path's one BatchGetItem, counted in its one transaction);
- ``always``.

The token the provider's script gave the reader comes back as ``challenge_token`` and is checked with the
provider's documented siteverify (form-encoded ``secret``, ``response``, ``remoteip``; one attempt, a short
timeout, the standard library only: no dependency in the Lambda zip). Its answer decides:

- ``success`` with the blog's hostname (and, for Turnstile, our action) where the answer names them: accepted;
- refused by the provider (a wrong, expired or replayed token: ``timeout-or-duplicate``,
  ``invalid-or-already-seen-response``…), another site's hostname, or no token: a 422 on ``challenge_token``,
  which the widget shows beside the challenge; nothing is written;
- no usable answer (a timeout, a 5xx, something that is not its JSON, ``internal-error``, or an error that is
  ours, such as a wrong secret): the comment is stored *held*, with the reason on it and in the audit trail.
  Never accepted unchecked, and never a 500: a provider's outage costs readers nothing but a wait for a moderator.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from chalicelib.errors import Invalid
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, Table, Write, update

logger = logging.getLogger(__name__)

TOKEN_FIELD: Final = "challenge_token"
# Turnstile documents tokens of up to 2048 characters; hCaptcha's are longer. Anything past this is no token.
MAX_TOKEN_LENGTH: Final = 8192
# Inside a request: a provider slower than this is treated as down (the comment is held, not lost).
TIMEOUT_SECONDS: Final = 3.0
# Turnstile echoes the action the widget rendered with; a token made for another form of the site is refused.
ACTION: Final = "comment"
FILTER: Final = "challenge (filter)"  # who, in the audit trail: a space, so no account can have the name


class Provider:
    __slots__ = ("name", "origins", "script", "verify_url")

    def __init__(self, name: str, verify_url: str, script: str, origins: tuple[str, ...]) -> None:
        self.name = name
        self.verify_url = verify_url
        self.script = script
        # What a page's Content-Security-Policy must allow (script-src, frame-src, connect-src, style-src).
        self.origins = origins


PROVIDERS: Final = {
    "turnstile": Provider("Turnstile", "https://challenges.cloudflare.com/turnstile/v0/siteverify",
                          "https://challenges.cloudflare.com/turnstile/v0/api.js",
                          ("https://challenges.cloudflare.com",)),
    "hcaptcha": Provider("hCaptcha", "https://api.hcaptcha.com/siteverify", "https://js.hcaptcha.com/1/api.js",
                         ("https://hcaptcha.com", "https://*.hcaptcha.com")),
}

# Error codes that say the token is bad (the reader's to fix: solve it again). Any other code (internal-error,
# invalid-input-secret, sitekey-secret-mismatch, bad-request…) is the provider's fault or ours: held, not refused.
_REFUSED_CODES: Final = frozenset({
    "missing-input-response", "invalid-input-response", "timeout-or-duplicate",  # Turnstile
    "expired-input-response", "already-seen-response", "invalid-or-already-seen-response",  # hCaptcha
})
# The providers' documented test secrets pass (or fail) tokens from any page: a stage testing with one
# has no hostname to compare (Turnstile's answer names example.com, hCaptcha's a placeholder).
TEST_SECRETS: Final = frozenset({
    "1x0000000000000000000000000000000AA", "2x0000000000000000000000000000000AA",
    "3x0000000000000000000000000000000AA", "0x0000000000000000000000000000000000000000",
})
_REPLAYED_CODES: Final = frozenset({"timeout-or-duplicate", "already-seen-response",
                                    "invalid-or-already-seen-response", "expired-input-response"})


# (url, form fields, timeout) -> (HTTP status, body); raises OSError (timeouts included) when no answer came.
Transport = Callable[[str, dict[str, str], float], tuple[int, bytes]]


def post_form(url: str, fields: dict[str, str], timeout: float) -> tuple[int, bytes]:
    # Imported here: urllib.request pulls in http.client and email, which a cold start need not pay for.
    import urllib.error
    import urllib.parse
    import urllib.request

    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read(65536)
    except urllib.error.HTTPError as error:
        return int(error.code), b""


class Challenge:
    __slots__ = ("hostname", "provider", "secret", "settings", "site_key", "transport", "verify_url", "when")

    def __init__(self, settings: Settings, transport: Transport = post_form) -> None:
        self.settings = settings
        self.provider = PROVIDERS.get(settings.challenge)
        self.site_key = settings.challenge_site_key
        self.secret = settings.challenge_secret
        self.when, *_ = settings.challenge_when
        self.verify_url = settings.challenge_verify_url or (self.provider.verify_url if self.provider else "")
        # Where the widget runs: the blog's own host, which the provider reports the token was solved on.
        self.hostname = "" if self.secret in TEST_SECRETS else (urlsplit(settings.site_url).hostname or "").lower()
        self.transport = transport

    @property
    def on(self) -> bool:
        return self.provider is not None

    def public(self) -> dict[str, str] | None:
        """What the widget needs to show the challenge (the form's rules): never the secret."""
        if self.provider is None:
            return None
        return {"provider": self.settings.challenge, "site_key": self.site_key}

    # -- when -----------------------------------------------------------------------

    @property
    def reads_confirmations(self) -> bool:
        """first-time counts a typed e-mail once its owner confirmed it: the create path reads that then."""
        return self.on and self.when == "first-time"

    def window_key(self, address_hash: str, now: int) -> Key | None:
        """The address's count in the current window (after:N/SECONDS only), read with the comment's context."""
        if not self.on or self.when != "after":
            return None
        return keys.challenge_window(address_hash, now // self.settings.challenge_when[2])

    def needed(self, known: bool, window: Item | None) -> bool:
        """Whether this comment needs the challenge: ``known``, the commenter was approved before; ``window``,
        the address's item for the current window (None: none yet)."""
        if not self.on:
            return False
        if self.when == "always":
            return True
        if self.when == "first-time":
            return not known
        return int((window or {}).get("count", 0)) >= self.settings.challenge_when[1]

    def count(self, address_hash: str, now: int) -> Write | None:
        """The comment counted in its address's window (after:N/SECONDS only), in the comment's transaction."""
        key = self.window_key(address_hash, now)
        if key is None:
            return None
        seconds = self.settings.challenge_when[2]
        return update(key, "ADD #n :one SET #ttl = :ttl", None, {"#n": "count", "#ttl": "ttl"}, one=1,
                      ttl=(now // seconds + 1) * seconds + 60)

    def expected(self, table: Table, account: str | None, address_hash: str, now: int) -> bool:
        """needed() as far as a comment form can know it (GET comment-form): one GetItem at most, none while off.

        An anonymous reader is expected to need it under first-time: their e-mail is not typed yet (were it
        confirmed and approved, the server would simply not check the token they send).
        """
        if not self.on:
            return False
        window = self.window_key(address_hash, now)
        if window is not None:
            return self.needed(False, table.get(window))
        known = account is not None and self.when == "first-time" and table.get(
            keys.commenter_approved("user:" + account.casefold())) is not None
        return self.needed(known, None)

    # -- the token ------------------------------------------------------------------

    def verify(self, token: str | None, address: str) -> str | None:
        """Check a token with the provider: None when accepted; the reason to hold the comment when the
        provider gave no usable answer. A missing, refused or foreign token raises Invalid (422)."""
        assert self.provider is not None
        name = self.provider.name
        if not token:
            raise Invalid.field(TOKEN_FIELD, f"is required: this blog asks for {name}'s check before a comment; "
                                             "complete it and send the comment again")
        fields = {"secret": self.secret, "response": token}
        if address:
            fields["remoteip"] = address
        try:
            status, body = self.transport(self.verify_url, fields, TIMEOUT_SECONDS)
        except OSError as error:  # refused, reset, timed out
            return self._hold(f"{name} gave no answer ({error.__class__.__name__})")
        if status != 200:
            return self._hold(f"{name} answered HTTP {status}")
        try:
            answer: Any = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
            return self._hold(f"{name}'s answer was not its JSON")
        codes = [str(code) for code in answer.get("error-codes") or [] if isinstance(code, str)][:5]
        if not answer["success"]:
            if codes and all(code in _REFUSED_CODES for code in codes):
                raise Invalid.field(TOKEN_FIELD, _refusal(name, codes))
            return self._hold(f"{name} could not check the token ({', '.join(codes) or 'no error code'})")
        hostname = answer.get("hostname")
        if isinstance(hostname, str) and hostname and self.hostname and hostname.lower() != self.hostname:
            raise Invalid.field(TOKEN_FIELD, f"was solved on another site ({hostname[:100]}); "
                                             "solve the challenge on this page")
        action = answer.get("action")
        if isinstance(action, str) and action and action != ACTION:
            raise Invalid.field(TOKEN_FIELD, "was made for another form; solve the challenge on this one")
        return None

    def _hold(self, problem: str) -> str:
        logger.warning("challenge not verified, the comment is held: %s", problem)
        return f"the challenge could not be verified: {problem}; a moderator decides"


def _refusal(name: str, codes: list[str]) -> str:
    if any(code in _REPLAYED_CODES for code in codes):
        return f"has expired or was already used ({name}: {', '.join(codes)}); solve the challenge again"
    return f"was not accepted ({name}: {', '.join(codes)}); solve the challenge again"


def page_sources(settings: Settings) -> tuple[str, ...]:
    """The provider's origins a page showing the widget must allow (CSP), or none while the challenge is off."""
    provider = PROVIDERS.get(settings.challenge)
    return provider.origins if provider else ()
