"""``python -m devtools.screenshot PATH``: the README's picture of the demo blog, taken in Chromium.

``python -m devtools.screenshot --console FOLDER``: the admin console's editor (with its preview)
and moderation queue, as console-editor.png and console-queue.png, on a stack holding every comment.

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


_HELD = [("Ann", "Lovely post. Is there a **part two** coming?"),
         ("Ben", "I tried this on my own blog: the counts stayed right, even after deleting a reply."),
         ("Cheap Watches", "Best prices!!! [click here](https://example.com/offer)")]


def take_console(folder: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from devtools.seed import LOCAL_ADMIN

    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        stack = stack_process.start(Path(tmp), MIN_FORM_SECONDS="0", MODERATION="all")
        try:
            import requests

            for name, body in _HELD:
                requests.post(f"{stack.url}/posts/{POST}/comments", json={"body": body, "author_name": name},
                              timeout=30).raise_for_status()
            with sync_playwright() as playwright:
                browser = chromium.launch(playwright)
                page = browser.new_page(viewport={"width": 1200, "height": 820}, locale="en-US", timezone_id="UTC")
                page.goto(f"{stack.url}/admin/")
                page.get_by_label("E-mail").fill(LOCAL_ADMIN["email"])
                page.get_by_label("Password").fill(LOCAL_ADMIN["password"])
                page.get_by_role("button", name="Sign in", exact=True).click()
                page.get_by_role("link", name="New post").click()
                page.get_by_label("Title").fill("Notes on a quiet release")
                page.get_by_label("Body (Markdown)").fill(
                    "## What changed\n\nComments are **held** until approved, and the queue is *one Query*.\n\n"
                    "- approve, spam or delete\n- from the keyboard: `j`, `k`, `a`, `s`, `d`\n")
                page.get_by_label("Summary").fill("What the console does.")
                page.get_by_label("Labels").fill("release, notes")
                expect(page.locator(".preview h2")).to_have_text("What changed")
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / "console-editor.png"), full_page=True)
                page.get_by_role("link", name="Moderation").click()
                expect(page.locator("li.comment")).to_have_count(len(_HELD))
                page.keyboard.press("j")
                page.keyboard.press("x")
                page.screenshot(path=str(folder / "console-queue.png"), full_page=True)
                browser.close()
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.screenshot")
    parser.add_argument("out", type=Path)
    parser.add_argument("--console", action="store_true", help="OUT is a folder: the console's two pictures")
    args = parser.parse_args()
    if args.console:
        take_console(args.out)
    else:
        take(args.out)


if __name__ == "__main__":
    main()
