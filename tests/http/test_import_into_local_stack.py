"""`make import` into a real `make run`: found by its PORT, read back over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from deploy.local_stack_file import stack_file
from tests.http.conftest import PROJECT, start_stack, walk
from tests.importer.steps import WORDPRESS_SAMPLE


def test_an_import_lands_in_the_running_stack_which_names_its_table_only_while_it_runs(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    port = int(urlsplit(stack.url).port or 0)
    try:
        named = json.loads(stack_file(port).read_text())
        assert named["table"] == "blog-local" and named["dynamodb_endpoint"].startswith("http://127.0.0.1:")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        result = subprocess.run(
            [sys.executable, "-m", "importer", str(WORDPRESS_SAMPLE), "--port", str(port),
             "--redirects", str(tmp_path / "redirects.json")],
            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        thread = walk(stack, "/posts/test/comments", 100)
        assert len(thread) == 7 and sum(1 for c in thread if c["depth"] == 2) == 2
    finally:
        assert stack.stop() == 0
    assert not stack_file(port).exists()
