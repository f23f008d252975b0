"""Isso, Remark42 and Commento: their real files imported, read back through the API with threads and counts."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from importer.model import ImportError_
from tests.conftest import Api, Blog
from tests.importer.steps import SAMPLES, import_file, with_bodies

ISSO = SAMPLES / "isso" / "isso-comments.db"
ISSO_GENERIC = SAMPLES / "isso" / "isso-tests-generic.json"
REMARK42 = SAMPLES / "remark42" / "backup-blog-20261207T083912.gz"
REMARK42_OLDER = SAMPLES / "remark42" / "native_test-TestNative_Import-input.jsonl"
COMMENTO = SAMPLES / "commento" / "commento-export-remark42-rest-api-testdata.json"
JAPANESE = quote("こんにちは-世界")


def _thread(api: Api, slug: str) -> list[dict[str, Any]]:
    reply = api.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status == 200, reply.body
    return with_bodies(api, list(reply.json["items"]))


def _names(thread: list[dict[str, Any]]) -> list[str]:
    return [c["author"]["name"] if c["author"] else "(deleted)" for c in thread]


def _counts_agree(api: Api, slug: str) -> None:
    """The post's comment_count and every reply_count are what the thread shows."""
    thread = _thread(api, slug)
    post = api.get(f"/posts/{slug}").json
    assert post["comment_count"] == sum(1 for c in thread if c["status"] == "approved")
    for comment in thread:
        assert comment["reply_count"] == sum(1 for c in thread if c["parent_id"] == comment["id"])


# -- Isso ----------------------------------------------------------------------

def test_isso_threads_become_posts_with_their_replies_and_a_deleted_parent_stays_a_tombstone(api: Api) -> None:
    report = import_file(ISSO)

    assert report.posts == {"created": 3}
    assert report.comments == {"created approved": 9, "created pending": 1, "created tombstone": 1}
    hello = _thread(api, "hello-world")
    assert _names(hello) == ["Alice", "Борис Иванов", "田中太郎", "(deleted)", "Dave"]  # each reply under its parent
    alice, boris, tanaka, tombstone, dave = hello
    assert boris["parent_id"] == tanaka["parent_id"] == alice["id"] and alice["reply_count"] == 2
    assert tombstone["status"] == "deleted" and tombstone["body"] == "" and dave["parent_id"] == tombstone["id"]
    assert api.get("/posts/hello-world").json["title"] == "Hello, World"
    for slug in ("hello-world", "privet-mir", JAPANESE):
        _counts_agree(api, slug)
    assert api.get("/posts/hello-world").json["comment_count"] == 4
    assert _names(_thread(api, JAPANESE)) == ["佐藤花子", "Frank", "山田"]


def test_isso_markdown_is_rendered_as_a_comment_here_and_its_raw_html_stays_text(api: Api, blog: Blog) -> None:
    import_file(ISSO)

    alice = _thread(api, "hello-world")[0]
    assert "<strong>markdown</strong>" in alice["html"] and "<code>inline code</code>" in alice["html"]
    assert '<a href="https://example.org/" rel="nofollow ugc noopener">link</a>' in alice["html"]
    assert alice["author"]["website"] == "https://alice.example.org"
    assert alice["created_at"].startswith("2026-12-07T")
    held = api.get("/moderation/comments?status=pending", token=blog.admin()).json["items"]
    assert len(held) == 1 and "<script" not in held[0]["html"] and "&lt;script&gt;" in held[0]["html"]


def test_isso_likes_and_dislikes_come_in_as_counts_and_readers_here_add_to_them(api: Api) -> None:
    import_file(ISSO)

    alice, boris = _thread(api, "hello-world")[:2]
    assert (alice["likes"], alice["dislikes"]) == (2, 1)
    assert (boris["likes"], boris["dislikes"]) == (1, 0)
    assert [(c["likes"], c["dislikes"]) for c in _thread(api, JAPANESE)] == [(1, 1), (0, 0), (0, 0)]

    voted = api.post(f"/comments/{alice['id']}/vote", {"value": 1}, headers={"X-Voter-Token": "reader-here"})

    assert voted.status == 200, voted.body
    assert (_thread(api, "hello-world")[0]["likes"], _thread(api, "hello-world")[0]["dislikes"]) == (3, 1)


