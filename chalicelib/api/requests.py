"""Reading a request: its JSON body (bounded), its caller, its headers."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from chalicelib.blog.tokens import ADMIN, Principal, verify_jwt
from chalicelib.errors import BadRequest, PayloadTooLarge, Unauthenticated
from chalicelib.services import services

if TYPE_CHECKING:
    from chalice.app import Request

MAX_BODY_BYTES = 1024 * 1024


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise ValueError(f"{name} is not a JSON value")


def json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if isinstance(raw, str):  # typed loosely by Chalice; measured and searched as bytes here
        raw = raw.encode("utf-8", "surrogateescape")
    if len(raw) > MAX_BODY_BYTES:
        limit = f"{MAX_BODY_BYTES // 1024} KiB"
        raise PayloadTooLarge(f"the request body is larger than {limit}", {"body": [f"must be at most {limit}"]})
    if not raw.strip():
        raise BadRequest("the request needs a JSON body", {"body": ["is empty"]})
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        # A megabyte of "[" nests deeper than the parser recurses; no request needs that.
        raise BadRequest("the request body nests too deeply", {"body": ["nests too deeply"]}) from None
    except ValueError as error:  # UnicodeDecodeError included
        raise BadRequest(f"the request body is not valid JSON: {error}", {"body": ["is not valid JSON"]}) from None
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(value):
        raise BadRequest("the request body is not valid JSON: it has a lone UTF-16 surrogate escape",
                         {"body": ["is not valid Unicode"]})
    return value


def is_form(request: Request) -> bool:
    """Whether the body is an HTML form's (application/x-www-form-urlencoded)."""
    return (header(request, "content-type") or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def form_or_json_body(request: Request) -> Any:
    """A JSON body, or an HTML form's fields as a dict of their last values."""
    if not is_form(request):
        return json_body(request)
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge("the request body is too large", {"body": ["is too large"]})
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form is not valid UTF-8 fields", {"body": ["is not a valid form"]}) from None


# Only a "\uD800".."\uDFFF" escape can put a lone surrogate in parsed JSON (the
# UTF-8 decoder refuses encoded ones); such a string cannot be stored, rendered
# or even echoed back in an error, so it is refused here, once, for every field.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def query(request: Request) -> dict[str, str]:
    """Query parameters; a repeated name keeps its last value."""
    return dict(request.query_params or {})


def source_address(request: Request) -> str:
    """The caller's IP address as API Gateway saw it (kept only as a salted hash)."""
    identity = request.context.get("identity") or {}
    return str(identity.get("sourceIp") or "")


def header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return value if value else None




def caller(request: Request, *, account_read_by_service: bool = False) -> Principal | None:
    """The signed-in caller, or None; a present but bad token is refused, not ignored.

    A signature proves who issued the token, not that it still stands: every
    request with a token is checked against the account (its id, token_version
    and role; one GetItem), so a role change, a new password, signing out
    everywhere or deleting the account takes effect at once, and a token never
    passes for the next owner of a deleted account's name (it names the old
    account's id). Reads are checked too: a token personalises them (favorites,
    follows, one's own held comments), which must be the holder's own.
    ``account_read_by_service``: the service reads the account in a read it
    makes anyway (a new comment's BatchGetItem, the account's own routes, the
    RealWorld reads' relations BatchGetItem: blog/social.py), so
    the check costs no round trip; not for an admin's token, which lifts limits
    before that read.
    """
    authorization = header(request, "authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    settings = services().settings
    principal = verify_jwt(token.strip(), settings.jwt_secret, settings.admins)
    if account_read_by_service and principal.role != ADMIN:
        return principal
    return services().accounts.current(principal)


def signed_in(request: Request, *, account_read_by_service: bool = False) -> Principal:
    principal = caller(request, account_read_by_service=account_read_by_service)
    if principal is None:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <token>'")
    return principal


def post_location(slug: str) -> str:
    return "/posts/" + quote(slug, safe="")
