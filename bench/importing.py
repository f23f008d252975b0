"""`make import` of a large generated export into `make run`'s stack: speed, memory, write units, cost.

A WordPress WXR file is generated in a temporary directory (never committed):
10,000 posts and 100,000 comments at ``--scale 1``, ten comments a post in
threads up to three levels deep, with held, spam and trashed comments among
them. It is imported by `python -m importer` as a child process into a local
stack (`python -m devtools.local_stack` on a free port, as `make run`), and
measured:

- items (posts and comments) written per second, on moto (whose request
  handling and whole-table Query sort make it slower than DynamoDB);
- the importer's peak RSS (``ru_maxrss`` of that child, from ``wait4``), against
  a budget of 200 MB, at the chosen scale and at a tenth of it: memory must not
  grow with the file;
- write units per imported comment, as the importer estimates them from item
  sizes (1 per started KB, twice in a transaction, once per index entry), and
  what 100,000 comments cost at DynamoDB's on-demand list price.

Written into moto, the full file takes about 40 minutes, so `make bench` writes
``SCALE`` (0.01: 100 posts, 1,000 comments) into the stack, and measures
memory on dry runs (read, stage, plan, prepare every item; write nothing) of
the whole file and of a tenth of it. ``python -m bench.importing --scale 1``
writes the whole file.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from bench.report import Figure, at_most, info
from devtools import stack_process

SECTION = "import (make import into make run's stack)"
FULL_POSTS = 10_000
COMMENTS_PER_POST = 10
SCALE = 0.01  # the written run: 100 posts, 1,000 comments (about 30 s on moto)
BUDGET_RSS_MB = 200.0
# On-demand write request units, us-east-1 list price since 1 November 2024 (the Deploy section's figure).
DOLLARS_PER_MILLION_WRITES = 0.625
PROJECT = Path(__file__).resolve().parents[1]
AUTHORS = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov")
_PROSE = ("the quick brown fox jumps over the lazy dog while a blogger writes about trains, tea, "
          "history and gardens in the rain")
_WORDS = _PROSE.split()

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Generated</title><link>https://bench.example</link><wp:wxr_version>1.2</wp:wxr_version>
"""


def _text(n: int, words: int) -> str:
    return " ".join(_WORDS[(n * 7 + i * 3) % len(_WORDS)] for i in range(words))


def _status(n: int) -> str:
    """WordPress's comment_approved: mostly approved, some held, some spam, a few trashed."""
    return {3: "0", 7: "spam", 11: "trash"}.get(n % 20, "1")


def _parent(index: int) -> int:
    """A post's comments: 1-4 top level, 5-7 reply to 1-3, 8-9 to 5-6, 10 to 8 (three levels deep)."""
    return {5: 1, 6: 2, 7: 3, 8: 5, 9: 6, 10: 8}.get(index, 0)


def write_export(path: Path, posts: int, comments_per_post: int = COMMENTS_PER_POST) -> int:
    """A WXR file of ``posts`` posts, written as it goes; returns how many comments it holds."""
    comments = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for p in range(1, posts + 1):
            day = f"20{10 + p % 14:02d}-{1 + p % 12:02d}-{1 + p % 28:02d}"
            out.write(
                f"<item><title>Post {p}: {_text(p, 6)}</title><link>https://bench.example/?p={p}</link>"
                f"<dc:creator>{AUTHORS[p % len(AUTHORS)]}</dc:creator>"
                f"<content:encoded><![CDATA[<p>{_text(p, 60)}</p>\n<p><a href=\"https://bench.example/{p}\">"
                f"{_text(p + 1, 20)}</a></p>]]></content:encoded>"
                f"<wp:post_id>{p}</wp:post_id><wp:post_date_gmt>{day} 10:00:00</wp:post_date_gmt>"
                f"<wp:post_name>post-{p}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type>"
                f"<category domain=\"category\" nicename=\"c{p % 30}\"><![CDATA[Topic {p % 30}]]></category>"
                f"<category domain=\"post_tag\" nicename=\"t{p % 7}\"><![CDATA[Tag {p % 7}]]></category>\n")
            for i in range(1, comments_per_post + 1):
                n = p * comments_per_post + i
                parent = _parent(i) if i <= 10 else 0
                out.write(
                    f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
                    f"<wp:comment_author>{escape(f'Reader {n % 997}')}</wp:comment_author>"
                    f"<wp:comment_author_email>reader{n % 997}@mail.example</wp:comment_author_email>"
                    f"<wp:comment_author_url>https://reader{n % 997}.example/</wp:comment_author_url>"
                    f"<wp:comment_date_gmt>{day} {10 + i:02d}:00:00</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{_text(n, 25 + n % 40)}]]></wp:comment_content>"
                    f"<wp:comment_approved>{_status(n)}</wp:comment_approved>"
                    f"<wp:comment_parent>{p * comments_per_post + parent if parent else 0}</wp:comment_parent>"
                    "</wp:comment>\n")
                comments += 1
            out.write("</item>\n")
        out.write("</channel></rss>\n")
    return comments


