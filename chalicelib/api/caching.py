"""HTTP caching of every answer, decided in one place (routing.py calls ``finish`` for each view).

A read route names its cache class (``route(..., cache="list")``); the class's
times come from the stage's settings (``CACHE_PAGE``, ``CACHE_LIST``,
``CACHE_FEED``, ``CACHE_ASSET``: ``SHARED/BROWSER/STALE`` seconds) and become

    Cache-Control: public, s-maxage=SHARED, max-age=BROWSER, stale-while-revalidate=STALE

with an ``ETag`` computed from the body, and a 304 (no body) to a matching
``If-None-Match``, HEAD included. A route that declares no class is not stored
anywhere (``no-store``): caching is an opt-in a route's author decides on.

What is never shared, whatever the route declares:

- an answer to a request carrying ``Authorization`` or ``X-Edit-Token``: it may
  hold what only that caller sees (a draft, a held comment, Conduit's
  ``following``/``favorited``) and is ``private, no-store``. ``no-store`` rather than
  ``private`` alone: the answer is cheap to make again, and a browser on a shared
  computer must not keep a signed-in page after its user signed out;
- an error (any status but 200): ``no-store``. A 5xx must never be replayed, and a
  4xx is cheap (most are refused before DynamoDB is asked), while a cached 404 would
  hide a scheduled post for a while after its time;
- the answer to a write (POST, PUT, PATCH, DELETE): ``no-store``.

Public answers say ``Vary: Authorization, X-Edit-Token``, so a shared cache (nginx
honours Vary; CloudFront keys on those headers, deploy/package.py) never hands the
anonymous copy to a signed-in reader either; cors.py adds ``Origin`` where the
allowed origins are a list. Bodies are never compressed by the API, so there is
no ``Accept-Encoding`` in it.

A post's ETag keeps its version in front (``"3-<digest>"``): ``If-Match`` on a
write takes either that or the bare version (``version_tag``).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from chalice.app import handle_extra_types

from chalicelib.errors import ConfigurationError
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalice.app import Request, Response

# The classes a read route may declare, and the setting naming each one's times.
CLASSES = {"page": "CACHE_PAGE", "list": "CACHE_LIST", "feed": "CACHE_FEED", "asset": "CACHE_ASSET"}
NO_STORE = "no-store"
PERSONAL = "private, no-store"
# The request headers that make an answer someone's own; also the Vary of every public answer.
PERSONAL_HEADERS = ("Authorization", "X-Edit-Token")
# The query parameters reads take: a CDN keys its cache on these and no others (deploy/package.py).
# Native reads, then the RealWorld API's.
READ_QUERY = ("cursor", "limit", "label", "author", "month", "status", "embed", "comments_limit", "sort",
              "posts", "offset", "tag", "favorited", "q", "lang")
_READ_METHODS = ("GET", "HEAD")


def cache_control(times: tuple[int, int, int]) -> str:
    shared, browser, stale = times
    if shared == 0 and browser == 0:
        # Stored, but checked with the API each time (a 304 when unchanged).
        return "public, no-cache"
    return f"public, s-maxage={shared}, max-age={browser}, stale-while-revalidate={stale}"


def _times(cache: str) -> tuple[int, int, int] | None:
    try:
        return get_settings().cache_times[cache]
    except ConfigurationError:
        return None


def is_personal(request: Request) -> bool:
    return any(request.headers.get(name) for name in PERSONAL_HEADERS)


def add_vary(response: Response, *names: str) -> None:
    present = [part.strip() for part in str(response.headers.get("Vary", "")).split(",") if part.strip()]
    known = {part.lower() for part in present}
    response.headers["Vary"] = ", ".join(present + [name for name in names if name.lower() not in known])


def version_tag(if_match: str | None) -> str | None:
    """``If-Match`` as the post service compares it: ``"3-<digest>"`` (a read's ETag) is version ``"3"``."""
    if if_match is None:
        return None
    tag = if_match.strip()
    version, dash, _digest = tag.strip('"').partition("-")
    if dash and tag.startswith('"') and tag.endswith('"') and version.isdigit():
        return f'"{version}"'
    return if_match


def _matches(if_none_match: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 13.1.2): W/ prefixes do not count.
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def _serialised(response: Response) -> bytes:
    body = response.body
    if isinstance(body, bytes):
        return body
    if not isinstance(body, str):
        # As Chalice would serialise it, once: the digest is of the bytes sent.
        body = json.dumps(body, separators=(",", ":"), default=handle_extra_types)
        response.body = body
    return body.encode("utf-8")


def finish(request: Request, response: Response, cache: str | None) -> Response:
    """Give ``response`` its caching headers (and turn it into a 304 when the caller's copy is current)."""
    headers = response.headers
    if request.method not in _READ_METHODS or response.status_code != 200 or cache is None:
        headers["Cache-Control"] = NO_STORE
        return response
    personal = is_personal(request)
    times = None if personal else _times(cache)
    if times is None and not personal:
        headers["Cache-Control"] = NO_STORE
        return response
    # A personal answer is tagged too (a client may compare versions; If-Match takes the tag), never kept.
    digest = hashlib.blake2b(_serialised(response), digest_size=10).hexdigest()
    version = str(headers.get("ETag", "")).strip('"')
    headers["ETag"] = f'"{version}-{digest}"' if version else f'"{digest}"'
    if times is None:
        headers["Cache-Control"] = PERSONAL
        return response
    headers["Cache-Control"] = cache_control(times)
    add_vary(response, *PERSONAL_HEADERS)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, str(headers["ETag"])):
        response.status_code = 304
        response.body = ""
        for name in ("Content-Type", "Content-Length"):
            headers.pop(name, None)
    return response
