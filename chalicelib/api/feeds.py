"""Atom feeds and the sitemap over HTTP: XML bodies, labelled with their own media types."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.posts import path_slug
from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.blog.feeds import ATOM_TYPE, SITEMAP_TYPE
from chalicelib.services import services

feeds = ApiBlueprint(__name__)


@feeds.route("/feeds/posts.atom", methods=["GET"])
def posts_feed() -> Response:
    body = services().feeds.posts(query(feeds.current_request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/feeds/comments.atom", methods=["GET"])
def comments_feed() -> Response:
    body = services().feeds.comments(query(feeds.current_request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/posts/{slug}/comments.atom", methods=["GET"])
def post_comments_feed(slug: str) -> Response:
    body = services().feeds.post_comments(path_slug(slug), query(feeds.current_request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/sitemap.xml", methods=["GET"])
def sitemap() -> Response:
    body = services().feeds.sitemap(query(feeds.current_request))
    return Response(body=body, headers={"Content-Type": SITEMAP_TYPE})
