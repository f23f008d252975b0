"""A deployed stage, read back through boto3, against what it should be.

What it should be comes from four places the deploy itself does not read back:
``app.routes`` (the REST API's methods), the stage's settings in
.chalice/config.json (each function's environment), .chalice/policy-<stage>.json
(each role's policy) and `make package`'s template for the same stage (each
function's runtime, handler, timeout, memory, schedule and stream mapping).
Each comparison is a Finding: equal, a difference that is expected (with the
reason), or a mismatch, which fails the check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from deploy.stages import API_HANDLER, Stage

EQUAL, EXPECTED, MISMATCH = "equal", "differs (expected)", "MISMATCH"


@dataclass(frozen=True)
class Finding:
    verdict: str
    subject: str
    detail: str = ""


@dataclass
class Live:
    """The stage as AWS reports it (see ``observe``)."""

    functions: dict[str, dict[str, Any]]  # by Chalice's name: get_function_configuration
    role_policies: dict[str, dict[str, Any]]  # by role name: the inline policies' documents
    mappings: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    rule_targets: dict[str, list[str]]
    rest_api_id: str | None
    methods: dict[tuple[str, str], dict[str, Any]]  # (path, METHOD): the integration
    stages: list[str]
    gateway_responses: dict[str, dict[str, Any]]
    invokers: dict[str, list[tuple[str, str]]]  # by function: (principal service, source ARN) allowed to invoke


def _invokers(lambda_: Any, function: str) -> list[tuple[str, str]]:
    try:
        policy = json.loads(lambda_.get_policy(FunctionName=function)["Policy"])
    except lambda_.exceptions.ResourceNotFoundException:  # no resource policy at all
        return []
    return sorted((str(s["Principal"].get("Service")), str(s.get("Condition", {}).get("ArnLike", {})
                                                             .get("AWS:SourceArn")))
                  for s in policy["Statement"])


def _rest_api_of(apigateway: Any, function_arn: str) -> tuple[str | None, dict[tuple[str, str], dict[str, Any]]]:
    """The REST API whose integrations invoke the stage's API handler (Chalice names every stage's API alike)."""
    for api in apigateway.get_rest_apis()["items"]:
        methods: dict[tuple[str, str], dict[str, Any]] = {}
        for resource in apigateway.get_resources(restApiId=api["id"], embed=["methods"], limit=500)["items"]:
            for method, detail in resource.get("resourceMethods", {}).items():
                integration = detail.get("methodIntegration") or apigateway.get_integration(
                    restApiId=api["id"], resourceId=resource["id"], httpMethod=method)
                methods[(resource["path"], method)] = integration
        if any(function_arn in str(i.get("uri", "")) for i in methods.values()):
            return api["id"], methods
    return None, {}


def observe(aws: Any, stage: Stage, function_names: tuple[str, ...]) -> Live:
    """Everything of the stage that deploy made, by the names the stage gives it."""
    lambda_, iam, events, apigateway = aws("lambda"), aws("iam"), aws("events"), aws("apigateway")
    functions: dict[str, dict[str, Any]] = {}
    for name in function_names:
        try:
            functions[name] = lambda_.get_function_configuration(FunctionName=stage.function_name(name))
        except lambda_.exceptions.ResourceNotFoundException:
            continue
    role_policies: dict[str, dict[str, Any]] = {}
    for role in iam.list_roles()["Roles"]:
        if role["RoleName"].startswith(stage.function_prefix + "-"):
            names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
            role_policies[role["RoleName"]] = {
                policy: iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)["PolicyDocument"]
                for policy in names}
    arns = {config["FunctionArn"] for config in functions.values()}
    mappings = [m for m in lambda_.list_event_source_mappings()["EventSourceMappings"] if m["FunctionArn"] in arns]
    rules = events.list_rules(NamePrefix=stage.function_prefix + "-")["Rules"]
    targets = {rule["Name"]: [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]]
               for rule in rules}
    api_arn = functions.get(API_HANDLER, {}).get("FunctionArn", "\0")
    rest_api_id, methods = _rest_api_of(apigateway, api_arn)
    stages_ = [s["stageName"] for s in apigateway.get_stages(restApiId=rest_api_id)["item"]] if rest_api_id else []
    responses = {r["responseType"]: r for r in apigateway.get_gateway_responses(
        restApiId=rest_api_id, limit=500)["items"]} if rest_api_id else {}
    invokers = {name: _invokers(lambda_, config["FunctionArn"]) for name, config in functions.items()}
    return Live(functions, role_policies, mappings, rules, targets, rest_api_id, methods, stages_, responses,
                invokers)


def _compare(subject: str, live: Any, expected: Any) -> Finding:
    if live == expected:
        return Finding(EQUAL, subject)
    return Finding(MISMATCH, subject, f"deployed {json.dumps(live, default=str, sort_keys=True)[:300]} "
                                      f"!= expected {json.dumps(expected, default=str, sort_keys=True)[:300]}")


def routes(live: Live, app_routes: dict[str, Any]) -> list[Finding]:
    expected = {(path, method) for path, methods in app_routes.items() for method in methods}
    deployed = set(live.methods)
    findings = [_compare("REST API methods = app.routes", sorted(deployed), sorted(expected))]
    if findings[0].verdict == MISMATCH:
        missing, extra = sorted(expected - deployed), sorted(deployed - expected)
        findings[0] = Finding(MISMATCH, findings[0].subject, f"missing {missing[:5]}, extra {extra[:5]}")
    api_arn = live.functions.get(API_HANDLER, {}).get("FunctionArn", "\0")
    # moto keeps the type's case as imported ("aws_proxy"); API Gateway reports AWS_PROXY.
    wrong = [key for key, i in live.methods.items()
             if str(i.get("type")).upper() != "AWS_PROXY" or api_arn not in i.get("uri", "")]
    findings.append(_compare("every method: an AWS_PROXY integration to the API handler", wrong, []))
    return findings


def _template_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's functions by Chalice's name."""
    out = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            handler = resource["Properties"]["Handler"]
            out[API_HANDLER if handler == "app.app" else handler.rsplit(".", 1)[-1]] = resource["Properties"]
    return out


