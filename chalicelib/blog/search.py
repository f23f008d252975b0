"""Search over visible posts: an inverted index in the table, kept from its stream, read without a Scan.

Index (chalicelib/store/keys.py): each visible post (published, or scheduled: a scheduled post is
filtered out by its date until its time comes) has
- a search document ``POST#<slug> / ~SEARCH``: title, plain text, labels, date, language, and the
  terms it is indexed under with their scores (so a change removes exactly the old postings);
- one posting per distinct term, ``TERM#<term> / <999-score>#<slug>``, best first.
A draft, a post being deleted or a deleted post has neither: the stream handler removes them.

A query of n terms reads n term partitions (one Query each, the best postings first) and one
BatchGetItem of the page's documents: a two-term query is 3 round trips.

Ranking: posts holding more of the query's terms come first; among them, the sum of each term's
score (a saturating, length-normalised count, title and labels weighted over the body) times its
rarity (fewer postings, more weight).
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.blog import clock, search_terms
from chalicelib.blog.status import Status
from chalicelib.errors import Invalid
from chalicelib.store import cursors, keys
from chalicelib.store.table import Item, Table

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 8
PAGE_SIZE = 10
# Postings read per term: the best this many posts holding a term compete for a page.
POSTINGS_PER_TERM = 500
# Plain text kept for snippets; a posting's score still counts the whole body.
_TEXT_KEPT = 3000
_SNIPPET_CHARS = 180
_TITLE_WEIGHT, _LABEL_WEIGHT = 3, 2
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VISIBLE = (Status.PUBLISHED, Status.SCHEDULED)


def plain_text(post_html: str) -> str:
    text = re.sub(r"<[^>]*>", " ", post_html)
    return " ".join(html.unescape(text).split())


def post_scores(title: str, text: str, labels: Iterable[str], language: str) -> dict[str, int]:
    """Each distinct term of a post with its score, 1..999."""
    weights: dict[str, int] = {}
    length = 0
    for weight, part in ((_TITLE_WEIGHT, title), (1, text), *((_LABEL_WEIGHT, label) for label in labels)):
        for term in search_terms.terms(part, language, indexing=True):
            weights[term] = weights.get(term, 0) + weight
            length += 1
    # BM25's saturation (k1 = 1.2) and length normalisation (b = 0.75, a typical post about 300 terms).
    norm = 1.2 * (0.25 + 0.75 * length / 300)
    return {term: max(1, min(999, round(999 * w / (w + norm)))) for term, w in weights.items()}


def rank(postings: Mapping[str, list[tuple[str, int]]]) -> list[str]:
    """Slugs best first, from each query term's postings (slug, score)."""
    matched: dict[str, list[float]] = {}
    for found in postings.values():
        rarity = math.log(1 + 1000 / max(1, len(found)))
        for slug, score in found:
            entry = matched.setdefault(slug, [0, 0.0])
            entry[0] += 1
            entry[1] += score * rarity
    return sorted(matched, key=lambda slug: (-matched[slug][0], -matched[slug][1], slug))


