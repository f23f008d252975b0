"""Write units the search index costs per published post (chalicelib/blog/search.py), by body size.

A post is written through the API, then its stream record's image is indexed by the real indexer;
every item the indexer puts is billed as DynamoDB bills it (one unit per KB, rounded up, of the item
by chalicelib/store/table.py's item_size), every delete as one unit (postings are a few dozen bytes).
The bodies are slices of the project's README: real English prose, not a repeated word.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.harness import Harness, running_app
from bench.report import Figure, info
from chalicelib.blog.search import Search
from chalicelib.store import keys
from chalicelib.store.table import Table, deserialize, item_size

SECTION = "search index: write units per published post, from item sizes"
PROSE = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SIZES = {"1 KB": 1024, "5 KB": 5 * 1024, "20 KB": 20 * 1024}


class BatchMeter:
    """Units of the BatchWriteItem calls the indexer makes."""

    def __init__(self, harness: Harness) -> None:
        self.units = self.puts = self.deletes = 0
        harness.client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", self._count)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        for requests in params["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    self.puts += 1
                    self.units += max(1, math.ceil(item_size(deserialize(request["PutRequest"]["Item"])) / 1024))
                else:
                    self.deletes += 1
                    self.units += 1

    def reset(self) -> None:
        self.units = self.puts = self.deletes = 0


def measure() -> list[Figure]:
    figures: list[Figure] = []
    with running_app() as h:
        token = h.admin_token()
        search = Search(Table(h.client, h.table_name), b"")
        meter = BatchMeter(h)
        for name, length in SIZES.items():
            slug = h.create_post(token, f"Search units, {name}", body=PROSE[:length], labels=["bench", "search"])
            post = Table(h.client, h.table_name).get(keys.post(slug))
            meter.reset()
            search.reindex(slug, post)
            figures.append(info(SECTION, f"publish, body of {name}", str(meter.units),
                                f"{meter.puts - 1} postings and the search document"))
            meter.reset()
            assert post is not None
            search.reindex(slug, {**post, "title": f"Search units, {name}, edited", "version": post["version"] + 1})
            figures.append(info(SECTION, f"edit of the title, body of {name}", str(meter.units),
                                f"{meter.deletes} postings out, {meter.puts} items in"))
            meter.reset()
            search.reindex(slug, None)
            figures.append(info(SECTION, f"delete, body of {name}", str(meter.units), "every posting and the document"))
    return figures


if __name__ == "__main__":
    from bench.harness import configure_environment
    from bench.report import render

    configure_environment()
    print(render(measure()))
