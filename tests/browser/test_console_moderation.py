"""An admin moderates in the console, on a blog that holds every comment (MODERATION=all):
the queue, approve / spam / delete one at a time, in bulk and from the keyboard, the audit
trail by post, people and their roles, an author's held-comment mail, and hostile comments shown as text."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Dialog, Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.conftest import Blog
from tests.browser.console_steps import as_user, new_account, queue_item, sign_in, token_of
from tests.browser.test_hostile_comments import HOSTILE_NAME, PAYLOADS, TRAP
from tests.browser.widget_steps import comment_item, comment_on


@pytest.fixture(scope="module")
def held_blog(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(MODERATION="all", COMMENT_RATE_LIMIT="100000/60")


def status_of(blog: Blog, comment_id: str) -> str:
    """Where the comment stands now, as the admin reads it (404: gone)."""
    reply = requests.get(f"{blog.url}/comments/{comment_id}", timeout=30,
                         headers={"Authorization": f"Bearer {blog.admin_token}"})
    return str(reply.json()["status"]) if reply.ok else str(reply.status_code)


def test_a_comment_posted_through_the_widget_waits_in_the_queue_until_approved(
        held_blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = held_blog.new_post("Held for review")
    reader, admin = open_reader(), open_reader()
    reader.goto(held_blog.post_page(slug))
    comment_on(reader, "A thoughtful remark, from the widget.", name="Rita")
    expect(reader.get_by_text("Your comment is awaiting moderation.")).to_be_visible()

    # When the admin opens the queue
    sign_in(admin, held_blog, LOCAL_ADMIN, "#queue")
    held = queue_item(admin, "A thoughtful remark, from the widget.")
    # Then the comment is there with its post, author and why it was held
    expect(held).to_contain_text("Rita")
    expect(held).to_contain_text(slug)
    expect(held.locator(".why")).to_have_text("Held: every comment waits for approval (MODERATION=all)")

    # When they approve it
    held.get_by_role("button", name="Approve").click()
    expect(held).to_have_count(0)

    # Then every reader sees it on the post (another reader: the author saw it held all along)
    other = open_reader()
    other.goto(held_blog.post_page(slug))
    expect(comment_item(other, "A thoughtful remark, from the widget.")).to_have_count(1)


def test_three_comments_marked_as_spam_at_once_show_in_the_posts_audit_trail(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Spammed")
    ids = [held_blog.comment(slug, f"Cheap pills, offer {n}.")["id"] for n in range(3)]
    sign_in(page, held_blog, LOCAL_ADMIN, "#queue")

    for n in range(3):
        queue_item(page, f"Cheap pills, offer {n}.").get_by_role("checkbox").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_role("button", name="Spam selected").click()
    expect(page.locator("#live")).to_contain_text("Marked as spam 3 comments.")

    assert [status_of(held_blog, i) for i in ids] == ["spam"] * 3
    page.goto(f"{held_blog.url}/admin/#audit?post={quote(slug)}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    for row in rows.all():
        expect(row).to_contain_text("spam")
        expect(row).to_contain_text(slug)


def test_moderation_works_from_the_keyboard_alone_and_is_announced(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Keyboard moderation")
    keep = held_blog.comment(slug, "Worth keeping.")["id"]
    drop = held_blog.comment(slug, "Worth dropping.")["id"]  # the newest: first in the queue
    sign_in(page, held_blog, LOCAL_ADMIN, "#queue")
    expect(queue_item(page, "Worth dropping.")).to_be_visible()

    # j moves to the first comment, x selects it, d deletes the selection
    page.keyboard.press("j")
    expect(queue_item(page, "Worth dropping.")).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator("#live")).to_have_text("Selected.")
    page.keyboard.press("d")
    expect(page.locator("#live")).to_contain_text("Deleted 1 comment.")
    # and the next one takes its place, where a approves it
    expect(queue_item(page, "Worth keeping.")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator("#live")).to_contain_text("Approved 1 comment.")

    assert status_of(held_blog, keep) == "approved"
    assert status_of(held_blog, drop) == "404"


def test_recent_comments_can_be_cleaned_up_after_the_fact(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Cleaned up later")
    comment_id = held_blog.comment(slug, "Looked fine at first.")["id"]
    held_blog.as_admin("POST", f"/comments/{comment_id}/moderate", {"action": "approve"})
    sign_in(page, held_blog, LOCAL_ADMIN, "#recent")

    queue_item(page, "Looked fine at first.").get_by_role("button", name="Spam").click()

    expect(queue_item(page, "Looked fine at first.")).to_have_count(0)
    assert status_of(held_blog, comment_id) == "spam"


def test_a_demoted_author_loses_the_editor(held_blog: Blog, open_reader: Callable[[], Page]) -> None:
    author = new_account(held_blog)
    writer, admin = open_reader(), open_reader()
    sign_in(writer, held_blog, author)
    expect(writer.get_by_role("link", name="New post")).to_be_visible()

    # When an admin makes the author a reader on the People page
    sign_in(admin, held_blog, LOCAL_ADMIN, "#people")
    admin.get_by_role("button", name=f"Make {author['username']} a reader").click()
    expect(admin.get_by_role("button", name=f"Make {author['username']} an author")).to_be_visible()

    # Then the author's console, opened again, asks them to sign in again, and then has nothing for them
    writer.reload()
    expect(writer.get_by_text("Your session has ended.")).to_be_visible()
    writer.get_by_label("E-mail").fill(author["email"])
    writer.get_by_label("Password").fill(author["password"])
    writer.get_by_role("button", name="Sign in", exact=True).click()
    expect(writer.get_by_role("heading", name="Nothing to do here")).to_be_visible()
    expect(writer.get_by_role("link", name="New post")).to_have_count(0)
    expect(writer.get_by_label("Body (Markdown)")).to_have_count(0)


def test_an_author_asks_to_be_mailed_about_held_comments_on_their_posts(held_blog: Blog, page: Page) -> None:
    author = new_account(held_blog)
    sign_in(page, held_blog, author, "#account")
    choice = page.get_by_label("E-mail me when a comment on one of my posts waits for moderation", exact=False)
    expect(choice).not_to_be_checked()

    choice.check()

    expect(page.get_by_text("You will be e-mailed about held comments on your posts.")).to_be_attached()
    me = as_user(held_blog, token_of(held_blog, author), "GET", "/auth/me").json()["user"]
    assert me["mail_held_comments"] is True
    page.reload()
    expect(page.get_by_label("E-mail me when a comment", exact=False)).to_be_checked()


def test_hostile_comments_show_as_text_in_the_queue_and_nothing_they_carry_runs(held_blog: Blog, page: Page) -> None:
    slug = held_blog.new_post("Hostile queue")
    for payload in PAYLOADS:
        held_blog.comment(slug, payload, author_name=HOSTILE_NAME)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(TRAP)
    sign_in(page, held_blog, LOCAL_ADMIN, "#queue")

    for payload in PAYLOADS:
        shown = queue_item(page, payload)
        expect(shown).to_have_count(1)
        expect(shown.locator(".rendered")).to_have_text(payload)
        expect(shown.locator(".author")).to_have_text(HOSTILE_NAME)
    dangerous = page.evaluate("""() => [...document.querySelectorAll('#main *')].filter((el) =>
        ['SCRIPT', 'IFRAME', 'SVG', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())
        || [...el.attributes].some((a) => a.name.startsWith('on')
            || /^\\s*javascript:/i.test(a.value))).map((el) => el.outerHTML)""")
    assert dangerous == []
    for body in page.locator(".rendered").all():
        body.hover()
        body.click()
    for link in page.locator(".rendered a").all():
        link.click(modifiers=["Control"])
    assert page.evaluate("window.__fired") == []
    assert dialogs == []
