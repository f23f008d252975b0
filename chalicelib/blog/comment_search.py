"""Comment search for moderators: which comments say a word, or are by someone, on any post or on one.

The same terms as post search (search_terms.py: stemmed Latin, Cyrillic and Arabic words, bigrams of
Japanese and Chinese), drawn from a comment's text and its author's name and username. Each term of
a comment is one posting, ``CTERM#<term> / <created_at>#<id>#<C|H>``, with the comment's post and
status, kept from the table's stream as the post index is; a tombstone has none. A query of n terms
reads n term partitions, newest first (one Query each), keeps the comments that hold every term,
and reads the page's comments in one BatchGetItem: at most n + 1 round trips, no Scan.

Only the newest POSTINGS_PER_TERM comments holding a term are searched: a word in thousands of
comments is narrowed by a second word, a post or a status, not paged through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.blog import search_terms, views
from chalicelib.blog.search import MAX_QUERY_LENGTH, MAX_QUERY_TERMS, highlight
from chalicelib.blog.status import HELD_STATUSES, Status
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import read_query
from chalicelib.errors import Forbidden, Invalid
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
POSTINGS_PER_TERM = 1000
# A comment's terms beyond this many (a pasted essay) are not indexed: the first ones still find it.
MAX_TERMS_PER_COMMENT = 80
STATUSES = (Status.APPROVED, *HELD_STATUSES)
_CONTROL = {chr(c) for c in (*range(0x20), *range(0x7f, 0xa0))}


def terms_of(comment: Item | None) -> list[str]:
    """The terms a comment is found by: its words, its author's name and username (a tombstone: none)."""
    if comment is None or comment.get("status") not in STATUSES:
        return []
    text = " ".join(str(comment.get(name) or "") for name in ("body", "author_name", "author_user"))
    language = search_terms.guess_language(text)
    return list(dict.fromkeys(search_terms.terms(text, language, indexing=True)))[:MAX_TERMS_PER_COMMENT]


def _snippet(comment: Item, wanted: set[str]) -> str:
    body = str(comment.get("body") or "")
    return highlight(body, wanted, search_terms.guess_language(body))


class CommentSearch:
    def __init__(self, table: Table, cursor_key: bytes) -> None:
        self.table = table
        self.cursor_key = cursor_key

    # -- reading ---------------------------------------------------------------

    def search(self, principal: Principal, params: Mapping[str, str] | None) -> dict[str, Any]:
        if not principal.is_admin:
            raise Forbidden("only admins search every comment")
        query = read_query(params, ("q", "post", "status", "cursor"))
        post, status = query.get("post"), query.get("status")
        if post is not None and not 0 < len(post) <= 200:
            raise Invalid.field("post", "must be a post's slug")
        if status is not None and status not in STATUSES:
            raise Invalid.field("status", f"must be one of {', '.join(STATUSES)}")
        if "q" not in query:  # nothing asked (as GET /search): nothing found; a blank q is refused
            return {"items": [], "next_cursor": None}
        wanted = self._terms(query["q"])
        scope = f"csearch|{' '.join(wanted)}|{post or ''}|{status or ''}"
        start = cursors.decode(query.get("cursor"), scope, self.cursor_key)
        offset = int(start["at"]) if start and start.get("at", "").isdigit() else 0
        found = self._matching(wanted, post, status)
        page = found[offset:offset + PAGE_SIZE]
        comments = {(str(c["id"]), str(c["SK"]).startswith(keys.HELD_PREFIX)): c
                    for c in self.table.batch_get([self._comment_key(p) for p in page])}
        results = []
        for posting in page:
            comment = comments.get((str(posting["comment_id"]), str(posting["SK"]).endswith("#H")))
            if comment is not None and comment.get("status") in STATUSES:  # else removed since: the stream follows
                results.append({**views.comment_view(comment, with_body=True),
                                "held_because": comment.get("held_because"),
                                "snippet_html": _snippet(comment, set(wanted))})
        more = offset + PAGE_SIZE < len(found)
        return {"items": results, "next_cursor": cursors.encode({"at": str(offset + PAGE_SIZE)} if more else None,
                                                                scope, self.cursor_key)}

    @staticmethod
    def _terms(text: str) -> list[str]:
        if not text.strip():
            raise Invalid.field("q", "is required: the words, or the name, to look for")
        if len(text) > MAX_QUERY_LENGTH:
            raise Invalid.field("q", f"is longer than {MAX_QUERY_LENGTH} characters")
        if _CONTROL.intersection(text):
            raise Invalid.field("q", "contains control characters")
        wanted = list(dict.fromkeys(search_terms.terms(text, search_terms.guess_language(text))))
        if not wanted:
            raise Invalid.field("q", "has no words to search for (only punctuation or the commonest words)")
        if len(wanted) > MAX_QUERY_TERMS:
            raise Invalid.field("q", f"has more than {MAX_QUERY_TERMS} search terms; use fewer words")
        return wanted

    def _matching(self, wanted: list[str], post: str | None, status: str | None) -> list[Item]:
        """The postings of comments holding every term (and on ``post``, with ``status``), newest first."""
        by_term = [{str(p["SK"]): p for p in self.table.query(keys.comment_term_partition(term), newest_first=True,
                                                              limit=POSTINGS_PER_TERM).items}
                   for term in wanted]
        common = set(by_term[0]).intersection(*by_term[1:])
        return [by_term[0][sk] for sk in sorted(common, reverse=True)
                if (post is None or by_term[0][sk]["post_slug"] == post)
                and (status is None or by_term[0][sk]["status"] == status)]

    @staticmethod
    def _comment_key(posting: Item) -> dict[str, str]:
        slug, comment_id = str(posting["post_slug"]), str(posting["comment_id"])
        held = str(posting["SK"]).endswith("#H")
        return keys.held_comment(slug, comment_id) if held else keys.comment(slug, comment_id)

    # -- keeping the index -------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Follow the comments a batch of stream records changed; how many. Never raises."""
        from chalicelib.blog.stream_records import image

        done = 0
        for record in records:
            change = record.get("dynamodb") or {}
            sort_key = str((change.get("Keys") or {}).get("SK", {}).get("S", ""))
            if not sort_key.startswith((keys.COMMENT_PREFIX, keys.HELD_PREFIX)):
                continue
            try:
                self.reindex(image(change.get("OldImage")), image(change.get("NewImage")),
                             held=sort_key.startswith(keys.HELD_PREFIX))
                done += 1
            except Exception:  # one bad record must not stall the stream's other handlers
                logger.exception("comment search not updated for stream record %s", record.get("eventID"))
        return done

    def reindex(self, old: Item | None, new: Item | None, held: bool) -> int:
        """Postings from ``old`` (the item as it was) to ``new`` (as it is; None: removed); the writes made.
        Re-runnable: a redelivered record puts the same postings again and deletes nothing more."""
        comment = new or old
        if comment is None:
            return 0
        before, after = set(terms_of(old)), terms_of(new)
        status_moved = old is not None and new is not None and old.get("status") != new.get("status")
        created_at, comment_id = str(comment["created_at"]), str(comment["id"])
        gone = [keys.comment_posting(t, created_at, comment_id, held) for t in before.difference(after)]
        fresh = [{**keys.comment_posting(t, created_at, comment_id, held), "comment_id": comment_id,
                  "post_slug": comment["post_slug"], "status": comment["status"]}
                 for t in after if status_moved or t not in before]
        self.table.batch_delete(gone)
        self.table.batch_put(fresh)
        return len(gone) + len(fresh)
