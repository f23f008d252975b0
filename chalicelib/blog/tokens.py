"""Signed tokens: JWTs for accounts, HMAC edit tokens for comments."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib import signing
from chalicelib.blog import clock
from chalicelib.errors import Forbidden, Unauthenticated

READER, AUTHOR, ADMIN = "reader", "author", "admin"
ROLES = (READER, AUTHOR, ADMIN)
# "<expiry as ASCII digits>.<base64url HMAC, all 32 bytes>". Checked before
# anything else: str.isdigit() accepts "²" (which int() refuses), so a hostile
# header must never reach int(); signing.verify needs no such guard.
_EDIT_TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{1,64})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a verified token."""

    username: str
    role: str
    # When the token proving this ends (epoch seconds); a refreshed token keeps it.
    expires: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def can_author(self) -> bool:
        return self.role in (AUTHOR, ADMIN)


def is_named_admin(username: str, admins: frozenset[str]) -> bool:
    """BLOG_ADMINS names accounts, and account names are unique regardless of case."""
    folded = username.casefold()
    return any(folded == admin.casefold() for admin in admins)


def issue_jwt(username: str, role: str, secret: str, ttl_seconds: int, expires: int | None = None) -> str:
    """A token for ``role`` (the role the API applies), ending ``ttl_seconds`` from now or at ``expires``."""
    import jwt

    issued = clock.epoch()
    claims = {"sub": username, "role": role, "iat": issued, "exp": expires or issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_jwt(token: str, secret: str, admins: frozenset[str]) -> Principal:
    import jwt

    try:
        # Expiry is checked below against the blog's own clock, not PyJWT's.
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={
            "require": ["sub", "exp"], "verify_exp": False, "verify_iat": False, "verify_nbf": False})
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid; sign in again") from None
    expires = claims["exp"]
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise Unauthenticated("the token is not valid; sign in again")
    if expires <= clock.epoch():
        raise Unauthenticated("the token has expired; sign in again")
    username = claims["sub"]
    role = claims.get("role")
    if not isinstance(username, str) or role not in ROLES:
        raise Unauthenticated("the token is not valid; sign in again")
    # BLOG_ADMINS is read on every request, so naming or un-naming an admin
    # takes effect without waiting for their token to expire.
    if is_named_admin(username, admins):
        role = ADMIN
    elif role == ADMIN:
        role = READER
    return Principal(username=username, role=role, expires=int(expires))


# Edit tokens are signed with EDIT_TOKEN_KEY itself (the other kinds use keys
# derived from it), over "edit|<comment id>|<expiry>".
_EDIT = "edit"


def issue_edit_token(comment_id: str, expires: int, key: str) -> str:
    return f"{expires}.{signing.sign(key.encode(), _EDIT, comment_id, str(expires))}"


def check_edit_token(token: str, comment_id: str, key: str, now: float) -> None:
    """Refuse unless ``token`` was issued for this comment and has not expired."""
    shape = _EDIT_TOKEN.match(token)
    if shape is None:
        raise Forbidden("the edit token is not valid for this comment")
    expires, signature = int(shape[1]), shape[2]
    if not signing.verify(key.encode(), signature, _EDIT, comment_id, str(expires)):
        raise Forbidden("the edit token is not valid for this comment")
    if now > expires:
        raise Forbidden("the edit window for this comment has closed")
