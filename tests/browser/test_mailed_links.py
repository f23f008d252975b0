"""Mailed links, opened from `make run`'s outbox in Chromium, do their job: approve a held comment, confirm an
address, unsubscribe, download one's comments, choose a new password. The mail was sent by the stack's own
stream handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.conftest import Blog
from tests.browser.console_steps import as_user, new_account, sign_in, token_of
from tests.browser.widget_steps import comment_item
from tests.http.test_local_mail import mail_to


@pytest.fixture(scope="module")
def held_blog(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(MODERATION="all", COMMENT_RATE_LIMIT="100000/60")


def open_from_outbox(page: Page, blog: Blog, address: str, text: str, link: str) -> None:
    """Open the outbox, find the newest message to ``address`` that says ``text``, and follow its link ``link``."""
    page.goto(f"{blog.url}/local/outbox")
    message = page.locator(f"article[data-to='{address}']").filter(has_text=text).first
    target = message.locator(f"a[href*='{link}']").first
    href = target.get_attribute("href")
    assert href is not None and href.startswith(blog.url + "/"), href  # on the API itself, not the blog
    target.click()


def approve_held(blog: Blog, comment: dict[str, Any]) -> None:
    blog.as_admin("POST", f"/comments/{comment['id']}/moderate", {"action": "approve"})


def test_an_admin_approves_a_held_comment_from_the_mail(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Held, then approved by mail")
    held = held_blog.comment(slug, "Please let this one through.", author_name="Hana")
    mail_to(held_blog.stack, LOCAL_ADMIN["email"], lambda m: "Please let this one through." in m["text"])

    open_from_outbox(page, held_blog, LOCAL_ADMIN["email"], "Please let this one through.", ".approve.")
    expect(page.get_by_role("heading", name="Approve this comment?")).to_be_visible()
    expect(page.get_by_text("now pending")).to_be_visible()  # opening the link changed nothing
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_text("The comment is now approved.")).to_be_visible()
    page.goto(held_blog.post_page(slug))
    expect(comment_item(page, "Please let this one through.")).to_have_count(1)
    assert held["status"] == "pending"


def test_a_commenter_confirms_their_address_from_the_mail(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Replies wanted")
    held = held_blog.comment(slug, "Tell me when someone answers.", author_name="Cleo",
                             author_email="cleo@example.com", notify_replies=True)
    approve_held(held_blog, held)  # once visible, the commenter is asked to confirm the address
    mail_to(held_blog.stack, "cleo@example.com")

    open_from_outbox(page, held_blog, "cleo@example.com", "Replies wanted", "/email/confirm?")
    expect(page.get_by_role("heading", name="Confirm your e-mail address?")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your address is confirmed")).to_be_visible()


def test_a_reader_unsubscribes_from_the_mail(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Someone unsubscribes")
    approve_held(held_blog, held_blog.comment(slug, "Never mind.", author_name="Ugo",
                                              author_email="ugo@example.com", notify_replies=True))
    mail_to(held_blog.stack, "ugo@example.com")

    open_from_outbox(page, held_blog, "ugo@example.com", "Someone unsubscribes", "/unsubscribe?")
    expect(page.get_by_role("heading", name="Unsubscribe from this blog's e-mail?")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()


def test_a_commenter_downloads_their_comments_from_the_mail(held_blog: Blog, page: Page, tmp_path: Path) -> None:
    slug = held_blog.new_post("Whose words")
    approve_held(held_blog, held_blog.comment(slug, "My own words.", author_name="Dora",
                                              author_email="dora@example.com"))
    asked = requests.post(f"{held_blog.url}/data-requests", json={"email": "dora@example.com", "action": "export"},
                          timeout=30)
    assert asked.status_code == 202, asked.text
    mail_to(held_blog.stack, "dora@example.com", lambda m: m["subject"] == "Your comments on this blog")

    open_from_outbox(page, held_blog, "dora@example.com", "download the comments", "/data-requests/confirm?")
    expect(page.get_by_role("heading", name="Download your comments?")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()

    saved = tmp_path / "comments.json"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "comments.json"
    assert [c["body"] for c in json.loads(saved.read_text())["comments"]] == ["My own words."]


def test_an_author_who_forgot_their_password_chooses_a_new_one_from_the_mail(held_blog: Blog, page: Page) -> None:
    # Given an author signed in elsewhere, who has forgotten the password
    author = new_account(held_blog)
    elsewhere = token_of(held_blog, author)
    page.goto(f"{held_blog.url}/admin/")
    page.get_by_label("E-mail").fill(author["email"])

    # When they ask the console's sign-in form for a link, and choose a new password on the mailed page
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_text("a link to choose a new password is on its way")).to_be_visible()
    mail_to(held_blog.stack, author["email"], lambda m: "/auth/password-reset/confirm?" in m["text"])
    open_from_outbox(page, held_blog, author["email"], "", "/auth/password-reset/confirm?")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    link = page.url
    page.get_by_label("New password").fill("a brand new console passphrase")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()

    # Then they sign in with it, the old password and the other session are over, and the link works once
    sign_in(page, held_blog, {**author, "password": "a brand new console passphrase"})
    old = {"email": author["email"], "password": author["password"]}
    assert held_blog.stack.post("/auth/login", old).status_code == 401
    assert as_user(held_blog, elsewhere, "GET", "/auth/me").status_code == 401
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_have_count(0)