def test_isso_counts_that_are_not_counts_are_refused_with_the_comment_named(tmp_path: Path) -> None:
    for likes in (-1, 10**7, 2.5, "many"):
        copy = tmp_path / f"isso-{likes}.db"
        copy.write_bytes(ISSO.read_bytes())
        with sqlite3.connect(copy) as db:
            db.execute("UPDATE comments SET likes = ? WHERE id = 2", (likes,))
        db.close()

        with pytest.raises(ImportError_) as refused:
            import_file(copy)

        assert "comment 2: likes" in str(refused.value) and "is not a count" in str(refused.value)


def test_isso_threads_attach_to_a_post_already_at_their_slug(api: Api, blog: Blog) -> None:
    blog.post(blog.author("owner"), title="Hello, World", slug="hello-world")

    report = import_file(ISSO)

    assert report.posts == {"mapped to an existing post": 1, "created": 2}
    assert api.get("/posts/hello-world").json["comment_count"] == 4


def test_isso_s_generic_json_threads_and_their_form_encoded_titles(api: Api) -> None:
    report = import_file(ISSO_GENERIC)

    assert report.posts == {"created": 2} and report.comments == {"created approved": 2}
    nat = api.get("/posts/0007").json
    assert nat["title"] == "Nat & Miguel" and nat["published_at"] == "2005-05-08T06:50:26.000Z"
    assert _thread(api, "0007")[0]["body"] == "Ja-make-a me crazzy mon :)"
    assert api.get("/posts/0001").json["title"] == "Test post"


# -- Remark42 -------------------------------------------------------------------

def test_remark42_replies_four_levels_deep_keep_their_parents(api: Api) -> None:
    report = import_file(REMARK42)

    assert report.read["thread"] == 3
    assert report.comments == {"created approved": 7, "created pending": 2, "skipped: deleted, no replies": 2}
    hello = _thread(api, "hello-world")
    assert [c["depth"] for c in hello] == [0, 1, 2, 3]
    for parent, reply in itertools.pairwise(hello):
        assert reply["parent_id"] == parent["id"] and parent["reply_count"] == 1
    assert _names(hello) == ["Alice", "Борис", "田中太郎", "Alice"]
    for slug in ("hello-world", "privet-mir", JAPANESE):
        _counts_agree(api, slug)


def test_remark42_html_is_sanitised_and_a_read_only_page_is_closed(api: Api) -> None:
    import_file(REMARK42)

    first = _thread(api, "hello-world")[0]
    assert "<strong>markdown</strong>" in first["html"] and "<pre>" in first["html"]
    assert "class=" not in first["html"] and "chroma" not in first["html"]  # the highlighter's classes go
    assert 'fmt.Println("hi")' in re.sub(r"<[^>]+>", "", first["html"])  # the code's text stays
    assert api.get("/posts/privet-mir").json["comments_closed"] is True
    assert api.get("/posts/hello-world").json["comments_closed"] is False
    assert api.get(f"/posts/{JAPANESE}").json["title"] == "こんにちは世界"


def test_remark42_comments_of_a_blocked_user_are_held(api: Api, blog: Blog) -> None:
    import_file(REMARK42)

    held = api.get("/moderation/comments?status=pending", token=blog.admin()).json["items"]
    assert sorted(c["author"]["name"] for c in held) == ["Dave Smith", "Dave Smith"]
    assert "Dave Smith" not in _names(_thread(api, "hello-world"))


def test_remark42_scores_and_voter_maps_come_in_as_counts(api: Api, tmp_path: Path) -> None:
    import_file(REMARK42)
    assert [(c["likes"], c["dislikes"]) for c in _thread(api, "hello-world")][:2] == [(1, 0), (2, 0)]

    lines = gzip.decompress(REMARK42.read_bytes()).decode().splitlines()
    comment = next(json.loads(line) for line in lines[1:] if json.loads(line)["user"]["name"] == "Мария")
    comment.update(id="voted", text="<p>voted on</p>", score=-1, votes={"u1": True, "u2": False, "u3": False})
    path = tmp_path / "backup-voted.gz"
    path.write_bytes(gzip.compress("\n".join([lines[0], json.dumps(comment)]).encode()))

    import_file(path)

    voted = [c for c in _thread(api, "privet-mir") if "voted on" in c["html"]]
    assert [(c["likes"], c["dislikes"]) for c in voted] == [(1, 2)]  # the map, not the net score


