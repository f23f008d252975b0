"""Posts, labels and the archive over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice.app import Response

from chalicelib.api.caching import version_tag
from chalicelib.api.requests import caller, header, json_body, post_location, query, signed_in
from chalicelib.api.routing import ApiBlueprint
from chalicelib.blog.slugs import MAX_SLUG_LENGTH
from chalicelib.errors import NotFound
from chalicelib.services import services

posts = ApiBlueprint(__name__)


def path_slug(raw: str) -> str:
    # API Gateway and `chalice local` may hand over a Unicode slug still
    # percent-encoded; a real slug never contains "%", so decoding is safe.
    slug = unquote(raw)
    # No post has a longer slug, and DynamoDB refuses over-long keys with an
    # error that would otherwise surface as a 500.
    if len(slug) > MAX_SLUG_LENGTH:
        raise NotFound("there is no post at that address")
    return slug


@posts.route("/posts", methods=["GET"], cache="list")
def list_posts() -> dict[str, Any]:
    request = posts.current_request
    return services().post_lists.listing(caller(request), query(request))


@posts.route("/posts", methods=["POST"])
def create_post() -> Response:
    request = posts.current_request
    post = services().posts.create(signed_in(request), json_body(request), header(request, "idempotency-key"))
    headers: dict[str, str | list[str]] = {"Location": post_location(post["slug"]), "ETag": f'"{post["version"]}"'}
    return Response(body=post, status_code=201, headers=headers)


@posts.route("/posts/{slug}", methods=["GET"], cache="page")
def get_post(slug: str) -> Response:
    request = posts.current_request
    post, etag = services().posts.get(caller(request), path_slug(slug), query(request))
    return Response(body=post, headers={"ETag": etag})


@posts.route("/posts/{slug}", methods=["PATCH"])
def update_post(slug: str) -> Response:
    request = posts.current_request
    post, etag = services().posts.update(
        signed_in(request), path_slug(slug), json_body(request), version_tag(header(request, "if-match"))
    )
    return Response(body=post, headers={"ETag": etag})


@posts.route("/posts/{slug}", methods=["DELETE"])
def delete_post(slug: str) -> Response:
    request = posts.current_request
    services().posts.delete(signed_in(request), path_slug(slug), version_tag(header(request, "if-match")))
    return Response(body="", status_code=204)


@posts.route("/labels", methods=["GET"], cache="list")
def list_labels() -> dict[str, Any]:
    return services().post_lists.labels(query(posts.current_request))


@posts.route("/archive", methods=["GET"], cache="list")
def archive() -> dict[str, Any]:
    return services().post_lists.archive(query(posts.current_request))
