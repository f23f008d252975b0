"""GET /posts/{slug}/comments.html: the thread as static HTML, for pages without JavaScript and static sites."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from chalicelib.settings import Settings
from tests.conftest import Api, Blog, DynamoCalls, Reply
from tests.html_traps import Traps


class Outline(HTMLParser):
    """Each comment's id with the ids of the comments it is nested in, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[str | None] = []
        self.comments: list[tuple[str, tuple[str, ...]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            comment = (dict(attrs).get("id") or "").removeprefix("comment-")
            self.comments.append((comment, tuple(c for c in self.open if c)))
            self.open.append(comment)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self.open.pop()


def fragment(api: Api, slug: str, query: str = "") -> Reply:
    return api.get(f"/posts/{slug}/comments.html" + (f"?{query}" if query else ""))


def text(reply: Reply) -> str:
    return reply.body.decode()


def test_the_fragment_opened_on_its_own_may_run_and_load_nothing(api: Api, slug: str) -> None:
    """Found: comments.html was served without a Content-Security-Policy."""
    policy = fragment(api, slug).headers["content-security-policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"


def test_a_post_without_comments_says_so(api: Api, slug: str) -> None:
    reply = fragment(api, slug)

    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["cache-control"].startswith("public")
    assert "No comments" in text(reply)
    assert Outline(text(reply)).comments == []


def test_replies_are_nested_under_their_parents(api: Api, blog: Blog, slug: str) -> None:
    # Given a comment, a reply, a reply to the reply, and a second top-level comment
    first = blog.comment(slug, body="First")["comment"]["id"]
    reply = blog.comment(slug, body="Reply", parent_id=first)["comment"]["id"]
    deeper = blog.comment(slug, body="Deeper", parent_id=reply)["comment"]["id"]
    second = blog.comment(slug, body="Second")["comment"]["id"]

    page = text(fragment(api, slug))

    assert "4 comments" in page
    assert Outline(page).comments == [(first, ()), (reply, (first,)), (deeper, (first, reply)), (second, ())]


def test_the_count_line_is_singular_for_one_comment(api: Api, blog: Blog, slug: str) -> None:
    blog.comment(slug, body="Only one")

    assert re.search(r">1 comment<", text(fragment(api, slug)))


def test_comment_bodies_are_the_sanitised_html_the_widget_shows(api: Api, blog: Blog, slug: str) -> None:
    created = blog.comment(slug, body="Some *emphasis* and [a link](https://example.com)")["comment"]

    assert created["html"] in text(fragment(api, slug))


def test_hostile_names_sites_and_bodies_come_out_as_text(api: Api, blog: Blog, slug: str) -> None:
    blog.comment(slug, body='<script>alert(1)</script><img src=x onerror="alert(2)">[x](javascript:alert(3))',
                 author_name='<img src=x onerror=alert(4)>"\'', author_website="https://example.com/?a=\"><script>")

    page = text(fragment(api, slug))

    assert Traps(page).found == []
    assert "&lt;img src=x onerror=alert(4)&gt;" in page
    assert 'rel="nofollow ugc noopener"' in page


def test_a_deleted_comment_with_replies_stays_as_a_tombstone(api: Api, blog: Blog, slug: str) -> None:
    doomed = blog.comment(slug, body="Regretted words", author_name="Rex")
    kept = blog.comment(slug, body="An answer", parent_id=doomed["comment"]["id"])["comment"]["id"]
    api.delete(f"/comments/{doomed['comment']['id']}", headers={"X-Edit-Token": doomed["edit_token"]})

    page = text(fragment(api, slug))

    assert "This comment was deleted." in page
    assert "Regretted words" not in page and "Rex" not in page
    assert Outline(page).comments == [(doomed["comment"]["id"], ()), (kept, (doomed["comment"]["id"],))]


def test_held_comments_are_never_in_the_fragment(api: Api, blog: Blog, slug: str,
                                                 configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all")
    held = api.post(f"/posts/{slug}/comments", {"body": "Waiting for a moderator", "author_name": "Hal"})
    assert held.status == 202

    page = text(fragment(api, slug))

    assert "Waiting for a moderator" not in page
    assert "No comments" in page


def test_pages_follow_their_more_link_and_a_reply_links_to_a_parent_on_an_earlier_page(
        api: Api, blog: Blog, slug: str) -> None:
    # Given three comments, the third replying to the first
    first = blog.comment(slug, body="One")["comment"]["id"]
    blog.comment(slug, body="Two")
    third = blog.comment(slug, body="Three", parent_id=first)["comment"]["id"]

    # When the first page holds two
    page_one = text(fragment(api, slug, "limit=2"))
    more = re.search(r'<a href="([^"]+)">More comments</a>', page_one)
    assert more is not None
    next_url = more.group(1).replace("&amp;", "&")
    assert next_url.startswith("http://api.test.example/posts/")
    page_two = text(api.get(next_url.removeprefix("http://api.test.example")))

    # Then the second page has the reply, linked to its parent, without a count line or a further link
    assert Outline(page_two).comments == [(third, ())]
    assert f'href="#comment-{first}"' in page_two
    assert "comments</h2>" not in page_two and "More comments" not in page_two


def test_the_first_page_is_one_query(api: Api, blog: Blog, slug: str, dynamo: DynamoCalls) -> None:
    blog.comment(slug, body="Hello")
    dynamo.clear()

    fragment(api, slug)

    assert dynamo.operations == ["Query"]


def test_unknown_and_unpublished_posts_are_not_found(api: Api, blog: Blog, author: str) -> None:
    draft = blog.post(author, title="Not yet", status="draft")["slug"]

    assert fragment(api, "no-such-post").status == 404
    assert fragment(api, draft).status == 404


def test_a_bad_limit_or_cursor_is_refused(api: Api, slug: str) -> None:
    assert fragment(api, slug, "limit=101").status == 422
    assert fragment(api, slug, "cursor=forged").status == 400
