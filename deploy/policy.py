"""The Lambda role's policy: exactly the AWS calls the code makes, on the stage's own resources.

``APP_GRANTS`` lists, as IAM actions, the calls app.py and chalicelib/ make,
and on which kind of resource (the table, its indexes, each secret). From it,
``python -m deploy.policy write`` renders ``.chalice/policy-<stage>.json`` for
every stage (``autogen_policy`` is off, so `chalice deploy` uses these files as
they are), and deploy/package.py renders the same grants with the resources
pinned to the stack's own table and account.

Whether ``APP_GRANTS`` is right is not a matter of review alone: the test
suite records every AWS call made from the app's code (a botocore hook on
every client; ``Recorder``), and ``python -m deploy.policy check RECORD``
fails when the suite made a call no grant covers, or when a grant was never
used. The record is written only when ``AWS_CALLS_RECORD`` names a file and
says whether the session ran the whole suite; the check refuses a record of
a partial run, so running a few tests never makes it fail spuriously.

API operations are not always IAM actions: a TransactWriteItems is
authorised as the PutItem, UpdateItem, DeleteItem and ConditionCheckItem it
contains (there is no ``dynamodb:TransactWriteItems`` permission), and a Query
on an index needs the index's ARN. ``grants_for`` does that translation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from deploy import stages
from deploy.stages import PROJECT, Stage


@dataclass(frozen=True, order=True)
class Grant:
    action: str    # "dynamodb:GetItem"
    resource: str  # "table", "index", "parameter:<name>", or "*" for anything else


def _table(*actions: str) -> set[Grant]:
    return {Grant(f"dynamodb:{action}", "table") for action in actions}


# Every AWS call the deployed code makes, as IAM sees it. Keep it exact: the
# policy check fails on a missing grant and on one that nothing uses.
APP_GRANTS: frozenset[Grant] = frozenset({
    *_table("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem",
            "BatchWriteItem", "ConditionCheckItem"),
    Grant("dynamodb:Query", "index"),
    Grant("ssm:GetParameters", "parameter:jwt-secret"),
    Grant("ssm:GetParameters", "parameter:edit-token-key"),
    Grant("ssm:GetParameters", "parameter:hash-key"),
    Grant("ssm:GetParameters", "parameter:mail-link-key"),
    Grant("ssm:GetParameters", "parameter:webhook-secret"),
    Grant("ssm:GetParameters", "parameter:hash-key-previous"),  # asked for with the others; there during a rotation
    Grant("ssm:GetParameters", "parameter:akismet-key"),  # asked for with the others; there where Akismet is used
    Grant("ssm:GetParameters", "parameter:challenge-secret"),  # asked for with the others; there with a challenge
    Grant("ssm:GetParameters", "parameter:oidc-client-secrets"),  # asked for with the others; there with OIDC providers
    Grant("ses:SendRawEmail", "identity"),  # comment notifications, from the stream handler
    # The admin's Costs page (blog/costs.py), and only it: CloudWatch's metric reads. IAM cannot scope
    # them (CloudWatch defines no resource type for them), so they are the only grants on "*"; the page
    # reads the app's own namespace and stage, and metrics are figures, never content.
    Grant("cloudwatch:ListMetrics", "metrics"),
    Grant("cloudwatch:GetMetricData", "metrics"),
})

# What Lambda itself does with the functions' role, which botocore in the code
# never sees, so it is granted by name: writing the functions' logs (metrics
# included: they are Embedded Metric Format lines, not PutMetricData calls),
# and, when app.py has a stream handler, reading the table's stream for it.
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams")

_SIDS = {"table": "Table", "index": "TableIndexes", "stream": "TableStream", "parameter": "Secrets",
         "identity": "SendNotifications", "logs": "Logs", "metrics": "ReadMetrics"}


def runtime_grants(shape: stages.AppShape) -> list[Grant]:
    grants = [Grant(action, "logs") for action in LOG_ACTIONS]
    if shape.reads_stream:
        grants += [Grant(action, "stream") for action in STREAM_ACTIONS]
    return grants


# --- rendering ---------------------------------------------------------------

def _file_resource(stage: Stage, shape: stages.AppShape, resource: str) -> list[Any]:
    """Resources as ARNs with any region and account (the `chalice deploy` path)."""
    table = f"arn:aws:dynamodb:*:*:table/{stage.table_name}"
    if resource == "table":
        return [table]
    if resource == "index":
        return [f"{table}/index/*"]
    if resource == "stream":
        return [f"{table}/stream/*"]
    if resource.startswith("parameter:"):
        return [f"arn:aws:ssm:*:*:parameter{stage.secret_parameter(resource.split(':', 1)[1])}"]
    if resource == "identity":
        return [f"arn:aws:ses:*:*:identity/{identity}" for identity in sender_identities(stage)]
    if resource == "metrics":
        return ["*"]  # CloudWatch's reads take no resource: IAM allows them on "*" only
    if resource == "logs":
        # ":*" covers the group's streams, which is where log events are put.
        return [f"arn:aws:logs:*:*:log-group:{stage.log_group(function)}:*" for function in shape.functions]
    raise ValueError(f"no ARN for resource kind {resource!r}")


def sender_identities(stage: Stage) -> list[str]:
    """SES checks the sender's verified identity: its address, or its whole domain. None: nothing is sent."""
    if not stage.notify_from:
        return []
    return [stage.notify_from, stage.notify_from.rsplit("@", 1)[-1]]


