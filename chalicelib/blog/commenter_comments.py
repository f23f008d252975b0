"""A commenter's comments, found through their index: a page of them to export, or each one forgotten.

Each comment is entered in its commenter's index (COMMENTER#<identity> /
COMMENT#<created>#<ulid>, written in the comment's own transaction, see
threads.commenter_entry), the identity being "user:<name>" for an account and
"email:<keyed hash>" for an anonymous commenter who gave an e-mail: a Query and
a BatchGetItem find them, never a Scan. Used by blog/personal_data.py, for an
account and for a mailed link alike.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.blog.antispam import AntiSpam
from chalicelib.blog.threads import Threads
from chalicelib.errors import NotFound
from chalicelib.store import keys
from chalicelib.store.keys import END, Key
from chalicelib.store.table import ConditionFailed, Item, Table, update

TOMBSTONE, ANONYMOUS = "tombstone", "anonymous"
ANONYMOUS_NAME = "Anonymous"
_BATCH = 50  # index entries per page of work: 100 keys (COMMENT# and HELD#) in one BatchGetItem


def _comment_export(item: Item) -> dict[str, Any]:
    """A comment as its writer gets it back: allow-listed, every status, no e-mail or keys."""
    return {
        "id": item["id"],
        "post_slug": item["post_slug"],
        "parent_id": item.get("parent_id"),
        "status": item["status"],
        "body": item.get("body"),
        "author_name": item.get("author_name"),
        "author_website": item.get("author_website"),
        "created_at": item["created_at"],
        "edited_at": item.get("edited_at"),
        "likes": int(item.get("likes", 0)),
        "dislikes": int(item.get("dislikes", 0)),
        "reply_count": int(item.get("reply_count", 0)),
    }


class CommenterComments:
    def __init__(self, table: Table, threads: Threads, antispam: AntiSpam) -> None:
        self.table = table
        self.threads = threads
        self.antispam = antispam

    def page(self, identity: str, limit: int,
             start: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """Up to ``limit`` (at most 100) comments: one Query of the index, one BatchGetItem per 50 entries."""
        page = self.entries(identity, limit, start)
        found: list[dict[str, Any]] = []
        for chunk in range(0, len(page.items), _BATCH):
            found += [_comment_export(c) for c in self._comments(page.items[chunk:chunk + _BATCH])]
        return found, page.last_key

    def entries(self, identity: str, limit: int, start: dict[str, str] | None = None) -> Any:
        return self.table.query(keys.commenter_partition(identity), sort_from=keys.COMMENT_PREFIX,
                                sort_to=keys.COMMENT_PREFIX + END, limit=limit, start_key=start)

    def _comments(self, entries: list[Item]) -> list[Item]:
        """The comments index entries name, public or held, in the entries' order; gone ones are left out."""
        wanted: list[Key] = []
        for entry in entries:
            wanted += [keys.comment(entry["post_slug"], entry["comment_id"]),
                       keys.held_comment(entry["post_slug"], entry["comment_id"])]
        found = {str(i["id"]): i for i in self.table.batch_get(wanted)}
        return [found[e["comment_id"]] for e in entries if e["comment_id"] in found]


    def forget(self, identity: str, choice: str, owner: dict[str, str]) -> int:
        """Tombstone (or anonymise) every comment in ``identity``'s index, then the index entries; returns how many.

        ``owner``: the attribute that makes a comment theirs (author_user, or the e-mail's
        keyed hash checked here), so an entry can never touch someone else's comment.
        """
        done = 0
        while True:
            page = self.entries(identity, _BATCH)
            if not page.items:
                return done
            for comment in self._comments(page.items):
                if not self._owned(comment, owner):
                    continue
                if choice == TOMBSTONE:
                    with contextlib.suppress(NotFound):  # gone meanwhile
                        self.threads.delete(str(comment["id"]))
                else:
                    self._anonymise(comment, owner)
                done += 1
            self.table.batch_delete([{"PK": e["PK"], "SK": e["SK"]} for e in page.items])

    def _owned(self, comment: Item, owner: dict[str, str]) -> bool:
        if "author_user" in owner:
            return str(comment.get("author_user") or "").casefold() == owner["author_user"].casefold()
        email = comment.get("author_email")
        return bool(email) and not comment.get("author_user") and self.antispam.email_hash(
            str(email)) == owner["email_hash"]

    def _anonymise(self, comment: Item, owner: dict[str, str]) -> None:
        """Keep the text; take the name, account, e-mail and website off (no count changes)."""
        key = {"PK": comment["PK"], "SK": comment["SK"]}
        condition, values = (("author_user = :who", {"who": comment["author_user"]}) if "author_user" in owner
                             else ("author_email = :who", {"who": comment["author_email"]}))
        try:
            self.table.write(update(key, "SET author_name = :name, notify_replies = :no "
                                         "REMOVE author_user, author_email, author_website, sender",
                                    condition, name=ANONYMOUS_NAME, no=False, **values))
        except ConditionFailed:
            # Moved (held <-> public) or deleted meanwhile: anonymise it where it is now, once.
            moved = self.threads.locate(str(comment["id"])) if comment.get("id") else None
            if moved is not None and self._owned(moved, owner):
                with contextlib.suppress(ConditionFailed):
                    self.table.write(update({"PK": moved["PK"], "SK": moved["SK"]},
                                            "SET author_name = :name, notify_replies = :no "
                                            "REMOVE author_user, author_email, author_website, sender",
                                            condition, name=ANONYMOUS_NAME, no=False, **values))
