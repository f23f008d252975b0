"""What a setting is: its declaration (``Setting``), and the kinds of value it may hold, each with its parser.

``chalicelib/settings.py`` declares every setting once, as an attribute of ``Settings``:
its variable, kind, default and one sentence. ``load_settings`` and the docs page's
table (devtools/settings_page.py) are both read from those declarations. A ``Kind``
turns the string the environment holds into a typed value, or refuses it with a
``ConfigurationError`` naming the setting; its ``name`` is the type the docs page
shows (explained at the top of docs/settings.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Never, Self, TypeVar, overload
from urllib.parse import urlsplit

from chalicelib.errors import ConfigurationError
from chalicelib.patterns import lazy
from chalicelib.values import Value

T = TypeVar("T")
_ADDRESS = lazy(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Kind(Generic[T]):
    """A type of setting: the name the docs page shows, and the parser from the environment's string."""

    __slots__ = ("name", "parse")

    def __init__(self, name: str, parse: Callable[[str, str], T]) -> None:
        self.name: Final = name
        self.parse: Final = parse

    def read(self, raw: str, variable: str, _earlier: Mapping[str, Any]) -> T:
        """The value of ``raw``; ``_earlier`` holds the settings declared before, for a kind that depends on one."""
        return self.parse(raw, variable)


class Setting(Generic[T]):
    """One setting's declaration, as a class attribute of ``Settings``.

    A non-data descriptor: a ``Settings`` instance keeps each value in its own ``__dict__``
    under the attribute's name, which Python finds before this, so reading a setting costs
    what reading any attribute does. Read from the class, it is the declaration; mypy
    reads the value's type from the kind.
    """

    __slots__ = ("attribute", "default", "description", "kind", "optional", "parameter", "variable")

    def __init__(self, variable: str, kind: Kind[T], default: str, description: str, *, parameter: str = "",
                 optional: bool = False) -> None:
        self.variable: Final = variable
        self.kind: Final = kind
        self.default: Final = default
        self.description: Final = description
        # A secret's SSM parameter, <SECRETS_PARAMETER_PATH>/<parameter> (settings.with_secrets); an optional one
        # is read when it is there, never required.
        self.parameter: Final = parameter
        self.optional: Final = optional
        self.attribute = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object, owner: type) -> Self | T:
        if instance is None:
            return self
        # Only a Settings made without this value gets here.
        raise AttributeError(self.attribute)

    if TYPE_CHECKING:
        # For mypy alone, so that it refuses a write, as Final did; at run time a __set__ would make every
        # read go through __get__, and Settings.__setattr__ refuses writes anyway.
        def __set__(self, instance: object, value: Never) -> None: ...

    def read(self, env: Mapping[str, str], earlier: Mapping[str, Any]) -> T:
        return self.kind.read(env.get(self.variable, self.default), self.variable, earlier)


def _text(raw: str, _: str) -> str:
    return raw


def _stripped(raw: str, _: str) -> str:
    return raw.strip()


