"""One write path: a record written through the API and the same record written by the importer are stored alike.

Keys and index attributes must be equal, attribute for attribute, once the values
that differ by nature are set aside: slugs and usernames (each side picks its
own), ids and times. The importer may add only where a record came from
(records._PROVENANCE) and an imported post's body format. (A restore writes
every kind through the same constructors: test_export_restore.py compares a
restored table with the API-written one, item for item.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chalicelib.blog import records
from tests.conftest import Api, Blog
from tests.importer.steps import everything, import_file

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
 <item><title>Same title</title><link>https://wp.example/imported-post/</link><dc:creator>bea</dc:creator>
  <content:encoded><![CDATA[Same body.]]></content:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-02-02 10:00:00</wp:post_date_gmt>
  <wp:post_name>imported-post</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
  <category domain="category" nicename="news"><![CDATA[News]]></category>
  <wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
   <wp:comment_date_gmt>2020-02-03 10:00:00</wp:comment_date_gmt><wp:comment_content>Same comment.</wp:comment_content>
   <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>
 </item>
</channel></rss>
"""
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
IMPORTED_ONLY = {*records._PROVENANCE, "format"}
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_ULID = re.compile(r"\b[0-7][0-9A-HJKMNP-TV-Z]{25}\b")


def _shape(value: Any, names: dict[str, str]) -> Any:
    """A value with its slugs, usernames, times and ids replaced by what they are."""
    text = _ULID.sub("<id>", _TIME.sub("<time>", str(value)))
    for name, placeholder in names.items():
        text = re.sub(rf"\b{re.escape(name)}\b", placeholder, text)
    return text


def _written(api: Api, blog: Blog, tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every item, by who wrote it: the API's (post api-post by ann) and the importer's (imported-post by bea)."""
    token = blog.author("ann")
    blog.post(token, title="Same title", body="Same body.", slug="api-post", labels=["News"],
              published_at="2020-02-02T10:00:00Z")
    blog.comment("api-post", author_name="Ann", body="Same comment.")
    path = tmp_path / "one.xml"
    path.write_text(WXR, encoding="utf-8")
    import_file(path)
    sides: dict[str, list[dict[str, Any]]] = {"api": [], "importer": []}
    for item in everything():
        text = " ".join(str(item.get(k, "")) for k in KEY_ATTRIBUTES) + str(item.get("post_slug", ""))
        if "api-post" in text or item.get("username") == "ann":
            sides["api"].append(item)
        elif "imported-post" in text or item.get("username") == "bea":
            sides["importer"].append(item)
    return sides


def _by_kind(items: list[dict[str, Any]], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Items keyed by the shape of their PK and SK: the same kind of record has the same shape on both sides."""
    return {f"{_shape(i['PK'], names)} {_shape(i['SK'], names)}": i for i in items}


def test_the_api_and_the_importer_store_each_record_alike(api: Api, blog: Blog, tmp_path: Path) -> None:
    sides = _written(api, blog, tmp_path)
    api_items = _by_kind(sides["api"], {"api-post": "<slug>", "ann": "<user>"})
    imported = _by_kind(sides["importer"], {"imported-post": "<slug>", "bea": "<user>"})

    # The post, its summary, its label membership, the comment and its reference, the author's account and e-mail.
    kinds = {"POST#<slug> #POST", "POST#<slug> #SUMMARY", "LABEL#news <time>#<slug>", "POST#<slug> COMMENT#<id>",
             "COMMENTREF#<id> #REF", "USER#<user> #USER", "EMAIL#<user>@example.com #EMAIL"}
    assert kinds <= set(api_items)
    assert kinds - {"EMAIL#<user>@example.com #EMAIL"} <= set(imported)  # an imported author's address differs
    for kind in kinds - {"EMAIL#<user>@example.com #EMAIL"}:
        mine, theirs = api_items[kind], imported[kind]
        for attribute in KEY_ATTRIBUTES:
            assert _shape(mine.get(attribute), {"api-post": "<slug>", "ann": "<user>"}) == _shape(
                theirs.get(attribute), {"imported-post": "<slug>", "bea": "<user>"}), (kind, attribute)
        assert set(theirs) - set(mine) <= IMPORTED_ONLY, kind
        # What the API writes and the importer not: a session counter (ann's role was changed by an admin), and
        # whom a comment's mail comes from (for the mail quotas; an imported comment sends none).
        assert set(mine) - set(theirs) <= {"token_version", "sender"}, kind


def test_an_imported_author_is_among_the_people_an_admin_lists(api: Api, blog: Blog, tmp_path: Path) -> None:
    _written(api, blog, tmp_path)

    reply = api.get("/users?limit=100", token=blog.admin())

    assert reply.status == 200
    assert {"username": "bea", "role": "author"}.items() <= next(
        u for u in reply.json["items"] if u["username"] == "bea").items()
