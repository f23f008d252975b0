"""Blueprints whose views answer domain errors with problem details.

Chalice turns any exception a view raises into its own 500 before middleware
sees it, so the mapping wraps each view as it is registered: one mechanism for
every route instead of a try/except in each. The same wrapper labels JSON
bodies as JSON, which Chalice leaves to API Gateway (and `chalice local` omits).

It also holds two rules for every route at once:

- every GET route answers HEAD too: the same status and headers, no body
  (caches, link checkers and feed readers ask with HEAD);
- a write (POST, PUT, PATCH, DELETE) refuses query parameters it does not
  take, with 422, as it refuses unknown body fields. Reads ignore the ones they
  do not know instead (blog/validation.py read_query): analytics tags and
  cache-busters are added to links by software the reader does not control;
- every answer gets its caching headers from caching.py: a read route says how
  its answers may be cached with ``cache=``, one of caching.CLASSES: ``"page"``
  (one post or comment), ``"list"`` (lists, comment pages, labels, archive),
  ``"feed"`` (feeds, sitemap) or ``"asset"`` (files that change with a release),
  e.g. ``@blueprint.route("/posts/{slug}/counts", methods=["GET"], cache="list")``.
  Without it the answer is ``no-store``: declare a class only for an answer that is
  the same for every anonymous reader of the same URL (a per-recipient token page,
  a signed form, liveness: leave it out). Whatever the class, an answer to a
  signed-in caller (Authorization, X-Edit-Token) is ``private, no-store``, an error
  and a write's answer ``no-store``. tests/api/test_caching.py lists every GET route's
  class, so a new route shows up there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Blueprint, Response

from chalicelib.api.caching import CLASSES, finish
from chalicelib.api.problems import from_exception
from chalicelib.errors import Invalid, Moved

ErrorRenderer = Callable[[Exception], Response]

_READS = frozenset(("GET", "HEAD", "OPTIONS"))


class ApiBlueprint(Blueprint):
    """A Blueprint whose views' errors are rendered by ``render_error`` (problem details by default).

    ``strict_write_query=False`` leaves writes' query strings unchecked (the RealWorld API,
    whose clients are not this project's).
    """

    def __init__(self, import_name: str, render_error: ErrorRenderer = from_exception,
                 strict_write_query: bool = True) -> None:
        super().__init__(import_name)
        self.render_error = render_error
        self.strict_write_query = strict_write_query

    def route(self, path: str, *, query: tuple[str, ...] = (), cache: str | None = None,
              **kwargs: Any) -> Callable[..., Any]:
        """Chalice's route; ``query`` names the query parameters a write takes (reads check their own),
        ``cache`` a read's cache class (caching.CLASSES; none: ``no-store``)."""
        if cache is not None and cache not in CLASSES:
            raise ValueError(f"unknown cache class {cache!r} for {path}; one of {', '.join(CLASSES)}")
        methods = [m.upper() for m in kwargs.pop("methods", ["GET"])]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        register = super().route(path, methods=methods, **kwargs)
        check_query = self.strict_write_query and not _READS.issuperset(methods)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def mapped(*args: Any, **view_kwargs: Any) -> Any:
                request = self.current_request
                try:
                    if check_query:
                        _refuse_unknown_query(request.query_params, query)
                    result = view(*args, **view_kwargs)
                except Moved as moved:
                    response = moved_to(path, {**view_kwargs, "slug": moved.slug}, request.query_params,
                                        request.method)
                except Exception as error:  # noqa: BLE001 - every failure gets a problem response
                    response = self.render_error(error)
                else:
                    response = result if isinstance(result, Response) else Response(body=result)
                    if not isinstance(response.body, str | bytes):
                        response.headers.setdefault("Content-Type", "application/json")
                response = finish(request, response, cache)
                if request.method == "HEAD":
                    response.body = ""
                return response

            mapped.cache_class = cache  # type: ignore[attr-defined]  # read by tests/api/test_caching.py
            register(mapped)
            return view

        return decorator


def moved_to(path: str, parameters: Mapping[str, str], query: Mapping[str, str] | None,
             method: str) -> Response:
    """A post asked for by an old slug: 301 to the same route under its current slug (308 for a write,
    which keeps its method and body). Not stored: a slug renamed back would otherwise loop in a cache."""
    location = path.format(**{name: quote(value, safe="") for name, value in parameters.items()})
    if query:
        location += "?" + urlencode(query)
    status = 301 if method in _READS else 308
    return Response(body="", status_code=status, headers={"Location": location})


def _refuse_unknown_query(params: Mapping[str, str] | None, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(params or {}) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "none"
        raise Invalid(f"unknown query parameter: {', '.join(unknown)[:200]} (this request takes {takes})",
                      {name[:64]: ["is not a parameter of this request"] for name in unknown})
