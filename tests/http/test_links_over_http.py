"""`make run`'s stack over real HTTP: the links feeds give work, and so do the requests caches and readers send.

Through `chalice local` there is no API Gateway context: the feeds learn their
own address from the Host header a real client sends, which is what this checks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import requests

from tests.http.conftest import LocalStack

A = "{http://www.w3.org/2005/Atom}"


def links(feed: ET.Element) -> dict[str | None, str | None]:
    return {link.get("rel"): link.get("href") for link in feed.findall(A + "link")}


def test_every_link_in_the_feeds_answers(stack: LocalStack) -> None:
    # Given the seeded blog's posts feed, fetched as a feed reader would
    reply = stack.get("/feeds/posts.atom")
    assert reply.status_code == 200
    feed = ET.fromstring(reply.content)
    # Then it names itself by the address it was fetched from, and that address answers the same feed
    assert feed.findtext(A + "id") == links(feed)["self"] == stack.url + "/feeds/posts.atom"
    again = requests.get(str(links(feed)["self"]), timeout=30)
    assert again.status_code == 200 and ET.fromstring(again.content).findtext(A + "id") == feed.findtext(A + "id")
    # and what a reader opens is the (demo) blog, which answers too
    opened = [str(links(feed)["alternate"])]
    opened += [str(e.find(A + "link").get("href")) for e in feed.findall(A + "entry")]  # type: ignore[union-attr]
    assert len(opened) > 1
    for url in opened:
        assert url.startswith(stack.url + "/demo/"), url
        assert requests.get(url, timeout=30).status_code == 200, url
    # Each post's comments feed names itself where it is served
    slug = stack.get("/posts").json()["items"][0]["slug"]
    comments = ET.fromstring(stack.get(f"/posts/{slug}/comments.atom").content)
    assert links(comments)["self"] == f"{stack.url}/posts/{slug}/comments.atom"
    assert requests.get(str(links(comments)["self"]), timeout=30).status_code == 200


def test_analytics_tags_and_cache_busters_on_reads_are_ignored(stack: LocalStack) -> None:
    slug = stack.get("/posts").json()["items"][0]["slug"]
    for path, extra in (("/feeds/posts.atom", {"utm_source": "newsletter"}), (f"/posts/{slug}", {"_": "123"}),
                        ("/sitemap.xml", {"utm_campaign": "x"}), ("/posts", {"fbclid": "abc"})):
        plain, tagged = stack.get(path), stack.get(path, params=extra)
        assert tagged.status_code == plain.status_code == 200, (path, tagged.text)
        assert tagged.content == plain.content, path


def test_a_write_with_a_query_parameter_it_does_not_take_is_refused(stack: LocalStack, admin_token: str) -> None:
    reply = stack.post("/posts?utm_source=x", {"title": "Tagged", "body": "b"}, token=admin_token)

    assert reply.status_code == 422
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert list(reply.json()["errors"]) == ["utm_source"]


def test_head_answers_get_routes_with_their_headers_and_no_body(stack: LocalStack) -> None:
    slug = stack.get("/posts").json()["items"][0]["slug"]
    for path in ("/demo/", "/demo/posts/" + slug, "/widget.js", "/feeds/posts.atom", f"/posts/{slug}", "/health"):
        got = stack.get(path)
        head = requests.head(stack.url + path, timeout=30)
        assert head.status_code == got.status_code == 200, (path, head.status_code)
        for name in ("Content-Type", "ETag", "Cache-Control", "Content-Security-Policy"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
        assert head.content == b"", path
