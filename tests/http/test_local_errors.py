"""Specification: the local stack answers what no route answers in the API's own format, over real HTTP.

An unknown path is a 404 problem document a page on another origin can read; a method
no route takes (TRACE, made-up ones) is a 405 problem document as the routes give; a
HEAD never claims a length of 0 for a GET that has a body (RFC 9110 §8.6).
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.http.conftest import LocalStack, start_stack

FRONTEND = "https://frontend.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # One allowed origin (not "*"), so the test can tell an echoed origin from a refused one.
    running = start_stack(tmp_path_factory.mktemp("stack"), CORS_ORIGINS=FRONTEND)
    yield running
    running.stop()


@pytest.fixture
def connection(stack: LocalStack) -> Iterator[http.client.HTTPConnection]:
    """One keep-alive connection: a wrongly framed answer would garble the next one on it."""
    where = urlsplit(stack.url)
    opened = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    yield opened
    opened.close()


def exchange(connection: http.client.HTTPConnection, method: str, path: str,
             headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request(method, path, headers=headers or {})
    reply = connection.getresponse()
    return reply, reply.read()


def test_unknown_route_is_a_404_problem_a_cross_origin_page_can_read(stack: LocalStack) -> None:
    reply = stack.get("/no/such/route", headers={"Origin": FRONTEND})

    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert "Retry-After" in reply.headers["Access-Control-Expose-Headers"]
    assert "Origin" in reply.headers["Vary"]
    assert reply.headers["Cache-Control"] == "no-store"
    problem = reply.json()
    assert problem["status"] == 404 and problem["title"] == "Not Found"
    assert "/no/such/route" in problem["detail"]


def test_a_signed_in_page_can_read_the_404_of_an_unknown_route_after_its_preflight(stack: LocalStack) -> None:
    # A request with a token is preflighted: a refused preflight would hide the 404 from the page.
    preflight = requests.options(stack.url + "/no/such/route", timeout=30, headers={
        "Origin": FRONTEND, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})

    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    reply = stack.get("/no/such/route", headers={"Origin": FRONTEND, "Authorization": "Bearer x"})
    assert reply.status_code == 404 and reply.headers["Access-Control-Allow-Origin"] == FRONTEND


def test_a_plain_options_on_an_unknown_route_is_a_404(stack: LocalStack) -> None:
    reply = requests.options(stack.url + "/no/such/route", timeout=30)

    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_unknown_route_refuses_an_origin_that_is_not_allowed(stack: LocalStack) -> None:
    reply = stack.get("/no/such/route", headers={"Origin": "https://evil.example"})

    assert reply.status_code == 404
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_unknown_route_with_a_bearer_token_is_still_a_404(stack: LocalStack) -> None:
    # API Gateway (and Chalice's copy of it) answers this one with a 403 about SigV4 credentials.
    reply = stack.get("/nope", headers={"Authorization": "Bearer whatever"})

    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/problem+json"


def test_unknown_route_echoes_a_long_hostile_path_cut_short_in_a_json_document(stack: LocalStack) -> None:
    path = "/%3Cscript%3E" + "a" * 5000 + "%E2%80%AE"
    reply = stack.get(path)

    assert reply.status_code == 404
    assert reply.headers["Content-Type"] == "application/problem+json"  # never rendered as a page
    detail = reply.json()["detail"]
    assert detail.startswith("no route matches /%3Cscript%3Eaaa")
    assert len(detail) < 400 and "%E2%80%AE" not in detail


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW", "get"])
def test_a_method_no_route_takes_is_a_405_problem(connection: http.client.HTTPConnection, method: str) -> None:
    reply, body = exchange(connection, method, "/posts", {"Origin": FRONTEND})

    assert reply.status == 405
    assert reply.getheader("Content-Type") == "application/problem+json"
    assert reply.getheader("Access-Control-Allow-Origin") == FRONTEND
    assert method in body.decode()
    # and the connection still serves the next request
    again, _ = exchange(connection, "GET", "/health")
    assert again.status == 200


def test_trace_on_an_unknown_route_is_a_404_problem(connection: http.client.HTTPConnection) -> None:
    reply, body = exchange(connection, "TRACE", "/nowhere")

    assert reply.status == 404
    assert reply.getheader("Content-Type") == "application/problem+json"
    assert b"text/html" not in body


@pytest.mark.parametrize("path", ["/posts", "/health", "/openapi.json", "/no/such/route"])
def test_head_never_claims_a_length_the_get_does_not_have(connection: http.client.HTTPConnection,
                                                          path: str) -> None:
    get, get_body = exchange(connection, "GET", path)
    head, head_body = exchange(connection, "HEAD", path)

    assert get_body, "the GET has a body"
    assert head.status == get.status
    assert head_body == b""
    assert head.getheader("Content-Length") in (None, str(len(get_body)))
    assert head.getheader("Content-Type") == get.getheader("Content-Type")
    # The HEAD wrote no body after its headers: the next answer on the connection is whole.
    after, after_body = exchange(connection, "GET", "/health")
    assert after.status == 200 and after_body.startswith(b"{")


def test_a_route_with_the_wrong_method_is_still_the_apps_405(stack: LocalStack) -> None:
    reply = stack.post("/health", {})

    assert reply.status_code == 405
    assert reply.headers["Content-Type"] == "application/problem+json"
