"""Accounts over HTTP: sign up, sign in (by password or a mailed link), who am I, my profile, sign out everywhere,
a mailed password reset, and an admin's role changes."""

from __future__ import annotations

from html import escape
from typing import Any

from chalice.app import Response

from chalicelib.api.link_pages import FORM_TYPES, page
from chalicelib.api.requests import form_or_json_body, is_form, json_body, query, signed_in, source_address
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


@auth.route("/auth/sign-out", methods=["POST"])
def sign_out() -> Response:
    services().accounts.sign_out(signed_in(auth.current_request))
    return Response(body="", status_code=204)


@auth.route("/users/{username}/role", methods=["PUT"])
def set_role(username: str) -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.set_role(signed_in(request), username, json_body(request))


@auth.route("/users", methods=["GET"])
def people() -> dict[str, Any]:
    request = auth.current_request
    return services().accounts.listing(signed_in(request), query(request))


@auth.route("/auth/password-reset", methods=["POST"])
def request_password_reset() -> Response:
    request = auth.current_request
    return Response(body=services().password_resets.request(json_body(request), source_address(request)),
                    status_code=202)


@auth.route("/auth/password-reset/confirm", methods=["GET"])
def show_password_reset() -> Response:
    token = str(query(auth.current_request).get("token") or "")
    link = services().password_resets.show(token)
    return page("Choose a new password",
                f"<p>For the account <strong>{escape(link.username)}</strong>. Every session signed in "
                "before ends; this link then no longer works.</p>"
                f"<form method=\"post\" action=\"{escape('?token=' + token)}\">"
                "<p><label>New password (at least 8 characters)<br><input type=\"password\" name=\"password\" "
                "autocomplete=\"new-password\" minlength=\"8\" maxlength=\"256\" required></label></p>"
                "<button type=\"submit\">Set the password</button></form>")


@auth.route("/auth/password-reset/confirm", methods=["POST"], content_types=FORM_TYPES, query=("token",))
def reset_password() -> Response:
    request = auth.current_request
    link = services().password_resets.check(query(request).get("token"))
    session = services().accounts.reset_password(link, form_or_json_body(request))
    # The mailed page's form gets a page; a client sending JSON (the widget, the console) gets the session.
    return page("Your password is set", "<p>Sign in with it now. Every older session has ended.</p>") \
        if is_form(request) else Response(body=session, status_code=200)


@auth.route("/auth/email-link", methods=["POST"])
def request_email_link() -> Response:
    request = auth.current_request
    return Response(body=services().email_sign_in.request(json_body(request), source_address(request)),
                    status_code=202)


@auth.route("/auth/email-link/confirm", methods=["GET"])
def show_email_link() -> Response:
    target = services().email_sign_in.page_target(str(query(auth.current_request).get("token") or ""))
    # A link, not a form: the widget on the blog's page signs in with the token from the fragment.
    return page("Sign in to comment",
                "<p>Continue to the blog's page, where the comment box signs you in. This link then no longer "
                f"works.</p><p><a href=\"{escape(target)}\" rel=\"noreferrer\">Continue and sign in</a></p>")


@auth.route("/auth/email-link/session", methods=["POST"])
def sign_in_by_email_link() -> dict[str, Any]:
    return services().email_sign_in.sign_in(json_body(auth.current_request))
