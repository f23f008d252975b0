"""Running an import again, after it finished or after it was cut off, and running it dry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.blog import clock
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, Write
from infra.table import create_table
from tests.conftest import TEST_TABLE, Api
from tests.importer.steps import (
    BLOGGER_SAMPLE,
    BLOGGER_THREADS,
    DISQUS_SAMPLE,
    TAKEOUT,
    WORDPRESS_SAMPLE,
    everything,
    import_file,
)

SAMPLES = [BLOGGER_SAMPLE, WORDPRESS_SAMPLE, DISQUS_SAMPLE, BLOGGER_THREADS, TAKEOUT]
UNINTERRUPTED = "uninterrupted"


class Killed(Exception):
    """Stands for the process dying between two writes."""


class DiesAfter(Table):
    """The real table (real boto3 on moto), cut off after ``writes`` transactions, single writes and batches."""

    def __init__(self, writes: int) -> None:
        super().__init__(dynamodb_client(), TEST_TABLE)
        self.left = writes

    def _spend(self) -> None:
        if self.left == 0:
            raise Killed()
        self.left -= 1

    def transact(self, writes: Any) -> None:
        self._spend()
        super().transact(writes)

    def write(self, op: Write) -> Any:
        self._spend()
        return super().write(op)

    def batch_put(self, items: Any, attempts: int = 8, base_seconds: float = 0.05) -> None:
        self._spend()
        super().batch_put(items, attempts, base_seconds)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_a_second_run_creates_nothing_and_changes_nothing(api: Api, sample: Path) -> None:
    first = import_file(sample)
    before = everything()

    second = import_file(sample)

    assert first.created > 0
    assert second.created == 0
    assert everything() == before


@pytest.mark.parametrize(("sample", "cut_after"), [
    (BLOGGER_THREADS, 2),    # among the posts
    (BLOGGER_THREADS, 7),    # among the comments (a transaction per post and depth): replies still to come
    (WORDPRESS_SAMPLE, 6),
    (DISQUS_SAMPLE, 3),      # after the first thread's top-level comments
    (TAKEOUT, 4),            # between a held comment's batch and its reference's
], ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_a_run_cut_off_and_run_again_ends_as_an_uninterrupted_one(api: Api, sample: Path, cut_after: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A post with no date in the file (WordPress's ?p=4 item) takes the time of its import: one instant for both.
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


def _unusable_hashes_alike(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An imported author's password hash is random ("!" and noise, which no password verifies), and so is its
    account id (a new ULID, as every account gets): compare their kinds."""
    for item in items:
        if item.get("source_author"):
            assert str(item["password_hash"]).startswith("!")
            item["password_hash"] = "!"
            if "account_id" in item:
                assert len(str(item["account_id"])) == 26
                item["account_id"] = "ULID"
    return items


def test_every_count_is_exact_after_a_resumed_run(api: Api) -> None:
    with pytest.raises(Killed):
        import_file(BLOGGER_THREADS, table=DiesAfter(6))
    import_file(BLOGGER_THREADS)

    post = api.get("/posts/russo-japanese-different-dreams").json
    thread = api.get("/posts/russo-japanese-different-dreams/comments").json["items"]
    assert post["comment_count"] == sum(1 for c in thread if c["status"] == "approved") == 4
    for comment in thread:
        assert comment["reply_count"] == sum(1 for c in thread if c["parent_id"] == comment["id"])
    labels = {item["label"]: item["count"] for item in api.get("/labels").json["items"]}
    assert labels == {"History": 2, "Japan": 1}
    archive = {item["month"]: item["count"] for item in api.get("/archive").json["items"]}
    assert archive == {"2017-03": 1, "2017-04": 1, "2018-01": 1}


def test_a_dry_run_reports_what_would_be_done_and_writes_nothing(api: Api) -> None:
    report = import_file(BLOGGER_THREADS, dry_run=True)

    assert everything() == []
    assert report.posts == {"created": 3}
    assert report.comments == {"created approved": 5, "created tombstone": 1, "skipped: deleted, no replies": 1}
    assert report.orphans == {"its post is not in the file": 1, "its parent comment is not in the file": 1}
    assert report.accounts == {"created": 2}  # Blog Owner, Guest Writer
    assert report.created == 11


def test_a_dry_run_after_an_import_would_create_nothing(api: Api) -> None:
    import_file(BLOGGER_THREADS)

    report = import_file(BLOGGER_THREADS, dry_run=True)

    assert report.created == 0
    assert report.posts == {"already imported": 3}


def test_a_dry_run_without_a_table_still_counts_everything(api: Api) -> None:
    from importer.import_options import Options
    from importer.run import run_import

    report = run_import(DISQUS_SAMPLE, None, Options(source="", default_author="admin", dry_run=True))

    assert report.posts == {"created": 2} and report.comments == {"created approved": 16}


def _newer_takeout(tmp_path: Path) -> Path:
    """The Takeout fixture as a later export: the live post retitled and relabelled."""
    newer = tmp_path / "feed.atom"
    newer.write_text(TAKEOUT.read_text().replace("<title>Takeout travels</title>", "<title>Travels, revised</title>")
                     .replace("term='Travel'", "term='Journeys'"))
    return newer


def test_a_newer_export_updates_what_it_changed_and_keeps_the_comments(api: Api, tmp_path: Path) -> None:
    import_file(TAKEOUT)

    report = import_file(_newer_takeout(tmp_path))

    assert report.posts == {"updated": 1, "already imported": 1} and report.created == 0
    post = api.get("/posts/takeout-travels").json
    assert post["title"] == "Travels, revised" and post["labels"] == ["Journeys"]
    assert post["comment_count"] == 2 and len(api.get("/posts/takeout-travels/comments").json["items"]) == 2
    assert {i["label"]: i["count"] for i in api.get("/labels").json["items"]} == {"Journeys": 1}
    assert import_file(_newer_takeout(tmp_path)).posts == {"already imported": 2}


def test_a_post_edited_here_is_not_overwritten_by_a_newer_export(api: Api, blog: Any, tmp_path: Path) -> None:
    import_file(TAKEOUT)
    edited = api.patch("/posts/takeout-travels", {"title": "My own title"}, token=blog.admin())
    assert edited.status == 200, edited.body

    report = import_file(_newer_takeout(tmp_path))

    assert report.posts == {"skipped: edited here since its import": 1, "already imported": 1}
    assert api.get("/posts/takeout-travels").json["title"] == "My own title"


def test_a_dry_run_tells_which_posts_a_newer_export_would_update(api: Api, tmp_path: Path) -> None:
    import_file(TAKEOUT)
    before = everything()

    report = import_file(_newer_takeout(tmp_path), dry_run=True)

    assert report.posts == {"updated": 1, "already imported": 1}
    assert everything() == before
