"""Votes on public comments: one per voter, changeable, counts exact under concurrency.

A voter is a signed-in account, or else a salted hash of the caller's address
and the voter token the widget keeps in the browser. The vote item and the
comment's likes/dislikes change in one transaction: the vote under a condition
naming the vote just read (so one voter racing themselves counts once), the
counts by ADD (so different voters never block each other). The vote is read
with the comment and its post, so a comment of a post the public may not read
takes no vote (404). The transaction does not check the post again: it writes
nothing that unpublishing reads, so a vote that read the post public just
before it was unpublished is the same as one that landed just before. The comment's
place in the post's by-score index follows in a second write, conditioned on
the counts it was computed from; whoever moves the counts last also sets it.

Votes are limited per address (VOTE_RATE_LIMIT) like comments: the address's
window rides in the vote's transaction, so a full window cancels the vote and
refuses it (429 with Retry-After) without a round trip of its own.
"""

from __future__ import annotations

from typing import Any

from chalicelib.blog import bans, clock, records, views
from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.status import Status
from chalicelib.blog.thread_controls import pin_votes
from chalicelib.blog.threads import Threads
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import Field, Integer, read_fields
from chalicelib.errors import Conflict, Invalid
from chalicelib.store import keys
from chalicelib.store.table import ConditionFailed, Item, Table, TransactionCancelled, Write, delete, put, update

# +1 up, -1 down, 0 takes one's vote back.
VOTE_FIELDS = {"value": Field(Integer(-1, 1), required=True)}
_ATTEMPTS = 6


class Votes:
    def __init__(self, table: Table, threads: Threads, antispam: AntiSpam) -> None:
        self.table = table
        self.threads = threads
        self.antispam = antispam

    def vote(self, principal: Principal | None, comment_id: str, payload: Any,
             address: str, voter_token: str | None) -> dict[str, Any]:
        value = read_fields(payload, VOTE_FIELDS)["value"]
        if voter_token is not None and not (0 < len(voter_token) <= 128 and voter_token.isascii()):
            raise Invalid.field("X-Voter-Token", "must be 1 to 128 ASCII characters")
        voter = ("user:" + principal.username.casefold() if principal
                 else "anon:" + self.antispam.address_hash(f"{address}|{voter_token or ''}"))
        # Every vote that changes a count is counted against its address, signed in or not (accounts
        # cost nothing to make); admins are exempt, as they are from the comment limits.
        exempt = principal is not None and principal.is_admin
        address_hash = None if exempt else self.antispam.address_hash(address)
        # Bans of the voter's account and address are read with the comment (blog/bans.py), not checked in the
        # transaction: a ConditionCheck costs 2 write units per subject. A ban made between this read and the
        # write lets that one vote count, as a vote sent a moment before the ban would have: a ban applies from
        # the next request, and what came before stays (docs/bans.md).
        ban_subjects = [] if exempt else [*([voter] if principal else []), f"address:{address_hash}"]
        for _ in range(_ATTEMPTS):
            # The comment, its post (public?), this voter's vote and their bans, in one read after the reference.
            comment, _, found = self.threads.read_public(
                comment_id, along=lambda slug: [keys.vote(slug, comment_id, voter), *bans.ban_keys(ban_subjects)])
            if comment["status"] != Status.APPROVED:
                raise Conflict("only published comments can be voted on")
            mine = keys.vote(comment["post_slug"], comment_id, voter)
            previous = found.get((mine["PK"], mine["SK"]))
            old = int(previous["value"]) if previous else 0
            if old == value:
                return views.comment_view(comment)
            if (ban := bans.standing(found, ban_subjects, clock.epoch())) is not None:
                if ban["mode"] == "ban":
                    raise bans.refusal(ban)
                return views.comment_view(comment)  # a shadow-banned voter's vote is dropped without a word
            try:
                self._count(comment, voter, old, value, address_hash)
            except TransactionCancelled:
                continue  # this voter's other request got there first; read again
            return views.comment_view(self._reindex(comment))
        raise Conflict("the comment is being voted on heavily; try again")

    def withdraw(self, voter: str, slug: str, comment_id: str) -> None:
        """Take a vote back as its voter would (for a deleted account); a comment no longer public keeps no count."""
        vote_key = keys.vote(slug, comment_id, voter)
        for _ in range(_ATTEMPTS):
            vote = self.table.get(vote_key)
            if vote is None:
                return
            old = int(vote["value"])
            comment = self.table.get(keys.comment(slug, comment_id))
            try:
                if comment is None or comment["status"] != Status.APPROVED:
                    self.table.write(delete(vote_key, "#v = :old", {"#v": "value"}, old=old))
                    return
                self._count(comment, voter, old, 0, None)
            except (ConditionFailed, TransactionCancelled):
                continue  # changed meanwhile: read again
            self._reindex(comment)
            return
        raise Conflict("a vote kept changing while it was being taken back; try again")

    def _count(self, comment: Item, voter: str, old: int, value: int, address_hash: str | None) -> None:
        """The vote, the counts, and (unless exempt) the address's vote window: one transaction.

        A full window cancels it all, and the store raises the window's refusal (429). A signed-in
        voter's vote is in their votes' index (records.vote), for their own data.
        """
        vote_write: Write
        if value == 0:
            vote_key = keys.vote(comment["post_slug"], comment["id"], voter)
            vote_write = delete(vote_key, "#v = :old", {"#v": "value"}, old=old)
        else:
            vote = records.vote(comment["post_slug"], comment["id"], voter, value, clock.now_iso())
            vote_write = (put(vote, "attribute_not_exists(PK)") if old == 0
                          else put(vote, "#v = :old", {"#v": "value"}, old=old))
        moved = (value == 1) - (old == 1), (value == -1) - (old == -1)
        counts = update({"PK": comment["PK"], "SK": comment["SK"]}, "ADD likes :dl, dislikes :dd",
                        "#status = :approved", {"#status": "status"}, approved=Status.APPROVED,
                        dl=moved[0], dd=moved[1])
        writes = [vote_write, counts, *pin_votes(comment, *moved)]  # a pinned comment's copy counts it too
        if address_hash is not None:
            writes.append(self.antispam.vote_rate_limit(address_hash, clock.epoch()))
        self.table.transact(writes)

    def _reindex(self, comment: Item) -> Item:
        """Set the by-score sort key from the counts as they stand (unless they move meanwhile)."""
        key = {"PK": comment["PK"], "SK": comment["SK"]}
        current = comment
        for _ in range(_ATTEMPTS):
            current = self.table.get(key) or current
            likes, dislikes = int(current.get("likes", 0)), int(current.get("dislikes", 0))
            index = keys.score_index_keys(current["post_slug"], likes - dislikes, current["id"])
            try:
                self.table.write(update(key, "SET GSI1PK = :pk, GSI1SK = :sk",
                                        "#status = :approved AND likes = :l AND dislikes = :d",
                                        {"#status": "status"}, pk=index["GSI1PK"], sk=index["GSI1SK"],
                                        approved=Status.APPROVED, l=likes, d=dislikes))
                return current
            except ConditionFailed:
                continue  # counts moved: the vote that moved them reindexes too
        return current
