"""Comments over HTTP: list, post, reply, edit and delete."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.addresses import api_url
from chalicelib.api.posts import path_slug
from chalicelib.api.requests import caller, header, json_body, query, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.blog.status import Status
from chalicelib.services import services

comments = ApiBlueprint(__name__)
# The fragment is only markup (blog/comment_fragment.py): opened on its own, nothing in it may run or load.
_FRAGMENT_HEADERS = {"Content-Type": "text/html; charset=utf-8",
                     "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'"}


@comments.route("/posts/{slug}/comments", methods=["GET"], cache="list")
def list_comments(slug: str) -> dict[str, Any]:
    return services().comments.listing(path_slug(slug), query(comments.current_request))


@comments.route("/posts/{slug}/comments", methods=["POST"])
def create_comment(slug: str) -> Response:
    request = comments.current_request
    commenter = caller(request, account_read_by_service=True)
    created = services().comments.create(commenter, path_slug(slug), json_body(request),
                                         source_address(request), header(request, "idempotency-key"),
                                         (header(request, "user-agent") or "", header(request, "referer") or ""))
    # 202: accepted, but held for moderation (visible to its author through the edit token).
    return Response(body=created, status_code=201 if created["comment"]["status"] == Status.APPROVED else 202)


@comments.route("/posts/{slug}/comment-form", methods=["GET"])
def comment_form(slug: str) -> dict[str, Any]:
    request = comments.current_request
    return services().comments.form(path_slug(slug), caller(request), source_address(request))


@comments.route("/comments/{comment_id}/vote", methods=["POST"])
def vote(comment_id: str) -> dict[str, Any]:
    request = comments.current_request
    return services().votes.vote(caller(request), comment_id, json_body(request), source_address(request),
                                 header(request, "x-voter-token"))


@comments.route("/comments/{comment_id}/reactions", methods=["POST"])
def react_to_comment(comment_id: str) -> dict[str, Any]:
    request = comments.current_request
    return services().reactions.react_to_comment(caller(request), comment_id, json_body(request),
                                                 source_address(request), header(request, "x-voter-token"))


@comments.route("/posts/{slug}/reactions", methods=["POST"])
def react_to_post(slug: str) -> dict[str, Any]:
    request = comments.current_request
    return services().reactions.react_to_post(caller(request), path_slug(slug), json_body(request),
                                              source_address(request), header(request, "x-voter-token"))


@comments.route("/comments/{comment_id}", methods=["GET"], cache="page")
def read_comment(comment_id: str) -> dict[str, Any]:
    request = comments.current_request
    return services().comments.read(caller(request), comment_id, header(request, "x-edit-token"))


@comments.route("/comments/{comment_id}", methods=["PATCH"])
def edit_comment(comment_id: str) -> dict[str, Any]:
    request = comments.current_request
    return services().comments.edit(
        caller(request), comment_id, header(request, "x-edit-token"), json_body(request), source_address(request)
    )


@comments.route("/comments/{comment_id}", methods=["DELETE"])
def delete_comment(comment_id: str) -> Response:
    request = comments.current_request
    services().comments.delete(caller(request), comment_id, header(request, "x-edit-token"))
    return Response(body="", status_code=204)


@comments.route("/posts/{slug}/comments.html", methods=["GET"], cache="page")
def comments_fragment(slug: str) -> Response:
    request = comments.current_request
    body = services().comments.fragment(path_slug(slug), query(request), api_url(request))
    return Response(body=body, headers=dict(_FRAGMENT_HEADERS))
