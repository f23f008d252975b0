"""Ghost and folders of Markdown posts: their real files imported, read back through the API."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Api, Blog
from tests.importer.steps import SAMPLES, import_file

GHOST = SAMPLES / "ghost" / "TryGhost-Ghost-v4_export.json"
JEKYLL = SAMPLES / "markdown" / "jekyll-news"
HUGO = SAMPLES / "markdown" / "hugo-basic-example"
GHOST_POSTS = ["integrations", "grow", "sell", "portal", "write", "design", "welcome"]


def _words(markup: str) -> list[str]:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).split()


def _ghost_export(tmp_path: Path, change: Any) -> Path:
    """The real Ghost export with ``change`` applied to its data: a file in the test's own directory."""
    document = json.loads(GHOST.read_text())
    change(document["db"][0]["data"])
    path = tmp_path / "ghost.json"
    path.write_text(json.dumps(document))
    return path


# -- Ghost ----------------------------------------------------------------------

def test_ghost_posts_keep_their_slugs_titles_tags_authors_and_dates(api: Api) -> None:
    report = import_file(GHOST)

    assert report.posts == {"created": 7} and report.read["skipped: page"] == 4
    listed = api.get("/posts?limit=100").json["items"]
    assert [p["slug"] for p in listed] == ["welcome", "design", "write", "portal", "grow", "integrations"]
    welcome = api.get("/posts/welcome").json
    assert welcome["title"] == "Start here for a quick overview of everything you need to know"
    assert welcome["published_at"] == "2021-03-24T04:34:15.000Z"
    assert welcome["author"] == "ghost" and report.accounts == {"created": 1}
    labels = {item["label"]: item["count"] for item in api.get("/labels").json["items"]}
    assert labels == {"Getting Started": 6}  # the paid post is not public, so not counted


def test_a_ghost_post_for_paying_members_is_a_draft_and_the_report_names_it(api: Api, blog: Blog) -> None:
    report = import_file(GHOST, authors={"Ghost": "owner"})
    blog.author("owner")

    assert api.get("/posts/sell").status == 404
    assert any("'sell'" in note and "imported as a draft" in note for note in report.notes)


def test_ghost_pages_come_only_when_asked(api: Api) -> None:
    report = import_file(GHOST, pages=True)

    assert report.posts == {"created": 11}
    assert api.get("/posts/about").json["title"] == "About this site"


def test_a_ghost_export_without_html_is_rendered_from_mobiledoc_word_for_word(api: Api, tmp_path: Path) -> None:
    original = {p["slug"]: p["html"] for p in json.loads(GHOST.read_text())["db"][0]["data"]["posts"]}

    def without_html(data: dict[str, Any]) -> None:
        for post in data["posts"]:
            post["html"] = None

    import_file(_ghost_export(tmp_path, without_html))

    for slug in ("integrations", "write", "design"):  # markdown, image, gallery, bookmark, embed, code cards
        assert _words(api.get(f"/posts/{slug}").json["html"]) == _words(original[slug])
    design = api.get("/posts/design").json["html"]
    assert "<pre><code" in design and "<figcaption>" in design


LEXICAL = {"root": {"type": "root", "children": [
    {"type": "paragraph", "children": [
        {"type": "text", "text": "Bold ", "format": 1}, {"type": "text", "text": "and plain, "},
        {"type": "link", "url": "https://example.org/", "children": [{"type": "text", "text": "a link"}]}]},
    {"type": "heading", "tag": "h2", "children": [{"type": "text", "text": "A heading"}]},
    {"type": "list", "listType": "number", "children": [
        {"type": "listitem", "children": [{"type": "text", "text": "one"}]},
        {"type": "listitem", "children": [{"type": "text", "text": "two"}]}]},
    {"type": "codeblock", "code": "print('<hi>')", "language": "python"},
    {"type": "html", "html": "<p onclick='steal()'>card<script>steal()</script></p>"},
    {"type": "signup", "header": "Join"}]}}


def test_a_ghost_5_lexical_post_is_rendered_and_unknown_cards_are_reported(api: Api, tmp_path: Path) -> None:
    def lexical_only(data: dict[str, Any]) -> None:
        welcome = next(p for p in data["posts"] if p["slug"] == "welcome")
        welcome.update(html=None, mobiledoc=None, lexical=json.dumps(LEXICAL))

    report = import_file(_ghost_export(tmp_path, lexical_only))

    rendered = api.get("/posts/welcome").json["html"]
    assert "<p><strong>Bold </strong>and plain, <a href=\"https://example.org/\"" in rendered
    assert "<h2>A heading</h2>" in rendered and "<ol><li>one</li><li>two</li></ol>" in rendered
    assert "print(&#x27;&lt;hi&gt;&#x27;)" in rendered or "print('&lt;hi&gt;')" in rendered
    assert "card" in rendered and "<script" not in rendered and "onclick" not in rendered
    assert any("'welcome'" in note and "signup" in note for note in report.notes)


