"""The deploy check's later steps: events handlers, the second deploy, negative controls, teardown."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from deploy.stages import API_HANDLER
from devtools.deploy_check import compare

if TYPE_CHECKING:
    from devtools.deploy_check.check import Check
    from devtools.deploy_check.runtime import Function


class ControlFailed(Exception):
    pass


def stream_records(check: Check, stream: str) -> list[dict[str, Any]]:
    """Every record in the table's stream, as Lambda hands them to a function (moto's dynamodbstreams)."""
    streams = check.aws("dynamodbstreams")
    records = []
    for shard in streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    for record in records:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if isinstance(created, datetime.datetime):
            record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
        record["eventSourceARN"] = stream
    return records


def stream_and_schedule(check: Check, functions: dict[str, Function], stream: str) -> list[str]:
    live = check.observe()
    lines = []
    records = stream_records(check, stream)
    inserted = [r for r in records if r["eventName"] == "INSERT"]
    if not inserted:
        raise ControlFailed("the walkthrough left no INSERT records in the table's stream")
    for mapping in live.mappings:
        name = next(n for n, c in live.functions.items() if c["FunctionArn"] == mapping["FunctionArn"])
        size = mapping["BatchSize"]
        batches = [records[i:i + size] for i in range(0, len(records), size)]
        functions[name].log_records()
        for batch in batches:
            functions[name].invoke({"Records": batch})
        # The handler's own account of each batch (chalicelib's structured log line).
        logged = [r for r in functions[name].log_records() if r.get("event") == "stream_batch"]
        if [r.get("records") for r in logged] != [len(b) for b in batches] or any(
                r.get("stream_batch_failed") for r in logged):
            raise ControlFailed(f"{name} logged {logged} for batches of {[len(b) for b in batches]}")
        lines.append(f"{name}: {len(records)} stream records ({len(inserted)} inserts) in {len(batches)} "
                     f"batches of at most {size}; it logged each batch's size, none failed")
    for rule in live.rules:
        target = live.rule_targets[rule["Name"]][0]
        name = next(n for n, c in live.functions.items() if c["FunctionArn"] == target)
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "region": "us-east-1", "resources": [rule["Arn"]], "detail": {}}
        functions[name].log_records()
        functions[name].invoke(event)
        runs = [r for r in functions[name].log_records() if r.get("event") == "scheduled_run"]
        if len(runs) != 1 or runs[0].get("scheduled_run_failed") or not runs[0].get("dynamodb_calls"):
            raise ControlFailed(f"{name} logged {runs} for one scheduled event")
        lines.append(f"{name}: the scheduled event of {rule['Name']} ({rule.get('ScheduleExpression')}) ran: "
                     f"{runs[0]['dynamodb_calls']} DynamoDB calls, not failed")
    return lines


def _state(check: Check) -> dict[str, Any]:
    """What a redeploy must keep: every resource's identity and settings, without timestamps and revisions."""
    live = check.observe()
    volatile = ("LastModified", "RevisionId", "LastUpdateStatus", "LastUpdateStatusReason", "State",
                "StateReason", "CodeSize", "ResponseMetadata")
    return {
        "functions": {n: {k: v for k, v in c.items() if k not in volatile} for n, c in live.functions.items()},
        "roles": live.role_policies,
        "mappings": [{k: v for k, v in m.items() if k not in ("LastModified", "State")} for m in live.mappings],
        "rules": live.rules, "targets": live.rule_targets, "api": live.rest_api_id,
        "methods": sorted(live.methods), "stages": live.stages, "responses": live.gateway_responses,
        "invokers": live.invokers,
    }


