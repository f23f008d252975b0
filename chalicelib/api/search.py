"""GET /search?q=…: published posts matching words, best first, with highlighted snippets."""

from __future__ import annotations

from typing import Any

from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

search = ApiBlueprint(__name__)


# Public and the same for every reader: cached as lists are (CACHE_LIST, api/caching.py).
@search.route("/search", methods=["GET"], cache="list")
def search_posts() -> dict[str, Any]:
    return services().search.search(query(search.current_request))
