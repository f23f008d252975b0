"""Stateful fuzzing: schemathesis follows the document's `links` through real flows.

Schemathesis builds a state machine from the served document: every operation can start a
scenario, and each declared link (a new post leads to reading, editing and deleting it and to
commenting on it; a new comment to reading, editing and deleting it with its edit token,
voting and moderating) is a transition that feeds the values of one reply (a slug, a comment
id, an edit token, an ETag) into the next request. Each step goes through the same in-process
client and the same verdict as tests/test_fuzz_openapi.py, signed in as the admin (who may
take every step; a case made wrong in its headers goes as made), on moto's DynamoDB.

The test asserts that each link of a new post, and at least one link of a new comment, was
followed with the values it carries and answered with a success, so a link that names a
wrong operation, parameter or expression fails here; and it prints how many of the
transitions ran. ``make fuzz`` shows the figures with ``-s``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from chalicelib.settings import Settings
from tests.conftest import Api, Blog
from tests.openapi_document import load_document
from tests.test_fuzz_openapi import (
    EXAMPLES,
    FUZZ_SETTINGS,
    OperationCase,
    Scene,
    as_schemathesis_response,
    loaded_schema,
    send,
    verdict,
    wrong_in,
)

pytestmark = pytest.mark.fuzz

# Scenarios (each up to STEPS requests); FUZZ_EXAMPLES scales them like the other fuzz runs.
SCENARIOS = max(EXAMPLES, 10)
STEPS = 10


@pytest.fixture
def scene(api: Api, blog: Blog, configure: Callable[..., Settings]) -> Iterator[Scene]:
    configure(**FUZZ_SETTINGS)
    yield Scene(api, blog)


def declared_links(document: dict[str, Any]) -> set[str]:
    """Every link the document declares, as "<METHOD path> -> <link name>".

    Read from a fresh copy: schemathesis adds the links it infers to the document it loads.
    """
    found = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for response in operation["responses"].values():
                for name in response.get("links", {}):
                    found.add(f"{method.upper()} {path} -> {name}")
    return found


def test_stateful_fuzzing_follows_every_declared_link(api: Api, scene: Scene, document: dict[str, Any]) -> None:
    # Given the state machine schemathesis builds from the served document, on the operations the declared
    # links join (with every operation, scenarios rarely get past a new post's first step)
    declared = declared_links(load_document())
    linked = {operation["operationId"] for item in load_document()["paths"].values()
              for method, operation in item.items() if method != "parameters"
              and any(response.get("links") for response in operation["responses"].values())}
    linked |= {link["operationId"] for item in load_document()["paths"].values()
               for method, operation in item.items() if method != "parameters"
               for response in operation["responses"].values() for link in response.get("links", {}).values()}
    schema = loaded_schema(document).include(operation_id=sorted(linked))
    followed: set[str] = set()
    steps: list[str] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            if input.transition is not None and input.is_applied and output.response.status_code < 300:
                # The transition's id reads "<source> -> [<status>] <link name> -> <target>".
                source, link, _ = input.transition.id.split(" -> ")
                followed.add(f"{source} -> {link.split('] ', 1)[1]}")
            steps.append(input.case.operation.label)
            return output

        def call(self, case: OperationCase, **kwargs: Any) -> schemathesis.Response:
            # A case made wrong in its headers may be a missing or broken Authorization: it is sent as made.
            identity = "generated" if wrong_in(case, ParameterLocation.HEADER) else "admin"
            prepared, reply = send(api, scene, case, identity)
            self._last = (prepared, reply)
            return as_schemathesis_response(prepared, reply)

        def validate_response(self, response: schemathesis.Response, case: OperationCase,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            prepared, reply = self._last
            verdict(document, case.operation.path, case.operation.method.lower(), case, prepared, reply)
            if case.method.lower() != "get" and reply.status < 300:
                scene.restore()

    # When it runs its scenarios, each step judged like every fuzzed request
    Machine.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, derandomize=True,
                                  database=None, deadline=None, print_blob=False, phases=[Phase.generate],
                                  suppress_health_check=list(HealthCheck)))
    transitions = schema.statistic.transitions.total
    print(f"\nstateful fuzzing: {len(steps)} requests on {len(linked)} operations; {len(followed)} of {transitions}"
          f" transitions ({len(declared)} declared, the rest inferred by schemathesis) followed with a success;"
          f" declared ones not followed: {sorted(declared - followed)}")
    # Then every link of a new post was followed with the values it carries and answered with a success, and so
    # was at least one link of a new comment (a scenario reaches those only two successes deep: which of them
    # a run reaches varies with the replies, the ids and the clock)
    from_post = {link for link in declared if link.startswith("POST /posts -> ")}
    from_comment = {link for link in declared if link.startswith("POST /posts/{slug}/comments -> ")}
    assert len(from_post) >= 5 and len(from_comment) >= 5, declared
    assert from_post <= followed
    assert from_comment & followed
