"""Specification: a stage's spending cap, in the stack `make package` writes (infra/stages.json "spending_cap").

Each function's reserved concurrency, the API stage's rate and burst, and a monthly
AWS Budgets budget that mails the operator, all from the stage's own settings; a cap
that does not name each function, or names one the app does not have, stops the package.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from deploy import stages
from deploy.package import TEMPLATE, PackageError, lint, spending_cap_resources
from deploy.stages import SpendingCap, StageError
from tests.deploy.test_package import STAGE, resources
from tests.deploy.test_package import packaged as packaged

PROD = stages.load("prod")
FUNCTIONS = {"APIHandler": "api_handler", "NotifyComments": "notify_comments", "PublishDuePosts": "publish_due_posts"}


def stages_file() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(stages.STAGES_FILE.read_text())
    return loaded


def test_every_function_has_the_stages_reserved_concurrency(packaged: Path) -> None:
    assert STAGE.spending_cap is not None
    found = resources(packaged)
    functions = {name: r["Properties"] for name, r in found.items() if r["Type"] == "AWS::Serverless::Function"}

    reserved = {name: p.get("ReservedConcurrentExecutions") for name, p in functions.items()}

    assert reserved == {"APIHandler": 20, "NotifyComments": 2, "PublishDuePosts": 1}
    assert reserved == {logical: dict(STAGE.spending_cap.reserved_concurrency)[FUNCTIONS[logical]]
                        for logical in functions}


def test_the_api_stage_is_throttled_at_the_stages_rate_and_burst(packaged: Path) -> None:
    settings = resources(packaged)["RestAPI"]["Properties"]["MethodSettings"]

    assert [(s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for s in settings] == [(50.0, 100)]


def test_the_stage_has_a_monthly_cost_budget_for_its_own_tagged_costs(packaged: Path) -> None:
    budgets = {name: r["Properties"] for name, r in resources(packaged).items() if r["Type"] == "AWS::Budgets::Budget"}

    assert list(budgets) == ["MonthlyBudget"]
    budget = budgets["MonthlyBudget"]["Budget"]
    assert budget["BudgetLimit"] == {"Amount": 25.0, "Unit": "USD"}
    assert (budget["BudgetType"], budget["TimeUnit"]) == ("COST", "MONTHLY")
    assert budget["CostFilters"] == {"TagKeyValue": ["user:stage$dev"]}
    assert budget["BudgetName"] == "serverless-blog-dev-monthly"
    # dev names no address: the budget is there to look at, and mails no one
    assert "NotificationsWithSubscribers" not in budgets["MonthlyBudget"]


def test_a_stage_with_an_address_is_mailed_at_80_percent_spent_and_at_a_forecast_overrun() -> None:
    made, reserved = spending_cap_resources(PROD, FUNCTIONS)

    properties = made["MonthlyBudget"]["Properties"]
    assert properties["Budget"]["BudgetLimit"] == {"Amount": 150.0, "Unit": "USD"}
    alerts = {(n["Notification"]["NotificationType"], n["Notification"]["Threshold"]):
              n["Subscribers"] for n in properties["NotificationsWithSubscribers"]}
    mail = [{"SubscriptionType": "EMAIL", "Address": "ops@blog.example.com"}]
    assert alerts == {("ACTUAL", 80): mail, ("FORECASTED", 100): mail}
    assert reserved == {"APIHandler": 100, "NotifyComments": 5, "PublishDuePosts": 1}


def test_prods_cap_in_the_packaged_stack_passes_cfn_lint(packaged: Path, tmp_path: Path) -> None:
    template = json.loads((packaged / TEMPLATE).read_text())
    made, reserved = spending_cap_resources(PROD, FUNCTIONS)
    template["Resources"].update(made)
    for logical, concurrency in reserved.items():
        template["Resources"][logical]["Properties"]["ReservedConcurrentExecutions"] = concurrency
    path = tmp_path / TEMPLATE
    path.write_text(json.dumps(template))

    linted = lint(path)

    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_cap_without_an_entry_for_a_function_stops_the_package() -> None:
    assert STAGE.spending_cap is not None
    partial = replace(STAGE.spending_cap, reserved_concurrency=(("api_handler", 5),))

    with pytest.raises(PackageError, match="no entry for notify_comments, publish_due_posts"):
        spending_cap_resources(replace(STAGE, spending_cap=partial), FUNCTIONS)


def test_a_cap_naming_a_function_the_app_does_not_have_stops_the_package() -> None:
    assert STAGE.spending_cap is not None
    typo = replace(STAGE.spending_cap, reserved_concurrency=(*STAGE.spending_cap.reserved_concurrency,
                                                             ("notify_coments", 1)))

    with pytest.raises(PackageError, match="no function named notify_coments"):
        spending_cap_resources(replace(STAGE, spending_cap=typo), FUNCTIONS)


def test_a_stage_without_a_cap_adds_nothing() -> None:
    assert spending_cap_resources(replace(STAGE, spending_cap=None), FUNCTIONS) == ({}, {})


GOOD = {"reserved_concurrency": {"api_handler": 3}, "monthly_budget_usd": 10, "budget_alert_email": ""}


@pytest.mark.parametrize(("change", "message"), [
    ({"reserved_concurrency": {"api_handler": 0}}, "at least 1"),
    ({"reserved_concurrency": {"api_handler": -5}}, "at least 1"),
    ({"reserved_concurrency": {"api_handler": 2.5}}, "whole number"),
    ({"reserved_concurrency": {"api_handler": True}}, "whole number"),
    ({"reserved_concurrency": ["api_handler"]}, "maps each function"),
    ({"monthly_budget_usd": 0}, "above 0"),
    ({"monthly_budget_usd": "25"}, "above 0"),
    ({"budget_alert_email": "Ops <ops@example.com>"}, "bare address"),
    ({"budget_alert_email": "ops@example.com\nBcc: x@evil.example"}, "bare address"),
    ({"budget_alert_email": "not an address"}, "bare address"),
])
def test_a_cap_an_operator_got_wrong_is_refused_with_the_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(StageError, match=message):
        SpendingCap.read("dev", {**GOOD, **change})


def test_every_stage_in_the_file_has_a_cap_that_reads() -> None:
    assert "spending_cap" in stages_file()["defaults"]
    for name in stages.names():
        assert stages.load(name).spending_cap is not None, name
