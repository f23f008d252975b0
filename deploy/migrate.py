"""`make migrate [STAGE=…]`: bring a table written before the posts' summary items to today's layout.

Before, a post's counts (comment_count, favorites_count) and its list index
keys (GSI1, GSI2) were on the post item itself, and a label membership held
only the slug. Now they are on the post's summary item (POST#<slug> / #SUMMARY)
and each label membership carries a copy of the summary (chalicelib/store/keys.py).

For each post still in the old shape, one transaction: remove the counts and
index keys from the post item, put its summary item with those counts, put its
label memberships with the summary. The post item is conditioned on the
version and counts read, so a write racing the migration (an old Lambda still
counting a comment) cancels it, and the post is read again. A post in the new
shape (migrated, or written since) is left alone, so the command is idempotent
and resumable: killed at any point, it is run again and finishes what is left,
with nothing counted twice. It Scans the table (paged): an operator command, not
a request path.

Without --stage it migrates the table of the `make run` stack on --port, as
`make import` does; with --stage, that stage's table, with the operator's AWS
credentials and region from the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.blog.post_upkeep import COUNT_FIELDS, derived, summary_item
from chalicelib.blog.status import Status
from chalicelib.store import keys
from chalicelib.store.table import Item, Table, TransactionCancelled, Write, deserialize, put, serialize

_ATTEMPTS = 5
_PAGE = 100
_LEGACY = (*COUNT_FIELDS, *keys.INDEX_KEY_ATTRIBUTES)


def needs_migration(post: Item) -> bool:
    """A post item in the old shape: it still carries counts or list index keys."""
    return post.get("SK") == keys.POST_SK and any(name in post for name in _LEGACY)


def post_items(table: Table) -> Iterator[Item]:
    """Every post item of the table, by a paged Scan."""
    start: dict[str, Any] | None = None
    while True:
        params: dict[str, Any] = {
            "TableName": table.name, "Limit": _PAGE, "FilterExpression": "SK = :post",
            "ExpressionAttributeValues": serialize({":post": keys.POST_SK}), "ConsistentRead": True,
        }
        if start:
            params["ExclusiveStartKey"] = start
        response = table.client.scan(**params)
        yield from (deserialize(i) for i in response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if not start:
            return


def migration_writes(post: Item) -> list[Write]:
    """One post's move to the new shape, as one transaction (see the module's docstring)."""
    counts = {name: int(post.get(name, 0)) for name in COUNT_FIELDS}
    full = {**post, **counts}
    gone = [name for name in _LEGACY if name in post]
    names = {f"#g{i}": name for i, name in enumerate(gone)}
    remove = "REMOVE " + ", ".join(names)
    names["#version"] = "version"
    values: dict[str, Any] = {":version": post["version"]}
    condition = "#version = :version"
    for i, name in enumerate(COUNT_FIELDS):
        names[f"#c{i}"] = name
        values[f":c{i}"] = counts[name]
        # An absent count is 0: the old code wrote comment_count on create, favorites_count on the first favorite.
        absent = f" OR attribute_not_exists(#c{i})" if counts[name] == 0 else ""
        condition += f" AND (#c{i} = :c{i}{absent})"
    writes = [Write("Update", key=keys.post(post["slug"]), update=remove, condition=condition, names=names,
                    values=values),
              # The whole summary item: a post in the old shape has none (the migration writes it with the
              # post's REMOVE, in one transaction), so a Put is exact; the condition makes sure.
              put(summary_item(full), "attribute_not_exists(PK)")]
    # Its label memberships (and schedule entry), each with the summary: as a save would write them.
    writes += [put(entry) for entry in derived(full if post["status"] != Status.DELETING else None).entries.values()]
    return writes


def migrate(table: Table, progress: Callable[[str, str], None] | None = None) -> Counter[str]:
    """Migrate every post still in the old shape; returns how many posts went which way."""
    outcome: Counter[str] = Counter()
    for found in post_items(table):
        result = _migrate_one(table, found)
        outcome[result] += 1
        if progress is not None:
            progress(str(found["slug"]), result)
    return outcome


def _migrate_one(table: Table, post: Item | None) -> str:
    for _ in range(_ATTEMPTS):
        if post is None:
            return "gone meanwhile"
        if not needs_migration(post):
            return "already in the new shape"
        try:
            table.transact(migration_writes(post))
            return "migrated"
        except TransactionCancelled:
            post = table.get(keys.post(post["slug"]))  # written meanwhile: read it again
    raise RuntimeError(f"post {post['slug'] if post else '?'} kept changing while migrating; run again to resume")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", help="migrate this stage's table (else: the running `make run`'s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                        help="which `make run` stack (its PORT); default $PORT or 8000")
    args = parser.parse_args(argv)
    from importer.cli import local_target, stage_target
    from importer.model import ImportError_

    try:
        table = stage_target(args.stage) if args.stage else local_target(args.port, required=True)
    except ImportError_ as error:
        print(f"make migrate: {error}", file=sys.stderr)
        return 2
    assert table is not None
    outcome = migrate(table)
    print(", ".join(f"{count} {what}" for what, count in sorted(outcome.items())) or "no posts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
