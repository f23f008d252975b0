"""POST /preview: what an editor or the widget shows before saving is what readers get after."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.settings import Settings
from tests.conftest import Api, Blog, DynamoCalls, Reply
from tests.html_traps import Traps

MARKDOWN = "Hello *world*, see [the docs](https://example.com/docs) and <b>bold</b>.\n\n- one\n- two"
HOSTILE = ("<script>alert(1)</script>[click](javascript:alert(2)) <img src=x onerror=alert(3)> "
           "<a href=\"https://example.com\" onclick=\"alert(4)\">x</a>")


def preview(api: Api, kind: str, body: object, token: str | None = None, **extra: object) -> Reply:
    return api.post("/preview", {"kind": kind, "body": body, **extra}, token=token)


def test_a_comment_preview_is_what_posting_the_comment_shows(api: Api, blog: Blog, slug: str) -> None:
    # Given a comment previewed
    shown = preview(api, "comment", MARKDOWN)
    assert shown.status == 200

    # When it is posted
    posted = blog.comment(slug, body=MARKDOWN)["comment"]

    # Then the preview was exactly the published HTML
    assert shown.json == {"kind": "comment", "html": posted["html"]}
    assert 'rel="nofollow ugc noopener"' in shown.json["html"]


def test_a_post_preview_is_what_publishing_the_post_shows(api: Api, blog: Blog, author: str) -> None:
    body = "# A heading\n\nSome *Markdown* with a [link](https://example.com).\n\n<figure>kept</figure>"
    shown = preview(api, "post", body, token=author)

    published = blog.post(author, title="Previewed", body=body)

    assert shown.status == 200
    assert shown.json == {"kind": "post", "format": "markdown", "html": published["html"],
                          "summary": published["summary"]}


def test_an_html_post_preview_goes_through_the_same_allow_list(api: Api, author: str) -> None:
    shown = preview(api, "post", "<p>Imported <em>text</em></p>" + HOSTILE, token=author, format="html")

    assert shown.status == 200
    html = shown.json["html"]
    assert "<em>text</em>" in html
    assert Traps(html).found == []


@pytest.mark.parametrize("kind", ["comment", "post"])
def test_hostile_markup_never_survives_a_preview(api: Api, author: str, kind: str) -> None:
    html = preview(api, kind, HOSTILE, token=author).json["html"]

    assert Traps(html).found == []
    assert "example.com" in html


def test_a_preview_stores_no_post_and_no_comment(api: Api, blog: Blog, slug: str, dynamo: DynamoCalls,
                                                 author: str) -> None:
    dynamo.clear()
    preview(api, "comment", "Just looking")
    preview(api, "post", "Just looking", token=author)

    # Only the rate windows are written (and the author's token checked against their account)
    assert dynamo.operations == ["UpdateItem", "GetItem", "UpdateItem"]
    assert api.get(f"/posts/{slug}/comments").json["items"] == []


def test_signed_out_callers_cannot_preview_posts(api: Api) -> None:
    reply = preview(api, "post", "# Mine")

    assert reply.status == 401
    assert "sign in" in reply.problem["detail"]


def test_readers_cannot_preview_posts(api: Api, blog: Blog) -> None:
    assert preview(api, "post", "# Mine", token=blog.user()).status == 403


def test_readers_may_preview_posts_where_anyone_may_write_them(api: Api, blog: Blog,
                                                              configure: Callable[..., Settings]) -> None:
    configure(OPEN_AUTHORING="true")

    assert preview(api, "post", "# Mine", token=blog.user()).status == 200


def test_where_comments_need_an_account_a_signed_out_comment_preview_is_refused(
        api: Api, blog: Blog, configure: Callable[..., Settings]) -> None:
    configure(ANONYMOUS_COMMENTS="false")

    assert preview(api, "comment", "Hi").status == 401
    assert preview(api, "comment", "Hi", token=blog.user()).status == 200


def test_a_revoked_token_cannot_preview(api: Api, author: str) -> None:
    api.post("/auth/sign-out-everywhere", token=author)

    assert preview(api, "post", "# Mine", token=author).status == 401


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "comment", "body": ""}, "body"),
    ({"kind": "comment", "body": "   \n "}, "body"),
    ({"kind": "comment", "body": "x" * 5001}, "body"),
    ({"kind": "comment", "body": 5}, "body"),
    ({"kind": "comment", "body": "bell \x07"}, "body"),
    ({"kind": "comment", "body": "Hi", "format": "html"}, "format"),
    ({"kind": "comment"}, "body"),
    ({"body": "Hi"}, "kind"),
    ({"kind": "page", "body": "Hi"}, "kind"),
    ({"kind": "comment", "body": "Hi", "author_name": "Bob"}, "author_name"),
], ids=["empty", "blank", "too-long-for-a-comment", "not-a-string", "control-character", "html-comment",
        "no-body", "no-kind", "unknown-kind", "unknown-field"])
def test_a_bad_preview_is_refused_with_its_field(api: Api, payload: dict[str, object], field: str) -> None:
    reply = api.post("/preview", payload)

    assert reply.status == 422
    assert field in reply.problem["errors"]


def test_a_post_preview_takes_a_post_sized_body_and_no_more(api: Api, author: str) -> None:
    assert preview(api, "post", "x" * 100_000, token=author).status == 200

    too_long = preview(api, "post", "x" * 100_001, token=author)
    assert too_long.status == 422 and "body" in too_long.problem["errors"]


@pytest.mark.parametrize("payload", [[], "text", None], ids=["array", "string", "null"])
def test_a_preview_body_must_be_an_object(api: Api, payload: object) -> None:
    assert api.post("/preview", payload).status in (400, 422)


def test_odd_unicode_is_normalised_as_a_comment_would_be(api: Api, blog: Blog, slug: str) -> None:
    body = "Cafe\u0301 \u202eevil\u202c 日本語 🦀"
    shown = preview(api, "comment", body).json["html"]

    assert shown == blog.comment(slug, body=body)["comment"]["html"]
    assert "Café" in shown


def test_previews_beyond_the_rate_limit_are_refused_until_the_window_ends(
        api: Api, blog: Blog, configure: Callable[..., Settings]) -> None:
    configure(PREVIEW_RATE_LIMIT="2/600")
    assert [preview(api, "comment", "Hi").status for _ in range(2)] == [200, 200]

    refused = preview(api, "comment", "Hi")

    assert refused.status == 429
    assert 0 < int(refused.headers["retry-after"]) <= 600
    assert "previews" in refused.problem["detail"]


def test_a_signed_in_callers_previews_count_for_their_account_not_their_address(
        api: Api, blog: Blog, configure: Callable[..., Settings]) -> None:
    configure(PREVIEW_RATE_LIMIT="1/600")
    first, second = blog.author("ann"), blog.author("ben")

    assert preview(api, "post", "# a", token=first).status == 200
    assert preview(api, "post", "# a", token=first).status == 429
    # Same address, another account: a window of its own; and signed out, the address's own
    assert preview(api, "post", "# b", token=second).status == 200
    assert preview(api, "comment", "c").status == 200
