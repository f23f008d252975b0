"""Opaque page cursors: a DynamoDB LastEvaluatedKey, signed and bound to its list.

The signature stops a client from steering a Query to keys it was never given;
the scope (which list, which filters) stops a cursor from one list being
replayed against another. Either mistake is the caller's: a 400, never a 500.

Wire format: "<payload>.<signature>", the payload the key as compact JSON in
unpadded base64url, the signature 16 bytes of HMAC over "cursor|<scope>|<payload>"
(chalicelib.signing), also unpadded base64url.
"""

from __future__ import annotations

import base64
import json

from chalicelib import signing
from chalicelib.errors import BadRequest
from chalicelib.patterns import lazy

_MAX_CURSOR_LENGTH = 2048
_CURSOR = "cursor"
_SIGNATURE_BYTES = 16
# Scopes contain "|", so the payload must not: otherwise a cursor signed for
# scope "a|b" would pass the signature check of scope "a" with "b|" prefixed
# to its payload. Issued payloads are base64url, so this refuses none of them.
_PAYLOAD = lazy(r"[A-Za-z0-9_-]+")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(last_key: dict[str, str] | None, scope: str, key: bytes) -> str | None:
    if last_key is None:
        return None
    payload = _b64(json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{signing.sign(key, _CURSOR, scope, payload, size=_SIGNATURE_BYTES)}"


def decode(cursor: str | None, scope: str, key: bytes) -> dict[str, str] | None:
    if not cursor:
        return None
    refused = BadRequest("cursor is not valid for this list; start again without it",
                         {"cursor": ["not a cursor this list issued"]})
    if len(cursor) > _MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise refused
    payload, signature = cursor.split(".")
    if not _PAYLOAD.fullmatch(payload) or not signing.verify(
            key, signature, _CURSOR, scope, payload, size=_SIGNATURE_BYTES):
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
