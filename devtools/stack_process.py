"""Start `make run`'s stack as a child process on a free port and wait until it answers."""

from __future__ import annotations

import contextlib
import http.client
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
            return self.kill()  # never leave a stack behind, even one that hangs on the way out
        finally:
            self._kill_group()  # anything the stack started, even when it exited itself

    def kill(self) -> int:
        """SIGKILL to the stack and everything it started (its own process group)."""
        self._kill_group()
        return self.process.wait(timeout=30)

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _answers(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=timeout) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return False  # refused, reset, timed out (TimeoutError is an OSError) or half an answer: not yet


def start(log_dir: Path, data: str = "none", **env: str) -> StackProcess:
    """The stack, answering /health; if it does not (in time, or at all), nothing of it is left running."""
    port = free_port()
    log = log_dir / f"stack-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    environment.update(env)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.local_stack", "--port", str(port), "--data", data],
            cwd=PROJECT, env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it stops all it started
        )
    stack = StackProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        startup_seconds = STARTUP_SECONDS
        deadline = time.monotonic() + startup_seconds
        while (left := deadline - time.monotonic()) > 0:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited early:\n{log.read_text()}")
            if _answers(stack.url, timeout=min(5.0, left)):
                return stack
            time.sleep(0.2)  # polling for readiness, not waiting for an outcome
        raise RuntimeError(f"the local stack did not answer in {startup_seconds:g} s:\n{log.read_text()}")
    except BaseException:
        stack.kill()  # whatever went wrong here (even Ctrl-C), no orphaned stack
        raise
