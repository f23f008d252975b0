"""Signed tokens: JWTs for accounts, HMAC edit tokens for comments."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Final

from chalicelib import signing
from chalicelib.blog import clock
from chalicelib.blog.ids import is_ulid
from chalicelib.errors import Forbidden, Unauthenticated
from chalicelib.patterns import lazy
from chalicelib.values import Value

if TYPE_CHECKING:
    from chalicelib.store.table import Item

READER, AUTHOR, ADMIN = "reader", "author", "admin"
ROLES = (READER, AUTHOR, ADMIN)
# "<expiry as ASCII digits>.<base64url HMAC, all 32 bytes>". Checked before
# anything else: str.isdigit() accepts "²" (which int() refuses), so a hostile
# header must never reach int(); signing.verify needs no such guard.
_EDIT_TOKEN = lazy(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{1,64})$")


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Principal(Value):
    """Who is calling, as proven by a verified token."""

    __slots__ = ("account_id", "current", "expires", "role", "session", "signed_in_at", "username", "version")

    def __init__(self, username: str, role: str, expires: int = 0, version: int = 0, signed_in_at: int = 0,
                 current: bool = False, account_id: str | None = None, session: str | None = None) -> None:
        self.username: Final = username
        self.role: Final = role
        # The account's immutable id (a ULID, the token's ``sub``). A username can be taken again
        # once its account is deleted; the id cannot, so a token never passes for the name's next
        # owner. None only for a token issued before accounts had ids, to an account without one.
        self.account_id: Final = account_id
        # The sign-in this token comes from (``sid``), carried by its refreshes: the one session
        # a password change keeps (see current_principal). None for a token from before sessions.
        self.session: Final = session
        # When the token proving this ends (epoch seconds); a refreshed token keeps it.
        self.expires: Final = expires
        # The account's token_version when the token was issued: changing the role or
        # the password, or signing out everywhere, moves it on and so revokes the token.
        self.version: Final = version
        # When the password was last given (epoch seconds): a refreshed token keeps it.
        self.signed_in_at: Final = signed_in_at
        # Checked against the account as it stands (version, role), not only the signature.
        self.current: Final = current

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


def applied_role(username: str, stored_role: str, admins: frozenset[str]) -> str:
    """The role the API applies: BLOG_ADMINS names admins, else the account's stored role."""
    if is_named_admin(username, admins):
        return ADMIN
    return stored_role if stored_role in ROLES else READER


def issue_jwt(username: str, role: str, secret: str, ttl_seconds: int, *, account_id: str | None, version: int = 0,
              signed_in_at: int | None = None, expires: int | None = None, session: str | None = None) -> str:
    """A token for ``role`` (the role the API applies), ending ``ttl_seconds`` from now or at ``expires``.

    ``sub`` is the account's immutable id and ``name`` its username (an account without an id
    yet gets the older form, ``sub`` = username); ``ver`` is the account's token_version;
    ``auth_time`` (the OpenID Connect name) is when the password was given, and ``sid`` the sign-in
    it comes from, both of which a refreshed token carries over.
    """
    import jwt

    issued = clock.epoch()
    subject = {"sub": account_id, "name": username} if account_id else {"sub": username}
    claims = {**subject, "role": role, "ver": version, "auth_time": signed_in_at or issued,
              "sid": session or secrets.token_urlsafe(12), "iat": issued, "exp": expires or issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


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
    # A token that names its account's id (``sub``) names the username in ``name``; an older one, only ``sub``.
    account_id, username = (claims["sub"], claims["name"]) if "name" in claims else (None, claims["sub"])
    if account_id is not None and not (isinstance(account_id, str) and is_ulid(account_id)):
        raise Unauthenticated("the token is not valid; sign in again")
    role = claims.get("role")
    # Tokens issued before versions existed carry neither claim: version 0, as their accounts have.
    version = _count(claims.get("ver", 0))
    signed_in_at = _count(claims.get("auth_time", 0))
    session = claims.get("sid")
    if (not isinstance(username, str) or role not in ROLES or version is None or signed_in_at is None
            or not (session is None or (isinstance(session, str) and 0 < len(session) <= 64))):
        raise Unauthenticated("the token is not valid; sign in again")
    # BLOG_ADMINS is read on every request, so naming or un-naming an admin takes
    # effect at once. Any other admin claim is checked against the account
    # before it is used (see current_principal and api/requests.caller).
    if is_named_admin(username, admins):
        role = ADMIN
    return Principal(username=username, role=role, expires=int(expires), version=version,
                     signed_in_at=signed_in_at, account_id=account_id, session=session)


REVOKED = "this session has ended (the password or role changed, or the account signed out everywhere); sign in again"


def current_principal(principal: Principal, account: Item | None, admins: frozenset[str]) -> Principal:
    """``principal`` checked against its account as read just now: the account's role, or 401."""
    if account is None:
        raise Unauthenticated("this account no longer exists")
    if account.get("account_id") != principal.account_id:
        # The name was deleted and taken again: the token was issued to the account that had it before.
        raise Unauthenticated("this account no longer exists; sign in again")
    version = int(account.get("token_version", 0))
    if principal.version != version and not _kept(principal, account, version):
        raise Unauthenticated(REVOKED)
    if principal.session is not None and principal.session in (account.get("ended_sessions") or ()):
        raise Unauthenticated("this session was signed out; sign in again")
    # A kept session acts at the account's version from here on, as the token the change answered would.
    # Under the account's name as it is now: a token from before a rename acts under the new name.
    username = str(account["username"])
    return principal.replace(role=applied_role(username, str(account.get("role")), admins), current=True,
                             version=version, username=username)


def _kept(principal: Principal, account: Item, version: int) -> bool:
    """The one session a password change keeps: the one that made the change (``kept_session``), whichever of
    its tokens is shown, until anything else moves the version on from the one the change set (``kept_at``):
    signing out everywhere, a role change, another new password. Frontends that keep the token they had, as
    Conduit's do, stay signed in; every other session ends.
    """
    return (principal.session is not None and account.get("kept_session") == principal.session
            and int(account.get("kept_at", -1)) == version and principal.version < version)


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
