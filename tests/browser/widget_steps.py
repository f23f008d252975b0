"""What a reader does with the widget, in the words the tests use."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect


def comment_on(page: Page, body: str, name: str = "") -> None:
    form = page.locator("form.bc-form")
    form.get_by_label("Comment").fill(body)
    if name:
        form.get_by_label("Name").fill(name)
    form.get_by_role("button", name="Publish").click()


def comment_item(page: Page, text: str) -> Locator:
    """The innermost comment whose own body says ``text`` (not a parent that contains it as a reply)."""
    return page.locator("li.bc-comment").filter(has=page.locator(":scope > article .bc-body", has_text=text))


def expect_no_form(page: Page, notice: str) -> None:
    """The thread is readable, but the widget offers no way to write: the notice instead of the form."""
    expect(page.get_by_text(notice)).to_be_visible()
    expect(page.locator("form.bc-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Reply")).to_have_count(0)


def embedding_page(folder: Path, api: str, slug: str, name_the_post: bool = True) -> str:
    """A static blog post at <slug>.html embedding the widget by one script tag (its options on the tag).

    Without ``name_the_post`` the tag has no data-post and the widget takes the slug from the page's address.
    """
    post = f' data-post="{slug}"' if name_the_post else ""
    (folder / f"{slug}.html").write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A static blog</title></head>
<body><article><h1>A post on a static site</h1><p>Comments come from another origin.</p></article>
<section id="talk"></section>
<script src="{api}/widget.js"{post} data-target="#talk"></script>
</body></html>""")
    return f"{slug}.html"
