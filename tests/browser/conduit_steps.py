"""What a person does in a Conduit (RealWorld) frontend, by the markup every frontend shares.

RealWorld frontends all render the same template (its placeholders, its buttons, its navigation
texts), whatever their framework, so these steps find things by what a person reads, never by a
framework's own ids or storage keys. Where frontends word a thing differently ("Username" or
"Your Name", "New Article" or "New Post"), both are accepted.

The frontend is served as it was built, from an origin of its own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, Request, expect

NAME = re.compile(r"^(Username|Your Name)$", re.IGNORECASE)
NEW_PASSWORD = re.compile(r"^(New )?Password$", re.IGNORECASE)
NEW_ARTICLE = re.compile(r"New (Article|Post)", re.IGNORECASE)


class _SinglePageApp(SimpleHTTPRequestHandler):
    """The built frontend's files; any other path is the app's index.html, for history-routed apps."""

    def send_head(self) -> Any:
        if not Path(self.translate_path(self.path)).exists():
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the test output is not a server log
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The built frontend on a loopback origin of its own, as its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_SinglePageApp, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SentTokens:
    """Every token the frontend sent to its API, in the order it first sent them."""

    api_origin: str
    tokens: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", self._note)

    def _note(self, request: Request) -> None:
        token = (request.headers.get("authorization") or "").split(" ")[-1]
        if request.url.startswith(self.api_origin) and token and token not in self.tokens:
            self.tokens.append(token)


def sign_up(page: Page, username: str, email: str, password: str) -> None:
    page.get_by_role("link", name="Sign up").click()
    page.get_by_placeholder(NAME).fill(username)
    page.get_by_placeholder("Email").fill(email)
    page.get_by_placeholder("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect_signed_in_as(page, username)


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("link", name="Sign in").click()
    page.get_by_placeholder("Email").fill(email)
    page.get_by_placeholder("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    open_settings(page)
    # by its text: one frontend names this button "Logout" for screen readers
    page.locator("button", has_text=re.compile("click here to logout", re.IGNORECASE)).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def expect_signed_in_as(page: Page, username: str) -> None:
    expect(page.locator("nav").get_by_role("link", name=username, exact=True)).to_be_visible()


def publish(page: Page, title: str) -> None:
    """Writes an article from the editor; the frontend then shows it, under its title."""
    page.locator("nav").get_by_role("link", name=NEW_ARTICLE).click()
    page.get_by_placeholder("Article Title").fill(title)
    page.get_by_placeholder("What's this article about?").fill("A summary")
    page.get_by_placeholder("Write your article (in markdown)").fill("Some **words**.")
    page.get_by_role("button", name="Publish Article").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def favorite(page: Page, title: str) -> None:
    """Favorites an article from the global feed (some frontends offer no favorite on one's own articles)."""
    page.locator(".navbar-brand").click()
    page.get_by_text("Global Feed", exact=True).click()
    page.get_by_role("heading", name=title).click()
    page.get_by_role("button", name=re.compile("^Favorite Article", re.IGNORECASE)).first.click()
    expect(page.get_by_role("button", name=re.compile("^Unfavorite Article", re.IGNORECASE)).first).to_be_visible()


def open_settings(page: Page) -> None:
    page.locator("nav").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Your Settings")).to_be_visible()


def update_settings(page: Page, username: str | None = None, password: str | None = None) -> None:
    """Changes what is given in the settings form, leaving the rest as the frontend filled it in."""
    open_settings(page)
    if username is not None:
        page.get_by_placeholder(NAME).fill(username)
    if password is not None:
        page.get_by_placeholder(NEW_PASSWORD).fill(password)
    page.get_by_role("button", name="Update Settings").click()
    expect(page.get_by_role("heading", name="Your Settings")).to_be_hidden()
    # Loaded again, the frontend restores its session from the token it stored (one frontend also hides
    # its navigation after any settings update until the page loads again: its own bug, not the API's).
    page.reload()


def open_own_profile(page: Page, username: str) -> None:
    page.locator("nav").get_by_role("link", name=username, exact=True).click()
    expect(page.get_by_role("heading", name=username, level=4)).to_be_visible()
