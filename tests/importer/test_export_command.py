"""`make export` / `python -m importer.export`, and the restore through `python -m importer`, as commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from chalicelib.blog import records
from chalicelib.blog.post_upkeep import PostUpkeep
from chalicelib.store import keys
from chalicelib.store.table import Table
from deploy.local_stack_file import stack_file
from devtools.snapshot import write_private
from importer.cli import main as import_main
from importer.export import main as export_main
from infra.table import create_table
from tests.importer.steps import PROJECT
from tests.importer.test_import_command import _free_port, local_stack  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Stack = tuple[int, str, str]


def _command(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=300)


def _client(url: str) -> DynamoDBClient:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local")


def _seed(url: str, table: str) -> None:
    """One published post with a label, by the admin the stack seeds."""
    PostUpkeep(Table(_client(url), table)).save(None, records.post({
        "slug": "hello", "title": "Hello", "body": "Hi", "format": "markdown", "status": "published",
        "published_at": "2026-01-02T03:04:05.000Z", "created_at": "2026-01-02T03:04:05.000Z",
        "updated_at": "2026-01-02T03:04:05.000Z", "author": "admin", "labels": ["News"], "version": 1}))


def _point_stack_at(port: int, url: str, table: str) -> None:
    write_private(stack_file(port), json.dumps({"dynamodb_endpoint": url, "table": table, "pid": os.getpid()}))


def test_export_then_restore_into_another_table_through_the_commands(
        local_stack: Stack, tmp_path: Path) -> None:  # noqa: F811 - the fixture imported above
    port, url, table = local_stack
    _seed(url, table)
    out = tmp_path / "blog.jsonl"

    exported = _command("importer.export", str(out), "--port", str(port))

    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"Exported 3 records from {table} to {out}: 1 account, 1 counts, 1 post")
    assert exported.stderr == ""  # no progress bar drawn into a pipe
    assert not out.with_name("blog.jsonl.partial").exists()
    # Into the table it came from: refused, it is not empty.
    again = _command("importer", str(out), "--port", str(port))
    assert again.returncode == 1 and "is not empty" in again.stderr and "Traceback" not in again.stderr

    other = f"{table}-restored"
    create_table(_client(url), other)
    _point_stack_at(port, url, other)
    restored = _command("importer", str(out), "--port", str(port))

    assert restored.returncode == 0, restored.stderr
    assert "2 restored: 1 account, 1 post" in restored.stdout
    assert "Counts verified: all agree" in restored.stdout
    labels = Table(_client(url), other).get(keys.label_count("news"))
    assert labels is not None and labels["count"] == 1  # rebuilt from the post, not copied


def test_a_dry_run_of_a_restore_checks_the_file_and_needs_no_stack(
        local_stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811 - the fixture
    port, url, table = local_stack
    _seed(url, table)
    out = tmp_path / "blog.jsonl"
    assert export_main([str(out), "--port", str(port)]) == 0
    capsys.readouterr()

    status = import_main([str(out), "--dry-run", "--port", str(_free_port())])

    assert status == 0
    assert capsys.readouterr().out.startswith(
        "Dry run: nothing written. format: this blog's export\nRead: 1 account, 1 counts, 1 post")


def test_export_without_a_running_stack_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = export_main([str(tmp_path / "blog.jsonl"), "--port", str(_free_port())])

    assert status == 1
    assert "no `make run` is running on port" in capsys.readouterr().err
    assert not (tmp_path / "blog.jsonl").exists()


def test_export_into_a_folder_that_does_not_exist_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status = export_main(["/nonexistent-folder/blog.jsonl", "--port", str(_free_port())])

    assert status == 1
    assert "give a file name in an existing folder" in capsys.readouterr().err
