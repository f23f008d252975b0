"""Specification: writing, reading, editing and deleting a post over the native API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.blog.posts import Posts
from tests.conftest import Api, Blog
from tests.post_steps import archive_counts, iso_from_now, label_counts, slugs

# -- create ------------------------------------------------------------------


def test_an_author_creates_a_post_and_is_told_where_it_lives(api: Api, blog: Blog) -> None:
    author = blog.author("alice")

    reply = api.post("/posts", {"title": "Hello, world", "body": "First *post*."}, token=author)

    assert reply.status == 201, reply.body
    assert reply.headers["location"] == "/posts/hello-world"
    assert reply.headers["etag"] == '"1"'
    post = reply.json
    assert post["slug"] == "hello-world"
    assert post["author"] == "alice"
    assert post["status"] == "published"
    assert post["comment_count"] == 0
    assert api.get(reply.headers["location"]).json["title"] == "Hello, world"


def test_markdown_is_rendered_to_sanitised_html_and_the_raw_body_is_kept(api: Api, blog: Blog) -> None:
    body = (
        "# Heading\n\n"
        "Some **bold** text and [a link](https://example.com).\n\n"
        '<img src="x.png" onerror="alert(1)"> <script>alert(2)</script>\n\n'
        "[bad](javascript:alert(3)) <a href=\"data:text/html,hi\" onclick=\"x()\">d</a>\n"
    )

    post = blog.post(blog.author(), body=body)

    html = post["html"]
    assert "<h1>Heading</h1>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    for forbidden in ("<script", "onerror", "onclick", 'href="javascript:', 'href="data:'):
        assert forbidden not in html
    assert post["body"] == body
    assert api.get(f"/posts/{post['slug']}").json["body"] == body


def test_the_summary_is_plain_text_taken_from_the_body_when_not_given(blog: Blog) -> None:
    words = " ".join(f"word{i}" for i in range(200))

    post = blog.post(blog.author(), body=f"Intro with *emphasis*.\n\n{words}")

    summary = post["summary"]
    assert summary.startswith("Intro with emphasis. word0 word1")
    assert "<" not in summary
    assert len(summary) <= 281
    assert summary.endswith("…")


def test_an_explicit_summary_is_kept_as_given(blog: Blog) -> None:
    post = blog.post(blog.author(), body="A long body.", summary="Read this first.")

    assert post["summary"] == "Read this first."


def test_labels_are_trimmed_and_deduplicated_ignoring_case(api: Api, blog: Blog) -> None:
    post = blog.post(blog.author(), labels=["  News ", "news", "Tech   Talk", "NEWS"])

    assert post["labels"] == ["News", "Tech Talk"]
    assert label_counts(api) == {"News": 1, "Tech Talk": 1}


def test_readers_cannot_write_posts(api: Api, blog: Blog) -> None:
    reply = api.post("/posts", {"title": "Mine", "body": "x"}, token=blog.user())

    assert reply.status == 403
    assert reply.problem["status"] == 403


def test_anonymous_callers_must_sign_in_to_write(api: Api) -> None:
    reply = api.post("/posts", {"title": "Mine", "body": "x"})

    assert reply.status == 401
    assert reply.problem["status"] == 401


def test_admins_can_write_posts(blog: Blog) -> None:
    assert blog.post(blog.admin())["author"] == "root"


REFUSED_POSTS: list[tuple[str, dict[str, Any], str]] = [
    ("missing title", {"body": "x"}, "title"),
    ("missing body", {"title": "T"}, "body"),
    ("blank title", {"title": "   ", "body": "x"}, "title"),
    ("too-long title", {"title": "t" * 201, "body": "x"}, "title"),
    ("title not a string", {"title": 42, "body": "x"}, "title"),
    ("body not a string", {"title": "T", "body": ["x"]}, "body"),
    ("labels not a list", {"title": "T", "body": "x", "labels": "news"}, "labels"),
    ("label not a string", {"title": "T", "body": "x", "labels": [1]}, "labels"),
    ("more than ten labels", {"title": "T", "body": "x", "labels": [f"l{i}" for i in range(11)]}, "labels"),
    ("unknown field", {"title": "T", "body": "x", "colour": "red"}, "colour"),
    ("unknown status", {"title": "T", "body": "x", "status": "live"}, "status"),
    ("unparseable published_at", {"title": "T", "body": "x", "published_at": "yesterday"}, "published_at"),
    ("published_at not a string", {"title": "T", "body": "x", "published_at": 1490140800}, "published_at"),
    ("published in the future", {"title": "T", "body": "x", "status": "published",
                                 "published_at": "2999-01-01T00:00:00Z"}, "published_at"),
    ("scheduled without a date", {"title": "T", "body": "x", "status": "scheduled"}, "published_at"),
    ("scheduled in the past", {"title": "T", "body": "x", "status": "scheduled",
                               "published_at": "2017-03-22T00:00:00Z"}, "published_at"),
    ("invalid slug", {"title": "T", "body": "x", "slug": "Not A Slug"}, "slug"),
]


@pytest.mark.parametrize(("case", "payload", "field"), REFUSED_POSTS, ids=[c[0] for c in REFUSED_POSTS])
def test_invalid_posts_are_refused_field_by_field_and_nothing_is_written(
        api: Api, blog: Blog, case: str, payload: dict[str, Any], field: str) -> None:
    # Given an author and one published, labelled post
    author = blog.author()
    blog.post(author, title="Existing", labels=["kept"])
    before = (slugs(api, "/posts"), label_counts(api), archive_counts(api))
    payload = {**payload, "labels": payload.get("labels", ["fresh"])}

    # When the author sends an invalid post
    reply = api.post("/posts", payload, token=author)

    # Then it is refused as problem+json naming the field, and nothing changed
    assert reply.status == 422, (case, reply.body)
    assert field in reply.problem["errors"], reply.problem
    assert (slugs(api, "/posts"), label_counts(api), archive_counts(api)) == before
    assert slugs(api, "/posts?status=draft", token=author) == []
    assert api.get("/posts/t", token=author).status == 404


def test_every_invalid_field_is_reported_at_once(api: Api, blog: Blog) -> None:
    reply = api.post("/posts", {"title": "", "body": 7, "extra": True}, token=blog.author())

    assert reply.status == 422
    assert set(reply.problem["errors"]) == {"title", "body", "extra"}


def test_a_body_that_is_not_a_json_object_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()

    assert api.post("/posts", ["title"], token=author).status == 422
    assert api.post("/posts", raw="{not json", token=author, headers={"Content-Type": "application/json"}).status == 400


# -- slugs -------------------------------------------------------------------


def test_the_slug_folds_accents_from_the_title(blog: Blog) -> None:
    post = blog.post(blog.author(), title="Café Crème à la Carte")

    assert post["slug"] == "cafe-creme-a-la-carte"


@pytest.mark.parametrize(("title", "slug"), [
    ("日本とロシア", "日本とロシア"),
    ("ジャパン・デー", "ジャパン-デー"),  # voiced kana keep their marks: they are letters, not accents
    ("Привет, мир", "привет-мир"),
    ("Новости за Май", "новости-за-май"),  # "й" is a letter of its own, not an accented "и"
    ("हिन्दी समाचार", "हिन्दी-समाचार"),  # vowel signs and the virama are part of the word
    ("Ελληνικά νέα", "ελληνικά-νέα"),
])
def test_the_slug_keeps_letters_of_non_latin_scripts(blog: Blog, title: str, slug: str) -> None:
    assert blog.post(blog.author(), title=title)["slug"] == slug


def test_a_title_without_letters_still_gets_a_slug(blog: Blog) -> None:
    assert blog.post(blog.author(), title="!!! ???")["slug"] == "post"


def test_a_second_post_with_the_same_title_gets_a_numbered_slug(blog: Blog) -> None:
    author = blog.author()

    first = blog.post(author, title="Weekly notes")
    second = blog.post(author, title="Weekly notes")

    assert (first["slug"], second["slug"]) == ("weekly-notes", "weekly-notes-2")


def test_any_number_of_posts_may_share_a_title(api: Api, blog: Blog) -> None:
    author = blog.author()

    made = [blog.post(author, title="Weekly notes")["slug"] for _ in range(12)]

    assert len(set(made)) == 12
    assert all(api.get(f"/posts/{slug}").status == 200 for slug in made)


def test_a_numbered_slug_of_a_long_title_stays_valid(api: Api, blog: Blog) -> None:
    author = blog.author()
    title = ("word " * 15 + "a b c") + " tail"  # the 80-character cut lands just after a hyphen

    made = [blog.post(author, title=title)["slug"] for _ in range(3)]

    for slug in made:
        assert len(slug) <= 80 and "--" not in slug and not slug.endswith("-")
        assert api.get(f"/posts/{slug}").status == 200


def test_an_explicit_slug_is_used_as_given(blog: Blog) -> None:
    assert blog.post(blog.author(), title="Anything", slug="my-own-slug")["slug"] == "my-own-slug"


def test_an_explicit_slug_that_is_taken_is_a_conflict(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Original", slug="taken")

    reply = api.post("/posts", {"title": "Copy", "body": "x", "slug": "taken"}, token=author)

    assert reply.status == 409
    assert "slug" in reply.problem["errors"]
    assert api.get("/posts/taken").json["title"] == "Original"


@pytest.mark.parametrize("slug", ["Upper", "two words", "a--b", "-lead", "trail-", "under_score", "", "x" * 81])
def test_an_invalid_explicit_slug_is_refused(api: Api, blog: Blog, slug: str) -> None:
    reply = api.post("/posts", {"title": "T", "body": "x", "slug": slug}, token=blog.author())

    assert reply.status == 422
    assert "slug" in reply.problem["errors"]


def test_a_unicode_slug_is_readable_through_its_percent_encoded_address(api: Api, blog: Blog) -> None:
    author = blog.author()

    created = api.post("/posts", {"title": "日本とロシア", "body": "x"}, token=author)

    encoded = quote("日本とロシア", safe="")
    assert created.headers["location"] == f"/posts/{encoded}"
    got = api.get(created.headers["location"])
    assert got.status == 200, got.body
    assert got.json["slug"] == "日本とロシア"


def test_the_slug_can_change_while_the_post_is_a_draft(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Working title", status="draft")

    reply = api.patch("/posts/working-title", {"slug": "final-title"}, token=author)

    assert reply.status == 200, reply.body
    assert reply.json["slug"] == "final-title"
    assert api.get("/posts/working-title", token=author).status == 404
    assert api.get("/posts/final-title", token=author).status == 200
    assert slugs(api, "/posts?status=draft", token=author) == ["final-title"]


def test_renaming_a_draft_to_a_taken_slug_is_a_conflict(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Taken")
    blog.post(author, title="Draft", status="draft")

    reply = api.patch("/posts/draft", {"slug": "taken"}, token=author)

    assert reply.status == 409
    assert "slug" in reply.problem["errors"]
    assert api.get("/posts/draft", token=author).json["version"] == 1


# -- read --------------------------------------------------------------------


def test_a_draft_is_visible_only_to_its_author_and_admins(api: Api, blog: Blog) -> None:
    author, other, reader = blog.author(), blog.author(), blog.user()
    blog.post(author, title="Secret", status="draft")

    assert api.get("/posts/secret").status == 404
    assert api.get("/posts/secret", token=reader).status == 404
    assert api.get("/posts/secret", token=other).status == 404
    assert api.get("/posts/secret", token=author).json["status"] == "draft"
    assert api.get("/posts/secret", token=blog.admin()).status == 200


def test_a_future_scheduled_post_is_visible_only_to_its_author_and_admins(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Later", status="scheduled", published_at=iso_from_now(days=3))

    assert api.get("/posts/later").status == 404
    assert api.get("/posts/later", token=blog.user()).status == 404
    assert api.get("/posts/later", token=author).json["status"] == "scheduled"
    assert api.get("/posts/later", token=blog.admin()).status == 200


def test_a_missing_post_is_not_found(api: Api) -> None:
    reply = api.get("/posts/no-such-post")

    assert reply.status == 404
    assert reply.problem["status"] == 404


def test_the_etag_starts_with_the_version(api: Api, blog: Blog) -> None:
    # A read's ETag is the version and a digest of the body (a new comment changes the
    # body, not the version); a write's answer carries the bare version.
    author = blog.author()
    blog.post(author, title="Tagged")

    first = api.get("/posts/tagged")
    edited = api.patch("/posts/tagged", {"title": "Tagged again"}, token=author)
    second = api.get("/posts/tagged")

    assert (first.headers["etag"][:3], first.json["version"]) == ('"1-', 1)
    assert (edited.headers["etag"], edited.json["version"]) == ('"2"', 2)
    assert (second.headers["etag"][:3], second.json["version"]) == ('"2-', 2)


def test_the_post_view_shows_its_fields_and_no_table_keys(api: Api, blog: Blog) -> None:
    blog.post(blog.author(), title="Shape", labels=["x"])

    post = api.get("/posts/shape").json

    assert {"slug", "title", "html", "body", "labels", "author", "status", "published_at",
            "updated_at", "comment_count", "version"} <= set(post)
    assert not {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"} & set(post)


# -- update ------------------------------------------------------------------


def test_the_author_edits_a_post_and_it_is_rendered_again(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Draft thoughts", body="old *text*")

    reply = api.patch("/posts/draft-thoughts", {"title": "Better thoughts", "body": "new **text**"}, token=author)

    assert reply.status == 200, reply.body
    post = api.get("/posts/draft-thoughts").json
    assert post["title"] == "Better thoughts"
    assert post["body"] == "new **text**"
    assert "<strong>text</strong>" in post["html"]
    assert post["summary"] == "new text"
    assert post["slug"] == "draft-thoughts"


def test_only_the_author_or_an_admin_may_edit_a_post(api: Api, blog: Blog) -> None:
    author, other = blog.author(), blog.author()
    blog.post(author, title="Mine")

    assert api.patch("/posts/mine", {"title": "Theirs"}, token=other).status == 403
    assert api.patch("/posts/mine", {"title": "Theirs"}, token=blog.user()).status == 403
    assert api.patch("/posts/mine", {"title": "Theirs"}).status == 401
    assert api.get("/posts/mine").json["title"] == "Mine"
    assert api.patch("/posts/mine", {"title": "Edited"}, token=blog.admin()).status == 200
    assert api.get("/posts/mine").json["title"] == "Edited"


def test_a_stale_if_match_is_refused_and_changes_nothing(api: Api, blog: Blog) -> None:
    # Given a post that has been edited since the caller read version 1
    author = blog.author()
    blog.post(author, title="Contended", labels=["a"])
    assert api.patch("/posts/contended", {"title": "Second"}, token=author).status == 200

    # When the caller saves with If-Match: "1"
    reply = api.patch("/posts/contended", {"title": "Lost", "labels": ["b"]}, token=author,
                      headers={"If-Match": '"1"'})

    # Then the save is refused and the post, its labels and counts are as they were
    assert reply.status == 412
    assert reply.problem["status"] == 412
    post = api.get("/posts/contended").json
    assert (post["title"], post["labels"], post["version"]) == ("Second", ["a"], 2)
    assert label_counts(api) == {"a": 1}


def test_a_matching_if_match_saves(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Careful")
    etag = api.get("/posts/careful").headers["etag"]

    reply = api.patch("/posts/careful", {"title": "Carefully"}, token=author, headers={"If-Match": etag})

    assert reply.status == 200
    assert reply.headers["etag"] == '"2"'


def test_changing_labels_moves_label_counts(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="One", labels=["python", "aws"])
    blog.post(author, title="Two", labels=["python"])

    reply = api.patch("/posts/one", {"labels": ["aws", "dynamodb"]}, token=author)

    assert reply.status == 200, reply.body
    assert label_counts(api) == {"aws": 1, "dynamodb": 1, "python": 1}
    assert slugs(api, "/posts?label=python") == ["two"]
    assert slugs(api, "/posts?label=dynamodb") == ["one"]


def test_publishing_a_draft_makes_it_public_and_counted(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Soon", status="draft", labels=["news"])
    assert (slugs(api, "/posts"), label_counts(api), archive_counts(api)) == ([], {}, {})

    reply = api.patch("/posts/soon", {"status": "published"}, token=author)

    assert reply.status == 200, reply.body
    assert reply.json["published_at"] is not None
    assert slugs(api, "/posts") == ["soon"]
    assert slugs(api, "/posts?label=news") == ["soon"]
    assert label_counts(api) == {"news": 1}
    assert archive_counts(api) == {reply.json["published_at"][:7]: 1}
    assert api.get("/posts/soon").status == 200


def test_unpublishing_hides_the_post_and_uncounts_it(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Oops", labels=["news"])

    reply = api.patch("/posts/oops", {"status": "draft"}, token=author)

    assert reply.status == 200, reply.body
    assert api.get("/posts/oops").status == 404
    assert slugs(api, "/posts") == []
    assert slugs(api, "/posts?label=news") == []
    assert (label_counts(api), archive_counts(api)) == ({}, {})
    assert slugs(api, "/posts?status=draft", token=author) == ["oops"]


def test_changing_published_at_moves_archive_counts(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Dated", published_at="2017-03-22T10:00:00Z", labels=["kept"])
    blog.post(author, title="Neighbour", published_at="2017-03-01T10:00:00Z")

    reply = api.patch("/posts/dated", {"published_at": "2016-12-31T23:00:00Z"}, token=author)

    assert reply.status == 200, reply.body
    assert archive_counts(api) == {"2017-03": 1, "2016-12": 1}
    assert slugs(api, "/posts?month=2016-12") == ["dated"]
    assert slugs(api, "/posts") == ["neighbour", "dated"]
    assert slugs(api, "/posts?label=kept") == ["dated"]
    assert label_counts(api) == {"kept": 1}


@pytest.mark.parametrize(("payload", "field"), [
    ({"colour": "red"}, "colour"),
    ({"title": ""}, "title"),
    ({"published_at": "2999-01-01T00:00:00Z"}, "published_at"),
    ({"status": "scheduled"}, "published_at"),
])
def test_an_invalid_edit_is_refused_and_changes_nothing(api: Api, blog: Blog, payload: dict[str, Any],
                                                        field: str) -> None:
    author = blog.author()
    blog.post(author, title="Steady")

    reply = api.patch("/posts/steady", payload, token=author)

    assert reply.status == 422
    assert field in reply.problem["errors"]
    assert api.get("/posts/steady").json["version"] == 1


def test_editing_a_missing_post_is_not_found(api: Api, blog: Blog) -> None:
    assert api.patch("/posts/ghost", {"title": "x"}, token=blog.author()).status == 404


# -- delete ------------------------------------------------------------------


def test_only_the_author_or_an_admin_may_delete_a_post(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Keep")

    assert api.delete("/posts/keep", token=blog.author()).status == 403
    assert api.delete("/posts/keep", token=blog.user()).status == 403
    assert api.delete("/posts/keep").status == 401
    assert api.get("/posts/keep").status == 200
    assert api.delete("/posts/keep", token=blog.admin()).status == 204
    assert api.get("/posts/keep").status == 404


def test_deleting_with_a_stale_if_match_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Stay")
    api.patch("/posts/stay", {"title": "Stay on"}, token=author)

    assert api.delete("/posts/stay", token=author, headers={"If-Match": '"1"'}).status == 412
    assert api.get("/posts/stay").status == 200


def test_deleting_a_post_removes_it_with_its_comments_and_counts(api: Api, blog: Blog) -> None:
    # Given two posts sharing a label, and one with comments and a label of its own
    author = blog.author()
    blog.post(author, title="Doomed", labels=["shared", "only-here"], published_at="2016-05-05T00:00:00Z")
    blog.post(author, title="Survivor", labels=["shared"])
    blog.comment("doomed")
    blog.comment("doomed")

    # When its author deletes it
    reply = api.delete("/posts/doomed", token=author)

    # Then the post, its comments and its share of every count are gone
    assert reply.status == 204
    assert api.get("/posts/doomed").status == 404
    assert api.get("/posts/doomed/comments").status == 404
    assert slugs(api, "/posts") == ["survivor"]
    assert slugs(api, "/posts?label=only-here") == []
    assert label_counts(api) == {"shared": 1}
    assert "2016-05" not in archive_counts(api)


def test_a_deleted_posts_slug_can_be_reused_without_its_old_comments(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Phoenix", labels=["x"])
    blog.comment("phoenix")
    assert api.delete("/posts/phoenix", token=author).status == 204

    reborn = blog.post(author, title="Phoenix")

    assert reborn["slug"] == "phoenix"
    post = api.get("/posts/phoenix?embed=comments").json
    assert post["comment_count"] == 0
    assert post["comments"] == []
    assert api.get("/posts/phoenix/comments").json["items"] == []
    assert label_counts(api) == {}


def test_deleting_a_draft_leaves_no_trace(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Scratch", status="draft")

    assert api.delete("/posts/scratch", token=author).status == 204
    assert slugs(api, "/posts?status=draft", token=author) == []


def test_a_delete_interrupted_part_way_is_finished_by_deleting_again(api: Api, blog: Blog,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a delete that retired the post but died while removing its comments
    author = blog.author()
    blog.post(author, title="Halfway", labels=["x"])
    blog.comment("halfway")

    def crash(self: Any, slug: str) -> None:
        raise RuntimeError("the function timed out")

    with monkeypatch.context() as patched:
        patched.setattr(Posts, "_purge_partition", crash)
        assert api.delete("/posts/halfway", token=author).status == 500
    assert api.get("/posts/halfway").status == 404
    assert label_counts(api) == {}

    # When the author deletes it again
    reply = api.delete("/posts/halfway", token=author)

    # Then the deletion completes and the slug is free, with no old comments
    assert reply.status == 204
    assert blog.post(author, title="Halfway")["slug"] == "halfway"
    assert api.get("/posts/halfway/comments").json["items"] == []


def test_deleting_a_missing_post_is_not_found(api: Api, blog: Blog) -> None:
    assert api.delete("/posts/ghost", token=blog.author()).status == 404


# -- what DynamoDB can store -------------------------------------------------------------------


def test_a_post_too_large_to_store_with_its_html_is_refused_and_nothing_is_written(api: Api, blog: Blog) -> None:
    # Given an author, and a body within the length limit whose HTML is five times as long ("&" -> "&amp;")
    author = blog.author()
    before = (slugs(api, "/posts"), label_counts(api), archive_counts(api))

    # When the author sends it
    reply = api.post("/posts", {"title": "Ampersands", "body": "&" * 100_000, "labels": ["big"]}, token=author)

    # Then it is refused naming the body, and nothing was written
    assert reply.status == 413, reply.body
    assert "body" in reply.problem["errors"]
    assert (slugs(api, "/posts"), label_counts(api), archive_counts(api)) == before
    assert api.get("/posts/ampersands", token=author).status == 404


def test_an_edit_that_makes_a_post_too_large_to_store_is_refused(api: Api, blog: Blog) -> None:
    author = blog.author()
    slug = blog.post(author, title="Small", body="Small *text*.")["slug"]

    reply = api.patch(f"/posts/{slug}", {"body": "&" * 100_000}, token=author)

    assert reply.status == 413, reply.body
    assert api.get(f"/posts/{slug}").json["body"] == "Small *text*."


def test_a_long_post_within_the_limits_is_stored(api: Api, blog: Blog) -> None:
    paragraph = "A sentence of ordinary prose, with **some emphasis** and a [link](https://example.com/page).\n\n"
    body = (paragraph * (100_000 // len(paragraph) + 1))[:100_000]

    reply = api.post("/posts", {"title": "Long read", "body": body}, token=blog.author())

    assert reply.status == 201, reply.body
    assert api.get(f"/posts/{reply.json['slug']}").json["body"] == body
