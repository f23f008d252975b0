"""Operability: one JSON line per request (which is also its metrics), bounded retries and time,
throttling and timeouts answered 503 + Retry-After, and nothing half-written when a request is cut off.

Failures are injected through botocore's events on the app's own client,
so the code under test runs exactly as it does in Lambda:

- per attempt ("before-send"): an attempt answered in DynamoDB's place or
  failed as the network would, so botocore's retries run for real. Only on
  reads: moto's stub, also a "before-send" handler, still executes the request;
- per call ("before-call", which may answer for the whole call): a call that
  failed after its retries, which never reaches moto, so a refused write is
  really not written (a throttled DynamoDB write is not applied either).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from moto.core.botocore_stubber import MockRawResponse

from chalicelib.store import client as store
from chalicelib.store.client import dynamodb_client, ssm_client
from deploy.stages import CHALICE_CONFIG
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls

API_GATEWAY_LIMIT_SECONDS = 29


def request_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"level"')]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retries, skip their sleeps (the attempts are what is tested)."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


def error_response(code: str, status: int = 400, **extra: Any) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code, **extra})
    headers = HTTPHeaders.from_dict({"x-amzn-requestid": "injected", "content-type": "application/x-amz-json-1.0"})
    return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", status, headers, MockRawResponse(body))


class Injector:
    """Fails chosen DynamoDB calls of the app's client."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        # (operation, call index, attempt) -> an AWSResponse to answer with, or None to let it through
        self.fail: Callable[[str, int, int], Any] | None = None  # each attempt
        self.fail_call: Callable[[str, int], Any] | None = None  # the whole call, after its retries
        self.attempts = 0
        client = dynamodb_client()
        client.meta.events.register("before-call.dynamodb.*", self._call)
        # First, so its answer is the one botocore takes (moto's stub answers too).
        client.meta.events.register_first("before-send.dynamodb.*", self._send)

    def _call(self, model: Any, **_: Any) -> Any:
        self.operations.append(model.name)
        self.attempts = 0
        if self.fail_call is None:
            return None
        response = self.fail_call(model.name, len(self.operations) - 1)
        if response is None:
            return None
        # As botocore would return it after its last attempt: (http response, parsed).
        parsed = json.loads(response.content)
        error = {"Error": {"Code": parsed["__type"].rsplit("#", 1)[-1], "Message": parsed["message"]},
                 "ResponseMetadata": {"HTTPStatusCode": response.status_code, "RetryAttempts": 2}}
        return response, {**error, **{k: v for k, v in parsed.items() if k not in ("__type", "message")}}

    def _send(self, **_: Any) -> Any:
        self.attempts += 1
        if self.fail is None:
            return None
        return self.fail(self.operations[-1], len(self.operations) - 1, self.attempts)

    def cut_at(self, index: int) -> None:
        """The call with this index fails, throttled, and writes nothing."""
        self.fail_call = lambda operation, at: error_response("ProvisionedThroughputExceededException") \
            if at == index else None


@pytest.fixture
def inject(api: Api) -> Iterator[Injector]:
    yield Injector()


def throttled(operation: str, index: int, attempt: int) -> AWSResponse:
    return error_response("ProvisionedThroughputExceededException")


# --- the request log and its metrics ---------------------------------------------

def test_each_request_writes_one_json_line_with_id_route_status_latency_and_capacity(
        api: Api, blog: Blog, capsys: pytest.CaptureFixture[str]) -> None:
    slug = blog.post(blog.author())["slug"]
    capsys.readouterr()
    reply = api.get(f"/posts/{slug}")
    assert reply.status == 200
    (line,) = request_lines(capsys.readouterr().out)
    assert line["event"] == "request" and line["level"] == "info" and line["stage"] == "test"
    assert line["request_id"] and line["lambda_request_id"]
    assert (line["method"], line["route"], line["path"], line["status"]) == ("GET", "/posts/{slug}",
                                                                            f"/posts/{slug}", 200)
    assert line["latency_ms"] > 0
    assert line["dynamodb_calls"] == 1 and line["dynamodb_retries"] == 0
    assert line["read_units"] > 0 and line["write_units"] == 0  # DynamoDB's own figure, asked for
    assert line["server_error"] == 0 and line["throttled"] == 0


