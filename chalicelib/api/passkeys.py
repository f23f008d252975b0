"""Passkeys over HTTP: add one to the signed-in account, sign in with one, list and remove one's own.

Each ceremony is two requests: options (a challenge, kept server-side for a few minutes) and the browser's
answer to them (blog/passkeys.py).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.requests import json_body, query, signed_in, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

passkeys = ApiBlueprint(__name__)


@passkeys.route("/auth/passkey-registration/options", methods=["POST"])
def registration_options() -> dict[str, Any]:
    return services().passkeys.registration_options(signed_in(passkeys.current_request, account_read_by_service=True))


@passkeys.route("/auth/passkeys", methods=["POST"])
def register() -> Response:
    request = passkeys.current_request
    added = services().passkeys.register(signed_in(request, account_read_by_service=True), json_body(request))
    return Response(body=added, status_code=201)


@passkeys.route("/auth/passkeys", methods=["GET"])
def listing() -> dict[str, Any]:
    request = passkeys.current_request
    return services().passkeys.listing(signed_in(request, account_read_by_service=True), query(request))


@passkeys.route("/auth/passkeys/{credential_id}", methods=["DELETE"])
def remove(credential_id: str) -> Response:
    services().passkeys.remove(signed_in(passkeys.current_request, account_read_by_service=True), credential_id)
    return Response(body="", status_code=204)


@passkeys.route("/auth/passkey-sign-in/options", methods=["POST"])
def sign_in_options() -> dict[str, Any]:
    return services().passkeys.sign_in_options(source_address(passkeys.current_request))


@passkeys.route("/auth/passkey-sign-in", methods=["POST"])
def sign_in() -> dict[str, Any]:
    return services().passkeys.sign_in(json_body(passkeys.current_request))
