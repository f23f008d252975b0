"""The README's curl walkthrough works, exactly as written, against the `make run` stack."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.http.conftest import PROJECT, LocalStack

BLOCK = re.compile(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", re.S)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the walkthrough needs curl and jq")
def test_readme_walkthrough_runs_as_written(stack: LocalStack) -> None:
    match = BLOCK.search((PROJECT / "README.md").read_text())
    assert match, "README.md has no walkthrough block"
    script = match.group(1)
    assert "API=http://127.0.0.1:8000\n" in script
    # The one change: the stack under test listens on a free port, not 8000.
    script = script.replace("API=http://127.0.0.1:8000\n", f"API={stack.url}\n", 1)

    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stdout + run.stderr
    # The curls print their JSON documents back to back; the last is the edited comment.
    documents = []
    decoder, text, at = json.JSONDecoder(), run.stdout, 0
    while at < len(text.rstrip()):
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
        at = len(text) - len(text[at:].lstrip())
    edited = documents[-1]
    assert edited["body"] == "First! (edited)"
    thread = documents[-2]["items"]
    assert [c["html"] for c in thread] == ["<p>First!</p>\n", "<p>Welcome, Ann.</p>\n"]
    assert thread[1]["parent_id"] == thread[0]["id"]
