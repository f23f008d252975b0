"""What CloudWatch Logs does with the app's log lines, done here: Embedded Metric Format to PutMetricData.

In Lambda, a log line with an ``_aws`` block (api/observability.py) becomes
metrics without any API call: CloudWatch Logs reads each directive of
``_aws.CloudWatchMetrics``, and for each dimension set and each metric named
there puts the line's value of that metric, with the line's values of those
dimensions, at the block's ``Timestamp``. Off AWS nothing does that, so the
Costs page (GET /moderation/costs) would read no figures. This module makes
the same calls against moto's CloudWatch:

- the tests turn the lines a request really printed into metrics
  (``publish_lines``), then read them back through the API;
- `make run`'s stack (devtools/local_stack.py) tees its stdout through
  ``MetricsTee``, so its Costs page shows what the local stack did.

Following the specification (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
a metric whose value is missing or not a number, and a directive whose
dimension is missing from the line, are skipped, as CloudWatch skips them; a
value may be a list of numbers (each one a sample).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef, MetricDatumTypeDef

PUT_LIMIT = 1000  # metric data per PutMetricData call


def _numbers(value: Any) -> list[float]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return []
    return [float(v) for v in values]


def metric_data(record: dict[str, Any]) -> list[tuple[str, MetricDatumTypeDef]]:
    """(namespace, datum) for every metric one EMF line declares; nothing for a line without ``_aws``."""
    block = record.get("_aws")
    if not isinstance(block, dict):
        return []
    stamp = datetime.fromtimestamp(int(block.get("Timestamp", 0)) / 1000, UTC)
    data: list[tuple[str, MetricDatumTypeDef]] = []
    for directive in block.get("CloudWatchMetrics", []):
        for dimension_set in directive.get("Dimensions", []):
            if not all(isinstance(record.get(name), str) for name in dimension_set):
                continue  # CloudWatch drops a directive whose dimension the line lacks
            dimensions: list[DimensionTypeDef] = [{"Name": name, "Value": record[name]} for name in dimension_set]
            for metric in directive.get("Metrics", []):
                for value in _numbers(record.get(metric["Name"])):
                    data.append((directive["Namespace"], {
                        "MetricName": metric["Name"], "Dimensions": dimensions, "Timestamp": stamp,
                        "Value": value, "Unit": metric.get("Unit", "None"),
                    }))
    return data


def records(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The JSON objects among ``lines`` (a process's stdout), in order; other lines are left out."""
    found = []
    for line in lines:
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                found.append(parsed)
    return found


def publish(records_: Iterable[dict[str, Any]], client: CloudWatchClient) -> int:
    """PutMetricData for every metric the records declare; the number of metric data put."""
    by_namespace: dict[str, list[MetricDatumTypeDef]] = {}
    for record in records_:
        for namespace, datum in metric_data(record):
            by_namespace.setdefault(namespace, []).append(datum)
    for namespace, data in by_namespace.items():
        for offset in range(0, len(data), PUT_LIMIT):
            client.put_metric_data(Namespace=namespace, MetricData=data[offset:offset + PUT_LIMIT])
    return sum(len(data) for data in by_namespace.values())


def publish_lines(text: str, client: CloudWatchClient) -> int:
    """Publish the metrics of every EMF line in ``text`` (captured stdout)."""
    return publish(records(text.splitlines()), client)


class MetricsTee:
    """A stdout that passes everything through and publishes each EMF line's metrics as it is written.

    Synchronous on purpose: when a request's answer reaches its client, its
    metrics are already in CloudWatch, so a test reads them without waiting.
    A failure to publish is reported on the stream and never fails the request.
    """

    def __init__(self, stream: IO[str], client: CloudWatchClient) -> None:
        self.stream = stream
        self.client = client
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        if '"_aws"' in text:
            with self.lock:
                try:
                    publish_lines(text, self.client)
                except Exception as error:  # noqa: BLE001 - the log must not fail the request that wrote it
                    self.stream.write(f"metrics not published: {error}\n")
        return written

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
