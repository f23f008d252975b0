"""Real WordPress exports read back through the API as WordPress showed them: bodies, privacy, sites, namespaces."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import Api, Blog
from tests.importer.steps import SAMPLES, WORDPRESS_SAMPLE, import_file

GENERATED = SAMPLES / "wordpress-more" / "wordpress-6.1.9-generated-export.xml"
IMPORTER_TEST = SAMPLES / "wordpress-more" / "wordpress-importer--small-export.xml"
PROTECTED = "защищённая-паролем-запись"

SITE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:excerpt="{ns}excerpt/" xmlns:wp="{ns}">
<channel><title>{site}</title><link>https://{site}</link>
 <wp:base_site_url>https://{site}</wp:base_site_url><wp:base_blog_url>https://{site}</wp:base_blog_url>
 <item><title><![CDATA[{title}]]></title><link>https://{site}/hello-world/</link>
  <content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[{excerpt}]]></excerpt:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-02-02 10:00:00</wp:post_date_gmt>
  <wp:post_name>hello-world</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
  <wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Reader of {site}</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 10:00:00</wp:comment_date_gmt><wp:comment_content>Hi</wp:comment_content>
   <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
 </item>
</channel></rss>
"""


def _site(tmp_path: Path, site: str, ns: str = "http://wordpress.org/export/1.2/", title: str = "Hello world",
          body: str = "Welcome.", excerpt: str = "") -> Path:
    path = tmp_path / f"{site}.xml"
    path.write_text(SITE.format(site=site, ns=ns, title=title, body=body, excerpt=excerpt), encoding="utf-8")
    return path


def _html(api: Api, slug: str, token: str | None = None) -> str:
    reply = api.get(f"/posts/{slug}", token=token)
    assert reply.status == 200, reply.body
    return str(reply.json["html"])


def _direct_children(markup: str, parent: str) -> list[str]:
    """The tags that open directly inside each ``parent`` element (one level down), in order."""
    children: list[str] = []
    for found in re.finditer(rf"<{parent}\b[^>]*>(.*?)</{parent}>", markup, re.DOTALL):
        depth = 0
        for tag in re.finditer(r"<(/?)(\w+)[^>]*?(/?)>", found.group(1)):
            closing, name, void = tag.groups()
            if closing:
                depth -= 1
            else:
                if depth == 0:
                    children.append(name)
                depth += 0 if void or name in ("br", "img", "hr") else 1
    return children


# -- bodies ----------------------------------------------------------------

def test_a_classic_post_gets_wordpress_paragraphs_and_its_shortcodes_become_html(api: Api) -> None:
    report = import_file(GENERATED)

    html = _html(api, "classic-shortcodes")
    assert html.startswith("<p>Classic-editor content with <strong>no block markup</strong> and auto-paragraphs.</p>")
    assert "<figcaption>Sunset <em>caption</em> with markup</figcaption></figure>" in html  # [caption]
    assert html.count("<img") == 4  # the caption's image, and the gallery's three from the export's attachments
    assert 'alt="Alt: 富士山"' in html
    for linked in ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://vimeo.com/76979871",
                   "https://blog.example.org/wp-content/uploads/2024/03/clip.mp4"):
        assert f'<a href="{linked}" rel="noopener">{linked}</a>' in html  # [embed], a bare URL, [video]
    assert "<p>Second page of a paginated post. Line one<br>\nline two (single newline).</p>" in html
    assert "[caption" not in html and "[gallery" not in html and "[embed" not in html and "<!--" not in html
    assert '<p>[contact-form-7 id="123" title="Unknown plugin shortcode"]</p>' in html  # kept as text ...
    assert "Shortcodes of plugins this blog cannot run, kept as text: [contact-form-7] (1 posts)" in report.notes


def test_a_block_editor_post_keeps_its_markup_without_added_paragraphs_or_breaks(api: Api) -> None:
    import_file(GENERATED)

    html = _html(api, "gutenberg-primer")
    assert "wp:" not in html and "<!--" not in html
    assert "<br" not in html
    assert not re.search(r"<p>\s*</p>", html)
    assert _direct_children(html, "ul") == ["li", "li"]
    assert html.count("<pre>") == 1 and '<code>&lt;?php echo "Hello &amp; welcome"; ?&gt;</code></pre>' in html
    assert "<h2>Раздел 1 — заголовок</h2>" in html
    assert "<td>a &lt; b</td>" in html


def test_lists_and_code_in_classic_text_get_no_breaks_beside_their_blocks(api: Api, tmp_path: Path) -> None:
    body = ("Intro line\nsecond line\n\n<ul>\n<li>one</li>\n<li>two\nlines</li>\n</ul>\n"
            "<pre>keep\n\n  this\nas is</pre>\n[code lang=\"python\"]if a[0] < 1:\n    pass[/code]\n\n"
            "<blockquote>Quoted\ntext</blockquote>\nAfter")
    import_file(_site(tmp_path, "lists.example", body=body))

    html = _html(api, "hello-world")
    assert html.startswith("<p>Intro line<br>\nsecond line</p>")
    assert _direct_children(html, "ul") == ["li", "li"]
    assert "<li>two<br>\nlines</li>" in html
    assert "<pre>keep\n\n  this\nas is</pre>" in html
    assert '<pre><code class="language-python">if a[0] &lt; 1:\n    pass</code></pre>' in html
    assert "<blockquote>\n<p>Quoted<br>\ntext</p>\n</blockquote>" in html and html.endswith("<p>After</p>")
    assert not re.search(r"<p>\s*</p>", html) and not re.search(r"</?(?:ul|li|pre|blockquote)>\s*<br>", html)


