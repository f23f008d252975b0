"""Authors of imported posts become accounts, or map onto existing ones with --author OLD=NEW."""

from __future__ import annotations

from pathlib import Path

from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from tests.conftest import PASSWORD, TEST_TABLE, Api, Blog
from tests.importer.steps import BLOGGER_THREADS, SAMPLES, everything, import_file

RUSSO = "russo-japanese-different-dreams"
WXR_BY = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel>
 {authors}
 <item><title>By {creator}</title><link>https://wp.example/by/</link><dc:creator>{creator}</dc:creator>
  <content:encoded>Text.</content:encoded>
  <wp:post_id>1</wp:post_id><wp:post_date_gmt>2020-02-02 10:00:00</wp:post_date_gmt>
  <wp:post_name>by</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>
</channel></rss>
"""


def _account(username: str) -> dict[str, object] | None:
    return Table(dynamodb_client(), TEST_TABLE).get(keys.user(username))


def _wxr_by(tmp_path: Path, creator: str, authors: dict[str, str] | None = None) -> Path:
    """A one-post WordPress export by ``creator``, with the channel's ``wp:author`` entries (login -> e-mail)."""
    entries = "".join(f"<wp:author><wp:author_login>{login}</wp:author_login>"
                      f"<wp:author_email>{email}</wp:author_email></wp:author>"
                      for login, email in (authors or {}).items())
    path = tmp_path / "by.xml"
    path.write_text(WXR_BY.format(creator=creator, authors=entries), encoding="utf-8")
    return path


def test_each_post_author_becomes_an_author_account_that_no_password_opens(api: Api) -> None:
    report = import_file(BLOGGER_THREADS)

    assert api.get(f"/posts/{RUSSO}").json["author"] == "blog-owner"
    assert report.accounts["created"] == 2
    for username, name in (("blog-owner", "Blog Owner"), ("guest-writer", "Guest Writer")):
        account = _account(username)
        assert account is not None
        assert account["role"] == "author" and account["source_author"] == name
        assert account["email"] == f"{username}@imported.invalid"  # reserved: no mail reaches it
        assert str(account["password_hash"]).startswith("!")
        for password in (PASSWORD, "", str(account["password_hash"]), str(account["password_hash"])[1:]):
            answer = api.post("/auth/login", {"email": account["email"], "password": password or "x"})
            assert answer.status == 401, answer.body


def test_a_second_run_finds_the_accounts_it_made_and_makes_none(api: Api) -> None:
    import_file(BLOGGER_THREADS)

    again = import_file(BLOGGER_THREADS)

    assert again.accounts["created"] == 0 and again.created == 0
    assert _account("blog-owner-2") is None


def test_an_author_mapped_with_author_old_new_gets_the_existing_account_and_none_is_made(
        api: Api, blog: Blog) -> None:
    blog.author("zach")

    report = import_file(BLOGGER_THREADS, authors={"Blog Owner": "zach"})

    assert api.get(f"/posts/{RUSSO}").json["author"] == "zach"
    assert _account("blog-owner") is None
    assert report.accounts["created"] == 1  # Guest Writer still gets one


def test_a_username_someone_already_has_is_not_taken_over_the_account_gets_the_next_number(
        api: Api, blog: Blog) -> None:
    blog.user("blog-owner")

    import_file(BLOGGER_THREADS)

    assert api.get(f"/posts/{RUSSO}").json["author"] == "blog-owner-2"
    mine = _account("blog-owner")
    assert mine is not None and mine["role"] == "reader" and "source_author" not in mine


def test_an_author_named_like_an_admin_never_gets_the_admin_s_name(api: Api, tmp_path: Path) -> None:
    import_file(_wxr_by(tmp_path, "Admin"), reserved=frozenset({"admin"}))

    assert api.get("/posts/by").json["author"] == "admin-2"
    assert _account("admin") is None


def test_without_creating_authors_every_unmapped_post_goes_to_the_default_author(api: Api) -> None:
    report = import_file(BLOGGER_THREADS, create_authors=False)

    assert api.get(f"/posts/{RUSSO}").json["author"] == "admin"
    assert not report.accounts and _account("blog-owner") is None


def test_a_name_in_another_script_gets_a_plain_username(api: Api, tmp_path: Path) -> None:
    import_file(_wxr_by(tmp_path, "李白"))

    author = api.get("/posts/by").json["author"]
    assert author.startswith("author-") and _account(author) is not None


def test_a_dry_run_counts_the_accounts_it_would_make_and_makes_none(api: Api) -> None:
    report = import_file(BLOGGER_THREADS, dry_run=True)

    assert report.accounts["created"] == 2
    assert _account("blog-owner") is None


def test_an_author_keeps_the_address_the_export_gives_so_a_password_reset_reaches_them(
        api: Api, tmp_path: Path) -> None:
    import_file(_wxr_by(tmp_path, "editor", {"admin": "admin@wp.example", "editor": "Editor@WP.example"}))

    account = _account("editor")
    assert account is not None and account["email"] == "editor@wp.example"
    assert Table(dynamodb_client(), TEST_TABLE).get(keys.email("editor@wp.example")) is not None
    assert _account("admin") is None  # an author of no imported post gets no account


def test_an_address_another_account_has_or_a_placeholder_gives_the_author_a_placeholder(
        blog: Blog, tmp_path: Path) -> None:
    blog.user("taken")  # taken@example.com

    report = import_file(_wxr_by(tmp_path, "editor", {"editor": "taken@example.com"}))
    placeholder = import_file(_wxr_by(tmp_path, "writer", {"writer": "local@host.null"}))

    assert _account("editor")["email"] == "editor@imported.invalid"  # type: ignore[index]
    assert "author editor: taken@example.com is another account's here, a placeholder kept" in report.notes
    assert _account("writer")["email"] == "writer@imported.invalid"  # type: ignore[index]
    assert any("author writer: 'local@host.null' is no address" in note for note in placeholder.notes)


def test_a_ghost_author_keeps_their_address(api: Api) -> None:
    import_file(SAMPLES / "ghost" / "TryGhost-Ghost-v4_export.json")

    assert [(a["username"], a["email"]) for a in _accounts_made()] == [("ghost", "ghost-author@example.com")]


def _accounts_made() -> list[dict[str, object]]:
    return [i for i in everything() if str(i["SK"]) == "#USER" and i.get("imported_from")]
