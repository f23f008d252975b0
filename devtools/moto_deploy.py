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
- **CloudFormation keeps a resource whose ``DeletionPolicy`` is ``Retain``
  when a stack update removes it** from the template (AWS's documented way
  to take a resource out of a stack); moto's update deletes it anyway, and
  an update that changes only a table's ``DeletionPolicy`` loses the table
  from the stack (moto cannot update a table from a template). Both kept
  here as AWS keeps them (``retain_on_removal``), so `make use-table`
  (deploy/switch.py), which lets the data stack go of its table, is tested
  as it behaves on AWS.
- **A table made by CloudFormation gets no TTL and no point-in-time
  recovery** in moto, whatever its ``TimeToLiveSpecification`` and
  ``PointInTimeRecoverySpecification`` say; AWS turns both on. Turned on
  here as AWS does (``table_settings_from_templates``), so the bootstrap's
  table can be restored and switched back to.
- **A point-in-time restore copies the table as it is now** in moto, whatever
  ``RestoreDateTime`` says. The source table's stream is its history (moto
  keeps every record, ``keep_stream_records``), so the copy is taken back to
  that time here (``restore_as_of_time``): each change recorded after it is
  undone on the copy, newest first, with the record's old image. A table
  without a stream is copied as moto copies it.

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
from datetime import UTC, datetime
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


def retain_on_removal() -> None:
    """moto's stack update, except that a resource with DeletionPolicy Retain leaving the template is kept."""
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.update
    if getattr(original, "retains", False):
        return

    def update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        staying = template.get("Resources", {})
        for name, resource in list(self._resource_json_map.items()):
            if name not in staying and resource.get("DeletionPolicy") == "Retain":
                # Out of the stack's map, so moto's update does not see it leave: the resource itself stays.
                self._resource_json_map = {k: v for k, v in self._resource_json_map.items() if k != name}
                self._parsed_resources.pop(name, None)
        before = dict(self._parsed_resources)
        same = [name for name, resource in self._resource_json_map.items() if name in staying
                and resource.get("Properties") == staying[name].get("Properties")]
        original(self, template, parameters)
        for name in same:
            # A change of policies only (DeletionPolicy Retain): moto re-parses the resource, and for a
            # table, which it cannot update, loses it (None); on AWS the resource is untouched.
            if self._parsed_resources.get(name) is None and before.get(name) is not None:
                self._parsed_resources[name] = before[name]

    update.retains = True  # type: ignore[attr-defined]
    setattr(ResourceMap, "update", update)  # noqa: B010


def table_settings_from_templates() -> None:
    """moto's AWS::DynamoDB::Table, then its template's TTL and point-in-time recovery applied as AWS applies them."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table

    original = Table.create_from_cloudformation_json
    if getattr(original, "applies_settings", False):
        return

    def create(cls: type[Table], /, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
               region_name: str, **kwargs: Any) -> Table:
        table = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json["Properties"]
        backend = dynamodb_backends[account_id][region_name]
        if "TimeToLiveSpecification" in properties:
            backend.update_time_to_live(table.name, properties["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in properties:
            backend.update_continuous_backups(table.name, properties["PointInTimeRecoverySpecification"])
        return table

    create.applies_settings = True  # type: ignore[attr-defined]
    setattr(Table, "create_from_cloudformation_json", classmethod(create))  # noqa: B010


def restore_as_of_time() -> None:
    """moto's RestoreTableToPointInTime, then the copy taken back to RestoreDateTime through the source's stream."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.restore_table_to_point_in_time
    if getattr(original, "rewinds", False):
        return

    def restore(self: DynamoHandler) -> Any:
        answer = original(self)
        when = self.body.get("RestoreDateTime")
        if when is not None and not self.body.get("UseLatestRestorableTime"):
            backend = self.dynamodb_backend
            if not isinstance(when, datetime):  # moto parses the body's epoch seconds into a datetime, or not
                when = datetime.fromtimestamp(float(when), UTC)
            rewind(backend.get_table(self.body["SourceTableName"]), backend.get_table(self.body["TargetTableName"]),
                   when.astimezone(UTC).replace(tzinfo=None))  # moto's stream records: naive UTC
        return answer

    restore.rewinds = True  # type: ignore[attr-defined]
    setattr(DynamoHandler, "restore_table_to_point_in_time", restore)  # noqa: B010


def rewind(source: Any, copy: Any, when: datetime) -> int:
    """Undo on ``copy`` every change to ``source`` its stream recorded after ``when``; how many."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    shard = getattr(source, "stream_shard", None)
    later = [r.record["dynamodb"] for r in (shard.items if shard else []) if
             r.record["dynamodb"]["ApproximateCreationDateTime"] > when]
    for change in reversed(later):
        if change.get("OldImage"):
            copy.put_item(change["OldImage"])
        else:
            keys = change["Keys"]
            copy.delete_item(DynamoType(keys[copy.hash_key_attr]),
                             DynamoType(keys[copy.range_key_attr]) if copy.range_key_attr else None)
    return len(later)


class DeployGaps:
    def __init__(self, app: WsgiApp) -> None:
        keep_stream_records()
        retain_on_removal()
        table_settings_from_templates()
        restore_as_of_time()
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
