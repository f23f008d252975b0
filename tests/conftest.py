"""Shared fixtures: moto's DynamoDB in-process, the Chalice test client, and factories."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import moto.kms.models
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import services as services_module
from chalicelib.settings import Settings
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from deploy.admin import ensure_admin
from deploy.policy import Recorder
from deploy.stage_config import stage_environment
from devtools.moto_rollback import item_rollback
from devtools.offline_aws import use_offline_aws
from infra.table import create_table
from tests.settings_steps import Clock, configurer, stage_settings

PROJECT = Path(__file__).resolve().parents[1]
TEST_TABLE = stage_environment("test")["TABLE_NAME"]
ADMIN = "root"
PASSWORD = "correct horse battery"  # every account the steps make has it

# Least privilege (deploy/policy.py): every AWS call the app's own code makes is recorded;
# with AWS_CALLS_RECORD=<file>, the record is written there when the session ends. The
# path is read once, here, so no test's changes to the environment can lose it.
_aws_calls = Recorder().install()
_RECORD = Path(os.environ["AWS_CALLS_RECORD"]).resolve() if os.environ.get("AWS_CALLS_RECORD") else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    _aws_calls.current = item.nodeid


def _worker_records(target: Path) -> list[Path]:
    return sorted(target.parent.glob(target.name + ".worker-*"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if _RECORD is not None and not hasattr(session.config, "workerinput"):
        _RECORD.parent.mkdir(parents=True, exist_ok=True)  # before any worker writes beside it
        for stale in _worker_records(_RECORD):
            stale.unlink()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _RECORD is None:
        return
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        # Under pytest-xdist each worker records the calls of its own tests; the
        # controller, which finishes last, merges them into the one record.
        _RECORD.parent.mkdir(parents=True, exist_ok=True)
        _RECORD.with_name(f"{_RECORD.name}.worker-{worker['workerid']}").write_text(
            json.dumps(_aws_calls.record(True, "")))
        return
    for part in _worker_records(_RECORD):
        _aws_calls.absorb(json.loads(part.read_text()))
        part.unlink()
    option = session.config.option
    whole = session.config.args_source == pytest.Config.ArgsSource.TESTPATHS and not (
        option.keyword or option.markexpr or option.deselect)
    detail = f"{session.testscollected} tests, {session.testsfailed} failed, args {session.config.args}"
    _RECORD.write_text(json.dumps(_aws_calls.record(whole and exitstatus == 0, detail), indent=1))


@pytest.fixture(autouse=True, scope="session")
def _offline_aws_environment() -> None:
    use_offline_aws()


@dataclass
class DynamoCalls:
    """Every DynamoDB operation the code under test made, in order, with what it read."""

    operations: list[str] = field(default_factory=list)
    scanned: list[int] = field(default_factory=list)

    def clear(self) -> None:
        self.operations.clear()
        self.scanned.clear()


# botocore's service descriptions (JSON, about 0.2 s to parse), parsed once per test process. moto hides
# the default boto3 session while it mocks, so every test would otherwise build a session and parse them again.
_service_descriptions = botocore.loaders.create_loader()


def _session_with_parsed_descriptions() -> None:
    core = botocore.session.get_session()
    core.register_component("data_loader", _service_descriptions)
    boto3.setup_default_session(botocore_session=core)


# moto makes an RSA-2048 key (70 ms) for the default KMS key of every encrypted table it creates, one per
# test; the app never calls KMS, so the key is made once per test process and shared.
moto.kms.models.generate_private_key = functools.cache(moto.kms.models.generate_private_key)  # type: ignore[attr-defined]


@pytest.fixture
def dynamo() -> Iterator[DynamoCalls]:
    # A transaction saves only the items it names to roll back, as in `make run` (devtools/moto_rollback.py).
    with mock_aws(), item_rollback():
        _session_with_parsed_descriptions()
        services_module.reset()
        client = dynamodb_client()
        create_table(client, TEST_TABLE)
        calls = DynamoCalls()

        def record(event_name: str, **_: Any) -> None:
            calls.operations.append(event_name.rsplit(".", 1)[-1])

        def record_read(parsed: dict[str, Any], **_: Any) -> None:
            if "ScannedCount" in parsed:
                calls.scanned.append(parsed["ScannedCount"])

        client.meta.events.register("before-call.dynamodb.*", record)
        client.meta.events.register("after-call.dynamodb.*", record_read)
        calls.clear()
        yield calls
        assert "Scan" not in calls.operations, "a request path called Scan"
        services_module.reset()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/problem+json", self.headers
        loaded: dict[str, Any] = json.loads(self.body)
        assert loaded["status"] == self.status
        return loaded


API_HOST = "api.test.example"


class Api:
    """The Chalice test client with JSON and token handling."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def request(self, method: str, path: str, json_body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, raw: bytes | str | None = None) -> Reply:
        sent = dict(headers or {})
        if not any(name.lower() == "host" for name in sent):
            sent["Host"] = API_HOST  # as every HTTP/1.1 client sends; the API names itself by it
        body = raw
        if json_body is not None:
            body = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if isinstance(body, str):
            body = body.encode()  # as Chalice's Request.raw_body would encode it
        response = self.client.http.request(method, path, headers=sent, body=body or b"")
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.body)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PATCH", path, json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(dynamo: DynamoCalls) -> Iterator[Api]:
    from app import app

    with Client(app, stage_name="test") as client:
        yield Api(client)