def _bool(raw: str, name: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _rate(raw: str, name: str) -> tuple[int, int]:
    count, _, seconds = raw.partition("/")
    if not (count.strip().isdigit() and seconds.strip().isdigit()) or int(seconds) < 1:
        raise ConfigurationError(f"{name} must look like N/SECONDS (e.g. 2/60), not {raw!r}")
    return int(count), int(seconds)


def _cache_times(raw: str, name: str) -> tuple[int, int, int]:
    parts = raw.split("/")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ConfigurationError(f"{name} must look like SHARED/BROWSER/STALE seconds (e.g. 30/0/30), not {raw!r}")
    shared, browser, stale = (int(part) for part in parts)
    return shared, browser, stale


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
    from email.utils import parseaddr  # Imported here: only a stage that sends mail sets a sender.

    raw = raw.strip()
    address = parseaddr(raw)[1]
    if raw and (not _ADDRESS.match(address) or any(c in raw for c in "\r\n")):
        raise ConfigurationError(f"{name} must be an e-mail address such as blog@example.com "
                                 f"or 'Blog <blog@example.com>', not {raw!r}")
    return raw


AKISMET_URL: Final = "https://rest.akismet.com/1.1"


def _akismet_url(raw: str, name: str) -> str:
    """Akismet's REST base: https, or http to this machine only (a test's receiver), as for webhooks."""
    raw = raw.strip()
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


def integer(minimum: int) -> Kind[int]:
    """A whole number, at least ``minimum``."""
    def parse(raw: str, name: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}")
        return value
    return Kind("integer", parse)


def choice(*options: str) -> Kind[str]:
    def parse(raw: str, name: str) -> str:
        if raw not in options:
            raise ConfigurationError(f"{name} must be one of {', '.join(options)}, not {raw!r}")
        return raw
    return Kind("choice", parse)


DEFAULT_REACTIONS: Final = "\U0001f44d,\u2764\ufe0f,\U0001f602,\U0001f62e,\U0001f622"  # 👍 ❤️ 😂 😮 😢
MAX_REACTIONS: Final = 12
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL = range(0x1F1E6, 0x1F200)
_TAGS = range(0xE0020, 0xE007F)


def _one_emoji(text: str) -> bool:
    """One emoji a reader sees as one picture: a symbol with an optional skin tone or emoji-style selector,
    such pictures joined by ZWJ, a flag (two regional indicators) or a tag sequence (🏴 + tags + cancel tag)."""
    import unicodedata

    if not 1 <= len(text) <= 16:
        return False
    if len(text) == 2 and all(ord(c) in _REGIONAL for c in text):
        return True
    for part in text.split("\u200d"):
        if not part or unicodedata.category(part[0]) != "So" or ord(part[0]) in _REGIONAL:
            return False
        rest = part[1:]
        if rest[:1] == "\ufe0f" or (rest and ord(rest[0]) in _SKIN_TONES):
            rest = rest[1:]
        if rest and rest[-1] == "\U000e007f" and all(ord(c) in _TAGS for c in rest[:-1]):
            rest = ""
        if rest:
            return False
    return True


def _reactions(raw: str, name: str) -> tuple[str, ...]:
    """Up to MAX_REACTIONS distinct emoji, comma-separated; empty turns reactions off."""
    found = tuple(part.strip() for part in raw.split(",") if part.strip())
    wrong = [emoji for emoji in found if not _one_emoji(emoji)]
    if wrong:
        raise ConfigurationError(f"{name}: {wrong[0]!r} is not one emoji (one per comma, such as "
                                 f"{DEFAULT_REACTIONS.replace(',', ' ')})")
    if len(found) > MAX_REACTIONS or len(set(found)) != len(found):
        raise ConfigurationError(f"{name}: at most {MAX_REACTIONS} emoji, each once")
    return found


TEXT: Final = Kind("text", _text)
SECRET: Final = Kind("secret", _text)
STRIPPED_SECRET: Final = Kind("secret", _stripped)
BOOLEAN: Final = Kind("boolean", _bool)
LIST: Final = Kind("list", lambda raw, _: csv(raw))
NAME_SET: Final = Kind("list", lambda raw, _: frozenset(csv(raw)))
WORDS: Final = Kind("list", lambda raw, _: tuple(word.casefold() for word in csv(raw)))
RATE: Final = Kind("rate", _rate)
CACHE_TIMES: Final = Kind("cache times", _cache_times)
URL: Final = Kind("URL", _site_url)
AKISMET_BASE: Final = Kind("URL", _akismet_url)
ADDRESS: Final = Kind("address", _sender)
EMOJI: Final = Kind("list", _reactions)


class Webhook(Value):
    """One receiver: the body's shape (json, slack or discord), where it goes, and whether that may be private."""

    __slots__ = ("allow_private", "shape", "url")
    SHAPES: ClassVar = ("json", "slack", "discord")

    def __init__(self, *, shape: str, url: str, allow_private: bool = False) -> None:
        self.shape: Final = shape
        self.url: Final = url
        # WEBHOOKS_ALLOW_PRIVATE: a stage whose receivers sit in its own network (10.x, 169.254.x…).
        self.allow_private: Final = allow_private


class _Receivers(Kind[tuple[Webhook, ...]]):
    """WEBHOOKS: whether a receiver may be private is WEBHOOKS_ALLOW_PRIVATE's, declared before it."""

    __slots__ = ()

    def read(self, raw: str, variable: str, earlier: Mapping[str, Any]) -> tuple[Webhook, ...]:
        return webhooks(raw, variable, bool(earlier["webhooks_allow_private"]))


def webhooks(raw: str, name: str, allow_private: bool) -> tuple[Webhook, ...]:
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
            raise ConfigurationError(f"{name}: {entry!r} must start with one of {', '.join(Webhook.SHAPES)}:")
        problem = webhook_url_problem(url, allow_private)
        if problem:
            raise ConfigurationError(f"{name}: {url!r} {problem}")
        hooks.append(Webhook(shape=shape, url=url, allow_private=allow_private))
    return tuple(hooks)


RECEIVERS: Final = _Receivers("receivers", lambda raw, name: webhooks(raw, name, False))


def webhook_url_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None."""
    import ipaddress

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


# --- the challenge (blog/challenge.py) ----------------------------------------------------------

_SITE_KEY = lazy(r"[A-Za-z0-9_-]{1,100}")


def _challenge_when(raw: str, name: str) -> tuple[str, int, int]:
    """CHALLENGE_WHEN: "first-time", "always" or "after:N/SECONDS" (N comments from one address, then challenged)."""
    raw = raw.strip()
    if raw in ("first-time", "always"):
        return raw, 0, 0
    count, seconds = _rate(raw.removeprefix("after:"), name) if raw.startswith("after:") else (0, 0)
    if count < 1:
        raise ConfigurationError(f"{name} must be first-time, always or after:N/SECONDS with N at least 1 "
                                 f"(e.g. after:3/3600), not {raw!r}")
    return "after", count, seconds


class _Challenge(Kind[str]):
    """CHALLENGE, once its site key and secret (declared before it) are there: without them every comment it
    asks for would be refused."""

    __slots__ = ()

    def read(self, raw: str, variable: str, earlier: Mapping[str, Any]) -> str:
        provider = self.parse(raw.strip(), variable)
        if provider != "off" and not (_SITE_KEY.fullmatch(earlier["challenge_site_key"])
                                      and earlier["challenge_secret"]):
            raise ConfigurationError(f"{variable}={provider} needs CHALLENGE_SITE_KEY (letters, digits, - and _) "
                                     "and CHALLENGE_SECRET (on a deployed stage, the SSM parameter challenge-secret)")
        return provider


CHALLENGE_PROVIDER: Final = _Challenge("choice", choice("off", "turnstile", "hcaptcha").parse)
CHALLENGE_RULE: Final = Kind("text", _challenge_when)
# Empty: the provider's own siteverify; otherwise AKISMET_URL's rule (https, or http to this machine only).
VERIFY_URL: Final = Kind("URL", lambda raw, name: _akismet_url(raw, name) if raw.strip() else "")
