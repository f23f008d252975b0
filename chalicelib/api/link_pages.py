"""The small HTML pages that links in mail open: each shows what its button will do, and the button POSTs.

A GET changes nothing, since mail scanners open links on their own. The pages carry no
script, are never stored by any cache, and send no referrer (the token is in the URL).
"""

from __future__ import annotations

from html import escape

from chalice.app import Response

# What a page's button (or a mail client's RFC 8058 one-click) may send; the body is never read.
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]
_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def page(title: str, content: str) -> Response:
    """A page titled ``title`` (escaped here) around ``content`` (HTML the caller escaped)."""
    return Response(
        body=("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
              f"<title>{escape(title)}</title></head>"
              "<body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto\">"
              f"<h1>{escape(title)}</h1>{content}</body></html>"),
        status_code=200,
        headers=dict(_HEADERS),
    )
