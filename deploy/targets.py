"""The table an operator command works on: a deployed stage's, or a running `make run`'s; and its e-mail hash.

`make import`, `make export`, `make migrate` and `make rekey` find their table
here. A refusal is a StageError, whose message says what to start or set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.store.table import Table
from deploy.local_stack_file import PROJECT, STATE, running_stack, stack_file
from deploy.stage_config import StageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def long_run_client() -> DynamoDBClient:
    """A client for an operator's long run: the API's 5 s read timeout (tuned for Lambda) would end an
    import at the first slow answer of a busy table (or a loaded `make run`); this waits a minute, retries more."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 8}, connect_timeout=5, read_timeout=60)
    return boto3.client("dynamodb", config=config)


def local_target(port: int, required: bool) -> Table | None:
    """The table of the `make run` on ``port``, from the file it writes while it runs."""
    found = running_stack(port)
    if found is None:
        if not required:
            return None
        raise StageError(f"no `make run` is running on port {port} (no {stack_file(port).relative_to(PROJECT)} "
                         "from a live stack): start it, or pass PORT=… for another one, or STAGE=… for a "
                         "deployed stage")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = found["dynamodb_endpoint"]
    for name, value in (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    return Table(long_run_client(), str(found["table"]))


def stage_target(stage: str) -> Table:
    from deploy.stages import load

    table_name = load(stage).table_name
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        raise StageError("set AWS_REGION (or AWS_DEFAULT_REGION) to the stage's region, and AWS credentials")
    return Table(long_run_client(), table_name)


def email_hasher(stage: str | None) -> Callable[[str], str] | None:
    """The API's keyed hash of e-mails, from HASH_KEY (the environment's, else the local stack's own).

    Without it imported comments are not entered in their commenters' indexes, so an
    anonymous commenter's data request does not find them (docs: your own data).
    """
    key = os.environ.get("HASH_KEY")
    secrets = STATE / "secrets.json"
    if not key and stage is None and secrets.exists():
        key = json.loads(secrets.read_text()).get("HASH_KEY")
    if not key:
        return None
    from chalicelib import signing
    from chalicelib.blog.antispam import email_hash

    derived = signing.derive_key(key, "anti-spam")
    return lambda address: email_hash(derived, address)
