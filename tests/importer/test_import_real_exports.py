"""Blogger's formatting and images, Disqus threads without a link, two Blogger blogs, and each import's redirect map."""

from __future__ import annotations

import html
from pathlib import Path

from importer.cli import redirect_map_path
from tests.conftest import Api, Blog
from tests.importer.steps import BLOGGER_SAMPLE, DISQUS_SAMPLE, import_file, with_bodies

KIND = "http://schemas.google.com/blogger/2008/kind#"
BLOGGER = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:thr='http://purl.org/syndication/thread/1.0'>
 <id>tag:blogger.com,1999:blog-{blog}.archive</id>
 <entry><id>tag:blogger.com,1999:blog-{blog}.post-1</id><published>2012-05-01T10:00:00.000Z</published>
  <category scheme='http://schemas.google.com/g/2005#kind' term='{kind}post'/>
  <title type='text'>Formatted</title><content type='html'>{post}</content>
  <link rel='alternate' type='text/html' href='https://{blog}.blogspot.com/2012/05/formatted.html'/>
 </entry>
 <entry><id>tag:blogger.com,1999:blog-{blog}.post-2</id><published>2012-05-02T10:00:00.000Z</published>
  <category scheme='http://schemas.google.com/g/2005#kind' term='{kind}comment'/>
  <content type='html'>{comment}</content><author><name>Commenter of {blog}</name></author>
  <thr:in-reply-to ref='tag:blogger.com,1999:blog-{blog}.post-1'/>
 </entry>
</feed>
"""
POST = ('<div style="text-align: center;"><b>Bold</b>, <i>italic</i>, <u>underlined</u>, <strike>struck</strike>, '
        '<s>gone</s>, <span style="color: red; font-size: 40px">red</span>, x<sup>2</sup>, H<sub>2</sub>O</div>'
        '<a href="http://1.bp.blogspot.com/-a/b/s1600/photo.jpg"><img src="http://1.bp.blogspot.com/-a/b/s320/photo.jpg"'
        ' style="border: 0"></a><img src="http://blogger.googleusercontent.com/img/b/R29v/s1600/x.png">'
        '<img src="http://files.wordpress.com/2012/05/y.jpg"><a href="http://old-host.example/page">elsewhere</a>'
        '<pre><code>a &lt; b</code></pre>')
COMMENT = '<b>Agreed</b>, <i>really</i>.<br><span style="font-weight:bold">so</span> <script>x()</script>'

DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
 <thread dsq:id="1"><forum>site</forum><title></title><createdAt>2021-01-01T00:00:00Z</createdAt></thread>
 <thread dsq:id="2"><forum>site</forum><link>https://site.example/2019/notes-on-caching/</link><title></title>
  <createdAt>2021-01-01T00:00:00Z</createdAt></thread>
 <post dsq:id="10"><message><![CDATA[<p>On no page</p>]]></message><createdAt>2021-01-02T00:00:00Z</createdAt>
  <isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>A</name></author><thread dsq:id="1"/></post>
 <post dsq:id="11"><message><![CDATA[<p>On the page</p>]]></message><createdAt>2021-01-02T00:00:00Z</createdAt>
  <isDeleted>false</isDeleted><isSpam>false</isSpam><author><name>B</name></author><thread dsq:id="2"/></post>
</disqus>
"""


def _blogger(tmp_path: Path, blog: str = "4242") -> Path:
    path = tmp_path / f"blog-{blog}.xml"
    path.write_text(BLOGGER.format(blog=blog, kind=KIND, post=html.escape(POST), comment=html.escape(COMMENT)),
                    encoding="utf-8")
    return path


def test_blogger_formatting_survives_in_posts_and_comments_with_styles_dropped(api: Api, tmp_path: Path) -> None:
    import_file(_blogger(tmp_path))

    post = api.get("/posts/formatted").json["html"]
    for kept in ("<b>Bold</b>", "<i>italic</i>", "<u>underlined</u>", "<strike>struck</strike>", "<s>gone</s>",
                 "<span>red</span>", "x<sup>2</sup>", "H<sub>2</sub>O", "<pre><code>a &lt; b</code></pre>"):
        assert kept in post
    assert "style" not in post and "color" not in post
    comment = api.get("/posts/formatted/comments").json["items"][0]["html"]
    assert "<b>Agreed</b>, <i>really</i>.<br><span>so</span>" in comment
    assert "script" not in comment and "x()" not in comment


