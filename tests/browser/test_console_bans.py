"""Bans in Chromium: an admin bans a commenter from the console's queue and the widget shows the refusal;
a shadow-banned commenter still sees their comment, while another browser does not.

Every browser here shares one loopback address, so the bans are by e-mail (an address ban would shut out
every test's reader).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.conftest import Blog, api_get
from tests.browser.console_steps import as_user, new_account, queue_item, sign_in, token_of
from tests.browser.widget_steps import comment_item


@pytest.fixture(scope="module")
def held_blog(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(MODERATION="all", COMMENT_RATE_LIMIT="100000/60")


def comment_as(page: Page, body: str, name: str, email: str) -> None:
    form = page.locator("form.bc-form")
    form.get_by_label("Comment").fill(body)
    form.get_by_label("Name").fill(name)
    form.get_by_role("textbox", name="Email").fill(email)
    form.get_by_role("button", name="Publish").click()


def test_a_commenter_banned_from_the_queue_is_refused_in_the_widget_until_the_ban_is_lifted(
        held_blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = held_blog.new_post("Banned from the queue")
    reader, admin = open_reader(), open_reader()
    reader.goto(held_blog.post_page(slug))
    comment_as(reader, "Everyone here is an idiot.", "Troll", "troll@example.com")
    expect(reader.get_by_text("Your comment is awaiting moderation.")).to_be_visible()

    # When the admin bans its author's e-mail from the queue, for a week, with a reason
    sign_in(admin, held_blog, LOCAL_ADMIN, "#queue")
    held = queue_item(admin, "Everyone here is an idiot.")
    held.get_by_role("button", name="Ban…").click()
    form = held.get_by_role("form", name="Ban this comment's author (Troll)")
    form.get_by_label("their e-mail").check()
    form.get_by_label("Days (empty: until lifted)").fill("7")
    form.get_by_label("Reason (for moderators; never shown to them)").fill("insults")
    form.get_by_role("button", name="Ban", exact=True).click()
    expect(held.get_by_role("status")).to_have_text("Banned this comment's author (Troll): their e-mail.")

    # Then the commenter's next comment is refused, with the server's message in the widget
    comment_as(reader, "You cannot stop me.", "Troll", "troll@example.com")
    expect(reader.locator("form.bc-form [role=alert]").first).to_contain_text(
        "You are banned from commenting on this blog until")
    expect(reader.locator("form.bc-form")).not_to_contain_text("insults")

    # When the admin lifts the ban from the Bans page
    admin.goto(f"{held_blog.url}/admin/#bans")
    row = admin.locator("tbody tr").filter(has_text="insults")
    expect(row).to_contain_text("email:")
    row.get_by_role("button", name="Lift").click()
    expect(row).to_have_count(0)

    # Then they may comment again (held, as every comment is here)
    comment_as(reader, "Sorry about that.", "Troll", "troll@example.com")
    expect(reader.get_by_text("Your comment is awaiting moderation.")).to_be_visible()
    trail = held_blog.as_admin("GET", "/moderation/audit")["items"]
    assert [e["action"] for e in trail[:2]] == ["lift-ban", "ban"]


def test_a_shadow_banned_commenter_sees_their_comment_and_nobody_else_does(
        blog: Blog, open_reader: Callable[[], Page]) -> None:
    slug = blog.new_post("Shadow-banned")
    first = blog.comment(slug, "Visit my shop, twice a day.", author_name="Seller",
                         author_email="seller@example.com")
    admin = open_reader()
    sign_in(admin, blog, LOCAL_ADMIN, "#recent")
    listed = queue_item(admin, "Visit my shop, twice a day.")
    listed.get_by_role("button", name="Ban…").click()
    form = listed.get_by_role("form", name="Ban this comment's author (Seller)")
    form.get_by_label("their e-mail").check()
    form.get_by_label("Shadow-ban: their comments shown to them alone").check()
    form.get_by_role("button", name="Ban", exact=True).click()
    expect(listed.get_by_role("status")).to_contain_text("Banned")
    count = api_get(blog, f"/posts/{slug}")["comment_count"]
    assert first["status"] == "approved" and count == 1

    # When the shadow-banned commenter writes again
    seller = open_reader()
    seller.goto(blog.post_page(slug))
    comment_as(seller, "Cheap watches at my shop.", "Seller", "seller@example.com")

    # Then they see it published, now and after a reload
    expect(seller.get_by_text("Your comment was published.")).to_be_visible()
    expect(comment_item(seller, "Cheap watches at my shop.")).to_have_count(1)
    seller.reload()
    expect(comment_item(seller, "Cheap watches at my shop.")).to_have_count(1)
    expect(comment_item(seller, "Cheap watches at my shop.")).not_to_contain_text("Awaiting moderation")

    # And another reader's browser shows the thread without it, and the count without it
    other = open_reader()
    other.goto(blog.post_page(slug))
    expect(comment_item(other, "Visit my shop, twice a day.")).to_have_count(1)
    expect(comment_item(other, "Cheap watches at my shop.")).to_have_count(0)
    assert api_get(blog, f"/posts/{slug}")["comment_count"] == 1


def test_an_account_banned_from_people_is_refused_and_listed_under_bans(blog: Blog, page: Page) -> None:
    reader = new_account(blog, role="reader")
    sign_in(page, blog, LOCAL_ADMIN, "#people")
    row = page.locator("tbody tr").filter(has_text=reader["username"])
    row.get_by_role("button", name="Ban…").click()
    form = row.get_by_role("form", name=f"Ban {reader['username']}")
    form.get_by_label("Reason (for moderators; never shown to them)").fill("sock puppet")
    form.get_by_role("button", name="Ban", exact=True).click()
    expect(row.get_by_role("status")).to_have_text(f"Banned {reader['username']}: their account.")

    refused = as_user(blog, token_of(blog, reader), "POST", f"/posts/{blog.new_post()}/comments", {"body": "Hi."})
    assert refused.status_code == 403 and "banned" in refused.json()["detail"]
    page.goto(f"{blog.url}/admin/#bans")
    expect(page.locator("tbody tr").filter(has_text="sock puppet")).to_contain_text(
        f"account: {reader['username'].lower()}")
