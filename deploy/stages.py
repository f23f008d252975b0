"""A stage as the deploy tools see it: .chalice/config.json plus infra/stages.json.

``.chalice/config.json`` says what the app reads (table name, secrets path,
environment); ``infra/stages.json`` says what surrounds it in AWS (API
throttling, alarm thresholds, whether the table outlives its stack). Every
name derived from a stage (stacks, parameters, functions, log groups) is made
here, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

# Read through deploy/stage_config.py, the file's one reader; its names are this module's too.
from deploy.stage_config import CHALICE_CONFIG as CHALICE_CONFIG
from deploy.stage_config import PROJECT as PROJECT
from deploy.stage_config import StageError as StageError
from deploy.stage_config import chalice_config, stage_block, stage_environment, stage_names

STAGES_FILE = PROJECT / "infra" / "stages.json"


API_HANDLER = "api_handler"  # Chalice's name for the function that serves every route


@dataclass(frozen=True)
class AppShape:
    """The Lambda functions app.py defines, by Chalice's names, and whether one reads the table's stream."""

    functions: tuple[str, ...]
    reads_stream: bool


def app_shape() -> AppShape:
    """Read from the app itself, so a new schedule or stream handler needs no edit here."""
    from chalice.app import DynamoDBEventConfig

    from app import app

    functions = [API_HANDLER] if app.routes else []
    functions += [source.name for source in app.event_sources]
    functions += [function.name for function in app.pure_lambda_functions]
    functions += [handler.name for handler in app.builtin_auth_handlers]
    return AppShape(tuple(functions), any(isinstance(s, DynamoDBEventConfig) for s in app.event_sources))


@dataclass(frozen=True)
class Stage:
    name: str
    app_name: str
    table_name: str
    secrets_path: str
    notify_from: str  # the e-mail address notifications are sent from; "" when none are
    policy_file: Path
    api_gateway_stage: str
    throttle_rate: float
    throttle_burst: int
    server_errors_alarm: int
    throttled_alarm: int
    log_retention_days: int
    retain_table: bool
    deletion_protection: bool
    # A CloudFront distribution in front of the API (`make package` only; deploy/package.py).
    cdn: bool = False
    spending_cap: SpendingCap | None = None
    # The base of the links in mail when the stage names one (a custom domain); "" lets the package
    # use the stage's own CloudFront or API Gateway address.
    api_url: str = ""

    @property
    def data_stack_name(self) -> str:
        """The stack `make bootstrap` makes for the table (the `chalice deploy` path)."""
        return f"{self.app_name}-{self.name}-data"

    @property
    def api_name(self) -> str:
        return f"{self.app_name}-{self.name}"

    @property
    def function_prefix(self) -> str:
        """Every Lambda function of the stage is named this or this plus "-<name>"."""
        return f"{self.app_name}-{self.name}"

    def secret_parameter(self, leaf: str) -> str:
        return f"{self.secrets_path}/{leaf}"

    def function_name(self, function: str) -> str:
        """The Lambda function `chalice deploy` makes (the API handler has no suffix)."""
        return self.function_prefix if function == API_HANDLER else f"{self.function_prefix}-{function}"

    def log_group(self, function: str) -> str:
        return f"/aws/lambda/{self.function_name(function)}"


@dataclass(frozen=True)
class SpendingCap:
    """What one stage may spend (infra/stages.json "spending_cap"; `make package` only, deploy/package.py)."""

    reserved_concurrency: tuple[tuple[str, int], ...]  # (Chalice's function name, concurrent executions)
    monthly_budget_usd: float
    budget_alert_email: str  # "" makes the budget without an alert

    @staticmethod
    def read(stage: str, raw: dict[str, Any]) -> SpendingCap:
        reserved = raw.get("reserved_concurrency") or {}
        if not isinstance(reserved, dict) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in reserved.values()):
            raise StageError(f"stage {stage!r}: spending_cap.reserved_concurrency maps each function to a whole "
                             "number of at least 1 (0 would stop the function)")
        amount = raw.get("monthly_budget_usd")
        if not isinstance(amount, int | float) or isinstance(amount, bool) or amount <= 0:
            raise StageError(f"stage {stage!r}: spending_cap.monthly_budget_usd must be an amount above 0")
        email = str(raw.get("budget_alert_email", ""))
        if email and (parseaddr(email)[1] != email or "@" not in email):
            raise StageError(f"stage {stage!r}: spending_cap.budget_alert_email must be a bare address, not {email!r}")
        return SpendingCap(tuple(sorted(reserved.items())), float(amount), email)


def names() -> list[str]:
    return stage_names()


def load(name: str) -> Stage:
    config = chalice_config()
    stage = stage_block(name, config)
    env = stage_environment(name, config)
    extras = json.loads(STAGES_FILE.read_text())
    settings = {**extras["defaults"], **extras["stages"].get(name, {})}
    for required in ("TABLE_NAME", "SECRETS_PARAMETER_PATH"):
        if not env.get(required):
            raise StageError(f"stage {name!r} has no {required} in .chalice/config.json")
    policy_file = stage.get("iam_policy_file") or config.get("iam_policy_file")
    if not policy_file:
        raise StageError(f"stage {name!r} has no iam_policy_file in .chalice/config.json")
    return Stage(
        name=name,
        app_name=config["app_name"],
        table_name=env["TABLE_NAME"],
        secrets_path=env["SECRETS_PARAMETER_PATH"].rstrip("/"),
        notify_from=parseaddr(env.get("NOTIFY_FROM", ""))[1],
        policy_file=CHALICE_CONFIG.parent / policy_file,
        api_gateway_stage=stage.get("api_gateway_stage", config.get("api_gateway_stage", "api")),
        throttle_rate=float(settings["api_throttle"]["rate_per_second"]),
        throttle_burst=int(settings["api_throttle"]["burst"]),
        server_errors_alarm=int(settings["alarms"]["server_errors_per_5_minutes"]),
        throttled_alarm=int(settings["alarms"]["throttled_requests_per_5_minutes"]),
        log_retention_days=int(settings["log_retention_days"]),
        retain_table=bool(settings["retain_table"]),
        deletion_protection=bool(settings["deletion_protection"]),
        cdn=bool(settings.get("cdn", False)),
        spending_cap=SpendingCap.read(name, settings["spending_cap"]) if "spending_cap" in settings else None,
        api_url=env.get("API_URL", ""),
    )