# -- Markdown folders: Jekyll -------------------------------------------------------

def test_jekyll_posts_take_slug_and_date_from_the_file_name_when_front_matter_has_none(api: Api) -> None:
    report = import_file(JEKYLL)

    assert report.posts == {"created": 7}
    turns_2 = api.get("/posts/jekyll-turns-2-0-0").json  # no date in its front matter
    assert turns_2["title"] == "Jekyll turns 2.0.0" and turns_2["published_at"] == "2014-05-06T00:00:00.000Z"
    assert turns_2["labels"] == ["release"] and turns_2["author"] == "parkr"
    stickers = api.get("/posts/jekyll-stickers-1-dollar-stickermule").json
    assert stickers["published_at"] == "2014-06-04T19:46:53.000Z"  # 15:46:53 at -0400
    quoted = api.get("/posts/meet-jekyll-s-new-lead-developer").json  # a quoted date string
    assert quoted["published_at"] == "2018-02-20T01:48:09.000Z" and quoted["labels"] == ["team"]


def test_jekyll_redirects_and_default_permalinks_are_in_the_redirect_map(api: Api) -> None:
    report = import_file(JEKYLL)

    beta = "jekyll-4-0-0-pre-beta1-released"
    assert report.redirects["/news/2019/07/20/jekyll-4-0-0-pre-beta1-released/"] == beta  # redirect_from
    assert report.redirects["/release/2019/08/04/jekyll-4-0-0-pre-beta1-released.html"] == beta
    assert report.redirects["/release/2014/05/06/jekyll-turns-2-0-0.html"] == "jekyll-turns-2-0-0"
    assert not any("template tags" in note for note in report.notes)  # raw blocks and post_url are understood


def test_a_jekyll_body_is_rendered_as_a_post_is(api: Api) -> None:
    report = import_file(JEKYLL)

    body = api.get("/posts/jekyll-turns-2-0-0").json["html"]
    assert '<a href="/docs/collections/"' in body and "<ol>" in body and "<code>jekyll new &lt;path&gt;</code>" in body
    # What {% raw %} holds is shown as written, the markers gone, and it is no template tag left over.
    beta = api.get("/posts/jekyll-4-0-0-pre-beta1-released").json["html"]
    assert "<code>{% highlight %}</code> now behaves like <code>{% raw %}</code>" in beta
    assert "<code>{{ site.baseurl }}</code>" in beta and "endraw" not in beta
    assert not any("pre-beta1" in note for note in report.notes)


def test_hugo_s_common_shortcodes_become_links_and_code_and_the_rest_are_reported(api: Api) -> None:
    report = import_file(HUGO)

    rich = api.get("/posts/rich-content").json["html"]
    assert '<a href="https://www.youtube.com/watch?v=ZJthWmvUzzc"' in rich
    assert '<a href="https://vimeo.com/48912912"' in rich and "twitter.com/designreviewed/status/" in rich
    assert "{{&lt;" not in rich
    syntax = api.get("/posts/markdown-syntax").json["html"]
    assert '<code class="language-html">' in syntax and "{{&lt; highlight" not in syntax
    assert any("math-typesetting.md: 4 template tags" in note for note in report.notes)


# -- Markdown folders: Hugo ---------------------------------------------------------

def test_hugo_toml_and_yaml_front_matter_tags_categories_and_series_become_labels(api: Api) -> None:
    report = import_file(HUGO)

    assert report.posts == {"created": 5}
    assert report.read["skipped: section index (Hugo _index)"] == 2 and report.read["skipped: page"] == 2
    syntax = api.get("/posts/markdown-syntax").json  # TOML
    assert syntax["labels"] == ["markdown", "css", "html", "themes", "syntax", "Themes Guide"]
    assert syntax["published_at"] == "2019-03-11T00:00:00.000Z" and syntax["author"] == "hugo-authors"
    math = api.get("/posts/math-typesetting").json  # YAML, an unquoted date
    assert math["title"] == "Math Typesetting" and math["published_at"] == "2019-03-08T00:00:00.000Z"
    assert report.redirects == {"/post/migrate-from-jekyl": "markdown-syntax"}  # relative to its section


