"""Every operation in /openapi.json, fuzzed: no 5xx, and every reply is one the document describes.

Schemathesis (over Hypothesis) reads the served document and, for each operation, makes
requests two ways: its coverage phase (a fixed list of cases at and just past every
documented rule: bounds, enums, patterns, required fields, wrong types, wrong media types)
and random examples, valid ones (positive) and ones the document calls wrong (negative).
Each is sent in-process through Chalice's test client, on moto's DynamoDB like every other
test here, and its reply is checked twice: by schemathesis' response checks (no server
error; a documented status, content type, headers and body; and a request the document
calls wrong is not accepted) and by the project's ``check_reply`` (tests/openapi_document.py).

So that the fuzzer reaches more than "not found" and "sign in first", the blog is seeded
first (an admin, an author, a reader, a post with a comment), and each case goes out with an
identity (anonymous, admin, author, reader, or whatever Authorization header the generator
made) and, half of the time, with the seeded items' path parameters, edit token and
unsubscribe token in place of generated ones (never in a part a negative case made wrong).
Whatever a case deletes or renames is seeded again before the next one.

The run is bounded and deterministic, for CI (it is part of ``make test``; ``make fuzz`` runs
it alone): every coverage case, then ``FUZZ_EXAMPLES`` random examples per operation and
mode (25 by default), derandomized, with no example database. To fuzz longer, or from
another seed::

    FUZZ_EXAMPLES=500 make fuzz
    FUZZ_EXAMPLES=200 FUZZ_SEED=7 make fuzz

A failure shows the request that broke (also as a curl command) and the reply. What fuzzing
found is kept as plain regression tests in tests/openapi/test_fuzz_findings.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.blog.slugs import is_valid_slug, slugify
from chalicelib.services import services
from chalicelib.settings import Settings
from tests.conftest import ADMIN, API_HOST, Api, Blog, Reply, login
from tests.openapi_document import Operation, check_reply, load_document, operations, resolve

pytestmark = pytest.mark.fuzz

OperationCase = Case[APIOperation[Any, Any, Any, Any]]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("FUZZ_SEED")
BASE_URL = "http://blog.test"
# Schemathesis' response checks; negative_data_rejection holds the code to the document's input rules too
# (a request the document calls wrong must not succeed).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
IDENTITIES = ("generated", "anonymous", "admin", "author", "reader")

# Settings for the whole run: the demo blog is on (so its routes are more than 404), and the
# comment rate limit is out of the way (so comments past the fifth still reach the store).
FUZZ_SETTINGS = {"DEMO_PAGES": "true", "COMMENT_RATE_LIMIT": "100000/60"}

# The document's `format: slug` (Unicode letters, marks and digits, which no pattern can name in both
# ECMA-262 and Python): made the way the server makes slugs, from titles in any script.
schemathesis.openapi.format("slug", st.text(min_size=1, max_size=90).map(slugify).filter(is_valid_slug))


class Scene:
    """The seeded blog: accounts in each role, a post, a comment on it, and the admin's view of both."""

    def __init__(self, api: Api, blog: Blog) -> None:
        self.api = api
        self.blog = blog
        self.admin = blog.admin()
        self.author = blog.author("alice")
        self.reader = blog.user("rita")
        blog.user("maria")  # the one whose role fuzzed requests may change
        self.slug = ""
        self.comment_id = ""
        self.edit_token = ""
        self.seed_post()

    def seed_post(self) -> None:
        post = self.blog.post(self.author, title=f"Seeded post {self.blog._next()}", labels=["poetry", "Lent"])
        self.slug = str(post["slug"])
        self.seed_comment()

    def seed_comment(self) -> None:
        created = self.blog.comment(self.slug, author_name="Bob", author_email="bob@example.com",
                                    notify_replies=True)
        self.comment_id = str(created["comment"]["id"])
        self.edit_token = str(created["edit_token"])

    def token(self, identity: str) -> str | None:
        return {"admin": self.admin, "author": self.author, "reader": self.reader}.get(identity)

    def restore(self) -> None:
        """Seed again what an example deleted or moved, and sign in again whoever signed out everywhere.

        Called after a write that succeeded.
        """
        self.admin, self.author, self.reader = (
            token if self.api.get("/auth/me", token=token).status == 200 else self.signed_in_again(name)
            for token, name in ((self.admin, ADMIN), (self.author, "alice"), (self.reader, "rita")))
        if self.api.get(f"/posts/{self.slug}", token=self.admin).status != 200:
            self.seed_post()
            return
        comment = self.api.get(f"/comments/{self.comment_id}", token=self.admin)
        if comment.status != 200 or comment.json["status"] == "deleted":
            self.seed_comment()

    def signed_in_again(self, name: str) -> str:
        """A new token for ``name``; an account an example deleted (DELETE /me) is made again first."""
        if login(self.api, f"{name}@example.com").status == 200:
            return self.blog.login(name)
        if name == ADMIN:
            return self.blog.admin()
        return self.blog.author(name) if name == "alice" else self.blog.user(name)

    def use_seeded_items(self, case: OperationCase) -> None:
        """Point the case at the seeded post and comment, with the tokens that open them.

        A part that a negative case made wrong is left wrong: only valid parts are replaced.
        """
        if not wrong_in(case, ParameterLocation.PATH) and case.path_parameters:
            real_path = {"slug": self.slug, "comment_id": self.comment_id, "username": "maria", "name": "demo.js"}
            for name in case.path_parameters:
                case.path_parameters[name] = real_path.get(name, case.path_parameters[name])
        if not wrong_in(case, ParameterLocation.HEADER) and case.headers and "X-Edit-Token" in case.headers:
            case.headers["X-Edit-Token"] = self.edit_token
        if not wrong_in(case, ParameterLocation.QUERY) and case.query and "token" in case.query:
            case.query["token"] = services().notifications.unsubscribe_token("bob@example.com")


