"""The demo blog's search box, in Chromium, against `make run`'s stack.

A local stack has no stream reader, so the posts written here join the index the way posts written
before search did: `make migrate` (deploy/migrate.py) run against the stack, by its port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.http.conftest import PROJECT


def index_the_stack(blog: Blog) -> None:
    port = str(urlsplit(blog.url).port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run([sys.executable, "-m", "deploy.migrate", "--port", port], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_the_search_box_finds_a_post_and_marks_the_words_without_running_its_html(blog: Blog, page: Page) -> None:
    blog.new_post("Moth <em>watching</em> at dusk", body="Moths circle the lamp. <img src=x onerror=alert(1)>")
    blog.new_post("Tax forms", body="Nothing about insects.")
    blog.new_post("Moth draft", body="Unpublished moths.", status="draft")
    index_the_stack(blog)
    page.goto(f"{blog.url}/demo/")

    page.get_by_role("searchbox", name="Search posts").fill("moths")
    page.get_by_role("button", name="Search").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Search: “moths”")
    results = page.locator("article.summary")
    expect(results).to_have_count(1)
    expect(results.locator("h2")).to_have_text("Moth <em>watching</em> at dusk")
    expect(results.locator("h2 mark")).to_have_text("Moth")
    expect(results.locator(".snippet mark").first).to_have_text("Moths")
    expect(results.locator("img, em")).to_have_count(0)  # the post's markup is text here, never HTML
    results.get_by_role("link", name="Moth <em>watching</em> at dusk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moth <em>watching</em> at dusk")


def test_a_search_in_russian_and_japanese_finds_inflected_and_unspaced_words(blog: Blog, page: Page) -> None:
    blog.new_post("Новые книги", body="Я читаю книги.")
    blog.new_post("東京都の桜", body="春の東京都。")
    index_the_stack(blog)
    page.goto(f"{blog.url}/demo/?q=" + "книгами")
    expect(page.locator("article.summary h2")).to_have_text("Новые книги")
    page.goto(f"{blog.url}/demo/?q=" + "東京")
    expect(page.locator("article.summary h2 mark")).to_have_text("東京")
