"""Write units per comment, vote and favorite, on a post with a 1 KB body and one with a 100 KB body.

Computed from the size of each item written, as DynamoDB bills a write: one
unit per KB (rounded up) of the larger of the item's old and new image, twice
for a write inside a transaction; a ConditionCheck is counted like a write of
the item it checks (erring high). moto's own consumed-capacity figures are not
size-based, so each write's item is read before and after it (GetItem, outside
the figure) and its size taken by DynamoDB's rules (chalicelib/store/table.py's
item_size: attribute names and values in UTF-8).
"""

from __future__ import annotations

import math
from typing import Any

from bench.harness import Harness, running_app
from bench.report import Figure, at_most, info
from chalicelib.blog.posts import MAX_BODY_LENGTH
from chalicelib.store import keys
from chalicelib.store.table import deserialize, item_size, serialize

UNITS = "write units per write, from item sizes (DynamoDB's billing rules)"
KB = 1024
# DynamoDB counts a vote as likes/dislikes on the comment (a comment is at most 5,000 characters of
# Markdown plus its HTML, a few KB), never the post: its units are the same on any post.
SIZES = {"1 KB": KB, "100 KB": MAX_BODY_LENGTH}
# An anonymous vote: the vote item and the comment's counts (twice each, in a transaction), the address's window.
# Bans are read with the comment, not checked in the transaction (2 units per subject: blog/votes.py).
VOTE_UNITS = 7


class UnitMeter:
    """Sums the units of every write a request makes, from the items' sizes before and after."""

    def __init__(self, harness: Harness) -> None:
        self.client = harness.client
        self.table_name = harness.table_name
        self.units = 0
        self.writes: list[str] = []
        self._before: list[tuple[dict[str, Any], int, int]] = []
        self._busy = True  # idle until measure()
        self.client.meta.events.register("before-parameter-build.dynamodb.*", self._start)
        self.client.meta.events.register("after-call.dynamodb.*", self._finish)

    def _size(self, key: dict[str, Any]) -> int:
        self._busy = True
        try:
            found = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        finally:
            self._busy = False
        return item_size(deserialize(found)) if found else 0

    def item_size(self, key: dict[str, str]) -> int:
        """The size of the item at a plain key, read now (outside any figure)."""
        found = self.client.get_item(TableName=self.table_name, Key=serialize(dict(key)), ConsistentRead=True)
        return item_size(deserialize(found["Item"])) if "Item" in found else 0

    def _start(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        if self._busy:
            return
        operation = event_name.rsplit(".", 1)[-1]
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                kind, body = next(iter(entry.items()))
                key = body.get("Key") or {"PK": body["Item"]["PK"], "SK": body["Item"]["SK"]}
                self._before.append((key, self._size(key), 2))
                self.writes.append(f"{kind} {body.get('Key', {}).get('SK', body.get('Item', {}).get('SK'))}")
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            key = params.get("Key") or {"PK": params["Item"]["PK"], "SK": params["Item"]["SK"]}
            self._before.append((key, self._size(key), 1))

    def _finish(self, event_name: str, **_: Any) -> None:
        if self._busy or not self._before:
            return
        for key, old, factor in self._before:
            largest = max(old, self._size(key))
            self.units += factor * max(1, math.ceil(largest / KB))
        self._before = []

    def measure(self, call: Any) -> int:
        self.units, self.writes, self._before = 0, [], []
        self._busy = False
        try:
            call()
        finally:
            self._busy = True
        return self.units


def measure() -> list[Figure]:
    figures: list[Figure] = []
    per_size: dict[str, dict[str, int]] = {}
    with running_app() as h:
        token = h.admin_token()
        meter = UnitMeter(h)
        for size_name, length in SIZES.items():
            body = ("word " * (length // 5 + 1))[:length]
            slug = h.create_post(token, f"A post of {size_name}", body=body, labels=["one", "two"])
            created: dict[str, Any] = {}

            def comment(slug: str = slug, created: dict[str, Any] = created) -> None:
                reply = h.request("POST", f"/posts/{slug}/comments", {"body": f"Hello {len(created)}",
                                                                      "author_name": "Ann"}, expect=201)
                created["id"] = reply.json["comment"]["id"]

            def vote(created: dict[str, Any] = created) -> None:
                h.request("POST", f"/comments/{created['id']}/vote", {"value": 1},
                          extra_headers={"X-Voter-Token": "bench"})

            def favorite(slug: str = slug) -> None:
                h.request("POST", f"/api/articles/{slug}/favorite", token=token)

            per_size[size_name] = {"comment": meter.measure(comment), "vote": meter.measure(vote),
                                   "favorite": meter.measure(favorite)}
            post_kb = math.ceil(meter.item_size(keys.post(slug)) / KB)
            # Before the summary item, a comment or a favorite also wrote the post item: 2 units per KB of it.
            figures.append(info(UNITS, f"the post item itself, post of {size_name}", f"{post_kb} KB",
                                f"a comment or favorite wrote it before the summary item: {2 * post_kb} units"))
    for what in ("comment", "vote", "favorite"):
        small, large = per_size["1 KB"][what], per_size["100 KB"][what]
        if what == "vote":
            figures.append(at_most(UNITS, "vote, post of 1 KB", small, VOTE_UNITS, note="labels: 2"))
        else:
            figures.append(info(UNITS, f"{what}, post of 1 KB", str(small), "labels: 2"))
        figures.append(info(UNITS, f"{what}, post of 100 KB", str(large), "labels: 2"))
        figures.append(Figure(UNITS, f"{what}: 100 KB post vs 1 KB post", f"{large} vs {small}",
                              "within 1 unit", abs(large - small) <= 1))
    return figures
