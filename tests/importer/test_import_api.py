"""Imported blogs read back through the API as native ones do: posts, threads, counts, labels, archive."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.blog.stream_records import newly_visible
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, serialize
from tests.conftest import TEST_TABLE, Api, Blog
from tests.importer.steps import (
    BLOGGER_SAMPLE,
    BLOGGER_THREADS,
    DISQUS_SAMPLE,
    TAKEOUT,
    WORDPRESS_SAMPLE,
    import_file,
    with_bodies,
)

RUSSO = "russo-japanese-different-dreams"


def _thread(api: Api, slug: str) -> list[dict[str, Any]]:
    reply = api.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status == 200, reply.body
    assert reply.json["next_cursor"] is None
    return with_bodies(api, list(reply.json["items"]))


def _by_name(thread: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["author"]["name"]: c for c in thread if c["author"]}


def _post(api: Api, slug: str) -> dict[str, Any]:
    reply = api.get(f"/posts/{slug}")
    assert reply.status == 200, reply.body
    return dict(reply.json)


# -- the three sample exports ------------------------------------------------

def test_the_blogger_sample_imports_every_post_with_drafts_kept_private(api: Api) -> None:
    report = import_file(BLOGGER_SAMPLE)

    assert report.posts == {"created": 11}
    assert report.read["skipped: settings"] == 52 and report.read["skipped: template"] == 1
    listed = api.get("/posts?limit=100").json["items"]
    assert len(listed) == 10  # the draft is not listed
    assert listed[0]["slug"] == "plugin-git-flow-auto-komplit-mendadak"  # from its permalink, newest first
    assert listed[0]["published_at"] == "2015-12-24T07:14:00.003Z"  # 15:14 at +08:00
    assert listed[-1]["slug"] == "sumber-materi-untuk-belajar-rails"
    # The draft (with an empty title and no permalink) exists, untitled, and is not public.
    assert api.get("/posts/untitled").status == 404
    # Labels and the archive count only the published posts.
    labels = {item["label"]: item["count"] for item in api.get("/labels").json["items"]}
    assert labels["Ruby on Rails"] == 5 and labels["Homebrew"] == 2
    archive = {item["month"]: item["count"] for item in api.get("/archive").json["items"]}
    assert archive["2015-08"] == 3 and sum(archive.values()) == 10


def test_the_draft_with_an_empty_title_belongs_to_its_author(api: Api, blog: Blog) -> None:
    import_file(BLOGGER_SAMPLE, authors={"Adinda Praditya": "dida"})
    token = blog.author("dida")

    draft = api.get("/posts/untitled", token=token)

    assert draft.status == 200, draft.body
    assert draft.json["status"] == "draft" and draft.json["title"] == "(untitled)"


def test_the_wordpress_sample_keeps_replies_two_levels_deep(api: Api) -> None:
    report = import_file(WORDPRESS_SAMPLE)

    assert report.posts == {"created": 3} and report.comments == {"created approved": 8}
    thread = _thread(api, "test")
    assert [c["body"] for c in thread] == [
        "Erster!1", "Zweiter.", "Drölfter!", "Yet another reply.", "...",
        "When you have a comment with multiple lines:\nWordPress exports it like this.", "..."]
    second, third, fourth, fifth = thread[1], thread[2], thread[3], thread[4]
    assert third["parent_id"] == second["id"] and third["depth"] == 1
    assert fourth["parent_id"] == third["id"] and fourth["depth"] == 2
    assert fifth["parent_id"] == third["id"] and fifth["depth"] == 2
    assert third["reply_count"] == 2 and second["reply_count"] == 1
    assert _post(api, "test")["comment_count"] == 7
    # The multi-line comment keeps its line break; the e-mail padded with spaces is stored trimmed.
    assert "<br>" in thread[5]["html"]
    ohai = thread[0]["author"]
    assert ohai["website"] == "http://example.tld/"
    stored = Table(dynamodb_client(), TEST_TABLE).get(keys.comment("test", thread[0]["id"]))
    assert stored is not None and stored["author_email"] == "test@example.org"
    # The item at ?p=4 has a comment with the same id as one of the first post's: it is its own.
    assert _post(api, "p-4")["comment_count"] == 1
    assert _post(api, "p-6")["comment_count"] == 0


def test_the_disqus_sample_s_26_threads_are_two_pages(api: Api) -> None:
    report = import_file(DISQUS_SAMPLE)

    assert report.read["thread"] == 26
    assert report.posts == {"created": 2}
    font_loading, webfonts = _thread(api, "23-minutes"), _thread(api, "comprehensive-webfonts")
    assert len(font_loading) + len(webfonts) == 16
    assert _post(api, "23-minutes")["comment_count"] == len(font_loading)
    replies = [c for c in font_loading + webfonts if c["parent_id"]]
    assert len(replies) == 8
    ids = {c["id"] for c in font_loading}
    assert all(r["parent_id"] in ids for r in replies if r["post"] == "23-minutes")
    jeff = _by_name(font_loading)["Jeff Golenski"]
    assert jeff["html"].startswith("<p>Nice work, Zach.")


def test_disqus_threads_attach_to_a_post_already_at_their_address(api: Api, blog: Blog) -> None:
    existing = blog.post(blog.author("zach"), title="23 minutes", slug="23-minutes")

    report = import_file(DISQUS_SAMPLE)

    assert report.posts == {"mapped to an existing post": 1, "created": 1}
    post = _post(api, "23-minutes")
    assert post["title"] == existing["title"] and post["comment_count"] == len(_thread(api, "23-minutes")) > 0


def test_disqus_threads_of_no_post_here_are_reported_when_pages_are_not_created(api: Api) -> None:
    report = import_file(DISQUS_SAMPLE, create_pages=False)

    assert report.posts == {"skipped: no post has its address": 2}
    assert sorted(report.unmapped_urls) == ["https://www.zachleat.com/web/23-minutes/",
                                            "https://www.zachleat.com/web/comprehensive-webfonts/?t=1&cn="
                                            "ZmxleGlibGVfcmVjc18y&refsrc=email&iid=e3dfe6bfa58e49cda867e0e2f496161c"
                                            "&uid=805103250047238144&nid=244+272699400"]
    assert report.comments["skipped: its post was not imported"] == 16
    assert api.get("/posts").json["items"] == []


# -- Blogger threads (our own fixtures) ---------------------------------------

def test_blogger_replies_thread_under_their_parents_and_a_removed_parent_stays_a_tombstone(api: Api) -> None:
    report = import_file(BLOGGER_THREADS)

    thread = _thread(api, RUSSO)
    named = _by_name(thread)
    assert [c["author"]["name"] if c["author"] else "(removed)" for c in thread] == [
        "Ann", "Bob", "Ann", "(removed)", "Dan"]
    assert named["Bob"]["parent_id"] == thread[0]["id"] and thread[2]["parent_id"] == named["Bob"]["id"]
    tombstone = thread[3]
    assert tombstone["status"] == "deleted" and tombstone["body"] == "" and tombstone["reply_count"] == 1
    assert named["Dan"]["parent_id"] == tombstone["id"]
    # Counted as native comments are: the tombstone is not, its reply is.
    assert _post(api, RUSSO)["comment_count"] == 4
    assert thread[0]["reply_count"] == 1 and named["Bob"]["reply_count"] == 1
    # The removed comment without replies is dropped; the orphans are reported and skipped.
    assert report.comments["skipped: deleted, no replies"] == 1
    assert report.orphans == {"its post is not in the file": 1, "its parent comment is not in the file": 1}
    assert report.comments == {"created approved": 5, "created tombstone": 1, "skipped: deleted, no replies": 1}


def test_blogger_posts_keep_their_html_sanitised_and_their_dates_and_labels(api: Api) -> None:
    import_file(BLOGGER_THREADS)

    post = _post(api, RUSSO)
    html = post["html"]
    for kept in ("<h2>Two empires</h2>", "One <b>war</b>,", "<br>",
                 'href="https://example.org/map"', 'src="https://example.org/port-arthur.jpg"', 'alt="Port Arthur"'):
        assert kept in html
    for gone in ("<script", "onerror", "javascript:", 'alert("x")'):
        assert gone not in html
    assert post["published_at"] == "2017-03-22T00:00:00.000Z"  # 09:00 at +09:00
    assert post["labels"] == ["History", "Japan"]
    assert post["author"] == "blog-owner"  # "Blog Owner" became an author account


def test_a_slug_taken_by_an_earlier_post_gets_the_next_number_and_the_redirect_map_says_so(api: Api) -> None:
    report = import_file(BLOGGER_THREADS)

    assert _post(api, "second-post")["title"] == "A second post"
    assert _post(api, "second-post-2")["title"] == "Second post, again"
    assert report.redirects == {
        "https://example.blogspot.com/2017/03/russo-japanese-different-dreams.html": RUSSO,
        "https://example.blogspot.com/2017/04/second-post.html": "second-post",
        "https://example.blogspot.com/2018/01/second-post.html": "second-post-2",
    }


def test_a_slug_map_overrides_the_slug_an_address_would_give(api: Api) -> None:
    import_file(BLOGGER_THREADS, slugs={"https://example.blogspot.com/2018/01/second-post.html": "again"})

    assert _post(api, "again")["title"] == "Second post, again"


def test_replies_deeper_than_the_limit_hang_from_their_deepest_allowed_ancestor(api: Api) -> None:
    report = import_file(BLOGGER_THREADS, max_depth=1)

    thread = _thread(api, RUSSO)
    first, bob, ann_again = thread[0], thread[1], thread[2]
    assert bob["depth"] == 1 and ann_again["depth"] == 1
    assert ann_again["parent_id"] == first["id"]  # not Bob's comment, at depth 2
    assert first["reply_count"] == 2 and bob["reply_count"] == 0
    assert any("deeper than 1" in note for note in report.notes)


def test_the_takeout_feed_imports_posts_comments_replies_and_spam(api: Api, blog: Blog) -> None:
    report = import_file(TAKEOUT)

    assert report.read["skipped: post (soft_trashed)"] == 1
    post = _post(api, "takeout-travels")
    assert post["labels"] == ["Travel"] and post["published_at"] == "2019-05-01T19:00:00.000Z"
    thread = _thread(api, "takeout-travels")
    assert [c["body"] for c in thread] == ["Lovely trip.", "Thank you, Ivan."]
    assert thread[1]["parent_id"] == thread[0]["id"] and post["comment_count"] == 2
    queue = api.get("/moderation/comments?status=spam", token=blog.admin()).json["items"]
    assert [c["body"] for c in queue] == ["Buy now."]


# -- behaviour of imported content -----------------------------------------------

def test_an_edit_of_an_imported_post_keeps_it_html(api: Api, blog: Blog) -> None:
    import_file(BLOGGER_THREADS)
    admin = blog.admin()

    renamed = api.patch(f"/posts/{RUSSO}", {"title": "Different dreams"}, token=admin)
    assert renamed.status == 200, renamed.body
    assert "<h2>Two empires</h2>" in renamed.json["html"]
    rewritten = api.patch(f"/posts/{RUSSO}", {"body": "<p>Plain *stars* stay stars.</p>"}, token=admin)
    assert rewritten.json["html"] == "<p>Plain *stars* stay stars.</p>"


def test_native_posts_still_render_markdown(api: Api, blog: Blog) -> None:
    post = blog.post(blog.author(), body="Some *text*.")

    assert post["html"] == "<p>Some <em>text</em>.</p>\n"


def test_imported_comments_notify_nobody_and_native_ones_still_do(api: Api, blog: Blog) -> None:
    import_file(BLOGGER_THREADS)
    table = Table(dynamodb_client(), TEST_TABLE)
    imported = _thread(api, RUSSO)[1]
    native = blog.comment(RUSSO, body="A new comment")["comment"]

    def inserted(comment_id: str) -> dict[str, Any]:
        item = table.get(keys.comment(RUSSO, comment_id))
        assert item is not None
        return {"eventName": "INSERT", "dynamodb": {"Keys": serialize({"PK": item["PK"], "SK": item["SK"]}),
                                                    "NewImage": serialize(item)}}

    assert newly_visible(inserted(imported["id"])) is None
    assert newly_visible(inserted(native["id"])) is not None


def test_imported_comments_pass_no_rate_limit(api: Api, configure: Any) -> None:
    configure(COMMENT_RATE_LIMIT="1/3600", MODERATION="all")

    report = import_file(WORDPRESS_SAMPLE)

    # Eight comments from one address inside one window, none held although moderation is "all".
    assert report.comments == {"created approved": 8}


@pytest.mark.parametrize("sample", [WORDPRESS_SAMPLE, DISQUS_SAMPLE, BLOGGER_THREADS, TAKEOUT],
                         ids=lambda p: p.name)
def test_replies_can_be_written_under_imported_comments(api: Api, blog: Blog, sample: Any) -> None:
    import_file(sample)
    posts = api.get("/posts?limit=100").json["items"]
    commented = [p for p in posts if p["comment_count"]]
    slug = commented[0]["slug"]
    parent = next(c for c in _thread(api, slug) if c["status"] == "approved")

    reply = blog.comment(slug, parent_id=parent["id"], body="A native reply")

    assert reply["comment"]["depth"] == parent["depth"] + 1
    assert _post(api, slug)["comment_count"] == commented[0]["comment_count"] + 1
