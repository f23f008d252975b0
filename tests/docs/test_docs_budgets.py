"""`make bench` records its figures for the Budgets page: each run merges its groups, keeping the others."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import Figure, at_most, info, record

ORDER = ["dynamo", "widget", "stackload"]


def test_a_run_records_its_groups_and_the_page_shows_each_with_its_verdict(tmp_path: Path) -> None:
    figures = tmp_path / "latest.json"
    record(figures, {"widget": [at_most("widget", "widget.js, gzipped", 12.3, 15, " KB", digits=1),
                                info("widget", "widget.css", "5.3 KB", "1.8 KB gzipped")]}, ORDER)

    page = figures.with_suffix(".md").read_text(encoding="utf-8")
    assert "| widget.js, gzipped | 12.3 KB | ≤ 15.0 KB | ok |" in page
    assert "| widget.css | 5.3 KB | (info) | - | 1.8 KB gzipped |" in page
    assert "### dynamo\n\nNot measured yet" in page and "### stackload\n\nNot measured yet" in page
    assert page.index("### dynamo") < page.index("### widget") < page.index("### stackload")


def test_a_later_run_of_other_groups_keeps_the_earlier_figures(tmp_path: Path) -> None:
    figures = tmp_path / "latest.json"
    record(figures, {"widget": [at_most("widget", "weight", 12.0, 15, " KB")]}, ORDER)
    record(figures, {"dynamo": [at_most("dynamo", "round trips", 3, 2)]}, ORDER)

    recorded = json.loads(figures.read_text(encoding="utf-8"))
    assert set(recorded) == {"widget", "dynamo"}
    assert Figure(**recorded["dynamo"]["figures"][0]).met is False
    page = figures.with_suffix(".md").read_text(encoding="utf-8")
    assert "| round trips | 3 | ≤ 2 | OVER |" in page and "| weight | 12 KB | ≤ 15 KB | ok |" in page


def test_a_pipe_in_a_note_does_not_break_the_table(tmp_path: Path) -> None:
    figures = tmp_path / "latest.json"
    record(figures, {"widget": [info("widget", "sorts", "3", "oldest|newest|score")]}, ORDER)
    assert "oldest\\|newest\\|score" in figures.with_suffix(".md").read_text(encoding="utf-8")
