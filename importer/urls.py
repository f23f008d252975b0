"""Addresses of the source blog: one page under its many spellings, and the slug it becomes."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from chalicelib.blog.slugs import is_valid_slug, slugify

# Query parameters that name a page rather than track a visit (WordPress's ?p=N, ?page_id=N).
_PAGE_PARAMETERS = ("p", "page_id")
_PAGE_SUFFIXES = (".html", ".htm", ".php")


def url_key(url: str) -> str:
    """One key for every spelling of a page's address.

    http and https, "www." or not, a trailing slash or not, the case of the host,
    and any query string but a page parameter (tracking: utm_*, Twitter's
    t=1&cn=…, LinkedIn's lipi=…) and the fragment all give the same key.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/") or "/"
    kept = [f"{name}={value}" for name, value in parse_qsl(parts.query) if name in _PAGE_PARAMETERS]
    return host + path + ("?" + "&".join(kept) if kept else "")


def slug_from_url(url: str) -> str | None:
    """The slug a page's address suggests: Blogger's /2017/03/some-slug.html gives "some-slug"."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    segments = [s for s in unquote(parts.path).split("/") if s]
    if segments:
        last = segments[-1]
        for suffix in _PAGE_SUFFIXES:
            last = last.removesuffix(suffix)
        slug = last if is_valid_slug(last) else slugify(last)
        if slug and last not in ("index",):
            return slug
    for name, value in parse_qsl(parts.query):
        if name in _PAGE_PARAMETERS and value.isdigit():
            return f"{name.replace('_', '-')}-{value}"
    return None


def title_from_url(url: str) -> str:
    """A title for a page known only by its address: its last path segment as words ("/web/23-minutes/" gives
    "23 minutes"), else its host; never the raw address."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "(untitled)"
    segments = [s for s in unquote(parts.path).split("/") if s and s.lower() not in ("index.html", "index.php")]
    if segments:
        last = segments[-1]
        for suffix in _PAGE_SUFFIXES:
            last = last.removesuffix(suffix)
        words = " ".join(last.replace("-", " ").replace("_", " ").split())
        if words:
            return words[:1].upper() + words[1:]
    return (parts.hostname or "").removeprefix("www.") or "(untitled)"