def test_a_custom_excerpt_is_the_summary_and_a_title_s_entities_and_tags_become_text(
        api: Api, tmp_path: Path) -> None:
    import_file(_site(tmp_path, "titles.example", title="Tom &amp; Jerry&#8217;s <em>big</em> day",
                      excerpt="<p>Short &amp; <b>sweet</b>.</p>"))

    post = api.get("/posts/hello-world").json
    assert post["title"] == "Tom & Jerry’s big day"
    assert post["summary"] == "Short & sweet."


# -- protected and private posts --------------------------------------------

def test_protected_and_private_posts_are_drafts_with_their_comments_held(api: Api, blog: Blog) -> None:
    report = import_file(GENERATED)

    for slug in (PROTECTED, "private-notes"):
        assert api.get(f"/posts/{slug}").status == 404
        assert api.get(f"/posts/{slug}/comments").status == 404
    feed = api.get("/feeds/posts.atom")
    assert feed.status == 200 and b"private-notes" not in feed.body and PROTECTED.encode() not in feed.body
    assert PROTECTED not in str(api.get("/posts?limit=50").json)
    admin = blog.admin()
    assert api.get(f"/posts/{PROTECTED}", token=admin).json["status"] == "draft"
    held = api.get("/moderation/comments?status=pending", token=admin).json["items"]
    assert "Comment on a password-protected post." in [c["body"] for c in held]
    noted = [n for n in report.notes if "imported as a draft, its comments held" in n]
    assert len(noted) == 2
    assert any(n.startswith("Защищённая паролем запись (") and "is password-protected" in n for n in noted)
    assert any(n.startswith("Private notes (") and "is private" in n for n in noted)


def test_the_importer_s_own_test_file_keeps_its_private_post_out_of_sight(api: Api) -> None:
    report = import_file(IMPORTER_TEST)

    assert report.read["post (draft)"] == 1  # its private post (its draft is a page, not imported)
    assert sum("is private: imported as a draft" in n for n in report.notes) == 1
    listed = {p["slug"] for p in api.get("/posts?limit=50").json["items"]}
    assert len(listed) == report.read["post"]


# -- namespaces --------------------------------------------------------------

def test_wordpress_com_s_https_namespace_and_wxr_1_0_are_read(api: Api, tmp_path: Path) -> None:
    sample = WORDPRESS_SAMPLE.read_text(encoding="utf-8")
    versions = set(re.findall(r"http://wordpress\.org/export/(1\.\d)/", sample))
    assert versions, "the sample declares a WXR namespace"
    https = tmp_path / "wordpress-com.xml"
    https.write_text(sample.replace("http://wordpress.org/export/", "https://wordpress.org/export/"), "utf-8")
    older = tmp_path / "wxr-1.0.xml"
    older.write_text(_site(tmp_path, "old.example", ns="http://wordpress.org/export/1.0/").read_text("utf-8"))

    plain, secure = import_file(WORDPRESS_SAMPLE, dry_run=True), import_file(https, dry_run=True)

    assert secure.notes[0] == "format: wordpress"
    assert secure.read == plain.read and secure.comments == plain.comments and secure.read["post"] >= 1
    assert import_file(older).posts == {"created": 1}


# -- two sites ---------------------------------------------------------------

def test_two_wordpress_sites_live_side_by_side_and_neither_updates_the_other(api: Api, tmp_path: Path) -> None:
    first, second = _site(tmp_path, "one.example", body="First site."), _site(tmp_path, "two.example",
                                                                           body="Second site.")
    import_file(first)

    report = import_file(second)

    assert report.posts == {"created": 1} and report.comments == {"created approved": 1}
    assert report.redirects == {"https://two.example/hello-world/": "hello-world-2"}
    assert "https://two.example/hello-world/: its slug was taken (another post, perhaps of another site): " \
           "imported as hello-world-2" in report.notes
    assert _html(api, "hello-world") == "<p>First site.</p>"
    assert _html(api, "hello-world-2") == "<p>Second site.</p>"
    names = [[c["author"]["name"] for c in api.get(f"/posts/{slug}/comments").json["items"]]
             for slug in ("hello-world", "hello-world-2")]
    assert names == [["Reader of one.example"], ["Reader of two.example"]]
    again: dict[str, Any] = dict(import_file(first).posts)
    assert again == {"already imported": 1}


def test_an_unchanged_export_of_the_same_site_under_http_is_the_same_site(api: Api, tmp_path: Path) -> None:
    path = _site(tmp_path, "same.example")
    import_file(path)
    path.write_text(path.read_text("utf-8").replace("https://same.example", "http://www.same.example"), "utf-8")

    report = import_file(path)

    assert "created" not in report.posts and report.comments == {"already imported": 1}
