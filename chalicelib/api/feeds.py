"""Atom feeds and the sitemap over HTTP: XML bodies, labelled with their own media types.

A feed names itself (its id and rel="self" link) by the address it was fetched
from, the API's; its entries point at the blog (SITE_URL).
"""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.addresses import api_url
from chalicelib.api.posts import path_slug
from chalicelib.api.requests import query
from chalicelib.api.routing import ApiBlueprint
from chalicelib.services import services

feeds = ApiBlueprint(__name__)
ATOM_TYPE = "application/atom+xml; charset=utf-8"
SITEMAP_TYPE = "application/xml; charset=utf-8"


@feeds.route("/feeds/posts.atom", methods=["GET"], cache="feed")
def posts_feed() -> Response:
    request = feeds.current_request
    body = services().feeds.posts(query(request), api_url(request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/feeds/comments.atom", methods=["GET"], cache="feed")
def comments_feed() -> Response:
    body = services().feeds.comments(api_url(feeds.current_request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/posts/{slug}/comments.atom", methods=["GET"], cache="feed")
def post_comments_feed(slug: str) -> Response:
    body = services().feeds.post_comments(path_slug(slug), api_url(feeds.current_request))
    return Response(body=body, headers={"Content-Type": ATOM_TYPE})


@feeds.route("/sitemap.xml", methods=["GET"], cache="feed")
def sitemap() -> Response:
    body = services().feeds.sitemap()
    return Response(body=body, headers={"Content-Type": SITEMAP_TYPE})
