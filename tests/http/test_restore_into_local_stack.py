"""A restore into a real `make run`: refused, saying how, on a seeded table; restored into one started with SEED=0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.blog import records
from importer.backup import FORMAT, VERSION, record_line
from tests.http.conftest import PROJECT, LocalStack, start_stack


def _export(path: Path) -> Path:
    """A one-post export, as `make export` writes one."""
    post = records.post({"slug": "brought-back", "title": "Brought back", "body": "Restored.", "author": "ed",
                         "status": "published", "published_at": "2020-02-02T10:00:00Z",
                         "created_at": "2020-02-02T10:00:00Z", "updated_at": "2020-02-02T10:00:00Z"})
    header = {"format": FORMAT, "version": VERSION, "export_id": "one-post", "exported_at": "2026-01-01T00:00:00Z",
              "table": "blog-local", "secrets": False}
    path.write_text(json.dumps(header) + "\n" + record_line("post", post) + json.dumps({"end": True, "records": 1})
                    + "\n", encoding="utf-8")
    return path


def _restore(stack: LocalStack, path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-m", "importer", str(path), "--port", str(urlsplit(stack.url).port)],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)


def test_a_restore_into_the_seeded_stack_is_refused_and_says_how_to_start_one_empty(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    try:
        refused = _restore(stack, _export(tmp_path / "blog.jsonl"))
    finally:
        assert stack.stop() == 0

    assert refused.returncode == 1 and "SEED=0 make run" in refused.stderr and "Traceback" not in refused.stderr


def test_a_stack_started_with_seed_0_is_empty_and_takes_a_restore(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, SEED="0")
    try:
        assert stack.get("/posts").json()["items"] == []
        restored = _restore(stack, _export(tmp_path / "blog.jsonl"))
        assert restored.returncode == 0, restored.stderr
        assert "1 restored: 1 post" in restored.stdout
        assert [p["slug"] for p in stack.get("/posts").json()["items"]] == ["brought-back"]
    finally:
        assert stack.stop() == 0
    assert "Not seeded (SEED=0)" in stack.log.read_text()
