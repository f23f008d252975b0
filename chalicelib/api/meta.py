"""Liveness and the API's own description.

openapi.json is written by hand and served as read: generating it from the routes and
field rules at import time would cost every cold start. The tests hold it to the code
instead (tests/test_openapi*.py: routes, every operation's replies, every field limit).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

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


@meta.route("/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    return openapi_document()
