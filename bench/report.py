"""Figures and their budgets, printed as one table, and recorded for the docs' Budgets page."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``met`` is None for figures reported without a budget."""

    section: str
    name: str
    measured: str
    budget: str
    met: bool | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "OVER", None: "-"}[self.met]


def at_most(section: str, name: str, value: float, limit: float, unit: str = "", note: str = "",
            digits: int = 0) -> Figure:
    shown = f"{value:.{digits}f}{unit}"
    return Figure(section, name, shown, f"≤ {limit:.{digits}f}{unit}", value <= limit, note)


def info(section: str, name: str, measured: str, note: str = "") -> Figure:
    return Figure(section, name, measured, "", None, note)


def render(figures: Sequence[Figure]) -> str:
    headers = ("figure", "measured", "budget", "", "note")
    rows = [(f.name, f.measured, f.budget or "(info)", f.verdict, f.note) for f in figures]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    section = None
    for figure, row in zip(figures, rows, strict=True):
        if figure.section != section:
            section = figure.section
            out.append(f"[{section}]")
        out.append(line(row))
    return "\n".join(out)


def all_met(figures: Sequence[Figure]) -> bool:
    return all(f.met is not False for f in figures)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def record(path: Path, runs: Mapping[str, Sequence[Figure]], order: Sequence[str]) -> None:
    """Merge this run's groups into ``path`` (JSON) and write the Markdown the Budgets page includes beside it.

    A group not run this time keeps its last recorded figures, so `make budgets` and `make bench` both
    leave a complete page; each group says when and where it was measured.
    """
    recorded: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    measured_on = f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
    for group, figures in runs.items():
        recorded[group] = {"measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           "measured_on": measured_on, "figures": [asdict(f) for f in figures]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown(recorded, order), encoding="utf-8")


def markdown(recorded: Mapping[str, Mapping[str, Any]], order: Sequence[str]) -> str:
    """The recorded figures as Markdown tables, one per group, in the bench's order."""
    out = ["<!-- Written by `make bench` (bench/report.py); do not edit by hand. -->", ""]
    for group in order:
        if group not in recorded:
            out += [f"### {group}", "", "Not measured yet: `python -m bench.run --only "
                    f"{group} --record docs/budgets/latest.json`.", ""]
            continue
        entry = recorded[group]
        figures = [Figure(**fields) for fields in entry["figures"]]
        out += [f"### {group}", "", f"Measured {entry['measured_at']} ({entry['measured_on']}).", "",
                "| figure | measured | budget | | note |", "|---|---|---|---|---|"]
        out += [f"| {_cell(f.name)} | {_cell(f.measured)} | {_cell(f.budget or '(info)')} | {f.verdict} "
                f"| {_cell(f.note)} |" for f in figures]
        out.append("")
    return "\n".join(out)
