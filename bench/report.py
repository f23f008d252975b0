"""Figures and their budgets, printed as one table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
