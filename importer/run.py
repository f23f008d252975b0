"""One import, start to end: detect, read and stage, plan the threads, write (or, dry, count)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from chalicelib.store.table import Table
from importer import sources
from importer.formats import ReadOptions, detect, reader
from importer.import_options import Options, Report
from importer.model import Alias, Note, Record, Skipped, SourceAuthor, SourceComment, SourcePost
from importer.plan import plan_threads
from importer.staging import Staging
from importer.writer import Writer

COMMENT_BATCH = 100


class _Rate(ProgressColumn):
    """Items (or bytes) per second, as the bar goes."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


def progress_bar(stream: IO[str]) -> Progress:
    """A bar with counts and rate; silent when ``stream`` is not a terminal (a pipe, a log, CI)."""
    console = Console(file=stream)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
                    TimeElapsedColumn(), console=console, disable=not console.is_terminal, transient=False)


class _Counting:
    """A binary file that tells the progress bar how far the parser has read."""

    def __init__(self, raw: BinaryIO, advance: Any) -> None:
        self.raw = raw
        self.advance = advance

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.advance(len(chunk))
        return chunk


def _advancing(records: Iterator[Record], advance: Callable[[], object]) -> Iterator[Record]:
    for record in records:
        advance()
        yield record


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    with path.open("rb") as handle:
        yield handle


def run_import(path: Path, table: Table | None, options: Options, *, pages: bool = False, max_depth: int = 5,
               progress: Progress | None = None) -> Report:
    """Import ``path`` into ``table`` (or, with options.dry_run, count what would be done).

    ``options.source`` may be left empty: the format is then detected from the file.
    """
    report = Report()
    bar = progress or progress_bar(open(os.devnull, "w"))  # noqa: SIM115 - closed with the bar below
    aliases: list[Alias] = []
    author_emails: dict[str, str] = {}  # a post author's name -> their address in the source
    with ExitStack() as opened, Staging() as staging, bar:
        newer = sources.detect(path)
        if newer is not None:  # read from the path (a database, a folder), counted by record
            kind = newer
            reading = bar.add_task("reading", total=None)
            found = _advancing(sources.reader(kind)(path, ReadOptions(pages=pages)), lambda: bar.advance(reading))
        else:
            handle = opened.enter_context(_opened(path))
            kind = detect(handle)
            reading = bar.add_task("reading", total=path.stat().st_size)
            counted = _Counting(handle, lambda n: bar.advance(reading, n))
            found = reader(kind)(counted, ReadOptions(pages=pages))  # type: ignore[arg-type]
        options.source = options.source or kind
        report.notes.insert(0, f"format: {kind}")
        for record in found:
            if isinstance(record, Alias):
                aliases.append(record)
            elif isinstance(record, Note):
                report.notes.append(record.text)
            elif isinstance(record, SourcePost):
                what = "thread" if record.attach_existing else "post (draft)" if record.draft else "post"
                report.read[what] += 1
                staging.add_post(record)
            elif isinstance(record, SourceComment):
                report.read[f"comment ({record.status})"] += 1
                staging.add_comment(record)
            elif isinstance(record, SourceAuthor):
                author_emails.setdefault(" ".join(record.name.split()), record.email.strip())
            elif isinstance(record, Skipped):
                report.read[f"skipped: {record.kind}"] += 1
        if staging.repeated:
            report.notes.append(f"{staging.repeated} entries repeat an id already read (merged into one)")

        writer = Writer(table, options, report, author_emails)
        posting = bar.add_task("posts", total=staging.post_count())
        post_refs: set[str] = set()
        for post in staging.posts():
            post_refs.add(post.ref)
            writer.post(post)
            bar.advance(posting)
        for alias in aliases:  # another address of a post: in the redirect map beside its source URL
            if alias.post_ref in writer.slugs:
                report.redirects[alias.url] = writer.slugs[alias.post_ref]
        if aliases:
            report.notes.append(f"{len(aliases)} other addresses of posts (aliases, permalinks): in the redirect map")

        # Thread by thread: a plan holds one post's comment ids, never the whole file's.
        commenting = bar.add_task("comments", total=staging.comment_count())
        flattened = 0
        for post_ref in staging.commented_posts():
            rows = staging.thread_ids(post_ref)
            plan = plan_threads(rows, post_refs & {post_ref}, max_depth)
            report.orphans.update(plan.orphans)
            if plan.dropped_deleted:
                report.comments["skipped: deleted, no replies"] += plan.dropped_deleted
            flattened += plan.flattened
            for start in range(0, len(plan.placed), COMMENT_BATCH):
                batch = plan.placed[start:start + COMMENT_BATCH]
                writer.comments(batch, staging.comments([p.ref for p in batch]))
            bar.advance(commenting, len(rows))
        if flattened:
            report.notes.append(f"{flattened} replies nested deeper than {max_depth} levels: "
                                "attached to their deepest allowed ancestor")
    return report


def render_report(report: Report, dry_run: bool) -> str:
    verb = "would be"
    lines = [("Dry run: nothing written. " if dry_run else "") + "; ".join(report.notes[:1])]
    lines.append("Read: " + (", ".join(f"{n} {k}" for k, n in sorted(report.read.items())) or "nothing"))

    def told(counts: Counter[str]) -> str:
        def outcome(kind: str) -> str:
            if not dry_run:
                return kind
            return "would be " + kind if kind == "updated" else kind.replace("created", "would be created")

        return ", ".join(f"{n} {outcome(k)}" for k, n in sorted(counts.items())) or "none"

    if report.accounts:
        lines.append("Author accounts: " + told(report.accounts))
    lines.append("Posts: " + told(report.posts))
    lines.append("Comments: " + told(report.comments))
    if report.orphans:
        lines.append("Orphans (skipped): " + ", ".join(f"{n} because {why}" for why, n in report.orphans.items()))
    if report.unmapped_urls:
        lines.append(f"Unmapped URLs ({len(report.unmapped_urls)}): " + ", ".join(report.unmapped_urls[:20]))
    lines.extend(report.notes[1:])
    written = sum(n for k, n in report.comments.items() if k.startswith("created"))
    if written and not dry_run:
        lines.append(f"Comment write units (estimated from item sizes): {report.write_units} "
                     f"({report.write_units / written:.1f} per comment)")
    lines.append(f"{report.created} {verb} created" if dry_run else f"{report.created} created")
    return "\n".join(lines)
