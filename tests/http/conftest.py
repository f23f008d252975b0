"""The real local stack over real HTTP: `python -m devtools.local_stack` in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

PROJECT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalStack:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, body: Any, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.url + path, json=body, headers=headers, timeout=30, **kwargs)

    def stop(self) -> int:
        """SIGTERM, as a terminal's Ctrl-C or a process manager would send."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def start_stack(tmp: Path, data: str = "none", **env: str) -> LocalStack:
    port = free_port()
    log = tmp / f"stack-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    environment.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_stack", "--port", str(port), "--data", data],
        cwd=PROJECT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
    )
    stack = LocalStack(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited early:\n{log.read_text()}")
        try:
            if stack.get("/health").status_code == 200:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.2)  # polling for readiness, not waiting for an outcome
    stack.stop()
    raise RuntimeError(f"the local stack did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture(scope="module")
def admin_token(stack: LocalStack) -> str:
    from devtools.seed import LOCAL_ADMIN

    reply = stack.post("/auth/login", {"email": LOCAL_ADMIN["email"], "password": LOCAL_ADMIN["password"]})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])
