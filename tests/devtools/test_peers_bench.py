"""`make bench-peers`'s pure parts: the generated thread, the table's arithmetic, Isso's database into ours.

The bench itself (Isso, nginx, Chromium, minutes of runs) stays out of `make test`; these
are the pieces whose mistakes would make its table wrong without anything failing.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bench import peers_table
from bench.peers_stacks import PAGE, SLUG, isso_page, ours_page
from bench.peers_table import VMS, Row, isso_per_million, median, ours_per_million, smallest_vm, with_table
from bench.peers_thread import COMMENTS, DEEP_REPLIES, REPLIES, GeneratedComment, depth, isso_parents, thread
from devtools.isso import config
from tests.conftest import Api
from tests.importer.steps import SAMPLES, import_file

ISSO_DB = SAMPLES / "isso" / "isso-comments.db"


def _comment(index: int, parent: int | None) -> GeneratedComment:
    return GeneratedComment(index, parent, "Ada", "", f"Comment {index}")


# -- the thread -------------------------------------------------------------------

def test_the_thread_is_the_same_on_every_run_and_another_seed_gives_another() -> None:
    assert thread() == thread()
    assert thread(seed=1) != thread()


def test_the_thread_has_200_comments_with_replies_two_levels_deep() -> None:
    comments = thread()
    levels = Counter(depth(comments, c.index) for c in comments)
    assert len(comments) == COMMENTS
    assert levels == {0: COMMENTS - REPLIES - DEEP_REPLIES, 1: REPLIES, 2: DEEP_REPLIES}


def test_every_reply_comes_after_the_comment_it_answers() -> None:
    comments = thread()
    assert comments[0].parent is None
    assert all(c.parent is None or c.parent < c.index for c in comments)


def test_the_thread_speaks_russian_and_japanese_and_has_some_markdown() -> None:
    text = "\n".join(c.text for c in thread())
    assert "Спасибо" in text and "ありがとう" in text
    assert any(mark in text for mark in ("*", "`", "]("))
    assert any(c.author == "" and c.email == "" for c in thread())  # anonymous readers too


def test_isso_files_a_reply_to_a_reply_under_its_top_level_comment() -> None:
    comments = [_comment(0, None), _comment(1, 0), _comment(2, 1), _comment(3, None), _comment(4, 2)]
    assert isso_parents(comments) == [None, 0, 0, None, 0]


# -- the table ---------------------------------------------------------------------

def test_a_row_is_ahead_when_ours_is_lower_and_behind_when_higher() -> None:
    assert Row("time", 100, 400, " ms").ratio == 0.25
    assert Row("time", 100, 400).verdict == "ahead"
    assert Row("time", 500, 400).verdict == "behind"
    assert Row("time", 400, 400).verdict == "even"
    assert Row("weight", 14.24, 21.9, " KB", 1).shown(14.24) == "14.2 KB"


def test_a_median_is_the_middle_run_and_no_runs_is_refused() -> None:
    assert median([3, 1, 100]) == 3
    assert median([1, 2, 3, 10]) == 2.5
    with pytest.raises(ValueError, match="no runs"):
        median([])


def test_our_dollars_per_million_views_add_up_from_the_units_of_one_view() -> None:
    nothing = {"origin_requests": 0.0, "gb_seconds": 0.0, "read_units": 0.0, "write_units": 0.0,
               "edge_requests": 0.0, "edge_bytes": 0.0}
    assert ours_per_million(nothing) == 0
    # One API Gateway + Lambda request a view: $3.50 + $0.20 a million.
    assert ours_per_million({**nothing, "origin_requests": 1.0}) == pytest.approx(3.70)
    # Five CloudFront requests and 100 KB a view: $5.00 and 100 GB at $0.085.
    assert ours_per_million({**nothing, "edge_requests": 5.0, "edge_bytes": 100_000.0}) == pytest.approx(13.50)


def test_the_smallest_vm_that_holds_a_million_views_a_month_is_chosen() -> None:
    assert smallest_vm(0.05, 60)[0].name == "t4g.nano"
    # 0.5 CPU s a view: 500,000 CPU seconds a month, beyond the nano's 5% of 2 vCPUs (259,200).
    assert smallest_vm(0.5, 60)[0].name == "t4g.micro"
    # Memory: a server of 400 MB wants a 1 GB VM.
    assert smallest_vm(0.05, 400)[0].name == "t4g.micro"
    with pytest.raises(ValueError, match="no VM"):
        smallest_vm(60.0, 60)


def test_isso_s_dollars_are_its_vm_s_month_and_its_transfer_out() -> None:
    nano = VMS[0]
    dollars, why = isso_per_million(0.05, 60, 0)
    assert dollars == pytest.approx(nano.hourly * 730 + nano.disk_monthly)
    assert why.startswith("t4g.nano")
    with_transfer, _ = isso_per_million(0.05, 60, 200_000)
    assert with_transfer - dollars == pytest.approx(200 * 0.09)  # 200 GB out of EC2


def test_the_readme_table_is_replaced_between_its_markers_and_nowhere_else() -> None:
    readme = f"# Title\n\n{peers_table.README_START}\nold table\n{peers_table.README_END}\n\nThe rest.\n"
    updated = with_table(readme, "| new |\n")
    assert "old table" not in updated and "| new |" in updated and updated.endswith("\n\nThe rest.\n")
    with pytest.raises(ValueError, match="markers"):
        with_table("# A README without markers\n", "| new |\n")


def test_the_tables_markdown_says_when_where_and_which_way_each_row_goes() -> None:
    table = peers_table.markdown([Row("requests", 2, 6)], {"date": "2026-12-07 17:00 UTC", "machine": "a box",
                                                            "runs": "15"})
    assert "2026-12-07 17:00 UTC" in table and "a box" in table and "15" in table
    assert "| requests | 2 | 6 | 0.33× | ahead |" in table


# -- the pages and Isso's configuration -------------------------------------------------

def test_our_page_embeds_the_widget_with_the_snippet_of_the_docs() -> None:
    page = ours_page("http://127.0.0.1:9999")
    assert '<script src="http://127.0.0.1:9999/widget.js" async></script>' in page
    assert '<div id="comments"></div>' in page and "YOUR-API" not in page


def test_isso_s_page_embeds_its_script_and_thread_section_as_its_docs_say() -> None:
    page = isso_page("http://127.0.0.1:9998")
    assert 'data-isso="http://127.0.0.1:9998/"' in page and 'src="http://127.0.0.1:9998/js/embed.min.js"' in page
    assert '<section id="isso-thread"></section>' in page


def test_isso_runs_unmoderated_without_its_rate_limit_on_loopback(tmp_path: Path) -> None:
    text = config(8123, "http://127.0.0.1:8124", tmp_path / "comments.db")
    sections = {block.split("]", 1)[0]: block for block in text.split("[")[1:]}
    assert "enabled = false" in sections["moderation"] and "enabled = false" in sections["guard"]
    assert "listen = http://127.0.0.1:8123/" in text and "host = http://127.0.0.1:8124" in text


# -- Isso's database into ours ------------------------------------------------------------

def _isso_database(path: Path, comments: list[GeneratedComment]) -> None:
    """An Isso database (the real one's schema, tests' fixture) holding ``comments`` as Isso files them."""
    with closing(sqlite3.connect(ISSO_DB)) as real:
        schema = [sql for (sql,) in real.execute("SELECT sql FROM sqlite_master WHERE type = 'table'")]
    with closing(sqlite3.connect(path)) as db:
        for sql in schema:
            db.execute(sql)
        db.execute("INSERT INTO threads (id, uri, title) VALUES (1, ?, 'A busy thread')", (f"/{PAGE}",))
        for comment, parent in zip(comments, isso_parents(comments), strict=True):
            db.execute("INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author, email,"
                       " voters) VALUES (1, ?, ?, ?, 1, '127.0.0.0', ?, ?, ?, x'00')",
                       (comment.index + 1, None if parent is None else parent + 1, 1796632571.0 + comment.index,
                        comment.text, comment.author or None, comment.email or None))
        db.commit()


def test_the_thread_from_isso_s_database_arrives_whole_with_its_replies_under_their_parents(
        api: Api, tmp_path: Path) -> None:
    comments = thread()
    _isso_database(tmp_path / "comments.db", comments)

    report = import_file(tmp_path / "comments.db")

    assert report.comments == {"created approved": COMMENTS}
    listed: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get(f"/posts/{SLUG}/comments?limit=100{cursor}").json
        listed += page["items"]
        if not page.get("next_cursor"):
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert len(listed) == COMMENTS
    replies = [c for c in listed if c["parent_id"]]
    assert len(replies) == REPLIES + DEEP_REPLIES  # the second level came in flattened, as Isso keeps it
    by_id = {c["id"]: c for c in listed}
    assert all(by_id[c["parent_id"]]["parent_id"] is None for c in replies)
    assert api.get(f"/posts/{SLUG}").json["comment_count"] == COMMENTS


def test_the_page_s_watch_script_carries_each_system_s_selector_intact() -> None:
    from bench.peers_browser import _script
    from bench.peers_stacks import COMMENT_SELECTORS, System

    for name, selector in COMMENT_SELECTORS.items():
        script = _script(System(name, "", "", 0, None, 0))  # type: ignore[arg-type]
        assert script.endswith(f'({json.dumps([selector, COMMENTS])})')
