"""The RealWorld (Conduit) API under /api, over the same services and table as the native API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib.api import conduit
from chalicelib.api.posts import path_slug
from chalicelib.api.requests import caller, json_body, query, signed_in, source_address
from chalicelib.api.routing import ApiBlueprint
from chalicelib.blog.status import Status
from chalicelib.blog.tokens import Principal
from chalicelib.blog.validation import page_window
from chalicelib.errors import followed
from chalicelib.services import services
from chalicelib.store.table import Item

if TYPE_CHECKING:
    from chalicelib.blog.social import Relations

realworld = ApiBlueprint(__name__, render_error=conduit.error, strict_write_query=False)

_SIGNUP = {"username": "username", "email": "email", "password": "password"}
_LOGIN = {"email": "email", "password": "password"}
_PROFILE = {"username": "username", "email": "email", "password": "password", "bio": "bio", "image": "image",
            "current_password": "current_password"}
# Conduit's settings forms send every field; the reference backend leaves these unchanged when one is "".
_BLANK_MEANS_UNCHANGED = ("username", "email", "password")
_NEW_ARTICLE = {"title": "title", "description": "summary", "body": "body", "tagList": "labels"}
_NEW_ARTICLE_REQUIRED = ("title", "description", "body")
_ARTICLE_CHANGES = {"title": "title", "description": "summary", "body": "body", "tagList": "labels"}


def _request() -> Request:
    request = realworld.current_request
    assert request is not None
    return request


# -- users and profiles -----------------------------------------------------------


@realworld.route("/users", methods=["POST"])
def register() -> Response:
    request = _request()
    session = services().accounts.signup(conduit.unwrap(json_body(request), "user", _SIGNUP), source_address(request))
    return Response(body=conduit.user(session), status_code=201)


@realworld.route("/users/login", methods=["POST"])
def login() -> dict[str, Any]:
    request = _request()
    fields = conduit.unwrap(json_body(request), "user", _LOGIN)
    return conduit.user(services().accounts.login(fields, source_address(request)))


@realworld.route("/user", methods=["GET"])
def current_user() -> dict[str, Any]:
    return conduit.user(services().accounts.me(signed_in(_request(), account_read_by_service=True)))


@realworld.route("/user", methods=["PUT"])
def update_user() -> dict[str, Any]:
    request = _request()
    changes = conduit.without_blanks(conduit.unwrap(json_body(request), "user", _PROFILE), _BLANK_MEANS_UNCHANGED)
    return conduit.user(services().accounts.update_profile(signed_in(request, account_read_by_service=True), changes))


@realworld.route("/profiles/{username}", methods=["GET"], cache="page")
def get_profile(username: str) -> dict[str, Any]:
    return {"profile": conduit.profile(services().social.profile(_reader(_request()), username), username)}


@realworld.route("/profiles/{username}/follow", methods=["POST"])
def follow(username: str) -> dict[str, Any]:
    return {"profile": conduit.profile(services().social.follow(signed_in(_request()), username), username)}


@realworld.route("/profiles/{username}/follow", methods=["DELETE"])
def unfollow(username: str) -> dict[str, Any]:
    return {"profile": conduit.profile(services().social.unfollow(signed_in(_request()), username), username)}


def _reader(request: Request) -> Principal | None:
    """The caller of a read whose answer is personalised by social.relations: the token is checked against
    the account in that same BatchGetItem (one round trip less), before anything personal is answered."""
    return caller(request, account_read_by_service=True)


# -- articles ---------------------------------------------------------------------


def _articles(viewer: Principal | None, items: list[Item], total: int) -> dict[str, Any]:
    posts = services().articles.summaries(items)
    relations = services().realworld.articles_page(viewer, posts, [str(i["slug"]) for i in items])
    return {"articles": [conduit.article(p, relations, with_body=False) for p in posts], "articlesCount": total}


def _article(shown: tuple[dict[str, Any], Relations]) -> dict[str, Any]:
    return {"article": conduit.article(*shown)}


@realworld.route("/articles", methods=["GET"], cache="list")
def list_articles() -> dict[str, Any]:
    request = _request()
    params = query(request)
    limit, offset = page_window(params)
    items, total = services().articles.listing(params.get("tag"), params.get("author"), params.get("favorited"),
                                               limit, offset)
    return _articles(_reader(request), items, total)


@realworld.route("/articles/feed", methods=["GET"])
def feed() -> dict[str, Any]:
    request = _request()
    # Checked before the feed's Query, not in its relations read: the feed is read by the viewer's current name.
    viewer = signed_in(request)
    return _articles(viewer, *services().articles.feed(viewer, *page_window(query(request))))


@realworld.route("/articles", methods=["POST"])
def create_article() -> Response:
    request = _request()
    fields = {**conduit.unwrap(json_body(request), "article", _NEW_ARTICLE, _NEW_ARTICLE_REQUIRED),
              "status": Status.PUBLISHED}
    return Response(body=_article(services().realworld.create(signed_in(request), fields)), status_code=201)


@realworld.route("/articles/{slug}", methods=["GET"], cache="page")
def get_article(slug: str) -> dict[str, Any]:
    return _article(services().realworld.article(caller(_request()), path_slug(slug)))


@realworld.route("/articles/{slug}", methods=["PUT"])
def update_article(slug: str) -> dict[str, Any]:
    request = _request()
    changes = conduit.unwrap(json_body(request), "article", _ARTICLE_CHANGES)
    return _article(services().realworld.update(signed_in(request), path_slug(slug), changes))


@realworld.route("/articles/{slug}", methods=["DELETE"])
def delete_article(slug: str) -> Response:
    viewer = signed_in(_request())
    followed(path_slug(slug), lambda s: services().posts.delete(viewer, s, None))
    return Response(body="", status_code=204)


@realworld.route("/articles/{slug}/favorite", methods=["POST"])
def favorite(slug: str) -> dict[str, Any]:
    return _article(services().realworld.favorite(signed_in(_request()), path_slug(slug), True))


@realworld.route("/articles/{slug}/favorite", methods=["DELETE"])
def unfavorite(slug: str) -> dict[str, Any]:
    return _article(services().realworld.favorite(signed_in(_request()), path_slug(slug), False))


# -- comments and tags --------------------------------------------------------------


@realworld.route("/articles/{slug}/comments", methods=["GET"], cache="list")
def list_comments(slug: str) -> dict[str, Any]:
    views, relations = services().realworld.comments_of(_reader(_request()), path_slug(slug))
    return {"comments": [conduit.comment(v, relations) for v in views]}


@realworld.route("/articles/{slug}/comments", methods=["POST"])
def add_comment(slug: str) -> dict[str, Any]:
    request = _request()
    fields = conduit.unwrap(json_body(request), "comment", {"body": "body"})
    # The caller's address, as natively: rate limits count per address, not for all of /api at once.
    commenter = signed_in(request, account_read_by_service=True)
    created = services().realworld.comment(commenter, path_slug(slug), fields, source_address(request))
    return {"comment": conduit.comment(*created)}


@realworld.route("/articles/{slug}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(slug: str, comment_id: str) -> Response:
    viewer = signed_in(_request())
    followed(path_slug(slug), lambda s: services().comments.delete(viewer, comment_id, None, on_post=s))
    return Response(body="", status_code=204)


@realworld.route("/tags", methods=["GET"], cache="list")
def tags() -> dict[str, Any]:
    return {"tags": services().post_lists.all_labels()}
