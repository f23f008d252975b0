"""Emoji reactions in the comment widget: a reader reacts to the post and to a comment, and takes it back."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog, api_get
from tests.browser.widget_steps import comment_item

THUMBS, HEART = "\U0001f44d", "\u2764\ufe0f"


def test_a_reader_reacts_to_a_comment_and_the_post_and_takes_it_back(blog: Blog,
                                                                      open_reader: Callable[[], Page]) -> None:
    # Given a post with a comment, and two readers
    slug = blog.new_post("React to this")
    blog.comment(slug, "React to me.")
    first, second = open_reader(), open_reader()
    first.goto(blog.post_page(slug))
    comment = comment_item(first, "React to me.")

    # When the first reacts to the comment with a thumb
    comment.get_by_role("button", name=f"{THUMBS} 0: react", exact=True).click()

    # Then its button shows the count, pressed, and keeps the keyboard focus
    pressed = comment_item(first, "React to me.").get_by_role("button", name=f"{THUMBS} 1: react", exact=True)
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_have_text(f"{THUMBS} 1")
    expect(pressed).to_be_focused()

    # And reacting to the post itself counts there, apart from the comment
    post_bar = first.locator(".bc-post-reactions")
    post_bar.get_by_role("button", name=f"{HEART} 0: react", exact=True).click()
    expect(post_bar.get_by_role("button", name=f"{HEART} 1: react", exact=True)).to_have_attribute(
        "aria-pressed", "true")

    # And the page, with the buttons pressed and counted, is still accessible
    assert_accessible(first)

    # When another reader adds the same reaction, the count is 2 and theirs is pressed
    second.goto(blog.post_page(slug))
    comment_item(second, "React to me.").get_by_role("button", name=f"{THUMBS} 1: react", exact=True).click()
    expect(comment_item(second, "React to me.").get_by_role("button", name=f"{THUMBS} 2: react", exact=True)
           ).to_have_attribute("aria-pressed", "true")

    # And the first reader, back later, finds theirs remembered and takes it back with a second press
    first.reload()
    mine = comment_item(first, "React to me.").get_by_role("button", name=f"{THUMBS} 2: react", exact=True)
    expect(mine).to_have_attribute("aria-pressed", "true")
    mine.click()
    expect(comment_item(first, "React to me.").get_by_role("button", name=f"{THUMBS} 1: react", exact=True)
           ).to_have_attribute("aria-pressed", "false")
    first.locator(".bc-post-reactions").get_by_role("button", name=f"{HEART} 1: react", exact=True).click()
    expect(first.locator(".bc-post-reactions").get_by_role("button", name=f"{HEART} 0: react", exact=True)
           ).to_have_attribute("aria-pressed", "false")

    # And the API agrees
    page = api_get(blog, f"/posts/{slug}?embed=comments")
    assert page["reactions"] == {}
    assert page["comments"][0]["reactions"] == {THUMBS: 1}
