"""The admin's Costs page: what the stage did, and what it cost, today, over the last 7 days and this month.

Everything comes from the stage's own CloudWatch metrics, which the app writes
as Embedded Metric Format log lines (api/observability.py): no table read, no
Scan. One ``ListMetrics`` names the routes that have figures; ``GetMetricData``
then reads daily sums from the first day of the longest period asked for, and
each period adds up its days. Days are UTC days: "today" began at midnight UTC,
"7d" is today and the six days before, "month" began on the 1st.

The dollars are the units times the region's prices (blog/prices.py), before
any free tier: API Gateway and Lambda per request, Lambda per GB-second,
DynamoDB per read and write unit, SES per message. They leave out what the
metrics do not count: storage, data transfer, CloudWatch itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.api.observability import NAMESPACE
from chalicelib.blog import clock, prices
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import read_query
from chalicelib.errors import Forbidden, Invalid

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import DimensionFilterTypeDef, DimensionTypeDef, MetricDataQueryTypeDef

PERIODS = ("today", "7d", "month")
TOP_ROUTES = 3
MAX_ROUTES = 200           # a bound on the queries one page view makes; the app has far fewer routes
_QUERIES_PER_CALL = 500    # GetMetricData's own limit
_DAY = 86_400

# The stage's figures: (name, metric, statistic). Requests are HTTP requests (every one has a latency);
# invocations are every Lambda invocation (requests, scheduled runs, stream batches all report GB-seconds).
_STAGE_FIGURES = (
    ("requests", "latency_ms", "SampleCount"),
    ("lambda_invocations", "gb_seconds", "SampleCount"),
    ("lambda_gb_seconds", "gb_seconds", "Sum"),
    ("read_units", "read_units", "Sum"),
    ("write_units", "write_units", "Sum"),
    ("mail_sent", "mail_sent", "Sum"),
)
# Each route's figures, from the metrics published per route.
_ROUTE_FIGURES = (
    ("requests", "gb_seconds", "SampleCount"),
    ("lambda_gb_seconds", "gb_seconds", "Sum"),
    ("read_units", "read_units", "Sum"),
    ("write_units", "write_units", "Sum"),
)

Daily = dict[str, dict[date, float]]  # query id -> UTC day -> value


class Costs:
    def __init__(self, stage: str, cloudwatch: CloudWatchClient) -> None:
        self.stage = stage
        self.cloudwatch = cloudwatch

    def report(self, principal: Principal, params: dict[str, str] | None) -> dict[str, Any]:
        if not principal.is_admin:
            raise Forbidden("only admins see what the stage costs")
        wanted = _periods(read_query(params, ("period",)).get("period"))
        today = clock.now().astimezone(UTC).date()
        starts = {name: _period_start(name, today) for name in wanted}
        routes = self._routes()
        daily = self._daily(routes, min(starts.values()), today + timedelta(days=1))
        region, price = prices.for_region(self.cloudwatch.meta.region_name)
        return {
            "stage": self.stage,
            "region": self.cloudwatch.meta.region_name,
            "prices": {"region": region, "as_of": prices.PRICES_AS_OF, "sources": list(prices.SOURCES),
                       "usd_per_unit": dict(price)},
            "periods": [_period(name, start, today, daily, routes, price) for name, start in starts.items()],
        }

    def _stage_dimension(self) -> DimensionTypeDef:
        return {"Name": "stage", "Value": self.stage}

    def _stage_filter(self) -> DimensionFilterTypeDef:
        return {"Name": "stage", "Value": self.stage}

    def _routes(self) -> list[str]:
        """Routes with per-route figures (CloudWatch lists metrics that had data in the last two weeks)."""
        found: set[str] = set()
        pages = self.cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=NAMESPACE, MetricName="gb_seconds", Dimensions=[self._stage_filter(), {"Name": "route"}])
        for page in pages:
            for metric in page.get("Metrics", []):
                names = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                if set(names) == {"stage", "route"} and names["stage"] == self.stage:
                    found.add(names["route"])
            if len(found) >= MAX_ROUTES:
                break
        return sorted(found)[:MAX_ROUTES]

    def _queries(self, routes: list[str]) -> Iterator[MetricDataQueryTypeDef]:
        stage = [self._stage_dimension()]
        for name, metric, stat in _STAGE_FIGURES:
            yield _query(f"s_{name}", metric, stat, stage)
        for index, route in enumerate(routes):
            dimensions: list[DimensionTypeDef] = [*stage, {"Name": "route", "Value": route}]
            for name, metric, stat in _ROUTE_FIGURES:
                yield _query(f"r{index}_{name}", metric, stat, dimensions)

    def _daily(self, routes: list[str], first: date, end: date) -> Daily:
        queries = list(self._queries(routes))
        daily: Daily = {query["Id"]: {} for query in queries}
        start_time = datetime.combine(first, time(), UTC)
        end_time = datetime.combine(end, time(), UTC)
        for offset in range(0, len(queries), _QUERIES_PER_CALL):
            batch = queries[offset:offset + _QUERIES_PER_CALL]
            pages = self.cloudwatch.get_paginator("get_metric_data").paginate(
                MetricDataQueries=batch, StartTime=start_time, EndTime=end_time)
            for page in pages:
                for result in page.get("MetricDataResults", []):
                    days = daily[result["Id"]]
                    for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        day = stamp.astimezone(UTC).date()
                        days[day] = days.get(day, 0.0) + value
        return daily


def _periods(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return PERIODS
    if raw not in PERIODS:
        raise Invalid.field("period", f"must be one of {', '.join(PERIODS)}")
    return (raw,)


def _period_start(name: str, today: date) -> date:
    if name == "today":
        return today
    if name == "7d":
        return today - timedelta(days=6)
    return today.replace(day=1)


def _query(query_id: str, metric: str, stat: str, dimensions: list[DimensionTypeDef]) -> MetricDataQueryTypeDef:
    return {"Id": query_id, "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
        "Period": _DAY, "Stat": stat}}


def _sum(daily: Daily, query_id: str, start: date) -> float:
    return sum(value for day, value in daily.get(query_id, {}).items() if day >= start)


def _period(name: str, start: date, today: date, daily: Daily, routes: list[str],
            price: dict[str, float]) -> dict[str, Any]:
    figures = {figure: _sum(daily, f"s_{figure}", start) for figure, _, _ in _STAGE_FIGURES}
    dollars = {
        "api_gateway": figures["requests"] * price["api_request"],
        "lambda": figures["lambda_invocations"] * price["lambda_request"]
                  + figures["lambda_gb_seconds"] * price["lambda_gb_second"],
        "dynamodb": figures["read_units"] * price["read_unit"] + figures["write_units"] * price["write_unit"],
        "ses": figures["mail_sent"] * price["mail"],
    }
    dollars["total"] = sum(dollars.values())
    ranked = sorted((_route(route, index, start, daily, price) for index, route in enumerate(routes)),
                    key=lambda route: (-route["dollars"], route["route"]))
    return {
        "period": name, "from": start.isoformat(), "to": today.isoformat(),
        **{figure: _number(value) for figure, value in figures.items()},
        "dollars": {part: round(value, 9) for part, value in dollars.items()},
        "top_routes": [route for route in ranked if route["requests"]][:TOP_ROUTES],
    }


def _route(route: str, index: int, start: date, daily: Daily, price: dict[str, float]) -> dict[str, Any]:
    figures = {figure: _sum(daily, f"r{index}_{figure}", start) for figure, _, _ in _ROUTE_FIGURES}
    dollars = (figures["requests"] * (price["api_request"] + price["lambda_request"])
               + figures["lambda_gb_seconds"] * price["lambda_gb_second"]
               + figures["read_units"] * price["read_unit"] + figures["write_units"] * price["write_unit"])
    return {"route": route, **{figure: _number(value) for figure, value in figures.items()},
            "dollars": round(dollars, 9)}


def _number(value: float) -> float | int:
    """Counts as whole numbers; units and GB-seconds to the nano (1 ms at 128 MB is 0.000125 GB-s)."""
    return int(value) if value == int(value) else round(value, 9)
