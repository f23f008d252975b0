"""Both systems of `make bench-peers`, started and stopped together, with the same thread in each.

``systems`` is the one context manager: a static site serving each system's page, Isso
(devtools/isso.py) behind nginx, and `make run-cached` (devtools/local_stack.py behind the
same nginx configuration, devtools/edge_cache.py), all on free loopback ports, all
stopped on leaving, whatever happened. The thread goes into Isso through Isso's own HTTP
API (POST /new), then into ours through the importer reading Isso's database file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.peers_thread import GeneratedComment, isso_parents
from devtools import edge_cache, isso, stack_process
from devtools.static_site import served

PAGE = "peers-thread.html"  # the same address on both sites: Isso's thread URI, our widget's slug
SLUG = "peers-thread"
TITLE = "A busy thread"
# A comment in each widget's DOM. Isso's comment box holds a preview that is an .isso-comment too (without an
# id), so Isso's comments are those with their anchor's id, isso-<id>.
COMMENT_SELECTORS = {"ours": "li.bc-comment", "isso": '.isso-comment[id^="isso-"]'}


@dataclass
class System:
    """One system as the browser meets it: the page embedding its widget, its API behind nginx."""

    name: str
    page: str
    api: str  # through nginx
    origin_port: int  # the server behind nginx (the stack's or Isso's)
    cache: edge_cache.EdgeCache
    process_id: int  # the server's process, for its CPU seconds and memory
    log: Path | None = None  # ours: the API's request lines (units per request)


def ours_page(api: str) -> str:
    """docs/widget.md's embed snippet, its placeholder address replaced by the cache's."""
    snippet = (stack_process.PROJECT / "docs" / "snippets" / "widget-embed.html").read_text()
    return _html(snippet.replace("https://YOUR-API", api))


def isso_page(api: str) -> str:
    """Isso's documented embed: its script with data-isso, and the thread's section.

    ``max-comments-nested`` is "inf" because Isso otherwise shows 5 replies per comment and a
    "show more" link; every other option keeps Isso's default.
    """
    return _html(f'<script data-isso="{api}/" data-isso-max-comments-nested="inf" src="{api}/js/embed.min.js">'
                 '</script>\n<section id="isso-thread"></section>\n')


def _html(embed: str) -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
            '<link rel="icon" href="data:,"></head>\n'
            f"<body><article><h1>{TITLE}</h1><p>A post with 200 comments.</p></article>\n{embed}</body></html>\n")


def load_into_isso(api: str, comments: list[GeneratedComment]) -> None:
    """Each comment through POST /new, as Isso's widget posts it; the parents by Isso's own ids."""
    ids: list[int] = []
    with requests.Session() as session:
        for comment in comments:
            body: dict[str, Any] = {"text": comment.text, "author": comment.author or None,
                                       "email": comment.email or None, "website": None,
                                       "parent": ids[comment.parent] if comment.parent is not None else None}
            if not ids:
                body["title"] = TITLE
            reply = session.post(f"{api}/new", params={"uri": f"/{PAGE}"}, json=body, timeout=60)
            if reply.status_code != 201:
                raise RuntimeError(f"Isso refused comment {comment.index}: {reply.status_code} {reply.text[:300]}")
            ids.append(int(reply.json()["id"]))
            session.cookies.clear()  # Isso's edit cookie per comment: 200 of them outgrow nginx's header buffer


def check_isso_db(db: Path, comments: list[GeneratedComment]) -> None:
    """Isso's file holds the thread as Isso keeps it: every comment, replies to replies flattened."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT id, parent FROM comments ORDER BY id").fetchall()
    position = {row[0]: index for index, row in enumerate(rows)}
    stored = [None if parent is None else position[parent] for _, parent in rows]
    if stored != isso_parents(comments):
        raise RuntimeError("Isso's database does not hold the generated thread")


def import_into_ours(db: Path, port: int) -> str:
    """`make import FILE=comments.db` into the stack on ``port``: the importer's report."""
    done = subprocess.run([sys.executable, "-m", "importer", str(db), "--port", str(port)], cwd=stack_process.PROJECT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"the import failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def new_comment(system: System, number: int) -> tuple[str, str, dict[str, Any]]:
    """Method, path and body of a reader's new comment, as each system's widget posts one."""
    text = f"New comment number {number}, posted while the thread is being read."
    if system.name == "isso":
        return "POST", f"/new?uri=/{PAGE}", {"text": text, "author": f"Reader {number}"}
    return "POST", f"/posts/{SLUG}/comments", {"body": text, "author_name": f"Reader {number}"}


@contextlib.contextmanager
def systems(folder: Path, comments: list[GeneratedComment]) -> Iterator[dict[str, System]]:
    """Both systems running with ``comments`` loaded, each behind its own nginx, pages on a static site."""
    with contextlib.ExitStack() as stack:
        site_folder = folder / "site"
        for name in ("ours", "isso"):
            (site_folder / name).mkdir(parents=True)
        sites = {name: stack.enter_context(served(site_folder / name)) for name in ("ours", "isso")}
        (folder / "isso").mkdir()
        isso_port = stack_process.free_port()
        isso_server = stack.enter_context(isso.running(folder / "isso", isso_port, sites["isso"]))
        isso_cache = edge_cache.start(stack_process.free_port(), isso_port, health="/config")
        stack.callback(isso_cache.stop)
        # The stack's own settings, as `make run-cached` ships, but for the per-address comment limit: the
        # bench's ten new comments come from ten readers, all on loopback here (Isso's guard is off too).
        running = stack_process.start(folder, COMMENT_RATE_LIMIT="1000000/60")
        stack.callback(running.stop)
        our_port = int(running.url.rsplit(":", 1)[1])
        our_cache = edge_cache.start(stack_process.free_port(), our_port)
        stack.callback(our_cache.stop)

        load_into_isso(isso_cache.url, comments)
        check_isso_db(isso_server.db, comments)
        import_into_ours(isso_server.db, our_port)
        shown = requests.get(f"{running.url}/posts/{SLUG}", timeout=60)
        if shown.status_code != 200:
            raise RuntimeError(f"the import made no post {SLUG!r}: {shown.status_code} {shown.text[:300]}")

        (site_folder / "ours" / PAGE).write_text(ours_page(our_cache.url))
        (site_folder / "isso" / PAGE).write_text(isso_page(isso_cache.url))
        yield {
            "ours": System("ours", f"{sites['ours']}/{PAGE}", our_cache.url, our_port, our_cache,
                           running.process.pid, running.log),
            "isso": System("isso", f"{sites['isso']}/{PAGE}", isso_cache.url, isso_port, isso_cache,
                           isso_server.process.pid),
        }
