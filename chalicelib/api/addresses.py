"""Where this API is, as the request reached it: the base of links that point back at the API.

Behind API Gateway the request context names the domain (``domainName``) and, on
an execute-api address, the stage is the first segment of the path. Under
`chalice local` there is no such context, so the Host header names it. The
scheme is the one the client used (API Gateway says so in X-Forwarded-Proto;
its endpoints are HTTPS only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.errors import BadRequest
from chalicelib.patterns import lazy

if TYPE_CHECKING:
    from chalice.app import Request

# A DNS name or an IPv4 address, or an IPv6 one in brackets; then an optional port.
_HOST = lazy(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")


def stage_root(request: Request) -> str:
    """The path prefix the API is served under: "/api" on an execute-api URL, "" on a custom domain or locally."""
    context = request.context or {}
    stage, path = context.get("stage"), context.get("path") or ""
    return f"/{stage}" if stage and path.startswith(f"/{stage}/") else ""


def api_url(request: Request) -> str:
    """The API's own base URL, without a trailing slash: ``https://abc.execute-api…/api``."""
    context = request.context or {}
    domain = context.get("domainName")
    host = str(domain or request.headers.get("host") or "")
    if not _HOST.match(host):
        # HTTP/1.1 requires Host (RFC 9112, section 3.2), and API Gateway always names its domain.
        raise BadRequest("the request must name its host (the Host header)", {"Host": ["is missing or not a host"]})
    forwarded = (request.headers.get("x-forwarded-proto") or "").lower()
    scheme = forwarded if forwarded in ("http", "https") else "https" if domain else "http"
    return f"{scheme}://{host}{stage_root(request)}"
