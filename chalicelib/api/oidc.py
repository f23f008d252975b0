"""Sign-in with OpenID Connect over HTTP: the providers, the redirect to one, its answer, and the session."""

from __future__ import annotations

from typing import Any

from chalice.app import Request, Response

from chalicelib.api.requests import json_body, query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

oidc = ApiBlueprint(__name__)


@oidc.route("/auth/oidc/providers", methods=["GET"], cache="list")
def oidc_providers() -> dict[str, Any]:
    return services().oidc_sign_in.providers()


@oidc.route("/auth/oidc/{provider}/start", methods=["GET"])
def oidc_start(provider: str) -> Response:
    request = oidc.current_request
    target, browser = services().oidc_sign_in.start(provider, query(request), _cookie(request))
    return _redirect(target, {"Set-Cookie": _binding_cookie(browser, services().settings.api_url)})


@oidc.route("/auth/oidc/{provider}/callback", methods=["GET"])
def oidc_callback(provider: str) -> Response:
    request = oidc.current_request
    return _redirect(services().oidc_sign_in.callback(provider, query(request), _cookie(request)))


@oidc.route("/auth/oidc/session", methods=["POST"])
def oidc_session() -> dict[str, Any]:
    return services().oidc_sign_in.sign_in(json_body(oidc.current_request))


def _redirect(location: str, headers: dict[str, str] | None = None) -> Response:
    # No Referer to the issuer or back to the page: the URLs carry the state and the code.
    return Response(body="", status_code=302, headers={"Location": location, "Referrer-Policy": "no-referrer",
                                                        **(headers or {})})


def _cookie(request: Request) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    from chalicelib.blog.oidc_sign_in import COOKIE

    raw = request.headers.get("cookie") or ""
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


def _binding_cookie(value: str, api_url: str) -> str:
    """The browser's binding: HttpOnly (no script reads it), Lax (sent on the issuer's top-level redirect back), for
    as long as a sign-in may take; Secure wherever the API is https."""
    from chalicelib.blog.oidc_sign_in import COOKIE, STATE_SECONDS

    secure = "; Secure" if api_url.startswith("https://") else ""
    return f"{COOKIE}={value}; Max-Age={STATE_SECONDS}; Path=/; HttpOnly; SameSite=Lax{secure}"
