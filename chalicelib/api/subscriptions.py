"""Thread subscriptions over HTTP: asking for one, and the two links its mail carries (blog/subscriptions.py).

The links work as the other mailed links do (api/unsubscribe.py): GET shows a page with a
button and changes nothing, since mail scanners open links on their own; the button, or a
mail client's RFC 8058 one-click POST to the List-Unsubscribe URL, acts.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.link_pages import FORM_TYPES, page
from chalicelib.api.posts import path_slug
from chalicelib.api.requests import caller, json_body, query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

subscriptions = ApiBlueprint(__name__)

_BUTTON = "<form method=\"post\" action=\"\"><button type=\"submit\">{}</button></form>"


@subscriptions.route("/posts/{slug}/subscriptions", methods=["POST"])
def subscribe(slug: str) -> Response:
    request = subscriptions.current_request
    answer: dict[str, Any] = services().subscriptions.subscribe(caller(request), path_slug(slug), json_body(request))
    return Response(body=answer, status_code=202)


@subscriptions.route("/subscriptions/confirm", methods=["GET"])
def show_subscription_confirmation() -> Response:
    services().subscriptions.check_confirm(query(subscriptions.current_request))
    return page("Get new comments on this post by e-mail?",
                "<p>You will get at most one e-mail per window listing the new comments. "
                "Every e-mail has a link to stop them.</p>" + _BUTTON.format("Confirm"))


@subscriptions.route("/subscriptions/confirm", methods=["POST"], content_types=FORM_TYPES, query=("post", "token"))
def confirm_subscription() -> Response:
    services().subscriptions.confirm(query(subscriptions.current_request))
    return page("You are subscribed", "<p>New comments on this post will reach you in a digest.</p>")


@subscriptions.route("/subscriptions/unsubscribe", methods=["GET"])
def show_subscription_end() -> Response:
    services().subscriptions.check_stop(query(subscriptions.current_request))
    return page("Stop e-mail about this post?",
                "<p>You will get no more digests of new comments on this post.</p>" + _BUTTON.format("Unsubscribe"))


@subscriptions.route("/subscriptions/unsubscribe", methods=["POST"], content_types=FORM_TYPES,
                     query=("post", "token"))
def end_subscription() -> Response:
    services().subscriptions.stop(query(subscriptions.current_request))
    return page("You are unsubscribed", "<p>No more e-mail about this post will reach you.</p>")
