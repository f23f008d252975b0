"""Bans and shadow-bans of commenters, by account, by e-mail and by address (made and lifted: blog/banning.py).

A ban is one item (keys.ban) named by a commenter identity: "user:<name, casefolded>" (as COMMENTER#
names an account), "email:<keyed hash>" (HASH_KEY's hash of the e-mail a commenter types) or
"address:<keyed hash>" (the hash the rate limits and a comment's ``sender`` name an address by). So a new
comment and a vote read the bans that concern them in the BatchGetItem they make anyway (blog/comment_creation.py,
blog/votes.py), and an edit checks them with ConditionChecks in its own transaction: a ban costs no round trip.

A ban refuses (403 with a message the widget shows). A shadow-ban files the commenter's new comments as
spam (uncounted, so no notification, webhook or digest goes out: those follow public comments only), and
shows them to the commenter alone as if they were published (``as_seen_by_author``).

Admins are never banned: their comments skip the anti-spam checks, and a ban of an admin's account, or
made from an admin's comment, is refused (take the role away first). Expiry: ``until_epoch`` is compared
at every read (DynamoDB's TTL removes the item only some time after).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.blog import clock
from chalicelib.errors import Forbidden
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import Item, Write, check


def ban_keys(subjects: Iterable[str]) -> list[Key]:
    return [keys.ban(subject) for subject in subjects]


def in_force(ban: Item | None, now: int) -> bool:
    return ban is not None and ("until_epoch" not in ban or int(ban["until_epoch"]) > now)


def standing(found: Mapping[tuple[str, str], Item], subjects: Iterable[str], now: int) -> Item | None:
    """The ban in force among the items a read ``found`` for ``subjects``: a ban before a shadow-ban; else None."""
    items = [found.get((keys.ban(s)["PK"], keys.ban(s)["SK"])) for s in subjects]
    bans = [b for b in items if b is not None and in_force(b, now)]
    return next((b for b in bans if b["mode"] == "ban"), bans[0] if bans else None)


def refusal(ban: Item) -> Forbidden:
    """What a banned commenter is told (never the reason: that is the moderators' note)."""
    until = f" until {clock.from_epoch(int(ban['until_epoch']))}" if "until_epoch" in ban else ""
    return Forbidden(f"you are banned from commenting on this blog{until}")


def _refusal_of(old: Item | None) -> Exception:
    return refusal(old) if old is not None else Forbidden("you are banned from commenting on this blog")


def checks(subjects: Iterable[str], now: int) -> list[Write]:
    """ConditionChecks that cancel a transaction while a ban (not a shadow-ban) of any of ``subjects`` is in
    force (403); the ban is returned with the refusal, so nothing is read first. An edit's: a new comment and
    a vote read the bans instead, in the read they make anyway."""
    return [check(keys.ban(s), "attribute_not_exists(PK) OR until_epoch <= :now OR #mode <> :ban",
                  {"#mode": "mode"}, refusal=_refusal_of, now=now, ban="ban") for s in subjects]


def as_seen_by_author(view: dict[str, Any], comment: Item) -> dict[str, Any]:
    """A shadow-banned comment as its own author sees it: with the status it would have had (``shadow``)."""
    return {**view, "status": comment["shadow"]} if comment.get("shadow") else view
