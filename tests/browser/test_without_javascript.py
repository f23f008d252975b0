"""A reader without JavaScript: the thread built into a static page from GET /posts/{slug}/comments.html.

A static site generator fetches the fragment at build time and writes it into the post's page next
to the widget's script tag; a browser with JavaScript off shows that thread (and a search engine
reads it), and runs nothing of what commenters wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Blog


@pytest.fixture
def page_without_javascript(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    yield context.new_page()
    context.close()


def built_page(folder: Path, api: str, slug: str) -> str:
    """The post's page as a build step makes it: the fragment fetched once, written in, the widget's tag after it."""
    fragment = requests.get(f"{api}/posts/{slug}/comments.html", timeout=30)
    assert fragment.status_code == 200, fragment.text
    (folder / f"built-{slug}.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A static post</title></head>
<body><article><h1>A statically built post</h1></article>
<div id="comments">{fragment.text}</div>
<script src="{api}/widget.js" data-post="{slug}"></script>
</body></html>""", encoding="utf-8")
    return f"built-{slug}.html"


def test_a_reader_without_javascript_reads_the_thread_with_its_replies(
        blog: Blog, page_without_javascript: Page, static_site: tuple[Path, str]) -> None:
    # Given a thread with a reply and a hostile comment
    slug = blog.new_post("Read without scripts")
    parent = blog.comment(slug, "The *first* word.", author_name="Ada")
    blog.comment(slug, "An answer to Ada.", author_name="Ben", parent_id=parent["id"])
    blog.comment(slug, '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>',
                 author_name="<b>Mallory</b>")
    folder, site = static_site
    page = page_without_javascript

    # When a reader with JavaScript off opens the page built with the fragment
    page.goto(f"{site}/{built_page(folder, blog.url, slug)}")

    # Then they read the count, the comments, and the reply nested under its parent
    expect(page.locator(".blog-comments-count")).to_have_text("3 comments")
    ada = page.locator("#comment-" + parent["id"])
    expect(ada.locator(":scope > article .blog-comment-body em")).to_have_text("first")
    expect(ada.locator(".blog-comments-list .blog-comment-body")).to_have_text("An answer to Ada.")
    # And what Mallory wrote is text: her name shown as typed, nothing of hers ran
    expect(page.get_by_text("<b>Mallory</b>")).to_be_visible()
    assert page.title() == "A static post"
    assert page.locator("img[onerror]").count() == 0
