"""The comment widget under a demo post, as a reader uses it: count, form, replies, edits, votes, pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Blog, api_get
from tests.browser.thread_steps import seed_thread
from tests.browser.widget_steps import comment_item, comment_on, embedding_page, expect_no_form

EMAIL = "Email (optional, never shown; replies by e-mail ask you to confirm it first)"


def test_a_new_post_says_no_comments_and_one_after_a_reader_comments(blog: Blog, page: Page) -> None:
    # Given a post nobody has commented on
    slug = blog.new_post("Quiet so far")
    page.goto(blog.post_page(slug))
    expect(page.get_by_role("heading", name="Quiet so far")).to_be_visible()
    expect(page.locator(".bc-count")).to_have_text("No comments")

    # When a reader posts a comment
    comment_on(page, "First to *arrive*.", name="Ada")

    # Then it shows, rendered, with the reader's name, and the count follows
    expect(page.locator(".bc-count")).to_have_text("1 comment")
    first = comment_item(page, "First to arrive.")
    expect(first.locator(".bc-author")).to_have_text("Ada")
    expect(first.locator(".bc-body em")).to_have_text("arrive")
    expect(page.locator(".bc-status")).to_have_text("Your comment was published.")
    # And it was stored: another reader, with nothing in their browser, sees the same
    assert api_get(blog, f"/posts/{slug}")["comment_count"] == 1
    page.reload()
    expect(page.locator(".bc-count")).to_have_text("1 comment")
    expect(comment_item(page, "First to arrive.")).to_be_visible()


def test_a_reply_is_indented_under_the_comment_it_answers(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Where do replies go?", author_name="Grace")
    page.goto(blog.post_page(slug))
    parent = comment_item(page, "Where do replies go?")

    parent.get_by_role("button", name="Reply").click()
    expect(page.locator(".bc-replying")).to_contain_text("Replying to Grace")
    expect(page.locator("form.bc-form").get_by_label("Comment")).to_be_focused()
    comment_on(page, "Under the comment they answer.", name="Linus")

    reply = parent.locator(":scope > ol.bc-replies > li.bc-comment")
    expect(reply.locator(".bc-body")).to_have_text("Under the comment they answer.")
    expect(page.locator(".bc-count")).to_have_text("2 comments")
    assert api_get(blog, f"/posts/{slug}/comments")["items"][1]["parent_id"] == parent.get_attribute("data-id")
    # The form went back to the end of the thread, no longer replying
    expect(page.locator(".bc-compose form.bc-form")).to_be_visible()
    expect(page.locator(".bc-replying")).to_be_hidden()


def test_a_reader_edits_and_deletes_their_own_comment_but_not_others(
        blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = blog.new_post()
    author, other = open_reader(), open_reader()
    author.goto(blog.post_page(slug))
    comment_on(author, "Typo in this coment.")
    # (Found by id from here on: while it is being edited, its body is an edit box.)
    mine = author.locator(f'li[data-id="{comment_item(author, "Typo in this coment.").get_attribute("data-id")}"]')

    # Within the edit window the author can edit: the box holds the Markdown they wrote
    mine.get_by_role("button", name="Edit").click()
    box = mine.get_by_label("Edit your comment")
    expect(box).to_have_value("Typo in this coment.")
    box.fill("No typo in this **comment**.")
    mine.get_by_role("button", name="Save").click()
    expect(mine.locator(".bc-body")).to_have_text("No typo in this comment.")
    expect(mine.locator(".bc-body strong")).to_have_text("comment")
    expect(mine.locator(".bc-edited")).to_be_visible()

    # Another reader sees the edit, but no Edit or Delete button: the token is in the author's browser only
    other.goto(blog.post_page(slug))
    theirs = comment_item(other, "No typo in this comment.")
    expect(theirs).to_be_visible()
    expect(theirs.get_by_role("button", name="Edit")).to_have_count(0)
    expect(theirs.get_by_role("button", name="Delete")).to_have_count(0)

    # Deleting asks first, then removes it and the count
    mine.get_by_role("button", name="Delete").click()
    mine.get_by_role("button", name="Keep it").click()
    expect(author.locator(".bc-count")).to_have_text("1 comment")
    mine.get_by_role("button", name="Delete").click()
    author.get_by_role("button", name="Yes, delete it").click()
    expect(author.locator(".bc-count")).to_have_text("No comments")
    expect(author.locator("li.bc-comment")).to_have_count(0)
    assert api_get(blog, f"/posts/{slug}")["comment_count"] == 0


def test_votes_count_once_per_reader_and_can_be_taken_back(blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Vote on me.")
    first, second = open_reader(), open_reader()
    first.goto(blog.post_page(slug))
    like = comment_item(first, "Vote on me.").get_by_role("button", name="Like: 0", exact=True)

    like.click()
    liked = comment_item(first, "Vote on me.").get_by_role("button", name="Like: 1", exact=True)
    expect(liked).to_have_attribute("aria-pressed", "true")
    # Focus stays on the button pressed, for keyboard users
    expect(liked).to_be_focused()

    # The same reader's second press takes the vote back; a dislike replaces a like
    liked.click()
    expect(comment_item(first, "Vote on me.").get_by_role("button", name="Like: 0", exact=True)).to_have_attribute(
        "aria-pressed", "false")
    comment_item(first, "Vote on me.").get_by_role("button", name="Dislike: 0").click()
    expect(comment_item(first, "Vote on me.").get_by_role("button", name="Dislike: 1")).to_be_visible()

    # Another reader's like adds to the count; the first reader's choice is remembered across visits
    second.goto(blog.post_page(slug))
    comment_item(second, "Vote on me.").get_by_role("button", name="Like: 0", exact=True).click()
    expect(comment_item(second, "Vote on me.").get_by_role("button", name="Like: 1", exact=True)).to_be_visible()
    first.reload()
    expect(comment_item(first, "Vote on me.").get_by_role("button", name="Dislike: 1")).to_have_attribute(
        "aria-pressed", "true")
    stored = api_get(blog, f"/posts/{slug}/comments")["items"][0]
    assert (stored["likes"], stored["dislikes"]) == (1, 1)


def test_load_more_pages_through_a_thread_longer_than_one_request(blog: Blog, page: Page) -> None:
    # Given more comments than the widget's one request brings (300)
    slug = blog.new_post()
    seed_thread(blog, slug, 300)
    for n in (301, 302):
        blog.comment(slug, f"Comment number {n}.")
    page.goto(blog.post_page(slug))
    expect(page.locator(".bc-count")).to_have_text("302 comments")
    expect(page.locator("li.bc-comment")).to_have_count(300)

    page.get_by_role("button", name="Load more comments").press("Enter")

    expect(page.locator("li.bc-comment")).to_have_count(302)
    expect(page.locator("li.bc-comment").last.locator(".bc-body")).to_have_text("Comment number 302.")
    expect(page.get_by_role("button", name="Load more comments")).to_be_hidden()
    # The keyboard reader goes on from the first comment the button brought, not from the top of the page
    expect(comment_item(page, "Comment number 301.")).to_be_focused()


def test_refusals_are_shown_next_to_the_field_they_concern(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    form = page.locator("form.bc-form")

    # A website that is not an http(s) address (the browser's own check lets javascript: through)
    form.get_by_label("Website").fill("javascript:alert(1)")
    comment_on(page, "Look at my site.")
    website = form.get_by_label("Website")
    expect(page.locator(f"#{website.get_attribute('id')}-error")).to_have_text(
        "Website: must be an http:// or https:// address")
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(website).to_be_focused()

    # Too many links: the API's anti-spam rule, reported under the comment box
    website.fill("")
    links = " ".join(f"[offer {n}](https://spam{n}.example)" for n in range(5))
    comment_on(page, f"Buy now {links}")
    body = form.get_by_label("Comment")
    expect(page.locator(f"#{body.get_attribute('id')}-error")).to_contain_text("links; a comment may have at most")
    expect(website).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".bc-count")).to_have_text("No comments")
    assert api_get(blog, f"/posts/{slug}")["comment_count"] == 0


def test_the_form_works_from_the_keyboard_alone_with_every_control_labelled(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    expect(page.locator(".bc-count")).to_have_text("No comments")
    form = page.locator("form.bc-form")

    # Every field a person fills in has a label that names it (the robots' trap is hidden from them)
    for name in ("Comment", "Name", EMAIL, "Website (optional)", "E-mail me when someone replies (needs your email)",
                 "Follow this discussion by e-mail"):
        expect(form.get_by_label(name, exact=True)).to_have_count(1)
    trap = form.locator("input[name=homepage]")
    expect(trap).to_have_attribute("tabindex", "-1")
    expect(form.locator(".bc-trap")).to_have_attribute("aria-hidden", "true")

    # Tab walks the form in reading order, skipping the trap, and Enter on Publish sends it
    form.get_by_label("Comment").focus()
    page.keyboard.type("Typed, never clicked.")
    for expected, text in (("Name", "Kay"), (EMAIL, ""), ("Website (optional)", "")):
        page.keyboard.press("Tab")
        expect(form.get_by_label(expected, exact=True)).to_be_focused()
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(form.get_by_label("E-mail me when someone replies (needs your email)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Follow this discussion by e-mail")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Publish")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".bc-count")).to_have_text("1 comment")
    expect(comment_item(page, "Typed, never clicked.").locator(".bc-author")).to_have_text("Kay")


def test_a_post_with_comments_closed_shows_the_thread_without_a_form(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Said before closing.")
    blog.as_admin("PATCH", f"/posts/{slug}", {"comments_closed": True})

    page.goto(blog.post_page(slug))

    expect(comment_item(page, "Said before closing.")).to_be_visible()
    expect_no_form(page, "Comments are closed for this post.")


def test_a_thread_takes_one_api_request_to_show(blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Counted.")
    folder, site = static_site
    calls: list[str] = []
    page.on("request", lambda r: calls.append(f"{r.method} {r.url.removeprefix(blog.url)}")
            if r.url.startswith(blog.url) and r.resource_type == "fetch" else None)

    # (The tag names no post: the widget reads it from the page's address, <slug>.html)
    page.goto(f"{site}/{embedding_page(folder, blog.url, slug, name_the_post=False)}")
    expect(comment_item(page, "Counted.")).to_be_visible()
    expect(page.locator("form.bc-form")).to_be_visible()

    # The post with its comments and the form's rules in one cacheable request; no form token until one writes
    assert calls == [f"GET /posts/{slug}?embed=comments&comments_limit=300"]


def test_deleting_the_last_reply_of_a_deleted_comment_removes_both(blog: Blog, page: Page) -> None:
    # Given a reader's comment with their own reply under it
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    comment_on(page, "Parent words.")
    parent = page.locator(f'li[data-id="{comment_item(page, "Parent words.").get_attribute("data-id")}"]')
    parent.get_by_role("button", name="Reply").click()
    comment_on(page, "Child words.")
    expect(page.locator(".bc-count")).to_have_text("2 comments")

    # When they delete the parent, it stays as a marker over its reply
    parent.locator(":scope > article").get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(parent.locator(":scope > article")).to_have_text("This comment was deleted.")
    expect(page.locator(".bc-count")).to_be_focused()

    # And when they delete the reply too, the marker goes with it, as it does in the API
    comment_item(page, "Child words.").get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("li.bc-comment")).to_have_count(0)
    expect(page.locator(".bc-count")).to_have_text("No comments")
    assert api_get(blog, f"/posts/{slug}/comments")["items"] == []
    page.reload()
    expect(page.locator(".bc-count")).to_have_text("No comments")
    expect(page.locator("li.bc-comment")).to_have_count(0)


def test_a_browser_that_refuses_storage_still_votes_once_and_edits(blog: Blog, browser: Browser) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Vote without storage.")
    context = browser.new_context(locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    # As in a private window with storage blocked: every use of localStorage throws
    context.add_init_script("""Object.defineProperty(window, "localStorage", {
        get() { throw new DOMException("storage is blocked", "SecurityError"); } });""")
    page = context.new_page()
    try:
        page.goto(blog.post_page(slug))
        thread = comment_item(page, "Vote without storage.")
        thread.get_by_role("button", name="Like: 0", exact=True).click()
        expect(thread.get_by_role("button", name="Like: 1", exact=True)).to_have_attribute("aria-pressed", "true")
        # A second press takes the vote back, rather than counting a new voter
        thread.get_by_role("button", name="Like: 1", exact=True).click()
        expect(thread.get_by_role("button", name="Like: 0", exact=True)).to_have_attribute("aria-pressed", "false")
        # And one's own comment can be edited for the rest of the visit
        comment_on(page, "Mine, without storage.")
        comment_item(page, "Mine, without storage.").get_by_role("button", name="Edit").click()
        page.get_by_label("Edit your comment").fill("Edited without storage.")
        page.get_by_role("button", name="Save").click()
        expect(comment_item(page, "Edited without storage.")).to_be_visible()
    finally:
        context.close()
    assert api_get(blog, f"/posts/{slug}/comments")["items"][0]["likes"] == 0


def test_readers_sort_the_thread_by_newest_or_best_without_losing_what_they_typed(blog: Blog, page: Page) -> None:
    # Given three comments, the second liked by two readers and the third by one
    slug = blog.new_post()
    _, second, third = (blog.comment(slug, f"The {n} comment.") for n in ("first", "second", "third"))
    for comment, voters in ((second, ("a", "b")), (third, ("c",))):
        for voter in voters:
            voted = requests.post(f"{blog.url}/comments/{comment['id']}/vote", json={"value": 1}, timeout=30,
                                  headers={"X-Voter-Token": f"{slug}-{voter}"})
            assert voted.status_code == 200, voted.text
    page.goto(blog.post_page(slug))
    bodies = page.locator("ol.bc-thread > li.bc-comment > article .bc-body")
    expect(bodies).to_have_text(["The first comment.", "The second comment.", "The third comment."])
    page.locator("form.bc-form").get_by_label("Comment").fill("Half-typed")

    page.get_by_label("Sort").select_option(label="Best first")
    expect(bodies).to_have_text(["The second comment.", "The third comment.", "The first comment."])

    page.get_by_label("Sort").select_option(label="Newest first")
    expect(bodies).to_have_text(["The third comment.", "The second comment.", "The first comment."])
    expect(page.locator(".bc-count")).to_have_text("3 comments")
    expect(page.locator("form.bc-form").get_by_label("Comment")).to_have_value("Half-typed")