def _statements(grants: Iterable[Grant], arns: Any) -> list[dict[str, Any]]:
    by_resource: dict[str, set[str]] = {}
    for grant in grants:
        by_resource.setdefault(grant.resource, set()).add(grant.action)
    # One statement per kind of resource; kinds with the same actions share it (both secrets).
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for resource, actions in sorted(by_resource.items()):
        kind = resource.split(":", 1)[0]
        grouped.setdefault((kind, tuple(sorted(actions))), []).append(resource)
    statements = []
    for (kind, allowed), resources in grouped.items():
        rendered = [arn for resource in resources for arn in arns(resource)]
        if not rendered:
            continue  # e.g. no sender configured: nothing to grant
        statements.append({
            "Sid": _SIDS.get(kind, kind.title()),
            "Effect": "Allow",
            "Action": list(allowed),
            "Resource": rendered,
        })
    return statements


def document(stage: Stage, arns: Any = None, shape: stages.AppShape | None = None) -> dict[str, Any]:
    """The stage's policy; ``arns(resource kind)`` may pin resources (deploy/package.py does)."""
    shape = shape or stages.app_shape()
    render = arns or (lambda resource: _file_resource(stage, shape, resource))
    return {"Version": "2012-10-17", "Statement": _statements([*APP_GRANTS, *runtime_grants(shape)], render)}


def render_file(stage: Stage) -> str:
    return json.dumps(document(stage), indent=2) + "\n"


def stale_files() -> list[Path]:
    """Policy files that differ from what APP_GRANTS renders for their stage."""
    stale = []
    for name in stages.names():
        stage = stages.load(name)
        if not stage.policy_file.exists() or stage.policy_file.read_text() != render_file(stage):
            stale.append(stage.policy_file)
    return stale


# --- recording what the code calls ---------------------------------------------