def test_remark42_s_older_plain_layout_imports_and_a_reply_to_a_missing_parent_is_an_orphan(api: Api) -> None:
    report = import_file(REMARK42_OLDER)

    assert report.comments == {"created approved": 1}
    assert report.orphans == {"its parent comment is not in the file": 1}


# -- Commento -------------------------------------------------------------------

def commento_export(comments: list[dict[str, Any]], commenters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An export as Commento's domain export writes it (its commentoExportV1: version, comments, commenters)."""
    return {"version": 1, "comments": comments, "commenters": commenters or [
        {"commenterHex": "c1", "email": "ann@example.org", "name": "Ann", "link": "https://ann.example",
         "photo": "undefined", "provider": "commento", "joinDate": "2022-01-01T00:00:00Z", "isModerator": False},
        {"commenterHex": "c2", "email": "undefined", "name": "Bo", "link": "undefined", "photo": "undefined",
         "provider": "anon", "joinDate": "2022-01-01T00:00:00Z", "isModerator": False}]}


def commento_comment(hex_id: str, parent: str = "root", url: str = "/notes/first-note/",
                     **fields: Any) -> dict[str, Any]:
    return {"commentHex": hex_id, "domain": "notes.example", "url": url, "commenterHex": "c1",
            "markdown": f"comment **{hex_id}**", "html": f"<p>comment <b>{hex_id}</b></p>", "parentHex": parent,
            "score": 0, "state": "approved", "creationDate": f"2023-01-0{len(hex_id)}T10:00:00Z", "direction": 0,
            "deleted": False, **fields}


THREAD = [
    commento_comment("a"),
    commento_comment("ab", parent="a", commenterHex="anonymous"),
    commento_comment("abc", parent="ab", commenterHex="c2", html="", markdown="only *markdown*"),
    commento_comment("d", deleted=True, html="", markdown=""),
    commento_comment("de", parent="d", html='<p onclick="x()">hi<script>steal()</script></p>'),
    commento_comment("f", state="unapproved"),
    commento_comment("g", state="flagged", score=3),
    commento_comment("h", url="/notes/second/"),
]


def test_commento_threads_commenters_and_states(api: Api, blog: Blog, tmp_path: Path) -> None:
    path = tmp_path / "commento-export.json.gz"
    path.write_bytes(gzip.compress(json.dumps(commento_export(THREAD)).encode()))  # as Commento mails it

    report = import_file(path)

    assert report.posts == {"created": 2}
    assert report.comments == {"created approved": 5, "created tombstone": 1, "created pending": 1,
                               "created spam": 1}
    thread = _thread(api, "first-note")
    assert _names(thread) == ["Ann", "(deleted)", "Anonymous", "Ann", "Bo"]
    assert thread[2]["parent_id"] == thread[0]["id"] and thread[4]["parent_id"] == thread[2]["id"]
    assert thread[3]["parent_id"] == thread[1]["id"]
    assert thread[0]["author"]["website"] == "https://ann.example" and thread[4]["author"]["website"] is None
    assert "<em>markdown</em>" in thread[4]["html"]
    assert "<script" not in thread[3]["html"] and "onclick" not in thread[3]["html"]
    _counts_agree(api, "first-note")
    assert api.get("/posts/first-note").json["title"] == "First note"  # from the address, never the raw URL
    admin = blog.admin()
    assert len(api.get("/moderation/comments?status=pending", token=admin).json["items"]) == 1
    assert len(api.get("/moderation/comments?status=spam", token=admin).json["items"]) == 1


def test_commento_scores_come_in_as_likes_or_dislikes(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "commento-export.json"
    path.write_text(json.dumps(commento_export([commento_comment("a", score=4), commento_comment("bb", score=-2),
                                                commento_comment("ccc", score=0)])))

    import_file(path)

    assert [(c["likes"], c["dislikes"]) for c in _thread(api, "first-note")] == [(4, 0), (0, 2), (0, 0)]


def test_a_commento_score_that_is_not_a_whole_number_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "commento-export.json"
    path.write_text(json.dumps(commento_export([commento_comment("a", score=True)])))

    with pytest.raises(ImportError_, match="score True is not a whole number"):
        import_file(path)


def test_the_real_commento_file_s_empty_comments_are_read_as_deleted(api: Api) -> None:
    report = import_file(COMMENTO)

    assert report.read == {"thread": 1, "comment (deleted)": 7}
    assert report.comments == {"skipped: deleted, no replies": 7}
    assert _thread(api, "example") == []
