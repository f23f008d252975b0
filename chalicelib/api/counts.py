"""GET /counts?posts=a,b,c: the comment counts an index page shows under its posts, in one request."""

from __future__ import annotations

from typing import Any

from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

counts = ApiBlueprint(__name__)


# Public and the same for every reader: cached as lists are (CACHE_LIST, api/caching.py).
@counts.route("/counts", methods=["GET"], cache="list")
def comment_counts() -> dict[str, Any]:
    return services().comment_counts.for_posts(query(counts.current_request))
