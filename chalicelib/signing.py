"""HMAC-SHA256 signing for every token the blog issues outside JWTs, written once.

Edit tokens, page cursors, comment-form tokens, unsubscribe links, the keyed
hashes of addresses and e-mails, and the per-purpose keys themselves all used to
call ``hmac.new`` each in their own way, and ``hmac.compare_digest`` raises
TypeError on a non-ASCII str: a hostile cursor was a 500 instead of a 400. Here
there is one ``verify`` that answers False, never raises, whatever it is given.

Wire format: the message is ``purpose|part|part...`` (UTF-8), the MAC is the
first ``size`` bytes of the HMAC-SHA256 digest, written as unpadded base64url or
as lower-case hex. That is exactly what each token kind did before, so every
token already issued (and every stored hash) still verifies and matches.

Domain separation comes from two places: each use has its own key
(``derive_key`` with its own purpose, or a secret of its own), and its own
``purpose`` as the first part of the message. Parts are joined with "|" as the
old tokens were, which is only unambiguous when at most one part can contain
"|": a caller verifying an attacker's text keeps it to one part whose alphabet
excludes "|" (cursors check their payload is base64url before verifying).

Imports nothing from the blog or the store, so every layer may use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Literal

Encoding = Literal["base64url", "hex"]

SEPARATOR = "|"
DIGEST_SIZE = hashlib.sha256().digest_size  # 32


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, from a deployment secret: one secret less to manage per token kind.

    It is HMAC(secret, purpose); the purposes in use are "cursor-signing" (of
    EDIT_TOKEN_KEY, which signs edit tokens itself), "anti-spam" and
    "sign-in-limits" (of HASH_KEY), "unsubscribe-links" and "confirm-links" (of MAIL_LINK_KEY).
    """
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _check_size(size: int) -> None:
    if not 1 <= size <= DIGEST_SIZE:
        raise ValueError(f"a signature is 1 to {DIGEST_SIZE} bytes of the digest, not {size}")


def _mac(key: bytes, purpose: str, parts: tuple[str, ...], size: int) -> bytes:
    message = SEPARATOR.join((purpose, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:size]


def _text(mac: bytes, encoding: Encoding) -> str:
    if encoding == "hex":
        return mac.hex()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def sign(key: bytes, purpose: str, *parts: str, size: int = DIGEST_SIZE,
         encoding: Encoding = "base64url") -> str:
    """The signature of ``purpose|parts...``: ``size`` bytes of HMAC-SHA256, as ``encoding`` text.

    ``size`` is explicit because the token kinds differ and a token's value must
    never change: cursors and links keep 16 bytes (still 128 bits to forge) to
    stay short, edit tokens keep all 32.
    """
    _check_size(size)
    return _text(_mac(key, purpose, parts, size), encoding)


def verify(key: bytes, signature: object, purpose: str, *parts: str, size: int = DIGEST_SIZE,
           encoding: Encoding = "base64url") -> bool:
    """Whether ``signature`` is ``sign(key, purpose, *parts, size=size, encoding=encoding)``.

    In constant time for a signature of the right length. Never raises on what
    a caller sent: a non-str, non-ASCII text (which ``compare_digest`` would
    raise on), a wrong length, garbage, or parts that cannot be encoded (a lone
    surrogate) are all simply False. Only a ``size`` outside 1..32, a
    programming error, raises.
    """
    _check_size(size)
    if not isinstance(signature, str) or not signature.isascii():
        return False
    try:
        expected = _text(_mac(key, purpose, parts, size), encoding)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(signature.encode("ascii"), expected.encode("ascii"))


def keyed_hash(key: bytes, purpose: str, *parts: str, size: int = 16) -> str:
    """A stable pseudonym for ``parts`` (hex): comparable and storable, not reversible without the key.

    Used for client addresses and commenters' e-mails, which are kept only
    hashed. Keyed so that the hash of a known e-mail cannot be computed by
    someone who reads the table. It is the same MAC as ``sign``, as hex.
    """
    return sign(key, purpose, *parts, size=size, encoding="hex")
