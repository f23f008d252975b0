"""``python -m bench.run``: measure every budget of DESIGN.md §5 and say whether each is met.

Exit status 0 when every budget is met, 1 when any is not. Budgets are checked
against counts (round trips, items examined) and ratios, which do not depend on
the machine; wall-clock latency under moto is printed for information only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    coldstart,
    console,
    dynamo,
    edge_cache,
    fresh_clone,
    importing,
    live_threads,
    package,
    rendering_worst,
    sanitising,
    search_units,
    stack_load,
    thread_view,
    widget,
    write_units,
)
from bench.harness import configure_environment
from bench.report import Figure, all_met, record, render


def _dynamo() -> list[Figure]:
    trips, latency = dynamo.round_trips()
    return [*trips, *dynamo.items_examined(), *dynamo.vote_limit(), *latency]


# In the order they print; `--only` picks some (CI runs the deploy budgets: coldstart, package and widget).
# stackload (`make run` under 10,000 requests, then SIGTERM) takes minutes on moto: `make bench` only.
GROUPS: dict[str, Callable[[], list[Figure]]] = {
    "dynamo": _dynamo,
    "coldstart": coldstart.measure,
    "sanitising": sanitising.measure,
    "rendering": rendering_worst.measure,
    "package": package.measure,
    "widget": widget.measure,
    "writeunits": write_units.measure,
    "searchunits": search_units.measure,
    "console": console.measure,
    "stackload": stack_load.measure,
    # A fresh clone to make run's first answer, pip cache cold then warm: wall time, `make bench` only.
    "freshclone": fresh_clone.measure,
    # A generated export (100 posts written into a stack; dry runs of 10,000 posts for memory): minutes.
    "importing": importing.measure,
    "edgecache": edge_cache.measure,
    # A 200-comment thread in Chromium through nginx: requests, bytes, form tokens, origin requests.
    "threadview": thread_view.measure,
    # 100 pages open on a post for 10 minutes (on a clock compressed 5 times) through nginx: origin requests.
    "livethreads": live_threads.measure,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(GROUPS)}")
    parser.add_argument("--record", type=Path, metavar="JSON",
                        help="merge the figures into this file and write its .md beside it (the docs' Budgets page)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(GROUPS)
    unknown = set(chosen) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    configure_environment()
    started = time.perf_counter()
    figures: list[Figure] = []
    for name in chosen:
        measured = GROUPS[name]()
        figures += measured
        if args.record:  # after each group, so a long run cut short keeps what it measured
            record(args.record, {name: measured}, list(GROUPS))
    print(render(figures))
    print()
    over = [f for f in figures if f.met is False]
    took = time.perf_counter() - started
    if over:
        print(f"BUDGETS NOT MET: {len(over)} of {sum(f.met is not None for f in figures)} "
              f"({', '.join(f.name for f in over)}) [{took:.0f} s]")
    else:
        print(f"ALL BUDGETS MET: {sum(f.met is not None for f in figures)} checked [{took:.0f} s]")
    return 0 if all_met(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
