"""An author writes in the admin console: sign in, Markdown with the server's preview, scheduling in
the browser's time zone, the 412 flow when someone else saved meanwhile, and a session that ends
without losing the text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Blog
from tests.browser.console_steps import as_user, new_account, sign_in, token_of

ZONE = "Asia/Kolkata"  # +05:30: a time zone whose offset is not whole hours


def test_the_first_screen_needs_at_most_three_api_requests(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    sign_in(page, blog, author)
    expect(page.get_by_role("heading", name="Your posts")).to_be_visible()
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if r.resource_type == "fetch" else None)

    # When the signed-in author opens the console again (a reload: the token is in sessionStorage)
    page.reload()
    expect(page.get_by_role("heading", name="Your posts")).to_be_visible()
    expect(page.get_by_text("No posts here.")).to_be_visible()

    # Then who they are and their posts took at most three requests
    assert 1 <= len(api_calls) <= 3, api_calls


def test_a_reader_is_told_there_is_nothing_to_do_here(blog: Blog, page: Page) -> None:
    sign_in(page, blog, new_account(blog, "reader"))

    expect(page.get_by_role("heading", name="Nothing to do here")).to_be_visible()
    expect(page.get_by_role("link", name="New post")).to_have_count(0)


def test_an_author_writes_markdown_sees_the_preview_and_schedules_the_post(blog: Blog, browser: Browser) -> None:
    context = browser.new_context(locale="en-US", timezone_id=ZONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    author = new_account(blog)
    sign_in(page, blog, author)

    # When the author writes a post in Markdown
    page.get_by_role("link", name="New post").click()
    title = f"Scheduled from the console {author['username']}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body (Markdown)").fill("Hello, **bold** world.\n\n<script>alert(1)</script>")
    # Then the server's preview renders it, with the script as text
    preview = page.locator(".preview")
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.locator("script")).to_have_count(0)

    # When they schedule it 20 seconds ahead, in their own time zone
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    page.get_by_label("Schedule").check()
    page.get_by_label("Publish at").fill(due.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_label("Labels").fill("console, tests")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved (scheduled")).to_be_visible()

    # Then the API holds it scheduled at that moment in UTC
    slug = page.evaluate("decodeURIComponent(location.hash.slice('#edit/'.length))")
    stored = as_user(blog, token_of(blog, author), "GET", f"/posts/{slug}").json()
    assert stored["status"] == "scheduled"
    assert stored["published_at"] == due.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert stored["labels"] == ["console", "tests"]
    # And the blog does not show it before its time
    reader = context.new_page()
    reader.goto(f"{blog.url}/demo/")
    expect(reader.locator("#main")).not_to_contain_text(title)

    # And at its time the demo blog lists it: the stack's clock is the real one, so the page is
    # reloaded until then (no sleep; each reload is a fresh read of the list)
    for _ in range(120):
        reader.reload()
        reader.wait_for_load_state("networkidle")
        if title in (reader.locator("#main").text_content() or ""):
            break
    expect(reader.locator("#main")).to_contain_text(title)
    context.close()


def test_a_conflicting_save_says_so_and_keeps_the_authors_text(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    token = token_of(blog, author)
    made = as_user(blog, token, "POST", "/posts", {"title": "Two editors", "body": "The first words."}).json()
    sign_in(page, blog, author, f"#edit/{made['slug']}")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("The first words.")

    # Given someone else saves the post meanwhile
    other = as_user(blog, token, "PATCH", f"/posts/{made['slug']}", {"body": "Their words."})
    assert other.status_code == 200

    # When the author saves their own change
    page.get_by_label("Body (Markdown)").fill("My words.")
    page.get_by_role("button", name="Save").click()

    # Then the editor says so and keeps their text
    expect(page.get_by_text("Someone else changed this post since you opened it.")).to_be_visible()
    expect(page.get_by_label("Body (Markdown)")).to_have_value("My words.")
    assert as_user(blog, token, "GET", f"/posts/{made['slug']}").json()["body"] == "Their words."

    # When they choose to keep their text
    page.get_by_role("button", name="Keep my text and save over theirs").click()
    expect(page.get_by_text("Saved (published)")).to_be_visible()
    assert as_user(blog, token, "GET", f"/posts/{made['slug']}").json()["body"] == "My words."


def test_loading_their_version_after_a_conflict_shows_it(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    token = token_of(blog, author)
    made = as_user(blog, token, "POST", "/posts", {"title": "Theirs wins", "body": "Before."}).json()
    sign_in(page, blog, author, f"#edit/{made['slug']}")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Before.")
    as_user(blog, token, "PATCH", f"/posts/{made['slug']}", {"body": "After, by someone else."})

    page.get_by_label("Body (Markdown)").fill("Mine.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Load their version").click()

    expect(page.get_by_label("Body (Markdown)")).to_have_value("After, by someone else.")


def test_a_revoked_session_returns_to_sign_in_and_the_text_is_offered_back(blog: Blog, page: Page) -> None:
    author = new_account(blog)
    sign_in(page, blog, author)
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Half written")
    page.get_by_label("Body (Markdown)").fill("A paragraph I must not lose.")
    # (the live preview has asked the API already: otherwise its 401 could end the session before Save does)
    expect(page.locator(".preview")).to_contain_text("A paragraph I must not lose.")

    # Given the author's tokens are revoked meanwhile (signed out everywhere from elsewhere)
    assert as_user(blog, token_of(blog, author), "POST", "/auth/sign-out-everywhere").status_code == 204

    # When they save, they are asked to sign in again
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your session has ended.")).to_be_visible()
    page.get_by_label("E-mail").fill(author["email"])
    page.get_by_label("Password").fill(author["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Then the editor offers the unsaved text back
    page.get_by_role("button", name="Restore it").click()
    expect(page.get_by_label("Title")).to_have_value("Half written")
    expect(page.get_by_label("Body (Markdown)")).to_have_value("A paragraph I must not lose.")


def test_a_shared_browser_never_offers_one_authors_draft_to_the_next(blog: Blog, page: Page) -> None:
    # Given an author who leaves unsaved text and signs out
    first, second = new_account(blog), new_account(blog)
    sign_in(page, blog, first)
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Private thoughts")
    page.get_by_label("Body (Markdown)").fill("Not for the next person at this desk.")
    kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('blog-console-draft:'))")
    assert kept == [f"blog-console-draft:{first['username']}:new"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    # When the next author signs in on the same browser and starts a post
    sign_in(page, blog, second)
    page.get_by_role("link", name="New post").click()

    # Then nothing of the first author's is offered, or kept
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_role("button", name="Restore it")).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('blog-console-draft:'))") == []


def test_delete_asks_in_the_page_and_nothing_happens_until_confirmed(blog: Blog, page: Page,
                                                                    open_reader: Callable[[], Page]) -> None:
    author = new_account(blog)
    token = token_of(blog, author)
    made = as_user(blog, token, "POST", "/posts", {"title": "Short-lived", "body": "Soon gone."}).json()
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    sign_in(page, blog, author, f"#edit/{made['slug']}")

    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Keep it").click()
    assert as_user(blog, token, "GET", f"/posts/{made['slug']}").status_code == 200

    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_role("heading", name="Your posts")).to_be_visible()
    assert as_user(blog, token, "GET", f"/posts/{made['slug']}").status_code == 404
    assert dialogs == []
