"""An imported Blogger thread in the demo blog's post page: the widget shows it nested and counted as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.http.conftest import PROJECT
from tests.importer.steps import BLOGGER_THREADS

RUSSO = "russo-japanese-different-dreams"
# Each comment shown, in page order: its author ("(deleted)" for a tombstone) and how deep it is nested.
SHAPE = """els => els.map(li => [
  li.querySelector(':scope > article .bc-author')?.textContent ?? '(deleted)',
  (() => { let n = 0, up = li.parentElement.closest('li.bc-comment');
           while (up) { n++; up = up.parentElement.closest('li.bc-comment'); } return n; })()])"""


def test_an_imported_thread_shows_in_the_widget_with_its_replies_nested_and_its_count(
        start_blog: Callable[..., Blog], page: Page, tmp_path: Path) -> None:
    # Given the project's Blogger fixture imported into a stack of its own (the session's stack may have a
    # post of that slug already: the Blogger template test makes one), as `make import` does
    blog = start_blog()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    imported = subprocess.run(
        [sys.executable, "-m", "importer", str(BLOGGER_THREADS), "--port", str(urlsplit(blog.url).port),
         "--redirects", str(tmp_path / "redirects.json")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr

    # When a reader opens the post in the demo blog
    page.goto(blog.post_page(RUSSO))

    # Then the widget counts the four public comments (not the tombstone) and nests each reply under its parent
    expect(page.locator(".bc-count")).to_have_text("4 comments")
    expect(page.locator("li.bc-comment")).to_have_count(5)
    shape = page.locator("li.bc-comment").evaluate_all(SHAPE)
    assert shape == [["Ann", 0], ["Bob", 1], ["Ann", 2], ["(deleted)", 0], ["Dan", 1]]
    expect(page.locator("li.bc-comment .bc-deleted")).to_have_text("This comment was deleted.")
    # And Ann keeps the website she gave
    expect(page.locator("a.bc-author", has_text="Ann").first).to_have_attribute("href", "https://ann.example/")
