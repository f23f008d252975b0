"""Save and restore the local table to a JSON file, so local data survives restarts.

This is operator tooling, never a request path: a full Scan is what it needs.
The snapshot holds password hashes: it is written readable by its owner alone
(0600); `make run` keeps it in .local/, which only its owner can enter (0700).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def save(client: DynamoDBClient, table_name: str, path: Path) -> int:
    items: list[dict[str, Any]] = []
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table_name, ConsistentRead=True):
        items.extend(page.get("Items", []))
    write_private(path, json.dumps({"table": table_name, "items": items}))
    return len(items)


def private_directory(directory: Path) -> None:
    """The directory, made if missing, entered by its owner alone (0700), whatever the umask."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)  # mkdir's mode is masked by the umask, and an existing directory keeps its own


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, atomically, readable and writable by its owner alone (0600).

    The data never sits in a file anyone else can open: the new file is created
    0600 by mkstemp (os.open with O_EXCL and mode 0o600, whatever the umask), under
    a name no concurrent save shares, then renamed over the old one, which also
    replaces a file an older version left world-readable.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # an existing directory is the operator's
    with contextlib.suppress(FileNotFoundError):
        path.with_suffix(".tmp").unlink()  # older versions' partial file, world-readable, if one crashed
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)  # a crash mid-write never leaves a torn snapshot
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


def restore(client: DynamoDBClient, table_name: str, path: Path) -> int:
    items = json.loads(path.read_text())["items"]
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {table_name: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while pending:
            pending = dict(client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})
    return len(items)
