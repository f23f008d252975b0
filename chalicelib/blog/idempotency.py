"""Idempotency-Key: a retried request within 24 h gets the first response and creates nothing.

The record is written in the same transaction as what the request creates,
under a condition that it does not exist yet; so of two racing requests with
one key exactly one creates, and the other finds the record and replays it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.errors import Invalid
from chalicelib.patterns import lazy
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, Write, put

LIFETIME_SECONDS = 24 * 3600
_KEY = lazy(r"^[\x21-\x7e]{1,128}$")


class ClaimTaken(Exception):
    """A twin request with the same key wrote its record first; ``stored`` is that record."""

    def __init__(self, stored: Item | None) -> None:
        super().__init__("the idempotency key was claimed by another request")
        self.stored = stored


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Claim:
    """One request's claim on an idempotency key, within a scope (who sent it, where)."""

    __slots__ = ("fingerprint", "key")

    def __init__(self, key: Key, fingerprint: str) -> None:
        self.key = key
        self.fingerprint = fingerprint

    @classmethod
    def of(cls, header: str | None, scope: str, payload: Any) -> Claim | None:
        if header is None:
            return None
        if not _KEY.match(header):
            raise Invalid.field("Idempotency-Key", "must be 1 to 128 printable ASCII characters without spaces")
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return cls(keys.idempotency(scope, header), hashlib.sha256(canonical.encode()).hexdigest())

    def replay(self, stored: Item | None, now: int) -> dict[str, Any] | None:
        """The first response, if this key was used for this same request; refuse another request."""
        if stored is None or int(stored["expires"]) < now:
            return None
        if stored["fingerprint"] != self.fingerprint:
            raise Invalid.field("Idempotency-Key", "was already used for a different request; use a new key")
        replayed: dict[str, Any] = json.loads(stored["response"])
        return replayed

    def record(self, response: dict[str, Any], now: int) -> Write:
        """The record, to ride in the transaction of what the request creates; refused with ClaimTaken."""
        expires = now + LIFETIME_SECONDS
        return put(
            {**self.key, "fingerprint": self.fingerprint, "response": json.dumps(response, ensure_ascii=False),
             "expires": expires, "ttl": expires + 60},
            "attribute_not_exists(PK) OR expires < :now", refusal=ClaimTaken, now=now,
        )
