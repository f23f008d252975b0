"""Steps for OpenID Connect sign-in: two real issuers on local ports, and a reader's browser between them and the API.

- ``mock_issuer``: oidc-provider-mock from PyPI, a real OpenID provider (discovery, authorize form, token endpoint,
  JWKS, RS256 id_tokens) in a thread.
- ``Forger``: an issuer of our own, for what a well-behaved provider never does: its token endpoint answers the
  id_token a test made (another issuer, another audience, expired, signed by another key, another nonce), signed
  with a key its JWKS serves. It also checks PKCE as an issuer must: the verifier sent to its token endpoint has to
  hash to the challenge its authorize URL was given.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.conftest import Api, Reply

CLIENT_ID = "blog-client"
POST_PAGE = "https://blog.test.example/posts/hello"


@contextmanager
def mock_issuer(*users: tuple[str, dict[str, Any]]) -> Iterator[str]:
    """oidc-provider-mock on a free port, with ``users`` (sub, claims) to choose from; yields its issuer URL."""
    from oidc_provider_mock import User, run_server_in_thread

    with run_server_in_thread(user_claims=[User(sub=sub, claims=claims) for sub, claims in users]) as server:
        yield f"http://localhost:{server.server_port}"


class Forger:
    """An issuer whose token endpoint answers what ``answer`` makes of the authorize request's parameters."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "good", "use": "sig", "alg": "RS256"})
        self.issuer = ""
        self.challenges: dict[str, str] = {}  # code -> the PKCE challenge its authorize request carried
        self.token_requests: list[dict[str, str]] = []
        self.answer: Callable[[dict[str, str]], dict[str, Any]] = lambda sent: {"error": "not set up"}

    def id_token(self, claims: dict[str, Any], key: RSAKey | None = None, alg: str = "RS256") -> str:
        signing_key = key or self.key
        return jwt.encode({"alg": alg, "kid": signing_key.kid}, claims, signing_key)

    def good_claims(self, sent_nonce: str, now: int, **changes: Any) -> dict[str, Any]:
        """The claims a good issuer would sign for this sign-in, with ``changes`` (None: the claim left out)."""
        claims = {"iss": self.issuer, "sub": "forged-sub", "aud": CLIENT_ID, "exp": now + 300, "iat": now,
                  "nonce": sent_nonce, "email": "reader@idp.example", "email_verified": True,
                  "preferred_username": "idreader"}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    @contextmanager
    def serve(self) -> Iterator[Forger]:
        forger = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": forger.issuer, "authorization_endpoint": f"{forger.issuer}/authorize",
                                     "token_endpoint": f"{forger.issuer}/token", "jwks_uri": f"{forger.issuer}/jwks",
                                     "id_token_signing_alg_values_supported": ["RS256"]})
                elif path == "/jwks":
                    self._json(200, KeySet([forger.key]).as_dict(private=False))
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                sent = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                forger.token_requests.append(sent)
                challenge = forger.challenges.get(sent.get("code", ""))
                digest = hashlib.sha256(sent.get("code_verifier", "").encode()).digest()
                if challenge is None or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                    self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
                    return
                answer = forger.answer(sent)
                self._json(400 if "error" in answer else 200, answer)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


class Browser:
    """A reader's browser as the API sees it: the binding cookie kept between start and callback."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.cookie = ""

    def start(self, provider: str = "mock", return_to: str = POST_PAGE) -> Reply:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        reply = self.api.get(f"/auth/oidc/{provider}/start?return_to={_quoted(return_to)}", headers=headers)
        cookie = reply.headers.get("set-cookie", "")
        if cookie:
            self.cookie = cookie.split(";")[0]
        return reply

    def callback(self, query: str, provider: str = "mock", cookie: str | None = None) -> Reply:
        sent = self.cookie if cookie is None else cookie
        return self.api.get(f"/auth/oidc/{provider}/callback?{query}", headers={"Cookie": sent} if sent else {})


def authorize_params(reply: Reply) -> dict[str, str]:
    """The parameters of the authorize URL a start answered with."""
    assert reply.status == 302, reply.body
    return {k: v[-1] for k, v in parse_qs(urlsplit(reply.headers["location"]).query).items()}


def handoff_of(reply: Reply) -> str:
    """The hand-off in the fragment of the page a callback sends the browser back to."""
    assert reply.status == 302, reply.body
    location = reply.headers["location"]
    assert location.startswith(POST_PAGE + "#blog-oidc="), location
    return location.split("#blog-oidc=", 1)[1]


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


class FakeGitHub:
    """GitHub's OAuth endpoints and user API as GitHub Enterprise lays them out (``/login/oauth/…``,
    ``/api/v3/…``), on a local port: its token endpoint checks PKCE as the forger's does; ``emails`` is what
    ``/user/emails`` answers."""

    def __init__(self) -> None:
        self.base = ""
        self.challenges: dict[str, str] = {}
        self.emails: list[dict[str, Any]] = [{"email": "octo@gh.example", "primary": True, "verified": True}]
        self.user = {"id": 583231, "login": "octo-reader"}

    @contextmanager
    def serve(self) -> Iterator[FakeGitHub]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.headers.get("Authorization") != "Bearer gho_token":
                    self._json(401, {"message": "Bad credentials"})
                elif self.path == "/api/v3/user":
                    self._json(200, fake.user)
                elif self.path == "/api/v3/user/emails":
                    self._json(200, fake.emails)
                else:
                    self._json(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                sent = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                digest = hashlib.sha256(sent.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if fake.challenges.get(sent.get("code", "")) != challenge or sent.get("client_secret") != "gh-secret":
                    self._json(200, {"error": "bad_verification_code"})  # GitHub answers its errors with 200
                    return
                self._json(200, {"access_token": "gho_token", "token_type": "bearer", "scope": "read:user,user:email"})

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
