"""Live threads: a reader with a post open sees others' new comments and replies without reloading,
and a hidden page asks for nothing (docs/live-threads.md). The widget looks every second here
(data-live="1") instead of every 15 s, so each wait below is a few poll windows, not minutes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Request, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.thread_steps import seed_thread
from tests.browser.widget_steps import comment_item, comment_on

# The page hides or shows itself on the test's word: document.hidden and visibilityState read a flag
# the test sets, and a visibilitychange event tells the widget, as a browser does when a tab is switched.
_VISIBILITY = """
(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true,
    get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def live_page(static_site: tuple[Path, str], blog: Blog, slug: str) -> str:
    """A static post page embedding the widget, which looks for new comments every second."""
    folder, site = static_site
    (folder / f"live-{slug}.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A live thread</title></head>
<body><article><h1>A post being discussed</h1></article><section id="comments"></section>
<script src="{blog.url}/widget.js" data-post="{slug}" data-live="1"></script></body></html>""")
    return f"{site}/live-{slug}.html"


def reader_on(open_reader: Callable[[], Page], url: str) -> Page:
    page = open_reader()
    page.add_init_script(_VISIBILITY)
    page.goto(url)
    expect(page.locator(".bc-count")).not_to_have_text("Loading comments…")
    return page


def is_look(blog: Blog, slug: str) -> Callable[[Request], bool]:
    return lambda request: request.url.startswith(f"{blog.url}/posts/{slug}?embed=comments")


def await_looks(page: Page, blog: Blog, slug: str, count: int) -> None:
    """Wait (no longer than needed) until the widget has looked for new comments ``count`` more times."""
    for _ in range(count):
        with page.expect_response(lambda response: is_look(blog, slug)(response.request), timeout=10_000):
            pass


def polls(page: Page, blog: Blog, slug: str) -> list[str]:
    """The thread reads the page makes from here on."""
    seen: list[str] = []
    looks = is_look(blog, slug)

    def note(request: Request) -> None:
        if looks(request):
            seen.append(request.url)

    page.on("request", note)
    return seen


def test_a_comment_and_a_reply_from_another_reader_appear_in_their_thread_with_the_count(
        blog: Blog, open_reader: Callable[[], Page], static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    blog.comment(slug, "Already here.", author_name="Ada")
    url = live_page(static_site, blog, slug)
    watcher = reader_on(open_reader, url)
    writer = reader_on(open_reader, url)
    expect(watcher.locator(".bc-count")).to_have_text("1 comment")

    # When one reader comments, then replies to their own comment
    comment_on(writer, "A new thought.", name="Grace")
    expect(comment_item(writer, "A new thought.")).to_be_visible()
    comment_item(writer, "A new thought.").get_by_role("button", name="Reply").click()
    comment_on(writer, "And a reply to it.", name="Grace")
    expect(comment_item(writer, "And a reply to it.")).to_be_visible()

    # Then the other reader is told, politely, within a few looks, and nothing moved meanwhile
    bar = watcher.locator(".bc-live[aria-live=polite] button.bc-fresh")
    expect(bar).to_have_text("2 new comments", timeout=10_000)
    expect(watcher.locator("li.bc-comment")).to_have_count(1)
    expect(watcher.locator(".bc-count")).to_have_text("1 comment")
    assert_accessible(watcher, within=".bc")

    # And the bar brings both in: the reply under its parent, the count line counting them
    bar.click()
    parent = comment_item(watcher, "A new thought.")
    expect(parent).to_be_visible()
    expect(parent.locator(":scope > ol.bc-replies > li.bc-comment .bc-body")).to_have_text("And a reply to it.")
    expect(watcher.locator(".bc-thread > li.bc-comment")).to_have_count(2)
    expect(watcher.locator(".bc-count")).to_have_text("3 comments")
    expect(bar).to_be_hidden()
    expect(parent).to_be_focused()


def test_the_writers_own_comment_is_not_announced_back_to_them(
        blog: Blog, open_reader: Callable[[], Page], static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    writer = reader_on(open_reader, live_page(static_site, blog, slug))
    comment_on(writer, "Mine, shown at once.", name="Tess")
    expect(comment_item(writer, "Mine, shown at once.")).to_be_visible()

    # Looks after the write find the comment already shown: no bar, no second copy
    await_looks(writer, blog, slug, 2)
    expect(writer.locator("button.bc-fresh")).to_be_hidden()
    expect(comment_item(writer, "Mine, shown at once.")).to_have_count(1)
    expect(writer.locator(".bc-count")).to_have_text("1 comment")


def test_new_comments_wait_in_the_bar_without_moving_what_the_reader_is_reading(
        blog: Blog, open_reader: Callable[[], Page], static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    seed_thread(blog, slug, 40)
    reader = reader_on(open_reader, live_page(static_site, blog, slug))
    expect(reader.locator("li.bc-comment")).to_have_count(40)
    reading = reader.locator("li.bc-comment").nth(20)
    reading.scroll_into_view_if_needed()
    top = reading.bounding_box()

    blog.comment(slug, "Posted while they read.")

    bar = reader.locator("button.bc-fresh")
    expect(bar).to_have_text("1 new comment", timeout=10_000)
    # The comment they were reading is where it was on screen, and the bar is in sight
    assert reading.bounding_box() == top
    expect(bar).to_be_in_viewport()


def test_a_hidden_page_asks_for_nothing_and_looks_again_when_shown(
        blog: Blog, open_reader: Callable[[], Page], static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    reader = reader_on(open_reader, live_page(static_site, blog, slug))
    seen = polls(reader, blog, slug)
    await_looks(reader, blog, slug, 1)  # looking while visible

    reader.evaluate("window.__setHidden(true)")
    before = len(seen)
    blog.comment(slug, "Written while nobody looks.")
    # Three poll windows (the longest wait between looks is 1 s here) pass without a request
    reader.wait_for_timeout(3_000)
    assert len(seen) == before

    # Shown again, it looks at once and finds the comment
    with reader.expect_request(is_look(blog, slug)):
        reader.evaluate("window.__setHidden(false)")
    expect(reader.locator("button.bc-fresh")).to_have_text("1 new comment")


def test_the_form_a_reader_writes_in_stays_put_when_the_bar_appears_above_it(
        blog: Blog, open_reader: Callable[[], Page], static_site: tuple[Path, str]) -> None:
    slug = blog.new_post()
    seed_thread(blog, slug, 40)
    reader = reader_on(open_reader, live_page(static_site, blog, slug))
    expect(reader.locator("li.bc-comment")).to_have_count(40)
    box = reader.locator("form.bc-form").get_by_label("Comment")
    box.scroll_into_view_if_needed()
    box.fill("Half a thought")
    reader.evaluate("window.scrollBy(0, document.body.scrollHeight)")  # the thread's end is above the viewport
    where = box.bounding_box()

    blog.comment(slug, "Posted while they write.")

    expect(reader.locator("button.bc-fresh")).to_have_text("1 new comment", timeout=10_000)
    assert box.bounding_box() == where
    expect(box).to_have_value("Half a thought")