def functions(live: Live, stage_environment: dict[str, str], template: dict[str, Any]) -> list[Finding]:
    findings = []
    packaged = _template_functions(template)
    findings.append(_compare("functions = the package's functions", sorted(live.functions), sorted(packaged)))
    for name, config in sorted(live.functions.items()):
        props = packaged.get(name, {})
        settings = {key: config.get(key) for key in ("FunctionName", "Runtime", "Handler", "Timeout", "MemorySize")}
        findings.append(_compare(f"{name}: name, runtime, handler, timeout, memory = the package's", settings,
                                 {key: props.get(key) for key in settings}))
        env = config.get("Environment", {}).get("Variables", {})
        findings.append(_compare(f"{name}: environment = the stage's settings", env, stage_environment))
        packaged_env = props.get("Environment", {}).get("Variables", {})
        if packaged_env.get("TABLE_NAME") == {"Ref": "BlogTable"}:
            findings.append(Finding(EXPECTED, f"{name}: TABLE_NAME",
                                    "the package names the table by Ref to its own BlogTable; deploy by name "
                                    f"({env.get('TABLE_NAME')}), the bootstrap's table"))
    return findings


def roles(live: Live, stage: Stage, function_names: tuple[str, ...], template: dict[str, Any]) -> list[Finding]:
    filed = json.loads(stage.policy_file.read_text())
    expected_roles = sorted(f"{stage.function_prefix}-{name}" for name in function_names)
    findings = [_compare("one role per function", sorted(live.role_policies), expected_roles)]
    for role, policies in sorted(live.role_policies.items()):
        findings.append(_compare(f"{role}: its policy = {stage.policy_file.name}", list(policies.values()), [filed]))
    packaged = [s["Action"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"
                for p in r["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    deployed = [s["Action"] for p in live.role_policies.values() for d in p.values() for s in d["Statement"]]
    findings.append(_compare("every role's actions = the package's roles' actions", deployed, packaged))
    findings.append(Finding(EXPECTED, "policy resources",
                            "the package pins each resource to its stack's own table, stream and log groups "
                            "(Fn::GetAtt, Fn::Sub); deploy grants the policy file's ARNs"))
    return findings


def events(live: Live, stage: Stage, stream_arn: str, template: dict[str, Any]) -> list[Finding]:
    findings = []
    packaged = _template_functions(template)
    expected_mappings, expected_rules = [], []
    for name, props in sorted(packaged.items()):
        for event in props.get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                p = event["Properties"]
                expected_mappings.append({"function": stage.function_name(name), "EventSourceArn": stream_arn,
                                          "BatchSize": p["BatchSize"], "StartingPosition": p["StartingPosition"]})
            elif event["Type"] == "Schedule":
                expected_rules.append({"ScheduleExpression": event["Properties"]["Schedule"],
                                       "target": stage.function_name(name)})
    mappings = [{"function": m["FunctionArn"].rsplit(":", 1)[-1], "EventSourceArn": m["EventSourceArn"],
                 "BatchSize": m["BatchSize"], "StartingPosition": m.get("StartingPosition")} for m in live.mappings]
    findings.append(_compare("stream mappings = the package's (one per stream handler, the bootstrap's stream)",
                             mappings, expected_mappings))
    rules = [{"ScheduleExpression": r.get("ScheduleExpression"),
              "target": ",".join(t.rsplit(":", 1)[-1] for t in live.rule_targets.get(r["Name"], []))}
             for r in live.rules]
    findings.append(_compare("schedule rules = the package's", rules, expected_rules))
    # Who may invoke what: the API its handler, each rule its function, nobody else (the stream reads by role).
    expected_invokers: dict[str, list[tuple[str, str]]] = {name: [] for name in live.functions}
    api_arn = str(live.functions.get(API_HANDLER, {}).get("FunctionArn", ""))
    if live.rest_api_id and api_arn:
        region_account = api_arn.split(":")[3:5]
        expected_invokers[API_HANDLER] = [("apigateway.amazonaws.com", "arn:aws:execute-api:{}:{}:{}/*".format(
            *region_account, live.rest_api_id))]
    for rule in live.rules:
        for target in live.rule_targets.get(rule["Name"], []):
            name = next((n for n, c in live.functions.items() if c["FunctionArn"] == target), target)
            expected_invokers[name] = sorted([*expected_invokers.get(name, []), ("events.amazonaws.com", rule["Arn"])])
    findings.append(_compare("who may invoke each function: its API or its rule, no one else",
                             live.invokers, expected_invokers))
    return findings


def api_stage(live: Live, stage: Stage, template: dict[str, Any]) -> list[Finding]:
    findings = [_compare("the API's stages", live.stages, [stage.api_gateway_stage])]
    api = template["Resources"]["RestAPI"]["Properties"]
    body = api.get("DefinitionBody", {}).get("paths", {})
    packaged = sorted((path, method.upper()) for path, ops in body.items() for method in ops)
    findings.append(_compare("REST API methods = the package's", sorted(live.methods), packaged))
    findings.append(Finding(EXPECTED, "API name and throttling",
                            f"the package names the API {api.get('Name')} and throttles its stage; chalice deploy "
                            "names it after the app and leaves the account's default throttling"))
    findings.append(Finding(EXPECTED, "table, log groups, alarms",
                            "in the package's one stack; on this path the bootstrap's stack holds the table and "
                            "log groups, and there are no alarms"))
    return findings


def gateway_responses(live: Live, stage_environment: dict[str, str], template: dict[str, Any]) -> list[Finding]:
    """The gateway's own answers: as deploy/gateway.py puts them, and as the package declares them."""
    from deploy import gateway

    expected = gateway.responses(stage_environment)
    deployed = {kind: {"headers": {k.removeprefix("gatewayresponse.header."): v
                                   for k, v in r.get("responseParameters", {}).items()},
                       "templates": r.get("responseTemplates", {}),
                       **({"statusCode": r["statusCode"]} if "statusCode" in r else {})}
                for kind, r in live.gateway_responses.items() if kind in expected}
    packaged = template["Resources"]["RestAPI"]["Properties"].get("GatewayResponses", {})
    as_packaged = {kind: {"headers": r["ResponseParameters"]["Headers"], "templates": r["ResponseTemplates"],
                          **({"statusCode": r["StatusCode"]} if "StatusCode" in r else {})}
                   for kind, r in packaged.items()}
    return [_compare("gateway responses = deploy/gateway.py's (problem+json, CORS)", deployed, expected),
            _compare("gateway responses = the package's", deployed, as_packaged)]


def all_findings(live: Live, stage: Stage, function_names: tuple[str, ...], app_routes: dict[str, Any],
                 stage_environment: dict[str, str], stream_arn: str, template: dict[str, Any]) -> list[Finding]:
    return [*routes(live, app_routes), *functions(live, stage_environment, template),
            *roles(live, stage, function_names, template), *events(live, stage, stream_arn, template),
            *api_stage(live, stage, template), *gateway_responses(live, stage_environment, template)]
