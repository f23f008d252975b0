"""`make bench-peers`: this blog against Isso 0.14 on one machine, in one interleaved run.

Both systems hold the same 200-comment thread (bench/peers_thread.py; bench/peers_stacks.py
loads it into Isso through its API, then into ours by importing Isso's database), each
behind the project's nginx cache configuration. Then:

1. Chromium, RUNS times each, ours then Isso (A B A B …), at 0 ms and at 50 ms added
   latency per request: a first visit with an empty cache and a repeat visit
   (bench/peers_browser.py): time to the first and to the last comment in the DOM, bytes
   received, requests sent.
2. VIEWS views replayed through nginx (the API requests the widget made on a first visit,
   as it made them), with WRITES new comments spread across them, on a schedule of one
   view every PACE seconds, REPLAYERS at a time: the requests that reached each origin.
3. The widget's files, gzipped as served.
4. Isso under load on one core (LOAD_CLIENTS clients for LOAD_SECONDS): views per second
   and CPU seconds per view, to find the smallest VM that holds a million views a month.
   Ours is priced from the units its origin used in step 2 (bench/peers_table.py).

Prints the table; ``--record`` writes it beside docs/budgets (docs/against-isso.md includes
it) and ``--readme`` puts it in the README between its bench-peers markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.peers_browser import ApiRequest, Visit, recorded, visits
from bench.peers_stacks import System, new_comment, systems
from bench.peers_table import Row, isso_per_million, median, ours_per_million, prices_note, terminal, with_table
from bench.peers_table import record as record_table
from bench.peers_thread import COMMENTS, DEEP_REPLIES, REPLIES, thread

RUNS = int(os.environ.get("PEERS_RUNS", "15"))
LATENCIES = (0, 50)
VIEWS = 1000
WRITES = 10
PACE = 0.04  # seconds between two views' starts: 25 views a second, so 1,000 views span 40 s
REPLAYERS = 4  # readers at a time
LOAD_SECONDS = 10
LOAD_CLIENTS = 4
SYSTEMS = ("ours", "isso")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all its threads


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _browser(browser: Any, running: dict[str, System]) -> dict[tuple[str, int, str], list[Visit]]:
    runs: dict[tuple[str, int, str], list[Visit]] = {}
    for latency in LATENCIES:
        for number in range(RUNS):
            for name in SYSTEMS:  # interleaved: what the machine is doing at the time falls on both
                first, repeat = visits(browser, running[name], latency)
                for kind, visit in (("first", first), ("repeat", repeat)):
                    if visit.shown != COMMENTS:  # more would be something else counted as a comment
                        raise RuntimeError(f"{name}: {visit.shown} comments shown, not {COMMENTS}")
                    runs.setdefault((name, latency, kind), []).append(visit)
            print(f"  {latency} ms: run {number + 1} of {RUNS}", file=sys.stderr, flush=True)
    return runs


def _request_lines(log: Path, start: int) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in log.read_text().splitlines()[start:]
            if raw.startswith('{"level"') and '"event":"request"' in raw]


def _replay(system: System, calls: Sequence[ApiRequest]) -> dict[str, float]:
    """VIEWS views and WRITES comments through nginx; what reached the origin, and what it used.

    View ``n`` starts no sooner than ``n`` times PACE after the first, taken by whichever of REPLAYERS
    readers is free: a slow origin falls behind the schedule instead of being asked less.
    """
    access = system.cache.state / "access.log"
    start = len(access.read_text().splitlines())
    log_start = len(system.log.read_text().splitlines()) if system.log else 0
    cpu = _cpu_seconds(system.process_id)
    every = VIEWS // WRITES
    upcoming = iter(range(VIEWS))
    taking = threading.Lock()
    errors: list[str] = []  # answers 4xx or 5xx: a few are reported (a reader saw an error), over 1% ends the run
    failures: list[str] = []
    began = time.monotonic()

    def reader() -> None:
        with requests.Session() as session:
            while not failures:
                with taking:
                    view = next(upcoming, None)
                if view is None:
                    return
                time.sleep(max(0.0, began + view * PACE - time.monotonic()))  # keeping to the schedule
                errors.extend(_view(session, system, calls, view, every))
                with taking:
                    failures.extend(errors[:1] if len(errors) > VIEWS // 100 else [])

    readers = [threading.Thread(target=reader) for _ in range(REPLAYERS)]
    for thread_ in readers:
        thread_.start()
    for thread_ in readers:
        thread_.join()
    if failures:
        raise RuntimeError(f"{system.name}: {len(errors)} errors in the replay, for example {failures[0]}")
    took = time.monotonic() - began
    lines = access.read_text().splitlines()[start:]
    measured = {"took": took, "edge": float(len(lines)), "cpu": _cpu_seconds(system.process_id) - cpu,
                "errors": float(len(errors))}
    if system.log is None:
        measured["origin"] = float(sum(1 for line in lines if line.rsplit(" ", 1)[1] != "HIT"))
        return measured
    used = _request_lines(system.log, log_start)
    measured["origin"] = float(len(used))
    for unit in ("gb_seconds", "read_units", "write_units"):
        measured[unit] = sum(float(line[unit]) for line in used)
    return measured


def _view(session: requests.Session, system: System, calls: Sequence[ApiRequest], view: int, every: int) -> list[str]:
    """One view's requests (after a new comment, on every ``every``-th view); the answers that were errors."""
    if view % every == every // 2:
        method, path, body = new_comment(system, view // every + 1)
        written = session.request(method, system.api + path, json=body, timeout=120)
        if written.status_code not in (201, 202):
            return [f"comment refused: {written.status_code} {written.text[:300]}"]
    failed = []
    for call in calls:
        answer = session.request(call.method, system.api + call.path, headers=call.headers, data=call.body,
                                 timeout=120)
        if answer.status_code >= 400:
            failed.append(f"{call.path}: {answer.status_code}")
    session.cookies.clear()  # each view a new reader
    return failed


def _load(system: System, calls: Sequence[ApiRequest]) -> tuple[float, float]:
    """Isso pinned to one core, LOAD_CLIENTS clients replaying views straight at it: views/s, CPU s per view."""
    direct = f"http://127.0.0.1:{system.origin_port}"
    everywhere = os.sched_getaffinity(system.process_id)
    os.sched_setaffinity(system.process_id, {min(everywhere)})  # its request threads inherit this
    done = [0] * LOAD_CLIENTS
    deadline = time.monotonic() + LOAD_SECONDS

    def client(number: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < deadline:
                for call in calls:
                    session.request(call.method, direct + call.path, headers=call.headers, data=call.body,
                                    timeout=60).raise_for_status()
                done[number] += 1

    cpu = _cpu_seconds(system.process_id)
    began = time.monotonic()
    try:
        workers = [threading.Thread(target=client, args=(number,)) for number in range(LOAD_CLIENTS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        os.sched_setaffinity(system.process_id, everywhere)
    views = sum(done)
    return views / (time.monotonic() - began), (_cpu_seconds(system.process_id) - cpu) / max(1, views)


def _kilo(pair: tuple[float, float]) -> tuple[float, float]:
    return pair[0] / 1000, pair[1] / 1000


def _rows(runs: dict[tuple[str, int, str], list[Visit]], replayed: dict[str, dict[str, float]],
          weight: dict[str, float], dollars: dict[str, float]) -> list[Row]:
    def both(latency: int, kind: str, what: Callable[[Visit], float]) -> tuple[float, float]:
        values = [median([what(visit) for visit in runs[(name, latency, kind)]]) for name in SYSTEMS]
        return values[0], values[1]

    rows: list[Row] = []
    for latency in LATENCIES:
        for kind, label in (("first", "first visit"), ("repeat", "repeat visit")):
            at = f"{label}, +{latency} ms"
            if kind == "first":
                rows.append(Row(f"{at}: first comment in the DOM", *both(latency, kind, lambda v: v.first_ms), " ms"))
            rows += [Row(f"{at}: 200th comment in the DOM", *both(latency, kind, lambda v: v.last_ms), " ms"),
                     Row(f"{at}: bytes received", *_kilo(both(latency, kind, lambda v: v.bytes)), " KB", 1),
                     Row(f"{at}: requests", *both(latency, kind, lambda v: v.requests))]
    rows += [
        Row(f"{VIEWS:,} views + {WRITES} comments through nginx: origin requests",
            replayed["ours"]["origin"], replayed["isso"]["origin"]),
        Row("widget, gzipped as served", weight["ours"] / 1000, weight["isso"] / 1000, " KB", 1),
        Row("dollars per million views", dollars["ours"], dollars["isso"], "", 2),
    ]
    return rows


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    return f"{model}, {os.cpu_count()} cores shared with other work, Python {platform.python_version()}"


def measure() -> tuple[list[Row], list[str]]:
    from playwright.sync_api import sync_playwright

    from devtools import chromium
    from devtools.offline_aws import use_offline_aws

    use_offline_aws()
    comments = thread()
    with tempfile.TemporaryDirectory() as tmp, systems(Path(tmp), comments) as running, \
            sync_playwright() as playwright:
        print("both systems hold the thread; Chromium runs next", file=sys.stderr, flush=True)
        browser = chromium.launch(playwright)
        try:
            taken = {name: recorded(browser, running[name]) for name in SYSTEMS}
            runs = _browser(browser, running)
        finally:
            browser.close()
        calls = {name: taken[name][0] for name in SYSTEMS}
        weight = {name: float(sum(taken[name][1].values())) for name in SYSTEMS}
        replayed = {name: _replay(running[name], calls[name]) for name in SYSTEMS}
        print("views replayed; Isso under load next", file=sys.stderr, flush=True)
        per_second, cpu_per_view = _load(running["isso"], calls["isso"])
        memory = _rss_mb(running["isso"].process_id)
    ours = replayed["ours"]
    first_visits = {name: runs[(name, 0, "first")] for name in SYSTEMS}
    per_view = {"origin_requests": ours["origin"] / VIEWS, "gb_seconds": ours["gb_seconds"] / VIEWS,
                "read_units": ours["read_units"] / VIEWS, "write_units": ours["write_units"] / VIEWS,
                "edge_requests": median([v.requests for v in first_visits["ours"]]),
                "edge_bytes": median([v.bytes for v in first_visits["ours"]])}
    isso_dollars, vm = isso_per_million(cpu_per_view, memory, median([v.bytes for v in first_visits["isso"]]))
    dollars = {"ours": ours_per_million(per_view), "isso": isso_dollars}
    notes = [
        f"The thread: {COMMENTS} comments, {REPLIES} replies and {DEEP_REPLIES} replies to replies (which Isso "
        "stores under their top-level comment, so both show that), English, Russian and Japanese.",
        "Latency: Chromium's Network.emulateNetworkConditions, added to every request's response.",
        "Requests and bytes: what went to the network (the page itself included), bytes as received, headers "
        "included, uncompressed as both are served here.",
        "Widget files: " + "; ".join(f"{name}: " + ", ".join(f"{path} {size / 1000:.1f} KB"
                                                               for path, size in taken[name][1].items())
                                     for name in SYSTEMS) + " (gzip -9).",
        "A view's API requests: " + "; ".join(f"{name}: " + ", ".join(f"{c.method} {c.path.split('?')[0]}"
                                                                     for c in calls[name]) for name in SYSTEMS),
        f"{VIEWS:,} views scheduled at {1 / PACE:.0f} a second, {REPLAYERS} at a time: ours took "
        f"{ours['took']:.0f} s, Isso "
        f"{replayed['isso']['took']:.0f} s; ours behind nginx as `make run-cached` ships (pages kept 15 s); "
        f"answers that were errors: ours {replayed['ours']['errors']:.0f}, Isso {replayed['isso']['errors']:.0f}.",
        f"Isso used {replayed['isso']['cpu']:.1f} CPU seconds for those views; on one core, under "
        f"{LOAD_CLIENTS} clients, it held {per_second:.1f} views/s ({cpu_per_view * 1000:.0f} CPU ms a view), "
        f"in {memory:.0f} MB.",
        f"Dollars, ours: per view {per_view['origin_requests']:.3f} origin requests (API Gateway + Lambda), "
        f"{per_view['gb_seconds']:.5f} GB-s, {per_view['read_units']:.2f} read and "
        f"{per_view['write_units']:.3f} write units, {per_view['edge_requests']:.0f} CloudFront requests and "
        f"{per_view['edge_bytes'] / 1000:.0f} KB out. Isso: the smallest VM that holds a million views a month "
        f"with the busiest hour at 10× the mean, and its transfer out; {vm}.",
        prices_note(),
    ]
    return _rows(runs, replayed, weight, dollars), notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", type=Path, metavar="JSON", help="write the table here and its .md beside it")
    parser.add_argument("--readme", type=Path, help="put the table in this README, between its bench-peers markers")
    args = parser.parse_args(argv)
    rows, notes = measure()
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": _machine(), "runs": str(RUNS)}
    print(terminal(rows))
    print("\n".join(f"- {note}" for note in notes))
    if args.record:
        record_table(args.record, rows, meta, notes)
    if args.readme:
        from bench.peers_table import markdown

        args.readme.write_text(with_table(args.readme.read_text(encoding="utf-8"), markdown(rows, meta)),
                               encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
