"""What an author or admin does in the admin console, in the words the tests use."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog

PASSWORD = "a long console passphrase"
_serial = itertools.count(1)


def new_account(blog: Blog, role: str = "author") -> dict[str, str]:
    """A fresh account with ``role`` (reader or author), made through the API as the walkthrough does."""
    name = f"writer{next(_serial)}"
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    reply = blog.stack.post("/auth/signup", account)
    assert reply.status_code == 201, reply.text
    if role != "reader":
        blog.as_admin("PUT", f"/users/{name}/role", {"role": role})
    return account


def token_of(blog: Blog, account: dict[str, str]) -> str:
    reply = blog.stack.post("/auth/login", {"email": account["email"], "password": account["password"]})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def sign_in(page: Page, blog: Blog, account: dict[str, str], at: str = "") -> None:
    page.goto(f"{blog.url}/admin/{at}")
    page.get_by_label("E-mail").fill(account["email"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def as_user(blog: Blog, token: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> requests.Response:
    return requests.request(method, blog.url + path, json=body, timeout=30,
                            headers={"Authorization": f"Bearer {token}", **(headers or {})})


def queue_item(page: Page, text: str) -> Any:
    return page.locator("li.comment").filter(has=page.locator(".rendered", has_text=text))
