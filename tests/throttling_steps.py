"""DynamoDB accepting only part of a BatchWriteItem, on a real client over moto, through botocore's events.

Under throttling DynamoDB writes some of a batch and names the rest in
``UnprocessedItems``; moto always writes everything. Here the last half of each
of the first ``calls`` batches is taken out of the request before it is sent
(so moto really writes only the first half), and put in the answer's
``UnprocessedItems``, as DynamoDB would answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class PartialBatches:
    def __init__(self, client: DynamoDBClient, calls: int) -> None:
        self.calls_left = calls
        self.sent: list[int] = []       # writes in each BatchWriteItem as sent
        self.left_over: list[int] = []  # writes each answer named unprocessed
        self._held: dict[str, list[Any]] = {}
        self._client = client
        client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", self._hold_back)
        client.meta.events.register("after-call.dynamodb.BatchWriteItem", self._name_held)

    def _hold_back(self, params: dict[str, Any], **_: Any) -> None:
        requests: dict[str, list[Any]] = params["RequestItems"]
        self._held = {}
        if self.calls_left > 0:
            self.calls_left -= 1
            for table, writes in requests.items():
                kept = (len(writes) + 1) // 2
                if writes[kept:]:
                    self._held[table] = writes[kept:]
                requests[table] = writes[:kept]
        self.sent.append(sum(len(writes) for writes in requests.values()))

    def _name_held(self, parsed: dict[str, Any], **_: Any) -> None:
        self.left_over.append(sum(len(writes) for writes in self._held.values()))
        parsed["UnprocessedItems"] = {**parsed.get("UnprocessedItems", {}), **self._held}

    def remove(self) -> None:
        events = self._client.meta.events
        events.unregister("before-parameter-build.dynamodb.BatchWriteItem", self._hold_back)
        events.unregister("after-call.dynamodb.BatchWriteItem", self._name_held)
