"""Path 2: `make package` writes one stack (app, table, throttling, alarms) that cfn-lint passes.

One real `chalice package` run (the dev stage) checks the whole chain; CI also
runs `make package` for every stage. The pure parts are tested without Chalice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.package import BUDGET_MB
from chalicelib.api.caching import READ_QUERY
from deploy import policy, stages
from deploy.bytecode import pyc_path
from deploy.package import TEMPLATE, ZIP, PackageError, cdn_resources, lint, merge_template, verify
from deploy.stages import PROJECT
from devtools.deploy_check.runtime import runtime_libraries
from infra.table import cloudformation_properties, definition

STAGE = stages.load("dev")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist") / STAGE.name
    done = subprocess.run([sys.executable, "-m", "deploy.package", "--stage", STAGE.name, "--out", str(out)],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cfn-lint: no errors" in done.stdout
    return out


def resources(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / TEMPLATE).read_text())["Resources"]
    return loaded


def test_the_package_is_the_template_and_a_zip_within_budget(packaged: Path) -> None:
    # bench/package.py's budget, raised for the sign-in libraries (docs/decisions.md)
    assert (packaged / TEMPLATE).exists()
    assert (packaged / ZIP).stat().st_size <= BUDGET_MB * 1_000_000


def test_the_sign_in_libraries_ship_in_their_own_folder_off_the_import_path(packaged: Path) -> None:
    # Lambda puts the zip's root on sys.path: cryptography and pyOpenSSL there would load at every cold start
    with zipfile.ZipFile(packaged / ZIP) as deployed:
        tops = {name.split("/", 1)[0] for name in deployed.namelist()}
        names = set(deployed.namelist())
    for library in ("webauthn", "authlib", "joserfc", "cryptography", "OpenSSL", "cbor2", "pyasn1"):
        assert f"signin_libs/{library}/__init__.py" in names, library
        assert library not in tops, library
    assert pyc_path("signin_libs/joserfc/jwt.py") in names
    # Wheels for Lambda's platform and Python, never this machine's own build
    binding = next(n for n in names if n.startswith("signin_libs/cryptography/hazmat/bindings/_rust."))
    assert binding.endswith((".abi3.so", "-x86_64-linux-gnu.so"))


def test_a_cold_start_from_the_zip_loads_no_sign_in_library_and_a_sign_in_finds_them(
        packaged: Path, tmp_path: Path) -> None:
    # Given the zip unpacked and an interpreter with only the runtime's libraries beside it
    task = tmp_path / "task"
    with zipfile.ZipFile(packaged / ZIP) as deployed:
        deployed.extractall(task)
    libraries = runtime_libraries(tmp_path / "runtime")
    # When it imports app, then the passkey service's module
    script = (
        "import sys; sys.path[:0] = sys.argv[1:3]\n"
        "import app\n"
        "heavy = {'cryptography', 'OpenSSL', 'webauthn', 'authlib', 'joserfc', 'cbor2'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
        "import chalicelib.blog.passkeys, webauthn, cryptography.hazmat.bindings._rust\n"
        "print(webauthn.__file__)\n")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(task), str(libraries)], cwd=task,
                          env={"AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "blog-dev", "STAGE": "dev"},
                          capture_output=True, text=True, timeout=120)
    # Then app loaded none of them, and py_webauthn came from the zip's signin_libs/
    assert done.returncode == 0, done.stderr[-2000:]
    at_start, webauthn_file = done.stdout.splitlines()[-2:]
    assert at_start == "[]"
    assert webauthn_file == str(task / "signin_libs" / "webauthn" / "__init__.py")


def test_the_zip_carries_the_widget_and_demo_files_beside_app_py(packaged: Path) -> None:
    # vendor/web links web/ into the package: the app finds web/ next to app.py in Lambda as in a checkout
    with zipfile.ZipFile(packaged / ZIP) as deployed:
        names = set(deployed.namelist())
    assert {"app.py", "web/widget.js", "web/widget.css", "web/demo/index.html", "web/demo/post.html",
            "web/demo/demo.js", "web/demo/demo.css"} <= names


def test_the_zip_carries_the_common_password_list_and_not_zxcvbn(packaged: Path) -> None:
    # Only the list is read (chalicelib/blog/passwords.py): zxcvbn's 0.8 MB of code stays out
    with zipfile.ZipFile(packaged / ZIP) as deployed:
        names = set(deployed.namelist())
        listed = deployed.read("chalicelib/data/common-passwords.txt").decode().splitlines()
    assert not [n for n in names if n.startswith("zxcvbn")]
    assert len(listed) >= 29_000 and "password" in listed


def test_the_zip_carries_bytecode_for_each_module_it_ships(packaged: Path) -> None:
    # deploy/bytecode.py: compiled for the runtime, beside each source, so /var/task needs no compiling
    with zipfile.ZipFile(packaged / ZIP) as deployed:
        names = set(deployed.namelist())
    for module in ("app.py", "chalicelib/services.py", "chalicelib/api/feeds.py", "chalice/app.py",
                   "markdown_it/main.py"):
        assert pyc_path(module) in names, module
    assert not [n for n in names if "__pycache__" in n and not n.endswith(f".{sys.implementation.cache_tag}.pyc")]


def test_cfn_lint_finds_no_error(packaged: Path) -> None:
    linted = lint(packaged / TEMPLATE)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_table_in_the_stack_is_infras(packaged: Path) -> None:
    table = resources(packaged)["BlogTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["Properties"] == cloudformation_properties(STAGE.table_name, STAGE.deletion_protection)
    spec = definition()
    assert table["Properties"]["KeySchema"] == spec["KeySchema"]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionPolicy"] == ("Retain" if STAGE.retain_table else "Delete")


def test_the_functions_use_that_table_and_its_stream(packaged: Path) -> None:
    found = resources(packaged)
    functions = {k: v for k, v in found.items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions
    for name, function in functions.items():
        properties = function["Properties"]
        assert properties["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "BlogTable"}
        assert properties["FunctionName"].startswith(STAGE.function_prefix)
        assert found[f"{name}LogGroup"]["Properties"] == {
            "LogGroupName": f"/aws/lambda/{properties['FunctionName']}", "RetentionInDays": STAGE.log_retention_days}
        for event in properties.get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["BlogTable", "StreamArn"]}
    assert functions["APIHandler"]["Properties"]["Timeout"] == 20


def test_the_api_is_throttled_and_alarmed(packaged: Path) -> None:
    found = resources(packaged)
    api = found["RestAPI"]["Properties"]
    assert api["Name"] == STAGE.api_name
    assert api["MethodSettings"] == [{"ResourcePath": "/*", "HttpMethod": "*",
                                      "ThrottlingRateLimit": STAGE.throttle_rate,
                                      "ThrottlingBurstLimit": STAGE.throttle_burst}]
    alarms = {k: v["Properties"] for k, v in found.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert {(a["Namespace"], a["MetricName"]) for a in alarms.values()} == {
        ("AWS/ApiGateway", "5XXError"), ("ServerlessBlog", "throttled"), ("AWS/Lambda", "Throttles")}
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    five_xx = next(a for a in alarms.values() if a["MetricName"] == "5XXError")
    assert {d["Name"]: d["Value"] for d in five_xx["Dimensions"]} == {"ApiName": STAGE.api_name,
                                                                       "Stage": STAGE.api_gateway_stage}


def test_every_role_grants_the_policy_files_actions_on_this_stacks_resources(packaged: Path) -> None:
    found = resources(packaged)
    roles = [v for v in found.values() if v["Type"] == "AWS::IAM::Role"]
    filed = json.loads(STAGE.policy_file.read_text())["Statement"]
    assert roles
    for role in roles:
        (document,) = [p["PolicyDocument"] for p in role["Properties"]["Policies"]]
        assert [(s["Sid"], s["Action"]) for s in document["Statement"]] == [(s["Sid"], s["Action"]) for s in filed]
        text = json.dumps(document)
        assert '"Resource": "*"' not in text and "arn:aws:dynamodb:*" not in text  # pinned, not wildcards
        table = next(s for s in document["Statement"] if s["Sid"] == "Table")
        assert table["Resource"] == [{"Fn::GetAtt": ["BlogTable", "Arn"]}]


def test_a_stale_merge_is_caught_before_it_ships() -> None:
    generated = {"Resources": {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "ApiHandlerRole": {"Type": "AWS::IAM::Role", "Properties": {}},
    }}
    merged = merge_template(STAGE, generated)
    assert merged["Resources"]["APIHandler"]["Properties"]["FunctionName"] == STAGE.function_prefix
    group = merged["Resources"]["APIHandlerLogGroup"]["Properties"]
    assert group["LogGroupName"] == f"/aws/lambda/{STAGE.function_prefix}"
    template = {"Resources": {**merged["Resources"]}}
    template["Resources"]["ApiHandlerRole"] = {"Type": "AWS::IAM::Role", **merged["Resources"]["ApiHandlerRole"]}
    verify(STAGE, template)  # as merged: fine
    template["Resources"]["BlogTable"]["Properties"]["BillingMode"] = "PROVISIONED"
    with pytest.raises(PackageError, match=r"differs from infra/table\.json"):
        verify(STAGE, template)


def test_the_one_stack_policy_and_the_file_share_one_source() -> None:
    pinned = merge_template(STAGE, {"Resources": {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "ApiHandlerRole": {"Type": "AWS::IAM::Role", "Properties": {}},
    }})["Resources"]["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert [s["Action"] for s in pinned["Statement"]] == [s["Action"] for s in policy.document(STAGE)["Statement"]]


# --- the optional CloudFront distribution (infra/stages.json "cdn") --------------------------

def test_a_stage_without_a_cdn_has_no_distribution(packaged: Path) -> None:
    assert not STAGE.cdn
    assert not [name for name, r in resources(packaged).items() if r["Type"].startswith("AWS::CloudFront::")]


def test_a_stage_with_a_cdn_gets_a_distribution_cfn_lint_passes(packaged: Path, tmp_path: Path) -> None:
    # Given the packaged stack, with what a stage marked "cdn": true adds
    template = json.loads((packaged / TEMPLATE).read_text())
    cdn, outputs = cdn_resources(replace(STAGE, cdn=True))
    template["Resources"].update(cdn)
    template.setdefault("Outputs", {}).update(outputs)
    path = tmp_path / TEMPLATE
    path.write_text(json.dumps(template))

    linted = lint(path)

    assert linted.returncode == 0, linted.stdout + linted.stderr
    origin = cdn["Cdn"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginPath"] == f"/{STAGE.api_gateway_stage}"


def test_the_cdn_keeps_only_what_the_api_allows_and_never_a_signed_in_answer() -> None:
    cdn, _ = cdn_resources(replace(STAGE, cdn=True))
    config = cdn["CdnCachePolicy"]["Properties"]["CachePolicyConfig"]
    key = config["ParametersInCacheKeyAndForwardedToOrigin"]
    forwarded = cdn["CdnOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]

    # Nothing is kept without the API's Cache-Control, nor longer than it says
    assert (config["MinTTL"], config["DefaultTTL"]) == (0, 0)
    # A signed-in (or edit-token) request is keyed apart; its answer is private, no-store
    assert {"Authorization", "X-Edit-Token", "Origin"} == set(key["HeadersConfig"]["Headers"])
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    # Host never reaches API Gateway (it answers its own name only); writes' query strings all do
    assert "Host" not in forwarded["HeadersConfig"]["Headers"]
    assert forwarded["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert key["QueryStringsConfig"]["QueryStrings"] == list(READ_QUERY)


def test_every_query_parameter_of_a_cached_read_is_in_the_cdns_key() -> None:
    # A parameter a cached read takes but the key leaves out would hand one answer to different URLs.
    from app import app

    document = json.loads((PROJECT / "chalicelib/api/openapi.json").read_text())
    cached = {path for path, methods in app.routes.items()
              if "GET" in methods and getattr(methods["GET"].view_function, "cache_class", None)}
    taken: set[str] = set()
    for path, item in document["paths"].items():
        if path in cached and "get" in item:
            for parameter in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
                if "$ref" in parameter:
                    parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
                if parameter.get("in") == "query":
                    taken.add(parameter["name"])
    assert taken
    assert taken <= set(READ_QUERY), taken - set(READ_QUERY)


# --- the links in mail (chalicelib/mail.py link): on this stack's own API ---------------------

def _with_stream_handler() -> dict[str, Any]:
    return {"Resources": {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "NotifyComments": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.notify_comments", "Events": {"Stream": {"Type": "DynamoDB", "Properties": {}}}}},
        "ApiHandlerRole": {"Type": "AWS::IAM::Role", "Properties": {}},
    }}


def test_the_stream_handler_mails_links_on_the_stages_api_gateway_address() -> None:
    merged = merge_template(STAGE, _with_stream_handler())["Resources"]

    variables = merged["NotifyComments"]["Properties"]["Environment"]["Variables"]
    assert variables["API_URL"] == {
        "Fn::Sub": f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{STAGE.api_gateway_stage}"}
    # The API handler is not told (its address refers to it: a cycle CloudFormation refuses)
    assert "API_URL" not in merged["APIHandler"]["Properties"]["Environment"]["Variables"]


def test_behind_a_cdn_the_links_use_the_distributions_address() -> None:
    merged = merge_template(replace(STAGE, cdn=True), _with_stream_handler())["Resources"]

    assert merged["NotifyComments"]["Properties"]["Environment"]["Variables"]["API_URL"] == {
        "Fn::Sub": "https://${Cdn.DomainName}"}


def test_a_stage_that_names_its_api_url_keeps_it() -> None:
    merged = merge_template(replace(STAGE, api_url="https://api.example.com"), _with_stream_handler())["Resources"]

    # Chalice writes the stage's own environment (API_URL included) into every function; nothing replaces it
    assert "API_URL" not in merged["NotifyComments"]["Properties"]["Environment"]["Variables"]


def test_the_package_has_no_local_outbox(packaged: Path) -> None:
    from app import app

    # The local outbox (devtools/local_outbox.py) is added by `make run` alone, never by app.py,
    assert not [path for path in app.routes if path.startswith("/local")]
    # and the code that serves it is not shipped
    with zipfile.ZipFile(packaged / ZIP) as archive:
        assert not [name for name in archive.namelist() if name.startswith("devtools/")]
    assert "/local" not in (packaged / TEMPLATE).read_text()
