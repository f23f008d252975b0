"""The document's `links`, driven as a state machine: each declared transition taken with generated requests.

The OpenAPI document says what a reply leads to: a new post to reading, editing and deleting
it, to its comments and to commenting on it; a new comment to reading, editing, deleting,
voting on and moderating it. Here Hypothesis' rule-based state machine walks those links:
it makes posts and comments with schemathesis' valid cases, then follows a drawn link from a
drawn earlier reply, filling the link's parameters from that reply as its runtime expression
says (`$response.body#/slug`, `header.X-Edit-Token` …) and the rest of the request from the
target operation's valid cases. Every reply must be documented (the fuzz tests' verdict), and
after every step each post's `comment_count` must equal the comments its public thread lists:
counts are kept exact by the transactions that change them, whatever order things happen in.

Each machine starts on an empty table, so a run replays exactly (schemathesis' own state
machine, which shares state between runs, failed Hypothesis' flakiness check here). The run is
derandomized; `FUZZ_EXAMPLES` sets the number of machines (a third of it), as it sets the other
fuzz tests' examples. At the end the test asserts that the machines took every declared link at least once
with a success, so a link nobody can follow (a renamed field, an operation that moved) fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule, run_state_machine_as_test
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from chalicelib import services as services_module
from chalicelib.settings import Settings
from chalicelib.store.client import dynamodb_client
from infra.table import create_table
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.openapi.test_fuzz_openapi import CHECKS, EXAMPLES, FUZZ_SETTINGS, OperationCase, loaded_schema, send, verdict
from tests.openapi.test_fuzz_positive import with_signed_form_token
from tests.openapi_document import load_document
from tests.settings_steps import configurer

pytestmark = pytest.mark.fuzz

STEPS = 20
# Twenty steps a machine, each on a table of its own; a third of the fuzz tests' examples keeps `make test` short.
MACHINES = max(4, EXAMPLES // 3)
# Every case here is a valid one whose parameters a link filled in: the check that wrong data is refused has
# nothing to judge (and reads a filled-in part as a broken one).
CHECKS_ON_VALID_CASES = [check for check in CHECKS if check is not negative_data_rejection]
Link = tuple[str, str, dict[str, str]]  # (the link's name, the target operationId, its parameters)


def declared_links(document: dict[str, Any], source: str) -> list[Link]:
    """The links the document declares on the success of ``source`` (an operationId), in document order."""
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == source:
                return [(name, link["operationId"], link["parameters"])
                        for reply in operation["responses"].values() if isinstance(reply, dict)
                        for name, link in reply.get("links", {}).items()]
    raise AssertionError(f"no operation {source}")


def operation_by_id(document: dict[str, Any], operation_id: str) -> tuple[str, str]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, method
    raise AssertionError(f"a link names {operation_id}, which the document does not have")


def evaluate(expression: str, body: dict[str, Any]) -> Any:
    """A runtime expression of the forms the document uses: a constant, or `$response.body#/json/pointer`."""
    if not expression.startswith("$"):
        return expression
    found = re.fullmatch(r"\$response\.body#((?:/[^/]*)*)", expression)
    assert found, f"a runtime expression this test does not know: {expression}"
    value: Any = body
    for part in found.group(1).split("/")[1:]:
        value = value[part.replace("~1", "/").replace("~0", "~")]
    return value


def place(case: OperationCase, parameters: dict[str, str], body: dict[str, Any]) -> None:
    """Fill the case's parameters named by the link (`header.X`, `query.X`, or a path parameter) from ``body``."""
    for name, expression in parameters.items():
        location, _, field = name.rpartition(".")
        value = str(evaluate(expression, body))
        if location == "header":
            case.headers = case.headers or CaseInsensitiveDict()
            case.headers[field] = value
        elif location == "query":
            case.query = {**(case.query or {}), field: value}
        else:
            case.path_parameters = {**(case.path_parameters or {}), field: value}


class Walk:
    """What the machines did, over the whole run: each link and the statuses its targets answered."""

    def __init__(self) -> None:
        self.statuses: dict[str, set[int]] = {}

    def took(self, link: str, status: int) -> None:
        self.statuses.setdefault(link, set()).add(status)


