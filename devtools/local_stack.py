"""`make run`: moto's DynamoDB on loopback, the table from infra/, and `chalice local`.

The process runs in the foreground; Ctrl-C or SIGTERM stops everything it
started and saves the table to .local/, from which the next start restores it.
Settings in this process's environment win over the stage's values in
.chalice/config.json (e.g. `BLOG_ADMINS=ada make run`).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from types import FrameType
from typing import Any

from deploy.local_stack_file import PROJECT, STATE

SNAPSHOT_EVERY_SECONDS = 15
LOCAL_SENDER = "Local blog <blog@localhost.localdomain>"
PUBLISH_DUE_EVERY_SECONDS = 30


class _EnvironmentWins(MutableMapping[str, str]):
    """os.environ, except that Chalice's stage values never replace what is already set."""

    def __getitem__(self, key: str) -> str:
        return os.environ[key]

    def __setitem__(self, key: str, value: str) -> None:
        os.environ.setdefault(key, value)

    def __delitem__(self, key: str) -> None:
        del os.environ[key]

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def _local_secrets() -> None:
    """Random keys for this machine, kept beside the data so tokens survive restarts."""
    from chalicelib.settings import SECRET_PARAMETERS
    from devtools.snapshot import private_directory, write_private

    path = STATE / "secrets.json"
    private_directory(STATE)
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
        path.chmod(0o600)
    # A key added since the file was made is made now; the ones there are kept.
    lacking = [name for name in SECRET_PARAMETERS if name not in stored]
    if lacking:
        stored.update({name: secrets.token_urlsafe(48) for name in lacking})
        write_private(path, json.dumps(stored))
    for name, value in stored.items():
        os.environ.setdefault(name, value)


@dataclass
class Chore:
    """Work the background thread does every ``every`` seconds; after a failure, again after a backoff."""

    name: str
    every: float
    work: Callable[[], None]
    due: float = 0.0
    failures: int = 0


