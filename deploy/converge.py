"""Before `chalice deploy` and `chalice delete`: the stage's live resources, adopted into Chalice's record.

`chalice deploy` writes what it made into .chalice/deployed/<stage>.json only
when it finishes. A first deploy that fails partway leaves roles, functions,
a schedule rule, a stream mapping and perhaps a REST API that no record names:

- a retry finds the roles and functions by name and updates them, but creates
  a second stream mapping (Lambda refuses it: ResourceConflictException, so the
  retry fails until someone deletes the first by hand) and a second REST API;
- `chalice delete` deletes only what the record names: nothing.

So this step looks for every resource Chalice would make for the stage, by
the names Chalice gives them (deploy/stages.py), and writes each live one
the record lacks into it, as Chalice itself would have. The retry then updates
them in place, and `chalice delete` removes them. A REST API is the stage's
when its integrations invoke the stage's API handler (Chalice names every
stage's API after the app). Should a stage have several (retries before this
step existed), the recorded one stays, or without a record the newest, and the
others, copies nobody's URL names, are deleted; so are extra mappings of one
function on one stream.

Adopting, not deleting, is deliberate: a record can also be missing because
the stage was deployed from another clone, and then its URL must survive.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploy import stages
from deploy.stages import API_HANDLER, CHALICE_CONFIG, Stage

Say = Callable[[str], None]
Aws = Callable[[str], Any]


def record_path(stage: Stage, project: Path = CHALICE_CONFIG.parent.parent) -> Path:
    return project / ".chalice" / "deployed" / f"{stage.name}.json"


def _role(aws: Aws, name: str) -> dict[str, Any] | None:
    iam = aws("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    return {"resource_type": "iam_role", "role_arn": role["Arn"], "role_name": name}


def _function(aws: Aws, name: str) -> str | None:
    lambda_ = aws("lambda")
    try:
        return str(lambda_.get_function_configuration(FunctionName=name)["FunctionArn"])
    except lambda_.exceptions.ResourceNotFoundException:
        return None


def _rest_api(aws: Aws, stage: Stage, handler_arn: str, recorded: str | None, say: Say) -> dict[str, Any] | None:
    apigateway = aws("apigateway")
    ours = []
    for api in apigateway.get_rest_apis(limit=500)["items"]:
        if api.get("name") != stage.app_name:
            continue
        resources = apigateway.get_resources(restApiId=api["id"], embed=["methods"], limit=500)["items"]
        uris = [m.get("methodIntegration", {}).get("uri", "") for r in resources
                for m in r.get("resourceMethods", {}).values()]
        if any(f"{handler_arn}/invocations" in uri for uri in uris):
            ours.append(api)
    if not ours:
        return None
    # The recorded API is the stage's URL and stays; without one, the newest.
    ours.sort(key=lambda api: (api["id"] == recorded, api.get("createdDate", 0)))
    for orphan in ours[:-1]:
        apigateway.delete_rest_api(restApiId=orphan["id"])
        say(f"REST API {orphan['id']}: an unrecorded copy of the stage's API (a retried deploy), deleted")
    api_id = ours[-1]["id"]
    region = apigateway.meta.region_name
    return {"resource_type": "rest_api", "rest_api_id": api_id,
            "rest_api_url": f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage.api_gateway_stage}/"}


def _mapping(aws: Aws, function_arn: str, recorded: str | None, say: Say,
             stream: str | None = None) -> dict[str, Any] | None:
    lambda_ = aws("lambda")
    found = lambda_.list_event_source_mappings(FunctionName=function_arn)["EventSourceMappings"]
    found = [m for m in found if m["FunctionArn"] == function_arn and ":dynamodb:" in m["EventSourceArn"]]
    for moved in [m for m in found if stream and m["EventSourceArn"] != stream]:
        # The stage's table was switched (deploy/switch.py). Chalice only updates a recorded mapping's batch
        # size, never its stream, so the old one goes first and `chalice deploy` makes one on the new stream.
        lambda_.delete_event_source_mapping(UUID=moved["UUID"])
        found.remove(moved)
        say(f"stream mapping {moved['UUID']}: on {moved['EventSourceArn']}, not the stage's table's stream, deleted")
    if not found:
        return None
    found.sort(key=lambda mapping: mapping["UUID"] != recorded)  # the recorded one first, and kept
    for extra in found[1:]:
        lambda_.delete_event_source_mapping(UUID=extra["UUID"])
        say(f"stream mapping {extra['UUID']}: a second mapping of one function on one stream, deleted")
    return {"resource_type": "dynamodb_event", "stream_arn": found[0]["EventSourceArn"],
            "event_uuid": found[0]["UUID"], "lambda_arn": function_arn}


def live_resources(aws: Aws, stage: Stage, recorded: dict[str, dict[str, Any]], say: Say,
                   stream: str | None = None) -> list[dict[str, Any]]:
    """Every resource Chalice makes for the stage that exists, as entries of Chalice's record.

    ``recorded`` is the record's entries by name: of duplicates, the recorded one is kept. A stream
    mapping on another stream than ``stream`` (the stage's table's, when known) is deleted.
    """
    from chalice.app import DynamoDBEventConfig, ScheduledEventConfig

    from app import app

    kinds = {source.name: source for source in app.event_sources}
    found: list[dict[str, Any]] = []
    for function in stages.app_shape().functions:
        role = _role(aws, f"{stage.function_prefix}-{function}")
        if role:
            found.append({"name": f"{function}_role", **role})
        arn = _function(aws, stage.function_name(function))
        if arn is None:
            continue
        found.append({"name": function, "resource_type": "lambda_function", "lambda_arn": arn})
        source = kinds.get(function)
        if isinstance(source, ScheduledEventConfig):
            rule = f"{stage.function_name(function)}-event"
            if aws("events").list_rules(NamePrefix=rule)["Rules"]:
                found.append({"name": f"{function}-event", "resource_type": "cloudwatch_event", "rule_name": rule})
        elif isinstance(source, DynamoDBEventConfig):
            name = f"{function}-dynamodb-event-source"
            mapping = _mapping(aws, arn, recorded.get(name, {}).get("event_uuid"), say, stream)
            if mapping:
                found.append({"name": name, **mapping})
        if function == API_HANDLER:
            api = _rest_api(aws, stage, arn, recorded.get("rest_api", {}).get("rest_api_id"), say)
            if api:
                found.append({"name": "rest_api", **api})
    return found


def converge(aws: Aws, stage: Stage, record: Path, say: Say, stream: str | None = None) -> list[str]:
    """Adopt every live resource the record lacks, forget mappings of another stream; the names adopted."""
    data: dict[str, Any] = (json.loads(record.read_text()) if record.exists()
                            else {"resources": [], "schema_version": "2.0", "backend": "api"})
    recorded = {entry["name"]: entry for entry in data["resources"]}
    live = live_resources(aws, stage, recorded, say, stream)
    moved = [entry for entry in data["resources"] if stream and entry["resource_type"] == "dynamodb_event"
             and entry["stream_arn"] != stream]
    if moved:
        data["resources"] = [entry for entry in data["resources"] if entry not in moved]
        recorded = {entry["name"]: entry for entry in data["resources"]}
        record.write_text(json.dumps(data, indent=2) + "\n")
        say(f"{record.name}: forgot {', '.join(e['name'] for e in moved)} (the old stream); chalice deploy maps "
            "the new one")
    adopted = [entry for entry in live if entry["name"] not in recorded]
    if adopted:
        data["resources"] += adopted
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(data, indent=2) + "\n")
        for entry in adopted:
            say(f"adopted into {record.name}: {entry['name']} ({entry['resource_type']}), live but never recorded "
                "(a deploy that failed partway)")
    else:
        say(f"{record.name}: every live resource of stage {stage.name} is recorded")
    return [entry["name"] for entry in adopted]


def _stage_stream(session: Any, stage: Stage) -> str | None:
    """The stream of the table the stage uses (its data stack's output), or None before a bootstrap."""
    from deploy.bootstrap import BootstrapError, stream_arn

    try:
        return stream_arn(session.client("cloudformation"), stage)
    except BootstrapError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.converge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"))
    try:
        make: Any = session.client  # any service by name (the stubs type it per literal)
        client: Aws = make
        converge(client, stage, record_path(stage), print, _stage_stream(session, stage))
    except (BotoCoreError, ClientError) as error:
        print(f"converge failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