_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def grants_for(service: str, operation: str, params: Mapping[str, Any]) -> set[Grant]:
    """The IAM permissions one API call needs."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return {Grant(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", "table")
                    for entry in params.get("TransactItems", []) for kind in entry}
        return {Grant(f"dynamodb:{operation}", "index" if params.get("IndexName") else "table")}
    if service == "monitoring":  # CloudWatch signs as "monitoring"; IAM names it "cloudwatch"
        return {Grant(f"cloudwatch:{operation}", "metrics")}
    if service == "ses" and operation in ("SendRawEmail", "SendEmail"):
        return {Grant(f"ses:{operation}", "identity")}
    if service == "ssm" and operation in ("GetParameters", "GetParameter"):
        names = params.get("Names") or [params.get("Name", "")]
        return {Grant(f"ssm:{operation}", "parameter:" + str(name).rsplit("/", 1)[-1]) for name in names}
    return {Grant(f"{service}:{operation}", "*")}


_APP_DIR = str(PROJECT / "chalicelib") + os.sep
_APP_FILE = str(PROJECT / "app.py")
_IMPORTER_DIR = str(PROJECT / "importer") + os.sep


def _from_app(frame: FrameType | None) -> bool:
    """Whether the deployed code (app.py, chalicelib/) is on the call stack.

    Calls from tests, fixtures (creating the table), devtools and the deploy
    tools themselves are the operator's or the test's, not the Lambda's.
    """
    app = False
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_IMPORTER_DIR):
            return False  # the operator's import command, through the app's store: not the Lambda's
        app = app or filename.startswith(_APP_DIR) or filename == _APP_FILE
        frame = frame.f_back
    return app


class Recorder:
    """Records the grants every AWS call from the app's code needs (a botocore hook on every client)."""

    def __init__(self) -> None:
        self.seen: dict[Grant, str] = {}
        self.current = ""

    def install(self) -> Recorder:
        import boto3
        from botocore import handlers

        # Every botocore session registers the built-in handlers when it is made,
        # so every client made from now on (moto's or not) reports to the recorder.
        handlers.BUILTIN_HANDLERS.append(("before-parameter-build", self._on_call))
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register("before-parameter-build", self._on_call)
        return self

    def uninstall(self) -> None:
        import boto3
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.remove(("before-parameter-build", self._on_call))
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister("before-parameter-build", self._on_call)

    def _on_call(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        if not _from_app(sys._getframe(1)):
            return
        service = model.service_model.signing_name
        for grant in grants_for(service, model.name, params):
            self.seen.setdefault(grant, self.current)

    def absorb(self, record: Mapping[str, Any]) -> None:
        """Add the grants of another recorder's record (a parallel test worker's)."""
        for entry in record["grants"]:
            self.seen.setdefault(Grant(entry["action"], entry["resource"]), entry["first_seen_in"])

    def record(self, complete: bool, detail: str) -> dict[str, Any]:
        return {
            "complete": complete,
            "detail": detail,
            "grants": [{"action": g.action, "resource": g.resource, "first_seen_in": test}
                       for g, test in sorted(self.seen.items())],
        }


# --- checking ------------------------------------------------------------------

def problems(record: Mapping[str, Any]) -> list[str]:
    """What is wrong with the policies, given the suite's record; empty when nothing is."""
    found: list[str] = []
    if not record.get("complete"):
        return [f"the record is not of a whole, passing test run ({record.get('detail')}); "
                "record one with: AWS_CALLS_RECORD=dist/aws-calls.json make test"]
    used = {Grant(entry["action"], entry["resource"]): entry["first_seen_in"] for entry in record["grants"]}
    for grant in sorted(set(used) - APP_GRANTS):
        found.append(f"missing: {grant.action} on {grant.resource} (first called in {used[grant]}); "
                     "add it to APP_GRANTS in deploy/policy.py and run: python -m deploy.policy write")
    for grant in sorted(APP_GRANTS - set(used)):
        found.append(f"unused: {grant.action} on {grant.resource} is granted but no test made that call; "
                     "remove it from APP_GRANTS (or test the code that needs it)")
    for path in stale_files():
        found.append(f"stale: {path.relative_to(PROJECT)} differs from APP_GRANTS; run: python -m deploy.policy write")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.policy", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="render .chalice/policy-<stage>.json for every stage")
    check = commands.add_parser("check", help="compare the policies with a recorded test run")
    check.add_argument("record", type=Path)
    args = parser.parse_args(argv)
    if args.command == "write":
        for name in stages.names():
            stage = stages.load(name)
            stage.policy_file.write_text(render_file(stage))
            print(f"wrote {stage.policy_file.relative_to(PROJECT)}")
        return 0
    if not args.record.exists():
        print(f"no record at {args.record}; make one with: AWS_CALLS_RECORD={args.record} make test")
        return 1
    record = json.loads(args.record.read_text())
    found = problems(record)
    for line in found:
        print(line)
    if found:
        return 1
    print(f"policy check: {len(APP_GRANTS)} grants, each used by the suite, none missing, "
          f"{len(stages.names())} stage files current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
