"""Accounts: sign-up, sign-in, who am I, and roles."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.blog import clock, records, renames
from chalicelib.blog.ids import new_ulid
from chalicelib.blog.passwords import hash_password, is_common, is_predictable, verify_password
from chalicelib.blog.sign_in_limits import SignInLimits
from chalicelib.blog.tokens import (
    AUTHOR,
    READER,
    REVOKED,
    Principal,
    applied_role,
    current_principal,
    is_named_admin,
    issue_jwt,
)
from chalicelib.blog.validation import (
    Choice,
    Email,
    Field,
    FieldError,
    Flag,
    Text,
    Url,
    page_limit,
    read_fields,
    read_query,
)
from chalicelib.errors import Conflict, Forbidden, NotFound, Unauthenticated
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

if TYPE_CHECKING:
    from chalicelib.blog.password_resets import ResetLink

_USERNAME = lazy(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
# Changing the e-mail or the password needs the current password, or a token
# whose password was given this recently: a token found in a browser's storage
# or a log then cannot take the account over for the rest of its life.
RECENT_SIGN_IN_SECONDS = 15 * 60
# Sessions signed out one by one, kept on the account until the next sign-out everywhere clears them.
MAX_ENDED_SESSIONS = 50


class Username(Text):
    def __call__(self, value: Any) -> str:
        name = super().__call__(value)
        if not _USERNAME.match(name):
            raise FieldError("must be 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return name


class NewPassword(Text):
    """A password being chosen (NIST SP 800-63B): 8 to 256 characters, not a common one, not a repetition or
    a sequence."""

    def __call__(self, value: Any) -> str:
        password = super().__call__(value)
        if is_common(password):
            raise FieldError("is one of the most common passwords, the first ones an attacker tries; choose another")
        if is_predictable(password):
            raise FieldError("repeats itself or runs in sequence (like 'aaaaaaaa' or 'abcdefgh'), the first patterns "
                             "an attacker tries; choose another")
        return password


_USERNAME_FIELD = Field(Username(32), required=True)
_PASSWORD_FIELD = Field(NewPassword(256, min_length=8, strip=False), required=True)
SIGNUP_FIELDS = {
    "username": _USERNAME_FIELD,
    "email": Field(Email(allow_blank=False), required=True),
    "password": _PASSWORD_FIELD,
}
LOGIN_FIELDS = {
    "email": Field(Email(allow_blank=False), required=True),
    "password": Field(Text(256, min_length=1, strip=False), required=True),
}
RESET_FIELDS = {"password": _PASSWORD_FIELD}
ROLE_FIELDS = {"role": Field(Choice((READER, AUTHOR)), required=True)}
PROFILE_FIELDS = {
    "username": Field(Username(32)),
    "email": Field(Email(allow_blank=False)),
    "password": Field(_PASSWORD_FIELD.rule),
    "bio": Field(Text(1000, single_line=False), nullable=True),
    "image": Field(Url(), nullable=True),
    "current_password": Field(Text(256, min_length=1, strip=False)),
}
# PATCH /auth/me: what needs no password (the e-mail address and the password change through PUT /api/user).
SETTINGS_FIELDS = {
    **{name: PROFILE_FIELDS[name] for name in ("username", "bio", "image")},
    # An author's choice: an e-mail when a comment on one of their posts is held (blog/moderation_mail).
    "mail_held_comments": Field(Flag()),
}


@lru_cache(maxsize=2)
def _decoy_hash(cost: int) -> str:
    return hash_password("a password that no account has", cost)


def _in_use() -> Conflict:
    message = "is already in use, or the other one is"
    return Conflict("that username or e-mail address is already in use: choose another username, "
                    "or sign in if the account is yours", {"username": [message], "email": [message]})


def user_view(item: Item, settings: Settings) -> dict[str, Any]:
    username = item["username"]
    return {
        "username": username,
        "email": item["email"],
        "role": applied_role(username, item["role"], settings.admins),
        "bio": item.get("bio"),
        "image": item.get("image"),
        "created_at": item["created_at"],
        "mail_held_comments": bool(item.get("mail_held_comments", False)),
    }


def valid_username(username: str) -> bool:
    return bool(_USERNAME.match(username))


class Accounts:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes = b"") -> None:
        self.cursor_key = cursor_key
        self.table = table
        self.settings = settings
        self.limits = SignInLimits(table, settings)

    def session(self, item: Item, carried: Principal | None = None) -> dict[str, Any]:
        """A token for the account as it stands (also for a sign-in proven elsewhere: email_sign_in.py); one
        ``carried`` over keeps its expiry and sign-in time.

        The token names the role the API applies (an admin named by BLOG_ADMINS is
        "admin" in it too), so a frontend that reads the token sees what the login
        answer says.
        """
        user = user_view(item, self.settings)
        token = issue_jwt(user["username"], user["role"], self.settings.jwt_secret, self.settings.token_ttl_seconds,
                          account_id=item.get("account_id"), version=int(item.get("token_version", 0)),
                          session=carried.session if carried else None,
                          signed_in_at=carried.signed_in_at if carried else None,
                          expires=carried.expires if carried else None)
        return {"token": token, "user": user}

    def _account(self, username: str) -> Item | None:
        return renames.account_named(self.table, username)  # an old name (a token from before a rename) too

    def current(self, principal: Principal) -> Principal:
        """``principal`` checked against its account: 401 once its token is revoked; the account's role."""
        return current_principal(principal, self._account(principal.username), self.settings.admins)

    def signup(self, payload: Any, address: str) -> dict[str, Any]:
        """A new reader's account; ``address`` is the caller's, for the sign-up limit."""
        fields = read_fields(payload, SIGNUP_FIELDS)
        # Counted before any answer that depends on who exists or is named: else names could be probed unlimited.
        self.limits.claim_signup(address, clock.epoch())
        if is_named_admin(fields["username"], self.settings.admins):
            # Else whoever signs up first on a public stage would be its admin: an operator
            # makes that account (python -m deploy.admin).
            raise Conflict("that username is reserved for an administrator of this blog",
                           {"username": ["is reserved for an administrator of this blog"]})
        item = records.account({
            "username": fields["username"],
            "email": fields["email"],
            "password_hash": hash_password(fields["password"], self.settings.password_cost),
            "role": READER,
            "created_at": clock.now_iso(),
        })
        # One refusal whichever is taken, so the answer does not name the e-mail address as
        # registered (a refusal at all can still tell, which the sign-up limit bounds).
        try:
            self.table.transact([
                put(item, "attribute_not_exists(PK)", refusal=_in_use()),
                put(records.email_claim(fields["email"], fields["username"]), "attribute_not_exists(PK)",
                    refusal=_in_use()),
            ])
        except TransactionCancelled as contended:
            raise Conflict("sign-up is busy right now; try again") from contended
        return self.session(item)

    def login(self, payload: Any, address: str) -> dict[str, Any]:
        """A session for the right e-mail and password; failed attempts are limited per account and address."""
        fields = read_fields(payload, LOGIN_FIELDS)
        refused = Unauthenticated("that e-mail and password do not match an account")
        claim = self.limits.claim_login(fields["email"], address, clock.epoch())
        pointer = self.table.get(keys.email(fields["email"]))
        item = self.table.get(keys.user(pointer["username"])) if pointer else None
        if item is None:
            # Spend the same scrypt work as a wrong password, so response time
            # does not tell which e-mail addresses have accounts.
            verify_password(fields["password"], _decoy_hash(self.settings.password_cost))
            raise refused
        if not verify_password(fields["password"], item["password_hash"]):
            raise refused
        self.limits.release(claim)
        if "account_id" not in item:
            item = self._give_id(item)
        return self.session(item)

    def _give_id(self, item: Item) -> Item:
        """An account made before accounts had ids gets one at its next sign-in (``make migrate`` gives the rest):
        from then on its tokens name the id, and a token issued to it before no longer passes."""
        gone = Unauthenticated("this account no longer exists")
        given = self.table.write(update(keys.user(item["username"]), "SET account_id = if_not_exists(account_id, :id)",
                                        "attribute_exists(PK)", refusal=gone, id=new_ulid()))
        assert given is not None
        return given

    def me(self, principal: Principal) -> dict[str, Any]:
        """The caller's account, with a token carrying their current role.

        The token ends when the one presented ends: asking who you are never
        extends a session (signing in again does).
        """
        item = self._account(principal.username)
        principal = current_principal(principal, item, self.settings.admins)
        assert item is not None
        return self.session(item, principal)

    def sign_out_everywhere(self, principal: Principal) -> None:
        """Revoke every token of the account, this one included."""
        self._revoke(principal.username, NotFound("this account no longer exists"), removing=("ended_sessions",))

    def sign_out(self, principal: Principal) -> None:
        """End this token's sign-in only (its ``sid``, kept on the account: tokens.current_principal); past
        MAX_ENDED_SESSIONS, or for a token without one, every session ends: the account item stays small."""
        item = self._account(principal.username)
        principal = current_principal(principal, item, self.settings.admins)  # 401 for a token already ended
        if principal.session is None or len((item or {}).get("ended_sessions") or ()) >= MAX_ENDED_SESSIONS:
            return self.sign_out_everywhere(principal)
        self.table.write(update(keys.user(principal.username), "SET ended_sessions = list_append("
                                "if_not_exists(ended_sessions, :none), :ended)", "attribute_exists(PK)",
                                refusal=NotFound("this account no longer exists"), none=[], ended=[principal.session]))
        return None

    def _revoke(self, username: str, refusal: Exception, *changes: tuple[str, Any],
                removing: tuple[str, ...] = ()) -> Item:
        """Set ``changes`` on the account, remove ``removing``, and move its token_version on, which ends every
        token issued before."""
        names = {"#v": "token_version", **{f"#f{i}": name for i, (name, _) in enumerate(changes)},
                 **{f"#r{i}": name for i, name in enumerate(removing)}}
        values = {f"f{i}": value for i, (_, value) in enumerate(changes)}
        setting = ", ".join(f"#f{i} = :f{i}" for i in range(len(changes)))
        expression = (f"SET {setting} " if setting else "") + "ADD #v :one"
        if removing:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removing)))
        item = self.table.write(update(keys.user(username), expression, "attribute_exists(PK)", names,
                                       refusal=refusal, one=1, **values))
        assert item is not None
        return item

    def update_settings(self, principal: Principal, payload: Any) -> dict[str, Any]:
        """PATCH /auth/me: what needs no password (SETTINGS_FIELDS)."""
        return self.update_profile(principal, payload, SETTINGS_FIELDS)

    def update_profile(self, principal: Principal, payload: Any,
                       allowed: Mapping[str, Field] = PROFILE_FIELDS) -> dict[str, Any]:
        """Change username (blog/renames.py), e-mail, password, bio, picture or mail choice.

        A new password revokes every token issued before it; the answer carries a new one.
        """
        fields = read_fields(payload, allowed)
        item = self._account(principal.username)
        principal = current_principal(principal, item, self.settings.admins)
        assert item is not None
        if fields.get("mail_held_comments") and not principal.can_author:
            raise Forbidden("only authors and admins have posts whose comments can be held",
                            {"mail_held_comments": ["is for authors"]})
        if "username" in fields and fields["username"] != item["username"]:  # first, in a transaction of its own
            item = renames.rename(self.table, self.settings, principal, item, fields["username"])
        new_email = fields.get("email")
        new_email = new_email if new_email and new_email != item["email"] else None
        if new_email or "password" in fields:
            principal = self._reauthenticated(principal, item, fields.get("current_password"))
        changes: dict[str, Any] = {k: fields[k] for k in ("bio", "image", "mail_held_comments") if k in fields}
        if "password" in fields:
            changes["password_hash"] = hash_password(fields["password"], self.settings.password_cost)
            if principal.session is not None:
                # Every other session ends; this one goes on (tokens.current_principal).
                changes["kept_session"], changes["kept_at"] = principal.session, principal.version + 1
        writes: list[Write] = []
        if new_email:
            changes["email"] = new_email
            writes += [
                put({**keys.email(new_email), "username": item["username"]}, "attribute_not_exists(PK)",
                    refusal=Conflict("that e-mail is registered to another account",
                                     {"email": ["is already registered"]})),
                delete(keys.email(item["email"])),
            ]
        if changes:
            names = {f"#f{i}": name for i, name in enumerate(changes)}
            values = {f":f{i}": value for i, value in enumerate(changes.values())}
            expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(changes)))
            if "password_hash" in changes:
                # Only if no other change revoked this session meanwhile.
                names["#v"], values[":v"], values[":one"] = "token_version", principal.version, 1
                expression += " ADD #v :one"
                condition = ("#v = :v" if principal.version
                             else "attribute_exists(PK) AND (attribute_not_exists(#v) OR #v = :v)")
            else:
                condition = "attribute_exists(PK)"
            writes.append(Write("Update", key=keys.user(item["username"]), update=expression,
                                condition=condition, names=names, values=values,
                                refusal=Unauthenticated(REVOKED)))
            try:
                self.table.transact(writes)
            except TransactionCancelled as cancelled:
                raise Conflict("the account changed while saving; try again") from cancelled
            item.update(changes)
            if "password_hash" in changes:
                item["token_version"] = principal.version + 1
        return self.session(item, principal)

    def reset_password(self, link: ResetLink, payload: Any) -> dict[str, Any]:
        """A mailed reset link's new password (password_resets.py): every older token ends, and the answer signs
        the person in. Conditioned on the account and version the link names, so it works once."""
        password = read_fields(payload, RESET_FIELDS)["password"]
        from chalicelib.blog.password_resets import SPENT  # loaded already: the link was checked there

        spent = Forbidden(SPENT)
        version = ("token_version = :v" if link.version
                   else "(attribute_not_exists(token_version) OR token_version = :v)")
        item = self.table.write(update(
            keys.user(link.username), "SET password_hash = :hash ADD token_version :one REMOVE kept_session, kept_at",
            f"account_id = :id AND {version}", refusal=spent, hash=hash_password(password, self.settings.password_cost),
            one=1, id=link.account_id, v=link.version))
        assert item is not None
        return self.session(item)

    def reauthenticate(self, principal: Principal, item: Item, password: str | None) -> Principal:
        """As for an e-mail change (below): the password, or a recent sign-in; for deleting the account."""
        return self._reauthenticated(principal, item, password, "deleting the account")

    def _reauthenticated(self, principal: Principal, item: Item, password: str | None,
                         what: str = "changing the e-mail or password") -> Principal:
        """The caller proved again that they hold the account: by its password, or by a recent sign-in."""
        if password is not None:
            if not verify_password(password, item["password_hash"]):
                raise Forbidden("the current password does not match",
                                {"current_password": ["does not match"]})
            return principal.replace(signed_in_at=clock.epoch())
        if clock.epoch() - principal.signed_in_at > RECENT_SIGN_IN_SECONDS:
            raise Forbidden(f"{what} needs current_password, or a sign-in within "
                            f"the last {RECENT_SIGN_IN_SECONDS // 60} minutes",
                            {"current_password": [f"is required for {what}"]})
        return principal

    def profile(self, username: str) -> Item:
        item = renames.account_named(self.table, username) if valid_username(username) else None
        if item is None:
            raise NotFound(f"there is no user {username[:40]!r}")
        return item

    def set_role(self, principal: Principal, username: str, payload: Any) -> dict[str, Any]:
        if not principal.is_admin:
            raise Forbidden("only an admin can change roles")
        role = read_fields(payload, ROLE_FIELDS)["role"]
        if not valid_username(username):
            # No such account can exist; and an over-long key would be refused by DynamoDB.
            raise NotFound(f"there is no user {username[:40]!r}")
        if is_named_admin(username, self.settings.admins):
            # BLOG_ADMINS would override the stored role: storing it would change nothing the API applies,
            # yet used to revoke that admin's tokens (any admin could sign any other out, at will).
            raise Conflict(f"{username} is named in BLOG_ADMINS, which makes them an admin whatever role is stored; "
                           "take the name out of BLOG_ADMINS to change their role",
                           {"role": ["is set by BLOG_ADMINS for this account"]})
        account = self.profile(username)
        gone = NotFound(f"there is no user {username!r}")
        if account.get("role") == role:
            # Nothing the API applies changes, so no session ends.
            return user_view(account, self.settings)
        # The user's tokens name the old role: they end here, and the next sign-in carries the new one.
        # The index keys too: an account made before the list existed joins it here.
        index = keys.account_index_keys(username)
        # A stored admin (deploy.admin) made a reader or an author leaves the admins' index.
        item = self._revoke(account["username"], gone, ("role", role), ("GSI1PK", index["GSI1PK"]),
                            ("GSI1SK", index["GSI1SK"]), removing=("GSI2PK", "GSI2SK"))
        return user_view(item, self.settings)

    def listing(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        """Every account by name with its role (admins only): one Query of the accounts' index."""
        if not principal.is_admin:
            raise Forbidden("only an admin can list accounts")
        query = read_query(params, ("limit", "cursor"))
        page = self.table.query(keys.ACCOUNTS_PARTITION, index="GSI1", limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), "accounts", self.cursor_key))
        items = [{"username": i["username"], "role": applied_role(i["username"], i["role"], self.settings.admins),
                  "created_at": i["created_at"]} for i in page.items]
        return {"items": items, "next_cursor": cursors.encode(page.last_key, "accounts", self.cursor_key)}
