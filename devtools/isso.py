"""Isso 0.14, the self-hosted comment server `make bench-peers` measures us against.

``python -m devtools.isso`` installs it from PyPI into its own virtualenv under
.tools/isso (once: a second call finds it there), apart from .venv, because
Isso pins its own Werkzeug and Jinja. ``running`` starts it on a free loopback port with
its default SQLite store and a configuration written to a private folder: moderation
off, and Isso's guard (its per-address rate limit of 2 comments a minute and its
reply rules) off, so a bench can post a 200-comment thread through Isso's own API.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
VERSION = "0.14.0"
HOME = PROJECT / ".tools" / "isso"
EXECUTABLE = HOME / "bin" / "isso"
_MARKER = HOME / f".installed-{VERSION}"
STARTUP_SECONDS = 60


def install() -> Path:
    """Isso VERSION in .tools/isso (idempotent: nothing is fetched when it is there)."""
    if _MARKER.exists() and EXECUTABLE.exists():
        return EXECUTABLE
    if not (HOME / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(HOME)], check=True)
    subprocess.run([str(HOME / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"isso=={VERSION}"], check=True)
    _MARKER.touch()
    return EXECUTABLE


def config(port: int, site: str, db: Path) -> str:
    """Isso's configuration: its SQLite file ``db``, answering pages of ``site`` (CORS), on ``port``."""
    return f"""[general]
dbpath = {db}
host = {site}
notify = stdout
gravatar = false

[moderation]
enabled = false

[server]
listen = http://127.0.0.1:{port}/

[guard]
enabled = false
require-author = false
require-email = false
"""


@dataclass
class IssoProcess:
    process: subprocess.Popen[bytes]
    url: str
    db: Path
    log: Path


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/config", timeout=5) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextlib.contextmanager
def running(folder: Path, port: int, site: str) -> Iterator[IssoProcess]:
    """Isso on 127.0.0.1:``port`` for pages of ``site``, its files in ``folder``; stopped on leaving."""
    executable = install()
    conf = folder / "isso.cfg"
    db = folder / "comments.db"
    conf.write_text(config(port, site, db))
    log = folder / "isso.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(executable), "-c", str(conf), "run"], stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    isso = IssoProcess(process, f"http://127.0.0.1:{port}", db, log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(isso.url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Isso did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)  # polling for readiness, not waiting for an outcome
        yield isso
    finally:
        _stop(process)


if __name__ == "__main__":
    print(install())
