"""The Costs page's route (GET /moderation/costs), read from metrics the app really emitted.

Each test runs real requests through the app, takes the log lines they printed,
and turns them into moto's CloudWatch metrics as CloudWatch Logs would
(devtools/emf.py); the route then reads them back with ListMetrics and
GetMetricData, and its figures must add up to what the lines said.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from chalicelib.blog import prices
from devtools import emf
from tests.conftest import Api, Blog
from tests.settings_steps import Clock

PRICE = prices.PRICES["us-east-1"]


def near(value: float) -> Any:
    """Equal but for float sums and the report's rounding to nano-dollars and nano-units."""
    return pytest.approx(value, rel=1e-6, abs=1e-8)


def lines_of(out: str) -> list[dict[str, Any]]:
    return [line for line in emf.records(out.splitlines()) if "_aws" in line]


@pytest.fixture
def emitted(api: Api, capsys: pytest.CaptureFixture[str]) -> Callable[[], list[dict[str, Any]]]:
    """Publish what the app printed since the last call, as CloudWatch would; returns those lines."""
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")

    def publish() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        emf.publish_lines(out, cloudwatch)
        return lines_of(out)

    return publish


def costs(api: Api, token: str, query: str = "") -> dict[str, Any]:
    reply = api.get("/moderation/costs" + query, token=token)
    assert reply.status == 200, reply.body
    return dict(reply.json)


def some_traffic(api: Api, blog: Blog, author: str) -> None:
    slug = blog.post(author)["slug"]
    blog.comment(slug)
    blog.comment(slug)
    for _ in range(3):
        assert api.get(f"/posts/{slug}").status == 200
    assert api.get(f"/posts/{slug}/comments").status == 200
    assert api.get("/health").status == 200


def expected(lines: list[dict[str, Any]]) -> dict[str, float]:
    requests = [line for line in lines if line["event"] == "request"]
    return {
        "requests": len(requests),
        "lambda_invocations": len(lines),
        "lambda_gb_seconds": sum(line["gb_seconds"] for line in lines),
        "read_units": sum(line["read_units"] for line in lines),
        "write_units": sum(line["write_units"] for line in lines),
        "mail_sent": sum(line["mail_sent"] for line in lines),
    }


def route_dollars(lines: list[dict[str, Any]]) -> dict[str, float]:
    dollars: dict[str, float] = defaultdict(float)
    for line in lines:
        if line["event"] == "request" and line["route"]:
            dollars[line["route"]] += (PRICE["api_request"] + PRICE["lambda_request"]
                                       + line["gb_seconds"] * PRICE["lambda_gb_second"]
                                       + line["read_units"] * PRICE["read_unit"]
                                       + line["write_units"] * PRICE["write_unit"])
    return dollars


def test_the_figures_add_up_to_what_the_requests_logged(api: Api, blog: Blog, emitted: Callable[[], Any]) -> None:
    admin = blog.admin()
    some_traffic(api, blog, blog.author())
    lines = emitted()
    assert len(lines) >= 12
    report = costs(api, admin)
    assert [p["period"] for p in report["periods"]] == ["today", "7d", "month"]
    want = expected(lines)
    for period in report["periods"]:
        for figure, value in want.items():
            assert period[figure] == near(value), figure
        assert want["requests"] > 0 and want["write_units"] > 0 and want["lambda_gb_seconds"] > 0


def test_dollars_are_the_units_times_the_regions_published_prices(api: Api, blog: Blog,
                                                                  emitted: Callable[[], Any]) -> None:
    admin = blog.admin()
    some_traffic(api, blog, blog.author())
    want = expected(emitted())
    report = costs(api, admin, "?period=today")
    assert report["prices"]["region"] == report["region"] == "us-east-1"
    assert report["prices"]["as_of"] == prices.PRICES_AS_OF and report["prices"]["sources"]
    (today,) = report["periods"]
    dollars = today["dollars"]
    assert dollars["api_gateway"] == near(want["requests"] * 3.50 / 1e6)
    assert dollars["lambda"] == near(want["lambda_invocations"] * 0.20 / 1e6
                                              + want["lambda_gb_seconds"] * 0.0000166667)
    assert dollars["dynamodb"] == near(want["read_units"] * 0.125 / 1e6
                                                + want["write_units"] * 0.625 / 1e6)
    assert dollars["ses"] == 0
    assert dollars["total"] == near(sum(v for k, v in dollars.items() if k != "total"))
    assert dollars["total"] > 0


