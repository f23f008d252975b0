"""One structured log line per request, which is also its CloudWatch metrics.

Each HTTP request, each scheduled run and each stream batch writes one JSON
object on one line of stdout: the request id, route, status, latency and what
DynamoDB was asked (calls, retries, consumed read and write capacity, which
the client factory collects). The same line carries an ``_aws`` block in
CloudWatch's Embedded Metric Format, so CloudWatch Logs turns its numbers into
metrics without a PutMetricData call (no extra latency, no IAM permission).

Each line also says what its invocation cost in Lambda's terms: ``billed_ms``
(the handler's own time, rounded up to the millisecond as Lambda bills it; the
platform's ``REPORT`` line adds a millisecond or two of runtime overhead, and
a cold start's init), ``memory_mb`` (the function's configured memory) and
``gb_seconds`` (their product, the unit Lambda prices), and ``mail_sent``.
The Costs page (chalicelib/blog/costs.py) reads these metrics back.

Metrics have the stage as their dimension. Three of them (read and write
units, GB-seconds) are also published per route, so that the Costs page can
name the most expensive routes: each route in use is three more custom metrics
(CloudWatch bills each metric-month; ``ROUTE_METRICS=off`` leaves them out, and
the page then names no routes), the only per-route metrics there are;
anything else by route is better queried from the same lines with Logs
Insights (``filter route = "/posts/{slug}"``).

The middleware is the outermost one, so the latency and status it reports are
what API Gateway sees; in Lambda it also gives each request a time budget
(``store.client.request_scope``): no AWS call starts after it is spent.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.api.problems import from_exception
from chalicelib.blog import clock
from chalicelib.store.client import Usage, request_budget, request_scope

NAMESPACE = "ServerlessBlog"

_HTTP_METRICS = (
    ("latency_ms", "Milliseconds"),
    ("server_error", "Count"),
    ("throttled", "Count"),
    ("read_units", "Count"),
    ("write_units", "Count"),
    ("gb_seconds", "None"),
    ("mail_sent", "Count"),
)
# What a route costs: its requests are the SampleCount of any of these.
_ROUTE_METRICS = (("read_units", "Count"), ("write_units", "Count"), ("gb_seconds", "None"))
DEFAULT_MEMORY_MB = 128  # Lambda's and Chalice's default, when no context says otherwise

_cold = True


def write_line(record: dict[str, Any]) -> None:
    """One line on stdout: Lambda sends it to CloudWatch Logs as one event."""
    sys.stdout.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


def _stage() -> str:
    return os.environ.get("STAGE", "dev")


def _directive(dimensions: list[str], metrics: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {"Namespace": NAMESPACE, "Dimensions": [dimensions],
            "Metrics": [{"Name": name, "Unit": unit} for name, unit in metrics]}


def _with_metrics(record: dict[str, Any], metrics: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    directives = [_directive(["stage"], metrics)]
    if isinstance(record.get("route"), str) and os.environ.get("ROUTE_METRICS", "on") != "off":
        directives.append(_directive(["stage", "route"], _ROUTE_METRICS))
    record["_aws"] = {"Timestamp": int(clock.now().timestamp() * 1000), "CloudWatchMetrics": directives}
    return record


def _memory_mb(context: Any) -> int:
    configured = getattr(context, "memory_limit_in_mb", None) or os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    return int(configured or DEFAULT_MEMORY_MB)


def _lambda_fields(context: Any, elapsed_ms: float) -> dict[str, Any]:
    """Lambda bills duration per millisecond, rounded up, times the configured memory."""
    billed_ms = max(1, math.ceil(elapsed_ms))
    memory_mb = _memory_mb(context)
    return {"billed_ms": billed_ms, "memory_mb": memory_mb,
            "gb_seconds": round(billed_ms / 1000 * memory_mb / 1024, 9)}


def _usage_fields(usage: Usage) -> dict[str, Any]:
    return {
        "dynamodb_calls": usage.calls,
        "dynamodb_retries": usage.retries,
        "read_units": round(usage.read_units, 2),
        "write_units": round(usage.write_units, 2),
        "throttled": int(usage.throttled),
        "mail_sent": usage.mail_sent,
    }


def _lambda_request_id(context: Any) -> str | None:
    return getattr(context, "aws_request_id", None)


def _cold_start() -> bool:
    global _cold
    cold, _cold = _cold, False
    return cold


def request_record(app: Chalice, request: Request, response: Response, usage: Usage,
                   latency_ms: float) -> dict[str, Any]:
    context = request.context or {}
    lambda_id = _lambda_request_id(app.lambda_context)
    record: dict[str, Any] = {
        "level": "error" if response.status_code >= 500 else "info",
        "event": "request",
        "stage": _stage(),
        # API Gateway's id is the one a caller sees (x-amzn-RequestId); the Lambda's ties to its own logs.
        "request_id": context.get("requestId") or lambda_id,
        "lambda_request_id": lambda_id,
        "method": request.method,
        "route": context.get("resourcePath"),
        "path": context.get("path"),
        "status": response.status_code,
        "latency_ms": round(latency_ms, 2),
        "server_error": int(response.status_code >= 500),
        "cold_start": _cold_start(),
    }
    record.update(_usage_fields(usage))
    record.update(_lambda_fields(app.lambda_context, latency_ms))
    return _with_metrics(record, _HTTP_METRICS)


def install(app: Chalice) -> None:
    """Register the middleware for requests, schedules and stream batches; call before any other."""

    @app.middleware("http")
    def observe_request(request: Request, get_response: Callable[[Request], Response]) -> Response:
        started = time.perf_counter()
        with request_scope(request_budget()) as usage:
            try:
                response = get_response(request)
            except Exception as error:  # noqa: BLE001 - a failure outside the views still gets a problem
                response = from_exception(error)
        write_line(request_record(app, request, response, usage, (time.perf_counter() - started) * 1000))
        return response

    for event_type, kind in (("scheduled", "scheduled_run"), ("dynamodb", "stream_batch")):
        app.register_middleware(_event_observer(kind), event_type)


def _event_observer(kind: str) -> Callable[[Any, Callable[[Any], Any]], Any]:
    """One line per scheduled run or stream batch; its duration and failure are metrics too."""
    metrics = ((f"{kind}_ms", "Milliseconds"), (f"{kind}_failed", "Count"), ("read_units", "Count"),
               ("write_units", "Count"), ("gb_seconds", "None"), ("mail_sent", "Count"))

    def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
        started = time.perf_counter()
        failed = True
        # No time budget: these runs are bounded by their Lambda timeout, not by API Gateway's.
        with request_scope(budget_seconds=None) as usage:
            try:
                result = get_response(event)
                failed = False
                return result
            finally:
                context = getattr(event, "context", None)
                elapsed_ms = (time.perf_counter() - started) * 1000
                record: dict[str, Any] = {
                    "level": "error" if failed else "info",
                    "event": kind,
                    "stage": _stage(),
                    "lambda_request_id": _lambda_request_id(context),
                    "function": getattr(context, "function_name", None),
                    f"{kind}_ms": round(elapsed_ms, 2),
                    f"{kind}_failed": int(failed),
                    "cold_start": _cold_start(),
                    **_usage_fields(usage),
                    **_lambda_fields(context, elapsed_ms),
                }
                if kind == "stream_batch":
                    record["records"] = len(event.to_dict().get("Records", []))
                write_line(_with_metrics(record, metrics))

    return observe
