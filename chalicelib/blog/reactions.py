"""Emoji reactions on posts and on public comments: one of each kind per reader, counts exact under concurrency.

The kinds are the stage's REACTIONS setting, matched exactly: a lookalike (the
same picture without its emoji-style selector, with a text-style one, with a
skin tone the set does not name) is not in the set and is refused (422).

A reader is identified as a voter is (blog/votes.py): a signed-in account, or
else a keyed hash of the caller's address and the voter token the widget keeps.
Each reaction is an item of its own (keys.reaction), outside the range the post
page's Query reads; its count is kept where that Query already looks: a
``reactions`` map on the comment item, or on the post's summary item. Adding or
taking back a reaction is one transaction: the reaction item under a condition
on its existence as just read (a reader racing themselves counts once), the
count by SET … + :d (different readers never block each other) under a
condition that the target still takes reactions, and the address's window.

Reactions count against the vote window (VOTE_RATE_LIMIT): both are one click
that changes a count, and one window keeps a ballot-stuffer to one budget.
Repeating what is already so (adding a reaction one has) changes nothing and
is not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.blog import clock, records, slug_aliases, views
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.slugs import public_slug
from chalicelib.blog.status import Status
from chalicelib.blog.thread_controls import pin_reactions
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Field, Flag, Text, read_fields
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.store import keys
from chalicelib.store.keys import Key
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, Write, check, delete, put, update

# The emoji's shape here (a REACTIONS entry is at most 16 code points, settings.py); which emoji, in the service.
REACTION_FIELDS = {"emoji": Field(Text(16, min_length=1, strip=False), required=True),
                   "active": Field(Flag(), required=True)}
POST_TARGET = "post"  # the target of a reaction on the post itself (a comment's is its ulid)
_ATTEMPTS = 6
_COUNTS = "reactions"  # the map attribute, on the comment item or the post's summary item


def reactor_of(principal: Principal | None, address: str, voter_token: str | None, antispam: AntiSpam) -> str:
    """Who reacts: "user:<name>" when signed in, else "anon:<keyed hash of address and voter token>"."""
    if voter_token is not None and not (0 < len(voter_token) <= 128 and voter_token.isascii()):
        raise Invalid.field("X-Voter-Token", "must be 1 to 128 ASCII characters")
    if principal is not None:
        return "user:" + principal.username.casefold()
    return "anon:" + antispam.address_hash(f"{address}|{voter_token or ''}")


class Reactions:
    def __init__(self, table: Table, threads: Threads, antispam: AntiSpam, kinds: tuple[str, ...]) -> None:
        self.table = table
        self.threads = threads
        self.antispam = antispam
        self.kinds = kinds

    def _read(self, payload: Any) -> tuple[str, bool]:
        if not self.kinds:
            raise NotFound("reactions are off on this blog")
        fields = read_fields(payload, REACTION_FIELDS)
        if fields["emoji"] not in self.kinds:  # exactly: a lookalike of one is not it
            raise Invalid.field("emoji", "must be one of " + " ".join(self.kinds))
        return str(fields["emoji"]), bool(fields["active"])

    # -- reacting -----------------------------------------------------------------------

    def react_to_comment(self, principal: Principal | None, comment_id: str, payload: Any, address: str,
                         voter_token: str | None) -> dict[str, Any]:
        """Add (``active``: true) or take back a reaction on a public comment; the comment as it now counts."""
        emoji, active = self._read(payload)
        reactor = reactor_of(principal, address, voter_token, self.antispam)
        for _ in range(_ATTEMPTS):
            # The comment, its post (public?) and this reader's reaction: one read after the reference.
            comment, _, mine = self.threads.locate_public(
                comment_id, along=lambda slug: keys.reaction(slug, comment_id, reactor, emoji))
            if comment["status"] != Status.APPROVED:
                raise Conflict("only published comments take reactions")
            try:
                counted = self._count(comment, comment["post_slug"], comment_id, reactor, emoji, active,
                                      mine is not None, self._window(principal, address))
            except TransactionCancelled:
                continue  # this reader's other request, or the first reaction of a kind, got there first
            return views.comment_view(counted)
        raise Conflict("the comment is being reacted to heavily; try again")

    def react_to_post(self, principal: Principal | None, slug: str, payload: Any, address: str,
                      voter_token: str | None) -> dict[str, Any]:
        """Add or take back a reaction on a public post; the post's reaction counts as they now stand."""
        emoji, active = self._read(payload)
        reactor = reactor_of(principal, address, voter_token, self.antispam)
        for _ in range(_ATTEMPTS):
            summary, mine = self._post_and_mine(slug, reactor, emoji)
            slug = str(summary["slug"])  # its first slug, where its reactions are filed (a renamed post's too)
            try:
                counted = self._count(summary, slug, POST_TARGET, reactor, emoji, active, mine is not None,
                                      self._window(principal, address))
            except TransactionCancelled:
                continue
            return {"post": public_slug(summary), "reactions": views.reaction_counts(counted)}
        raise Conflict("the post is being reacted to heavily; try again")

    def _post_and_mine(self, slug: str, reactor: str, emoji: str,
                       resolved: bool = False) -> tuple[Item, Item | None]:
        """The post's summary item (it must be public) and this reader's reaction: one BatchGetItem."""
        wanted = [keys.post_summary(slug), keys.reaction(slug, POST_TARGET, reactor, emoji)]
        found = {(str(i["PK"]), str(i["SK"])): i for i in self.table.batch_get(wanted)}
        summary, mine = (found.get((key["PK"], key["SK"])) for key in wanted)
        if not resolved and (home := slug_aliases.resolve(self.table, slug, summary)) != slug:
            return self._post_and_mine(home, reactor, emoji, resolved=True)  # a renamed post's current slug
        if summary is None or not views.is_public(summary, clock.now_iso()):
            raise NotFound("there is no post at that address")
        return summary, mine

    def _window(self, principal: Principal | None, address: str) -> str | None:
        """The address whose window counts this reaction; None for admins, exempt as they are from votes."""
        return None if principal is not None and principal.is_admin else self.antispam.address_hash(address)

    def _count(self, target: Item, slug: str, target_id: str, reactor: str, emoji: str, active: bool,
               had: bool, address_hash: str | None) -> Item:
        """The reaction, its count and the address's window in one transaction; the target as it now counts.

        Nothing is written when the reader already is where they ask to be.
        """
        if active == had:
            return target
        delta = 1 if active else -1
        writes = [self._reaction_write(slug, target_id, reactor, emoji, active),
                  *self._count_writes(target, emoji, delta),
                  *pin_reactions(target, emoji, delta)]  # a pinned comment's copy counts it too
        if address_hash is not None:
            writes.append(self.antispam.vote_rate_limit(address_hash, clock.epoch()))
        self.table.transact(writes)
        counts = dict(target.get(_COUNTS) or {})
        counts[emoji] = int(counts.get(emoji, 0)) + delta
        return {**target, _COUNTS: counts}

    @staticmethod
    def _reaction_write(slug: str, target_id: str, reactor: str, emoji: str, active: bool) -> Write:
        if active:
            item = records.reaction(slug, target_id, reactor, emoji, clock.now_iso())
            return put(item, "attribute_not_exists(PK)")
        return delete(keys.reaction(slug, target_id, reactor, emoji), "attribute_exists(PK)")

    @staticmethod
    def _count_writes(target: Item, emoji: str, delta: int) -> list[Write]:
        """Move one kind's count on the target (a comment still public, or a post summary still there).

        A map's member can only be set once the map exists: the first reaction of a
        target makes the map, under the condition that no other reaction made it first.
        """
        key: Key = {"PK": target["PK"], "SK": target["SK"]}
        standing = ("#status = :approved" if str(target["SK"]).startswith(keys.COMMENT_PREFIX)
                    else "attribute_exists(PK)")
        values: dict[str, Any] = {"approved": Status.APPROVED} if "#status" in standing else {}
        names = {"#r": _COUNTS, **({"#status": "status"} if values else {})}
        if _COUNTS in target:
            return [update(key, "SET #r.#e = if_not_exists(#r.#e, :zero) + :d",
                           f"attribute_exists(#r) AND {standing}", {**names, "#e": emoji},
                           zero=0, d=delta, **values)]
        if delta > 0:
            return [update(key, "SET #r = :first", f"attribute_not_exists(#r) AND {standing}", names,
                           first={emoji: 1}, **values)]
        # Taking back a reaction whose target keeps no counts (none to move): only check nobody made them meanwhile.
        return [check(key, "attribute_not_exists(#r)", {"#r": _COUNTS})]

    # -- a reader's own reactions (blog/personal_data.py) ----------------------------------

    def of_reactor(self, reactor: str, limit: int,
                   start: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """A page of a signed-in reader's reactions, for their export."""
        page = self.table.query(keys.reactor_partition(reactor), index="GSI2", limit=limit, start_key=start)
        return [{"post": i["post_slug"], "comment_id": None if i["target"] == POST_TARGET else i["target"],
                 "emoji": i["emoji"], "at": i.get("at")} for i in page.items], page.last_key

    def forget(self, reactor: str) -> None:
        """Take back every reaction of a signed-in reader, counts with them (their account is being deleted)."""
        for entry in self._each_once(reactor):
            try:
                self.withdraw(reactor, str(entry["post_slug"]), str(entry["target"]), str(entry["emoji"]))
            except Conflict:
                continue  # kept changing: passed over, as a vote is

    def _each_once(self, reactor: str) -> Iterator[Item]:
        """Each index entry once; the index is eventually consistent and may show a handled entry again."""
        seen: set[str] = set()
        while True:
            fresh = [i for i in self.table.query(keys.reactor_partition(reactor), index="GSI2", limit=25).items
                     if str(i["SK"]) not in seen]
            if not fresh:
                return
            for item in fresh:
                seen.add(str(item["SK"]))
                yield item

    def withdraw(self, reactor: str, slug: str, target_id: str, emoji: str) -> None:
        """Take a reaction back as its reader would; a target no longer public keeps no count to move."""
        reaction_key = keys.reaction(slug, target_id, reactor, emoji)
        target_key = keys.post_summary(slug) if target_id == POST_TARGET else keys.comment(slug, target_id)
        for _ in range(_ATTEMPTS):
            found = {str(i["SK"]): i for i in self.table.batch_get([reaction_key, target_key])}
            if reaction_key["SK"] not in found:
                return
            target = found.get(target_key["SK"])
            try:
                if target is None or (target_id != POST_TARGET and target["status"] != Status.APPROVED):
                    self.table.write(delete(reaction_key, "attribute_exists(PK)"))
                    return
                self._count(target, slug, target_id, reactor, emoji, False, True, None)
            except (ConditionFailed, TransactionCancelled):
                continue  # changed meanwhile: read again
            return
        raise Conflict("a reaction kept changing while it was being taken back; try again")
