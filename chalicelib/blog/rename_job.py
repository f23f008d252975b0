"""The stream's half of a rename: what the account wrote follows its new name, a page at a time, resumable.

The rename's transaction (blog/renames.py) puts a job, RENAME#<account id>. Each stream record of the
job (its INSERT, then each MODIFY) moves one page of PAGE items of its phase, then checkpoints: the
phase, the cursor (the page's LastEvaluatedKey) and the step, in one update conditioned on the step
it read, which makes the next record. After the last phase the job is deleted. Phases, each found
through an index the table already keeps (never a Scan):
  posts      the author's posts (AUTHOR#<old>, visible and drafts): saved again with the new author
             through PostUpkeep, which moves their index keys, label copies and the AUTHORS counts in
             the same transaction (the posts' own counts are untouched);
  held-*     comments held on those posts, in the author's queue (MODAUTHOR#<old>#<status>);
  comments   the account's comments (COMMENTER#user:<old>): author_user, author_name, sender and a
             pinned copy; their index entries and the commenter's approval move to the new identity;
  votes, reactions, favorites, follows: each item deleted under its old key and put under its new one.

Resumable: a failure raises, so Lambda delivers the same record again; the job still holds the step
and cursor of that record, and the page is moved again. Idempotent: every move is conditioned on the
item still being under the old name, so an item moved before is skipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any, Final

from chalicelib.blog import records
from chalicelib.blog.post_upkeep import CountsMoved, PostUpkeep, StaleVersion
from chalicelib.blog.posts import load_with_counts
from chalicelib.blog.status import HELD_STATUSES, Status
from chalicelib.blog.stream_records import image
from chalicelib.blog.thread_controls import pin_refresh
from chalicelib.errors import Conflict
from chalicelib.store import keys
from chalicelib.store.keys import END
from chalicelib.store.table import ConditionFailed, Item, Page, Table, delete, put, update

PAGE = 25
PHASES: Final = ("posts", *(f"held-{s}" for s in HELD_STATUSES), "comments", "votes", "reactions", "favorites",
                 "follows")
_SAVE_ATTEMPTS = 4


class _MovedBefore(Exception):
    """The item is under the new name already (an earlier delivery of the record moved it)."""


class RenameStalled(Exception):
    """A post kept changing under the job: the batch is delivered again, and the page moved again."""


def _user(name: str) -> str:
    return "user:" + name.casefold()


class RenameJobs:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.upkeep = PostUpkeep(table)

    def handle(self, stream: Iterable[Mapping[str, Any]]) -> int:
        """Carry out one page of each rename job a batch of stream records names; how many pages moved."""
        moved = 0
        for record in stream:
            change = record.get("dynamodb") or {}
            if (change.get("Keys") or {}).get("SK", {}).get("S") != keys.RENAME_SK:
                continue
            job = image(change.get("NewImage"))
            if job is not None:
                moved += self.step(job)
        return moved

    def step(self, seen: Item) -> int:
        """Move the page the job stood at when ``seen`` was written; nothing when it moved on since."""
        job = self.table.get(keys.rename_job(str(seen["account_id"])))
        if job is None or int(job["step"]) != int(seen["step"]):
            return 0  # done, or a later record carries it on
        phase, step = str(job["phase"]), int(job["step"])
        page = self._page(job, phase, job.get("cursor"))
        for item in page.items:
            self._move(job, phase, item)
        following = PHASES.index(phase) + 1
        with contextlib.suppress(ConditionFailed):  # another delivery of this record checkpointed first
            if page.last_key is not None:
                self._checkpoint(job, phase, step, page.last_key)
            elif following < len(PHASES):
                self._checkpoint(job, PHASES[following], step, None)
            else:
                self.table.write(delete(keys.rename_job(str(job["account_id"])), "step = :step", step=step))
        return 1

    def _checkpoint(self, job: Item, phase: str, step: int, cursor: dict[str, str] | None) -> None:
        key = keys.rename_job(str(job["account_id"]))
        if cursor is None:
            self.table.write(update(key, "SET phase = :phase, step = :next REMOVE #cursor", "step = :step",
                                    {"#cursor": "cursor"}, phase=phase, next=step + 1, step=step))
        else:
            self.table.write(update(key, "SET phase = :phase, step = :next, #cursor = :cursor", "step = :step",
                                    {"#cursor": "cursor"}, phase=phase, next=step + 1, step=step, cursor=cursor))

    def _page(self, job: Item, phase: str, cursor: dict[str, str] | None) -> Page:
        old = str(job["old"])
        if phase == "posts":
            return self.table.query(keys.author_partition(old), index="GSI2", limit=PAGE, start_key=cursor)
        if phase.startswith("held-"):
            return self.table.query(keys.author_queue(old, phase.removeprefix("held-")), index="GSI2", limit=PAGE,
                                    start_key=cursor)
        if phase == "comments":
            return self.table.query(keys.commenter_partition(_user(old)), limit=PAGE, start_key=cursor)
        if phase == "votes":
            return self.table.query(keys.voter_partition(_user(old)), index="GSI2", limit=PAGE, start_key=cursor)
        if phase == "reactions":
            return self.table.query(keys.reactor_partition(_user(old)), index="GSI2", limit=PAGE, start_key=cursor)
        if phase == "favorites":
            return self.table.query(keys.favorites_partition(old), index="GSI1", limit=PAGE, start_key=cursor)
        return self.table.query(keys.user_partition(old), sort_from=keys.FOLLOWS_PREFIX,
                                sort_to=keys.FOLLOWS_PREFIX + END, limit=PAGE, start_key=cursor)

    def _move(self, job: Item, phase: str, item: Item) -> None:
        old, new = str(job["old"]), str(job["new"])
        if phase == "posts":
            self._post(keys.slug_of_post_partition(str(item["PK"])), old, new)
        elif phase.startswith("held-"):
            with contextlib.suppress(ConditionFailed):  # moved before
                self.table.write(update(
                    _key(item), "SET post_author = :new, GSI2PK = :queue", "post_author = :was", new=new,
                    queue=keys.author_queue(new, str(item["status"])), was=item["post_author"]))
        elif phase == "comments":
            self._comment_entry(item, old, new)
        elif phase == "votes":
            slug, comment_id = keys.slug_of_post_partition(str(item["PK"])), str(item["GSI2SK"])
            self._swap(item, records.vote(slug, comment_id, _user(new), int(item["value"]), str(item["at"])))
        elif phase == "reactions":
            self._swap(item, records.reaction(str(item["post_slug"]), str(item["target"]), _user(new),
                                              str(item["emoji"]), str(item["at"])))
        elif phase == "favorites":
            self._swap(item, records.favorite(str(item["slug"]), new, str(item["favorited_at"])))
        else:
            self._swap(item, records.follow(new, str(item["username"]), str(item["since"])))

    def _swap(self, old: Item, new: Item) -> None:
        """The item under its new key, in one transaction; once only (a redelivery finds the old one gone)."""
        with contextlib.suppress(_MovedBefore):  # contention (TransactionCancelled) raises: the page is retried
            self.table.transact([delete(_key(old), "attribute_exists(PK)", refusal=_MovedBefore()),
                                 put(new, "attribute_not_exists(PK)", refusal=_MovedBefore())])

    def _post(self, slug: str, old: str, new: str) -> None:
        for _ in range(_SAVE_ATTEMPTS):
            post = load_with_counts(self.table, slug)
            if post is None or post["status"] == Status.DELETING or str(post["author"]).casefold() != old.casefold():
                return  # gone, going, or moved before
            try:
                self.upkeep.save(post, {**post, "author": new, "version": int(post["version"]) + 1})
                return
            except (StaleVersion, CountsMoved):
                continue  # written meanwhile: read it again
        raise RenameStalled(f"the post {slug!r} kept changing while its author was renamed")

    def _comment_entry(self, entry: Item, old: str, new: str) -> None:
        """One entry of the commenter's index: its comment signed with the new name, then the entry moved."""
        if "comment_id" in entry:
            slug, comment_id = str(entry["post_slug"]), str(entry["comment_id"])
            for comment in self.table.batch_get([keys.comment(slug, comment_id), keys.held_comment(slug, comment_id)]):
                if str(comment.get("author_user") or "").casefold() == old.casefold():
                    self._sign(comment, new)
        self._swap(entry, {**entry, **keys.commenter_item(_user(new), str(entry["SK"]))})

    def _sign(self, comment: Item, new: str) -> None:
        names = {"author_user": new, "sender": _user(new)}
        if comment.get("author_name") == comment.get("author_user"):
            names["author_name"] = new  # a signed-in commenter is shown by their username
        renamed = {**comment, **names}
        with contextlib.suppress(_MovedBefore, Conflict):  # renamed before, or unpinned meanwhile
            self.table.transact([
                update(_key(comment), "SET " + ", ".join(f"#{n} = :{n}" for n in names), "#author_user = :was",
                       {f"#{n}": n for n in names}, refusal=_MovedBefore(), was=comment["author_user"],
                       **names),
                *pin_refresh(comment, renamed),
            ])


def _key(item: Item) -> dict[str, str]:
    return {"PK": str(item["PK"]), "SK": str(item["SK"])}
