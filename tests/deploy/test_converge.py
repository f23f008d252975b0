"""A first `make deploy` that fails partway converges on the next run, and `make teardown` leaves nothing.

Against a local moto server (devtools/moto_server.py, which refuses a second
stream mapping as Lambda does), in a copy of the project so the real
.chalice/deployed/ is never touched. Each case makes the first call of one
kind fail (``InjectedFault``, which no client retries) during the first
`make deploy`, then runs `make deploy` again, then `make teardown`.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.bootstrap import bootstrap
from deploy.converge import record_path
from devtools.deploy_check import controls
from devtools.deploy_check.check import Check, CheckFailed, aws_environment, make, project_copy
from devtools.moto_server import MotoServer

# The first call of each kind a first `make deploy` makes after the bootstrap (ssm:PutParameter), in order:
# every kind of partial stage a failure can leave, from nothing but a role to a recorded stage without its
# gateway responses. test_the_steps_are_every_kind_of_call_a_deploy_makes keeps this list whole.
STEPS = [
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "lambda:POST /2015-03-31/functions",
    "events:PutRule",
    "events:PutTargets",
    "lambda:POST /2015-03-31/event-source-mappings",
    "apigateway:POST /restapis",  # the mapping exists, unrecorded
    "apigateway:PATCH /restapis/{id}",  # the REST API exists too, unrecorded
    "apigateway:POST /restapis/{id}/deployments",
    "apigateway:PUT /restapis/{id}/gatewayresponses/MISSING_AUTHENTICATION_TOKEN",  # chalice deploy finished
]


def _kind(change: str) -> str:
    """Calls that differ only by the function they name are one kind."""
    if change.startswith("lambda:") and ("/policy" in change or "/concurrency" in change):
        return "lambda:" + change.rsplit("/", 1)[-1]
    return change


class Stack:
    def __init__(self, server: MotoServer, project: Path, work: Path) -> None:
        self.server, self.project, self.work = server, project, work
        self.check = Check(server.url, work, lambda _line: None)

    def fresh(self) -> None:
        """An empty account, then the stage's bootstrap (its table stack and secrets)."""
        urllib.request.urlopen(urllib.request.Request(f"{self.server.url}/moto-api/reset", method="POST")).close()
        record_path(self.check.stage, self.project).unlink(missing_ok=True)
        bootstrap(self.check.stage, self.check.aws("cloudformation"), self.check.aws("ssm"), lambda _line: None)
        self.server.gaps.changes.clear()

    def deploy(self, failing: str | None = None) -> None:
        def fail(change: str) -> bool:
            if failing is not None and _kind(change) == failing and failing not in fired:
                fired.append(failing)
                return True
            return False

        fired: list[str] = []
        self.server.gaps.fail = fail
        try:
            make(self.project, self.server.url, "deploy")
        finally:
            self.server.gaps.fail = lambda _change: False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    server = MotoServer().start()
    work = tmp_path_factory.mktemp("converge")
    yield Stack(server, project_copy(work), work)
    server.stop()


def converged(stack: Stack) -> dict[str, object]:
    live = stack.check.observe()
    return {
        "functions": len(live.functions), "roles": len(live.role_policies), "mappings": len(live.mappings),
        "rules": len(live.rules), "targets": sum(len(t) for t in live.rule_targets.values()),
        "rest APIs": len(stack.check.aws("apigateway").get_rest_apis()["items"]),
        "methods": len(live.methods), "gateway responses": len(live.gateway_responses) >= 4,
    }


@pytest.fixture(scope="module")
def clean_deploy(stack: Stack) -> tuple[list[str], dict[str, object]]:
    stack.fresh()
    stack.deploy()
    changes, state = list(stack.server.gaps.changes), converged(stack)
    make(stack.project, stack.server.url, "teardown", stdin="dev\n")
    return changes, state


def test_the_steps_are_every_kind_of_call_a_deploy_makes(clean_deploy: tuple[list[str], dict[str, object]]) -> None:
    changes, _ = clean_deploy
    kinds = [k for k in dict.fromkeys(_kind(c) for c in changes) if k != "ssm:PutParameter"]
    # Kinds left out: each only follows a kind above at the same point (a function's concurrency after its
    # creation, a permission after its rule or API, another gateway response after the first).
    left_out = {"lambda:concurrency", "lambda:policy", *(k for k in kinds if "/gatewayresponses/" in k)} - set(STEPS)
    assert [k for k in kinds if k not in left_out] == STEPS


@pytest.mark.parametrize("step", STEPS)
def test_a_first_deploy_failed_at_a_step_converges_and_tears_down(
        stack: Stack, clean_deploy: tuple[list[str], dict[str, object]], step: str) -> None:
    _, expected = clean_deploy
    stack.fresh()
    with pytest.raises(CheckFailed, match="InjectedFault"):
        stack.deploy(failing=step)
    stack.deploy()  # the retry: no ResourceConflictException, no second REST API
    assert converged(stack) == expected
    record = json.loads(record_path(stack.check.stage, stack.project).read_text())
    assert len({entry["name"] for entry in record["resources"]}) == len(record["resources"]) == 9
    make(stack.project, stack.server.url, "teardown", stdin="dev\n")
    controls.nothing_left(stack.check)


def test_a_teardown_right_after_a_failed_first_deploy_leaves_nothing(stack: Stack) -> None:
    stack.fresh()
    with pytest.raises(CheckFailed, match="InjectedFault"):
        stack.deploy(failing="apigateway:PATCH /restapis/{id}")
    assert not record_path(stack.check.stage, stack.project).exists()  # Chalice recorded nothing
    make(stack.project, stack.server.url, "teardown", stdin="dev\n")
    controls.nothing_left(stack.check)


def test_without_adoption_a_retry_meets_lambdas_conflict(stack: Stack) -> None:
    """The negative control: skip the converge step and the retry fails as it would on AWS."""
    stack.fresh()
    with pytest.raises(CheckFailed, match="InjectedFault"):
        stack.deploy(failing="apigateway:POST /restapis")
    # `make deploy` as it was: `chalice deploy` straight after the bootstrap.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **aws_environment(stack.server.url)}
    stream = subprocess.run([".venv/bin/python", "-m", "deploy.bootstrap", "--stage", "dev", "--stream-arn"],
                            cwd=stack.project, env=env, capture_output=True, text=True, check=True).stdout.strip()
    retry = subprocess.run([".venv/bin/chalice", "deploy", "--stage", "dev"], cwd=stack.project,
                           env={**env, "STREAM_ARN": stream}, capture_output=True, text=True)
    assert retry.returncode != 0
    assert "ResourceConflictException" in retry.stdout + retry.stderr
