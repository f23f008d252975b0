"""The app in-process on moto's DynamoDB, with every DynamoDB call it makes recorded.

This mirrors tests/conftest.py on purpose: the figures are only meaningful if
the bench drives the same code path, with the same client, as the tests do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice.test import Client
from moto import mock_aws

from chalicelib import services as services_module
from chalicelib.api import observability
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from deploy.admin import ensure_admin
from deploy.stage_config import stage_environment, stage_settings
from devtools.offline_aws import use_offline_aws
from infra.table import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PROJECT = Path(__file__).resolve().parents[1]
ADMIN = "root"  # in BLOG_ADMINS of the "test" stage
PASSWORD = "correct horse battery"


def test_table_name() -> str:
    return stage_environment("test")["TABLE_NAME"]


def configure_environment() -> None:
    """Fake credentials and fresh secrets, so nothing can reach real AWS."""
    use_offline_aws()
    # The bench prints figures; the app's one-line-per-request log would bury them.
    observability.write_line = lambda record: None


@dataclass
class Recorder:
    """DynamoDB operations in call order, and the ScannedCount of each Query."""

    operations: list[str] = field(default_factory=list)
    scanned: list[int] = field(default_factory=list)

    def attach(self, client: DynamoDBClient) -> None:
        client.meta.events.register("before-call.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after_query)

    def _before(self, event_name: str, **_: Any) -> None:
        self.operations.append(event_name.rsplit(".", 1)[-1])

    def _after_query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.scanned.append(int(parsed.get("ScannedCount", 0)))

    def clear(self) -> None:
        self.operations.clear()
        self.scanned.clear()


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Measured:
    """One request and the DynamoDB work it caused."""

    reply: Reply
    operations: tuple[str, ...]
    scanned: tuple[int, ...]

    @property
    def round_trips(self) -> int:
        return len(self.operations)


class RequestFailed(Exception):
    pass


class Harness:
    def __init__(self, http: Any, client: DynamoDBClient, table_name: str, recorder: Recorder) -> None:
        self.http = http
        self.client = client
        self.table_name = table_name
        self.recorder = recorder

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                expect: int = 200, extra_headers: dict[str, str] | None = None) -> Reply:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers.update(extra_headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        raw = json.dumps(body).encode() if body is not None else b""
        response = self.http.request(method, path, headers=headers, body=raw)
        reply = Reply(response.status_code, response.body)
        if reply.status != expect:
            # A figure from a failed request would measure the error path: stop instead.
            raise RequestFailed(f"{method} {path} answered {reply.status}, not {expect}: {reply.body[:300]!r}")
        return reply

    def measure(self, method: str, path: str, body: Any = None, token: str | None = None,
                expect: int = 200, extra_headers: dict[str, str] | None = None) -> Measured:
        self.recorder.clear()
        reply = self.request(method, path, body, token, expect, extra_headers)
        return Measured(reply, tuple(self.recorder.operations), tuple(self.recorder.scanned))

    # -- setting up content through the API ---------------------------------

    def admin_token(self) -> str:
        # Sign-up refuses the names in BLOG_ADMINS: the admin is made as `make admin` makes it.
        ensure_admin(Table(self.client, self.table_name), stage_settings("test"), ADMIN, f"{ADMIN}@example.com",
                     lambda: PASSWORD, lambda _: None)
        reply = self.request("POST", "/auth/login", {"email": f"{ADMIN}@example.com", "password": PASSWORD})
        return str(reply.json["token"])

    def create_post(self, token: str, title: str, body: str = "Some *text*.",
                    labels: list[str] | None = None) -> str:
        reply = self.request("POST", "/posts", {"title": title, "body": body, "labels": labels or []},
                             token=token, expect=201)
        return str(reply.json["slug"])


@contextmanager
def running_app() -> Iterator[Harness]:
    """A fresh table under moto, the services rebuilt on its client, and the test client."""
    table_name = test_table_name()
    with mock_aws():
        services_module.reset()
        client = dynamodb_client()
        create_table(client, table_name)
        recorder = Recorder()
        recorder.attach(client)
        from app import app

        try:
            with Client(app, stage_name="test", project_dir=str(PROJECT)) as chalice_client:
                yield Harness(chalice_client.http, client, table_name, recorder)
        finally:
            services_module.reset()
