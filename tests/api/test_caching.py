"""HTTP caching as the app answers it (in process): which answers a shared cache may keep, and for how long.

tests/http/test_edge_cache.py puts a real cache (nginx) in front and checks the same through it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.api.caching import cache_control, version_tag
from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings, load_settings
from tests.conftest import Api, Blog

PUBLIC_LIST = "public, s-maxage=30, max-age=0, stale-while-revalidate=0"

# Every GET route and the cache class it declares (None: no-store). A new GET route must be
# added here: its author decides whether its answers may be shared (chalicelib/api/routing.py).
EXPECTED_CLASSES = {
    "/posts": "list",
    "/posts/{slug}": "page",
    "/posts/{slug}/comments": "list",
    "/posts/{slug}/comment-form": None,  # a form token signed at load time: one per reader
    "/posts/{slug}/comments.atom": "feed",
    "/posts/{slug}/comments.html": "page",
    "/comments/{comment_id}": "page",
    "/labels": "list",
    "/archive": "list",
    "/feeds/posts.atom": "feed",
    "/feeds/comments.atom": "feed",
    "/sitemap.xml": "feed",
    "/openapi.json": "asset",
    "/health": None,  # liveness must reach the function
    "/widget.js": "asset",
    "/widget.css": "asset",
    "/counts.js": "asset",
    "/widget-account.js": "asset",
    "/widget-passkeys.js": "asset",
    "/widget-oidc.js": "asset",
    "/i18n/{name}": "asset",
    "/counts": "list",
    "/search": "list",
    "/demo": "asset",
    "/demo/posts": "asset",
    "/demo/posts/{slug}": "asset",
    "/demo/{name}": "asset",
    "/auth/me": None,
    "/auth/passkeys": None,  # one account's own passkeys
    "/moderation/comments": None,
    "/moderation/comments/search": None,
    "/moderation/audit": None,
    "/moderation/bans": None,
    "/moderation/recent": None,
    "/moderation/settings": None,
    "/moderation/costs": None,
    "/users": None,
    "/admin": "asset",
    "/admin/{name}": "asset",
    "/unsubscribe": None,  # a page per recipient's token
    "/email/confirm": None,
    "/moderation/by-mail": None,  # a page per admin's signed link
    "/me/export": None,  # one person's own data
    "/data-requests/confirm": None,
    "/auth/password-reset/confirm": None,
    "/auth/email-link/confirm": None,
    "/auth/oidc/providers": "list",  # the stage's providers, the same for every reader
    "/auth/oidc/{provider}/start": None,  # a redirect with a new state and cookie each time
    "/auth/oidc/{provider}/callback": None,
    "/subscriptions/confirm": None,
    "/subscriptions/unsubscribe": None,
    "/api/user": None,
    "/api/articles/feed": None,  # a signed-in reader's own feed
    "/api/profiles/{username}": "page",
    "/api/articles": "list",
    "/api/articles/{slug}": "page",
    "/api/articles/{slug}/comments": "list",
    "/api/tags": "list",
}


def test_every_get_route_declares_whether_its_answers_may_be_shared() -> None:
    from app import app

    declared = {path: getattr(methods["GET"].view_function, "cache_class", "undeclared")
                for path, methods in app.routes.items() if "GET" in methods}

    assert declared == EXPECTED_CLASSES


def test_a_public_read_may_be_kept_by_shared_caches_for_its_class_times(api: Api, blog: Blog, slug: str) -> None:
    reply = api.get("/posts")

    assert reply.status == 200
    assert reply.headers["cache-control"] == PUBLIC_LIST
    assert reply.headers["vary"] == "Authorization, X-Edit-Token, Origin"
    assert reply.headers["etag"].startswith('"')


@pytest.mark.parametrize("path", ["/posts/hello-world?embed=comments", "/posts/hello-world/comments", "/labels",
                                  "/archive", "/feeds/posts.atom", "/sitemap.xml", "/openapi.json", "/widget.js"],
                         ids=["post-with-comments", "comment-page", "labels", "archive", "feed", "sitemap",
                              "openapi", "widget"])
def test_a_matching_validator_gets_a_304_without_a_body(api: Api, slug: str, path: str) -> None:
    first = api.get(path)

    again = api.get(path, headers={"If-None-Match": first.headers["etag"]})
    head = api.request("HEAD", path, headers={"If-None-Match": first.headers["etag"]})

    assert first.status == 200 and first.body
    assert (again.status, again.body, again.headers["etag"]) == (304, b"", first.headers["etag"])
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert (head.status, head.body) == (304, b"")


def test_a_new_comment_changes_the_validator_of_the_post_and_its_comment_page(api: Api, blog: Blog,
                                                                              slug: str) -> None:
    # Given a cache holding the post with its comments and the comment page
    post = api.get(f"/posts/{slug}?embed=comments")
    page = api.get(f"/posts/{slug}/comments")
    # When a reader comments (the post's version does not move)
    blog.comment(slug)
    # Then revalidating either gets the new body, not a 304
    for path, old in ((f"/posts/{slug}?embed=comments", post), (f"/posts/{slug}/comments", page)):
        fresh = api.get(path, headers={"If-None-Match": old.headers["etag"]})
        assert fresh.status == 200, path
        assert fresh.headers["etag"] != old.headers["etag"]
    assert api.get(f"/posts/{slug}").json["comment_count"] == 1


def test_a_signed_in_readers_answer_is_never_stored(api: Api, blog: Blog, slug: str) -> None:
    reader = blog.user()

    for path in ("/posts", f"/posts/{slug}", f"/posts/{slug}/comments", "/labels", "/feeds/posts.atom",
                 "/api/articles", f"/api/articles/{slug}"):
        reply = api.get(path, token=reader)
        assert reply.status == 200, path
        assert reply.headers["cache-control"] == "private, no-store", path


def test_a_held_comment_read_with_its_edit_token_is_never_stored(api: Api, blog: Blog, slug: str,
                                                                 configure: Callable[..., Settings]) -> None:
    configure(MODERATION="all")
    held = api.post(f"/posts/{slug}/comments", {"body": "Wait for me", "author_name": "Ann"})
    assert held.status == 202

    reply = api.get(f"/comments/{held.json['comment']['id']}", headers={"X-Edit-Token": held.json["edit_token"]})

    assert reply.status == 200
    assert reply.json["status"] == "pending"
    assert reply.headers["cache-control"] == "private, no-store"


def test_writes_and_errors_are_never_stored(api: Api, blog: Blog, slug: str) -> None:
    written = api.post(f"/posts/{slug}/comments", {"body": "Hi", "author_name": "Ann"})
    missing = api.get("/posts/no-such-post")
    refused = api.get("/posts?limit=0")
    form = api.get(f"/posts/{slug}/comment-form")
    health = api.get("/health")

    assert [r.status for r in (written, missing, refused, form, health)] == [201, 404, 422, 200, 200]
    for reply in (written, missing, refused, form, health):
        assert reply.headers["cache-control"] == "no-store"


def test_a_read_etag_is_accepted_as_if_match(api: Api, blog: Blog) -> None:
    author = blog.author()
    blog.post(author, title="Guarded")
    etag = api.get("/posts/guarded").headers["etag"]

    saved = api.patch("/posts/guarded", {"title": "Guarded well"}, token=author, headers={"If-Match": etag})
    stale = api.patch("/posts/guarded", {"title": "Guarded twice"}, token=author, headers={"If-Match": etag})

    assert saved.status == 200
    assert stale.status == 412


@pytest.mark.parametrize(("sent", "compared"), [
    ('"3-0123abcd"', '"3"'), ('"3"', '"3"'), ("*", "*"), ('"x-1"', '"x-1"'), ('"3-"', '"3"'), ("3-1", "3-1"),
], ids=["read-etag", "version", "star", "not-a-version", "empty-digest", "unquoted"])
def test_if_match_is_compared_by_the_version_it_names(sent: str, compared: str) -> None:
    assert version_tag(sent) == compared


def test_cache_times_are_set_per_stage() -> None:
    settings = load_settings({"CACHE_LIST": "120/10/5", "CACHE_PAGE": "0/0/0"})

    assert cache_control(settings.cache_times["list"]) == "public, s-maxage=120, max-age=10, stale-while-revalidate=5"
    assert cache_control(settings.cache_times["page"]) == "public, no-cache"
    assert settings.cache_times["feed"] == (300, 300, 300)


@pytest.mark.parametrize("raw", ["30", "30/0", "a/b/c", "30/-1/0", "30/0/0/0", ""],
                         ids=["one", "two", "words", "negative", "four", "empty"])
def test_a_malformed_cache_time_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="CACHE_LIST"):
        load_settings({"CACHE_LIST": raw})
