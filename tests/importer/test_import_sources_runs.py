"""The five newer sources: told from their content, run twice, cut off and resumed, and refused when malformed."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.blog import clock
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from importer.cli import main
from importer.import_options import Options
from importer.model import ImportError_
from importer.run import run_import
from importer.sources import common, detect, jsonstream
from infra.table import create_table
from tests.conftest import Api
from tests.importer.steps import everything, import_file
from tests.importer.test_import_comment_sources import (
    COMMENTO,
    ISSO,
    ISSO_GENERIC,
    REMARK42,
    REMARK42_OLDER,
    THREAD,
    commento_comment,
    commento_export,
)
from tests.importer.test_import_post_sources import GHOST, HUGO, JEKYLL
from tests.importer.test_import_runs import UNINTERRUPTED, DiesAfter, Killed, _unusable_hashes_alike

SOURCES = [ISSO, ISSO_GENERIC, REMARK42, REMARK42_OLDER, COMMENTO, GHOST, JEKYLL, HUGO]
KINDS = ["isso", "isso-json", "remark42", "remark42", "commento", "ghost", "markdown", "markdown"]


def _dry(path: Path) -> None:
    run_import(path, None, Options(source="", default_author="admin", dry_run=True))


@pytest.mark.parametrize(("sample", "kind"), list(zip(SOURCES, KINDS, strict=True)),
                         ids=lambda v: getattr(v, "name", v))
def test_each_source_is_told_by_its_content_not_its_name(tmp_path: Path, sample: Path, kind: str) -> None:
    misleading = tmp_path / "wordpress-export.xml"
    if sample.is_dir():
        shutil.copytree(sample, misleading)
    else:
        shutil.copyfile(sample, misleading)

    assert detect(misleading) == kind


def test_xml_exports_are_left_to_the_xml_formats(tmp_path: Path) -> None:
    xml = tmp_path / "export.json"
    xml.write_text("<?xml version='1.0'?><rss/>")

    assert detect(xml) is None


@pytest.mark.parametrize("sample", SOURCES, ids=lambda p: p.name)
def test_a_second_run_creates_nothing_and_changes_nothing(api: Api, sample: Path) -> None:
    first = import_file(sample)
    before = everything()

    second = import_file(sample)

    assert first.created > 0
    assert second.created == 0
    assert everything() == before


@pytest.mark.parametrize(("sample", "cut_after"), [
    (ISSO, 2),       # among the threads
    (ISSO, 5),       # among the comments: replies still to come
    (REMARK42, 6),   # between the held comments and their references
    (GHOST, 4),      # among the posts
    (JEKYLL, 9),     # among the posts, after their authors
], ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_a_run_cut_off_and_run_again_ends_as_an_uninterrupted_one(api: Api, sample: Path, cut_after: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    create_table(dynamodb_client(), UNINTERRUPTED)
    import_file(sample, table=Table(dynamodb_client(), UNINTERRUPTED))
    expected = everything(UNINTERRUPTED)

    with pytest.raises(Killed):
        import_file(sample, table=DiesAfter(cut_after))
    partial = everything()
    resumed = import_file(sample)

    assert 0 < len(partial) < len(expected)
    assert resumed.created > 0
    assert _unusable_hashes_alike(everything()) == _unusable_hashes_alike(expected)


def test_the_import_command_reads_a_folder_and_reports_as_for_any_file(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(JEKYLL), "--dry-run"])

    out = capsys.readouterr().out
    assert status == 0
    assert "format: markdown" in out and "Posts: 7 would be created" in out
    assert "other addresses of posts (aliases, permalinks): in the redirect map" in out


# -- refusals: a malformed file names the record, never a traceback -------------------

def _isso_copy(tmp_path: Path, change: str) -> Path:
    path = tmp_path / "comments.db"
    shutil.copyfile(ISSO, path)
    path.chmod(0o644)  # the shared sample is read-only; this copy is the test's own
    with sqlite3.connect(path) as db:
        db.execute(change)
    return path


def _remark42(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "backup.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return path


META = '{"version":1,"users":[],"posts":[]}'
REMARK42_COMMENT = ('{"id":"c1","pid":"","text":"<p>hi</p>","user":{"name":"A","id":"u1"},'
                    '"locator":{"site":"s","url":"https://s.example/p/"},"time":"2020-01-01T00:00:00Z"}')


@pytest.mark.parametrize(("make", "message"), [
    (lambda t: _isso_copy(t, "UPDATE comments SET mode = 9 WHERE id = 5"),
     "comment 5: mode 9 is none of Isso's"),
    (lambda t: _isso_copy(t, "UPDATE comments SET created = 'soon' WHERE id = 3"),
     "comment 3: 'soon' is not a date"),
    (lambda t: _isso_copy(t, "DROP TABLE threads"), "an SQLite database, but not Isso's"),
    (lambda t: _remark42(t, META, REMARK42_COMMENT, "{not json"), "line 3: not a JSON record"),
    (lambda t: _remark42(t, META, '{"id":"c2","pid":"","user":{},"text":"x"}'),
     "line 2: neither Remark42's meta line nor a comment"),
    (lambda t: _remark42(t, META, REMARK42_COMMENT.replace("2020-01-01T00:00:00Z", "yesterday")),
     r"line 2 \(comment c1\): 'time' 'yesterday' is not a date"),
], ids=["isso-mode", "isso-date", "isso-not-isso", "remark42-broken-line", "remark42-no-locator",
        "remark42-date"])
def test_a_malformed_comment_file_is_refused_naming_the_record(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]

    with pytest.raises(ImportError_, match=message):
        _dry(path)


def test_a_truncated_gzip_backup_is_refused(tmp_path: Path) -> None:
    whole = gzip.compress(("\n".join([META] + [REMARK42_COMMENT.replace("c1", f"c{n}") for n in range(5000)])).encode())
    path = tmp_path / "backup.gz"
    path.write_bytes(whole[:len(whole) // 2])

    with pytest.raises(ImportError_, match="the gzip file breaks off"):
        _dry(path)


def _json(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(("document", "message"), [
    ({"version": 1, "comments": [{"commentHex": "a", "url": "/p/", "creationDate": "2020-01-01T00:00:00Z"},
                                 {"commentHex": "b", "creationDate": "2020-01-01T00:00:00Z"}]},
     r"comment 2 \(b\): has no 'url'"),
    ({"version": 1, "comments": [{"commentHex": "a", "url": "/p/", "creationDate": "2020-01-01T00:00:00Z",
                                  "state": "maybe"}]}, "comment 1 \\(a\\): state 'maybe' is none of Commento's"),
    ({"db": [{"meta": {"exported_on": 1}, "data": {"posts": [{"id": "1", "slug": "a", "title": "A"},
                                                             {"id": "2", "title": "B"}]}}]},
     "post 2: has no 'slug'"),
    ({"db": [{"meta": {"exported_on": 1}, "data": {"posts": [
        {"id": "1", "slug": "a", "status": "published", "mobiledoc": '{"sections": [[10, 7]]}'}]}}]},
     r"post 1 \('a'\): its lexical/mobiledoc document is malformed"),
    ({"db": [{"meta": {"exported_on": 1}, "data": {"posts": [
        {"id": "1", "slug": "a", "status": "published", "published_at": "last year"}]}}]},
     r"post 1 \('a'\): published_at: 'last year' is not a date"),
    ([{"id": "/p/", "title": "P", "comments": [{"id": 1, "text": "no date"}]}],
     r"thread 1 \(/p/\), comment 1: has no 'created' date"),
    ([{"id": "/p/", "title": "P", "comments": [{"id": 1, "created": "2020-13-45 99:00:00", "text": "x"}]}],
     r"thread 1 \(/p/\), comment 1: '2020-13-45 99:00:00' is not a date"),
], ids=["commento-no-url", "commento-state", "ghost-no-slug", "ghost-mobiledoc", "ghost-date", "isso-json-no-date",
        "isso-json-bad-date"])
def test_a_malformed_json_export_is_refused_naming_the_record(tmp_path: Path, document: object,
                                                              message: str) -> None:
    with pytest.raises(ImportError_, match=message):
        _dry(_json(tmp_path, document))


@pytest.mark.parametrize(("content", "message"), [
    ("---\ntitle: [unclosed\n---\nBody\n", "posts/bad.md: its front matter is not valid YAML"),
    ('+++\ntitle = "no closing quote\n+++\nBody\n', "posts/bad.md: its front matter is not valid TOML"),
    ("---\ntitle: Never closed\nBody\n", "posts/bad.md: its front matter opens with --- and never closes"),
    ("---\ntitle: A\ndate: yesterday\n---\nBody\n", "posts/bad.md: date: 'yesterday' is not a date"),
    ("---\n- a list\n---\nBody\n", "posts/bad.md: its front matter is not a set of fields"),
], ids=["yaml", "toml", "unclosed", "date", "not-a-mapping"])
def test_a_malformed_markdown_post_is_refused_naming_its_file(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "bad.md").write_text(content)

    with pytest.raises(ImportError_, match=message):
        _dry(tmp_path)


def test_the_command_refuses_a_malformed_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _remark42(tmp_path, META, "{not json")

    status = main([str(path), "--dry-run"])

    err = capsys.readouterr().err
    assert status == 1 and "import: line 2: not a JSON record" in err and "Traceback" not in err


def test_a_file_of_no_known_kind_is_refused_with_the_kinds_that_are(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(b"PK\x03\x04" + bytes(range(256)))

    with pytest.raises(ImportError_, match=r"export\.zip: not an export this command reads: expected a Blogger"):
        _dry(archive)


def test_unknown_json_and_a_folder_without_markdown_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="JSON, but none of the exports this command reads"):
        _dry(_json(tmp_path, {"hello": "world"}))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportError_, match="a folder with no Markdown file"):
        _dry(tmp_path / "empty")


# -- hostile values ----------------------------------------------------------------------

def test_a_comment_longer_than_the_api_accepts_is_a_tombstone_that_keeps_its_reply(api: Api, tmp_path: Path) -> None:
    long = REMARK42_COMMENT.replace("<p>hi</p>", "x" * 6000)
    reply = REMARK42_COMMENT.replace('"c1","pid":""', '"c2","pid":"c1"').replace("00:00:00Z", "00:01:00Z")

    report = import_file(_remark42(tmp_path, META, long, reply))

    thread = api.get("/posts/p/comments").json["items"]
    assert [c["status"] for c in thread] == ["deleted", "approved"] and "x" * 100 not in json.dumps(thread)
    assert any("longer than 5,000 characters" in note for note in report.notes)


def test_a_symbolic_link_in_a_markdown_folder_is_not_followed(api: Api, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nPrivate notes.\n")
    (tmp_path / "site" / "posts").mkdir(parents=True)
    (tmp_path / "site" / "posts" / "leak.md").symlink_to(outside)
    (tmp_path / "site" / "posts" / "fine.md").write_text("---\ntitle: Fine\n---\nPublic.\n")

    report = import_file(tmp_path / "site")

    assert report.read == {"post": 1, "skipped: symbolic link": 1}
    assert api.get("/posts/secret").status == 404 and api.get("/posts/fine").status == 200


def test_odd_unicode_in_a_commenter_s_name_is_kept_as_text(api: Api, tmp_path: Path) -> None:
    odd = "Ev\u202eil\u200b <b>Bob</b> 👩‍💻"
    comment = REMARK42_COMMENT.replace('"name":"A"', f'"name":{json.dumps(odd)}')

    import_file(_remark42(tmp_path, META, comment))

    shown = api.get("/posts/p/comments").json["items"][0]["author"]["name"]
    assert shown == odd  # text: the page escapes it, as it does a native commenter's name


# -- two sites side by side -------------------------------------------------------------

def test_a_second_isso_site_numbered_from_one_too_never_lands_on_the_first(api: Api, tmp_path: Path) -> None:
    other = _isso_copy(tmp_path, "UPDATE threads SET uri = '/other-site-' || id || '/', title = 'Other ' || title")

    import_file(ISSO)
    second = import_file(other)

    assert second.posts == {"created": 3} and second.comments["created approved"] == 9
    assert api.get("/posts/hello-world").json["comment_count"] == 4
    assert api.get("/posts/other-site-1").json["comment_count"] == 4
    assert len(api.get("/posts/hello-world/comments").json["items"]) == 5


def test_two_folders_with_the_same_file_names_are_two_sites(api: Api, tmp_path: Path) -> None:
    for site, words in (("first-blog", "First site's words."), ("second-blog", "Second site's words.")):
        (tmp_path / site / "_posts").mkdir(parents=True)
        (tmp_path / site / "_posts" / "2020-01-01-hello.md").write_text(f"---\ntitle: Hello\n---\n{words}\n")

    import_file(tmp_path / "first-blog")
    second = import_file(tmp_path / "second-blog")

    assert second.posts == {"created": 1}
    assert "First site" in api.get("/posts/hello").json["html"]
    assert "Second site" in api.get("/posts/hello-2").json["html"]


def test_control_characters_and_lone_surrogates_are_dropped_as_the_api_would(api: Api, tmp_path: Path) -> None:
    # JSON may spell what no UTF-8 store holds (a lone surrogate) and what the API refuses (NUL, escape).
    hostile = REMARK42_COMMENT.replace('"name":"A"', '"name":"Ma\\u0000l\\u001blory\\ud800"').replace(
        "<p>hi</p>", "<p>h\\u0000i\\udfff</p>")

    report = import_file(_remark42(tmp_path, META, hostile))

    assert report.comments == {"created approved": 1}
    comment = api.get("/posts/p/comments").json["items"][0]
    assert comment["author"]["name"] == "Mallory\ufffd" and comment["html"] == "<p>hi\ufffd</p>"


def test_a_line_or_a_json_value_past_its_bound_is_refused_before_it_fills_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The bounds are far above any real record (16 MB a line, 64 M characters a value): lowered here to show them.
    monkeypatch.setattr(common, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(jsonstream, "MAX_ELEMENT_CHARS", 1000)
    monkeypatch.setattr(jsonstream, "_CHUNK", 100)

    with pytest.raises(ImportError_, match="line 2: longer than"):
        _dry(_remark42(tmp_path, META, REMARK42_COMMENT.replace("hi", "x" * 2000)))
    bomb = tmp_path / "commento.json.gz"
    bomb.write_bytes(gzip.compress(json.dumps(commento_export([commento_comment("a", html="x" * 5000)])).encode()))
    with pytest.raises(ImportError_, match=r"commento\.json\.gz: one JSON value longer than 1,000 characters"):
        _dry(bomb)


def test_a_commento_export_is_read_a_row_at_a_time_with_its_commenters_found_after_its_comments(
        api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "_CHUNK", 64)  # many reads, every row cut somewhere
    path = tmp_path / "commento.json"
    path.write_text(json.dumps(commento_export(THREAD)))

    report = import_file(path)

    assert report.comments["created approved"] == 5
    assert api.get("/posts/first-note/comments").json["items"][0]["author"]["name"] == "Ann"  # found in pass one


def test_an_isso_thread_without_a_title_is_titled_from_its_address_never_the_raw_uri(api: Api,
                                                                                      tmp_path: Path) -> None:
    untitled = _isso_copy(tmp_path, "UPDATE threads SET title = NULL WHERE id = 1")

    import_file(untitled)

    assert api.get("/posts/hello-world").json["title"] == "Hello world"


# -- Ghost's export, read a row at a time ------------------------------------------------

def test_the_json_stream_reads_what_the_standard_decoder_reads_whatever_the_chunk_boundaries(
        monkeypatch: pytest.MonkeyPatch) -> None:
    document = {"db": [{"meta": {"n": 123456789, "f": -1.5e-3, "ok": True, "none": None},
                        "data": {"posts": [{"title": "Привет, 世界 👩‍💻", "html": "<p>\"quoted\" \\ \u00e9</p>"},
                                           {"id": 2, "tags": []}], "tags": [], "users": [{"id": "1"}]}}]}
    encoded = json.dumps(document, ensure_ascii=False, indent=1).encode()
    monkeypatch.setattr(jsonstream, "_CHUNK", 3)  # every number, escape and multi-byte character cut somewhere

    stream = jsonstream.JsonStream(io.BytesIO(encoded), "test.json")
    read: dict[str, Any] = {}
    for key in stream.members():
        assert key == "db"
        for _ in stream.starts():
            for inner in stream.members():
                read[inner] = ({t: list(stream.elements()) for t in stream.members()} if inner == "data"
                               else stream.value())

    assert read == document["db"][0]


@pytest.mark.parametrize(("text", "message"), [
    ('{"db": [{"meta": {}, "data": {"posts": [{"id": "1", "slug": "a"}', "the JSON document ends too soon"),
    ('{"db": [{"meta": {}, "data": {"posts": [{"id": "1", "slug": "a"} {"id": 2}]}}]}',
     "not a JSON document \\(found '\\{' where one of ',\\]' belongs"),
    ('{"db": [{"meta": {}, "data": {"posts": [{"id": "1", "slug": tru}]}}]}', "not a JSON document \\(Expecting value"),
    ('{"db": [{"meta": {}, "data": {"users": []}}]}', "the export's data: has no 'posts'"),
], ids=["truncated", "missing-comma", "bad-literal", "no-posts"])
def test_a_broken_ghost_export_is_refused_where_it_breaks(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ghost.json"
    path.write_text(text)

    with pytest.raises(ImportError_, match=message):
        _dry(path)
