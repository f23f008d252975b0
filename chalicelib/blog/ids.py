"""ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford base32.

They sort by creation time, so comments keyed by ULID list oldest first with
no extra index. Within one millisecond the order is random, which is fine for
comments made by different people at the same instant. The time is the blog's
clock (clock.py), so an id sorts with the created_at written beside it.
"""

from __future__ import annotations

import os

from chalicelib.blog import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26


def new_ulid() -> str:
    return ulid(int(clock.now().timestamp() * 1000), os.urandom(10))


def ulid(millis: int, randomness: bytes) -> str:
    """The ULID of a time (ms since 1970) and 10 bytes: random for new ids, a digest for imported ones."""
    value = millis << 80 | int.from_bytes(randomness[:10], "big")
    chars = []
    for _ in range(ULID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(text: str) -> bool:
    return len(text) == ULID_LENGTH and all(c in _ALPHABET for c in text) and text[0] <= "7"
