"""The console searches published posts (GET /search, the post list) and, for admins, every comment
(GET /moderation/comments/search, the moderation view), in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.conftest import Blog
from tests.browser.console_steps import new_account, sign_in
from tests.browser.test_demo_search import index_the_stack


def test_an_author_searches_published_posts_from_the_post_list(blog: Blog, page: Page) -> None:
    blog.new_post("Kingfisher sightings", body="A kingfisher <b>dived</b> twice.")
    blog.new_post("Kingfisher draft", body="Not yet.", status="draft")
    index_the_stack(blog)
    sign_in(page, blog, new_account(blog))

    page.get_by_role("searchbox", name="Search published posts").fill("kingfisher")
    page.get_by_role("button", name="Search").click()

    rows = page.locator("li.post-row")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link")).to_have_text("Kingfisher sightings")
    expect(rows.locator("mark").first).to_have_text("kingfisher")  # the snippet: "A kingfisher dived…"
    expect(rows.locator("b")).to_have_count(0)  # the post's markup is text in a snippet


def test_an_admin_finds_comments_from_the_moderation_view_and_pages_through_them(blog: Blog, page: Page) -> None:
    owls = blog.new_post("Owl notes")
    other = blog.new_post("Tax forms")
    # 22 comments with the word (more than one page of 20), one by a name, one elsewhere, one without it
    for n in range(21):
        blog.comment(owls, f"A barn owl, number {n}.", author_name=f"Watcher {n}")
    blog.comment(owls, "Owls <img src=x onerror=alert(1)> at dusk.", author_name="<b>Ivy</b>")
    blog.comment(other, "An owl on the tax form?", author_name="Clerk")
    blog.comment(owls, "Nothing about birds here.", author_name="Quiet")
    index_the_stack(blog)
    sign_in(page, blog, LOCAL_ADMIN, "#queue")

    # When the admin searches the comments from the moderation view
    page.get_by_role("searchbox", name="Search comments").fill("owls")
    page.get_by_role("button", name="Search comments").click()

    # Then the first 20, newest first, each with its author, post, status and the passage that matched
    found = page.locator("li.found")
    expect(found).to_have_count(20)
    expect(page.locator("#main p[role=status]")).to_have_text("20 comments found so far.")
    expect(found.first.locator(".author")).to_have_text("Clerk")  # the newest holding the word
    ivy = found.nth(1)
    expect(ivy.locator(".author")).to_have_text("<b>Ivy</b>")  # a name is text, never markup
    expect(ivy.locator("b")).to_have_count(0)
    expect(ivy.locator("img")).to_have_count(0)  # the comment's HTML is escaped in a snippet
    expect(ivy.locator("mark").first).to_have_text("Owls")
    expect(ivy.get_by_role("link", name=owls)).to_have_attribute("href", f"#thread/{owls}")
    expect(ivy.locator(".badge")).to_have_text("approved")
    assert "search?q=owls" in page.url  # the results have an address of their own

    # When they ask for more, the cursor brings the other three and no more
    page.get_by_role("button", name="More results").click()
    expect(found).to_have_count(23)
    expect(page.locator("#main p[role=status]")).to_have_text("23 comments found.")
    expect(page.get_by_role("button", name="More results")).to_have_count(0)
    expect(found.filter(has_text="Nothing about birds")).to_have_count(0)

    # When they narrow it to one post, the other post's comment goes
    page.get_by_label("Post (slug)").fill(other)
    page.get_by_role("button", name="Search comments").click()
    expect(found).to_have_count(1)
    expect(found.first.locator(".author")).to_have_text("Clerk")

    # And "Open the comment" shows that comment whole, above its thread's tools
    found.first.get_by_role("link", name="Open the comment by Clerk in its thread").click()
    asked = page.locator("section.asked")
    expect(asked).to_contain_text("An owl on the tax form?")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thread of “Tax forms”")


def test_a_refused_search_says_why_and_an_author_has_no_comment_search(blog: Blog, page: Page) -> None:
    sign_in(page, blog, LOCAL_ADMIN, "#search?q=the")

    # Only the commonest words: the API's problem is shown, nothing is listed
    expect(page.get_by_role("alert")).to_contain_text("q: has no words to search for")
    expect(page.locator("li.found")).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Search comments")).to_have_value("the")

    # An author's moderation view has no comment search, and its address leads to the post list
    author = new_account(blog)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, blog, author, "#queue")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Held for moderation")
    expect(page.get_by_role("searchbox", name="Search comments")).to_have_count(0)
    page.goto(f"{blog.url}/admin/#search?q=owls")
    expect(page.get_by_role("searchbox", name="Search published posts")).to_be_visible()
