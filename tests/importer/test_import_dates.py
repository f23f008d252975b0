"""Dates outside 1970-9999 are refused by the record constructor, named in the report; no read can 500 on a date."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.blog import records
from chalicelib.blog.post_upkeep import PostUpkeep
from chalicelib.blog.records import RecordError
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from tests.conftest import TEST_TABLE, Api
from tests.importer.steps import import_file, with_bodies

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
{items}
</channel></rss>
"""
ITEM = """ <item><title>{title}</title><link>https://wp.example/{slug}/</link><dc:creator>ed</dc:creator>
  <content:encoded><![CDATA[Body of {title}.]]></content:encoded>
  <wp:post_id>{id}</wp:post_id><wp:post_date_gmt>{date}</wp:post_date_gmt>
  <wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
  {comments}
 </item>"""
COMMENT = """<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
   <wp:comment_date_gmt>{date}</wp:comment_date_gmt><wp:comment_content>{text}</wp:comment_content>
   <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"""


def _wxr(tmp_path: Path) -> Path:
    fine_comments = "".join([
        COMMENT.format(id=1, date="2020-02-03 10:00:00", text="fine", parent=0),
        COMMENT.format(id=2, date="0001-02-03 10:00:00", text="from year one", parent=0),
        COMMENT.format(id=3, date="2020-02-04 10:00:00", text="a reply to year one", parent=2),
    ])
    items = [
        ITEM.format(title="Fine", slug="fine", id=1, date="2020-02-02 10:00:00", comments=fine_comments),
        ITEM.format(title="Year one", slug="year-one", id=2, date="0001-01-01 00:00:00", comments=""),
        ITEM.format(title="Year 999", slug="year-999", id=3, date="0999-12-31 23:00:00", comments=""),
        ITEM.format(title="Before 1970", slug="before-1970", id=4, date="1969-12-31 23:59:59", comments=""),
    ]
    path = tmp_path / "dates.xml"
    path.write_text(WXR.format(items="\n".join(items)), encoding="utf-8")
    return path


def test_posts_and_comments_with_dates_out_of_range_are_refused_and_named(api: Api, tmp_path: Path) -> None:
    report = import_file(_wxr(tmp_path))

    assert report.posts == {"created": 1, "refused: invalid": 3}
    assert report.comments == {"created approved": 1, "refused: invalid": 1, "refused: its parent was refused": 1}
    refused = [note for note in report.notes if "refused" in note]
    assert any(note.startswith("https://wp.example/year-one/: refused, published_at: must be a year between 1970")
               for note in refused)
    assert any("year-999" in note for note in refused) and any("before-1970" in note for note in refused)
    assert any(note.startswith("comment ") and "created_at: must be a year between 1970" in note for note in refused)
    assert api.get("/posts/year-one").status == 404
    assert [c["body"] for c in with_bodies(api, api.get("/posts/fine/comments").json["items"])] == ["fine"]


def test_archive_feeds_and_sitemap_answer_after_a_hostile_import(api: Api, tmp_path: Path) -> None:
    import_file(_wxr(tmp_path))

    for path in ("/archive", "/feeds/posts.atom", "/feeds/comments.atom", "/sitemap.xml", "/posts/fine/comments.atom"):
        assert api.get(path).status == 200, path
    assert api.get("/archive").json["items"] == [{"year": 2020, "month": "2020-02", "count": 1}]


def test_a_month_stored_before_dates_were_checked_is_left_out_of_the_archive(api: Api) -> None:
    # A post as the importer stored a year-1 date before the constructor checked it: "1-01-01T…".
    post = records.post({"slug": "old", "title": "Old", "body": "b", "author": "ed", "status": "published",
                         "published_at": "2020-01-01T00:00:00Z", "created_at": "2020-01-01T00:00:00Z",
                         "updated_at": "2020-01-01T00:00:00Z"})
    PostUpkeep(Table(dynamodb_client(), TEST_TABLE)).save(None, {**post, "published_at": "1-01-01T00:00:00.000Z"})

    reply = api.get("/archive")

    assert reply.status == 200 and reply.json["items"] == []
    for path in ("/feeds/posts.atom", "/sitemap.xml", "/posts", "/posts/old"):
        assert api.get(path).status == 200, path


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00",
                                   "2020-13-01", "yesterday", "", 20200101])
def test_the_constructor_refuses_a_date_outside_1970_to_9999_or_not_a_date(value: object) -> None:
    with pytest.raises(RecordError) as refused:
        records.stored_date(value, "published_at")

    assert refused.value.errors == {"published_at": [refused.value.errors["published_at"][0]]}
    assert str(refused.value).startswith("published_at: ")


def test_the_constructor_stores_dates_as_the_table_sorts_them() -> None:
    assert records.stored_date("1970-01-01", "at") == "1970-01-01T00:00:00.000Z"
    assert records.stored_date("2020-02-02T12:00:00+02:00", "at") == "2020-02-02T10:00:00.000Z"
