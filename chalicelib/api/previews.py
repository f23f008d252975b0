"""POST /preview: a post or comment rendered as publishing would, for the console's editor and the widget."""

from __future__ import annotations

from typing import Any

from chalicelib.api.requests import caller, json_body, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.blog import clock
from chalicelib.services import services

previews = ApiBlueprint(__name__)


@previews.route("/preview", methods=["POST"])
def preview() -> dict[str, Any]:
    request = previews.current_request
    return services().previews.render(caller(request), json_body(request), source_address(request), clock.epoch())
