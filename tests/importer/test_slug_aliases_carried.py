"""Old slugs across the importer and the restore: an imported post keeps its old address's slug as an alias,
and an export restored keeps every post's old slugs leading to it."""

from __future__ import annotations

from pathlib import Path

import boto3

from chalicelib import services as services_module
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from importer.export import write_export
from importer.restore import restore
from infra.table import create_table
from tests.conftest import TEST_TABLE, Api, Blog
from tests.importer.steps import BLOGGER_THREADS, import_file

RUSSO_URL = "https://example.blogspot.com/2017/03/russo-japanese-different-dreams.html"
RUSSO = "russo-japanese-different-dreams"


def _table() -> Table:
    return Table(boto3.client("dynamodb", region_name="us-east-1"), TEST_TABLE)


def test_a_post_imported_under_another_slug_keeps_its_addresss_slug_as_an_alias(api: Api, blog: Blog) -> None:
    report = import_file(BLOGGER_THREADS, slugs={RUSSO_URL: "russo-japanese"})

    moved = api.get(f"/posts/{RUSSO}")
    assert (moved.status, moved.headers["location"]) == (301, "/posts/russo-japanese")
    assert api.get("/posts/russo-japanese").json["slug"] == "russo-japanese"
    assert api.get(f"/api/articles/{RUSSO}").json["article"]["slug"] == "russo-japanese"
    assert report.redirects[RUSSO_URL] == "russo-japanese"
    # The alias is the post's: a new post cannot take it, and a second run adds nothing
    taken = api.post("/posts", {"title": "x", "body": "x", "slug": RUSSO}, token=blog.author())
    assert taken.status == 409
    again = import_file(BLOGGER_THREADS, slugs={RUSSO_URL: "russo-japanese"})
    assert again.posts["created"] == 0
    assert api.get(f"/posts/{RUSSO}").headers["location"] == "/posts/russo-japanese"


def test_an_address_slug_another_post_holds_stays_that_posts_and_the_report_says_so(api: Api) -> None:
    report = import_file(BLOGGER_THREADS)

    # 2018's "second-post" got "second-post-2": "second-post" is 2017's post, and stays it
    assert api.get("/posts/second-post").json["title"] == "A second post"
    assert api.get("/posts/second-post-2").json["title"] == "Second post, again"
    assert any("second-post, is another post's" in note for note in report.notes), report.notes


def test_an_imported_post_never_takes_a_slug_a_renamed_post_left(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Placeholder", slug=RUSSO)
    assert api.patch(f"/posts/{RUSSO}", {"slug": "placeholder"}, token=author).status == 200

    import_file(BLOGGER_THREADS)

    assert api.get(f"/posts/{RUSSO}").headers["location"] == "/posts/placeholder"
    assert api.get(f"/posts/{RUSSO}-2").json["title"].startswith("Russo-Japanese")


def test_an_export_restored_keeps_every_old_slug_of_every_post(api: Api, blog: Blog, tmp_path: Path) -> None:
    author = blog.author()
    blog.post(author, title="Started here")
    blog.comment("started-here")
    for old, new in (("started-here", "went-there"), ("went-there", "ended-up")):
        assert api.patch(f"/posts/{old}", {"slug": new}, token=author).status == 200
    exported = tmp_path / "blog.jsonl"
    write_export(_table(), exported, with_secrets=False)
    assert b"SLUG#" not in exported.read_bytes()  # rebuilt from the post, like its label memberships

    client = dynamodb_client()
    client.delete_table(TableName=TEST_TABLE)
    create_table(client, TEST_TABLE)
    services_module.reset()
    report = restore(exported, _table())

    assert report.mismatches == [] and report.written["post"] == 1
    for old in ("started-here", "went-there"):
        assert api.get(f"/posts/{old}").headers["location"] == "/posts/ended-up"
    post = api.get("/posts/ended-up?embed=comments").json
    assert (post["slug"], post["comment_count"], len(post["comments"])) == ("ended-up", 1, 1)
    pointers = [_table().get(keys.slug_alias(s)) for s in ("went-there", "ended-up")]
    assert [p["home"] if p else None for p in pointers] == ["started-here", "started-here"]