def test_native_comments_keep_their_own_smaller_allow_list(api: Api, blog: Blog) -> None:
    slug = blog.post(blog.admin())["slug"]

    reply = api.post(f"/posts/{slug}/comments", {"body": "**strong** and <b>raw</b> <u>tags</u>",
                                                 "author_name": "Native"})

    assert reply.status in (201, 202), reply.body
    rendered = reply.json["comment"]["html"]
    assert "<strong>strong</strong>" in rendered and "<b>" not in rendered and "<u>" not in rendered


def test_http_images_on_https_hosts_are_upgraded_and_others_kept_and_reported(api: Api, tmp_path: Path) -> None:
    report = import_file(_blogger(tmp_path))

    post = api.get("/posts/formatted").json["html"]
    for upgraded in ('href="https://1.bp.blogspot.com/-a/b/s1600/photo.jpg"',
                     'src="https://1.bp.blogspot.com/-a/b/s320/photo.jpg"',
                     'src="https://blogger.googleusercontent.com/img/b/R29v/s1600/x.png"',
                     'src="https://files.wordpress.com/2012/05/y.jpg"'):
        assert upgraded in post
    assert 'href="http://old-host.example/page"' in post
    assert "4 http:// image and link addresses on hosts that serve HTTPS (Blogger, WordPress.com) " \
           "upgraded to https://" in report.notes
    assert "1 http:// addresses kept as they were, on hosts not known to serve HTTPS: old-host.example (1)" \
           in report.notes


def test_the_real_blogger_export_keeps_its_bold_and_its_code_blocks(api: Api, blog: Blog) -> None:
    report = import_file(BLOGGER_SAMPLE)

    admin = blog.admin()
    slugs = [p["slug"] for p in api.get("/posts?limit=50", token=admin).json["items"]]
    bodies = "".join(api.get(f"/posts/{slug}", token=admin).json["html"] for slug in slugs)
    assert bodies.count("<b>") >= 1 and "<pre" in bodies
    assert 'src="https://4.bp.blogspot.com/' in bodies and "http://4.bp.blogspot.com" not in bodies
    assert any(n.endswith("upgraded to https://") for n in report.notes)


def test_two_blogger_blogs_with_the_same_numbers_are_two_blogs(api: Api, tmp_path: Path) -> None:
    import_file(_blogger(tmp_path, "1111"))

    report = import_file(_blogger(tmp_path, "2222"))

    assert report.posts == {"created": 1} and report.comments == {"created approved": 1}
    assert report.redirects == {"https://2222.blogspot.com/2012/05/formatted.html": "formatted-2"}
    authors = [api.get(f"/posts/{s}/comments").json["items"][0]["author"]["name"] for s in ("formatted", "formatted-2")]
    assert authors == ["Commenter of 1111", "Commenter of 2222"]


def test_a_disqus_thread_without_a_link_makes_no_post_and_an_empty_title_comes_from_the_address(
        api: Api, tmp_path: Path) -> None:
    path = tmp_path / "disqus.xml"
    path.write_text(DISQUS, encoding="utf-8")

    report = import_file(path)

    assert report.read["skipped: thread without a link"] == 1
    assert report.posts == {"created": 1}
    assert report.orphans == {"its post is not in the file": 1}
    listed = api.get("/posts").json["items"]
    assert [(p["slug"], p["title"]) for p in listed] == [("notes-on-caching", "Notes on caching")]
    listed_comments = with_bodies(api, api.get("/posts/notes-on-caching/comments").json["items"])
    assert [c["body"] for c in listed_comments] == ["On the page"]
    assert import_file(path).created == 0


def test_the_real_disqus_export_still_makes_its_two_pages(api: Api) -> None:
    report = import_file(DISQUS_SAMPLE)

    assert report.posts["created"] == 2 and "(untitled)" not in str(api.get("/posts").json)


def test_each_import_s_redirect_map_is_a_new_file_named_after_its_source(tmp_path: Path) -> None:
    folder = tmp_path / "redirects"
    source = tmp_path / "my-blog.2021.xml"

    made = [redirect_map_path(source, folder) for _ in range(3)]

    assert [p.name for p in made] == ["my-blog.2021.json", "my-blog.2021-2.json", "my-blog.2021-3.json"]
    assert all(p.parent == folder and p.exists() for p in made)
