"""``python -m devtools.screenshot PATH``: the README's picture of the demo blog, taken in Chromium.

Starts `make run`'s stack on a free port with its sample posts, opens the first
sample post at /demo/, replies to a comment and likes one through the widget
(as a reader would), and saves the whole page as a PNG.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from devtools import chromium, stack_process

POST = "welcome-to-your-serverless-blog"  # seeded by devtools/seed.py


def take(out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        stack = stack_process.start(Path(tmp), MIN_FORM_SECONDS="0")
        try:
            with sync_playwright() as playwright:
                browser = chromium.launch(playwright)
                page = browser.new_page(viewport={"width": 960, "height": 900}, locale="en-US", timezone_id="UTC")
                page.goto(f"{stack.url}/demo/posts/{POST}")
                first = page.locator("li.bc-comment").first.locator(":scope > article")
                first.get_by_role("button", name="Like (0)", exact=True).click()
                page.locator("li.bc-comment").last.get_by_role("button", name="Reply").click()
                form = page.locator("form.bc-form")
                form.get_by_label("Comment").fill("Replying from the **demo page**: it took one script tag.")
                form.get_by_label("Name").fill("Ada")
                form.get_by_role("button", name="Publish").click()
                expect(page.locator(".bc-count")).to_have_text("3 comments")
                page.locator(".bc-status").evaluate("element => element.textContent = ''")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                browser.close()
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.screenshot")
    parser.add_argument("out", type=Path)
    take(parser.parse_args().out)


if __name__ == "__main__":
    main()
