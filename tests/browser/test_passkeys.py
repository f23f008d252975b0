"""Passkeys in Chromium, with the DevTools protocol's virtual authenticator (a platform authenticator with
resident keys and user verification, which answers without a person): added from the console and from the
widget, used to sign in again after signing out, then to write.

WebAuthn wants a secure context and a relying party that is a domain name: the pages are opened on
http://localhost:PORT, which Chromium treats as secure, and `make run`'s RP ID is `localhost`.
"""

from __future__ import annotations

import itertools
from typing import Any

import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Blog
from tests.browser.console_steps import new_account, token_of
from tests.browser.widget_steps import comment_item, comment_on

_serial = itertools.count(1)


def on_localhost(blog: Blog) -> str:
    return blog.url.replace("127.0.0.1", "localhost")


def with_authenticator(page: Page) -> Any:
    """A virtual platform authenticator for this page, as a phone's or a laptop's would be."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return devtools, added["authenticatorId"]


def credentials(devtools: Any, authenticator: str) -> list[dict[str, Any]]:
    return list(devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])


def passkeys_of(blog: Blog, token: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{blog.url}/auth/passkeys", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["items"])


def test_an_author_adds_a_passkey_in_the_console_signs_out_signs_in_with_it_and_writes(blog: Blog,
                                                                                      page: Page) -> None:
    author = new_account(blog)
    devtools, authenticator = with_authenticator(page)

    # Given an author signed in to the console with their password, on the Account page
    page.goto(f"{on_localhost(blog)}/admin/#account")
    page.get_by_label("E-mail").fill(author["email"])
    page.get_by_label("Password").fill(author["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
    expect(page.get_by_text("No passkey yet.")).to_be_visible()

    # When they add a passkey
    page.get_by_label("Name of a new passkey").fill("Test laptop")
    page.get_by_role("button", name="Add a passkey").click()

    # Then the authenticator holds it, and the list shows it
    expect(page.get_by_text("Passkey added: sign in with it next time.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove the passkey Test laptop")).to_be_visible()
    held = credentials(devtools, authenticator)
    assert len(held) == 1 and held[0]["isResidentCredential"] and held[0]["rpId"] == "localhost"

    # When they sign out, then sign in with the passkey, no e-mail or password typed
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Sign in with a passkey").click()

    # Then they are signed in as themselves, and can write
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    token = page.evaluate("() => sessionStorage.getItem('blog-console-token')")
    assert requests.get(f"{blog.url}/auth/me", headers={"Authorization": f"Bearer {token}"},
                        timeout=30).json()["user"]["username"] == author["username"]
    title = f"Written after a passkey sign-in {next(_serial)}"
    page.goto(f"{on_localhost(blog)}/admin/#new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body (Markdown)").fill("Signed in with a passkey.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved (")).to_be_visible()
    assert passkeys_of(blog, token)[0]["last_used_at"]


def test_a_removed_passkey_signs_nobody_in(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    with_authenticator(page)
    page.goto(f"{on_localhost(blog)}/admin/#account")
    page.get_by_label("E-mail").fill(author["email"])
    page.get_by_label("Password").fill(author["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey added: sign in with it next time.")).to_be_visible()

    # When they remove it, and sign out
    page.get_by_role("button", name="Remove the passkey Passkey").click()
    expect(page.get_by_text("No passkey yet.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Then the authenticator still offers it, and the API refuses it
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("not registered here")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_reader_adds_a_passkey_from_the_widget_signs_out_signs_in_with_it_and_comments(blog: Blog,
                                                                                        page: Page) -> None:
    reader = new_account(blog, "reader")
    slug = blog.new_post(f"Passkeys from the widget {next(_serial)}")
    devtools, authenticator = with_authenticator(page)

    # Given a reader signed in in the widget (as a mailed link leaves it: the session in sessionStorage)
    page.goto(f"{on_localhost(blog)}/demo/posts/{slug}")
    session = {"token": token_of(blog, reader), "username": reader["username"], "email": reader["email"]}
    page.evaluate("(s) => sessionStorage.setItem('blog-comments-session', JSON.stringify(s))", session)
    page.reload()
    expect(page.get_by_text(f"Signed in as {reader['username']}")).to_be_visible()

    # When they add a passkey from the account line
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey added")).to_be_visible()
    assert len(credentials(devtools, authenticator)) == 1
    assert [p["name"] for p in passkeys_of(blog, session["token"])] != []

    # And sign out, then sign in with the passkey
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.get_by_role("button", name="Sign in by e-mail").click()
    page.get_by_role("button", name="Sign in with a passkey").click()

    # Then they are signed in again, and their comment carries their name and the verified mark
    expect(page.get_by_text(f"Signed in as {reader['username']}").first).to_be_visible()
    comment_on(page, "Signed in with a passkey, from the widget.")
    mine = comment_item(page, "Signed in with a passkey, from the widget.")
    expect(mine.locator(".bc-author")).to_have_text(reader["username"])
    expect(mine.locator(".bc-verified")).to_have_text("✓ verified")
    kept = page.evaluate("() => JSON.parse(sessionStorage.getItem('blog-comments-session'))")
    assert kept["token"] != session["token"] and kept["username"] == reader["username"]