def make_admin(username: str = ADMIN) -> None:
    """Create (or promote) the admin account through the operator command's own function (deploy/admin.py)."""
    # Its own table client on the test stage's table: the services may not be built yet.
    ensure_admin(Table(dynamodb_client(), TEST_TABLE), stage_settings(), username, f"{username.lower()}@example.com",
                 lambda: PASSWORD, lambda _: None)


def login(api: Api, email: str, password: str = PASSWORD) -> Reply:
    """POST /auth/login, answered as it is."""
    return api.post("/auth/login", {"email": email, "password": password})


class Blog:
    """Factories: users in each role, posts and comments, through the API itself."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def user(self, username: str | None = None) -> str:
        username = username or f"reader{self._next()}"
        reply = self.api.post("/auth/signup", {"username": username, "email": f"{username}@example.com",
                                               "password": PASSWORD})
        assert reply.status == 201, reply.body
        return str(reply.json["token"])

    def admin(self) -> str:
        """The test stage's admin (BLOG_ADMINS), made the first time as `make admin` makes it."""
        probe = login(self.api, f"{ADMIN}@example.com")
        if probe.status == 200:
            return str(probe.json["token"])  # a session like any other: no second login for it (#26, CI time)
        make_admin()
        return self.login(ADMIN)

    def login(self, username: str) -> str:
        reply = login(self.api, f"{username}@example.com")
        assert reply.status == 200, reply.body
        return str(reply.json["token"])

    def author(self, username: str | None = None) -> str:
        username = username or f"author{self._next()}"
        self.user(username)
        reply = self.api.put(f"/users/{username}/role", {"role": "author"}, token=self.admin())
        assert reply.status == 200, reply.body
        return self.login(username)

    def post(self, token: str, **fields: Any) -> dict[str, Any]:
        payload = {"title": f"Post number {self._next()}", "body": "Some *text*.", **fields}
        reply = self.api.post("/posts", payload, token=token)
        assert reply.status == 201, reply.body
        return dict(reply.json)

    def comment(self, slug: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
        payload = {"body": f"Comment {self._next()}", "author_name": "Ann", **fields}
        if token:
            payload.pop("author_name", None)
        reply = self.api.post(f"/posts/{slug}/comments", payload, token=token)
        assert reply.status == 201, reply.body
        return dict(reply.json)


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    """The OpenAPI document the API serves."""
    reply = api.get("/openapi.json")
    assert reply.status == 200, reply.body
    loaded: dict[str, Any] = reply.json
    return loaded


@pytest.fixture
def blog(api: Api) -> Blog:
    return Blog(api)


# The comment tests' usual scene: an author, and one post of theirs to comment on.
AUTHOR = "alice"


@pytest.fixture
def author(blog: Blog) -> str:
    return blog.author(AUTHOR)


@pytest.fixture
def slug(blog: Blog, author: str) -> str:
    return str(blog.post(author, title="Hello world")["slug"])


@pytest.fixture
def configure(api: Api, dynamo: DynamoCalls) -> Callable[..., Settings]:
    """configure(NAME="value", ...): the test stage's settings, changed, for the rest of the test."""
    return configurer()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time as the comment service sees it, moved forward at will (no sleeps)."""
    return Clock(monkeypatch)