def test_hugo_pages_and_their_aliases_come_with_pages(api: Api) -> None:
    report = import_file(HUGO, pages=True)

    assert api.get("/posts/about").json["title"] == "About"
    assert {k: v for k, v in report.redirects.items() if v == "about"} == {
        "/about-us": "about", "/about-hugo": "about", "/contact": "about"}


def test_drafts_unpublished_posts_and_explicit_slugs_in_a_folder(api: Api, tmp_path: Path) -> None:
    posts = tmp_path / "site" / "posts"
    posts.mkdir(parents=True)
    (posts / "one.md").write_text("---\ntitle: Draft\ndraft: true\ndate: 2020-01-01\n---\nHidden.\n")
    (posts / "two.md").write_text("---\ntitle: Unpublished\npublished: false\n---\nHidden too.\n")
    (posts / "three.md").write_text('+++\ntitle = "Renamed"\nslug = "a-chosen-slug"\ndate = 2020-02-02T10:00:00Z\n'
                                    'tags = ["x"]\n+++\n# Heading\n\n<script>steal()</script>Text.\n')

    report = import_file(tmp_path / "site")

    assert report.read == {"post (draft)": 2, "post": 1}
    assert api.get("/posts/draft").status == 404 and api.get("/posts/unpublished").status == 404
    chosen = api.get("/posts/a-chosen-slug").json
    assert chosen["title"] == "Renamed" and chosen["labels"] == ["x"]
    assert "<h1>Heading</h1>" in chosen["html"] and "<script" not in chosen["html"] and "steal()" not in chosen["html"]


def test_a_jekyll_post_url_links_to_the_address_the_redirect_map_sends_to_its_post(api: Api, tmp_path: Path) -> None:
    posts = tmp_path / "blog" / "_posts"
    posts.mkdir(parents=True)
    (posts / "2020-01-01-first.md").write_text("---\ntitle: First\ncategories: [news]\n---\nThe first.\n")
    (posts / "2020-02-02-second.md").write_text(
        "---\ntitle: Second\n---\nAfter [the first]({% post_url 2020-01-01-first %}) and "
        "[an older one]({% post_url 2019-05-05-not-here %}).\n")

    report = import_file(tmp_path / "blog")

    second = api.get("/posts/second").json["html"]
    assert '<a href="/news/2020/01/01/first.html" rel="noopener">the first</a>' in second
    assert '<a href="/2019/05/05/not-here.html" rel="noopener">an older one</a>' in second
    assert report.redirects["/news/2020/01/01/first.html"] == "first"
    assert not any("template tags" in note for note in report.notes)


def test_jekyll_drafts_and_eleventy_s_file_dates_and_templated_permalinks(api: Api, tmp_path: Path) -> None:
    (tmp_path / "site" / "_drafts").mkdir(parents=True)
    (tmp_path / "site" / "_drafts" / "unfinished.md").write_text("---\ntitle: Unfinished\n---\nNot yet.\n")
    (tmp_path / "site" / "posts").mkdir()
    (tmp_path / "site" / "posts" / "2021-03-04-eleventy.md").write_text(
        "---\ntitle: Eleventy\ndate: Last Modified\npermalink: \"/blog/{{ title | slugify }}/\"\ntags: [posts]\n"
        "---\nBuilt by Eleventy.\n")

    report = import_file(tmp_path / "site")

    assert report.read == {"post (draft)": 1, "post": 1}
    assert api.get("/posts/unfinished").status == 404
    eleventy = api.get("/posts/eleventy").json
    assert eleventy["published_at"] == "2021-03-04T00:00:00.000Z"  # the file name's date
    assert not any("{{" in address for address in report.redirects)


def test_an_older_ghost_export_s_page_flag_and_markdown_body(api: Api, tmp_path: Path) -> None:
    def as_ghost_0(data: dict[str, Any]) -> None:
        for post in data["posts"]:
            post["page"] = 1 if post.pop("type") == "page" else 0
            post.update(html=None, mobiledoc=None, markdown=f"## {post['title']}\n\nBody of *{post['slug']}*.")

    report = import_file(_ghost_export(tmp_path, as_ghost_0))

    assert report.posts == {"created": 7} and report.read["skipped: page"] == 4
    assert "<p>Body of <em>welcome</em>.</p>" in api.get("/posts/welcome").json["html"]


def test_ghost_excerpts_and_front_matter_descriptions_become_summaries(api: Api) -> None:
    import_file(GHOST)
    import_file(JEKYLL)

    assert api.get("/posts/integrations").json["summary"] == (
        "Work with all your favorite apps and tools or create your own custom integrations using the Ghost API.")
    assert api.get("/posts/jekyll-3-7-0-released").json["summary"] == (
        "Jekyll 3.7.0 brings LiveReload, a directory for your collections and much more…")