@dataclass(frozen=True)
class Run:
    posts: int
    comments: int
    file_mb: float
    seconds: float
    peak_rss_mb: float
    written: int          # posts and comments created
    write_units: int      # the importer's estimate, comments only
    comments_written: int
    output: str

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0

    @property
    def units_per_comment(self) -> float:
        return self.write_units / self.comments_written if self.comments_written else 0.0


def _created(output: str, line: str) -> int:
    found = re.search(rf"^{line}: (.*)$", output, re.MULTILINE)
    return sum(int(n) for n in re.findall(r"(\d+) created", found.group(1))) if found else 0


def import_once(scale: float, workdir: Path, show: bool = False, dry_run: bool = False) -> Run:
    """Generate the export at ``scale``, start a stack, import it as a child process, stop the stack.

    ``dry_run``: no stack; the importer reads, stages, plans and prepares every
    item (sanitising, ids) and writes nothing: the same memory, without moto's time.
    """
    posts = max(1, round(FULL_POSTS * scale))
    export = workdir / f"generated-{posts}.xml"
    comments = write_export(export, posts)
    stack = None if dry_run else stack_process.start(workdir, data="none")
    try:
        target = ["--dry-run", "--port", "1"] if stack is None else ["--port", str(urlsplit(stack.url).port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        started = time.monotonic()
        with (workdir / "import.out").open("w") as out_file, (workdir / "import.err").open("w") as err_file:
            child = subprocess.Popen(
                [sys.executable, "-m", "importer", str(export), *target,
                 "--redirects", str(workdir / "redirects.json")],
                cwd=PROJECT, env=env, stdout=out_file, stderr=err_file)
            # wait4, not wait: it also gives this child's own resource usage (its peak RSS).
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
    finally:
        if stack is not None:
            stack.stop()
    file_mb = export.stat().st_size / 1e6
    export.unlink()
    out = (workdir / "import.out").read_text()
    if child.returncode != 0:
        raise RuntimeError(f"import failed ({child.returncode}): {(workdir / 'import.err').read_text()[-2000:]}")
    if show:
        print(out, flush=True)
    units = re.search(r"write units \(estimated from item sizes\): (\d+)", out)
    return Run(posts, comments, file_mb, seconds, usage.ru_maxrss / 1024,
               _created(out, "Posts") + _created(out, "Comments"), int(units.group(1)) if units else 0,
               _created(out, "Comments"), out)


def measure(scale: float = SCALE, memory_scale: float = 1.0) -> list[Figure]:
    """Writes at ``scale`` into a stack; memory of dry runs at ``memory_scale`` and a tenth of it."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        written = import_once(scale, Path(tmp))
        small = import_once(memory_scale / 10, Path(tmp), dry_run=True)
        large = import_once(memory_scale, Path(tmp), dry_run=True)
    dollars = written.units_per_comment * 100_000 * DOLLARS_PER_MILLION_WRITES / 1e6
    growth = large.peak_rss_mb / small.peak_rss_mb
    return [
        info(SECTION, f"{written.posts:,} posts, {written.comments:,} comments into the stack",
             f"{written.seconds:.0f} s", f"{written.per_second:.1f} items/s written, on moto (scale {scale}); "
                                         f"importer peak RSS {written.peak_rss_mb:.0f} MB"),
        at_most(SECTION, f"importer peak RSS, {large.posts:,} posts and {large.comments:,} comments",
                large.peak_rss_mb, BUDGET_RSS_MB, " MB",
                note=f"dry run of a {large.file_mb:.0f} MB WXR, {large.seconds:.0f} s"),
        at_most(SECTION, "importer RSS for 10x the file", growth, 2.0, "x", digits=2,
                note=f"{small.peak_rss_mb:.0f} MB for {small.comments:,} comments"),
        info(SECTION, "write units per imported comment", f"{written.units_per_comment:.2f}",
             f"from item sizes; ${dollars:.3f} per 100,000 comments on demand "
             f"(${DOLLARS_PER_MILLION_WRITES} per million writes, us-east-1)"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.importing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=SCALE,
                        help=f"fraction of {FULL_POSTS:,} posts and {FULL_POSTS * COMMENTS_PER_POST:,} comments "
                             f"(default {SCALE}); a tenth of it is run too, for the memory comparison")
    parser.add_argument("--memory-scale", type=float, default=1.0,
                        help="the dry runs' scale, for peak RSS (default 1: the whole file), and a tenth of it")
    parser.add_argument("--once", action="store_true", help="only the chosen scale, with the importer's report")
    parser.add_argument("--dry-run", action="store_true", help="with --once: no stack, nothing written")
    parser.add_argument("--generate", type=Path, help="only write the export to this path, and stop")
    args = parser.parse_args(argv)
    from devtools.offline_aws import use_offline_aws

    if args.generate:
        print(f"{write_export(args.generate, max(1, round(FULL_POSTS * args.scale)))} comments")
        return 0
    use_offline_aws()
    if args.once:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            run = import_once(args.scale, Path(tmp), show=True, dry_run=args.dry_run)
        print(f"{run.seconds:.0f} s, {run.per_second:.0f} items/s, peak RSS {run.peak_rss_mb:.0f} MB, "
              f"{run.units_per_comment:.2f} write units per comment")
        return 0
    from bench.report import render

    print(render(measure(args.scale, args.memory_scale)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
