"""The console's Costs page, in Chromium, against `make run`'s stack.

The stack tees its log through devtools/emf.py, so every request the browser
and the test make becomes moto's CloudWatch metrics as it is answered, as
CloudWatch Logs would make them in AWS; the page reads them back through
GET /moderation/costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devtools.seed import LOCAL_ADMIN
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.console_steps import new_account, sign_in


@pytest.fixture(scope="module")
def blog(start_blog: Callable[..., Blog]) -> Blog:
    """A stack of this module's own: the session's shared one holds every earlier browser test's metrics, and
    reading a day of them back from moto's CloudWatch then outlasts the request's time budget (a 503)."""
    return start_blog()


def today(blog: Blog) -> dict[str, Any]:
    return dict(blog.as_admin("GET", "/moderation/costs?period=today")["periods"][0])


def cell(page: Page, row: str, column: int) -> str:
    return page.locator("table.costs tbody tr").filter(
        has=page.get_by_role("rowheader", name=row, exact=True)).locator("td").nth(column).inner_text()


def test_an_admin_sees_requests_units_dollars_and_the_costliest_routes(blog: Blog, page: Page) -> None:
    slug = blog.new_post("A post that costs something")
    for number in range(3):
        blog.comment(slug, f"Comment number {number}.")
    sign_in(page, blog, LOCAL_ADMIN)
    page.wait_for_load_state("networkidle")  # the posts list it opens on has loaded
    page.get_by_role("link", name="Costs", exact=True).click()
    expect(page.get_by_role("heading", name="What this stage costs")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("columnheader", name="Last 7 days")).to_be_visible()
    shown = int(cell(page, "Requests", 0).replace(",", ""))
    after = today(blog)  # the page's own request is counted now, and nothing else ran meanwhile
    assert shown == after["requests"] - 1 and shown >= 5  # a post, three comments, the console's own
    # Month includes the week, which includes today.
    assert int(cell(page, "Requests", 2).replace(",", "")) >= int(cell(page, "Requests", 1).replace(",", "")) >= shown
    # moto reports capacity for reads, not for TransactWriteItems: the local stack's write units understate.
    assert float(cell(page, "DynamoDB read units", 0).replace(",", "")) > 0
    assert re.fullmatch(r"\$\d+\.\d{2,6}", cell(page, "Total, dollars", 0))
    assert cell(page, "Total, dollars", 0) != "$0.00"
    routes = page.locator(".top-routes").first.locator("tbody tr")
    expect(routes).to_have_count(3)
    rows = [row.locator("td").all_inner_texts() for row in routes.all()]
    assert all(route.startswith("/") and int(requests) >= 1 for route, requests, _ in rows)
    spent = [float(dollars.lstrip("$")) for _, _, dollars in rows]
    assert spent == sorted(spent, reverse=True) and spent[0] > 0
    expect(page.get_by_text(re.compile(r"Prices of us-east-1, as of \d{4}-\d{2}-\d{2}"))).to_be_visible()
    assert_accessible(page)


def test_an_author_has_no_costs_page(blog: Blog, page: Page) -> None:
    sign_in(page, blog, new_account(blog))
    expect(page.get_by_role("link", name="Posts")).to_be_visible()
    expect(page.get_by_role("link", name="Costs", exact=True)).to_have_count(0)
    page.goto(f"{blog.url}/admin/#costs")
    expect(page.get_by_role("heading", name="What this stage costs")).to_have_count(0)
