"""The OpenID Connect relying party's side of the protocol: discovery, the authorization URL, the code exchanged
with its PKCE verifier, and the id_token checked (signature by the issuer's JWKS, iss, aud, exp, nonce).

authlib builds the request (its grant URI, PKCE's S256 challenge) and checks the id_token's claims; joserfc
(authlib's JOSE library) verifies its signature. Both are imported inside the calls, since only a sign-in needs
them: a cold start that serves comments never loads them. HTTP is the standard library's (the Lambda has no
``requests``), bounded in time and size, and only to https endpoints (http only to this machine, for tests).

Discovery documents and key sets are kept for the life of the process (a warm Lambda), a key set fetched again
once when a token names a key it does not hold (the issuer rotated its keys).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib import signin_libs
from chalicelib.errors import Forbidden, Unavailable
from chalicelib.oidc_providers import OidcProvider, issuer_problem

signin_libs.load()  # the sign-in libraries' folder in the package, before any import of them (Lambda)

if TYPE_CHECKING:
    from collections.abc import Mapping

TIMEOUT_SECONDS = 5
MAX_DOCUMENT_BYTES = 512 * 1024
SCOPES = "openid email profile"
# Asymmetric only: "none" and the HS family (keyed with the client secret) are never accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60


class OidcClient:
    """One process's view of the configured issuers."""

    def __init__(self) -> None:
        self._discovery: dict[str, dict[str, Any]] = {}
        self._key_sets: dict[str, Any] = {}

    # -- discovery -----------------------------------------------------------------------

    def discovery(self, provider: OidcProvider) -> dict[str, Any]:
        """The issuer's metadata; its ``issuer`` must be the one configured (OpenID Connect Discovery, 4.3)."""
        known = self._discovery.get(provider.issuer)
        if known is not None:
            return known
        document = _get_json(f"{provider.issuer}/.well-known/openid-configuration", provider)
        if document.get("issuer") != provider.issuer:
            raise Unavailable(f"{provider.display_name}'s discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or issuer_problem(value.split("?")[0]):
                raise Unavailable(f"{provider.display_name}'s discovery document has no usable {name}")
        self._discovery[provider.issuer] = document
        return document

    def authorization_url(self, provider: OidcProvider, redirect_uri: str, state: str, nonce: str,
                          verifier: str) -> str:
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        endpoint = str(self.discovery(provider)["authorization_endpoint"])
        return str(prepare_grant_uri(endpoint, provider.client_id, "code", redirect_uri=redirect_uri, scope=SCOPES,
                                     state=state, nonce=nonce, code_challenge=create_s256_code_challenge(verifier),
                                     code_challenge_method="S256"))

    # -- the code, exchanged -------------------------------------------------------------

    def exchange(self, provider: OidcProvider, code: str, redirect_uri: str, verifier: str) -> str:
        """The id_token the token endpoint answers for ``code``; a refusal there is the sign-in's refusal."""
        import base64
        from urllib.parse import quote, urlencode

        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        if provider.client_secret:
            # client_secret_basic (RFC 6749, 2.3.1): each part form-encoded, then base64.
            pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = provider.client_id
        endpoint = str(self.discovery(provider)["token_endpoint"])
        answer = _post_form(endpoint, urlencode(form).encode(), headers, provider)
        if "error" in answer or not isinstance(answer.get("id_token"), str):
            error = str(answer.get("error", "no id_token"))[:100]
            raise Forbidden(f"{provider.display_name} did not accept this sign-in ({error}); start again")
        return str(answer["id_token"])

    # -- the id_token, checked -----------------------------------------------------------

    def claims(self, provider: OidcProvider, id_token: str, nonce: str, now: int) -> dict[str, Any]:
        """The id_token's claims once its signature, issuer, audience, times and nonce all hold; else 403."""
        from authlib.oidc.core import CodeIDToken
        from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError

        refused = f"{provider.display_name}'s answer"
        try:
            token = self._decode(provider, id_token)
        except BadSignatureError:
            raise Forbidden(f"{refused} carries an id_token whose signature does not verify") from None
        except (JoseError, ValueError) as error:
            raise Forbidden(f"{refused} carries an id_token that cannot be read ({type(error).__name__})") from None
        options = {"iss": {"essential": True, "value": provider.issuer},
                   "aud": {"essential": True, "value": provider.client_id},
                   "sub": {"essential": True}, "exp": {"essential": True}}
        claims = CodeIDToken(token.claims, token.header, options,
                             params={"nonce": nonce, "client_id": provider.client_id})
        try:
            claims.validate(now=now, leeway=LEEWAY_SECONDS)
        except ExpiredTokenError:
            raise Forbidden(f"{refused} carries an expired id_token; start again") from None
        except ClaimError as error:
            claim = error.claim
            raise Forbidden(f"{refused} carries an id_token {_WHY.get(claim, f'whose {claim} claim is wrong')}") \
                from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 0 < len(subject) <= 255:
            raise Forbidden(f"{refused} carries an id_token without a usable subject")
        return dict(claims)

    def _decode(self, provider: OidcProvider, id_token: str) -> Any:
        from joserfc import jwt
        from joserfc.errors import InvalidKeyIdError

        allowed = self._algorithms(provider)
        try:
            return jwt.decode(id_token, self._key_set(provider, refresh=False), algorithms=allowed)
        except InvalidKeyIdError:
            pass
        # A key it does not hold: the issuer may have rotated its keys since they were fetched.
        return jwt.decode(id_token, self._key_set(provider, refresh=True), algorithms=allowed)

    def _algorithms(self, provider: OidcProvider) -> list[str]:
        offered = self.discovery(provider).get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [a for a in offered if a in ALGORITHMS] if isinstance(offered, list) else []
        if not allowed:
            raise Unavailable(f"{provider.display_name} signs id_tokens with no algorithm this blog accepts")
        return allowed

    def _key_set(self, provider: OidcProvider, *, refresh: bool) -> Any:
        from joserfc.jwk import KeySet

        uri = str(self.discovery(provider)["jwks_uri"])
        if refresh or uri not in self._key_sets:
            document = _get_json(uri, provider)
            try:
                self._key_sets[uri] = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError):
                raise Unavailable(f"{provider.display_name}'s key set cannot be read") from None
        return self._key_sets[uri]