class LinkMachine(RuleBasedStateMachine):
    """Posts and comments made and then followed through the document's links, on a table of its own."""

    posts = Bundle("posts")
    comments = Bundle("comments")

    def __init__(self, api: Api, walk: Walk) -> None:
        super().__init__()
        self.api = api
        self.walk = walk
        self.document = load_document()
        self.schema = loaded_schema(self.document)
        self.table_made_anew()
        blog = Blog(api)
        self.tokens = {"admin": blog.admin(), "author": blog.author("alice")}
        self.slugs: dict[str, str] = {}  # each live post: its first slug (as its links know it) to its slug now

    def table_made_anew(self) -> None:
        client = dynamodb_client()
        client.delete_table(TableName=TEST_TABLE)
        create_table(client, TEST_TABLE)
        services_module.reset()

    def send(self, case: OperationCase, identity: str | None) -> tuple[int, Any]:
        """Send the case as ``identity`` (or anonymously), judge the reply by the document, return status and body."""
        scene = _Identity(self.tokens.get(identity or ""))
        prepared, reply = send(self.api, scene, case, "anonymous" if identity is None else identity)
        path, method = case.operation.path, case.operation.method.lower()
        verdict(self.document, path, method, case, prepared, reply, checks=CHECKS_ON_VALID_CASES)
        body = reply.json if reply.body and reply.headers.get("content-type", "").endswith("json") else {}
        return reply.status, body

    def case_for(self, operation_id: str, data: st.DataObject) -> OperationCase:
        path, method = operation_by_id(self.document, operation_id)
        return data.draw(self.schema[path][method].as_strategy(generation_mode=GenerationMode.POSITIVE),
                         label=operation_id)

    @rule(target=posts, data=st.data())
    def write_a_post(self, data: st.DataObject) -> Any:
        case = self.case_for("createPost", data)
        if isinstance(case.body, dict):
            # Published and open, so the links to its comments lead somewhere; the update link's generated bodies
            # still take posts back to drafts, schedule them and close them.
            case.body.update(status="published", comments_closed=False)
            case.body.pop("published_at", None)
        status, body = self.send(case, "author")
        if status != 201:
            return multiple()
        self.slugs[body["slug"]] = body["slug"]
        return body

    @rule(target=comments, post=posts, data=st.data())
    def follow_a_link_from_a_post(self, post: dict[str, Any], data: st.DataObject) -> Any:
        name, target, parameters = data.draw(st.sampled_from(declared_links(self.document, "createPost")), label="link")
        case = self.case_for(target, data)
        place(case, parameters, post)
        with_signed_form_token(case)
        # A comment comes from an anonymous reader (often held, as generated text is) or from the signed-in author.
        commenter = data.draw(st.sampled_from([None, "author"]), label="commenter")
        status, body = self.send(case, commenter if target == "createComment" else "author")
        self.walk.took(name, status)
        if target == "deletePost" and status < 300:
            del self.slugs[post["slug"]]
        if target == "updatePost" and status == 200:
            # A new title may rename the post: its count is read at its new slug from then on.
            self.slugs[post["slug"]] = body["slug"]
        return body if target == "createComment" and status == 201 else multiple()

    @rule(comment=comments, data=st.data())
    def follow_a_link_from_a_comment(self, comment: dict[str, Any], data: st.DataObject) -> None:
        links = declared_links(self.document, "createComment")
        name, target, parameters = data.draw(st.sampled_from(links), label="link")
        case = self.case_for(target, data)
        place(case, parameters, comment)
        # The admin moderates and votes (nobody votes on a comment of their own); the rest goes with the edit token.
        identity = {"moderateComment": "admin", "voteOnComment": "admin"}.get(target)
        status, _ = self.send(case, identity)
        self.walk.took(name, status)

    @invariant()
    def every_count_equals_its_thread(self) -> None:
        for slug in self.slugs.values():
            post = self.api.get(f"/posts/{slug}", token=self.tokens["admin"])
            assert post.status == 200, post.body
            listed = public_comments(self.api, slug)
            if listed is not None:
                assert post.json["comment_count"] == listed, (slug, post.json["comment_count"], listed)


class _Identity:
    """The one part of the fuzz tests' scene that ``send`` reads: the token of the identity a case goes out as."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def token(self, _: str) -> str | None:
        return self._token


def public_comments(api: Api, slug: str) -> int | None:
    """How many approved comments the post's public thread lists, page by page; None while it has no thread."""
    count, cursor = 0, ""
    while True:
        reply = api.get(f"/posts/{slug}/comments" + (f"?cursor={cursor}" if cursor else ""))
        if reply.status != 200:
            return None
        count += sum(1 for comment in reply.json["items"] if comment["status"] == "approved")
        cursor = reply.json.get("next_cursor") or ""
        if not cursor:
            return count


@pytest.fixture
def fuzz_stage(api: Api, dynamo: DynamoCalls) -> Iterator[Settings]:
    yield configurer()(**FUZZ_SETTINGS)


def test_walks_through_the_documents_links_keep_every_reply_documented_and_every_count_exact(
        api: Api, fuzz_stage: Settings) -> None:
    # Given machines that each start on an empty table, when they walk the document's links
    walk = Walk()

    class OnThisApi(LinkMachine):
        def __init__(self) -> None:
            super().__init__(api, walk)

    run_state_machine_as_test(
        OnThisApi,
        settings=settings(max_examples=MACHINES, stateful_step_count=STEPS, derandomize=True, database=None,
                          deadline=None, print_blob=False, phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.data_too_large, HealthCheck.large_base_example]))
    # then (besides every reply documented and every count exact, checked at each step) every declared link
    # was taken at least once with a success
    document = load_document()
    declared = {name for source in ("createPost", "createComment") for name, _, _ in declared_links(document, source)}
    succeeded = {name for name, statuses in walk.statuses.items() if any(status < 300 for status in statuses)}
    assert declared - succeeded == set(), {name: walk.statuses.get(name) for name in declared - succeeded}
