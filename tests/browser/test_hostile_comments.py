"""Comments written to attack readers are shown as text, on a static site that embeds the widget.

The page here is another origin with no Content-Security-Policy, as most static
blogs are, so nothing but the widget's own care stands between a payload and
the reader: a trap function in the page records any call, and must stay silent.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item, comment_on, embedding_page

PAYLOADS = [
    '<script>trap("script tag")</script>',
    "<img src=x onerror=\"trap('img onerror')\">",
    "[click me](javascript:trap('markdown link'))",
    "<a href=\"javascript:trap('html link')\">html link</a>",
    "<svg onload=\"trap('svg onload')\"></svg>",
    "<iframe src=\"javascript:trap('iframe')\"></iframe>",
    "<div><b>unclosed <i onmouseover=\"trap('broken markup')\">hover me",
    "\"><img src=x onerror=trap('attribute break')>",
]
HOSTILE_NAME = "<img src=x onerror=trap('name')>"
TRAP = "window.__fired = []; window.trap = (what) => window.__fired.push(String(what));"


def test_hostile_comments_render_as_text_and_nothing_they_carry_runs(
        blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    # Given a post whose comments carry script in every form a commenter could try
    slug = blog.new_post("Under attack")
    for payload in PAYLOADS:
        blog.comment(slug, payload, author_name=HOSTILE_NAME)
    folder, site = static_site
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(TRAP)

    # When a reader opens the static page that embeds the widget from the API's origin
    page.goto(f"{site}/{embedding_page(folder, blog.url, slug)}")
    expect(page.locator(".bc-count")).to_have_text(f"{len(PAYLOADS)} comments")

    # And one more arrives through the widget's own form
    comment_on(page, "<img src=x onerror=\"trap('typed in the form')\">", name=HOSTILE_NAME)
    expect(page.locator(".bc-count")).to_have_text(f"{len(PAYLOADS) + 1} comments")

    # Then each one reads exactly as it was typed, names included
    for payload in [*PAYLOADS, "<img src=x onerror=\"trap('typed in the form')\">"]:
        shown = comment_item(page, payload)
        expect(shown).to_have_count(1)
        expect(shown.locator(".bc-body")).to_have_text(payload)
        expect(shown.locator(".bc-author")).to_have_text(HOSTILE_NAME)
    # And no element in the thread can run anything: no scripts, frames, event attributes or script links
    dangerous = page.evaluate("""() => [...document.querySelectorAll('.bc *')].filter((el) =>
        ['SCRIPT', 'IFRAME', 'SVG', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())
        || [...el.attributes].some((a) => a.name.startsWith('on')
            || /^\\s*javascript:/i.test(a.value))).map((el) => el.outerHTML)""")
    assert dangerous == []
    # And hovering and clicking everything in the comments sets nothing off
    for body in page.locator(".bc-body").all():
        body.hover()
        body.click()
    for link in page.locator(".bc-body a").all():
        link.click(modifiers=["Control"])  # would run a javascript: href; a new tab for anything else
    # And a vote crosses origins too (its X-Voter-Token header needs the API's CORS preflight)
    comment_item(page, PAYLOADS[0]).get_by_role("button", name="Like: 0", exact=True).click()
    expect(comment_item(page, PAYLOADS[0]).get_by_role("button", name="Like: 1", exact=True)).to_be_visible()
    assert page.evaluate("window.__fired") == []
    assert dialogs == []
