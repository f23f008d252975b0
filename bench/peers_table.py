"""The arithmetic and the table of `make bench-peers`: medians, ratios, dollars per million views.

Pure functions: bench/peers.py measures, this turns measurements into the rows the README,
docs/against-isso.md (through docs/budgets/peers.md) and the terminal show.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chalicelib.blog.prices import PRICES_AS_OF, for_region

# CloudFront, us-east-1, as docs/caching.md prices it (aws.amazon.com/cloudfront/pricing): per HTTPS request,
# and per byte out to the internet (the first 10 TB a month). EC2's own transfer out, for Isso's VM.
CDN_REQUEST = 0.0100 / 10_000
CDN_BYTE = 0.085 / 1e9
EC2_BYTE = 0.09 / 1e9
MONTH_HOURS = 730
# The load a VM must hold: a million views in a 30-day month, its busiest hour at PEAK times the mean rate.
MONTHLY_VIEWS = 1_000_000
PEAK = 10
README_START = "<!-- bench-peers: start (written by `make bench-peers`) -->"
README_END = "<!-- bench-peers: end -->"


@dataclass(frozen=True)
class Vm:
    """An on-demand VM: burstable, so what it holds for a month is its baseline share of its vCPUs."""

    name: str
    hourly: float
    vcpus: int
    baseline: float  # the share of each vCPU it may use all month
    memory_mb: int
    disk_monthly: float  # its root volume


# AWS EC2 on-demand, us-east-1, Linux (aws.amazon.com/ec2/pricing/on-demand/, aws.amazon.com/ec2/instance-types/t4/
# for the baselines) with an 8 GB gp3 root volume at $0.08 per GB-month (aws.amazon.com/ebs/pricing/);
# smallest first. Copied, like chalicelib/blog/prices.py, as of PRICES_AS_OF, not re-read here (no internet).
VMS = (
    Vm("t4g.nano", 0.0042, 2, 0.05, 512, 0.64),
    Vm("t4g.micro", 0.0084, 2, 0.10, 1024, 0.64),
    Vm("t4g.small", 0.0168, 2, 0.20, 2048, 0.64),
    Vm("t4g.medium", 0.0336, 2, 0.20, 4096, 0.64),
)


@dataclass(frozen=True)
class Row:
    """One measure for both systems; lower is better for every row."""

    name: str
    ours: float
    isso: float
    unit: str = ""
    digits: int = 0

    @property
    def ratio(self) -> float:
        return self.ours / self.isso if self.isso else math.inf

    @property
    def verdict(self) -> str:
        return "ahead" if self.ratio < 1 else "even" if self.ratio == 1 else "behind"

    def shown(self, value: float) -> str:
        return f"{value:,.{self.digits}f}{self.unit}"


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no runs to take a median of")
    return float(statistics.median(values))


def ours_per_million(per_view: dict[str, float]) -> float:
    """Dollars for a million views from the units one view used, at the project's published prices.

    ``per_view``: origin_requests (API Gateway + Lambda invocations), gb_seconds, read_units, write_units,
    edge_requests and edge_bytes (CloudFront).
    """
    _, price = for_region("us-east-1")
    one = (per_view["origin_requests"] * (price["api_request"] + price["lambda_request"])
           + per_view["gb_seconds"] * price["lambda_gb_second"] + per_view["read_units"] * price["read_unit"]
           + per_view["write_units"] * price["write_unit"]
           + per_view["edge_requests"] * CDN_REQUEST + per_view["edge_bytes"] * CDN_BYTE)
    return one * 1_000_000


def smallest_vm(cpu_seconds_per_view: float, memory_mb: float) -> tuple[Vm, str]:
    """The smallest VM that holds MONTHLY_VIEWS: within its baseline over the month, its vCPUs at the peak,
    and the server's memory in half its own. The reason is said, for the table's note."""
    month_views_per_second = MONTHLY_VIEWS / (30 * 86_400)
    peak = month_views_per_second * PEAK
    for vm in VMS:
        month = vm.vcpus * vm.baseline * 30 * 86_400 / cpu_seconds_per_view
        burst = vm.vcpus / cpu_seconds_per_view
        if month >= MONTHLY_VIEWS and burst >= peak and memory_mb <= vm.memory_mb / 2:
            return vm, (f"{vm.name}: holds {month / 1e6:.1f} M views a month at its {vm.baseline:.0%} baseline, "
                        f"{burst:.0f} views/s bursting against a peak of {peak:.1f}")
    raise ValueError(f"no VM in the table holds {MONTHLY_VIEWS:,} views a month")


def isso_per_million(cpu_seconds_per_view: float, memory_mb: float, bytes_per_view: float) -> tuple[float, str]:
    """Dollars for a million views on the smallest VM that holds them (a month's price), plus its transfer."""
    vm, why = smallest_vm(cpu_seconds_per_view, memory_mb)
    monthly = vm.hourly * MONTH_HOURS + vm.disk_monthly
    return monthly * 1_000_000 / MONTHLY_VIEWS + bytes_per_view * EC2_BYTE * 1_000_000, why


def markdown(rows: Sequence[Row], meta: dict[str, str]) -> str:
    """The side-by-side table, with the run's date and machine above it."""
    out = [f"Measured {meta['date']} on {meta['machine']}; medians of {meta['runs']} interleaved runs; "
           f"ratios are ours ÷ Isso (below 1: we are ahead).", "",
           "| measure | ours | Isso 0.14 | ours ÷ Isso | |", "|---|---|---|---|---|"]
    out += [f"| {row.name} | {row.shown(row.ours)} | {row.shown(row.isso)} | {row.ratio:.2f}× | {row.verdict} |"
            for row in rows]
    return "\n".join(out) + "\n"


def terminal(rows: Sequence[Row]) -> str:
    cells = [("measure", "ours", "Isso", "ours/Isso", "")]
    cells += [(row.name, row.shown(row.ours), row.shown(row.isso), f"{row.ratio:.2f}", row.verdict) for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                     for line in cells)


def record(path: Path, rows: Sequence[Row], meta: dict[str, str], notes: Sequence[str]) -> None:
    """``path`` (JSON) and its Markdown beside it (docs/against-isso.md includes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "rows": [asdict(row) for row in rows], "notes": list(notes)},
                               indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    body = markdown(rows, meta) + "".join(f"\n- {note}" for note in notes) + ("\n" if notes else "")
    path.with_suffix(".md").write_text("<!-- Written by `make bench-peers` (bench/peers.py); do not edit by hand. -->"
                                       "\n\n" + body, encoding="utf-8")


def with_table(readme: str, table: str) -> str:
    """``readme`` with the table between its bench-peers markers (which must be there, once)."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if len(pattern.findall(readme)) != 1:
        raise ValueError("the README has no bench-peers markers (or more than one pair)")
    return pattern.sub(lambda _: f"{README_START}\n{table}{README_END}", readme)


def prices_note() -> str:
    return (f"Prices: AWS us-east-1 on-demand as of {PRICES_AS_OF} (chalicelib/blog/prices.py; CloudFront and EC2 "
            "from their aws.amazon.com pricing pages), not re-read on the day of the run.")


def loaded(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
