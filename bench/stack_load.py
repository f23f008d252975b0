"""`make run` under sustained load: how much the process grows, and how fast it stops.

The local stack (`python -m devtools.local_stack`, snapshotting to a temporary
file) starts on a free loopback port; a few threads send a bounded number of
mixed requests (reads, anonymous comments, votes), and the stack's resident
memory (VmRSS in /proc) is sampled as they go. Then SIGTERM, timed until the
process has exited (snapshot saved, moto stopped).

Run alone for the samples: ``python -m bench.stack_load --requests 2000``.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.report import Figure, at_most, info
from devtools import stack_process
from devtools.offline_aws import use_offline_aws

SECTION = "make run under load (loopback)"
REQUESTS = 10_000
WORKERS = 4
BUDGET_GROWTH_MB = 300.0
BUDGET_EXIT_SECONDS = 5.0
WAIT_FOR_EXIT_SECONDS = 300  # past the budget, how long to wait before killing it (and saying so)
TIMEOUT = 60


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (no psutil needed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Load:
    """Mixed traffic against one stack, in every 20 requests: 16 reads, a new comment and 3 votes.

    Votes come from 50 voters who change their minds, so they rewrite items
    rather than add them; the table grows by the comments alone (about 3 items
    each), as a blog's does, and what grows beyond that is the process's own.
    """

    url: str
    slugs: list[str]
    comment_ids: list[str]
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def one(self, session: requests.Session, n: int) -> None:
        slug = self.slugs[n % len(self.slugs)]
        kind = n % 20
        with self.lock:
            comment = self.comment_ids[-1 - (n % min(len(self.comment_ids), 20))]
        if kind in (0, 1, 2, 3):
            reply = session.get(f"{self.url}/posts", timeout=TIMEOUT)
        elif kind in (4, 5, 6, 7, 8, 9):
            reply = session.get(f"{self.url}/posts/{slug}", params={"embed": "comments"}, timeout=TIMEOUT)
        elif kind in (10, 11, 12, 13):
            reply = session.get(f"{self.url}/posts/{slug}/comments", timeout=TIMEOUT)
        elif kind in (14, 15):
            reply = session.get(f"{self.url}/comments/{comment}", timeout=TIMEOUT)
        elif kind == 16:
            reply = session.post(f"{self.url}/posts/{slug}/comments", timeout=TIMEOUT,
                                 json={"body": f"Load comment {n}: nothing to see.", "author_name": f"L{n % 50}"})
            if reply.status_code == 201:
                with self.lock:
                    self.comment_ids.append(reply.json()["comment"]["id"])
        else:
            reply = session.post(f"{self.url}/comments/{comment}/vote", timeout=TIMEOUT,
                                 json={"value": 1 if n % 3 else -1}, headers={"X-Voter-Token": f"voter-{n % 50}"})
        with self.lock:
            self.statuses[reply.status_code] += 1


def drive(load: Load, total: int, workers: int, every: int, sample: Callable[[int], None]) -> None:
    """``total`` requests from ``workers`` threads; ``sample(done)`` after every ``every`` of them."""
    counter = itertools.count()
    done = itertools.count(1)
    sample_lock = threading.Lock()
    halt = threading.Event()  # interrupted (Ctrl-C, SIGTERM): the clients stop too

    def worker(_: int) -> None:
        with requests.Session() as session:
            while not halt.is_set() and (n := next(counter)) < total:
                load.one(session, n)
                finished = next(done)
                if finished % every == 0:
                    with sample_lock:
                        sample(finished)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            list(pool.map(worker, range(workers)))
        finally:
            halt.set()


def stop_timed(process: subprocess.Popen[bytes]) -> tuple[float, bool]:
    """Seconds from SIGTERM to exit; False when it had to be killed."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=WAIT_FOR_EXIT_SECONDS)
        return time.monotonic() - started, True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
        return time.monotonic() - started, False


@dataclass(frozen=True)
class Outcome:
    samples: list[tuple[int, float]]  # (requests done, RSS in MB); the first is before any load
    seconds: float
    statuses: Counter[int]
    exit_seconds: float
    exited: bool

    @property
    def growth_mb(self) -> float:
        return self.samples[-1][1] - self.samples[0][1]


def run(total: int = REQUESTS, workers: int = WORKERS, every: int = 1000,
        show: Callable[[str], None] = lambda line: None) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="stack-load-") as tmp:
        # Every simulated reader shares 127.0.0.1: lift the per-address comment limit.
        running = stack_process.start(Path(tmp), data=str(Path(tmp) / "data.json"), COMMENT_RATE_LIMIT="1000000/60")
        pid = running.process.pid
        try:
            posts = requests.get(f"{running.url}/posts", timeout=TIMEOUT).json()["items"]
            slugs = [p["slug"] for p in posts]
            first = requests.post(f"{running.url}/posts/{slugs[0]}/comments", timeout=TIMEOUT,
                                  json={"body": "The first of many.", "author_name": "Load"})
            first.raise_for_status()
            load = Load(running.url, slugs, [first.json()["comment"]["id"]])
            samples = [(0, rss_mb(pid))]
            show(f"{0:>7} requests  RSS {samples[0][1]:8.1f} MB")
            started = time.monotonic()

            def sample(done: int) -> None:
                samples.append((done, rss_mb(pid)))
                show(f"{done:>7} requests  RSS {samples[-1][1]:8.1f} MB  {time.monotonic() - started:6.1f} s")

            drive(load, total, workers, every, sample)
            seconds = time.monotonic() - started
            if samples[-1][0] != total:
                samples.append((total, rss_mb(pid)))
        finally:
            exit_seconds, exited = stop_timed(running.process)
        show(f"exit after SIGTERM: {exit_seconds:.1f} s" + ("" if exited else " (killed)"))
        return Outcome(samples, seconds, load.statuses, exit_seconds, exited)


def measure(total: int = REQUESTS) -> list[Figure]:
    outcome = run(total)
    failed = sum(count for status, count in outcome.statuses.items() if status >= 400)
    return [
        info(SECTION, f"{total:,} mixed requests ({WORKERS} clients)", f"{outcome.seconds:.0f} s",
             f"{total / outcome.seconds:.0f}/s; {failed} answered 4xx/5xx"),
        at_most(SECTION, f"RSS growth after {total:,} requests", outcome.growth_mb, BUDGET_GROWTH_MB, " MB",
                note=f"{outcome.samples[0][1]:.0f} → {outcome.samples[-1][1]:.0f} MB"),
        at_most(SECTION, "exit after SIGTERM", outcome.exit_seconds, BUDGET_EXIT_SECONDS, " s", digits=1,
                note="snapshot saved, moto stopped" if outcome.exited else "did not exit: killed"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stack_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--every", type=int, default=1000, help="sample RSS after this many requests")
    args = parser.parse_args(argv)
    # Stopped from outside (a timeout), still stop the stack: SystemExit runs run()'s finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    use_offline_aws()
    outcome = run(args.requests, args.workers, args.every, show=lambda line: print(line, flush=True))
    print(f"statuses: {dict(sorted(outcome.statuses.items()))}; growth {outcome.growth_mb:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
