"""The newer sources in the demo blog's pages: an Isso thread nested and counted, a Jekyll post as written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.test_imported_threads import SHAPE
from tests.http.conftest import PROJECT
from tests.importer.test_import_comment_sources import ISSO
from tests.importer.test_import_post_sources import JEKYLL


def _make_import(blog: Blog, source: Path, tmp_path: Path) -> str:
    """`make import` of ``source`` into the running stack, as an operator runs it; its report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    imported = subprocess.run(
        [sys.executable, "-m", "importer", str(source), "--port", str(urlsplit(blog.url).port),
         "--redirects", str(tmp_path / f"{source.name}-redirects.json")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    return imported.stdout


def test_an_isso_thread_and_a_jekyll_post_show_in_the_demo_blog(start_blog: Callable[..., Blog], page: Page,
                                                                 tmp_path: Path) -> None:
    # Given an Isso database and a folder of Jekyll posts imported into a stack of their own
    blog = start_blog()
    assert "format: isso" in _make_import(blog, ISSO, tmp_path)
    assert "format: markdown" in _make_import(blog, JEKYLL, tmp_path)

    # When a reader opens the Isso thread's page
    page.goto(blog.post_page("hello-world"))

    # Then the widget counts the four public comments and keeps the deleted parent's place for its reply
    expect(page.locator(".bc-count")).to_have_text("4 comments")
    expect(page.locator("li.bc-comment")).to_have_count(5)
    shape = page.locator("li.bc-comment").evaluate_all(SHAPE)
    assert shape == [["Alice", 0], ["Борис Иванов", 1], ["田中太郎", 1], ["(deleted)", 0], ["Dave", 1]]
    expect(page.locator("li.bc-comment strong", has_text="markdown")).to_have_count(1)

    # And the Japanese thread, under its Japanese slug, shows its replies
    page.goto(blog.post_page(quote("こんにちは-世界")))
    expect(page.locator("li.bc-comment")).to_have_count(3)

    # And a Jekyll post reads as it was written: its list, its inline code, its links
    page.goto(blog.post_page("jekyll-turns-2-0-0"))
    expect(page.locator("h1", has_text="Jekyll turns 2.0.0")).to_have_count(1)
    expect(page.locator("article ol > li")).to_have_count(7)
    expect(page.locator("code", has_text="jekyll new <path>")).to_have_count(1)
