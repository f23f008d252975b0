"""The widget and the demo blog in a real browser: Debian's Chromium, driven by Playwright,
against `make run`'s stack (chalice local over moto's server) in a child process."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from devtools import chromium
from devtools.seed import LOCAL_ADMIN
from devtools.static_site import served
from tests.http.conftest import LocalStack, login, start_stack

# Generous for a 2-core machine running moto: Playwright waits only as long as it must.
TIMEOUT_MS = 20_000
_serial = itertools.count(1)


@dataclass
class Blog:
    """A running stack and its admin, with steps that set up what a test then looks at in the browser."""

    stack: LocalStack
    admin_token: str

    @property
    def url(self) -> str:
        return self.stack.url

    def new_post(self, title: str | None = None, **fields: Any) -> str:
        title = title or f"A post to discuss {next(_serial)}"
        reply = self.stack.post("/posts", {"title": title, "body": "Some words to comment on.", **fields},
                                self.admin_token)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["slug"])

    def comment(self, slug: str, body: str, **fields: Any) -> dict[str, Any]:
        reply = self.stack.post(f"/posts/{slug}/comments", {"body": body, **fields})
        assert reply.status_code in (201, 202), reply.text
        return dict(reply.json()["comment"])

    def as_admin(self, method: str, path: str, body: Any = None) -> Any:
        """What the admin's request answers, as JSON; anything but a 2xx fails the test."""
        reply = requests.request(method, self.url + path, json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {self.admin_token}"})
        assert reply.ok, reply.text
        return reply.json()

    def post_page(self, slug: str) -> str:
        return f"{self.url}/demo/posts/{slug}"


def _blog(stack: LocalStack) -> Blog:
    return Blog(stack, login(stack, LOCAL_ADMIN))


@pytest.fixture(scope="session")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Blog]:
    # Every browser here shares one loopback address (lift the per-address limits on comments and on the
    # sign-ups the console tests make), and a test fills in a form faster than any person (no minimum form age).
    stack = start_stack(tmp_path_factory.mktemp("browser-stack"), COMMENT_RATE_LIMIT="100000/60",
                        SIGNUP_RATE_LIMIT="100000/60", MIN_FORM_SECONDS="0")
    yield _blog(stack)
    stack.stop()


@pytest.fixture(scope="module")
def start_blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Blog]]:
    """Another stack with other settings (moderation, strict limits), stopped after the module."""
    started: list[LocalStack] = []

    def start(**settings: str) -> Blog:
        stack = start_stack(tmp_path_factory.mktemp("browser-stack"), **{"MIN_FORM_SECONDS": "0", **settings})
        started.append(stack)
        return _blog(stack)

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def open_reader(browser: Browser) -> Iterator[Callable[[], Page]]:
    """A new reader: their own browser context, so their own localStorage (edit tokens, votes)."""
    contexts = []
    errors: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": 1000, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"the page threw: {errors}"


@pytest.fixture
def page(open_reader: Callable[[], Page]) -> Page:
    return open_reader()


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Another origin serving plain files, as a static blog that embeds the widget would: (folder, base URL)."""
    folder = tmp_path_factory.mktemp("static-site")
    with served(folder) as url:
        yield folder, url


def api_get(blog: Blog, path: str) -> Any:
    reply = requests.get(blog.url + path, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()
