"""Start `make run`'s stack as a child process on a free port and wait until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class StackProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> int:
        """SIGTERM, as a terminal's Ctrl-C or a process manager would send."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never leave a stack behind, even one that hangs on the way out
            return self.process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


def start(log_dir: Path, data: str = "none", **env: str) -> StackProcess:
    port = free_port()
    log = log_dir / f"stack-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    environment.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_stack", "--port", str(port), "--data", data],
        cwd=PROJECT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    stack = StackProcess(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited early:\n{log.read_text()}")
        if _answers(stack.url):
            return stack
        time.sleep(0.2)  # polling for readiness, not waiting for an outcome
    stack.stop()
    raise RuntimeError(f"the local stack did not answer in {STARTUP_SECONDS} s:\n{log.read_text()}")
