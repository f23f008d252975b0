"""Blueprints whose views answer domain errors with problem details.

Chalice turns any exception a view raises into its own 500 before middleware
sees it, so the mapping wraps each view as it is registered: one mechanism for
every route instead of a try/except in each. The same wrapper labels JSON
bodies as JSON, which Chalice leaves to API Gateway (and `chalice local` omits).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.problems import from_exception

ErrorRenderer = Callable[[Exception], Response]


class ApiBlueprint(Blueprint):
    """A Blueprint whose views' errors are rendered by ``render_error`` (problem details by default)."""

    def __init__(self, import_name: str, render_error: ErrorRenderer = from_exception) -> None:
        super().__init__(import_name)
        self.render_error = render_error

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def mapped(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    result = view(*args, **view_kwargs)
                except Exception as error:  # noqa: BLE001 - every failure gets a problem response
                    return self.render_error(error)
                response = result if isinstance(result, Response) else Response(body=result)
                if not isinstance(response.body, str | bytes):
                    response.headers.setdefault("Content-Type", "application/json")
                return response

            register(mapped)
            return view

        return decorator
