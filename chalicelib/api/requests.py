"""Reading a request: its JSON body (bounded), its caller, its headers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.blog.tokens import Principal, verify_jwt
from chalicelib.errors import BadRequest, PayloadTooLarge, Unauthenticated
from chalicelib.services import services

if TYPE_CHECKING:
    from chalice.app import Request

MAX_BODY_BYTES = 1024 * 1024


def json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body is larger than {MAX_BODY_BYTES // 1024} KiB")
    if not raw.strip():
        raise BadRequest("the request needs a JSON body", {"body": ["is empty"]})
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the request body is not valid JSON: {error}", {"body": ["is not valid JSON"]}) from None


def query(request: Request) -> dict[str, str]:
    """Query parameters; a repeated name keeps its last value."""
    return dict(request.query_params or {})


def header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return value if value else None


def caller(request: Request) -> Principal | None:
    """The signed-in caller, or None; a present but bad token is refused, not ignored."""
    authorization = header(request, "authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    settings = services().settings
    return verify_jwt(token.strip(), settings.jwt_secret, settings.admins)


def signed_in(request: Request) -> Principal:
    principal = caller(request)
    if principal is None:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return principal


def post_location(slug: str) -> str:
    return "/posts/" + quote(slug, safe="")
