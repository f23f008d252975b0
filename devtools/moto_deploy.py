"""Where moto's server differs from AWS in what `chalice deploy` meets, closed in front of it (WSGI).

A moto workaround, never deployed. moto and Chalice themselves are unchanged:

- **ImportRestApi and PutRestApi take OpenAPI 3 only in moto** (it refuses
  Swagger 2.0, which Chalice sends and API Gateway accepts), and moto's
  import reads ``info.description``, which Chalice's document has not. The
  body is converted to OpenAPI 3 (devtools/swagger_openapi.py) and given an
  empty description before moto reads it.
- **Lambda refuses a second event source mapping** of one function on one
  stream (409 ``ResourceConflictException``); moto makes another. Refused
  here as Lambda does, so a deploy retried after a failure meets the
  conflict it would meet on AWS.
- **moto hands a table's stream records to the mapped function on every write
  and then drops them from the stream**; without Docker that hand-over only
  fails. Lambda reads a stream without consuming it: any reader (here,
  `make deploy-check` through dynamodbstreams) still finds the records for 24
  hours. So moto's hand-over is switched off (``keep_stream_records``) and the
  records stay in the stream.

For tests, every call that changes something is named in ``changes`` (e.g.
``iam:CreateRole``, ``lambda:POST /2015-03-31/functions``), and ``fail`` can
make such a call fail (400 ``InjectedFault``, which no client retries), as a
missing permission or a quota met mid-deploy would.
"""

from __future__ import annotations

import io
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs

from devtools.swagger_openapi import convert

_REST_API = re.compile(r"^/restapis/?$")
_ONE_REST_API = re.compile(r"^/restapis/[^/]+/?$")
_MAPPINGS = re.compile(r"^/2015-03-31/event-source-mappings/?$")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
_READS = re.compile(r"^(Get|List|Describe)")
_CHANGES_KEPT = 10_000

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _body(environ: dict[str, Any]) -> bytes:
    body: bytes = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _replace_body(environ: dict[str, Any], body: bytes) -> None:
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def importable(document: dict[str, Any]) -> dict[str, Any]:
    """What moto's import needs: OpenAPI 3, with an ``info.description``."""
    converted = convert(document)
    converted.setdefault("info", {}).setdefault("description", "")
    return converted


def _answer(start_response: Callable[..., Any], status: str, code: str, message: str,
            query_protocol: bool = False) -> list[bytes]:
    """An AWS error in the caller's protocol: XML for the query services (IAM), JSON for the others."""
    if query_protocol:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
                "</Error><RequestId>deploy-gaps</RequestId></ErrorResponse>").encode()
        content_type = "text/xml"
    else:
        body = json.dumps({"__type": code, "Type": "User", "message": message}).encode()
        content_type = "application/json"
    start_response(status, [("Content-Type", content_type), ("x-amzn-ErrorType", code),
                            ("Content-Length", str(len(body)))])
    return [body]


def keep_stream_records() -> None:
    """moto's synchronous hand-over of stream records to a mapped function, off: it delivers nothing."""
    from moto.awslambda.models import LambdaBackend

    def deliver_nothing(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> str:
        return ""  # falsy: moto keeps the records in the stream

    # setattr: an assignment would read to vulture as an attribute nobody uses.
    setattr(LambdaBackend, "send_dynamodb_items", deliver_nothing)  # noqa: B010


class DeployGaps:
    def __init__(self, app: WsgiApp) -> None:
        keep_stream_records()
        self.app = app
        # The latest only: `make run` serves for days, and nothing there reads them.
        self.changes: deque[str] = deque(maxlen=_CHANGES_KEPT)
        # Called with each change's name before it is made; True answers it with a 500 instead.
        self.fail: Callable[[str], bool] = lambda _change: False

    def _change(self, environ: dict[str, Any]) -> str | None:
        """The call's name when it changes something ("service:Action" or "service:METHOD path")."""
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(2) if scope else "?"
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            action = target.rsplit(".", 1)[-1]
            return None if _READS.match(action) else f"{service}:{action}"
        method = environ.get("REQUEST_METHOD", "GET")
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            action = parse_qs(_body(environ).decode()).get("Action", [""])[0]
            return None if _READS.match(action) else f"{service}:{action}"
        if method in ("GET", "HEAD"):
            return None
        return f"{service}:{method} {re.sub(r'/[0-9a-z]{10}(?=/|$)', '/{id}', environ.get('PATH_INFO', ''))}"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        change = self._change(environ)
        if change is not None:
            self.changes.append(change)
            if self.fail(change):
                # A refusal no client retries (a missing permission, a quota), so the deploy stops here.
                query = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
                return _answer(start_response, "400 Bad Request", "InjectedFault", f"injected failure of {change}",
                               query)
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if (method == "POST" and _REST_API.match(path) and query.get("mode") == ["import"]) or (
                method == "PUT" and _ONE_REST_API.match(path)):
            document = json.loads(_body(environ) or b"{}")
            _replace_body(environ, json.dumps(importable(document)).encode())
        elif method == "POST" and _MAPPINGS.match(path):
            existing = self._existing_mapping(environ, json.loads(_body(environ) or b"{}"))
            if existing is not None:
                return _answer(start_response, "409 Conflict", "ResourceConflictException", existing)
        return self.app(environ, start_response)

    @staticmethod
    def _existing_mapping(environ: dict[str, Any], spec: dict[str, Any]) -> str | None:
        """Lambda's refusal of a second mapping of one function on one event source, or None."""
        from moto.awslambda.utils import get_backend
        from moto.core.models import DEFAULT_ACCOUNT_ID

        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = scope.group(1) if scope else "us-east-1"
        function = str(spec.get("FunctionName", "")).split(":function:")[-1].split(":")[0]
        source = str(spec.get("EventSourceArn", ""))
        for mapping in get_backend(DEFAULT_ACCOUNT_ID, region).list_event_source_mappings(source, ""):
            if mapping.function_arn.split(":function:")[-1].split(":")[0] == function:
                return (f"The event source arn ({source}) and function ({function}) provided mapping already "
                        f"exists. Please update or delete the existing mapping with UUID {mapping.uuid}")
        return None
