"""devtools/stack_process.py: a stack that does not become healthy is stopped, never left running."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devtools import stack_process


def _gone(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is None:
        return False
    try:
        os.killpg(process.pid, 0)  # anything left of its process group?
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every process stack_process starts, so a test can check it is gone."""
    seen: list[subprocess.Popen[bytes]] = []
    real = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = real(*args, **kwargs)
        seen.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording)
    return seen


def test_a_health_check_that_times_out_stops_the_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       started: list[subprocess.Popen[bytes]]) -> None:
    # A stack too slow to answer /health: the read times out (TimeoutError, not a URLError).
    def slow(*_: Any, **__: Any) -> Any:
        raise TimeoutError("timed out")

    monkeypatch.setattr(urllib.request, "urlopen", slow)
    monkeypatch.setattr(stack_process, "STARTUP_SECONDS", 2)
    with pytest.raises(RuntimeError, match="did not answer in 2 s"):
        stack_process.start(tmp_path)
    assert len(started) == 1
    assert _gone(started[0])


def test_a_stack_that_is_not_healthy_in_time_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       started: list[subprocess.Popen[bytes]]) -> None:
    monkeypatch.setattr(stack_process, "STARTUP_SECONDS", 0.3)  # far less than the stack needs to start
    with pytest.raises(RuntimeError, match="did not answer"):
        stack_process.start(tmp_path)
    assert len(started) == 1
    assert _gone(started[0])