def highlight(text: str, wanted: set[str], language: str, whole: bool = False) -> str:
    """``text`` (or a window of it around the most matches) HTML-escaped, the matching words in <mark>."""
    hits: list[tuple[int, int]] = []
    for term, start, end in search_terms.spans(text, language, indexing=True):
        if term not in wanted:
            continue
        if hits and start <= hits[-1][1]:  # overlapping character pairs (東京 + 京都) mark as one
            hits[-1] = (hits[-1][0], max(end, hits[-1][1]))
        else:
            hits.append((start, end))
    begin, finish = 0, len(text)
    if not whole and len(text) > _SNIPPET_CHARS:
        first = max(hits, key=lambda hit: sum(hit[0] <= h[0] < hit[0] + _SNIPPET_CHARS for h in hits),
                    default=(0, 0))[0]
        begin = max(0, min(first - _SNIPPET_CHARS // 4, len(text) - _SNIPPET_CHARS))
        finish = begin + _SNIPPET_CHARS
    out, position = [], begin
    for start, end in hits:
        if start < position or end > finish:
            continue
        out += [html.escape(text[position:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        position = end
    out.append(html.escape(text[position:finish]))
    return ("…" if begin else "") + "".join(out) + ("…" if finish < len(text) else "")


class Search:
    def __init__(self, table: Table, cursor_key: bytes) -> None:
        self.table = table
        self.cursor_key = cursor_key

    # -- reading ---------------------------------------------------------------

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        if params.get("lang", "en") not in search_terms.LANGUAGES:
            raise Invalid.field("lang", f"must be one of {', '.join(search_terms.LANGUAGES)}")
        if "q" not in params:  # nothing asked (a bare /search): nothing found; a blank q is refused below
            return {"posts": [], "next_cursor": None}
        text = params["q"]
        if not text.strip():
            raise Invalid.field("q", "is required: the words to search for")
        if len(text) > MAX_QUERY_LENGTH:
            raise Invalid.field("q", f"is longer than {MAX_QUERY_LENGTH} characters")
        if _CONTROL.search(text):
            raise Invalid.field("q", "contains control characters")
        language = params.get("lang") or search_terms.guess_language(text)
        if language not in search_terms.LANGUAGES:
            raise Invalid.field("lang", f"must be one of {', '.join(search_terms.LANGUAGES)}")
        wanted = list(dict.fromkeys(search_terms.terms(text, language)))
        if not wanted:
            raise Invalid.field("q", "has no words to search for (only punctuation or the commonest words)")
        if len(wanted) > MAX_QUERY_TERMS:
            raise Invalid.field("q", f"has more than {MAX_QUERY_TERMS} search terms; use fewer words")
        scope = "search|" + language + "|" + " ".join(wanted)
        start = cursors.decode(params.get("cursor"), scope, self.cursor_key)
        offset = int(start["at"]) if start and start.get("at", "").isdigit() else 0
        now = clock.now_iso()
        postings = {term: self._postings(term, now) for term in wanted}
        ranked = rank(postings)
        page = ranked[offset:offset + PAGE_SIZE]
        found = {doc["slug"]: doc for doc in self.table.batch_get([keys.search_doc(s) for s in page])}
        results = [self._result(found[slug], set(wanted)) for slug in page if slug in found]
        more = offset + PAGE_SIZE < len(ranked)
        return {"posts": results,
                "next_cursor": cursors.encode({"at": str(offset + PAGE_SIZE)} if more else None,
                                              scope, self.cursor_key)}

    def _postings(self, term: str, now: str) -> list[tuple[str, int]]:
        items = self.table.query(keys.term_partition(term), limit=POSTINGS_PER_TERM).items
        return [(str(i["slug"]), 999 - int(str(i["SK"])[:3])) for i in items if str(i["published_at"]) <= now]

    @staticmethod
    def _result(doc: Item, wanted: set[str]) -> dict[str, Any]:
        language = str(doc["language"])
        return {
            "slug": doc["slug"],
            "title": doc["title"],
            "title_html": highlight(str(doc["title"]), wanted, language, whole=True),
            "snippet_html": highlight(str(doc["text"]), wanted, language),
            "labels": list(doc.get("labels") or []),
            "author": doc["author"],
            "published_at": doc["published_at"],
        }

    # -- keeping the index -------------------------------------------------------

    def handle(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Index the posts a batch of stream records changed; returns how many. Never raises."""
        from chalicelib.blog.stream_records import image

        done = 0
        for record in records:
            change = record.get("dynamodb") or {}
            record_keys = change.get("Keys") or {}
            if record_keys.get("SK", {}).get("S") != keys.POST_SK:
                continue
            try:
                slug = keys.slug_of_post_partition(str(record_keys["PK"]["S"]))
                self.reindex(slug, image(change.get("NewImage")))
                done += 1
            except Exception:  # one bad record must not stall the stream's other handlers
                logger.exception("search index not updated for stream record %s", record.get("eventID"))
        return done

    def reindex(self, slug: str, post: Item | None) -> int:
        """Bring the index in line with ``post`` (None: gone). Re-runnable; returns the writes made."""
        old = self.table.get(keys.search_doc(slug))
        old_scores: dict[str, int] = {k: int(v) for k, v in (old or {}).get("terms", {}).items()}
        if old and post and int(old.get("version", 0)) > int(post.get("version", 0)):
            return 0  # a stale record delivered late: the index already shows a newer version
        visible = post is not None and post.get("status") in _VISIBLE and post.get("published_at")
        new_scores: dict[str, int] = {}
        doc: Item | None = None
        if post is not None and visible:
            text = plain_text(str(post.get("html") or ""))
            labels = [str(label) for label in post.get("labels") or []]
            language = search_terms.guess_language(f"{post['title']} {text}")
            new_scores = post_scores(str(post["title"]), text, labels, language)
            doc = {**keys.search_doc(slug), "slug": slug, "title": post["title"], "text": text[:_TEXT_KEPT],
                   "labels": labels, "author": post.get("author", ""), "published_at": post["published_at"],
                   "language": language, "version": int(post.get("version", 0)), "terms": new_scores}
        moved = old is not None and doc is not None and old.get("published_at") != doc["published_at"]
        gone = [keys.posting(t, s, slug) for t, s in old_scores.items() if moved or new_scores.get(t) != s]
        fresh = [{**keys.posting(t, s, slug), "slug": slug, "published_at": doc["published_at"]}
                 for t, s in new_scores.items() if moved or old_scores.get(t) != s] if doc else []
        self.table.batch_delete(gone)
        self.table.batch_put(fresh)
        if doc is not None and doc != old:
            self.table.batch_put([doc])
        elif doc is None and old is not None:
            self.table.batch_delete([keys.search_doc(slug)])
        return len(gone) + len(fresh) + (doc != old)
