"""Signing in with OpenID Connect, in Chromium against `make run`'s stack and a real provider on a local port
(oidc-provider-mock): from the widget on a post, and from the console. The whole redirect flow runs as a reader's
browser runs it: the API's start, the provider's authorize page, the callback, the hand-off in the fragment."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item, comment_on
from tests.oidc_steps import CLIENT_ID, mock_issuer

_serial = itertools.count(1)
READER = ("reader-at-mock", {"email": "oidc.reader@idp.example", "email_verified": True,
                             "preferred_username": "oidc.reader"})
EDITOR = ("editor-at-mock", {"email": "oidc.editor@idp.example", "email_verified": True,
                             "preferred_username": "oidc.editor"})


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with mock_issuer(READER, EDITOR) as url:
        yield url


@pytest.fixture(scope="module")
def oidc_blog(start_blog: Callable[..., Blog], issuer: str) -> Blog:
    return start_blog(OIDC_PROVIDERS=f"mock|Mock ID|{issuer}|{CLIENT_ID}",
                      OIDC_CLIENT_SECRETS="mock=browser-test-secret", COMMENT_RATE_LIMIT="100000/60")


def offline(page: Page) -> Page:
    """The mock's page asks a CDN for its stylesheet: refused here, as this machine has no internet."""
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    return page


def at_the_provider_choose(page: Page, sub: str) -> None:
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=sub, exact=True).click()


def session_kept(page: Page) -> Any:
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => /session|token/i.test(k))") == []
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('blog-comments-session'))")


def test_a_reader_signs_in_with_a_provider_from_the_widget_and_comments_verified(oidc_blog: Blog,
                                                                                 page: Page) -> None:
    n = next(_serial)
    slug = oidc_blog.new_post(f"Sign in with a provider {n}")
    offline(page).goto(oidc_blog.post_page(slug))

    # Given a reader who opens the sign-in and picks the provider
    page.get_by_role("button", name="Sign in by e-mail").click()
    expect(page.get_by_role("button", name="Sign in with Mock ID")).to_be_visible()
    assert_accessible(page, ".bc")  # the provider's button beside the e-mail form
    page.get_by_role("button", name="Sign in with Mock ID").click()

    # When they say who they are on the provider's own page
    at_the_provider_choose(page, READER[0])

    # Then they are back on the post, signed in under the provider's username, the hand-off gone from the address
    expect(page.get_by_text("Signed in as oidc.reader").first).to_be_visible()
    assert page.url == oidc_blog.post_page(slug)
    kept = session_kept(page)
    assert kept["username"] == "oidc.reader" and kept["email"] == READER[1]["email"]
    assert requests.get(f"{oidc_blog.url}/auth/me", headers={"Authorization": f"Bearer {kept['token']}"},
                        timeout=30).status_code == 200
    expect(page.locator("form.bc-form").get_by_label("Name")).to_be_hidden()

    # And their comment carries the verified mark
    comment_on(page, "Signed in through my provider.")
    mine = comment_item(page, "Signed in through my provider.")
    expect(mine.locator(".bc-author")).to_have_text("oidc.reader")
    expect(mine.locator(".bc-verified")).to_have_text("✓ verified")

    # When they sign out, the token is forgotten here and refused by the server
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert session_kept(page) is None
    assert requests.get(f"{oidc_blog.url}/auth/me", headers={"Authorization": f"Bearer {kept['token']}"},
                        timeout=30).status_code == 401


def test_a_denied_sign_in_leaves_the_reader_signed_out_with_the_reason(oidc_blog: Blog, page: Page) -> None:
    slug = oidc_blog.new_post(f"Denied {next(_serial)}")
    offline(page).goto(oidc_blog.post_page(slug))
    page.get_by_role("button", name="Sign in by e-mail").click()
    page.get_by_role("button", name="Sign in with Mock ID").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()

    page.get_by_role("button", name="Deny").click()

    # The API answers the refusal (the provider's access_denied) and nobody is signed in
    expect(page.get_by_text("access_denied")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('blog-comments-session')") is None


def test_an_author_signs_in_to_the_console_with_a_provider(oidc_blog: Blog, page: Page) -> None:
    offline(page).goto(f"{oidc_blog.url}/admin/")

    # Given a first sign-in from the console, which makes a reader account
    page.get_by_role("button", name="Sign in with Mock ID").click()
    at_the_provider_choose(page, EDITOR[0])
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert "blog-oidc" not in page.url

    # When an admin makes that account an author, and it signs in again the same way
    oidc_blog.as_admin("PUT", "/users/oidc.editor/role", {"role": "author"})
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in with Mock ID").click()
    at_the_provider_choose(page, EDITOR[0])

    # Then the console is theirs, as an author
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="New post")).to_be_visible()
    token = page.evaluate("() => sessionStorage.getItem('blog-console-token')")
    me = requests.get(f"{oidc_blog.url}/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.json()["user"]["username"] == "oidc.editor" and me.json()["user"]["role"] == "author"
