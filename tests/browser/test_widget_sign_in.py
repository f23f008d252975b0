"""Signing in from the widget by a mailed link, and subscribing to a thread from its form, in Chromium against
`make run`'s stack: the mail is the one its own stream handler sent, opened from its outbox."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.test_mailed_links import open_from_outbox
from tests.browser.widget_steps import comment_item, comment_on
from tests.http.test_local_mail import mail_to

_serial = itertools.count(1)
SIGN_IN_SUBJECT = "Your link to sign in"
# A digest waits out its window (at least 60 s) and the schedule's grace (60 s); the stack's chore runs every 30 s.
DIGEST_SECONDS = 240


@pytest.fixture(scope="module")
def reader_blog(start_blog: Callable[..., Blog]) -> Blog:
    """A stack of its own: its outbox and stream hold only this module's mail (the shared stack's stream may
    still be mailing earlier tests' comments), and digests close after a minute."""
    return start_blog(SUBSCRIPTION_DIGEST_SECONDS="60", COMMENT_RATE_LIMIT="100000/60")


def session_kept(page: Page) -> Any:
    """What the widget keeps of the reader's sign-in: in sessionStorage, and never in localStorage."""
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => /session|token/i.test(k))") == []
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('blog-comments-session'))")


def ask_for_a_link(page: Page, email: str, scan: bool = False) -> None:
    page.get_by_role("button", name="Sign in by e-mail").click()
    if scan:
        assert_accessible(page, ".bc")
    page.get_by_label("Your e-mail").fill(email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()


def follow_the_link(page: Page, blog: Blog, email: str) -> None:
    mail_to(blog.stack, email, lambda m: m["subject"] == SIGN_IN_SUBJECT)
    open_from_outbox(page, blog, email, "sign in", "/auth/email-link/confirm?")
    expect(page.get_by_role("heading", name="Sign in to comment")).to_be_visible()
    page.get_by_role("link", name="Continue and sign in").click()


def test_a_reader_signs_in_by_mail_comments_verified_and_signs_out(reader_blog: Blog, page: Page) -> None:
    n = next(_serial)
    email, name = f"mailed-{n}@example.com", f"mailed_reader_{n}"
    slug = reader_blog.new_post(f"Sign in from the widget {n}")
    page.goto(reader_blog.post_page(slug))

    # Given a reader who asks for a link and follows it from the mail
    ask_for_a_link(page, email, scan=True)
    follow_the_link(page, reader_blog, email)

    # Then, back on the post, the widget asks the new reader for a name, and signs them in with it
    page.get_by_label("Choose the name your comments will carry").fill(name)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {name}").first).to_be_visible()
    assert "blog-signin" not in page.url  # the token left the address bar (and the history entry)
    kept = session_kept(page)
    assert kept["username"] == name and kept["email"] == email
    assert requests.get(f"{reader_blog.url}/auth/me", headers={"Authorization": f"Bearer {kept['token']}"},
                        timeout=30).status_code == 200
    # And the comment form asks for no name or address
    expect(page.locator("form.bc-form").get_by_label("Name")).to_be_hidden()

    # When they comment, and ask for new comments by mail without typing their address
    page.locator("form.bc-form").get_by_label("Follow this discussion by e-mail").check()
    comment_on(page, "Signed in, with a name nobody else can use.")

    # Then the comment carries their name and the verified mark, and the confirmation goes to their address
    mine = comment_item(page, "Signed in, with a name nobody else can use.")
    expect(mine.locator(".bc-author")).to_have_text(name)
    expect(mine.locator(".bc-verified")).to_have_text("✓ verified")
    assert mail_to(reader_blog.stack, email, lambda m: "/subscriptions/confirm?" in m["text"])
    expect(page.get_by_text(f"confirm with the link we sent to {email}")).to_be_visible()
    # An anonymous comment under the same name is not marked
    reader_blog.comment(slug, "Typed by anyone.", author_name=name)
    page.reload()
    expect(comment_item(page, "Typed by anyone.").locator(".bc-verified")).to_have_count(0)
    expect(comment_item(page, "Signed in, with a name nobody else can use.").locator(".bc-verified")).to_have_count(1)
    assert_accessible(page, ".bc")  # the account line, the mark and the form, as a signed-in reader sees them

    # When they sign out
    page.get_by_role("button", name="Sign out").click()

    # Then the widget forgets the token, the server refuses it, and the form asks for a name again
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert session_kept(page) is None
    assert requests.get(f"{reader_blog.url}/auth/me", headers={"Authorization": f"Bearer {kept['token']}"},
                        timeout=30).status_code == 401
    expect(page.locator("form.bc-form").get_by_label("Name")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in by e-mail")).to_be_visible()


def test_a_used_link_signs_nobody_in_again(reader_blog: Blog, open_reader: Callable[[], Page]) -> None:
    n = next(_serial)
    email = f"twice-{n}@example.com"
    slug = reader_blog.new_post(f"One use {n}")
    reader = open_reader()
    reader.goto(reader_blog.post_page(slug))
    ask_for_a_link(reader, email)
    follow_the_link(reader, reader_blog, email)
    reader.get_by_label("Choose the name your comments will carry").fill(f"twice_{n}")
    reader.get_by_role("button", name="Sign in", exact=True).click()
    expect(reader.get_by_text(f"Signed in as twice_{n}").first).to_be_visible()

    # When someone else opens the same mail's link in another browser
    other = open_reader()
    other.goto(f"{reader_blog.url}/local/outbox")
    href = other.locator(f"article[data-to='{email}']").locator("a[href*='/auth/email-link/confirm?']").first \
        .get_attribute("href")
    assert href is not None
    reply = requests.get(href, timeout=30)

    # Then the link's page refuses it, and the blog's page with its token signs nobody in
    assert reply.status_code == 403, reply.text
    token = href.split("token=", 1)[1]
    other.goto(f"{reader_blog.post_page(slug)}#blog-signin={token}")
    expect(other.get_by_text("no longer works")).to_be_visible()
    assert session_kept(other) is None
    expect(other.get_by_role("button", name="Sign in by e-mail")).to_be_visible()


def test_a_reader_subscribes_from_the_form_confirms_by_mail_and_gets_a_digest(reader_blog: Blog, page: Page) -> None:
    slug = reader_blog.new_post("Digests for a subscriber")
    page.goto(reader_blog.post_page(slug))

    # Given an anonymous reader who comments and ticks "Follow this discussion by e-mail"
    form = page.locator("form.bc-form")
    form.get_by_role("textbox", name="Email").fill("follower@example.com")
    form.get_by_label("Follow this discussion by e-mail").check()
    comment_on(page, "Keep me posted.", name="Fay")
    expect(page.get_by_text("confirm with the link we sent to follower@example.com")).to_be_visible()

    # When they confirm from the mail
    mail_to(reader_blog.stack, "follower@example.com", lambda m: "/subscriptions/confirm?" in m["text"])
    open_from_outbox(page, reader_blog, "follower@example.com", "Digests for a subscriber", "/subscriptions/confirm?")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()

    # And someone else comments
    reader_blog.comment(slug, "A reply from someone else.", author_name="Gus")

    # Then the digest brings that comment, and not the subscriber's own
    digest = mail_to(reader_blog.stack, "follower@example.com", lambda m: "A reply from someone else." in m["text"],
                     seconds=DIGEST_SECONDS)
    assert "Keep me posted." not in digest["text"]
