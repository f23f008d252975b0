"""Anti-spam for anonymous comments: local checks, and writes that ride in the comment's transaction.

Local checks (honeypot, form token, links, blocked words) cost nothing. The
rate limit, the duplicate guard and the spending of the form token (a token
sends one comment) are conditional writes added to the same
TransactWriteItems as the comment, so they add no round trip: when one of
their conditions fails the whole transaction is cancelled, and the store
raises the refusal that write carries (429, or 409 for a duplicate or a spent token).

An address is kept only as a salted hash; windows and duplicate guards expire
through DynamoDB's TTL.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from chalicelib import signing
from chalicelib.blog import reader_text, rendering
from chalicelib.errors import Conflict, Invalid, RateLimited
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Write, put, update

HONEYPOT_FIELD = "homepage"
FORM_TOKEN_FIELD = "form_token"
FORM_TOKEN_LIFETIME_SECONDS = 24 * 3600
_MARKUP = lazy(r"[*_~`]+")
# "<issued, ASCII digits>.<nonce, hex>.<HMAC, 16 bytes, hex>" (tokens issued before the nonce have none).
# The digits are bounded because str.isdigit() accepts "²" and int() refuses more than 4300 digits.
_FORM_TOKEN = lazy(r"([0-9]{1,12})\.(?:([0-9a-f]{16})\.)?(.*)", re.DOTALL)
_NONCE_BYTES = 8
# Keyed hashes and form signatures: 16 bytes of HMAC as hex (32 characters).
_HASH_BYTES = 16


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class AntiSpam:
    __slots__ = ("key", "previous_key", "settings")

    def __init__(self, settings: Settings, key: bytes, previous_key: bytes | None = None) -> None:
        self.settings = settings
        self.key = key
        # HASH_KEY_PREVIOUS's key, during a rotation's grace period: e-mail hashes stored before it still match.
        self.previous_key = previous_key

    # -- identities -----------------------------------------------------------

    def address_hash(self, address: str) -> str:
        return signing.keyed_hash(self.key, "address", address, size=_HASH_BYTES)

    def email_hash(self, email: str) -> str:
        return email_hash(self.key, email)

    def previous_email_hash(self, email: str) -> str | None:
        """The e-mail's hash under the key before the last rotation, while it is kept; None after."""
        return email_hash(self.previous_key, email) if self.previous_key else None

    def email_hashes(self, email: str) -> list[str]:
        """The e-mail's hash now, then the one from before the last rotation (when kept): what stored hashes may be."""
        previous = self.previous_email_hash(email)
        current = self.email_hash(email)
        return [current] if previous in (None, current) else [current, str(previous)]

    # -- the comment form ---------------------------------------------------------

    def form_token(self, slug: str, now: int) -> str:
        # A random nonce: two readers who load a form in the same second get tokens of their own.
        nonce = secrets.token_hex(_NONCE_BYTES)
        return f"{now}.{nonce}.{self._form_signature(slug, now, nonce)}"

    def _form_signature(self, slug: str, issued: int, nonce: str) -> str:
        return signing.sign(self.key, "form", slug, str(issued), nonce, size=_HASH_BYTES, encoding="hex")

    def check_form(self, slug: str, token: str | None, honeypot: str | None, now: int) -> Write | None:
        """The form's checks; for a valid token, the write that spends it (it rides in the comment's transaction)."""
        if honeypot:
            raise Invalid.field(HONEYPOT_FIELD, "must be left empty (it is a trap for robots)")
        if token is None:
            if self.settings.require_form_token:
                raise Invalid.field(FORM_TOKEN_FIELD, "is required: load the comment form first")
            return None
        shape = _FORM_TOKEN.fullmatch(token)
        # A token issued before tokens had a nonce signs no nonce; it is spent all the same.
        signed = () if shape is None or shape[2] is None else (shape[2],)
        if shape is None or not signing.verify(self.key, shape[3], "form", slug, str(int(shape[1])), *signed,
                                               size=_HASH_BYTES, encoding="hex"):
            raise Invalid.field(FORM_TOKEN_FIELD, "is not a form token for this post; reload the form")
        issued = int(shape[1])
        age = now - issued
        if age > FORM_TOKEN_LIFETIME_SECONDS:
            raise Invalid.field(FORM_TOKEN_FIELD, "has expired; reload the form")
        if age < self.settings.min_form_seconds:
            raise RateLimited("that was quicker than anyone types; wait a moment and send it again",
                              self.settings.min_form_seconds - age)
        spent = Conflict("this comment form was already used to send a comment; reload the form to send another",
                         {FORM_TOKEN_FIELD: ["was already used; reload the form to send another comment"]})
        # Kept as long as the token could still be sent: after that its age refuses it anyway.
        return put({**keys.form_token_used(shape[3]), "ttl": issued + FORM_TOKEN_LIFETIME_SECONDS + 60},
                   "attribute_not_exists(PK)", refusal=spent)

    # -- content ------------------------------------------------------------------

    def check_content(self, body_html: str, *texts: str) -> None:
        links = rendering.count_links(body_html)
        if links > self.settings.max_links:
            raise Invalid.field("body", f"has {links} links; a comment may have at most {self.settings.max_links}")
        if self.settings.blocked_words:
            # Compared as a reader sees them: a word spelled around the rule is the word (blog/reader_text.py).
            blocked = reader_text.blocked_forms(self.settings.blocked_words)
            if any(reader_text.words(text) & blocked for text in texts):
                raise Invalid("the comment contains words this blog does not accept", {"body": ["is not accepted"]})

    # -- writes that ride in the comment's transaction -------------------------------

    def rate_limit(self, address_hash: str, now: int) -> Write:
        """Count this comment (or edit) in its address's window; refused (429) once the window is full."""
        return rate_window(keys.rate_window(address_hash, now // self.settings.comment_rate_limit[1]),
                           self.settings.comment_rate_limit, "comments from one address", now)

    def vote_rate_limit(self, address_hash: str, now: int) -> Write:
        """Count a vote in its address's vote window (apart from comments'); refused (429) once it is full."""
        return rate_window(keys.vote_rate_window(address_hash, now // self.settings.vote_rate_limit[1]),
                           self.settings.vote_rate_limit, "votes from one address", now)

    def duplicate_guard(self, slug: str, body: str, now: int) -> Write:
        """Claim this body on this post for the duplicate window (a lapsed claim may be taken again)."""
        digest = body_digest(body)
        expires = now + self.settings.duplicate_window_seconds
        refusal = Conflict("the same comment was just posted here; it is not posted twice",
                           {"body": ["duplicates a recent comment on this post"]})
        return put({**keys.duplicate(slug, digest), "expires": expires, "ttl": expires + 60},
                   "attribute_not_exists(PK) OR expires < :now", refusal=refusal, now=now)


def body_digest(body: str) -> str:
    """What two bodies a reader cannot tell apart share: their text folded (blog/reader_text.py), spacing and
    Markdown emphasis taken out."""
    seen = "".join(_MARKUP.sub("", reader_text.comparable(body)).split())
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def email_hash(key: bytes, email: str) -> str:
    """The keyed hash an e-mail is known by in the table (``key``: HASH_KEY's "anti-spam" key)."""
    return signing.keyed_hash(key, "email", email.strip().lower(), size=_HASH_BYTES)


def rate_window(key: Key, limit: tuple[int, int], what: str, now: int) -> Write:
    """Add one to a rate window item (``key`` names the window ``now`` falls in); refused (429) once it holds ``limit``.

    The item expires by TTL after its window. A limit of 0 refuses every attempt
    (sign-ups closed): no window item may be counted then. A refused attempt
    adds nothing, so hammering a full window does not make it last longer.
    """
    allowed, seconds = limit
    window_end = (now // seconds + 1) * seconds
    retry_after = window_end - now
    refusal = RateLimited(f"at most {allowed} {what} every {seconds} s; try again in {retry_after} s", retry_after)
    condition = "attribute_not_exists(#n) OR #n < :allowed" if allowed else "attribute_exists(#n) AND #n < :allowed"
    return update(key, "ADD #n :one SET #ttl = :ttl", condition, {"#n": "count", "#ttl": "ttl"}, refusal=refusal,
                  one=1, ttl=window_end + 60, allowed=allowed)
