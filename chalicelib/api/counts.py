"""GET /counts?posts=a,b,c: the comment counts an index page shows under its posts, in one request."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

counts = ApiBlueprint(__name__)

# Public and the same for every reader: shared caches may keep it a minute, and serve
# it stale for five more while they fetch a fresh one.
COUNTS_CACHE = "public, max-age=60, s-maxage=60, stale-while-revalidate=300"


@counts.route("/counts", methods=["GET"])
def comment_counts() -> Response:
    body = services().comment_counts.for_posts(query(counts.current_request))
    return Response(body=body, headers={"Cache-Control": COUNTS_CACHE})
