"""Reading exports: the format from the content, hostile XML refused, addresses merged, threads planned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chalicelib.blog.records import comment_text
from importer.comment_writer import comment_id
from importer.formats import detect, iso_date
from importer.import_options import Options
from importer.model import ImportError_
from importer.plan import TOMBSTONE, plan_threads
from importer.run import run_import
from importer.urls import slug_from_url, url_key
from tests.importer.steps import BLOGGER_SAMPLE, BLOGGER_THREADS, DISQUS_SAMPLE, TAKEOUT, WORDPRESS_SAMPLE


@pytest.mark.parametrize(("sample", "kind"), [
    (BLOGGER_SAMPLE, "blogger"), (BLOGGER_THREADS, "blogger"), (TAKEOUT, "blogger-takeout"),
    (WORDPRESS_SAMPLE, "wordpress"), (DISQUS_SAMPLE, "disqus"),
], ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_the_format_is_told_by_the_content(sample: Path, kind: str) -> None:
    with sample.open("rb") as handle:
        assert detect(handle) == kind


def test_the_format_is_not_told_by_the_name(tmp_path: Path) -> None:
    misleading = tmp_path / "wordpress-export.xml"
    shutil.copyfile(DISQUS_SAMPLE, misleading)  # a copy in the test's temporary directory, never in the project

    with misleading.open("rb") as handle:
        assert detect(handle) == "disqus"


def _dry(path: Path) -> None:
    run_import(path, None, Options(source="", default_author="admin", dry_run=True))


def test_an_xml_file_of_another_kind_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "feed.xml"
    other.write_text("<?xml version='1.0'?><html><body/></html>")

    with pytest.raises(ImportError_, match=r"not an export this command reads \(root element 'html'\)"):
        _dry(other)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE feed [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&d;&d;&d;&d;&d;&d;&d;&d;</title></entry></feed>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&secret;</title></item></channel></rss>
"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["entity-expansion", "external-entity"])
def test_a_file_declaring_entities_is_refused_before_anything_is_expanded_or_fetched(tmp_path: Path,
                                                                                      hostile: str) -> None:
    path = tmp_path / "export.xml"
    path.write_text(hostile)

    with pytest.raises(ImportError_, match="declares a DOCTYPE or entities"):
        _dry(path)


def test_a_broken_file_is_refused_with_where_it_breaks(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text("<?xml version='1.0'?><disqus xmlns='http://disqus.com'><thread></disqus>")

    with pytest.raises(ImportError_, match="not well-formed XML: mismatched tag: line 1"):
        _dry(path)


@pytest.mark.parametrize("spelling", [
    "https://www.zachleat.com/web/23-minutes/",
    "http://zachleat.com/web/23-minutes",
    "https://WWW.ZachLeat.com/web/23-minutes/?utm_source=feed&utm_medium=rss",
    "https://www.zachleat.com/web/23-minutes/?t=1&cn=ZmxleGlibGVfcmVjc18y&refsrc=email#comments",
    "https://www.zachleat.com/web/23-minutes/?lipi=urn%3Ali%3Apage",
])
def test_every_spelling_of_a_page_s_address_is_one_key(spelling: str) -> None:
    assert url_key(spelling) == "zachleat.com/web/23-minutes"


def test_wordpress_page_parameters_name_different_pages() -> None:
    assert url_key("http://example.tld/?p=4") != url_key("http://example.tld/?p=6")
    assert url_key("http://example.tld/?p=4&utm_source=x") == url_key("https://www.example.tld/?p=4")


@pytest.mark.parametrize(("url", "slug"), [
    ("https://example.blogspot.com/2017/03/russo-japanese-different-dreams.html", "russo-japanese-different-dreams"),
    ("http://example.tld/2014/test/", "test"),
    ("https://example.com/posts/Caf%C3%A9_Culture.php", "cafe-culture"),
    ("http://example.tld/?p=4", "p-4"),
    ("http://example.tld/", None),
])
def test_an_address_suggests_a_slug(url: str, slug: str | None) -> None:
    assert slug_from_url(url) == slug


def test_dates_keep_their_offset_and_naive_ones_are_utc() -> None:
    assert iso_date("2017-03-22T09:00:00.000+09:00") == "2017-03-22T09:00:00+09:00"
    assert iso_date("2014-01-14T17:31:03") == "2014-01-14T17:31:03+00:00"
    assert iso_date("0000-00-00T00:00:00") is None
    assert iso_date("yesterday") is None


def test_a_comment_s_text_keeps_its_paragraphs() -> None:
    assert comment_text("<p>One &amp; two</p><p>three<br>four</p>") == "One & two\nthree\nfour"


def test_a_comment_id_is_the_same_on_every_run_and_sorts_by_its_time() -> None:
    early = comment_id("disqus", "post-1", "2017-11-21T20:04:50.000Z")

    assert early == comment_id("disqus", "post-1", "2017-11-21T20:04:50.000Z")
    assert early != comment_id("disqus", "post-2", "2017-11-21T20:04:50.000Z")
    assert early < comment_id("disqus", "post-0", "2017-11-21T20:04:51.000Z")


# -- planning threads from ids -----------------------------------------------

def _row(ref: str, parent: str | None, status: str = "approved", post: str = "p",
         created: str = "2020-01-01T00:00:00Z") -> tuple[str, str, str | None, str, str]:
    return ref, post, parent, status, created


def test_a_reply_to_a_held_comment_hangs_from_the_comment_above_it() -> None:
    plan = plan_threads([_row("a", None), _row("b", "a", "spam"), _row("c", "b")], {"p"}, 5)

    placed = {p.ref: p for p in plan.placed}
    assert placed["c"].parent_ref == "a" and placed["c"].depth == 1
    assert placed["b"].status == "spam" and placed["b"].parent_ref == "a"


def test_a_deleted_comment_is_a_tombstone_only_with_a_public_reply_below_it() -> None:
    plan = plan_threads([_row("a", None, "deleted"), _row("b", "a", "pending"), _row("c", None, "deleted"),
                         _row("d", "c", "deleted"), _row("e", "d")], {"p"}, 5)

    placed = {p.ref: p.status for p in plan.placed}
    assert placed == {"b": "pending", "c": TOMBSTONE, "d": TOMBSTONE, "e": "approved"}
    assert plan.dropped_deleted == 1


def test_orphans_are_reported_with_their_reason_and_so_are_their_replies() -> None:
    plan = plan_threads([_row("a", None, post="gone"), _row("b", "x"), _row("c", "b"), _row("d", "e"),
                         _row("e", "d"), _row("f", None)], {"p"}, 5)

    assert [p.ref for p in plan.placed] == ["f"]
    assert plan.orphans == {"its post is not in the file": 1, "its parent comment is not in the file": 1,
                            "its parent comment is an orphan": 1, "its thread loops back on itself": 2}


def test_a_reply_on_another_post_than_its_parent_is_an_orphan() -> None:
    plan = plan_threads([_row("a", None, post="p"), _row("b", "a", post="q")], {"p", "q"}, 5)

    assert [p.ref for p in plan.placed] == ["a"]
    assert plan.orphans == {"its parent comment is not in the file": 1}


def test_parents_are_planned_before_their_replies_whatever_the_file_order() -> None:
    plan = plan_threads([_row("c", "b", created="2020-01-01T00:00:01Z"), _row("b", "a", created="2020-01-01"),
                         _row("a", None, created="2020-01-02")], {"p"}, 5)

    assert [(p.ref, p.depth) for p in plan.placed] == [("a", 0), ("b", 1), ("c", 2)]


def test_a_chain_deeper_than_the_limit_is_flattened_at_the_limit() -> None:
    rows = [_row("r0", None)] + [_row(f"r{n}", f"r{n - 1}") for n in range(1, 6)]

    plan = plan_threads(rows, {"p"}, 2)

    placed = {p.ref: p for p in plan.placed}
    assert [placed[f"r{n}"].depth for n in range(6)] == [0, 1, 2, 2, 2, 2]
    assert {placed[f"r{n}"].parent_ref for n in range(3, 6)} == {"r1"}
    assert plan.flattened == 3
