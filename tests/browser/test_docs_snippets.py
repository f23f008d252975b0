"""The widget's HTML snippets, exactly as the docs show them (docs/snippets/*.html), work on a page of another origin.

The Comment widget page includes these files; here each is pasted into a static page with only the
placeholders filled in: the API's address for `https://YOUR-API`, and the post's slug for `my-post`.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_on

SNIPPETS = Path(__file__).resolve().parents[2] / "docs" / "snippets"


def pasted(name: str, api: str, slug: str) -> str:
    text = (SNIPPETS / name).read_text(encoding="utf-8")
    assert "https://YOUR-API" in text
    return text.replace("https://YOUR-API", api).replace("my-post", slug)


def static_page(folder: Path, path: str, body: str) -> str:
    page = folder / path
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>A blog</title></head>\n'
                    f"<body><article><h1>A post</h1><p>Words.</p></article>\n{body}\n</body></html>", encoding="utf-8")
    return path


def test_the_documented_embed_and_count_snippets_show_a_thread_and_count_it(
        blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    # Given a post, and a static page at an address ending with its slug, carrying the embed snippet
    slug = blog.new_post("Pasted from the docs")
    folder, site = static_site
    post_page = static_page(folder, f"2026/11/{slug}.html", pasted("widget-embed.html", blog.url, slug))

    # When a reader opens it and comments, then the widget shows the thread and counts the comment
    page.goto(f"{site}/{post_page}")
    expect(page.locator(".bc-count")).to_have_text("No comments")
    comment_on(page, "Copied and pasted, and it works.", name="Ann")
    expect(page.locator(".bc-count")).to_have_text("1 comment")

    # And an index page carrying the count snippet shows that count
    index = static_page(folder, "index.html", pasted("comment-count.html", blog.url, slug))
    page.goto(f"{site}/{index}")
    expect(page.locator(f'a[data-comment-count="{slug}"]')).to_have_text("1 comment")
