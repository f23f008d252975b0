"""Password hashing with scrypt, a memory-hard KDF from the standard library.

The stored form carries its own parameters ("scrypt$<log2 N>$<r>$<p>$<salt>$<hash>"),
so the cost can rise later without breaking existing accounts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_R, _P, _LENGTH = 8, 1, 32


def hash_password(password: str, cost: int) -> str:
    salt = os.urandom(16)
    digest = _derive(password, salt, cost, _R, _P)
    return "$".join(["scrypt", str(cost), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, cost, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(cost), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _derive(password: str, salt: bytes, cost: int, r: int, p: int) -> bytes:
    n = 2**cost
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=_LENGTH, maxmem=256 * n * r + 2**20
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
