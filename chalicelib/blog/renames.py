"""Renaming an account: the request's one transaction, and how an old name answers for the account.

An account lives at USER#<name>. A rename, in one transaction with conditions:
  - puts the account at USER#<new> (nobody has the name; or it is this account's own old name);
  - turns USER#<old> into the old name's reservation (records.name_reservation: renamed_to, owner_id), so
    that sign-up's own condition (attribute_not_exists) refuses the name to anyone else, whatever its case;
  - points every earlier old name's reservation at the new name (``former_names`` on the account, at
    most MAX_FORMER_NAMES), so any old name is one hop from the account;
  - moves the EMAIL# pointer and the account's favorites total;
  - puts the job (RENAME#<account id>), which the stream carries out: the account's posts, comments,
    votes, reactions, favorites and follows follow the new name (blog/rename_job.py). One job at a time:
    a second rename waits until the first is done (409).
A token keeps working across a rename: it names the account's immutable id, which the account read at
its old name's reservation still has (tokens.current_principal, after ``resolve``), and from then on it
acts under the current name. The rename's answer carries a token naming the new name, in the same session.

A banned account cannot rename (its ban is on its name), nor can a name in BLOG_ADMINS be taken or left.
"""

from __future__ import annotations

from chalicelib.blog import bans, clock, records
from chalicelib.blog.tokens import Principal, is_named_admin
from chalicelib.errors import Conflict, Invalid
from chalicelib.settings import Settings
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, delete, put, update

MAX_FORMER_NAMES = 10
_HOPS = 2  # every reservation points at the current name; a second hop covers a rename landing meanwhile


def is_reservation(item: Item | None) -> bool:
    return bool(item and item.get("renamed_to"))


def resolve(table: Table, item: Item | None) -> Item | None:
    """The account an item read at USER#<name> stands for: itself, or the account an old name became."""
    for _ in range(_HOPS):
        if not is_reservation(item):
            return item
        assert item is not None
        item = table.get(keys.user(str(item["renamed_to"])))
    return None if is_reservation(item) else item


def account_named(table: Table, name: str) -> Item | None:
    """The account with this name now, or that had it before a rename."""
    return resolve(table, table.get(keys.user(name)))


def _taken() -> Conflict:
    return Conflict("that username is already in use: choose another", {"username": ["is already in use"]})


def rename(table: Table, settings: Settings, principal: Principal, account: Item, new: str) -> Item:
    """Rename ``account`` (the caller's, checked) to ``new``; the account as it now stands."""
    old = str(account["username"])
    if not account.get("account_id"):
        raise Conflict("sign in again before changing your username", {"username": ["needs a new sign-in"]})
    if new.casefold() == old.casefold():
        raise Invalid.field("username", "differs from the current one only in case: choose another username")
    if is_named_admin(new, settings.admins) or is_named_admin(old, settings.admins):
        raise Conflict("a username named in BLOG_ADMINS is neither given nor taken by a rename",
                       {"username": ["is reserved for an administrator of this blog"]})
    ban = table.get(keys.ban(f"user:{old.casefold()}"))
    if ban is not None and bans.in_force(ban, clock.epoch()):
        raise Conflict("a banned account cannot change its name", {"username": ["cannot change while banned"]})
    former = [f for f in account.get("former_names", []) if f.casefold() != new.casefold()]
    if len(former) >= MAX_FORMER_NAMES:
        raise Conflict(f"an account can have had at most {MAX_FORMER_NAMES} names",
                       {"username": ["has changed too often"]})
    account_id, now = str(account["account_id"]), clock.now_iso()
    fields = {k: v for k, v in account.items() if k in records.ACCOUNT_FIELDS}
    moved = records.account_item({**fields, "username": new, "former_names": [*former, old]})
    busy = Conflict("the account changed, or a rename of it is still being carried out; try again in a minute")
    version = int(account.get("token_version", 0))
    writes: list[Write] = [
        put(moved, "attribute_not_exists(PK) OR (owner_id = :id AND attribute_exists(renamed_to))",
            refusal=_taken(), id=account_id),
        put(records.name_reservation(old, new, account_id, now),
            "account_id = :id AND " + ("token_version = :v" if version else
                                       "(attribute_not_exists(token_version) OR token_version = :v)"),
            refusal=busy, id=account_id, v=version),
        update(keys.email(str(account["email"])), "SET username = :new", "username = :old", refusal=busy,
               new=new, old=old),
        put(records.rename_job(account_id, old, new, now), "attribute_not_exists(PK)", refusal=busy),
        *[update(keys.user(f), "SET renamed_to = :new", "owner_id = :id", refusal=busy, new=new, id=account_id)
          for f in former],
    ]
    favorites = table.get(keys.favorites_count(old))
    if favorites is not None:
        writes += [delete(keys.favorites_count(old), "#c = :c", {"#c": "count"}, refusal=busy, c=favorites["count"]),
                   put({**favorites, **keys.favorites_count(new)})]
    try:
        table.transact(writes)
    except TransactionCancelled as contended:
        raise busy from contended
    return moved

