"""devtools/emf.py turns Embedded Metric Format lines into the metrics CloudWatch Logs would make of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools import emf

STAMP = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def line(**fields: Any) -> dict[str, Any]:
    return {"stage": "test", "route": "/posts", "units": 2.5, "ms": 12, **fields, "_aws": {
        "Timestamp": int(STAMP.timestamp() * 1000),
        "CloudWatchMetrics": [
            {"Namespace": "Blog", "Dimensions": [["stage"]], "Metrics": [{"Name": "units", "Unit": "Count"},
                                                                        {"Name": "ms", "Unit": "Milliseconds"}]},
            {"Namespace": "Blog", "Dimensions": [["stage", "route"]], "Metrics": [{"Name": "units"}]},
        ]}}


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def test_each_dimension_set_and_metric_becomes_one_datum_at_the_lines_time() -> None:
    data = emf.metric_data(line())
    assert [(ns, d["MetricName"], [x["Value"] for x in d["Dimensions"]], d["Value"], d["Unit"]) for ns, d in data] == [
        ("Blog", "units", ["test"], 2.5, "Count"),
        ("Blog", "ms", ["test"], 12.0, "Milliseconds"),
        ("Blog", "units", ["test", "/posts"], 2.5, "None"),
    ]
    assert {d["Timestamp"] for _, d in data} == {STAMP}


def test_what_cloudwatch_would_skip_is_skipped() -> None:
    assert emf.metric_data({"stage": "test", "units": 1}) == []  # no _aws block: a plain log line
    no_route = emf.metric_data(line(route=None))  # a dimension the line lacks drops that directive only
    assert [[x["Name"] for x in d["Dimensions"]] for _, d in no_route] == [["stage"], ["stage"]]
    odd = emf.metric_data(line(units="2.5", ms=True))  # not numbers
    assert odd == []


def test_a_list_of_values_is_one_datum_per_sample() -> None:
    assert [d["Value"] for _, d in emf.metric_data(line(units=[1, 2], route=None)) if d["MetricName"] == "units"] == [
        1.0, 2.0]


def test_published_lines_read_back_from_cloudwatch_as_sums_and_counts(cloudwatch: Any) -> None:
    text = "\n".join(["Starting...", *(json.dumps(line(units=u), default=str) for u in (1, 2, 4)),
                      "{not json"])
    assert emf.publish_lines(text, cloudwatch) == 9
    metric = {"Namespace": "Blog", "MetricName": "units", "Dimensions": [{"Name": "stage", "Value": "test"}]}
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "s", "MetricStat": {"Metric": metric, "Period": 86400, "Stat": "Sum"}},
                           {"Id": "n", "MetricStat": {"Metric": metric, "Period": 86400, "Stat": "SampleCount"}}],
        StartTime=STAMP - timedelta(days=1), EndTime=STAMP + timedelta(days=1))["MetricDataResults"]
    assert {r["Id"]: sum(r["Values"]) for r in result} == {"s": 7.0, "n": 3.0}
