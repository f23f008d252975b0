"""Pins and locks from the console, seen in the widget; an author's own moderation queue.

In Chromium against the local stack: an admin pins a comment and locks the
thread on the console's thread page; a reader's widget then draws the pinned
comment first, marked "Pinned", from the one request that loads the thread, and
the closed notice instead of the form. An author's queue lists only the held
comments of their own posts.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.console_steps import as_user, new_account, queue_item, sign_in, token_of
from tests.browser.widget_steps import comment_item, comment_on, expect_no_form

CLOSED = "Comments are closed for this post."


def test_an_admin_pins_and_locks_from_the_console_and_the_widget_shows_both(
        blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = blog.new_post("Pinned and locked")
    for n in ("First", "Second", "Third"):
        blog.comment(slug, f"{n} remark.", author_name="Rita")
    chosen = blog.comment(slug, "The answer everyone needs.", author_name="Oscar")
    blog.comment(slug, "A reply to the answer.", author_name="Rita", parent_id=chosen["id"])

    # When the admin pins Oscar's comment and locks the thread on the console's thread page
    admin = open_reader()
    sign_in(admin, blog, LOCAL_ADMIN, f"#thread/{slug}")
    admin.get_by_role("button", name="Pin the comment by Oscar").click()
    expect(admin.locator("#live")).to_contain_text("Pinned")
    expect(admin.locator(".comment.pinned")).to_contain_text("The answer everyone needs.")
    admin.get_by_role("button", name="Lock the thread").click()
    expect(admin.get_by_role("button", name="Unlock the thread")).to_be_visible()

    # Then a reader's widget draws it first, marked, with its reply under it, from one request
    reader = open_reader()
    asked: list[str] = []
    reader.on("request", lambda request: asked.append(request.url) if f"/posts/{slug}" in request.url else None)
    reader.goto(blog.post_page(slug))
    first = reader.locator("ol.bc-thread > li.bc-comment").first
    expect(first.locator(":scope > article .bc-body")).to_have_text("The answer everyone needs.")
    expect(first.locator(":scope > article .bc-pin-mark")).to_have_text("Pinned")
    expect(first.locator(":scope > .bc-replies")).to_contain_text("A reply to the answer.")
    expect(reader.locator(".bc-pin-mark")).to_have_count(1)
    expect(comment_item(reader, "First remark.")).to_have_count(1)
    # ...and the closed notice instead of the form; what was said stays
    expect_no_form(reader, CLOSED)
    assert len([url for url in asked if "/comments" in url.split("?")[0]]) == 0, asked
    assert_accessible(reader)

    # When the admin unlocks it, a reader can write again
    admin.get_by_role("button", name="Unlock the thread").click()
    expect(admin.get_by_role("button", name="Lock the thread")).to_be_visible()
    again = open_reader()
    again.goto(blog.post_page(slug))
    expect(again.locator("form.bc-form")).to_have_count(1)
    audit = blog.as_admin("GET", f"/moderation/audit?post={slug}")["items"]
    assert [entry["action"] for entry in audit] == ["unlock", "lock", "pin"]


def test_a_second_pin_is_refused_in_the_console_with_the_servers_reason(blog: Blog, page: Page) -> None:
    slug = blog.new_post("Two candidates")
    blog.comment(slug, "Candidate one.", author_name="Ann")
    blog.comment(slug, "Candidate two.", author_name="Bea")
    sign_in(page, blog, LOCAL_ADMIN, f"#thread/{slug}")

    page.get_by_role("button", name="Pin the comment by Ann").click()
    expect(page.locator(".comment.pinned")).to_contain_text("Candidate one.")
    page.get_by_role("button", name="Pin the comment by Bea").click()

    expect(page.get_by_role("alert")).to_contain_text("another comment is pinned on this post; unpin it first")
    page.get_by_role("button", name="Unpin").click()
    expect(page.get_by_text("No comment is pinned.")).to_be_visible()


def test_a_comment_sent_just_after_a_lock_is_refused_in_the_widget(blog: Blog, page: Page) -> None:
    slug = blog.new_post("Closing time")
    page.goto(blog.post_page(slug))
    expect(page.locator("form.bc-form")).to_have_count(1)

    blog.as_admin("PUT", f"/posts/{slug}/lock")  # while the reader's form is open
    comment_on(page, "Did I make it?", name="Late Larry")

    expect(page.locator("form.bc-form")).to_contain_text("a moderator locked the thread")
    expect(comment_item(page, "Did I make it?")).to_have_count(0)


@pytest.fixture(scope="module")
def held_blog(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(MODERATION="all", COMMENT_RATE_LIMIT="100000/60", SIGNUP_RATE_LIMIT="100000/60")


def test_an_author_sees_and_moderates_only_their_own_posts_held_comments(held_blog: Blog, page: Page) -> None:
    alice, bob = new_account(held_blog), new_account(held_blog)
    slugs = {}
    for who in (alice, bob):
        reply = as_user(held_blog, token_of(held_blog, who), "POST", "/posts",
                        {"title": f"{who['username']}'s post", "body": "Words.", "status": "published"})
        assert reply.status_code == 201, reply.text
        slugs[who["username"]] = reply.json()["slug"]
    held_blog.comment(slugs[alice["username"]], "For Alice, held.", author_name="Rita")
    held_blog.comment(slugs[bob["username"]], "For Bob, held.", author_name="Rita")

    # When Alice opens the console's Moderation page
    sign_in(page, held_blog, alice, "#queue")
    expect(page.get_by_role("heading", name="Held for moderation on your posts")).to_be_visible()
    mine = queue_item(page, "For Alice, held.")
    # Then she sees her post's held comment, and not Bob's
    expect(mine).to_have_count(1)
    expect(queue_item(page, "For Bob, held.")).to_have_count(0)

    # When she approves it, it is published; Bob's stays in his (and the admin's) queue
    mine.get_by_role("button", name="Approve").click()
    expect(page.locator("#live")).to_contain_text("Approved 1 comment.")
    listed = held_blog.stack.get(f"/posts/{slugs[alice['username']]}/comments").json()["items"]
    assert [c["html"] for c in listed] == ["<p>For Alice, held.</p>\n"]
    held = held_blog.as_admin("GET", "/moderation/comments")["items"]
    assert [c["post"] for c in held] == [slugs[bob["username"]]]
