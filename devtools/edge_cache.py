"""A real HTTP cache in front of the local stack: Debian's nginx with proxy_cache.

``make run-cached`` runs `make run`'s stack on PORT (8000) and the cache on
CACHE_PORT (8080), both on loopback; Ctrl-C or SIGTERM stops both. The tests
(tests/http/test_edge_cache.py) and ``make bench`` (bench/edge_cache.py) start
their own on free ports with ``start``. nginx comes from devtools/install_nginx.sh;
its configuration is devtools/nginx-cache.conf.template, written to a private
folder per run (the cache's files live there too and go with it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from string import Template

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATE = PROJECT / "devtools" / "nginx-cache.conf.template"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
STARTUP_SECONDS = 20


def render(port: int, upstream_port: int, state: Path) -> str:
    """The nginx configuration: listen on ``port``, cache the API on ``upstream_port``, files under ``state``."""
    return Template(TEMPLATE.read_text()).substitute(port=port, upstream_port=upstream_port, state=state)


class EdgeCache:
    """A running nginx cache; ``stop`` ends it and removes its files."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, state: Path) -> None:
        self.process = process
        self.url = url
        self.state = state

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.state, ignore_errors=True)


def _answers(url: str, health: str = "/health") -> bool:
    try:
        with urllib.request.urlopen(url + health, timeout=5) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(port: int, upstream_port: int, health: str = "/health") -> EdgeCache:
    """nginx on 127.0.0.1:``port`` in front of the API on ``upstream_port``, answering ``health`` through it.

    ``health`` is another server's own ready check when the cache fronts another (Isso's /config, bench/peers.py).
    """
    if not Path(NGINX).exists():
        raise FileNotFoundError(f"no nginx at {NGINX}: run devtools/install_nginx.sh (or set NGINX)")
    state = Path(tempfile.mkdtemp(prefix="blog-cache-"))
    # Run as root, nginx's workers are another user (nobody): they must reach the cache's folders.
    state.chmod(0o755)
    config = state / "nginx.conf"
    config.write_text(render(port, upstream_port, state))
    log = (state / "nginx.out").open("wb")
    process = subprocess.Popen([NGINX, "-p", str(state), "-c", str(config), "-e", str(state / "error.log")],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cache = EdgeCache(process, f"http://127.0.0.1:{port}", state)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            message = (state / "nginx.out").read_text() + (state / "error.log").read_text()
            cache.stop()
            raise RuntimeError(f"nginx exited early:\n{message}")
        if _answers(cache.url, health):
            return cache
        time.sleep(0.1)  # polling for readiness, not waiting for an outcome
    errors = (state / "error.log").read_text() if (state / "error.log").exists() else ""
    cache.stop()
    raise RuntimeError(f"nginx did not answer in {STARTUP_SECONDS} s:\n{errors[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="the API's port")
    parser.add_argument("--cache-port", type=int, default=int(os.environ.get("CACHE_PORT", "8080")))
    args = parser.parse_args(argv)
    stack = subprocess.Popen([sys.executable, "-m", "devtools.local_stack", "--port", str(args.port)], cwd=PROJECT)
    cache: EdgeCache | None = None

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{args.port}"):
            if stack.poll() is not None or time.monotonic() > deadline:
                print("the local stack did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)  # polling for readiness
        cache = start(args.cache_port, args.port)
        print(f"cached: {cache.url} (in front of http://127.0.0.1:{args.port}); "
              f"X-Cache-Status says HIT, MISS, EXPIRED or REVALIDATED", flush=True)
        stack.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if cache is not None:
            cache.stop()
        if stack.poll() is None:
            stack.send_signal(signal.SIGTERM)  # it saves the table on the way out
            with contextlib.suppress(subprocess.TimeoutExpired):
                stack.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