class Identities(Protocol):
    """Whatever gives the token a case goes out with: the seeded scene here, a state machine's accounts elsewhere."""

    def token(self, identity: str) -> str | None: ...


def wrong_in(case: OperationCase, location: ParameterLocation) -> bool:
    """Whether the case is a negative one in this part of the request."""
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode.is_negative


def send(api: Api, scene: Identities, case: OperationCase, identity: str) -> tuple[requests.PreparedRequest, Reply]:
    """The case as an HTTP request (serialised by schemathesis, then requests), sent through Chalice's test client."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    headers = {name: value for name, value in kwargs.pop("headers").items() if name.lower() != "authorization"}
    token = scene.token(identity)
    if identity == "generated" and case.headers and "Authorization" in case.headers:
        headers["Authorization"] = case.headers["Authorization"]
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    prepared = requests.Request(headers=headers, **kwargs).prepare()
    raw = prepared.body
    body = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else b""
    sent = {name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in prepared.headers.items()}
    sent.setdefault("Host", API_HOST)  # as every HTTP/1.1 client sends (requests adds it only on the wire)
    response = api.client.http.request(str(prepared.method), prepared.path_url, headers=sent, body=body)
    return prepared, Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.body)


def verdict(document: dict[str, Any], path: str, method: str, case: OperationCase, prepared: requests.PreparedRequest,
            reply: Reply, checks: list[Any] = CHECKS) -> None:
    """Raise AssertionError (or jsonschema's ValidationError) unless the reply is a documented, non-5xx one."""
    assert reply.status < 500, f"a server error, {reply.status}"
    try:
        case.validate_response(as_schemathesis_response(prepared, reply), checks=checks)
    except FailureGroup as failures:  # a BaseExceptionGroup: made an AssertionError, which Hypothesis expects
        raise AssertionError(failures.message) from None
    check_reply(document, reply, path, method)


def as_schemathesis_response(prepared: requests.PreparedRequest, reply: Reply) -> schemathesis.Response:
    return schemathesis.Response(status_code=reply.status, headers={k: [v] for k, v in reply.headers.items()},
                                 content=reply.body, request=prepared, elapsed=0.0, verify=True)


def can_be_wrong(document: dict[str, Any], path: str, method: str) -> bool:
    """Whether a negative case exists: a body, or a parameter whose schema says more than "any string".

    A path parameter or optional header that may be any string cannot be sent wrong, and
    schemathesis then finds no negative case at all (Hypothesis would give up, Unsatisfiable).
    """
    item = document["paths"][path]
    if item[method].get("requestBody"):
        return True
    for parameter in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        parameter = resolve(document, parameter)
        schema = {key: value for key, value in parameter["schema"].items() if key not in ("description", "example")}
        if schema != {"type": "string"} or (parameter.get("required") and parameter["in"] != "path"):
            return True
    return False


# -- the fuzz test --------------------------------------------------------------------------


_schemas: dict[str, schemathesis.BaseSchema] = {}


def loaded_schema(document: dict[str, Any]) -> schemathesis.BaseSchema:
    """Schemathesis' reading of the served document (read once per run: every test serves the same one)."""
    key = json.dumps(document, sort_keys=True)
    if key not in _schemas:
        _schemas.clear()
        schema = schemathesis.openapi.from_dict(document)
        # A body over the API's 1 MiB is refused with 413 before its fields are read: a rejection too.
        rejection = schema.config.checks.negative_data_rejection
        rejection.expected_statuses = [*rejection.expected_statuses, "413"]
        _schemas[key] = schema
    return _schemas[key]


@pytest.fixture
def scene(api: Api, blog: Blog, configure: Callable[..., Settings]) -> Iterator[Scene]:
    configure(**FUZZ_SETTINGS)
    yield Scene(api, blog)


def operation_id(operation: Operation) -> str:
    return f"{operation[1].upper()} {operation[0]}"


@pytest.mark.parametrize("operation", operations(load_document()), ids=operation_id)
def test_fuzzed_requests_get_documented_replies(api: Api, scene: Scene, document: dict[str, Any],
                                                operation: Operation) -> None:
    # Given the seeded blog, and the operation as schemathesis reads the served document
    path, method = operation
    schema = loaded_schema(document)
    # When schemathesis' boundary cases (each rule of each parameter and field, kept and broken) are sent,
    # then no reply is a server error or undocumented
    for number, case in enumerate(coverage_cases(schema, path, method)):
        try_case(api, scene, document, case, IDENTITIES[number % len(IDENTITIES)], seeded=number % 2 == 0)
    # and neither is any reply to random examples, valid ones and then wrong ones
    modes = [GenerationMode.POSITIVE]
    if can_be_wrong(document, path, method):
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:
        fuzz(api, scene, document, schema[path][method].as_strategy(generation_mode=mode))


def coverage_cases(schema: schemathesis.BaseSchema, path: str, method: str) -> list[OperationCase]:
    """Schemathesis' coverage phase for one operation: a fixed list of cases at and past every documented rule."""
    operation = schema[path][method]
    cases = schema.iter_coverage_cases(
        operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"))
    # Cases with another method probe for 405s, which the document (like API Gateway's) leaves out.
    return [case for case in cases if case.method.lower() == method]


def try_case(api: Api, scene: Scene, document: dict[str, Any], case: OperationCase, identity: str,
             seeded: bool) -> None:
    """Send one case and judge the reply; a failure carries the request and the reply."""
    if seeded:
        scene.use_seeded_items(case)
    if wrong_in(case, ParameterLocation.HEADER):
        identity = "generated"  # the wrong header may be a missing or broken Authorization: keep it so
    prepared, reply = send(api, scene, case, identity)
    path, method = case.operation.path, case.operation.method.lower()
    try:
        verdict(document, path, method, case, prepared, reply)
    except (AssertionError, ValidationError) as failure:
        mode = case.meta.generation.mode.value if case.meta else "explicit"
        failure.add_note(f"{mode} case, as {identity}: {prepared.method} {prepared.path_url}"
                         f"\n  headers {dict(prepared.headers)}\n  body {prepared.body!r:.2000}"
                         f"\nanswered {reply.status} {reply.headers}\n  {reply.body[:2000]!r}")
        raise
    if method != "get" and reply.status < 300:
        scene.restore()


def fuzz(api: Api, scene: Scene, document: dict[str, Any], cases: st.SearchStrategy[OperationCase]) -> None:
    """EXAMPLES random cases, each with a drawn identity, half of them aimed at the seeded items."""

    @settings(max_examples=EXAMPLES, derandomize=SEED is None, database=None, deadline=None, print_blob=False,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(case=cases, identity=st.sampled_from(IDENTITIES), seeded=st.booleans())
    def example(case: OperationCase, identity: str, seeded: bool) -> None:
        try_case(api, scene, document, case, identity, seeded)

    if SEED is not None:
        example = seed(int(SEED))(example)
    example()


def test_the_verdict_refuses_what_the_fuzzer_must_never_get() -> None:
    """A passing fuzz run means something: a 5xx, an undocumented status or type, a body off its schema all fail."""
    document = load_document()
    case = loaded_schema(document)["/posts/{slug}"]["get"].Case(path_parameters={"slug": "hello"})
    prepared = requests.Request("GET", f"{BASE_URL}/posts/hello").prepare()
    problem = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "gone", "errors": {}}
    as_problem = {"content-type": "application/problem+json"}
    verdict(document, "/posts/{slug}", "get", case, prepared, Reply(404, as_problem, json.dumps(problem).encode()))
    wrong = {
        "a 500, though the document has a default": Reply(
            500, as_problem, json.dumps({**problem, "status": 500, "title": "Internal Server Error"}).encode()),
        "an undocumented status": Reply(418, as_problem, json.dumps({**problem, "status": 418}).encode()),
        "an undocumented media type": Reply(404, {"content-type": "text/html"}, b"<p>gone</p>"),
        "a body off its schema": Reply(404, as_problem, json.dumps({**problem, "errors": []}).encode()),
        "a success without its ETag or fields": Reply(200, {"content-type": "application/json"}, b'{"slug": "hello"}'),
    }
    for name, reply in wrong.items():
        with pytest.raises((AssertionError, ValidationError)):
            verdict(document, "/posts/{slug}", "get", case, prepared, reply)
            pytest.fail(f"{name} passed the verdict")
