"""Statuses and hostile content from the source: moderation kept, nothing re-decided, nothing unsafe shown."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Api, Blog
from tests.importer.steps import import_file

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel>
 <item><title>Kept</title><link>https://wp.example/kept/</link><dc:creator>ed</dc:creator>
  <content:encoded><![CDATA[First paragraph.

Second <strong>one</strong>.]]></content:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-02-02 10:00:00</wp:post_date_gmt>
  <wp:post_name>kept</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
  <category domain="category" nicename="news"><![CDATA[News]]></category>
  <category domain="post_tag" nicename="misc"><![CDATA[Misc]]></category>
  <wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Approved</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 10:00:00</wp:comment_date_gmt><wp:comment_content>ok</wp:comment_content>
   <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
  <wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Waiting</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 11:00:00</wp:comment_date_gmt><wp:comment_content>hold me</wp:comment_content>
   <wp:comment_approved>0</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
  <wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author>Spammer</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 12:00:00</wp:comment_date_gmt><wp:comment_content>buy</wp:comment_content>
   <wp:comment_approved>spam</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
  <wp:comment><wp:comment_id>4</wp:comment_id><wp:comment_author>Trashed</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 13:00:00</wp:comment_date_gmt><wp:comment_content>gone</wp:comment_content>
   <wp:comment_approved>trash</wp:comment_approved><wp:comment_parent>1</wp:comment_parent></wp:comment>
  <wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_author>Pingback</wp:comment_author>
   <wp:comment_type>pingback</wp:comment_type><wp:comment_date_gmt>2020-02-03 14:00:00</wp:comment_date_gmt>
   <wp:comment_content>linked</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>
 </item>
 <item><title>Binned</title><link>https://wp.example/binned/</link><wp:post_id>2</wp:post_id>
  <wp:status>trash</wp:status><wp:post_type>post</wp:post_type></item>
 <item><title>About</title><link>https://wp.example/about/</link><wp:post_id>3</wp:post_id>
  <wp:post_name>about</wp:post_name><wp:status>publish</wp:status><wp:post_type>page</wp:post_type></item>
 <item><title>Logo</title><wp:post_id>4</wp:post_id><wp:status>inherit</wp:status>
  <wp:post_type>attachment</wp:post_type></item>
</channel></rss>
"""

DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
 <thread dsq:id="1"><link>https://site.example/hostile/</link><title>Hostile</title>
  <createdAt>2021-01-01T00:00:00Z</createdAt><isClosed>false</isClosed><isDeleted>false</isDeleted></thread>
 <post dsq:id="10"><message><![CDATA[<p onclick="steal()">Hi <script>steal()</script><a href="javascript:steal()">x</a>
  <a href="https://ok.example/">ok</a><img src="https://t.example/p.gif"></p>]]></message>
  <createdAt>2021-01-02T00:00:00Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>
  <author><name>Mallory</name><email>not an address</email><isAnonymous>true</isAnonymous></author>
  <thread dsq:id="1"/></post>
</disqus>
"""


def test_wordpress_statuses_map_to_ours_and_moderation_keeps_them(api: Api, blog: Blog, tmp_path: Path) -> None:
    path = tmp_path / "wxr.xml"
    path.write_text(WXR)

    report = import_file(path)

    assert report.read["skipped: post (trash)"] == 1 and report.read["skipped: page"] == 1
    assert report.read["skipped: attachment"] == 1 and report.read["skipped: pingback"] == 1
    assert report.comments == {"created approved": 1, "created pending": 1, "created spam": 1,
                               "skipped: deleted, no replies": 1}
    thread = api.get("/posts/kept/comments").json["items"]
    assert [c["author"]["name"] for c in thread] == ["Approved"] and thread[0]["reply_count"] == 0
    admin = blog.admin()
    pending = api.get("/moderation/comments?status=pending", token=admin).json["items"]
    spam = api.get("/moderation/comments?status=spam", token=admin).json["items"]
    assert [c["body"] for c in pending] == ["hold me"] and [c["body"] for c in spam] == ["buy"]
    post = api.get("/posts/kept").json
    assert post["comment_count"] == 1 and post["labels"] == ["News", "Misc"]
    assert post["html"] == "<p>First paragraph.</p>\n<p>Second <strong>one</strong>.</p>"
    assert api.get("/posts/binned").status == 404 and api.get("/posts/about").status == 404


def test_wordpress_pages_come_only_when_asked(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "wxr.xml"
    path.write_text(WXR)

    import_file(path, pages=True)

    assert api.get("/posts/about").json["title"] == "About"


def test_an_imported_comment_s_html_goes_through_the_comment_allow_list(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "disqus.xml"
    path.write_text(DISQUS)

    import_file(path)

    comment = api.get("/posts/hostile/comments").json["items"][0]
    for gone in ("onclick", "<script", "steal()", "javascript:", "<img"):
        assert gone not in comment["html"]
    assert '<a href="https://ok.example/" rel="nofollow ugc noopener">ok</a>' in comment["html"]
    assert comment["author"] == {"name": "Mallory", "username": None, "website": None, "avatar": None,
                                 "verified": False}
