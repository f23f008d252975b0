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


class _PortTaken(RuntimeError):
    """The free port picked for the stack was bound by another process before the stack bound it."""


def start(log_dir: Path, data: str = "none", **env: str) -> StackProcess:
    """The stack, answering /health; if it does not (in time, or at all), nothing of it is left running.

    A port found free can be taken by another server (a test worker's, binding port 0) before the stack binds
    it: then the stack is started again on another port, up to three times.
    """
    for attempt in range(3):
        try:
            return _start_on(free_port(), log_dir, data, **env)
        except _PortTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start_on(port: int, log_dir: Path, data: str, **env: str) -> StackProcess:
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
                said = log.read_text()
                kind = _PortTaken if "Address already in use" in said else RuntimeError
                raise kind(f"the local stack exited early:\n{said}")
            if _answers(stack.url, timeout=min(5.0, left)):
                return stack
            time.sleep(0.2)  # polling for readiness, not waiting for an outcome
        raise RuntimeError(f"the local stack did not answer in {startup_seconds:g} s:\n{log.read_text()}")
    except BaseException:
        stack.kill()  # whatever went wrong here (even Ctrl-C), no orphaned stack
        raise
