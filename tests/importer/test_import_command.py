"""`make import` / `python -m importer`: the target it finds, what it prints, how it refuses."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from chalicelib.blog import records
from chalicelib.store.table import Table, put
from deploy.local_stack_file import stack_file
from devtools.moto_server import MotoServer
from devtools.snapshot import write_private
from importer.cli import main
from infra.table import create_table
from tests.importer.steps import BLOGGER_THREADS, DISQUS_SAMPLE, PROJECT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def local_stack() -> Iterator[tuple[int, str, str]]:
    """What a running `make run` offers an import: moto's server over HTTP, its table, and the file naming them."""
    server = MotoServer().start()
    table = f"blog-import-{secrets.token_hex(4)}"  # moto's servers in one process share their tables
    port = _free_port()
    where = stack_file(port)
    try:
        client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1")
        create_table(client, table)
        # The local admin `make run` seeds, whom imported posts go to by default.
        Table(client, table).write(put(records.account({
            "username": "admin", "email": "admin@example.com", "role": "reader", "password_hash": records.NO_PASSWORD,
            "created_at": "2026-01-02T03:04:05Z"})))
        write_private(where, json.dumps({"dynamodb_endpoint": server.url, "table": table, "pid": os.getpid()}))
        yield port, server.url, table
    finally:
        where.unlink(missing_ok=True)
        server.stop()


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-m", "importer", *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_it_imports_into_the_running_local_stack_and_a_second_run_creates_nothing(
        local_stack: tuple[int, str, str], tmp_path: Path) -> None:
    port, url, table = local_stack
    redirects = tmp_path / "redirects.json"

    first = _command(str(BLOGGER_THREADS), "--port", str(port), "--redirects", str(redirects))
    second = _command(str(BLOGGER_THREADS), "--port", str(port), "--redirects", str(redirects))

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-2:] == ["11 created", f"Redirect map (3 addresses): {redirects}"]
    assert "Comments: 5 created approved, 1 created tombstone, 1 skipped: deleted, no replies" in first.stdout
    assert first.stderr == ""  # no progress bar drawn into a pipe
    assert second.returncode == 0 and "\n0 created\n" in second.stdout
    assert json.loads(redirects.read_text())["https://example.blogspot.com/2018/01/second-post.html"] == \
        "second-post-2"
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
    post = client.get_item(TableName=table, Key={"PK": {"S": "POST#russo-japanese-different-dreams"},
                                                 "SK": {"S": "#SUMMARY"}})["Item"]
    assert post["comment_count"] == {"N": "4"}


def test_a_dry_run_against_the_stack_writes_nothing(local_stack: tuple[int, str, str]) -> None:
    port, url, table = local_stack

    result = _command(str(DISQUS_SAMPLE), "--port", str(port), "--dry-run")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Dry run: nothing written. format: disqus")
    assert result.stdout.splitlines()[-1] == "18 would be created"
    client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local")
    assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 1  # the admin account alone


def test_without_a_running_stack_it_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(BLOGGER_THREADS), "--port", str(_free_port())])

    assert status == 1
    assert "no `make run` is running on port" in capsys.readouterr().err


def test_a_dry_run_needs_no_stack(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([str(DISQUS_SAMPLE), "--port", str(_free_port()), "--dry-run"])

    assert status == 0
    assert "Posts: 2 would be created\nComments: 16 would be created approved\n" in capsys.readouterr().out


def test_posts_go_only_to_accounts_that_exist(local_stack: tuple[int, str, str]) -> None:
    port, _, _ = local_stack

    result = _command(str(BLOGGER_THREADS), "--port", str(port), "--author", "Blog Owner=nobody")

    assert result.returncode == 1
    assert result.stderr.startswith("import: no account 'nobody' in the table: sign it up first")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["missing.xml"], "missing.xml: no such file"),
    ([str(BLOGGER_THREADS), "--author", "Blog Owner"], "write OLD=NEW"),
    ([str(BLOGGER_THREADS), "--default-author", "no spaces please"], "not a username"),
    ([str(BLOGGER_THREADS), "--stage", "nowhere"], "no stage 'nowhere'"),
])
def test_bad_arguments_get_one_clear_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*args, "--dry-run"])

    err = capsys.readouterr().err
    assert status == 1
    assert message in err and "Traceback" not in err


def test_without_redirects_each_run_writes_a_new_map_under_local_redirects(
        local_stack: tuple[int, str, str], tmp_path: Path) -> None:
    port, _, _ = local_stack
    source = tmp_path / f"blog-{port}.xml"
    source.write_bytes(BLOGGER_THREADS.read_bytes())
    folder = PROJECT / ".local" / "redirects"
    before = set(folder.glob(f"blog-{port}*.json"))

    runs = [_command(str(source), "--port", str(port)) for _ in range(2)]

    made = sorted(set(folder.glob(f"blog-{port}*.json")) - before, key=lambda p: len(p.name))
    try:
        assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
        assert [p.name for p in made] == [f"blog-{port}.json", f"blog-{port}-2.json"]
        for run, path in zip(runs, made, strict=True):
            assert run.stdout.rstrip().endswith(f"Redirect map (3 addresses): {path}")
            assert json.loads(path.read_text())["https://example.blogspot.com/2018/01/second-post.html"] == \
                "second-post-2"
    finally:
        for path in made:
            path.unlink()