def redeploy(check: Check, deploy: Callable[[], str]) -> list[str]:
    before = _state(check)
    deployments = check.aws("apigateway").get_deployments(restApiId=before["api"])["items"]
    deploy()
    after = _state(check)
    changed = sorted(key for key in before if before[key] != after[key])
    if changed:
        detail = {key: (str(before[key])[:200], str(after[key])[:200]) for key in changed}
        raise ControlFailed(f"a second make deploy changed {changed}: {json.dumps(detail)[:1500]}")
    now = check.aws("apigateway").get_deployments(restApiId=after["api"])["items"]
    # chalice deploy's own, then deploy/gateway.py's (a gateway response takes effect with a deployment).
    if len(now) != len(deployments) + 2:
        raise ControlFailed(f"a second make deploy made {len(now) - len(deployments)} API deployments, not 2")
    return [f"functions, code, roles, mapping, rule, REST API {after['api']}, its methods and gateway responses "
            f"unchanged; two new API deployments, chalice's and the gateway responses' "
            f"({len(deployments)} -> {len(now)})"]


def negative(check: Check, template: dict[str, Any], stream: str) -> list[str]:
    """Break the live stage three ways; the comparison must name each break."""
    live = check.observe()
    apigateway, iam, lambda_ = check.aws("apigateway"), check.aws("iam"), check.aws("lambda")
    resources = apigateway.get_resources(restApiId=live.rest_api_id, limit=500)["items"]
    health = next(r for r in resources if r["path"] == "/health")
    role, policies = sorted(live.role_policies.items())[0]
    name, document = next(iter(policies.items()))
    widened = json.loads(json.dumps(document))
    widened["Statement"][0]["Action"] = [*widened["Statement"][0]["Action"], "dynamodb:DeleteTable"]
    mapping = live.mappings[0]

    breaks: list[tuple[str, Callable[[], Any], str]] = [
        ("a missing route (GET /health deleted)",
         lambda: apigateway.delete_method(restApiId=live.rest_api_id, resourceId=health["id"], httpMethod="GET"),
         "REST API methods = app.routes"),
        (f"a policy with an extra action ({role}: dynamodb:DeleteTable)",
         lambda: iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(widened)),
         f"{role}: its policy = {check.stage.policy_file.name}"),
        (f"a wrong batch size ({mapping['BatchSize']} -> {mapping['BatchSize'] + 90})",
         lambda: lambda_.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=mapping["BatchSize"] + 90),
         "stream mappings = the package's (one per stream handler, the bootstrap's stream)"),
    ]
    lines = []
    for what, make_break, subject in breaks:
        make_break()
        caught = [f for f in check.findings(template, stream) if f.verdict == compare.MISMATCH]
        if subject not in [f.subject for f in caught]:
            raise ControlFailed(f"{what} went unnoticed: mismatches {[f.subject for f in caught]}")
        lines.append(f"{what}: caught ({subject})")
    return lines


def nothing_left(check: Check) -> list[str]:
    live = check.observe()
    left = {"functions": sorted(live.functions), "roles": sorted(live.role_policies),
            "mappings": [m["UUID"] for m in live.mappings], "rules": [r["Name"] for r in live.rules],
            "rest APIs": [a["id"] for a in check.aws("apigateway").get_rest_apis()["items"]]}
    stacks = [s["StackName"] for s in check.aws("cloudformation").list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE"]
    parameters = [p["Name"] for p in check.aws("ssm").describe_parameters()["Parameters"]]
    groups = [g["logGroupName"] for g in check.aws("logs").describe_log_groups(
        logGroupNamePrefix=f"/aws/lambda/{check.stage.function_prefix}")["logGroups"]]
    left |= {"stacks": stacks, "parameters": parameters, "log groups": groups}
    try:
        check.aws("dynamodb").describe_table(TableName=check.stage.table_name)
        left["table"] = [check.stage.table_name]
    except check.aws("dynamodb").exceptions.ResourceNotFoundException:
        pass
    remaining = {k: v for k, v in left.items() if v}
    if remaining or API_HANDLER in live.functions:
        raise ControlFailed(f"make teardown left {remaining}")
    return ["no function, role, mapping, rule, REST API, stack, table, parameter or log group left"]
