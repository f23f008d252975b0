"""Specification: public Conduit (RealWorld) frontends, run unmodified in Chromium against /api, keep their session.

Each frontend is a folder under CONDUIT_FRONTENDS (.tools/conduit-frontends/ by default) holding
what its build made (index.html and its assets) and a conduit.json naming the API origin it was built
to call ({"api": "https://api.realworld.io", ...}). It is served as built, from an origin of its own.
The test's Chromium resolves that API name to the local stack (--host-resolver-rules), through an
HTTPS front when the origin is https: nothing intercepts a request, so every preflight and CORS header
is the stack's own, and the stack allows the frontends' origins only. No Conduit frontend is published
on the npm registry: docs/realworld.md says how the ones tested here are built.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from devtools import chromium
from tests.browser import conduit_steps as conduit
from tests.browser import tls_front
from tests.browser.conftest import TIMEOUT_MS
from tests.http.conftest import LocalStack, start_stack

FRONTENDS = Path(os.environ.get("CONDUIT_FRONTENDS", Path(__file__).parents[2] / ".tools" / "conduit-frontends"))
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@dataclass(frozen=True)
class Frontend:
    name: str
    folder: Path
    api: str  # the origin its build calls, as in its conduit.json


def installed() -> list[Frontend]:
    return [Frontend(folder.name, folder, json.loads((folder / "conduit.json").read_text())["api"].rstrip("/"))
            for folder in sorted(FRONTENDS.glob("*")) if (folder / "index.html").exists()]


pytestmark = pytest.mark.skipif(
    not installed(),
    reason=f"no built Conduit frontend under {FRONTENDS}: none is published on the npm registry; build one "
           "as docs/realworld.md says",
)
_serial = itertools.count(1)
OpenConduit = Callable[..., tuple[Page, conduit.SentTokens]]


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, str]]:
    """Each frontend's origin, by name."""
    with ExitStack() as stack:
        yield {frontend.name: stack.enter_context(conduit.serve(frontend.folder)) for frontend in installed()}


@pytest.fixture(scope="module")
def conduit_stack(tmp_path_factory: pytest.TempPathFactory, sites: dict[str, str]) -> Iterator[LocalStack]:
    # Conduit lets anyone who signs up write; every browser here signs up from the same loopback address.
    stack = start_stack(tmp_path_factory.mktemp("conduit-stack"), OPEN_AUTHORING="true",
                        SIGNUP_RATE_LIMIT="100000/60", CORS_ORIGINS=",".join(sites.values()))
    yield stack
    stack.stop()


