"""Admins' side of bans (blog/bans.py): a ban made from a comment or named directly, listed, lifted, audited.

Apart from bans.py, which the comment and vote paths import, so that what only an admin's request needs
(account rules, the audit entry) is never loaded on a reader's cold start.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Final

from chalicelib.blog import clock, records, renames
from chalicelib.blog.accounts import Username
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.bans import in_force
from chalicelib.blog.ids import is_ulid, new_ulid
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import ADMIN, Principal, applied_role
from chalicelib.blog.validation import (
    Choice,
    Email,
    Field,
    FieldError,
    Integer,
    Text,
    page_limit,
    read_fields,
    read_query,
)
from chalicelib.errors import Forbidden, Invalid, NotFound
from chalicelib.patterns import lazy
from chalicelib.settings import Settings
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table, Write, delete, put

MAX_REASON: Final = 300
MAX_DAYS: Final = 3650
KINDS: Final = ("account", "email", "address")
_PREFIX: Final = {"account": "user:", "email": "email:", "address": "address:"}
# A ban's id in URLs: its subject with "-" for the first ":" (a colon is escaped differently on the way).
_BAN_ID = lazy(r"^(user-[a-z0-9][a-z0-9_.-]{2,31}|email-[0-9a-f]{32}|address-[0-9a-f]{32})$")
_SCOPE: Final = "bans"


class Reason(Text):
    """A moderator's note: one line of visible text; no format characters (bidi overrides, zero-width
    characters), private-use or unassigned code points, which would hide or reorder what the console shows."""

    def __call__(self, value: Any) -> str:
        text = super().__call__(value)
        if any(unicodedata.category(c) in ("Cf", "Co", "Cn", "Cs") for c in text):
            raise FieldError("must be visible text: no invisible, direction-changing, private-use or unassigned "
                             "characters")
        return text


class Days(Integer):
    """A whole number of days; 7.0 too, which JSON Schema's "integer" (and many JSON writers) call whole."""

    def __call__(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super().__call__(value)


class CommentId(Text):
    """A comment's id (a ULID), or empty for none."""

    def __call__(self, value: Any) -> str:
        text = super().__call__(value)
        if text and not is_ulid(text):
            raise FieldError("must be a comment id")
        return text


BAN_FIELDS: Final = {
    "by": Field(Choice(KINDS), required=True),
    "mode": Field(Choice(records.BAN_MODES)),
    "comment_id": Field(CommentId(26), nullable=True),
    "account": Field(Username(32)),
    "email": Field(Email()),
    "reason": Field(Reason(MAX_REASON)),
    "days": Field(Days(1, MAX_DAYS), nullable=True),
}


def ban_id(subject: str) -> str:
    return subject.replace(":", "-", 1)


def _view(item: Item) -> dict[str, Any]:
    kind = next(k for k, p in _PREFIX.items() if str(item["subject"]).startswith(p))
    until = clock.from_epoch(int(item["until_epoch"])) if "until_epoch" in item else None
    return {"id": ban_id(str(item["subject"])), "by": kind, "mode": item["mode"], "reason": item.get("reason", ""),
            "banned_by": item.get("by"), "created_at": item["created_at"], "until": until,
            "comment_id": item.get("comment_id"), "post": item.get("post")}


class Bans:
    def __init__(self, table: Table, settings: Settings, cursor_key: bytes, antispam: AntiSpam,
                 threads: Threads) -> None:
        self.table = table
        self.settings = settings
        self.cursor_key = cursor_key
        self.antispam = antispam
        self.threads = threads

    def create(self, principal: Principal, payload: Any) -> dict[str, Any]:
        """Ban (or shadow-ban) a commenter, by the account, e-mail or address of a comment, or named directly
        (an account by name, an e-mail by its address, hashed here); with its audit entry, in one transaction."""
        _admin(principal)
        fields = read_fields(payload, BAN_FIELDS)
        kind, comment_id = fields["by"], fields.get("comment_id")
        named = fields.get("account") if kind == "account" else fields.get("email") if kind == "email" else None
        if comment_id and named:
            raise Invalid.field("comment_id", f"give a comment or the {kind} to ban, not both")
        comment = None
        if comment_id:
            comment = self.threads.locate(comment_id)
            if comment.get("author_user"):
                self._refuse_admin(str(comment["author_user"]))
        elif not named:
            what = "an account name" if kind == "account" else "an e-mail address" if kind == "email" else None
            raise Invalid.field(kind if what else "comment_id",
                                f"name {what} or a comment to ban" if what else "an address is banned from a comment")
        subject = self._subject(kind, named, comment)
        now = clock.now_iso()
        until = clock.epoch() + fields["days"] * 86400 if fields.get("days") else None
        source = {"comment_id": comment["id"], "post": comment["post_slug"]} if comment else None
        item = records.ban(subject, fields.get("mode") or "ban", fields.get("reason", ""), principal.username, now,
                           until, source)
        action = "shadow-ban" if item["mode"] == "shadow" else "ban"
        self.table.transact([put(item), self._audit(principal.username, action, item)])
        return _view(item)

    def _subject(self, kind: str, named: str | None, comment: Item | None) -> str:
        if kind == "account":
            name = named or (comment or {}).get("author_user")
            if not name:
                raise Invalid.field("comment_id", "the comment was not written from an account; ban its e-mail or "
                                                  "address")
            # An old name (or a comment not yet moved by a rename) bans the account under the name it has now.
            account = renames.account_named(self.table, str(name))
            if account is None:
                raise NotFound("there is no account with that name")
            self._refuse_admin(str(account["username"]), str(account.get("role", "")))
            return "user:" + str(account["username"]).casefold()
        if kind == "email":
            email = named or (comment or {}).get("author_email")
            if not email:
                raise Invalid.field("comment_id", "the comment has no e-mail address; ban its account or address")
            return "email:" + self.antispam.email_hash(str(email))
        sender = str((comment or {}).get("sender", ""))
        if not sender.startswith(_PREFIX["address"]):
            raise Invalid.field("comment_id", "the comment was sent from an account, whose address is not kept; "
                                              "ban the account")
        return sender

    def _refuse_admin(self, username: str, stored_role: str | None = None) -> None:
        if stored_role is None:
            account = renames.account_named(self.table, username)
            stored_role = str(account.get("role", "")) if account else ""
        if applied_role(username, stored_role, self.settings.admins) == ADMIN:
            raise Forbidden("admins cannot be banned; make them an author or a reader first")

    def listing(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        """The bans in force, newest first, a page at a time (an expired one is left out until its TTL removes it)."""
        _admin(principal)
        query = read_query(params, ("limit", "cursor"))
        page = self.table.query(keys.BANS_PARTITION, index="GSI1", newest_first=True,
                                limit=page_limit(query.get("limit")),
                                start_key=cursors.decode(query.get("cursor"), _SCOPE, self.cursor_key))
        now = clock.epoch()
        return {"items": [_view(i) for i in page.items if in_force(i, now)],
                "next_cursor": cursors.encode(page.last_key, _SCOPE, self.cursor_key)}

    def lift(self, principal: Principal, ban: str) -> None:
        """Lift a ban (or shadow-ban) by its id, with its audit entry; a ban that is not there is 404."""
        _admin(principal)
        if not _BAN_ID.match(ban):
            raise Invalid.field("ban_id", "must be a ban's id: user-<name>, email-<hash> or address-<hash>")
        subject = ban.replace("-", ":", 1)
        gone = NotFound("there is no ban with that id")
        self.table.transact([
            delete(keys.ban(subject), "attribute_exists(PK)", refusal=gone),
            self._audit(principal.username, "lift-ban", {"subject": subject}),
        ])

    def _audit(self, who: str, action: str, ban: Item) -> Write:
        at, entry_id = clock.now_iso(), new_ulid()
        post = ban.get("post")
        entry = {**keys.audit_entry(at, entry_id), "at": at, "who": who, "action": action,
                 "subject": ban["subject"], "comment_id": ban.get("comment_id"), "post": post}
        if post:
            entry.update(keys.audit_post_index_keys(str(post), at, entry_id))
        if ban.get("reason"):
            entry["reason"] = ban["reason"]
        if "until_epoch" in ban:
            entry["until"] = clock.from_epoch(int(ban["until_epoch"]))
        return put({k: v for k, v in entry.items() if v is not None})


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins ban commenters")
