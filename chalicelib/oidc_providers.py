"""OIDC_PROVIDERS and OIDC_CLIENT_SECRETS: the OpenID Connect issuers a stage signs readers in with.

Parsed when the settings load (every cold start), so this module imports nothing beyond what settings already
do; the sign-in itself (blog/oidc_sign_in.py, with authlib) is imported on the first request that needs it.

``OIDC_PROVIDERS``: entries separated by ``;``, each ``<name>|<display name>|<issuer URL>|<client id>``. The name is
the provider's place in the API's paths (``/auth/oidc/<name>/start``), so it is short and plain; the issuer is read
by discovery (``<issuer>/.well-known/openid-configuration``). ``github:<base URL>`` in place of the issuer is
GitHub-style OAuth 2 (``github:https://github.com``, or a GitHub Enterprise server's address), which has no id_token.
``OIDC_CLIENT_SECRETS``: ``<name>=<secret>`` pairs
separated by spaces; a provider without one is a public client, which PKCE alone protects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from chalicelib.errors import ConfigurationError
from chalicelib.patterns import lazy
from chalicelib.setting_kinds import Kind
from chalicelib.values import Value

_NAME = lazy(r"^[a-z0-9][a-z0-9-]{0,31}$")
_CLIENT_ID = lazy(r"^[\x21-\x7e]{1,200}$")
MAX_PROVIDERS: Final = 10
MAX_DISPLAY: Final = 40


class OidcProvider(Value):
    """One configured issuer: its name in paths, the name readers see, its issuer URL, our client there."""

    __slots__ = ("client_id", "client_secret", "display_name", "issuer", "kind", "name")

    def __init__(self, *, name: str, display_name: str, issuer: str, client_id: str, client_secret: str = "",
                 kind: str = "oidc") -> None:
        self.name: Final = name
        # "oidc" (discovery, an id_token) or "github" (GitHub-style OAuth 2: no id_token, its user API instead).
        self.kind: Final = kind
        self.display_name: Final = display_name
        self.issuer: Final = issuer
        self.client_id: Final = client_id
        self.client_secret: Final = client_secret

    def __repr__(self) -> str:
        # Never the secret, should a provider reach a log.
        return f"OidcProvider(name={self.name!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"


def issuer_problem(url: str) -> str | None:
    """Why ``url`` cannot be an issuer, or None: https (http only to this machine, for tests), no query."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not a URL"
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.username or parts.query \
            or parts.fragment or any(c.isspace() or c in "\"\\<>" for c in url):
        return "must be an https URL with no query (http only to 127.0.0.1 or localhost)"
    return None


def parse_providers(raw: str, variable: str) -> tuple[OidcProvider, ...]:
    providers: list[OidcProvider] = []
    for entry in (e.strip() for e in raw.split(";")):
        if not entry:
            continue
        parts = [p.strip() for p in entry.split("|")]
        if len(parts) != 4:
            raise ConfigurationError(f"{variable}: {entry!r} must be <name>|<display name>|<issuer URL>|<client id>")
        name, display, issuer, client_id = parts
        kind = "github" if issuer.startswith("github:") else "oidc"
        issuer = issuer.removeprefix("github:")
        if not _NAME.match(name):
            raise ConfigurationError(f"{variable}: the name {name!r} must be 1 to 32 lowercase letters, digits or '-'")
        if not display or len(display) > MAX_DISPLAY or not display.isprintable():
            raise ConfigurationError(f"{variable}: {name}'s display name must be 1 to {MAX_DISPLAY} printable "
                                     "characters")
        problem = issuer_problem(issuer)
        if problem:
            raise ConfigurationError(f"{variable}: {name}'s issuer {issuer!r} {problem}")
        if not _CLIENT_ID.match(client_id):
            raise ConfigurationError(f"{variable}: {name}'s client id must be 1 to 200 visible ASCII characters")
        if any(p.name == name for p in providers):
            raise ConfigurationError(f"{variable}: {name} is named twice")
        providers.append(OidcProvider(name=name, display_name=display, issuer=issuer.rstrip("/"),
                                      client_id=client_id, kind=kind))
    if len(providers) > MAX_PROVIDERS:
        raise ConfigurationError(f"{variable}: at most {MAX_PROVIDERS} providers")
    return tuple(providers)


class _Secrets(Kind[tuple[OidcProvider, ...]]):
    """OIDC_CLIENT_SECRETS, read after OIDC_PROVIDERS: the providers again, each with its secret."""

    __slots__ = ()

    def read(self, raw: str, variable: str, earlier: Mapping[str, Any]) -> tuple[OidcProvider, ...]:
        providers: tuple[OidcProvider, ...] = earlier["oidc_providers"]
        secrets: dict[str, str] = {}
        for pair in raw.split():
            name, equals, secret = pair.partition("=")
            if not equals or not secret:
                raise ConfigurationError(f"{variable}: each entry must be <provider name>=<secret>")
            if all(p.name != name for p in providers):
                raise ConfigurationError(f"{variable}: {name!r} is not a provider of OIDC_PROVIDERS")
            secrets[name] = secret
        return tuple(p.replace(client_secret=secrets.get(p.name, "")) for p in providers)


PROVIDERS: Final = Kind("providers", parse_providers)
CLIENT_SECRETS: Final = _Secrets("secret", lambda raw, name: ())
