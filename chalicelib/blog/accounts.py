"""Accounts: sign-up, sign-in, who am I, and roles."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from chalicelib.blog import clock
from chalicelib.blog.passwords import hash_password, is_common, verify_password
from chalicelib.blog.sign_in_limits import SignInLimits
from chalicelib.blog.tokens import ADMIN, AUTHOR, READER, Principal, is_named_admin, issue_jwt
from chalicelib.blog.validation import Choice, Email, Field, FieldError, Text, Url, read_fields
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")


class Username(Text):
    def __call__(self, value: Any) -> str:
        name = super().__call__(value)
        if not _USERNAME.match(name):
            raise FieldError("must be 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return name


class NewPassword(Text):
    """A password being chosen (NIST SP 800-63B): 8 to 256 characters, and not a common one."""

    def __call__(self, value: Any) -> str:
        password = super().__call__(value)
        if is_common(password):
            raise FieldError("is one of the most common passwords, the first ones an attacker tries; choose another")
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
ROLE_FIELDS = {"role": Field(Choice((READER, AUTHOR)), required=True)}
PROFILE_FIELDS = {
    "username": Field(Username(32)),
    "email": Field(Email(allow_blank=False)),
    "password": Field(_PASSWORD_FIELD.rule),
    "bio": Field(Text(1000, single_line=False), nullable=True),
    "image": Field(Url(), nullable=True),
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
        "role": ADMIN if is_named_admin(username, settings.admins) else item["role"],
        "bio": item.get("bio"),
        "image": item.get("image"),
        "created_at": item["created_at"],
    }


def valid_username(username: str) -> bool:
    return bool(_USERNAME.match(username))


class Accounts:
    def __init__(self, table: Table, settings: Settings) -> None:
        self.table = table
        self.settings = settings
        self.limits = SignInLimits(table, settings)

    def _session(self, item: Item, expires: int | None = None) -> dict[str, Any]:
        # The token names the role the API applies (an admin named by BLOG_ADMINS is "admin"
        # in it too), so a frontend that reads the token sees what the login answer says.
        user = user_view(item, self.settings)
        token = issue_jwt(user["username"], user["role"], self.settings.jwt_secret,
                          self.settings.token_ttl_seconds, expires)
        return {"token": token, "user": user}

    def signup(self, payload: Any, address: str) -> dict[str, Any]:
        """A new reader's account; ``address`` is the caller's, for the sign-up limit."""
        fields = read_fields(payload, SIGNUP_FIELDS)
        if is_named_admin(fields["username"], self.settings.admins):
            # Else whoever signs up first on a public stage would be its admin: an operator
            # makes that account (python -m deploy.admin).
            raise Conflict("that username is reserved for an administrator of this blog",
                           {"username": ["is reserved for an administrator of this blog"]})
        self.limits.claim_signup(address, clock.epoch())
        item = {
            **keys.user(fields["username"]),
            "username": fields["username"],
            "email": fields["email"],
            "password_hash": hash_password(fields["password"], self.settings.password_cost),
            "role": READER,
            "created_at": clock.now_iso(),
        }
        # One refusal whichever is taken, so the answer does not name the e-mail address as
        # registered (a refusal at all can still tell, which the sign-up limit bounds).
        try:
            self.table.transact([
                put(item, "attribute_not_exists(PK)", refusal=_in_use()),
                put({**keys.email(fields["email"]), "username": fields["username"]}, "attribute_not_exists(PK)",
                    refusal=_in_use()),
            ])
        except TransactionCancelled as contended:
            raise Conflict("sign-up is busy right now; try again") from contended
        return self._session(item)

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
        return self._session(item)

    def me(self, principal: Principal) -> dict[str, Any]:
        """The caller's account, with a token carrying their current role.

        The token ends when the one presented ends: asking who you are never
        extends a session (signing in again does).
        """
        item = self.table.get(keys.user(principal.username))
        if item is None:
            raise Unauthenticated("this account no longer exists")
        return self._session(item, principal.expires or None)

    def update_profile(self, principal: Principal, payload: Any) -> dict[str, Any]:
        """Change e-mail, password, bio or picture; usernames are permanent (posts name them)."""
        fields = read_fields(payload, PROFILE_FIELDS)
        item = self.table.get(keys.user(principal.username))
        if item is None:
            raise Unauthenticated("this account no longer exists")
        if "username" in fields and fields["username"].casefold() != item["username"].casefold():
            raise Invalid.field("username", "cannot be changed: posts and comments are signed with it")
        changes: dict[str, Any] = {k: fields[k] for k in ("bio", "image") if k in fields}
        if "password" in fields:
            changes["password_hash"] = hash_password(fields["password"], self.settings.password_cost)
        writes: list[Write] = []
        new_email = fields.get("email")
        if new_email and new_email != item["email"]:
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
            writes.append(Write("Update", key=keys.user(item["username"]), update=expression,
                                condition="attribute_exists(PK)", names=names, values=values))
            try:
                self.table.transact(writes)
            except TransactionCancelled as cancelled:
                raise Conflict("the account changed while saving; try again") from cancelled
            item.update(changes)
        return self._session(item, principal.expires or None)

    def profile(self, username: str) -> Item:
        item = self.table.get(keys.user(username)) if valid_username(username) else None
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
        item = self.table.write(update(keys.user(username), "SET #r = :role", "attribute_exists(PK)", {"#r": "role"},
                                       refusal=NotFound(f"there is no user {username!r}"), role=role))
        assert item is not None
        return user_view(item, self.settings)
