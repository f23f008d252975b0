"""Liveness and the API's own description.

openapi.json is written by hand and served as read: generating it from the routes and
field rules at import time would cost every cold start. The tests hold it to the code
instead (tests/openapi/test_openapi*.py: routes, every operation's replies, every field limit).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice.app import Request, Response

from chalicelib.api.problems import from_chalice_refusal
from chalicelib.api.routing import ApiBlueprint

meta = ApiBlueprint(__name__)

OPENAPI_PATH = Path(__file__).with_name("openapi.json")


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return loaded


@meta.route("/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok"}


@meta.route("/openapi.json", methods=["GET"], cache="asset")
def openapi() -> dict[str, Any]:
    return openapi_document()


# A blueprint's middleware is the whole app's: this one makes Chalice's own refusals (a 415 for a
# Content-Type the route does not take) problem details too. The RealWorld API under /api keeps
# Chalice's form, as it keeps its own error format.
@meta.middleware("http")
def chalice_refusals_as_problems(request: Request, get_response: Callable[[Request], Response]) -> Response:
    response = get_response(request)
    if str(request.context.get("resourcePath", "")).startswith("/api/"):
        return response
    return from_chalice_refusal(response)

