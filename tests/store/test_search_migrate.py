"""`make migrate` puts posts published before search existed into its index, once."""

from __future__ import annotations

import pytest

from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from deploy.migrate import index_search
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls


@pytest.fixture
def table(dynamo: DynamoCalls) -> Table:
    return Table(dynamodb_client(), TEST_TABLE)


def test_posts_from_before_search_are_indexed_once_and_drafts_never(table: Table, api: Api, blog: Blog,
                                                                     author: str, dynamo: DynamoCalls) -> None:
    # Given posts written with no stream handler to index them (as before search existed)
    old = blog.post(author, title="Armadillo tales", body="Armour.")["slug"]
    blog.post(author, title="Armadillo draft", status="draft")
    assert api.get("/search?q=armadillo").json["posts"] == []
    # When the migration runs, the published post is found and the draft is not
    assert index_search(table) == {"posts indexed for search": 1}
    assert [p["slug"] for p in api.get("/search?q=armadillo").json["posts"]] == [old]
    # And a second run writes nothing
    dynamo.clear()
    assert index_search(table) == {"posts already in the search index": 1}
    assert "BatchWriteItem" not in dynamo.operations
    dynamo.clear()  # the migration's Scan is an operator command, not a request path
