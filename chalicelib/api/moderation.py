"""Moderation over HTTP: the admin's queue, actions on a comment, the audit trail, and what the stage costs."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.requests import json_body, query, signed_in
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

moderation = ApiBlueprint(__name__)


@moderation.route("/moderation/comments", methods=["GET"])
def queue() -> dict[str, Any]:
    request = moderation.current_request
    return services().moderation.queue(signed_in(request), query(request))


@moderation.route("/moderation/comments/search", methods=["GET"])
def search_comments() -> dict[str, Any]:
    request = moderation.current_request
    return services().comment_search.search(signed_in(request), query(request))


@moderation.route("/comments/{comment_id}/moderate", methods=["POST"])
def moderate(comment_id: str) -> dict[str, Any]:
    request = moderation.current_request
    return services().moderation.act(signed_in(request), comment_id, json_body(request))


@moderation.route("/moderation/audit", methods=["GET"])
def audit() -> dict[str, Any]:
    request = moderation.current_request
    return services().moderation.audit(signed_in(request), query(request))


@moderation.route("/moderation/recent", methods=["GET"])
def recent() -> dict[str, Any]:
    request = moderation.current_request
    return services().moderation.recent(signed_in(request), query(request))


@moderation.route("/moderation/bans", methods=["GET"])
def bans() -> dict[str, Any]:
    request = moderation.current_request
    return services().bans.listing(signed_in(request), query(request))


@moderation.route("/moderation/bans", methods=["POST"])
def ban() -> Response:
    request = moderation.current_request
    return Response(body=services().bans.create(signed_in(request), json_body(request)), status_code=201)


@moderation.route("/moderation/bans/{ban_id}", methods=["DELETE"])
def lift_ban(ban_id: str) -> Response:
    services().bans.lift(signed_in(moderation.current_request), ban_id)
    return Response(body="", status_code=204)


@moderation.route("/moderation/settings", methods=["GET"])
def rules() -> dict[str, Any]:
    return services().moderation.rules(signed_in(moderation.current_request))


@moderation.route("/moderation/costs", methods=["GET"])
def costs() -> dict[str, Any]:
    request = moderation.current_request
    return services().costs.report(signed_in(request), query(request))