@contextmanager
def browser_before(browser: Browser, stack_url: str) -> Iterator[Browser]:
    """A Chromium of its own, where each frontend's API name is the stack at ``stack_url`` (or its HTTPS front)."""
    apis = {urlsplit(frontend.api) for frontend in installed()}
    stack = urlsplit(stack_url)
    with tls_front.serve(stack_url, sorted(api.hostname or "" for api in apis)) as tls_port:
        rules = ", ".join(f"MAP {api.hostname} 127.0.0.1:{tls_port if api.scheme == 'https' else stack.port}"
                          for api in apis)
        launched = browser.browser_type.launch(executable_path=str(chromium.EXECUTABLE), headless=True,
                                               args=[*chromium.FLAGS, f"--host-resolver-rules={rules}"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def conduit_browser(browser: Browser, conduit_stack: LocalStack) -> Iterator[Browser]:
    with browser_before(browser, conduit_stack.url) as launched:
        yield launched


@pytest.fixture(scope="module")
def stranger_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack that allows another origin than the frontends'."""
    stack = start_stack(tmp_path_factory.mktemp("stranger-stack"), OPEN_AUTHORING="true",
                        CORS_ORIGINS="https://elsewhere.example")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def stranger_browser(browser: Browser, stranger_stack: LocalStack) -> Iterator[Browser]:
    with browser_before(browser, stranger_stack.url) as launched:
        yield launched


@pytest.fixture(params=installed(), ids=lambda frontend: frontend.name)
def open_conduit(request: pytest.FixtureRequest, conduit_browser: Browser,
                 sites: dict[str, str]) -> Iterator[OpenConduit]:
    """A person's own browser on the frontend's home page, and the tokens the frontend sends from it."""
    frontend: Frontend = request.param
    contexts = []
    errors: list[str] = []

    def open_page(in_browser: Browser = conduit_browser) -> tuple[Page, conduit.SentTokens]:
        # The HTTPS front's certificate is made for the test, so no authority vouches for it.
        context = in_browser.new_context(locale="en-US", timezone_id="UTC", ignore_https_errors=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        sent = conduit.SentTokens(frontend.api)
        sent.watch(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(sites[frontend.name])
        return page, sent

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"the frontend threw: {errors}"


def new_name() -> str:
    return f"writer{os.getpid()}x{next(_serial)}"


def someone_elses_article(stack: LocalStack) -> str:
    """The title of an article just written, through the API, by another person."""
    name = new_name()
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    token = requests.post(stack.url + "/api/users", json={"user": user}, timeout=30).json()["user"]["token"]
    article = {"title": f"Worth a favorite {name}", "description": "Someone else's", "body": "Their words."}
    written = requests.post(stack.url + "/api/articles", json={"article": article}, timeout=30,
                            headers={"Authorization": f"Token {token}"})
    assert written.status_code == 201, written.text
    return article["title"]


def current_user(stack: LocalStack, token: str) -> int:
    return requests.get(stack.url + "/api/user", headers={"Authorization": f"Token {token}"}, timeout=30).status_code


def test_a_password_change_keeps_the_session_that_made_it(open_conduit: OpenConduit,
                                                          conduit_stack: LocalStack) -> None:
    page, sent = open_conduit()
    name = new_name()
    conduit.sign_up(page, name, f"{name}@example.com", PASSWORD)
    conduit.publish(page, f"Before the change {name}")
    elsewhere, elsewhere_sent = open_conduit()
    conduit.sign_in(elsewhere, f"{name}@example.com", PASSWORD)
    conduit.expect_signed_in_as(elsewhere, name)
    conduit.publish(elsewhere, f"From another browser {name}")

    conduit.update_settings(page, password=NEW_PASSWORD)

    conduit.expect_signed_in_as(page, name)
    conduit.publish(page, f"After the change {name}")
    conduit.favorite(page, someone_elses_article(conduit_stack))
    assert [current_user(conduit_stack, token) for token in sent.tokens] == [200] * len(sent.tokens)
    assert [current_user(conduit_stack, token) for token in elsewhere_sent.tokens] == [401]


def test_after_a_password_change_only_the_new_password_signs_in(open_conduit: OpenConduit) -> None:
    page, _ = open_conduit()
    name = new_name()
    conduit.sign_up(page, name, f"{name}@example.com", PASSWORD)
    conduit.update_settings(page, password=NEW_PASSWORD)
    conduit.sign_out(page)

    conduit.sign_in(page, f"{name}@example.com", PASSWORD)
    expect(page.locator(".error-messages li")).not_to_have_count(0)
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)

    conduit.sign_in(page, f"{name}@example.com", NEW_PASSWORD)
    conduit.expect_signed_in_as(page, name)
    conduit.publish(page, f"Back in {name}")


def test_a_settings_form_left_as_filled_in_changes_nothing(open_conduit: OpenConduit,
                                                           conduit_stack: LocalStack) -> None:
    # The form sends back every field as it filled them in: only the bio changes, and the session stays
    page, sent = open_conduit()
    name = new_name()
    conduit.sign_up(page, name, f"{name}@example.com", PASSWORD)
    conduit.open_settings(page)
    page.get_by_placeholder("Short bio about you").fill("I write here")
    page.get_by_role("button", name="Update Settings").click()
    expect(page.get_by_role("heading", name="Your Settings")).to_be_hidden()
    page.reload()

    conduit.open_own_profile(page, name)
    expect(page.get_by_text("I write here")).to_be_visible()
    assert [current_user(conduit_stack, token) for token in sent.tokens] == [200] * len(sent.tokens)
    signed_in = requests.post(conduit_stack.url + "/api/users/login", timeout=30,
                              json={"user": {"email": f"{name}@example.com", "password": PASSWORD}})
    assert signed_in.status_code == 200, signed_in.text


def test_an_api_that_does_not_allow_the_frontends_origin_gets_nothing_from_it(
        open_conduit: OpenConduit, stranger_browser: Browser, stranger_stack: LocalStack) -> None:
    # Chromium's preflight finds no allow header for the frontend's origin, so the sign-up is never sent
    page, _ = open_conduit(stranger_browser)
    name = new_name()
    page.get_by_role("link", name="Sign up").click()
    page.get_by_placeholder(conduit.NAME).fill(name)
    page.get_by_placeholder("Email").fill(f"{name}@example.com")
    page.get_by_placeholder("Password").fill(PASSWORD)
    with page.expect_event("requestfailed", lambda request: request.url.endswith("/api/users")):
        page.get_by_role("button", name="Sign up").click()

    assert requests.get(f"{stranger_stack.url}/api/profiles/{name}", timeout=30).status_code == 404


def test_a_username_change_keeps_the_session_and_shows_the_new_name(open_conduit: OpenConduit) -> None:
    page, _ = open_conduit()
    name, renamed = new_name(), new_name()
    conduit.sign_up(page, name, f"{name}@example.com", PASSWORD)
    conduit.publish(page, f"Under my first name {name}")

    conduit.update_settings(page, username=renamed)

    conduit.expect_signed_in_as(page, renamed)
    conduit.publish(page, f"Under my new name {renamed}")
    conduit.open_own_profile(page, renamed)
    expect(page.get_by_role("heading", name=f"Under my new name {renamed}")).to_be_visible()
    # what was written before follows the new name (moved by the table's stream, so it may take a moment)
    expect(page.get_by_role("heading", name=f"Under my first name {name}")).to_be_visible()
