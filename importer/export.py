"""`make export OUT=blog.jsonl [STAGE=…]`: the whole blog as JSON Lines (importer/backup.py), streamed.

Without --stage it reads the table of the `make run` stack on --port (PORT,
default 8000); with --stage, that stage's table with the operator's AWS
credentials, as `make import` writes. Restore with `make import FILE=blog.jsonl`.

The table is read by a paginated, strongly consistent Scan: an export needs
every partition, and no index lists them all (a Query per post would still
miss accounts, follows, audit and the rest). It is an operator's command, never
a request path; one page (at most 1 MB) is in memory at a time. Items written
while the Scan runs may or may not be in the file: export a quiet blog, or use
point-in-time recovery for an instant copy in place.

Password hashes stay out unless --with-secrets is given. The file holds e-mail
addresses either way, so it is made readable by its owner only (0600), and
written under a temporary name renamed at the end: a file named OUT is whole.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.progress import Progress

from chalicelib.blog import clock
from chalicelib.store.table import Table, deserialize
from importer.backup import FORMAT, SECRET_FIELDS, VERSION, kind_of, record_line
from importer.model import ImportError_

SCAN_PAGE = 500


def export_table(table: Table, out: IO[str], *, with_secrets: bool = False,
                 progress: Progress | None = None) -> Counter[str]:
    """Write every item of ``table`` that the export keeps to ``out``; the count of records by kind."""
    header = {"format": FORMAT, "version": VERSION, "export_id": uuid.uuid4().hex, "exported_at": clock.now_iso(),
              "table": table.name, "secrets": with_secrets}
    out.write(json.dumps(header, sort_keys=True) + "\n")
    written: Counter[str] = Counter()
    task = progress.add_task("exporting", total=None) if progress is not None else None
    params: dict[str, Any] = {"TableName": table.name, "ConsistentRead": True, "Limit": SCAN_PAGE}
    while True:
        page = table.client.scan(**params)
        for raw in page.get("Items", []):
            item = deserialize(raw)
            kind = kind_of(item)
            if kind is None:
                continue
            if kind == "account" and not with_secrets:
                item = {k: v for k, v in item.items() if k not in SECRET_FIELDS}
            out.write(record_line(kind, item))
            written[kind] += 1
        if progress is not None and task is not None:
            progress.advance(task, len(page.get("Items", [])))
        if not page.get("LastEvaluatedKey"):
            break
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    out.write(json.dumps({"end": True, "records": sum(written.values())}) + "\n")
    return written


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m importer.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the file to write (JSON Lines), e.g. blog.jsonl")
    parser.add_argument("--stage", help="read this stage's table (else: the running `make run`)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="which `make run` stack (its PORT); default $PORT or 8000")
    parser.add_argument("--with-secrets", action="store_true",
                        help="keep password hashes, so restored accounts sign in with their passwords")
    return parser


def write_export(table: Table, out: Path, with_secrets: bool, progress: Progress | None = None) -> Counter[str]:
    """Export into ``out`` through a private temporary file, renamed over it once whole."""
    partial = out.with_name(out.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            written = export_table(table, handle, with_secrets=with_secrets, progress=progress)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def main(argv: list[str] | None = None) -> int:
    from deploy.stage_config import StageError
    from deploy.targets import local_target, stage_target
    from importer.run import progress_bar

    args = _parser().parse_args(argv)
    try:
        if args.out.is_dir() or not args.out.parent.is_dir():
            raise ImportError_(f"{args.out}: give a file name in an existing folder")
        table = stage_target(args.stage) if args.stage else local_target(args.port, required=True)
        assert table is not None
        with progress_bar(sys.stderr) as bar:
            written = write_export(table, args.out, args.with_secrets, bar)
    except (ImportError_, StageError) as error:
        print(f"export: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"export: DynamoDB refused or could not be reached ({error}); no file written", file=sys.stderr)
        return 1
    print(f"Exported {sum(written.values())} records from {table.name} to {args.out}: "
          + ", ".join(f"{n} {kind}" for kind, n in sorted(written.items())))
    if not args.with_secrets:
        print("Without password hashes: restored accounts cannot sign in until given a password "
              "(--with-secrets keeps them).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
