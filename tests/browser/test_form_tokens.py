"""A comment form's token sends one comment: the widget takes a new one for the next, and shows a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item, comment_on


@pytest.fixture(scope="module")
def strict_blog(start_blog: Callable[..., Blog]) -> Blog:
    return start_blog(REQUIRE_FORM_TOKEN="true", COMMENT_RATE_LIMIT="100000/60")


def test_two_comments_from_one_form_each_send_a_token_of_their_own(strict_blog: Blog, page: Page) -> None:
    slug = strict_blog.new_post("Two in a row")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data or "{}").get("form_token", ""))
            if r.method == "POST" and r.url.endswith(f"/posts/{slug}/comments") else None)
    page.goto(strict_blog.post_page(slug))

    comment_on(page, "The first of two.", name="Ada")
    expect(comment_item(page, "The first of two.")).to_be_visible()
    comment_on(page, "And the second.")
    expect(comment_item(page, "And the second.")).to_be_visible()

    expect(page.locator(".bc-count")).to_have_text("2 comments")
    assert len(sent) == 2 and sent[0] != sent[1] and all(sent), sent  # no send was refused and sent again


def test_a_spent_token_is_renewed_once_and_a_refusal_after_that_is_shown(strict_blog: Blog, page: Page) -> None:
    # Given a form whose every token was spent already (say, by a comment from another tab)
    slug = strict_blog.new_post("Spent tokens")
    token = requests.get(f"{strict_blog.url}/posts/{slug}/comment-form", timeout=10).json()["form_token"]
    other_tab = requests.post(f"{strict_blog.url}/posts/{slug}/comments", timeout=10,
                              json={"body": "From another tab.", "author_name": "Tab", "form_token": token})
    assert other_tab.status_code == 201, other_tab.text

    def spent_form(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "form_token": token})

    page.route(f"{strict_blog.url}/posts/{slug}/comment-form", spent_form)
    page.goto(strict_blog.post_page(slug))

    # When the reader sends a comment: refused, renewed (spent again), refused
    comment_on(page, "Sent with a spent token.", name="Ada")

    # Then the server's reason is shown, and nothing was posted
    expect(page.locator("form.bc-form [role=alert]")).to_contain_text("already used")
    expect(comment_item(page, "Sent with a spent token.")).to_have_count(0)
    expect(comment_item(page, "From another tab.")).to_be_visible()