def test_every_dynamodb_call_asks_for_its_consumed_capacity(api: Api, blog: Blog) -> None:
    asked: list[tuple[str, Any]] = []
    dynamodb_client().meta.events.register(
        "before-parameter-build.dynamodb.*",
        lambda params, model, **_: asked.append((model.name, params.get("ReturnConsumedCapacity"))))
    slug = blog.post(blog.author(), labels=["x"])["slug"]
    blog.comment(slug)
    api.get(f"/posts/{slug}?embed=comments")
    api.get("/posts?label=x")
    assert {name for name, _ in asked} >= {"GetItem", "Query", "TransactWriteItems", "BatchGetItem"}
    assert {value for _, value in asked} == {"TOTAL"}


def test_the_line_carries_its_metrics_in_embedded_metric_format(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.get("/health")
    (line,) = request_lines(capsys.readouterr().out)
    directive, by_route = line["_aws"]["CloudWatchMetrics"]
    assert isinstance(line["_aws"]["Timestamp"], int)
    assert directive["Namespace"] == by_route["Namespace"] == "ServerlessBlog"
    assert directive["Dimensions"] == [["stage"]]
    assert line["stage"] == "test"
    names = {m["Name"] for m in directive["Metrics"]}
    assert names == {"latency_ms", "server_error", "throttled", "read_units", "write_units", "gb_seconds",
                     "mail_sent"}
    assert all(isinstance(line[name], int | float) for name in names)
    assert {m["Unit"] for m in directive["Metrics"]} <= {"Milliseconds", "Count", "None"}
    # Per route, only what its cost is made of: each route in use is a billed custom metric per name.
    assert by_route["Dimensions"] == [["stage", "route"]] and line["route"] == "/health"
    assert {m["Name"] for m in by_route["Metrics"]} == {"read_units", "write_units", "gb_seconds"}


def test_route_metrics_can_be_turned_off_for_their_cloudwatch_bill(api: Api, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTE_METRICS", "off")
    api.get("/health")
    (line,) = request_lines(capsys.readouterr().out)
    assert line["route"] == "/health"
    assert [d["Dimensions"] for d in line["_aws"]["CloudWatchMetrics"]] == [[["stage"]]]


def test_the_line_says_what_lambda_bills_for_it(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.get("/health")
    (line,) = request_lines(capsys.readouterr().out)
    # Billed: the handler's milliseconds rounded up, times the function's memory (Chalice's default 128 MB).
    assert line["billed_ms"] == max(1, math.ceil(line["latency_ms"])) and line["memory_mb"] == 128
    assert line["gb_seconds"] == pytest.approx(line["billed_ms"] / 1000 * 128 / 1024)
    assert line["mail_sent"] == 0


def test_a_scheduled_run_and_a_stream_batch_write_their_lines_too(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[])
        capsys.readouterr()
        client.lambda_.invoke("publish_due_posts", event)
    (line,) = request_lines(capsys.readouterr().out)
    assert line["event"] == "scheduled_run" and line["scheduled_run_failed"] == 0
    assert line["dynamodb_calls"] >= 1 and line["scheduled_run_ms"] > 0
    assert {m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]} == {
        "scheduled_run_ms", "scheduled_run_failed", "read_units", "write_units", "gb_seconds", "mail_sent"}
    assert line["gb_seconds"] > 0 and line["memory_mb"] == 128
    assert len(line["_aws"]["CloudWatchMetrics"]) == 1  # no route: no per-route metrics
    with Client(app, stage_name="test") as client:
        capsys.readouterr()
        client.lambda_.invoke("notify_comments", {"Records": []})  # an empty batch: nothing to send
    (line,) = request_lines(capsys.readouterr().out)
    assert (line["event"], line["records"], line["stream_batch_failed"]) == ("stream_batch", 0, 0)


# --- retries and time ----------------------------------------------------------

def test_clients_retry_in_standard_mode_a_bounded_number_of_times(dynamo: DynamoCalls) -> None:
    for client in (dynamodb_client(), ssm_client()):
        config: Any = client.meta.config  # botocore's stubs leave Config's options undeclared
        assert config.retries["mode"] == "standard"
        assert config.retries["total_max_attempts"] == store.MAX_ATTEMPTS == 3
        assert (config.connect_timeout, config.read_timeout) == (store.CONNECT_TIMEOUT, store.READ_TIMEOUT)


def test_the_worst_case_fails_well_inside_api_gateways_29_seconds() -> None:
    # No attempt starts after the budget; one that started just before may take a full attempt.
    worst = store.REQUEST_BUDGET_SECONDS + store.CONNECT_TIMEOUT + store.READ_TIMEOUT
    lambda_timeout = json.loads(CHALICE_CONFIG.read_text())["lambda_timeout"]
    assert worst <= 20 <= API_GATEWAY_LIMIT_SECONDS - 9
    assert worst <= lambda_timeout < API_GATEWAY_LIMIT_SECONDS


def test_a_request_out_of_time_starts_no_more_calls_and_answers_503(api: Api, blog: Blog, inject: Injector,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    slug = blog.post(blog.author())["slug"]
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "serverless-blog-test")  # as in Lambda, where the budget holds
    monkeypatch.setattr(store, "REQUEST_BUDGET_SECONDS", 0.2)

    def slow(**_: Any) -> None:
        time.sleep(0.3)  # each answer takes 0.3 s to arrive
    dynamodb_client().meta.events.register("after-call.dynamodb.*", slow)
    capsys.readouterr()
    start = len(inject.operations)
    started = time.monotonic()
    reply = api.post(f"/posts/{slug}/comments", {"body": "Slow", "author_name": "Ann"})
    took = time.monotonic() - started
    dynamodb_client().meta.events.unregister("after-call.dynamodb.*", slow)
    assert reply.status == 503 and reply.headers["retry-after"] == "2"
    assert len(inject.operations) - start == 2  # the first call spent the budget; the second never went out
    assert took < 0.2 + 0.3 + 0.5
    (line,) = request_lines(capsys.readouterr().out)
    assert line["status"] == 503 and line["server_error"] == 1 and line["level"] == "error"
    monkeypatch.setattr(store, "REQUEST_BUDGET_SECONDS", 10.0)
    assert store.request_budget() == 10.0
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    assert store.request_budget() is None  # make run, tests: no gateway waits, moto may be slow
    assert api.get(f"/posts/{slug}").json["comment_count"] == 0  # nothing was written


# --- throttling and timeouts are 503 + Retry-After --------------------------------

def test_dynamodb_throttling_surfaces_as_503_with_retry_after(api: Api, blog: Blog, inject: Injector, no_backoff: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    slug = blog.post(blog.author())["slug"]
    inject.fail = throttled
    capsys.readouterr()
    reply = api.get(f"/posts/{slug}")
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"
    assert reply.problem["title"] == "Service Unavailable"
    assert inject.attempts == store.MAX_ATTEMPTS  # botocore retried, within its bound
    (line,) = request_lines(capsys.readouterr().out)
    assert (line["status"], line["throttled"], line["dynamodb_retries"]) == (503, 1, store.MAX_ATTEMPTS - 1)


def test_a_throttle_that_a_retry_cures_is_served_and_still_counted(api: Api, blog: Blog, inject: Injector,
                                                                   no_backoff: None,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    slug = blog.post(blog.author())["slug"]
    inject.fail = lambda operation, index, attempt: throttled(operation, index, attempt) if attempt == 1 else None
    capsys.readouterr()
    assert api.get(f"/posts/{slug}").status == 200
    (line,) = request_lines(capsys.readouterr().out)
    assert (line["status"], line["throttled"], line["dynamodb_retries"]) == (200, 1, 1)


def test_a_throttled_transaction_is_503_and_writes_nothing(api: Api, blog: Blog, inject: Injector,
                                                           no_backoff: None) -> None:
    slug = blog.post(blog.author())["slug"]
    tries = 0

    def cancelled(operation: str, index: int) -> AWSResponse | None:
        nonlocal tries
        if operation != "TransactWriteItems":
            return None
        tries += 1
        return error_response("TransactionCanceledException",
                              CancellationReasons=[{"Code": "ThrottlingError"}, {"Code": "None"}])
    inject.fail_call = cancelled
    reply = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_name": "Ann"})
    assert reply.status == 503 and reply.headers["retry-after"] == "1"
    assert tries > 1  # the store tried again (a cancelled transaction wrote nothing) before giving up
    inject.fail_call = None
    assert api.get(f"/posts/{slug}").json["comment_count"] == 0
    assert api.get(f"/posts/{slug}/comments").json["items"] == []


def test_a_timeout_after_the_retries_is_503(api: Api, blog: Blog, inject: Injector, no_backoff: None) -> None:
    slug = blog.post(blog.author())["slug"]

    def timed_out(operation: str, index: int, attempt: int) -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
    inject.fail = timed_out
    reply = api.get(f"/posts/{slug}")
    assert reply.status == 503 and reply.headers["retry-after"] == "2"
    assert inject.attempts == store.MAX_ATTEMPTS


# --- cut off half-way: nothing half-written ------------------------------------------

def table_state() -> set[str]:
    # A client of the test's own: the app's client must never be seen to Scan.
    items: list[Any] = []
    scanner = boto3.client("dynamodb")
    for page in scanner.get_paginator("scan").paginate(TableName=TEST_TABLE, ConsistentRead=True):
        items += page["Items"]
    return {json.dumps(item, sort_keys=True) for item in items}


def calls_of(inject: Injector, send: Callable[[], Any]) -> list[str]:
    before = len(inject.operations)
    send()
    return inject.operations[before:]


def cut_off_at_every_call(inject: Injector, send: Callable[[int], Any], expect: int) -> list[str]:
    """Fail the request at each of its DynamoDB calls in turn: each time 503 and the table as it was."""
    operations = calls_of(inject, lambda: send(-1))
    for k in range(len(operations)):
        before = table_state()
        inject.cut_at(len(inject.operations) + k)
        reply = send(k)
        inject.fail_call = None
        assert reply.status == 503, (k, operations, reply.body)
        assert table_state() == before, f"cut off at call {k} ({operations[k]}) of {operations}, state changed"
    assert send(len(operations)).status == expect
    return operations


def test_a_comment_cut_off_at_any_call_leaves_nothing(api: Api, blog: Blog, inject: Injector, no_backoff: None) -> None:
    slug = blog.post(blog.author())["slug"]
    parent = blog.comment(slug)["comment"]["id"]

    def send(k: int) -> Any:
        return api.post(f"/posts/{slug}/comments", {"body": f"Reply {k}", "author_name": "Ann", "parent_id": parent})
    operations = cut_off_at_every_call(inject, send, 201)
    assert "TransactWriteItems" in operations


def test_a_post_cut_off_at_any_call_leaves_nothing(api: Api, blog: Blog, inject: Injector, no_backoff: None) -> None:
    token = blog.author()
    blog.post(token, labels=["news"])

    def send(k: int) -> Any:
        return api.post("/posts", {"title": f"Post {k}", "body": "text", "labels": ["news", f"l{k}"]}, token=token)
    cut_off_at_every_call(inject, send, 201)


def test_an_edit_cut_off_at_any_call_leaves_nothing(api: Api, blog: Blog, inject: Injector, no_backoff: None) -> None:
    token = blog.author()
    slug = blog.post(token, labels=["old"])["slug"]

    def send(k: int) -> Any:
        return api.patch(f"/posts/{slug}", {"title": f"Edit {k}", "labels": [f"new{k}"]}, token=token)
    cut_off_at_every_call(inject, send, 200)


def test_a_post_delete_cut_off_anywhere_completes_when_sent_again(api: Api, blog: Blog, inject: Injector,
                                                                  no_backoff: None) -> None:
    # Deleting a post takes several steps (retire it, remove its comments, remove it); a cut
    # between them leaves it retired, never half-counted, and sending the DELETE again finishes.
    token = blog.author()
    blog.post(token, labels=["keep"])
    empty = table_state()

    def make() -> str:
        slug = str(blog.post(token, labels=["keep", "gone"])["slug"])
        for n in range(3):
            blog.comment(slug, body=f"c{n}")
        return slug

    # A comment's rate-limit window and duplicate guard outlive the post on purpose (they expire by TTL).
    def durable(state: set[str]) -> set[str]:
        return {item for item in state if not any(f'"S": "{prefix}' in item for prefix in ("RATE#", "DUP#"))}

    first = make()
    operations = calls_of(inject, lambda: api.delete(f"/posts/{first}", token=token))
    assert durable(table_state()) == durable(empty)
    for k in range(len(operations)):
        slug = make()
        inject.cut_at(len(inject.operations) + k)
        assert api.delete(f"/posts/{slug}", token=token).status == 503
        inject.fail_call = None
        assert api.delete(f"/posts/{slug}", token=token).status == 204
        assert durable(table_state()) == durable(empty), f"cut off at call {k} ({operations[k]}) of {operations}"
