"""Positive fuzzing: no request the OpenAPI document calls valid is refused.

Schemathesis makes only valid cases here (its coverage phase's positive cases, at every
documented bound, and random valid examples), sends each through the same in-process
client as tests/openapi/test_fuzz_openapi.py, and judges the reply with every response check.
On top of those, a valid case must not be refused: a 4xx is accepted only where it stands
for state a generator cannot know and the operation documents it (a token or account it
does not hold: 401/403; an item that is not there: 404; a clash or a version: 409/412; a
rate limit: 429), or for a cursor of the documented shape that this list did not sign (400,
``cursor`` alone), or for one of the few rules no schema keyword can state
(``RULES_ONLY_DESCRIBED``: each is checked to be written in its field's description). Every
other 4xx (a 400, 413, 415 or 422) means the document and the server disagree about a rule:
the fix is on one side or the other. A comment's ``form_token`` is replaced by one the server
signed for the case's post (its shape is documented; its signature no generator can make).

All refusals of one operation are collected and shown together, so one run lists every
disagreement. ``FUZZ_EXAMPLES`` sets the count of random examples (25 by default).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from chalicelib.blog import clock
from chalicelib.services import services
from chalicelib.settings import Settings
from tests.conftest import Api, Blog, Reply
from tests.openapi.test_fuzz_openapi import (
    CHECKS,
    EXAMPLES,
    FUZZ_SETTINGS,
    IDENTITIES,
    SEED,
    OperationCase,
    Scene,
    loaded_schema,
    operation_id,
    send,
    verdict,
)
from tests.openapi_document import Operation, load_document, operations

pytestmark = pytest.mark.fuzz

# Refusals that stand for state, not for the request's form: allowed where the operation documents them.
STATE_STATUSES = frozenset({401, 403, 404, 409, 412, 429})

# Rules no JSON Schema keyword can state (they depend on the clock, the stored item, another parameter, or a
# list of 30,000 passwords): the field, the start of the server's message, and words its description must hold.
RULES_ONLY_DESCRIBED: tuple[tuple[str, str, str], ...] = (
    ("password", "is one of the most common passwords", "most common passwords"),
    ("password", "repeats itself or runs in sequence", "repeats itself or runs in sequence"),
    ("published_at", "is in the future: use status 'scheduled'", "in the past for `published`"),
    ("published_at", "must be a future date-time for a scheduled post", "in the future for `scheduled`"),
    ("slug", "this post has had 20 slugs already", "as an alias (at most 20)"),
    ("parent_id", "is not a comment on this post", "The id of a comment on the same post"),
    ("label", "cannot be combined with", "Incompatible with `author`, `month`"),
    ("month", "cannot be combined with", "Incompatible with `label`, `status=draft`"),
    ("q", "has no words to search for", "at least one word to search for"),
    ("Idempotency-Key", "was already used for a different request", "the same key with a different body"),
    ("account", "name an account name or a comment to ban", "required with by=account when no comment_id"),
    ("email", "name an e-mail address or a comment to ban", "required with by=email when no comment_id"),
    ("comment_id", "an address is banned from a comment", "Required with by=address"),
    ("comment_id", "the comment was sent from an account", "a comment sent without an account"),
    ("comment_id", "the comment was not written from an account", "with by=account, a comment written from"),
    ("comment_id", "the comment has no e-mail address", "with by=email, a comment that gave an e-mail"),
    ("comment_id", "give a comment or the", "not both"),
    ("emoji", "must be one of", "One of the stage's `REACTIONS`"),
    ("return_to", "must be a page of this blog", "Its origin must be SITE_URL's or one CORS_ORIGINS names"),
)
POSITIVE_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]
FORM_TOKEN_AGE_SECONDS = 3600  # older than any MIN_FORM_SECONDS, younger than the token's lifetime


@pytest.fixture
def scene(api: Api, blog: Blog, configure: Callable[..., Settings]) -> Iterator[Scene]:
    configure(**FUZZ_SETTINGS)
    yield Scene(api, blog)


def refusal(document: dict[str, Any], path: str, method: str, reply: Reply) -> str | None:
    """Why the reply refuses a valid request, or None when it does not (or refuses for documented state)."""
    if reply.status < 400:
        return None
    documented = document["paths"][path][method]["responses"]
    if reply.status in STATE_STATUSES and str(reply.status) in documented:
        return None
    try:
        problem = reply.json
    except ValueError:
        problem = {}
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if reply.status == 400 and isinstance(errors, dict) and set(errors) == {"cursor"}:
        return None  # a cursor of the right shape that this list never signed: the generator cannot sign one
    if reply.status == 422 and isinstance(errors, dict) and errors and all(
            only_described(field, messages) for field, messages in errors.items()):
        return None
    detail = problem.get("detail") if isinstance(problem, dict) else reply.body[:200].decode(errors="replace")
    return f"{reply.status} {detail} {json.dumps(errors, ensure_ascii=False)}"


def only_described(field: str, messages: Any) -> bool:
    """Whether every message on ``field`` is one of the rules a schema cannot state."""
    return isinstance(messages, list) and all(
        any(field == name and str(message).startswith(start) for name, start, _ in RULES_ONLY_DESCRIBED)
        for message in messages)


def with_signed_form_token(case: OperationCase) -> None:
    """A generated ``form_token`` (of the documented shape) replaced by one the server signed for the case's post."""
    if isinstance(case.body, dict) and isinstance(case.body.get("form_token"), str) and case.path_parameters:
        slug = unquote(str(case.path_parameters["slug"]))  # schemathesis keeps path parameters percent-encoded
        case.body["form_token"] = services().antispam.form_token(slug, clock.epoch() - FORM_TOKEN_AGE_SECONDS)


