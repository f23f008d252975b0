"""Accounts over HTTP: sign up, sign in, who am I, my profile, sign out everywhere, and an admin's role changes."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.requests import json_body, query, signed_in, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

auth = ApiBlueprint(__name__)


@auth.route("/auth/signup", methods=["POST"])
def signup() -> Response:
    request = auth.current_request
    session = services().accounts.signup(json_body(request), source_address(request))
    return Response(body=session, status_code=201)


@auth.route("/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.login(json_body(request), source_address(request))


@auth.route("/auth/me", methods=["GET"])
def me() -> dict[str, Any]:
    return services().accounts.me(signed_in(auth.current_request, account_read_by_service=True))


@auth.route("/auth/me", methods=["PATCH"])
def update_me() -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.update_settings(signed_in(request, account_read_by_service=True), json_body(request))


@auth.route("/auth/sign-out-everywhere", methods=["POST"])
def sign_out_everywhere() -> Response:
    services().accounts.sign_out_everywhere(signed_in(auth.current_request))
    return Response(body="", status_code=204)


@auth.route("/users/{username}/role", methods=["PUT"])
def set_role(username: str) -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.set_role(signed_in(request), username, json_body(request))


@auth.route("/users", methods=["GET"])
def people() -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.listing(signed_in(request), query(request))
