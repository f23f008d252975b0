"""The rules WordPress bodies are read by, one at a time: paragraphs, shortcodes, https upgrades, the site's id."""

from __future__ import annotations

import pytest

from importer.autop import autop
from importer.links import Upgrades
from importer.shortcodes import Media, expand
from importer.wxr import plain_text, site_of, summary


def test_blank_lines_make_paragraphs_and_single_ones_breaks() -> None:
    assert autop("one\ntwo\n\nthree") == "<p>one<br>\ntwo</p>\n<p>three</p>"


def test_no_break_stands_beside_a_block_element() -> None:
    assert autop("<ul>\n<li>a</li>\n<li>b</li>\n</ul>") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert autop("<h2>Title</h2>\nText") == "<h2>Title</h2>\n<p>Text</p>"
    assert autop("<table>\n<tr>\n<td>x</td>\n</tr>\n</table>") == "<table>\n<tr>\n<td>x</td>\n</tr>\n</table>"


def test_nothing_changes_inside_pre() -> None:
    code = '<PRE class="x">a\n\n  b\n<ul>\n</PRE>'
    assert autop(f"Before\n{code}\nAfter") == f"<p>Before</p>\n{code}\n<p>After</p>"


def test_a_blockquote_s_text_is_a_paragraph_and_a_list_item_s_is_not() -> None:
    assert autop("<blockquote>q\nr</blockquote>") == "<blockquote>\n<p>q<br>\nr</p>\n</blockquote>"
    assert autop("<ul><li>a\nb</li></ul>") == "<ul><li>a<br>\nb</li></ul>"


def test_a_line_break_inside_a_tag_is_no_break_and_an_existing_br_is_not_doubled() -> None:
    assert autop('<a\nhref="x">link</a> and<br />\nmore') == '<p><a href="x">link</a> and<br />\nmore</p>'


def test_comments_and_empty_input_leave_no_empty_paragraph() -> None:
    assert autop("<!--more-->\n\n<!--nextpage-->\n\n") == ""
    assert autop("text\n\n<!--more Read on-->\n\nmore") == "<p>text</p>\n<p>more</p>"


def test_unbalanced_markup_is_read_without_error() -> None:
    assert autop("</div>stray\n\n<div>open") == "</div>\n<p>stray</p>\n<div>open"


def test_known_shortcodes_become_html_and_unknown_ones_are_listed() -> None:
    media = Media()
    media.add("4", "https://a.example/1.jpg", "One", "9")

    done = expand('[caption width="1"]<img src="p.jpg"> Cap[/caption][gallery][gallery ids="4,8"]'
                  '[contact-form id="1"][sic][[caption]][plugin]x[/plugin]', media, "9")

    assert done.html.count("<figure>") == 3
    assert "<figcaption>Cap</figcaption>" in done.html
    assert done.html.count('<img src="https://a.example/1.jpg" alt="One">') == 2
    assert '[contact-form id="1"][sic][caption][plugin]x[/plugin]' in done.html
    assert done.unknown == ["contact-form", "plugin"] and done.missing_media == ["8"]


def test_code_shortcodes_are_escaped_whole_in_one_pre() -> None:
    done = expand('[code lang="py<script>"]<script>alert(1)</script>\n\nif a[0]: pass[/code]', Media(), "1")

    assert done.html.strip() == "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n\nif a[0]: pass</code></pre>"
    assert autop(done.html) == done.html.strip()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", ""])
def test_an_embed_of_anything_but_a_web_address_is_dropped(url: str) -> None:
    assert expand(f"[embed]{url}[/embed][video mp4=\"{url}\"]", Media(), "1").html == ""


def test_many_open_brackets_are_left_as_they_are() -> None:
    text = "[a " * 20_000 + "[b]" * 20_000 + "[/b]"
    assert expand(text, Media(), "1").html == text


def test_only_hosts_known_to_serve_https_are_upgraded() -> None:
    links = Upgrades()

    out = links.apply('<img src="http://3.bp.blogspot.com/x.jpg"><a href=\'http://me.wordpress.com/p\'>'
                      '<img src=http://i0.wp.com/y.png><a href="http://bp.blogspot.com.evil.example/z">'
                      '<a href="http://notblogspot.com/">')

    assert out.count("https://") == 3 and out.count("http://") == 2
    assert links.kept == {"bp.blogspot.com.evil.example": 1, "notblogspot.com": 1}


def test_the_site_is_the_blog_s_own_address_not_wordpress_com() -> None:
    assert site_of({"base_site_url": "http://wordpress.com/", "base_blog_url": "http://me.wordpress.com"}) == \
        "me.wordpress.com"
    assert site_of({"link": "https://www.Example.org/blog/"}) == "example.org/blog"
    assert site_of({}) == ""


def test_titles_and_excerpts_become_plain_text_within_the_summary_limit() -> None:
    assert plain_text("R&amp;D <em>&#8220;notes&#8221;</em>\n") == "R&D “notes”"
    assert plain_text("&lt;script&gt;") == "<script>"  # text, shown escaped: the title is never HTML
    long = summary("word " * 100)
    assert long is not None and len(long) <= 300 and long.endswith("…")
    assert summary("<p> </p>") is None