class GitHubClient:
    """GitHub-style OAuth 2 (no id_token, no discovery): the code exchanged for an access token with the PKCE
    verifier, then the user API says who it is (``/user``) and which of its addresses GitHub verified
    (``/user/emails``). Its claims are shaped as an id_token's, so the sign-in treats both alike."""

    SCOPES = "read:user user:email"

    def authorization_url(self, provider: OidcProvider, redirect_uri: str, state: str, verifier: str) -> str:
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        return str(prepare_grant_uri(f"{provider.issuer}/login/oauth/authorize", provider.client_id, "code",
                                     redirect_uri=redirect_uri, scope=self.SCOPES, state=state,
                                     code_challenge=create_s256_code_challenge(verifier),
                                     code_challenge_method="S256"))

    def claims(self, provider: OidcProvider, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        from urllib.parse import urlencode

        form = {"client_id": provider.client_id, "client_secret": provider.client_secret, "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier}
        answer = _post_form(f"{provider.issuer}/login/oauth/access_token", urlencode(form).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                            provider)
        token = answer.get("access_token")
        if "error" in answer or not isinstance(token, str):
            error = str(answer.get("error", "no access token"))[:100]
            raise Forbidden(f"{provider.display_name} did not accept this sign-in ({error}); start again")
        # GitHub's own API is on api.github.com; a GitHub Enterprise server's under /api/v3.
        api = "https://api.github.com" if provider.issuer == "https://github.com" else f"{provider.issuer}/api/v3"
        asked = {"Accept": "application/vnd.github+json", "Authorization": f"Bearer {token}"}
        user = _fetch(f"{api}/user", None, asked, provider)
        emails = _fetch_list(f"{api}/user/emails", asked, provider)
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary") and e.get("verified")), None)
        if not isinstance(user.get("id"), int):
            raise Unavailable(f"{provider.display_name}'s user API did not say who signed in")
        claims: dict[str, Any] = {"sub": str(user["id"])}
        if isinstance(user.get("login"), str):
            claims["preferred_username"] = user["login"]
        if primary is not None and isinstance(primary.get("email"), str):
            claims.update(email=primary["email"], email_verified=True)
        return claims


_WHY = {"iss": "from another issuer", "aud": "issued to another client", "azp": "issued to another client",
        "nonce": "that does not answer this sign-in (its nonce differs)", "sub": "without a subject",
        "exp": "without an expiry", "nbf": "that is not valid yet", "iat": "issued in the future"}


def _get_json(url: str, provider: OidcProvider) -> dict[str, Any]:
    return _fetch(url, None, {"Accept": "application/json"}, provider)


def _post_form(url: str, body: bytes, headers: Mapping[str, str], provider: OidcProvider) -> dict[str, Any]:
    return _fetch(url, body, headers, provider)


def _fetch_list(url: str, headers: Mapping[str, str], provider: OidcProvider) -> list[Any]:
    """A JSON array (GitHub's list of addresses), read as ``_fetch`` reads an object."""
    return list(_fetch(url, None, headers, provider, array=True)["items"])


def _fetch(url: str, body: bytes | None, headers: Mapping[str, str], provider: OidcProvider, *,
           array: bool = False) -> dict[str, Any]:
    """One JSON answer; an issuer that cannot be reached, or answers something else than JSON, is a 502.

    A token endpoint's 400 (invalid_grant…) is JSON too, and returned: the caller reads its ``error``.
    """
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            raw = answer.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as refusal:
        if body is None or refusal.code >= 500:
            raise Unavailable(f"{provider.display_name} answered {refusal.code}; try again later") from None
        raw = refusal.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError):
        raise Unavailable(f"{provider.display_name} cannot be reached; try again later") from None
    try:
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise ValueError("too large")
        document = json.loads(raw)
    except ValueError:
        raise Unavailable(f"{provider.display_name} answered something that is not JSON") from None
    if array and isinstance(document, list):
        return {"items": document}
    if not isinstance(document, dict):
        raise Unavailable(f"{provider.display_name} answered something that is not a JSON object")
    return document
