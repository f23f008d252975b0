"""CORS from the stage's CORS_ORIGINS: "*" or a list of origins.

API Gateway's generated preflight can only name one origin, so preflights
are answered by the app itself (an OPTIONS view on every path), and one
middleware adds the allow headers to every response, echoing the caller's
origin when it is on the list.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Chalice, Request, Response

from chalicelib.api.caching import add_vary
from chalicelib.errors import ConfigurationError
from chalicelib.settings import get_settings

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Edit-Token, X-Voter-Token"
EXPOSED_HEADERS = "ETag, Location, Retry-After"


def allowed_origin(origin: str | None) -> str | None:
    try:
        origins = get_settings().cors_origins
    except ConfigurationError:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def _origins_vary() -> bool:
    try:
        return "*" not in get_settings().cors_origins
    except ConfigurationError:
        return False


def allow(request_origin: str | None, response: Response) -> Response:
    """The allow headers for a caller from ``request_origin``; also used by the local stack's own 404s."""
    origin = allowed_origin(request_origin)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if origin != "*" and _origins_vary():
        # Also when the origin is refused or absent: a cache must not hand
        # one origin's answer (with or without the allow header) to another.
        add_vary(response, "Origin")
    return response


def install(app: Chalice) -> None:
    @app.middleware("http")
    def add_cors_headers(request: Request, get_response: Callable[[Request], Response]) -> Response:
        return allow(request.headers.get("origin"), get_response(request))

    def preflight(**_path_parameters: str) -> Response:
        # Chalice passes the path's parameters ("slug", "comment_id") as keywords.
        request = app.current_request
        path = request.context.get("resourcePath", "") if request else ""
        methods = sorted(app.routes.get(path, {}))
        return Response(body="", status_code=204, headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
        })

    for path in list(app.routes):
        if "OPTIONS" not in app.routes[path]:
            app.route(path, methods=["OPTIONS"], name=f"preflight{path.replace('/', '_')}")(preflight)
