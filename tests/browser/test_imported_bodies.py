"""Real WordPress and Blogger exports imported with `python -m importer`, then read in Chromium on the demo blog.

The check is the page a reader gets, not a function's output: no <br> standing directly in a list, no empty
paragraph, one <pre> per code block, protected posts nowhere, two WordPress sites side by side, and Blogger's
bold still bold.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Blog, api_get
from tests.http.conftest import PROJECT
from tests.importer.steps import BLOGGER_SAMPLE, SAMPLES

GENERATED = SAMPLES / "wordpress-more" / "wordpress-6.1.9-generated-export.xml"
PROTECTED = "защищённая-паролем-запись"
CLASSIC = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="https://wordpress.org/export/1.2/">
<channel><link>https://classic.example</link>
 <item><title>Lists and code</title><link>https://classic.example/lists-and-code/</link>
  <content:encoded><![CDATA[A list follows
with a line break.

<ul>
<li>one</li>
<li>two</li>
</ul>
<ol>
<li>first</li>
</ol>
<pre>
x = 1

y = 2
</pre>
[sourcecode language="js"]
if (a[0] < b) {

  go();
}
[/sourcecode]

The end.]]></content:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2015-06-01 10:00:00</wp:post_date_gmt>
  <wp:post_name>lists-and-code</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
 </item>
</channel></rss>
"""
# Paragraphs with nothing in them: no text and no image, embedded or otherwise.
EMPTY_PARAGRAPHS = "ps => ps.filter(p => !p.textContent.trim() && !p.querySelector('img')).length"


def _import(blog: Blog, path: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-m", "importer", str(path), "--port", str(urlsplit(blog.url).port),
         "--redirects", str(tmp_path / f"{path.stem}.json")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _body(page: Page, blog: Blog, slug: str) -> Locator:
    page.goto(blog.post_page(quote(slug)))
    body = page.locator("#post .post-body")
    expect(body).to_be_visible()
    return body


def _well_formed(body: Locator) -> None:
    assert body.locator("ul > br, ol > br").count() == 0
    assert body.locator("p").evaluate_all(EMPTY_PARAGRAPHS) == 0


def test_imported_wordpress_and_blogger_posts_read_as_their_blogs_showed_them(
        start_blog: Callable[..., Blog], page: Page, tmp_path: Path) -> None:
    # Given a blog of its own with the real WordPress export, a classic post, and the real Blogger export imported
    blog = start_blog()
    classic = tmp_path / "classic.xml"
    classic.write_text(CLASSIC, encoding="utf-8")
    # and a second WordPress site whose export numbers its posts just as the first's does
    other = tmp_path / "other-site.xml"
    other.write_text(GENERATED.read_text("utf-8").replace("blog.example.org", "other.example"), encoding="utf-8")
    for path in (GENERATED, classic, BLOGGER_SAMPLE, other):
        _import(blog, path, tmp_path)

    # When a reader opens the block-editor post, then its list holds only items and its one code block is whole
    body = _body(page, blog, "gutenberg-primer")
    _well_formed(body)
    expect(body.locator("ul > li")).to_have_count(2)
    expect(body.locator("pre")).to_have_count(1)
    expect(body.locator("pre")).to_have_text('<?php echo "Hello & welcome"; ?>')

    # And the classic post's shortcodes are a captioned figure, a gallery and links, with no empty paragraph
    body = _body(page, blog, "classic-shortcodes")
    _well_formed(body)
    expect(body.locator("figure figcaption")).to_have_text("Sunset caption with markup")
    expect(body.locator("figure img")).to_have_count(4)
    expect(body.locator("a[href='https://www.youtube.com/watch?v=dQw4w9WgXcQ']")).to_have_count(1)

    # And a classic post's lists have no <br> and each code block is one <pre>, blank lines and all
    body = _body(page, blog, "lists-and-code")
    _well_formed(body)
    expect(body.locator("ul > li")).to_have_count(2)
    expect(body.locator("pre")).to_have_count(2)
    assert body.locator("pre").nth(0).inner_text().strip() == "x = 1\n\ny = 2"
    assert body.locator("pre code").inner_text() == "if (a[0] < b) {\n\n  go();\n}"
    expect(body.locator("p").first).to_have_text("A list follows with a line break.")
    expect(body.locator("p").first.locator("br")).to_have_count(1)

    # And the password-protected and private posts are nowhere for a reader
    for slug in (PROTECTED, "private-notes"):
        page.goto(blog.post_page(quote(slug)))
        expect(page.locator("#post h1")).to_have_text("No such post")
        assert requests.get(f"{blog.url}/posts/{quote(slug)}", timeout=30).status_code == 404
    page.goto(f"{blog.url}/demo/")
    expect(page.locator("main article.summary").first).to_be_visible()
    assert "Защищённая" not in page.locator("main").inner_text() and "Private notes" not in page.content()

    # And the second site's post stands beside the first's, which it did not replace
    body = _body(page, blog, "gutenberg-primer-2")
    expect(body.locator("img").first).to_have_attribute("src", re.compile(r"^https://other\.example/"))
    body = _body(page, blog, "gutenberg-primer")
    expect(body.locator("img").first).to_have_attribute("src", re.compile(r"^https://blog\.example\.org/"))

    # And a Blogger post keeps its bold text bold
    listed = api_get(blog, "/posts?limit=50")["items"]
    bold = next(p["slug"] for p in listed if "<b>" in api_get(blog, f"/posts/{quote(p['slug'])}")["html"])
    body = _body(page, blog, bold)
    _well_formed(body)
    weight = body.locator("b").first.evaluate("b => getComputedStyle(b).fontWeight")
    assert int(weight) >= 700
