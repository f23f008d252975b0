"""Where a running `make run` names its DynamoDB endpoint and table, for the operator commands to find it.

devtools/local_stack.py writes the file while the stack runs (one per PORT) and
removes it when it stops; `make import`, `make export`, `make migrate` and
`make admin STAGE=local` read it here, so that none of them reaches into the
development tools.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
STATE = PROJECT / ".local"


def stack_file(port: int) -> Path:
    """The file a running `make run` on ``port`` names its DynamoDB endpoint and table in."""
    return STATE / f"stack-{port}.json"


def stack_record(endpoint: str, table: str) -> str:
    """The file's content, for this process's stack."""
    return json.dumps({"dynamodb_endpoint": endpoint, "table": table, "pid": os.getpid()})


def running_stack(port: int) -> dict[str, Any] | None:
    """The file's content when the stack that wrote it still runs; None when there is no live stack on ``port``."""
    try:
        found: dict[str, Any] = json.loads(stack_file(port).read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found
