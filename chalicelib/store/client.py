"""The one factory for AWS clients: DynamoDB (the table), SSM (the stage's secrets) and CloudWatch.

CloudWatch is read only by the admin's Costs page (``GetMetricData``), never
on any other request; the app writes its metrics as log lines, not API calls.

Clients are made on first use, not at import: a client built at import time
would escape moto's mock in tests, and importing boto3 lazily keeps cold starts
short. Tests and the local runner choose the endpoint through the environment
(``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_DYNAMODB``), which boto3 honours, or
inject a client.

Every client gets the same failure budget:

- botocore's ``standard`` retry mode, at most ``MAX_ATTEMPTS`` attempts
  (throttling, 5xx and connection errors are retried with jittered back-off);
- ``CONNECT_TIMEOUT`` and ``READ_TIMEOUT`` per attempt;
- inside a request (``request_scope``), no attempt *starts* after the request's
  deadline: the call fails at once with ``DeadlineExceeded``.

So a request spends at most its budget plus one attempt on AWS calls
(10 s + 1 s + 5 s = 16 s), and answers 503 well before API Gateway gives up at
29 s; the Lambda timeout (20 s, .chalice/config.json) is only a backstop. The
budget is for API Gateway's sake, so it holds in Lambda only (``request_budget``):
under `make run` and in tests no gateway waits, and moto, serialised on a
shared machine, can be far slower than DynamoDB ever is.

The DynamoDB client also asks for the consumed capacity of every call
(``ReturnConsumedCapacity=TOTAL``) and adds it, with the number of calls and
retries, to the current request's ``Usage``, which the request log reports.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ssm import SSMClient

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 5.0
REQUEST_BUDGET_SECONDS = 10.0

# Operations whose capacity is read capacity; every other one that reports capacity writes.
_READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})  # no Scan: never on a request

# DynamoDB's ways of saying "too much, slow down"; all of them are worth a retry later.
THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ThrottlingError",                     # a transaction's cancellation reason
    "ProvisionedThroughputExceeded",       # likewise
})
_UNAVAILABLE_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})


def request_budget() -> float | None:
    """Seconds an API request may spend before its AWS calls stop: in Lambda, REQUEST_BUDGET_SECONDS."""
    return REQUEST_BUDGET_SECONDS if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else None


class DeadlineExceeded(Exception):
    """The request's time budget ran out before this AWS call could start."""


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Usage:
    """What one request (or scheduled run) asked of DynamoDB, and how many messages it handed to SES."""

    __slots__ = ("calls", "deadline", "mail_sent", "read_units", "retries", "throttled", "write_units")

    def __init__(self, deadline: float | None = None) -> None:
        self.calls = 0
        self.retries = 0
        self.read_units = 0.0
        self.write_units = 0.0
        self.throttled = False  # DynamoDB throttled at least one attempt, retried or not
        self.mail_sent = 0
        self.deadline = deadline


_usage: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("dynamodb_usage", default=None)


@contextmanager
def request_scope(budget_seconds: float | None) -> Iterator[Usage]:
    """Collect DynamoDB usage for the calls made inside; no attempt starts after ``budget_seconds``."""
    usage = Usage(deadline=time.monotonic() + budget_seconds if budget_seconds is not None else None)
    token = _usage.set(usage)
    try:
        yield usage
    finally:
        _usage.reset(token)


def note_mail_sent() -> None:
    """Count one message SES took, for the current request's or batch's log line (mail.send calls it)."""
    usage = _usage.get()
    if usage is not None:
        usage.mail_sent += 1


def _config() -> Config:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},  # the first try included
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


def _check_deadline(**_: Any) -> None:
    # "before-send" runs once per attempt, retries included.
    usage = _usage.get()
    if usage is not None and usage.deadline is not None and time.monotonic() > usage.deadline:
        raise DeadlineExceeded("the request ran out of time before its next DynamoDB call")


def _ask_for_capacity(params: dict[str, Any], model: Any, **_: Any) -> None:
    if "ReturnConsumedCapacity" in model.input_shape.members:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")


def _count_call(**_: Any) -> None:
    usage = _usage.get()
    if usage is not None:
        usage.calls += 1


def _note_throttling(parsed_response: dict[str, Any] | None, **_: Any) -> None:
    # "response-received" follows every attempt, so a throttle that a retry cured still counts.
    usage = _usage.get()
    if usage is not None and parsed_response and _throttling(parsed_response):
        usage.throttled = True


def _add_capacity(parsed: dict[str, Any], model: Any, **_: Any) -> None:
    # "after-call" follows each call once, after its retries.
    usage = _usage.get()
    if usage is None:
        return
    usage.retries += int(parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0))
    consumed = parsed.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    units = sum(float(entry.get("CapacityUnits", 0)) for entry in entries)
    if model.name in _READS:
        usage.read_units += units
    else:
        usage.write_units += units


_dynamodb: DynamoDBClient | None = None
_ssm: SSMClient | None = None
_cloudwatch: CloudWatchClient | None = None


def dynamodb_client() -> DynamoDBClient:
    global _dynamodb
    if _dynamodb is None:
        import boto3

        client = boto3.client("dynamodb", config=_config())
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", _ask_for_capacity)
        events.register("before-call.dynamodb.*", _count_call)
        events.register("after-call.dynamodb.*", _add_capacity)
        events.register("response-received.dynamodb.*", _note_throttling)
        events.register_first("before-send.dynamodb.*", _check_deadline)  # before any stub, as before a send
        _dynamodb = client
    return _dynamodb


def ssm_client() -> SSMClient:
    global _ssm
    if _ssm is None:
        import boto3

        client = boto3.client("ssm", config=_config())
        client.meta.events.register_first("before-send.ssm.*", _check_deadline)
        _ssm = client
    return _ssm


def cloudwatch_client() -> CloudWatchClient:
    global _cloudwatch
    if _cloudwatch is None:
        import boto3

        client = boto3.client("cloudwatch", config=_config())
        client.meta.events.register_first("before-send.monitoring.*", _check_deadline)
        _cloudwatch = client
    return _cloudwatch


def use_client(client: DynamoDBClient | None) -> None:
    """Swap the DynamoDB client (tests); ``None`` makes the next call build fresh clients."""
    global _dynamodb, _ssm, _cloudwatch
    _dynamodb = client
    _ssm = None
    _cloudwatch = None


def retry_after(error: BaseException) -> int | None:
    """Seconds after which a request that failed with ``error`` is worth sending again.

    None when the error is not a passing condition of the infrastructure
    (throttling, a timeout, an unreachable or failing service) but a bug or a
    refusal, which retrying would not cure.
    """
    if isinstance(error, DeadlineExceeded):
        return 2
    # botocore is imported only when an AWS call has failed, never on the happy path.
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(error, ConnectionError | HTTPClientError):  # timeouts and unreachable endpoints
        return 2
    if isinstance(error, ClientError):
        response: dict[str, Any] = dict(error.response)
        if _throttling(response):
            return 1
        code = str(response.get("Error", {}).get("Code", ""))
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _UNAVAILABLE_CODES or status >= 500:
            return 2
    return None


def _throttling(response: dict[str, Any]) -> bool:
    code = str(response.get("Error", {}).get("Code", ""))
    reasons = {str(r.get("Code")) for r in response.get("CancellationReasons", [])}
    return code in THROTTLING_CODES or bool(reasons & THROTTLING_CODES)
