"""Specification: Atom feeds and the sitemap are valid, escaped, absolute, bounded and truthful.

Every document is parsed back twice: by xml.etree (well-formed XML, exact text)
and by feedparser, a real feed reader (no "bozo" complaint, the fields a reader shows).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import feedparser
import pytest
from chalice.app import Request

from chalicelib import services as services_module
from chalicelib.api.addresses import api_url
from chalicelib.blog.feeds import FEED_SIZE
from chalicelib.errors import BadRequest, ConfigurationError
from chalicelib.settings import load_settings
from tests.conftest import API_HOST, Api, Blog, DynamoCalls
from tests.post_steps import iso_from_now
from tests.settings_steps import Clock

SITE = "https://blog.test.example"  # SITE_URL of the test stage in .chalice/config.json
API = f"http://{API_HOST}"  # where the test client says it sends its requests (its Host header)
A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HOSTILE_TITLE = "Fish & <Chips> \"quoted\" 'single' ]]> café — 日本語 🎉"
HOSTILE_NAME = "Zoë <b>\"Z\"</b> & 'co' ]]>"
HOSTILE_BODY = "1 < 2 && 3 > 2, \"quotes\" 'too', a CDATA end ]]> and <script>alert(1)</script> — ünïcödé"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def fetch(api: Api, path: str, media_type: str = "application/atom+xml") -> tuple[ET.Element, Any]:
    """GET an XML document; return it parsed by xml.etree and by feedparser."""
    reply = api.get(path)
    assert reply.status == 200, (path, reply.body)
    assert reply.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert reply.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(reply.body)
    parsed = feedparser.parse(reply.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return root, parsed


def post_url(slug: str, site: str = SITE) -> str:
    return f"{site}/posts/{quote(slug, safe='')}"


def comments_feed_url(slug: str) -> str:
    return f"{API}/posts/{quote(slug, safe='')}/comments.atom"


def check_atom(root: ET.Element, parsed: Any, self_url: str) -> None:
    """What RFC 4287 requires of a feed and its entries, with absolute URLs: itself on the API, the rest on the blog."""
    assert root.tag == A + "feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(A + name)) == 1, name
    assert RFC3339.match(root.findtext(A + "updated") or "")
    links = {link.get("rel"): link.get("href") for link in root.findall(A + "link")}
    assert links["self"] == self_url
    assert links["alternate"] and links["alternate"].startswith(SITE + "/")
    assert root.findtext(A + "id") == self_url
    assert parsed.version == "atom10"
    for entry in root.findall(A + "entry"):
        for name in ("id", "title", "updated", "published", "author", "link", "content"):
            assert entry.find(A + name) is not None, name
        for name in ("updated", "published"):
            assert RFC3339.match(entry.findtext(A + name) or ""), name
        assert (entry.findtext(f"{A}author/{A}name") or "").strip()
        assert (entry.findtext(A + "id") or "").startswith(SITE + "/")
        link = entry.find(A + "link")
        assert link is not None and (link.get("href") or "").startswith(SITE + "/")
        content = entry.find(A + "content")
        assert content is not None and content.get("type") == "html"


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(A + "entry")


def published(root: ET.Element) -> list[str]:
    return [e.findtext(A + "published") or "" for e in entries(root)]


# -- posts --------------------------------------------------------------------------


def test_posts_feed_escapes_titles_and_content_and_uses_absolute_urls(api: Api, blog: Blog) -> None:
    author = blog.author("ada")
    hostile = blog.post(author, title=HOSTILE_TITLE, body="Tom & Jerry <3 **bold** ]]> `<code>`",
                        labels=["Food & Drink", "Ünïcode"], published_at="2017-03-22T09:00:00Z")
    greek = blog.post(author, title="Ψυχή και σώμα", published_at="2017-03-23T09:00:00Z")
    assert greek["slug"] != quote(greek["slug"], safe="")  # a slug that needs percent-encoding

    root, parsed = fetch(api, "/feeds/posts.atom")

    check_atom(root, parsed, f"{API}/feeds/posts.atom")
    assert [e.findtext(A + "id") for e in entries(root)] == [post_url(greek["slug"]), post_url(hostile["slug"])]
    first = entries(root)[1]
    assert first.findtext(A + "title") == HOSTILE_TITLE
    assert first.findtext(A + "content") == hostile["html"]  # the sanitised HTML, escaped once
    assert first.findtext(A + "summary") == hostile["summary"]
    assert [c.get("term") for c in first.findall(A + "category")] == ["Food & Drink", "Ünïcode"]
    assert first.findtext(A + "published") == "2017-03-22T09:00:00.000Z"
    # What a feed reader shows.
    reader = parsed.entries[1]
    assert reader.title == HOSTILE_TITLE
    assert reader.link == post_url(hostile["slug"])
    assert reader.author == "ada"
    assert reader.content[0].type == "text/html"
    assert "Tom &amp; Jerry" in reader.content[0].value and "<strong>bold</strong>" in reader.content[0].value
    assert [t.term for t in reader.tags] == ["Food & Drink", "Ünïcode"]
    assert parsed.entries[0].title == "Ψυχή και σώμα"
    assert parsed.entries[0].link == f"{SITE}/posts/{quote(greek['slug'], safe='')}"
    assert parsed.feed.updated == root.findtext(A + "updated") == greek["updated_at"]


def test_posts_feed_has_the_newest_published_posts_only(api: Api, blog: Blog, clock: Clock) -> None:
    author = blog.author()
    for day in range(1, FEED_SIZE + 3):
        blog.post(author, title=f"Day {day}", published_at=f"2020-01-{day:02d}T12:00:00Z")
    blog.post(author, title="Draft", status="draft")
    blog.post(author, title="Later", status="scheduled", published_at=iso_from_now(days=2))

    root, parsed = fetch(api, "/feeds/posts.atom")

    titles = [e.findtext(A + "title") for e in entries(root)]
    assert titles == [f"Day {day}" for day in range(FEED_SIZE + 2, 2, -1)]
    assert published(root) == sorted(published(root), reverse=True)
    assert len(parsed.entries) == FEED_SIZE

    clock.advance(days=3)  # the scheduled post is due: it leads the feed, promoted or not
    root, _ = fetch(api, "/feeds/posts.atom")
    assert entries(root)[0].findtext(A + "title") == "Later"


def test_an_edit_moves_the_entry_updated_not_its_published(api: Api, blog: Blog, clock: Clock) -> None:
    author = blog.author()
    post = blog.post(author, title="Before", published_at="2019-05-01T08:00:00Z")
    clock.advance(minutes=5)
    edited = api.patch(f"/posts/{post['slug']}", {"title": "After"}, token=author)
    assert edited.status == 200, edited.body

    root, _ = fetch(api, "/feeds/posts.atom")

    entry = entries(root)[0]
    assert entry.findtext(A + "title") == "After"
    assert entry.findtext(A + "published") == "2019-05-01T08:00:00.000Z"
    assert entry.findtext(A + "updated") == edited.json["updated_at"]
    assert root.findtext(A + "updated") == edited.json["updated_at"]


def test_label_feed_has_only_that_label_newest_first(api: Api, blog: Blog) -> None:
    author = blog.author()
    for day, labels in ((1, ["Rock & Roll"]), (2, ["jazz"]), (3, ["rock & roll", "jazz"]), (4, [])):
        blog.post(author, title=f"Day {day}", labels=labels, published_at=f"2021-06-0{day}T10:00:00Z")
    blog.post(author, title="Drafted rock", labels=["Rock & Roll"], status="draft")

    root, parsed = fetch(api, "/feeds/posts.atom?label=%20ROCK%20%26%20roll%20")

    self_url = f"{API}/feeds/posts.atom?label=rock%20%26%20roll"
    check_atom(root, parsed, self_url)
    assert [e.findtext(A + "title") for e in entries(root)] == ["Day 3", "Day 1"]
    assert "ROCK & roll" in (root.findtext(A + "title") or "")
    assert parsed.feed.links[0].href == self_url

    root, _ = fetch(api, "/feeds/posts.atom?label=nothing-here")
    assert entries(root) == []
    assert RFC3339.match(root.findtext(A + "updated") or "")


@pytest.mark.parametrize("query", ["label=", "label=%20", "label=" + "x" * 41, "label=jazz&label="])
def test_bad_feed_queries_are_refused_as_problems(api: Api, query: str) -> None:
    reply = api.get("/feeds/posts.atom?" + query)

    assert reply.status == 422, reply.body
    assert reply.problem["errors"]


@pytest.mark.parametrize("path", ["/feeds/posts.atom", "/feeds/posts.atom?label=jazz", "/feeds/comments.atom",
                                  "/posts/{slug}/comments.atom", "/sitemap.xml"])
def test_feeds_ignore_query_parameters_they_do_not_know(api: Api, blog: Blog, path: str) -> None:
    # Given a post with a comment, and a feed as a reader fetches it
    slug = blog.post(blog.author(), title="Tagged", labels=["jazz"])["slug"]
    blog.comment(slug, body="Hello")
    url = path.replace("{slug}", slug)
    plain = api.get(url)
    # When analytics tags and a cache-buster are added to its address
    joiner = "&" if "?" in url else "?"
    tagged = api.get(f"{url}{joiner}utm_source=newsletter&utm_medium=email&_=1234567890")
    # Then the answer is the same document
    assert plain.status == tagged.status == 200, tagged.body
    assert tagged.body == plain.body


def test_a_feed_names_itself_by_the_host_and_scheme_it_was_fetched_with(api: Api, blog: Blog) -> None:
    slug = blog.post(blog.author(), title="Behind a proxy")["slug"]
    blog.comment(slug, body="Hello")
    headers = {"Host": "feeds.example.net:8443", "X-Forwarded-Proto": "https"}

    for path in ("/feeds/posts.atom", "/feeds/comments.atom", f"/posts/{slug}/comments.atom"):
        root = ET.fromstring(api.get(path, headers=headers).body)
        links = {link.get("rel"): link.get("href") for link in root.findall(A + "link")}
        assert root.findtext(A + "id") == links["self"] == f"https://feeds.example.net:8443{path}"
        # What a reader opens stays on the blog
        assert (links["alternate"] or "").startswith(SITE + "/")
        assert all((e.findtext(A + "id") or "").startswith(SITE + "/posts/") for e in entries(root))


@pytest.mark.parametrize("host", ["", "feeds.example.net/evil", "a b", "<x>", "example.net:http"])
def test_a_feed_requested_without_a_usable_host_is_a_400_problem(api: Api, host: str) -> None:
    reply = api.get("/feeds/posts.atom", headers={"Host": host})

    assert reply.status == 400, reply.body
    assert list(reply.problem["errors"]) == ["Host"]


def _request(context: dict[str, str], headers: dict[str, str]) -> Request:
    return Request({"requestContext": {"httpMethod": "GET", "resourcePath": "/feeds/posts.atom", **context},
                    "headers": headers, "body": None,
                    "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None})


def test_the_api_url_comes_from_api_gateways_request_context_when_there_is_one() -> None:
    domain = "abc123.execute-api.eu-west-1.amazonaws.com"
    # An execute-api address carries the stage in its path; API Gateway's endpoints are HTTPS
    assert api_url(_request({"domainName": domain, "stage": "api", "path": "/api/feeds/posts.atom"},
                            {"host": domain})) == f"https://{domain}/api"
    # A custom domain maps the stage to its root; the context's domain wins over a Host header
    assert api_url(_request({"domainName": "api.blog.example", "stage": "api", "path": "/feeds/posts.atom"},
                            {"host": "other.example", "x-forwarded-proto": "https"})) == "https://api.blog.example"
    # `chalice local`: no context, so the Host header, over plain HTTP unless a proxy says otherwise
    assert api_url(_request({"path": "/feeds/posts.atom"}, {"host": "127.0.0.1:8000"})) == "http://127.0.0.1:8000"
    assert api_url(_request({"path": "/feeds/posts.atom"}, {"host": "[::1]:8000"})) == "http://[::1]:8000"
    with pytest.raises(BadRequest):
        api_url(_request({"path": "/feeds/posts.atom"}, {}))


# -- comments -----------------------------------------------------------------------


def test_comment_feeds_escape_bodies_and_names_and_skip_deleted_comments(api: Api, blog: Blog, clock: Clock) -> None:
    author = blog.author()
    first = blog.post(author, title=HOSTILE_TITLE)
    other = blog.post(author, title="Other post")
    kept = blog.comment(first["slug"], body=HOSTILE_BODY, author_name=HOSTILE_NAME,
                        author_website="https://zoe.example/a b?x=1&y=2")
    clock.advance(seconds=1)
    removed = blog.comment(first["slug"], body="I will be deleted outright")
    clock.advance(seconds=1)
    tombstoned = blog.comment(first["slug"], body="I will become a tombstone")
    clock.advance(seconds=1)
    reply = blog.comment(first["slug"], body="A reply keeps the tombstone", parent_id=tombstoned["comment"]["id"])
    clock.advance(seconds=1)
    elsewhere = blog.comment(other["slug"], body="On the other post")
    for gone in (removed, tombstoned):
        deleted = api.delete(f"/comments/{gone['comment']['id']}", headers={"X-Edit-Token": gone["edit_token"]})
        assert deleted.status == 204, deleted.body
    listed = api.get(f"/posts/{first['slug']}/comments").json["items"]
    assert "deleted" in [c["status"] for c in listed]  # the tombstone is still in the thread

    root, parsed = fetch(api, f"/posts/{first['slug']}/comments.atom")

    check_atom(root, parsed, comments_feed_url(first["slug"]))
    ids = [e.findtext(A + "id") for e in entries(root)]
    assert ids == [post_url(first["slug"]) + "#comment-" + c["comment"]["id"] for c in (reply, kept)]
    assert root.findtext(A + "title") == f"Comments on “{HOSTILE_TITLE}”"
    hostile = entries(root)[1]
    assert hostile.findtext(f"{A}author/{A}name") == HOSTILE_NAME
    assert hostile.findtext(f"{A}author/{A}uri") == "https://zoe.example/a%20b?x=1&y=2"
    assert hostile.findtext(A + "content") == kept["comment"]["html"]
    assert "<script>" not in kept["comment"]["html"]  # sanitised before it was stored
    assert parsed.entries[1].author_detail.name == HOSTILE_NAME
    assert parsed.entries[1].title == f"{HOSTILE_NAME} on “{HOSTILE_TITLE}”"
    assert "1 &lt; 2 &amp;&amp; 3 &gt; 2" in parsed.entries[1].content[0].value
    assert "]]&gt;" in parsed.entries[1].content[0].value

    root, parsed = fetch(api, "/feeds/comments.atom")

    check_atom(root, parsed, f"{API}/feeds/comments.atom")
    assert [e.findtext(A + "id") for e in entries(root)] == [
        post_url(other["slug"]) + "#comment-" + elsewhere["comment"]["id"],
        post_url(first["slug"]) + "#comment-" + reply["comment"]["id"],
        post_url(first["slug"]) + "#comment-" + kept["comment"]["id"],
    ]
    assert published(root) == sorted(published(root), reverse=True)
    assert parsed.entries[0].title == "Ann on “Other post”"


def test_an_edited_comment_shows_its_new_text_and_time(api: Api, blog: Blog, clock: Clock) -> None:
    slug = blog.post(blog.author())["slug"]
    made = blog.comment(slug, body="Frist")
    clock.advance(minutes=1)
    edited = api.patch(f"/comments/{made['comment']['id']}", {"body": "First"},
                       headers={"X-Edit-Token": made["edit_token"]})
    assert edited.status == 200, edited.body

    root, _ = fetch(api, "/feeds/comments.atom")

    entry = entries(root)[0]
    assert entry.findtext(A + "content") == edited.json["html"]
    assert entry.findtext(A + "updated") == edited.json["edited_at"]
    assert entry.findtext(A + "published") == made["comment"]["created_at"]


def test_comments_of_a_post_taken_back_to_draft_leave_the_site_feed(api: Api, blog: Blog) -> None:
    author = blog.author()
    slug = blog.post(author, title="Second thoughts")["slug"]
    blog.comment(slug, body="Seen it")
    assert len(entries(fetch(api, "/feeds/comments.atom")[0])) == 1

    assert api.patch(f"/posts/{slug}", {"status": "draft"}, token=author).status == 200

    assert entries(fetch(api, "/feeds/comments.atom")[0]) == []
    assert api.get(f"/posts/{slug}/comments.atom").status == 404


def test_the_comments_feed_of_a_post_nobody_may_read_is_a_404_problem(api: Api, blog: Blog) -> None:
    author = blog.author()
    draft = blog.post(author, status="draft")["slug"]
    planned = blog.post(author, status="scheduled", published_at=iso_from_now(days=1))["slug"]

    for slug in ("no-such-post", draft, planned, "x" * 300):
        reply = api.get(f"/posts/{slug}/comments.atom")
        assert reply.status == 404, (slug, reply.body)
        assert reply.problem["title"]


def test_an_empty_post_feed_is_still_a_valid_feed(api: Api, blog: Blog) -> None:
    post = blog.post(blog.author(), published_at="2018-01-01T00:00:00Z")

    root, parsed = fetch(api, f"/posts/{post['slug']}/comments.atom")

    check_atom(root, parsed, comments_feed_url(post["slug"]))
    assert entries(root) == []
    assert root.findtext(A + "updated") == "2018-01-01T00:00:00.000Z"


# -- sitemap ------------------------------------------------------------------------


def test_sitemap_lists_published_posts_with_lastmod(api: Api, blog: Blog, clock: Clock) -> None:
    author = blog.author()
    old = blog.post(author, title="Old & <gold>", published_at="2016-02-03T04:05:06Z")
    unicode = blog.post(author, title="Ψυχή και σώμα", published_at="2017-02-03T04:05:06Z")
    blog.post(author, title="Draft", status="draft")
    blog.post(author, title="Later", status="scheduled", published_at=iso_from_now(days=2))
    clock.advance(minutes=1)
    edited = api.patch(f"/posts/{old['slug']}", {"body": "Revised."}, token=author)
    assert edited.status == 200

    reply = api.get("/sitemap.xml")
    assert reply.status == 200 and reply.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(reply.body)

    assert root.tag == SM + "urlset"
    urls = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in root.findall(SM + "url")}
    assert urls == {
        post_url(unicode["slug"]): unicode["updated_at"],  # back-dated, but written just now
        post_url(old["slug"]): edited.json["updated_at"],
    }
    assert all(loc is not None and loc.isascii() for loc in urls)


# -- bounds, configuration and the contract -------------------------------------------


def test_each_document_is_at_most_two_reads_and_reads_only_what_it_shows(api: Api, blog: Blog,
                                                                         dynamo: DynamoCalls) -> None:
    author = blog.author()
    slugs = [blog.post(author, labels=["busy"], published_at=f"2022-01-{d:02d}T00:00:00Z")["slug"]
             for d in range(1, FEED_SIZE + 6)]
    for n in range(FEED_SIZE + 5):
        blog.comment(slugs[-1], body=f"Comment {n}")

    for path in ("/feeds/posts.atom", "/feeds/posts.atom?label=busy", "/feeds/comments.atom",
                 f"/posts/{slugs[-1]}/comments.atom", "/sitemap.xml"):
        dynamo.clear()
        reply = api.get(path)
        assert reply.status == 200, (path, reply.body)
        assert len(dynamo.operations) <= 2, (path, dynamo.operations)
        assert set(dynamo.operations) <= {"Query", "GetItem", "BatchGetItem"}, (path, dynamo.operations)
        root = ET.fromstring(reply.body)
        shown = len(entries(root)) if path.endswith(".atom") or "?" in path else len(root.findall(SM + "url"))
        assert shown == (FEED_SIZE if "atom" in path else FEED_SIZE + 5), path
        assert all(scanned <= shown for scanned in dynamo.scanned), (path, dynamo.scanned)


def test_urls_follow_a_site_url_with_a_path(api: Api, blog: Blog) -> None:
    slug = blog.post(blog.author(), title="Pathed")["slug"]
    blog.comment(slug, body="Hello")
    settings = services_module.services().settings
    services_module.reset(settings.replace(site_url="https://example.org/blog"))

    root = ET.fromstring(api.get("/feeds/comments.atom").body)
    sitemap = ET.fromstring(api.get("/sitemap.xml").body)

    assert root.findtext(A + "id") == f"{API}/feeds/comments.atom"
    assert root.find(f"{A}link[@rel='alternate']").get("href") == "https://example.org/blog/"  # type: ignore[union-attr]
    assert (entries(root)[0].findtext(A + "id") or "").startswith(f"https://example.org/blog/posts/{slug}#comment-")
    assert sitemap.findtext(f"{SM}url/{SM}loc") == f"https://example.org/blog/posts/{slug}"


def test_characters_xml_cannot_carry_are_dropped_not_sent(api: Api, blog: Blog) -> None:
    blog.post(blog.author(), title="Odd\ufffe\uffff title")

    root, parsed = fetch(api, "/feeds/posts.atom")

    assert parsed.entries[0].title == entries(root)[0].findtext(A + "title") == "Odd title"


@pytest.mark.parametrize("url", ["https://blog.example.com", "http://127.0.0.1:8000", "https://example.org/blog"])
def test_site_url_setting_accepts_http_urls(url: str) -> None:
    assert load_settings({"SITE_URL": url}).site_url == url


@pytest.mark.parametrize("url", ["https://blog.example.com/", "blog.example.com", "ftp://blog.example.com",
                                 "https://", "https://blog.example.com?x=1", "https://blog.example.com#top",
                                 "https://user:pw@blog.example.com", "https://blog.example.com:http"])
def test_site_url_setting_refuses_anything_else(url: str) -> None:
    with pytest.raises(ConfigurationError, match="SITE_URL"):
        load_settings({"SITE_URL": url})


def test_site_url_defaults_to_the_local_runner() -> None:
    assert load_settings({}).site_url == "http://127.0.0.1:8000"


def test_documented_media_types_are_the_served_ones(api: Api, blog: Blog) -> None:
    document = api.get("/openapi.json").json
    slug = blog.post(blog.author())["slug"]
    for path, url in (("/feeds/posts.atom", "/feeds/posts.atom?label=x"), ("/feeds/comments.atom", None),
                      ("/posts/{slug}/comments.atom", f"/posts/{slug}/comments.atom"), ("/sitemap.xml", None)):
        responses = document["paths"][path]["get"]["responses"]
        reply = api.get(url or path)
        media_type = reply.headers["content-type"].split(";")[0]
        assert responses["200"]["content"][media_type]["schema"] == {"type": "string"}
    assert document["paths"]["/posts/{slug}/comments.atom"]["get"]["responses"]["404"] == {
        "$ref": "#/components/responses/NotFound"}
    params = document["paths"]["/feeds/posts.atom"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in params] == [("label", "query")]
