"""Shared steps of the import tests: run an import into the test table, read the table whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table, deserialize
from importer.import_options import Options, Report
from importer.run import run_import
from tests.conftest import TEST_TABLE, Api, Blog

PROJECT = Path(__file__).resolve().parents[2]
SAMPLES = PROJECT.parent / "shared" / "fixtures" / "import"  # reference data: read in place, never copied
BLOGGER_SAMPLE = SAMPLES / "blogger-export-2021.xml"
WORDPRESS_SAMPLE = SAMPLES / "wordpress-wxr-threaded.xml"
DISQUS_SAMPLE = SAMPLES / "disqus-export.xml"
OURS = PROJECT / "tests" / "fixtures" / "import"
BLOGGER_THREADS = OURS / "blogger-comments.xml"
TAKEOUT = OURS / "takeout-feed.atom"
IMPORTER = "admin"


def import_file(path: Path, table: Table | None = None, dry_run: bool = False, max_depth: int = 5,
                pages: bool = False, **options: Any) -> Report:
    target = table if table is not None else Table(dynamodb_client(), TEST_TABLE)
    return run_import(path, target, Options(source="", default_author=IMPORTER, dry_run=dry_run, **options),
                      max_depth=max_depth, pages=pages)


def everything(table_name: str = TEST_TABLE) -> list[dict[str, Any]]:
    """Every item of a table, sorted: for comparing two tables (a test's own client, so no request path scans)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table_name):
        items.extend(deserialize(i) for i in page["Items"])
    return sorted(items, key=lambda i: (str(i["PK"]), str(i["SK"])))


def with_bodies(api: Api, comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listed comments with the Markdown body each was imported with (public lists carry html only):
    read one by one as the blog's admin, who may edit them; a tombstone's is empty."""
    admin = Blog(api).admin()
    return [{**c, "body": ""} if c["status"] == "deleted" else api.get(f"/comments/{c['id']}", token=admin).json
            for c in comments]