def judged(api: Api, scene: Scene, document: dict[str, Any], case: OperationCase, identity: str,
           seeded: bool, refusals: list[str]) -> None:
    """Send one valid case; a refusal is noted in ``refusals``, any other failure raised."""
    if seeded:
        scene.use_seeded_items(case)
    with_signed_form_token(case)
    prepared, reply = send(api, scene, case, identity)
    path, method = case.operation.path, case.operation.method.lower()
    # Every response check; whether invalid data is refused is the negative run's (test_fuzz_openapi.py):
    # on a valid case that check can only misfire (it once judged a valid comment "schema-violating").
    verdict(document, path, method, case, prepared, reply, checks=POSITIVE_CHECKS)
    why = refusal(document, path, method, reply)
    if why is not None:
        refusals.append(f"as {identity}: {prepared.method} {prepared.path_url}\n    headers "
                        f"{ {k: v for k, v in prepared.headers.items() if k != 'Authorization'} }\n"
                        f"    body {prepared.body!r:.300}\n  refused {why}")
    if method != "get" and reply.status < 300:
        scene.restore()


@pytest.mark.parametrize("operation", operations(load_document()), ids=operation_id)
def test_valid_requests_are_not_refused(api: Api, scene: Scene, document: dict[str, Any],
                                        operation: Operation) -> None:
    # Given the seeded blog, and the operation as schemathesis reads the served document
    path, method = operation
    schema = loaded_schema(document)
    operation_schema = schema[path][method]
    refusals: list[str] = []
    # When every valid boundary case of the coverage phase is sent
    cases = schema.iter_coverage_cases(
        operation_schema, generation_modes=[GenerationMode.POSITIVE],
        generation_config=schema.config.generation_for(operation=operation_schema, phase="coverage"))
    for number, case in enumerate(c for c in cases if c.method.lower() == method):
        judged(api, scene, document, case, IDENTITIES[number % len(IDENTITIES)], number % 2 == 0, refusals)

    # and random valid examples, each with a drawn identity, half of them aimed at the seeded items
    @settings(max_examples=EXAMPLES, derandomize=SEED is None, database=None, deadline=None, print_blob=False,
              phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(case=operation_schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
           identity=st.sampled_from(IDENTITIES), seeded=st.booleans())
    def example(case: OperationCase, identity: str, seeded: bool) -> None:
        judged(api, scene, document, case, identity, seeded, refusals)

    if SEED is not None:
        example = seed(int(SEED))(example)
    example()
    # Then none is refused for its form: every refusal is a disagreement between the document and the server
    assert not refusals, f"{len(refusals)} valid cases refused:\n" + "\n".join(refusals[:12])


def descriptions_of(node: Any, field: str) -> list[str]:
    """Every description the document gives a property or parameter named ``field``."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("name") == field and "in" in node:
            found.append(str(node.get("description", "")))
        properties = node.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get(field), dict):
            found.append(str(properties[field].get("description", "")))
        for value in node.values():
            found += descriptions_of(value, field)
    elif isinstance(node, list):
        for value in node:
            found += descriptions_of(value, field)
    return found


@pytest.mark.parametrize(("field", "start", "words"), RULES_ONLY_DESCRIBED, ids=lambda value: str(value)[:30])
def test_rules_no_schema_can_state_are_written_in_their_fields_descriptions(field: str, start: str,
                                                                           words: str) -> None:
    # Given a rule the positive fuzzing lets the server refuse by, though the schema cannot state it
    # Then the document says it in words, on the field it concerns
    assert any(words in description for description in descriptions_of(load_document(), field)), (field, words)
