"""Blogger keeps the posts, we keep the comments: the sample Blogger post with its comment section replaced.

The page is built at test time from the sample Blogger post in ../shared/fixtures (reference data,
never copied into the project), served by another origin at the path Blogger gives it, with its
"No comments: / Post a Comment" section replaced by the widget as the README's Blogger section says.
The widget finds the post from the page's own address; the index page's links get their counts from
counts.js, in one request.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_on

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "blogger-post-2017-03-22.txt"
PERMALINK = "2017/03/russo-japanese-different-dreams.html"


def blogger_post_page(folder: Path, api: str) -> str:
    """The sample post as a Blogger page, its comment section being the widget (the README's HTML)."""
    lines = [line.strip() for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    date, title, *paragraphs = lines
    assert paragraphs[-2:] == ["No comments:", "Post a Comment"], "the sample's own comment section"
    body = "\n".join(f"<p>{html.escape(text)}</p>" for text in paragraphs[:-2])
    page = folder / PERMALINK
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body><div class="date-outer"><h2 class="date-header"><span>{html.escape(date)}</span></h2>
<div class="post hentry"><h3 class="post-title entry-title">{html.escape(title)}</h3>
<div class="post-body entry-content">{body}</div></div>
<div class="comments" id="comments"></div>
<script src="{api}/widget.js" async></script>
</div></body></html>""", encoding="utf-8")
    return PERMALINK


def blogger_index_page(folder: Path, site: str, api: str) -> str:
    """An index page as the README's template makes it: the count link names the post by its full address."""
    (folder / "blogger-index.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A Blogger blog</title></head>
<body><div class="blog-posts"><div class="post"><h3 class="post-title"><a href="/{PERMALINK}">Russo-Japanese
Different Dreams</a></h3><span class="post-comment-link"><a class="comment-link" href="/{PERMALINK}#comments"
data-comment-count="{site}/{PERMALINK}">Comments</a></span></div></div>
<script src="{api}/counts.js" async></script>
</body></html>""", encoding="utf-8")
    return "blogger-index.html"


@pytest.mark.skipif(not SAMPLE.exists(), reason="the sample Blogger post lives in ../shared/fixtures")
def test_a_blogger_post_shows_no_comments_then_one_and_its_index_counts_it(
        blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    # Given the post on the blog, under the slug its Blogger permalink ends with
    assert blog.new_post("Russo-Japanese Different Dreams") == "russo-japanese-different-dreams"
    folder, site = static_site

    # When a reader opens the Blogger page, then the widget stands where "No comments:" was
    page.goto(f"{site}/{blogger_post_page(folder, blog.url)}")
    expect(page.locator(".bc-count")).to_have_text("No comments")

    # And posting makes it one comment
    comment_on(page, "Two-plus-two, one step at a time.", name="Kenji")
    expect(page.locator(".bc-count")).to_have_text("1 comment")

    # And the blog's index page shows that count, from one request
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.startswith(f"{blog.url}/counts?") else None)
    page.goto(f"{site}/{blogger_index_page(folder, site, blog.url)}")
    expect(page.locator(".comment-link")).to_have_text("1 comment")
    assert len(asked) == 1 and asked[0].endswith("/counts?posts=russo-japanese-different-dreams")
