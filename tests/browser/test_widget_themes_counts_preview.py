"""The widget on other people's pages: their theme toggle, counts on their index pages, a preview before posting."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item, embedding_page

DARK_BACKGROUND = "rgb(13, 17, 23)"
LIGHT_BACKGROUND = "rgb(255, 255, 255)"


def themed_page(folder: Path, api: str, slug: str, theme: str) -> str:
    name = f"{slug}-{theme}.html"
    (folder / name).write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A themed blog</title></head>
<body><div id="comments"></div>
<script src="{api}/widget.js" data-post="{slug}" data-theme="{theme}"></script>
</body></html>""", encoding="utf-8")
    return name


def expect_theme(page: Page, theme: str) -> None:
    section = page.locator("section.bc")
    expect(section).to_have_attribute("data-bc-theme", theme)
    background = section.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == (DARK_BACKGROUND if theme == "dark" else LIGHT_BACKGROUND)


# -- themes ---------------------------------------------------------------------------------------


def test_in_auto_the_widget_follows_the_sites_own_toggle(blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    page.emulate_media(color_scheme="light")
    page.goto(f"{site}/{themed_page(folder, blog.url, slug, 'auto')}")
    expect_theme(page, "light")

    # A site that flips data-theme on <html>
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    expect_theme(page, "dark")
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    expect_theme(page, "light")
    page.evaluate("delete document.documentElement.dataset.theme")

    # A site that toggles class="dark"
    page.evaluate("document.documentElement.classList.add('dark')")
    expect_theme(page, "dark")
    page.evaluate("document.documentElement.classList.remove('dark')")
    expect_theme(page, "light")

    # A site that sets color-scheme on <html>
    page.evaluate("document.documentElement.style.colorScheme = 'dark'")
    expect_theme(page, "dark")
    page.evaluate("document.documentElement.style.colorScheme = ''")
    expect_theme(page, "light")

    # A site with no toggle of its own: the reader's system setting
    page.emulate_media(color_scheme="dark")
    expect_theme(page, "dark")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_chosen_theme_stays_whatever_the_site_and_system_say(blog: Blog, page: Page, static_site: tuple[Path, str],
                                                              theme: str) -> None:
    folder, site = static_site
    slug = blog.new_post()
    page.emulate_media(color_scheme="light" if theme == "dark" else "dark")
    page.goto(f"{site}/{themed_page(folder, blog.url, slug, theme)}")
    expect_theme(page, theme)

    page.evaluate(f"document.documentElement.dataset.theme = '{'light' if theme == 'dark' else 'dark'}'")
    page.evaluate("document.documentElement.classList.toggle('dark')")

    expect_theme(page, theme)


def test_without_a_theme_the_widget_keeps_the_pages_colours(blog: Blog, page: Page,
                                                            static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    page.goto(f"{site}/{embedding_page(folder, blog.url, slug)}")
    section = page.locator("section.bc")
    expect(page.locator(".bc-count")).to_have_text("No comments")

    assert section.get_attribute("data-bc-theme") is None
    assert section.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"


# -- counts on index pages ------------------------------------------------------------------------


def index_page(folder: Path, api: str, name: str, slugs: list[str], lang: str = "en") -> str:
    """A Blogger-style index page: each post's title and its "N comments" link, and the count script."""
    posts = "\n".join(f"""<div class="post"><h3 class="post-title"><a href="/2026/11/{slug}.html">{slug}</a></h3>
<span class="post-comment-link"><a class="comment-link" href="/2026/11/{slug}.html#comments"
 data-comment-count="{slug}">Comments</a></span></div>""" for slug in slugs)
    (folder / name).write_text(f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>A Blogger index</title></head>
<body><div class="blog-posts">{posts}</div>
<script src="{api}/counts.js" async></script>
</body></html>""", encoding="utf-8")
    return name


@pytest.fixture(scope="module")
def twenty_posts(blog: Blog) -> dict[str, int]:
    """Twenty posts, three of them with comments: slug -> its count."""
    slugs = [blog.new_post() for _ in range(20)]
    counts = dict.fromkeys(slugs, 0)
    for slug, count in zip(slugs[:3], (1, 2, 5), strict=True):
        for n in range(count):
            blog.comment(slug, f"Comment {n} on {slug}.")
        counts[slug] = count
    return counts


def test_an_index_page_of_twenty_posts_gets_every_count_in_one_request(
        blog: Blog, page: Page, static_site: tuple[Path, str], twenty_posts: dict[str, int]) -> None:
    folder, site = static_site
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(blog.url))
            if r.url.startswith(blog.url) and r.resource_type == "fetch" else None)

    page.goto(f"{site}/{index_page(folder, blog.url, 'index-en.html', list(twenty_posts))}")

    english = {0: "No comments", 1: "1 comment", 2: "2 comments", 5: "5 comments"}
    for slug, count in twenty_posts.items():
        expect(page.locator(f'[data-comment-count="{slug}"]')).to_have_text(english[count])
    assert len(asked) == 1 and asked[0].startswith("/counts?posts=")  # English needs no catalogue
    assert sorted(asked[0].removeprefix("/counts?posts=").split(",")) == sorted(twenty_posts)


def test_counts_are_written_in_the_pages_language(blog: Blog, page: Page, static_site: tuple[Path, str],
                                                  twenty_posts: dict[str, int]) -> None:
    folder, site = static_site
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(blog.url).split("?")[0])
            if r.url.startswith(blog.url) and r.resource_type == "fetch" else None)

    page.goto(f"{site}/{index_page(folder, blog.url, 'index-ru.html', list(twenty_posts), 'ru')}")

    russian = {0: "Нет комментариев", 1: "1 комментарий", 2: "2 комментария", 5: "5 комментариев"}
    for slug, count in twenty_posts.items():
        expect(page.locator(f'[data-comment-count="{slug}"]')).to_have_text(russian[count])
    assert sorted(asked) == ["/counts", "/i18n/ru.json"]


def test_a_hundred_and_one_posts_take_two_requests(blog: Blog, page: Page, static_site: tuple[Path, str],
                                                   twenty_posts: dict[str, int]) -> None:
    folder, site = static_site
    slugs = [*twenty_posts, *(f"not-yet-written-{n}" for n in range(81))]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/counts?" in r.url else None)

    page.goto(f"{site}/{index_page(folder, blog.url, 'index-101.html', slugs)}")

    expect(page.locator('[data-comment-count="not-yet-written-80"]')).to_have_text("No comments")
    first = next(iter(twenty_posts))
    expect(page.locator(f'[data-comment-count="{first}"]')).to_have_text("1 comment")
    assert len(asked) == 2


# -- preview ---------------------------------------------------------------------------------------


def test_the_preview_shows_what_posting_then_shows(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    form = page.locator("form.bc-form")
    words = ("Some *emphasis*, `code`, a [link](https://example.com) and <script>alert(1)</script> a tag.\n\n"
             "- one\n- two")
    form.get_by_label("Comment").fill(words)

    form.get_by_role("tab", name="Preview").click()

    preview = form.locator(".bc-preview")
    expect(preview.locator("em")).to_have_text("emphasis")
    expect(form.get_by_label("Comment")).to_be_hidden()
    expect(form.get_by_role("tab", name="Preview")).to_have_attribute("aria-selected", "true")
    shown = preview.inner_html()
    assert "<script" not in shown

    # Back to writing, then publishing: the comment reads as the preview did
    form.get_by_role("tab", name="Write").click()
    expect(form.get_by_label("Comment")).to_be_visible()
    form.get_by_role("button", name="Publish").click()
    expect(page.locator(".bc-count")).to_have_text("1 comment")
    posted = comment_item(page, "emphasis").locator(".bc-body")
    assert posted.inner_html() == shown


def test_the_preview_tabs_work_from_the_keyboard_and_publishing_returns_to_writing(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    form = page.locator("form.bc-form")
    write = form.get_by_role("tab", name="Write")

    write.focus()
    page.keyboard.press("ArrowRight")
    expect(form.get_by_role("tab", name="Preview")).to_be_focused()
    expect(form.locator(".bc-preview")).to_have_text("Nothing to preview yet.")
    page.keyboard.press("ArrowLeft")
    expect(write).to_be_focused()

    form.get_by_label("Comment").fill("**Previewed** then published.")
    form.get_by_role("tab", name="Preview").click()
    expect(form.locator(".bc-preview strong")).to_have_text("Previewed")
    form.get_by_role("button", name="Publish").click()

    expect(comment_item(page, "then published.")).to_be_visible()
    expect(form.get_by_label("Comment")).to_be_visible()
    expect(form.get_by_label("Comment")).to_have_value("")


def test_publishing_an_empty_box_from_the_preview_shows_the_box(blog: Blog, page: Page) -> None:
    slug = blog.new_post()
    page.goto(blog.post_page(slug))
    form = page.locator("form.bc-form")
    form.get_by_role("tab", name="Preview").click()

    form.get_by_role("button", name="Publish").click()

    expect(form.get_by_label("Comment")).to_be_visible()
    expect(form.get_by_label("Comment")).to_be_focused()