def test_the_three_most_expensive_routes_are_named_with_their_figures(api: Api, blog: Blog,
                                                                      emitted: Callable[[], Any]) -> None:
    admin = blog.admin()
    some_traffic(api, blog, blog.author())
    lines = emitted()
    (today,) = costs(api, admin, "?period=today")["periods"]
    spent = route_dollars(lines)
    top = sorted(spent, key=lambda route: (-spent[route], route))[:3]
    assert [route["route"] for route in today["top_routes"]] == top
    for route in today["top_routes"]:
        mine = [line for line in lines if line.get("route") == route["route"]]
        assert route["requests"] == len(mine)
        assert route["write_units"] == near(sum(line["write_units"] for line in mine))
        assert route["dollars"] == near(spent[route["route"]])


def test_each_period_counts_only_its_own_days(api: Api, blog: Blog, clock: Clock,
                                              emitted: Callable[[], Any]) -> None:
    # Noon on the 20th of next month; activity on the 10th (month only), the 17th (7 days) and the 20th.
    real = datetime.now(UTC)
    twentieth = (real.replace(day=1) + timedelta(days=40)).replace(day=20, hour=12, minute=0, second=0)
    clock.advance((twentieth - timedelta(days=10) - real).total_seconds())
    assert api.get("/health").status == 200
    tenth = emitted()
    clock.advance(days=7)
    for _ in range(2):
        assert api.get("/health").status == 200
    seventeenth = emitted()
    clock.advance(days=3)
    admin = blog.admin()
    assert api.get("/health").status == 200
    twentieth_lines = emitted()
    report = {p["period"]: p for p in costs(api, admin)["periods"]}
    assert report["today"]["from"] == report["today"]["to"] == twentieth.date().isoformat()
    assert report["7d"]["from"] == (twentieth - timedelta(days=6)).date().isoformat()
    assert report["month"]["from"] == twentieth.replace(day=1).date().isoformat()
    assert report["today"]["requests"] == expected(twentieth_lines)["requests"]
    assert report["7d"]["requests"] == expected(seventeenth + twentieth_lines)["requests"]
    assert report["month"]["requests"] == expected(tenth + seventeenth + twentieth_lines)["requests"]
    assert report["today"]["requests"] < report["7d"]["requests"] < report["month"]["requests"]


def test_a_stage_reads_only_its_own_metrics(api: Api, blog: Blog, emitted: Callable[[], Any]) -> None:
    admin = blog.admin()
    assert api.get("/health").status == 200
    lines = emitted()
    other = [{**line, "stage": "prod"} for line in lines for _ in range(5)]
    emf.publish(other, boto3.client("cloudwatch", region_name="us-east-1"))
    (today,) = costs(api, admin, "?period=today")["periods"]
    assert today["requests"] == expected(lines)["requests"]


def test_no_metrics_yet_reads_as_zero_not_an_error(api: Api, blog: Blog) -> None:
    admin = blog.admin()  # what the sign-in printed is not published: CloudWatch has nothing
    (month,) = costs(api, admin, "?period=month")["periods"]
    assert month["requests"] == 0 and month["dollars"]["total"] == 0 and month["top_routes"] == []


@pytest.mark.parametrize("role", ["reader", "author"])
def test_only_admins_see_the_costs(api: Api, blog: Blog, role: str) -> None:
    token = blog.user() if role == "reader" else blog.author()
    reply = api.get("/moderation/costs", token=token)
    assert reply.status == 403 and "admin" in reply.problem["detail"]


def test_signed_out_callers_are_asked_to_sign_in(api: Api) -> None:
    assert api.get("/moderation/costs").problem["status"] == 401


@pytest.mark.parametrize("period", ["year", "Today", "7D", "", "today\u200b", "ｔｏｄａｙ", "30d", "today,7d"])
def test_a_period_that_is_not_known_is_refused_with_422(api: Api, blog: Blog, period: str) -> None:
    reply = api.get(f"/moderation/costs?period={quote(period)}", token=blog.admin())
    assert reply.status == 422 and reply.problem["errors"] == {"period": ["must be one of today, 7d, month"]}
