"""axe-core finds no serious or critical violation on any console page, nor on the demo blog
and the comment widget (in light and dark colour schemes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.console_steps import new_account, sign_in

CONSOLE_PAGES = [("#posts", "Posts"), ("#new", "New post"), ("#queue?status=spam", "Spam"),
                 ("#recent", "Recent comments"), ("#audit", "Audit trail"), ("#people", "People"),
                 ("#bans", "Bans"), ("#settings", "Comment rules on this stage"), ("#account", "Account")]


def test_the_console_sign_in_page_is_accessible(blog: Blog, page: Page) -> None:
    page.goto(f"{blog.url}/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_console_page_an_admin_sees_is_accessible(blog: Blog, page: Page,
                                                        scheme: Literal["light", "dark"]) -> None:
    # Given something in each list: a comment marked as spam, so it shows in the spam queue and the trail
    slug = blog.new_post("Accessible moderation")
    comment = blog.comment(slug, "A comment to **moderate**.")
    blog.as_admin("POST", f"/comments/{comment['id']}/moderate", {"action": "spam"})
    blog.as_admin("POST", "/moderation/bans", {"by": "email", "email": f"{scheme}@example.com", "reason": "a test"})
    page.emulate_media(color_scheme=scheme)
    sign_in(page, blog, LOCAL_ADMIN)

    for route, heading in CONSOLE_PAGES:
        page.goto(f"{blog.url}/admin/{route}")
        expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert_accessible(page)


def test_the_editor_with_a_preview_and_a_readers_page_are_accessible(blog: Blog,
                                                                     open_reader: Callable[[], Page]) -> None:
    page = open_reader()
    sign_in(page, blog, new_account(blog))
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Body (Markdown)").fill("# A heading\n\nSome *text* and [a link](https://example.com).")
    expect(page.locator(".preview em")).to_have_text("text")
    assert_accessible(page)

    reader = open_reader()
    sign_in(reader, blog, new_account(blog, "reader"))
    expect(reader.get_by_role("heading", name="Nothing to do here")).to_be_visible()
    assert_accessible(reader)


def test_the_demo_blogs_index_is_accessible(blog: Blog, page: Page) -> None:
    blog.new_post("An accessible index")

    page.goto(f"{blog.url}/demo/")
    expect(page.get_by_role("link", name="An accessible index").first).to_be_visible()
    assert_accessible(page)


# The demo blog's style has no dark scheme of its own; the widget has, and is scanned in both.
def test_a_post_page_with_the_comment_widget_is_accessible(blog: Blog, page: Page) -> None:
    slug = blog.new_post("Accessible thread")
    parent = blog.comment(slug, "A first comment.")
    blog.comment(slug, "A reply to it.", parent_id=parent["id"])

    page.goto(blog.post_page(slug))
    expect(page.get_by_text("A reply to it.")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_widget_in_its_own_themes_is_accessible(blog: Blog, page: Page, static_site: tuple[Path, str],
                                                    theme: str) -> None:
    slug = blog.new_post(f"Accessible in {theme}")
    parent = blog.comment(slug, "A first comment.")
    blog.comment(slug, "A reply to it.", parent_id=parent["id"])
    folder, site = static_site
    (folder / f"themed-{theme}.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A themed page</title></head>
<body><main><h1>A post</h1><section id="comments"></section></main>
<script src="{blog.url}/widget.js" data-post="{slug}" data-theme="{theme}"></script>
</body></html>""", encoding="utf-8")

    page.goto(f"{site}/themed-{theme}.html")
    expect(page.get_by_text("A reply to it.")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["ar", "he", "ja", "zh", "ru"])
def test_the_widget_in_other_scripts_with_a_long_thread_is_accessible(blog: Blog, page: Page,
                                                                     static_site: tuple[Path, str], lang: str) -> None:
    # A thread longer than a page (a "more" button), nested replies, in the page's language: right to left for
    # Arabic and Hebrew, without spaces between words for Japanese and Chinese (label in name, word by word)
    slug = blog.new_post(f"A long thread in {lang}")
    parent = blog.comment(slug, "مرحبا، تعليق أول." if lang == "ar" else "שלום, תגובה ראשונה.")
    for n in range(24):
        blog.comment(slug, f"Reply {n}: שלום עולם / مرحبا بالعالم.", parent_id=parent["id"] if n % 3 else None)
    folder, site = static_site
    direction = ' dir="rtl"' if lang in ("ar", "he") else ""
    (folder / f"long-{lang}.html").write_text(f"""<!doctype html>
<html lang="{lang}"{direction}><head><meta charset="utf-8"><title>A long thread</title></head>
<body><main><h1>A post</h1><section id="comments"></section></main>
<script src="{blog.url}/widget.js" data-post="{slug}"></script>
</body></html>""", encoding="utf-8")

    page.goto(f"{site}/long-{lang}.html")
    expect(page.locator(".bc-vote").first).to_be_visible()
    assert page.locator(".bc-vote").count() >= 20
    assert_accessible(page)
