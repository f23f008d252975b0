"""Opaque page cursors: a DynamoDB LastEvaluatedKey, signed and bound to its list.

The signature stops a client from steering a Query to keys it was never given;
the scope (which list, which filters) stops a cursor from one list being
replayed against another. Either mistake is the caller's: a 400, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chalicelib.errors import BadRequest

_MAX_CURSOR_LENGTH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, scope: str, payload: str) -> str:
    digest = hmac.new(key, f"cursor|{scope}|{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest[:16])


def encode(last_key: dict[str, str] | None, scope: str, key: bytes) -> str | None:
    if last_key is None:
        return None
    payload = _b64(json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_signature(key, scope, payload)}"


def decode(cursor: str | None, scope: str, key: bytes) -> dict[str, str] | None:
    if not cursor:
        return None
    refused = BadRequest("cursor is not valid for this list; start again without it",
                         {"cursor": ["not a cursor this list issued"]})
    if len(cursor) > _MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise refused
    payload, signature = cursor.split(".")
    if not hmac.compare_digest(signature, _signature(key, scope, payload)):
        raise refused
    try:
        decoded = json.loads(_unb64(payload))
    except ValueError:
        raise refused from None
    if not isinstance(decoded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()
    ):
        raise refused
    return decoded