def housekeeping(stopping: threading.Event, chores: list[Chore], tick: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
    """Run each chore when due until ``stopping`` is set; a failure is logged and retried, never fatal.

    A moto timeout during a snapshot must not end snapshots (or scheduled
    publishing) for the rest of the run: the chore is retried after a backoff
    that doubles from ``tick`` up to its own period, and a success resets it.
    """
    start = clock()
    for chore in chores:
        chore.due = start + chore.every
    while not stopping.wait(tick):
        for chore in chores:
            now = clock()
            if now < chore.due:
                continue
            try:
                chore.work()
            except Exception as error:  # noqa: BLE001 - any failure: log, back off, keep the thread alive
                chore.failures += 1
                backoff = min(chore.every, tick * 2 ** (chore.failures - 1))
                print(f"housekeeping: {chore.name} failed ({type(error).__name__}: {error}); "
                      f"retrying in {backoff:.0f} s", file=sys.stderr, flush=True)
                chore.due = now + backoff
            else:
                chore.failures = 0
                chore.due = now + chore.every


def _publish_metrics() -> None:
    import boto3

    from devtools.emf import MetricsTee

    sys.stdout = MetricsTee(sys.stdout, boto3.client("cloudwatch"))


def _stage_table_name(stage: str) -> str:
    from deploy.stage_config import stage_environment

    return os.environ.get("TABLE_NAME") or stage_environment(stage).get("TABLE_NAME") or "blog"


def _stream_readers(app: Any, endpoint: str, table_name: str, stopping: threading.Event) -> list[Any]:
    """A reader of the table's stream per stream handler of the app, from now on; SES ready to take its mail."""
    import boto3

    from chalicelib.mail import ses_client
    from chalicelib.settings import get_settings
    from devtools.local_stream import ShardReader, app_handlers

    sender = parseaddr(get_settings().notify_from)[1]
    if sender:
        ses_client().verify_email_identity(EmailAddress=sender)  # SES sends only from a verified address
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
    table = boto3.client("dynamodb", endpoint_url=endpoint).describe_table(TableName=table_name)["Table"]
    arn = table["LatestStreamArn"]
    readers = [ShardReader(streams, arn, handler, batch_size, name, wait=stopping.wait)
               for name, batch_size, handler in app_handlers(app)]
    for reader in readers:
        reader.start_at_latest()
    return readers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--stage", default="local")
    parser.add_argument("--data", type=Path, default=STATE / "data.json",
                        help="snapshot file; --data none keeps nothing between runs")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(PROJECT))
    from devtools.moto_server import MotoServer

    moto = MotoServer(args.host).start()
    # moto's CloudWatch too: the stack's log lines become its metrics there, as CloudWatch Logs would make
    # them (devtools/emf.py), and the console's Costs page reads them back.
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": moto.url, "AWS_ENDPOINT_URL_CLOUDWATCH": moto.url})
    for name, value in (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    if os.environ.get("LOCAL_METRICS", "on") != "off":  # off: no PutMetricData per request (load benches)
        _publish_metrics()
    _local_secrets()
    # Feeds and the sitemap link posts as SITE_URL/posts/<slug>: locally, the demo blog's pages,
    # on whatever port this stack listens.
    os.environ.setdefault("SITE_URL", f"http://{args.host}:{args.port}/demo")
    # Mail links reach the API itself; mail goes to moto's SES in this process (the outbox: `make mail`).
    os.environ.setdefault("API_URL", f"http://{args.host}:{args.port}")
    os.environ.setdefault("NOTIFY_FROM", LOCAL_SENDER)
    os.environ["AWS_ENDPOINT_URL_SES"] = moto.url
    table_name = _stage_table_name(args.stage)
    persist = str(args.data) != "none"

    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    from devtools import local_http

    factory = CLIFactory(str(PROJECT), environ=_EnvironmentWins())
    config = factory.create_config_obj(chalice_stage_name=args.stage)  # loads the stage's settings
    validate_routes(config.chalice_app.routes)  # as `chalice local` does: routes `chalice deploy` would refuse
    from devtools.local_outbox import local_outbox

    # /local/outbox: this stack only, never app.py; before the server, whose handler matches the routes it has then.
    config.chalice_app.register_blueprint(local_outbox)
    # Chalice's server, with a handler that answers unknown routes and methods in the API's own format.
    server = local_http.server(config.chalice_app, config, args.host, args.port)
    # http.server listens with a backlog of 5; a burst of readers (or a load
    # test) would see connections reset. Listening again raises the backlog.
    server.server.socket.listen(128)

    from chalicelib.services import build, services
    from chalicelib.settings import get_settings
    from chalicelib.store.client import dynamodb_client
    from devtools import seed, snapshot
    from infra.table import create_table

    client = dynamodb_client()
    create_table(client, table_name)
    if persist and args.data.exists():
        args.data.chmod(0o600)  # password hashes: a snapshot an older version left world-readable is closed first
        count = snapshot.restore(client, table_name, args.data)
        print(f"Restored {count} items from {args.data}")
    elif os.environ.get("SEED", "1") == "0":
        # An empty table, for `make import FILE=blog.jsonl` to restore a blog into.
        print("Not seeded (SEED=0): the table is empty")
    else:
        # Sample comments are anonymous and public, whatever the operator chose for real ones (no challenge either:
        # nobody is there to solve it).
        seed.seed(build(get_settings().replace(anonymous_comments=True, moderation="off", challenge="off")))
        print(f"Seeded sample posts; local admin: {seed.LOCAL_ADMIN['email']} / {seed.LOCAL_ADMIN['password']}")

    stopping = threading.Event()
    readers = _stream_readers(server.app_object, moto.url, table_name, stopping)

    def save() -> None:
        if persist:
            snapshot.save(client, table_name, args.data)

    def publish_due() -> None:
        # What the deployed schedule does every minute: due posts, then thread subscribers' due digests.
        try:
            services().posts.publish_due()
        finally:
            services().digests.send_due()

    chores = [Chore("snapshot", SNAPSHOT_EVERY_SECONDS, save), Chore("publish due posts", PUBLISH_DUE_EVERY_SECONDS,
                                                                     publish_due)]

    def background() -> None:
        housekeeping(stopping, chores)

    def stop(signum: int, _frame: FrameType | None) -> None:
        print(f"Stopping ({signal.Signals(signum).name})...", flush=True)
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    worker = threading.Thread(target=background, daemon=True, name="housekeeping")
    worker.start()
    from devtools import local_outbox as outbox
    from devtools import local_stream

    consumer = threading.Thread(target=local_stream.run, args=(readers, stopping, outbox.forget_old), daemon=True,
                                name="stream")
    consumer.start()
    # Where operator commands (`make import`, `make admin STAGE=local`) find this stack's table: one file per PORT.
    from deploy.local_stack_file import stack_file, stack_record

    where = stack_file(args.port)
    snapshot.write_private(where, stack_record(moto.url, table_name))
    print(f"Blog API on http://{args.host}:{args.port} (DynamoDB: moto at {moto.url}, table {table_name})",
          flush=True)
    try:
        server.serve_forever()
    finally:
        where.unlink(missing_ok=True)
    worker.join(timeout=5)
    consumer.join(timeout=5)
    save()
    if persist:
        print(f"Saved the table to {args.data}")
    moto.stop()
    return 0


def _exit_now(status: int) -> None:
    """Exit without the interpreter's teardown: once the table is saved and moto stopped, nothing is
    left to clean up, and freeing every object of boto3, Chalice and moto one by one took over a
    second of the stop (minutes, when moto had grown to gigabytes); the OS reclaims it all at once."""
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    _exit_now(main())
