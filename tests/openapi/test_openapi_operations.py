"""Every operation in the OpenAPI document, called for real: each reply must be one the document describes.

One scenario drives them all (one table and one set of accounts, so it stays quick). Each
operation has a step below, registered with ``@step(method, path)``; the step sends its
requests through a ``Send`` bound to that very operation, so a step cannot stand in for
another route by mistake. Every reply is checked with ``check_reply`` and every step
must get at least one success. A guard test fails when the document has an operation
without a step (or a step is left for one that is gone): a new route cannot slip through,
since test_openapi.py already holds the document to the registered routes.

The RealWorld API under /api is not in this document (it has its own public spec and its
own conformance suite, ``make conformance``), so it is not driven here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode

from jsonschema.exceptions import ValidationError

from chalicelib.blog import clock
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.conftest import ADMIN as ADMIN_NAME
from tests.conftest import Api, Blog, Reply
from tests.oidc_steps import CLIENT_ID as OIDC_CLIENT
from tests.oidc_steps import Browser, Forger, authorize_params, handoff_of
from tests.openapi_document import Operation, check_reply, load_document, operations, resolve
from tests.passkey_steps import Authenticator
from tests.passkey_steps import add_passkey as add_passkey_steps
from tests.sign_in_steps import sign_in_link


class Send:
    """Requests to one operation: path parameters fill its template, and every reply is kept."""

    def __init__(self, api: Api, path: str, method: str, replies: list[Reply] | None = None,
                 path_params: dict[str, str] | None = None) -> None:
        self.api = api
        self.path = path
        self.method = method
        self.replies: list[Reply] = [] if replies is None else replies
        self.path_params = path_params or {}

    def at(self, **path_params: str) -> Send:
        """The same operation with some path parameters given (replies still kept here)."""
        return Send(self.api, self.path, self.method, self.replies, {**self.path_params, **path_params})

    def __call__(self, *, query: str = "", body: Any = None, token: str | None = None,
                 headers: dict[str, str] | None = None, raw: bytes | None = None, **path_params: str) -> Reply:
        params = {**self.path_params, **path_params}
        names = re.findall(r"\{(\w+)\}", self.path)
        assert sorted(names) == sorted(params), f"{self.path} takes {names}, not {sorted(params)}"
        url = re.sub(r"\{(\w+)\}", lambda name: quote(params[name[1]], safe=""), self.path)
        reply = self.api.request(self.method.upper(), url + (f"?{query}" if query else ""), body, token=token,
                                 headers=headers, raw=raw)
        self.replies.append(reply)
        return reply


class Scene:
    """What the steps share: an author, one post with labels, an anonymous comment, the admin."""

    def __init__(self, api: Api, blog: Blog, configure: Callable[..., Settings]) -> None:
        self.api = api
        self.blog = blog
        self.configure = configure

    @cached_property
    def admin(self) -> str:
        return self.blog.admin()

    @cached_property
    def author(self) -> str:
        return self.blog.author("alice")

    @cached_property
    def slug(self) -> str:
        return str(self.blog.post(self.author, title="Ash Wednesday, 2017", labels=["Lent", "poetry"])["slug"])

    @cached_property
    def comment(self) -> dict[str, Any]:
        """An anonymous comment on the post that asked to hear of replies: ``{comment, edit_token, ...}``."""
        return self.blog.comment(self.slug, author_name="Bob", author_email="bob@example.com", notify_replies=True)

    @property
    def comment_id(self) -> str:
        return str(self.comment["comment"]["id"])

    @contextmanager
    def settings(self, **env: str) -> Iterator[None]:
        """The test stage's settings with ``env`` changed, for the ``with`` block only."""
        self.configure(**env)
        try:
            yield
        finally:
            self.configure()

    def held_comment(self, body: str) -> dict[str, Any]:
        """A comment held for moderation (the blog moderating everything while it is sent)."""
        with self.settings(MODERATION="all"):
            reply = self.api.post(f"/posts/{self.slug}/comments", {"body": body, "author_name": "Hal"})
        assert reply.status == 202, reply.body
        return dict(reply.json)


Step = Callable[[Scene, Send], None]
STEPS: dict[Operation, Step] = {}


def step(method: str, path: str) -> Callable[[Step], Step]:
    def register(function: Step) -> Step:
        assert (path, method) not in STEPS, f"two steps for {method.upper()} {path}"
        STEPS[(path, method)] = function
        return function
    return register


# -- meta and accounts ---------------------------------------------------------------------


@step("get", "/health")
def health(scene: Scene, send: Send) -> None:
    send()


@step("get", "/openapi.json")
def openapi(scene: Scene, send: Send) -> None:
    send()


@step("post", "/auth/signup")
def signup(scene: Scene, send: Send) -> None:
    send(body={"username": "maria", "email": "Maria@Example.com", "password": "correct horse battery"})
    send(body={"username": "maria", "email": "other@example.com", "password": "correct horse battery"})  # 409
    send(body={"username": "marta", "email": "marta@example.com", "password": "password1"})  # 422: common
    with scene.settings(SIGNUP_RATE_LIMIT="0/600"):
        assert send(body={"username": "marta", "email": "marta@example.com",
                          "password": "correct horse battery"}).status == 429


@step("post", "/auth/login")
def login(scene: Scene, send: Send) -> None:
    scene.blog.user("lena")
    send(body={"email": "LENA@example.com", "password": "correct horse battery"})
    send(body={"email": "lena@example.com", "password": "wrong horse battery"})  # 401
    with scene.settings(LOGIN_ADDRESS_LIMIT="0/600"):
        assert send(body={"email": "lena@example.com", "password": "correct horse battery"}).status == 429


@step("get", "/auth/me")
def me(scene: Scene, send: Send) -> None:
    send(token=scene.blog.user())
    send()  # 401 with WWW-Authenticate


@step("patch", "/auth/me")
def update_me(scene: Scene, send: Send) -> None:
    token = scene.blog.author("wren")
    send(body={"bio": "Writes.", "mail_held_comments": True}, token=token)
    send(body={"email": "x@example.com"}, token=token)  # 422: not changed here
    send(body={"mail_held_comments": True}, token=scene.blog.user())  # 403: a reader has no posts


@step("post", "/auth/sign-out")
def sign_out(scene: Scene, send: Send) -> None:
    token = scene.blog.user()
    send(token=token)
    send(token=token)  # 401: that session ended


@step("post", "/auth/sign-out-everywhere")
def sign_out_everywhere(scene: Scene, send: Send) -> None:
    token = scene.blog.user()
    send(token=token)
    send(token=token)  # 401: that token is revoked too


@step("put", "/users/{username}/role")
def set_role(scene: Scene, send: Send) -> None:
    scene.blog.user("rita")
    send(username="rita", body={"role": "author"}, token=scene.admin)
    send(username="nobody-here", body={"role": "author"}, token=scene.admin)  # 404


# -- posts ---------------------------------------------------------------------------------


@step("get", "/posts")
def list_posts(scene: Scene, send: Send) -> None:
    month = scene.api.get(f"/posts/{scene.slug}").json["published_at"][:7]
    scene.blog.post(scene.author, status="draft", title="Unfinished")  # a draft has no published_at
    for query in ("", "limit=1", "label=poetry", "label=poetry&status=published", "author=alice", "month=" + month,
                  "status=draft", "author=alice&status=draft", "author=alice&month=" + month):
        assert send(query=query, token=scene.author).status == 200, query
    # label narrows on its own, and unpublished posts have no month: these are refused.
    for query in ("label=poetry&author=alice", "label=poetry&month=" + month, "label=poetry&status=draft",
                  "status=draft&month=" + month):
        assert send(query=query, token=scene.author).status == 422, query


@step("post", "/posts")
def create_post(scene: Scene, send: Send) -> None:
    every_field = {"title": "Holy Saturday", "body": "Words *here*.", "summary": "Short.", "labels": ["Lent"],
                   "status": "published", "published_at": "2017-04-15T09:00:00Z", "slug": "holy-saturday",
                   "comments_closed": False}
    created = send(body=every_field, token=scene.author, headers={"Idempotency-Key": "holy-saturday-1"})
    assert created.status == 201, created.body
    assert send(body={"title": "Easter", "body": "b", "slug": "holy-saturday"}, token=scene.author).status == 409


@step("get", "/posts/{slug}")
def read_post(scene: Scene, send: Send) -> None:
    scene.blog.comment(scene.slug)
    scene.blog.comment(scene.slug)
    send(slug=scene.slug)
    assert send(slug=scene.slug, query="embed=comments&comments_limit=1").json["comments_next_cursor"]
    send(slug="no-such-post")  # 404


@step("patch", "/posts/{slug}")
def update_post(scene: Scene, send: Send) -> None:
    slug = scene.blog.post(scene.author, title="To be edited")["slug"]
    send(slug=slug, body={"summary": "Edited.", "comments_closed": True}, token=scene.author,
         headers={"If-Match": '"1"'})
    send(slug=slug, body={"title": "Stale"}, token=scene.author, headers={"If-Match": '"1"'})  # 412


@step("delete", "/posts/{slug}")
def delete_post(scene: Scene, send: Send) -> None:
    slug = scene.blog.post(scene.author, title="To be deleted")["slug"]
    send(slug=slug, token=scene.author, headers={"If-Match": '"1"'})


@step("get", "/labels")
def list_labels(scene: Scene, send: Send) -> None:
    assert scene.slug
    assert send(query="limit=1").json["next_cursor"] is not None  # two labels, one per page


@step("get", "/archive")
def archive(scene: Scene, send: Send) -> None:
    assert scene.slug
    assert send().json["items"]


# -- comments --------------------------------------------------------------------------------


@step("get", "/posts/{slug}/comment-form")
def comment_form(scene: Scene, send: Send) -> None:
    send(slug=scene.slug)


@step("post", "/posts/{slug}/comments")
def create_comment(scene: Scene, send: Send) -> None:
    form = scene.api.get(f"/posts/{scene.slug}/comment-form").json
    every_field = {"body": "First!", "parent_id": None, "author_name": "Ann", "author_email": "ann@example.com",
                   "author_website": "https://ann.example", "notify_replies": True, "homepage": None,
                   "form_token": form["form_token"]}
    # Sent quicker than a person types: 429 with Retry-After.
    assert send(slug=scene.slug, body=every_field).status == 429
    with scene.settings(MIN_FORM_SECONDS="0"):
        first = send(slug=scene.slug, body=every_field, headers={"Idempotency-Key": "first-comment"})
    assert first.status == 201, first.body
    reply = send(slug=scene.slug, body={"body": "A reply.", "parent_id": first.json["comment"]["id"]},
                 token=scene.blog.user())
    assert reply.status == 201, reply.body
    with scene.settings(MODERATION="all"):
        assert send(slug=scene.slug, body={"body": "Held for a look."}).status == 202


@step("get", "/posts/{slug}/comments")
def list_comments(scene: Scene, send: Send) -> None:
    assert scene.comment
    for sort in ("", "sort=newest", "sort=score"):
        assert send(slug=scene.slug, query=sort).json["items"], sort


@step("get", "/comments/{comment_id}")
def read_comment(scene: Scene, send: Send) -> None:
    send(comment_id=scene.comment_id)
    held = scene.held_comment("Only for my eyes, for now.")
    send(comment_id=held["comment"]["id"], headers={"X-Edit-Token": held["edit_token"]})
    send(comment_id=held["comment"]["id"])  # 404 to anybody else


@step("patch", "/comments/{comment_id}")
def edit_comment(scene: Scene, send: Send) -> None:
    send(comment_id=scene.comment_id, body={"body": "Edited."}, headers={"X-Edit-Token": scene.comment["edit_token"]})


@step("delete", "/comments/{comment_id}")
def delete_comment(scene: Scene, send: Send) -> None:
    doomed = scene.blog.comment(scene.slug)
    send(comment_id=doomed["comment"]["id"], headers={"X-Edit-Token": doomed["edit_token"]})


@step("post", "/comments/{comment_id}/vote")
def vote(scene: Scene, send: Send) -> None:
    send(comment_id=scene.comment_id, body={"value": 1}, headers={"X-Voter-Token": "browser-one"})
    send(comment_id=scene.comment_id, body={"value": -1}, token=scene.blog.user())


@step("post", "/comments/{comment_id}/reactions")
def react_to_comment(scene: Scene, send: Send) -> None:
    send(comment_id=scene.comment_id, body={"emoji": "\U0001f44d", "active": True}, headers={"X-Voter-Token": "b1"})
    send(comment_id=scene.comment_id, body={"emoji": "\U0001f44e", "active": True})  # not in the set: 422


@step("post", "/posts/{slug}/reactions")
def react_to_post(scene: Scene, send: Send) -> None:
    send(slug=scene.slug, body={"emoji": "\u2764\ufe0f", "active": True}, token=scene.blog.user())
    send(slug=scene.slug, body={"emoji": "\u2764\ufe0f", "active": False}, headers={"X-Voter-Token": "b1"})


@step("post", "/preview")
def preview(scene: Scene, send: Send) -> None:
    send(body={"kind": "comment", "body": "*Hello*"})
    send(body={"kind": "post", "body": "# Title"}, token=scene.author)
    send(body={"kind": "post", "body": "# Title"})  # 403: posts only for authors
    send(body={"kind": "comment", "body": ""})  # 422
    with scene.settings(PREVIEW_RATE_LIMIT="0/600"):
        assert send(body={"kind": "comment", "body": "Again"}).status == 429


# -- moderation --------------------------------------------------------------------------------


@step("get", "/moderation/comments")
def moderation_queue(scene: Scene, send: Send) -> None:
    scene.held_comment("Waiting in the queue.")
    assert send(token=scene.admin).json["items"]
    send(query="status=spam", token=scene.admin)
    send(token=scene.author)  # their own posts' queue
    send(token=scene.blog.user())  # 403


@step("get", "/moderation/comments/search")
def search_comments(scene: Scene, send: Send) -> None:
    assert send(query="q=anything", token=scene.admin).json["items"] == []
    send(query="q=%20", token=scene.admin)  # 422
    assert send(query="q=anything&cursor=forged.cursor", token=scene.admin).status == 400
    send(query="q=anything", token=scene.author)  # 403


@step("post", "/comments/{comment_id}/moderate")
def moderate(scene: Scene, send: Send) -> None:
    held = scene.held_comment("Approve me.")
    send(comment_id=held["comment"]["id"], body={"action": "approve"}, token=scene.admin)


def thread(scene: Scene) -> tuple[str, str]:
    """A post of its own (a lock there closes no other step's post) and a comment on it."""
    slug = str(scene.blog.post(scene.author)["slug"])
    return slug, str(scene.blog.comment(slug)["comment"]["id"])


@step("put", "/posts/{slug}/pin")
def pin(scene: Scene, send: Send) -> None:
    slug, comment_id = thread(scene)
    assert send(slug=slug, body={"comment_id": comment_id}, token=scene.admin).status == 200
    assert send(slug=slug, body={"comment_id": comment_id}, token=scene.admin).status == 409
    assert send(slug=slug, body={"comment_id": 7}, token=scene.admin).status == 422
    assert send(slug=slug, body={"comment_id": comment_id}).status == 401
    assert send(slug=slug, body={"comment_id": comment_id}, token=scene.blog.user()).status == 403
    assert send(slug="no-such-post", body={"comment_id": comment_id}, token=scene.admin).status == 404


@step("delete", "/posts/{slug}/pin")
def unpin(scene: Scene, send: Send) -> None:
    slug, comment_id = thread(scene)
    assert scene.api.put(f"/posts/{slug}/pin", {"comment_id": comment_id}, token=scene.author).status == 200
    assert send(slug=slug, token=scene.author).status == 200
    assert send(slug=slug, token=scene.author).status == 409


@step("put", "/posts/{slug}/lock")
def lock(scene: Scene, send: Send) -> None:
    slug, _ = thread(scene)
    assert send(slug=slug, token=scene.admin).status == 200
    assert send(slug=slug, token=scene.admin).status == 409
    assert send(slug="no-such-post", token=scene.admin).status == 404


@step("delete", "/posts/{slug}/lock")
def unlock(scene: Scene, send: Send) -> None:
    slug, _ = thread(scene)
    assert scene.api.put(f"/posts/{slug}/lock", token=scene.admin).status == 200
    assert send(slug=slug, token=scene.author).status == 403  # an admin's lock
    assert send(slug=slug, token=scene.admin).status == 200
    assert send(slug=slug, token=scene.admin).status == 409


def admin_account() -> dict[str, Any]:
    found = services().table.get(keys.user(ADMIN_NAME))
    assert found is not None
    return dict(found)


@step("get", "/moderation/by-mail")
def show_moderation_link(scene: Scene, send: Send) -> None:
    held = scene.held_comment("Moderate me by mail.")["comment"]["id"]
    link = services().moderation_mail.link(services().moderation.threads.locate(held), "approve", admin_account(),
                                           clock.epoch() + 600)
    send(query=link.split("?")[1])
    send(query="token=forged")  # 403
    send()  # 400


@step("post", "/moderation/by-mail")
def moderate_by_mail(scene: Scene, send: Send) -> None:
    assert scene.admin
    held = scene.held_comment("Approve me by mail.")["comment"]["id"]
    token = services().moderation_mail.link(services().moderation.threads.locate(held), "approve", admin_account(),
                                            clock.epoch() + 600).split("token=")[1]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    send(query="token=" + token, headers=form, raw=b"")
    send(query="token=" + token, headers=form, raw=b"")  # 409: used


@step("get", "/moderation/audit")
def moderation_audit(scene: Scene, send: Send) -> None:
    held = scene.held_comment("Mark me as spam.")
    scene.api.post(f"/comments/{held['comment']['id']}/moderate", {"action": "spam"}, token=scene.admin)
    assert send(token=scene.admin).json["items"]
    assert send(query=f"post={quote(scene.slug)}", token=scene.admin).json["items"]


@step("post", "/moderation/bans")
def ban(scene: Scene, send: Send) -> None:
    assert scene.comment
    send(body={"by": "address", "comment_id": scene.comment_id, "mode": "shadow", "reason": "flood", "days": 7},
         token=scene.admin)
    send(body={"by": "email", "email": "spam@example.com"}, token=scene.admin)
    send(body={"by": "account", "account": ADMIN_NAME}, token=scene.admin)  # 403: an admin
    send(body={"by": "email", "email": "spam@example.com"}, token=scene.author)  # 403
    send(body={"by": "email", "reason": "x" * 301}, token=scene.admin)  # 422


@step("get", "/moderation/bans")
def list_bans(scene: Scene, send: Send) -> None:
    scene.api.post("/moderation/bans", {"by": "email", "email": "listed@example.com"}, token=scene.admin)
    assert send(token=scene.admin).json["items"]
    send(token=scene.author)  # 403


@step("delete", "/moderation/bans/{ban_id}")
def lift_ban(scene: Scene, send: Send) -> None:
    made = scene.api.post("/moderation/bans", {"by": "email", "email": "lifted@example.com"}, token=scene.admin)
    send(ban_id=made.json["id"], token=scene.admin)
    send(ban_id=made.json["id"], token=scene.admin)  # 404
    send(ban_id="user:BAD", token=scene.admin)  # 422


@step("get", "/moderation/recent")
def moderation_recent(scene: Scene, send: Send) -> None:
    assert scene.comment
    assert send(token=scene.admin).json["items"]
    send(token=scene.author)  # 403


@step("get", "/moderation/settings")
def moderation_settings(scene: Scene, send: Send) -> None:
    assert send(token=scene.admin).json["moderation"] == "off"
    send(token=scene.author)  # 403
    send()  # 401


@step("get", "/moderation/costs")
def moderation_costs(scene: Scene, send: Send) -> None:
    assert [p["period"] for p in send(token=scene.admin).json["periods"]] == ["today", "7d", "month"]
    assert send(query="period=month", token=scene.admin).json["periods"][0]["period"] == "month"
    send(query="period=year", token=scene.admin)  # 422
    send(token=scene.author)  # 403
    send()  # 401


@step("get", "/users")
def list_users(scene: Scene, send: Send) -> None:
    assert scene.author
    assert send(token=scene.admin).json["items"]
    send(token=scene.author)  # 403


# -- feeds and unsubscribing ---------------------------------------------------------------------


@step("get", "/feeds/posts.atom")
def posts_feed(scene: Scene, send: Send) -> None:
    assert scene.slug
    send()
    send(query="label=poetry")


@step("get", "/feeds/comments.atom")
def comments_feed(scene: Scene, send: Send) -> None:
    assert scene.comment
    send()


@step("get", "/posts/{slug}/comments.atom")
def post_comments_feed(scene: Scene, send: Send) -> None:
    assert scene.comment
    send(slug=scene.slug)


@step("get", "/posts/{slug}/comments.html")
def comments_fragment(scene: Scene, send: Send) -> None:
    assert scene.comment
    send(slug=scene.slug)
    send(slug=scene.slug, query="limit=0")  # 422
    send(slug="no-such-post")  # 404


@step("get", "/sitemap.xml")
def sitemap(scene: Scene, send: Send) -> None:
    assert scene.slug
    send()


def unsubscribe_token(address: str) -> str:
    """The token a notification to ``address`` carries in its List-Unsubscribe link."""
    return services().notifications.unsubscribe_token(address)


@step("get", "/unsubscribe")
def confirm_unsubscribe(scene: Scene, send: Send) -> None:
    send(query="token=" + unsubscribe_token("bob@example.com"))
    send()  # 400: no token
    send(query="token=forged.token")  # 403


@step("post", "/unsubscribe")
def unsubscribe(scene: Scene, send: Send) -> None:
    send(query="token=" + unsubscribe_token("bob@example.com"), raw=b"List-Unsubscribe=One-Click",
         headers={"Content-Type": "application/x-www-form-urlencoded"})


def confirmation_token(address: str) -> str:
    """The token a confirmation request to ``address`` carries in its link (valid for an hour here)."""
    return services().notifications.confirm_token(address, clock.epoch() + 3600)


@step("get", "/email/confirm")
def show_email_confirmation(scene: Scene, send: Send) -> None:
    send(query="token=" + confirmation_token("bob@example.com"))
    send()  # 400: no token
    send(query="token=forged.token")  # 403


@step("post", "/email/confirm")
def confirm_email(scene: Scene, send: Send) -> None:
    send(query="token=" + confirmation_token("bob@example.com"), raw=b"",
         headers={"Content-Type": "application/x-www-form-urlencoded"})
    send(query="token=forged.token", raw=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})


# -- thread subscriptions --------------------------------------------------------------------------


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@step("post", "/posts/{slug}/subscriptions")
def subscribe(scene: Scene, send: Send) -> None:
    assert send(slug=scene.slug, body={"email": "sue@example.com"}).status == 202
    assert send(slug=scene.slug, body={"email": "sue@example.com"}, token=scene.blog.user()).status == 202
    assert send(slug=scene.slug, body={"email": "not an address"}).status == 422
    assert send(slug="no-such-post", body={"email": "sue@example.com"}).status == 404


def subscription_query(slug: str, address: str, confirm: bool) -> str:
    subscriptions = services().subscriptions
    digest = services().antispam.email_hash(address)
    token = subscriptions.confirm_token(slug, digest, clock.epoch()) if confirm else subscriptions.stop_token(
        slug, digest)
    return urlencode({"post": slug, "token": token})


@step("get", "/subscriptions/confirm")
def show_subscription_confirmation(scene: Scene, send: Send) -> None:
    send(query=subscription_query(scene.slug, "sue@example.com", confirm=True))
    send()  # 400: no post or token
    send(query=urlencode({"post": scene.slug, "token": "forged.token"}))  # 403


@step("post", "/subscriptions/confirm")
def confirm_subscription(scene: Scene, send: Send) -> None:
    assert scene.api.post(f"/posts/{scene.slug}/subscriptions", {"email": "sal@example.com"}).status == 202
    digest = services().antispam.email_hash("sal@example.com")
    asked = services().table.get(keys.subscription(scene.slug, digest))
    assert asked is not None
    token = services().subscriptions.confirm_token(scene.slug, digest, int(asked["requested_at"]))
    assert send(query=urlencode({"post": scene.slug, "token": token}), raw=b"", headers=_FORM).status == 200
    send(query=urlencode({"post": scene.slug, "token": "forged.token"}), raw=b"", headers=_FORM)


@step("get", "/subscriptions/unsubscribe")
def show_subscription_end(scene: Scene, send: Send) -> None:
    send(query=subscription_query(scene.slug, "sue@example.com", confirm=False))
    send(query="post=" + scene.slug)  # 400: no token


@step("post", "/subscriptions/unsubscribe")
def end_subscription(scene: Scene, send: Send) -> None:
    send(query=subscription_query(scene.slug, "sue@example.com", confirm=False),
         raw=b"List-Unsubscribe=One-Click", headers=_FORM)
    send(query=urlencode({"post": scene.slug, "token": "forged.token"}), raw=b"", headers=_FORM)  # 403


# -- personal data ----------------------------------------------------------------------------------


@step("get", "/me/export")
def export_my_data(scene: Scene, send: Send) -> None:
    token = scene.blog.user("exporter")
    scene.blog.comment(scene.slug, token, body="Mine to take away.")
    first = send(query="limit=1", token=token)
    send(query="cursor=" + first.json["next_cursor"], token=token)
    send()  # 401
    send(query="cursor=forged.cursor", token=token)  # 400


@step("delete", "/me")
def delete_my_account(scene: Scene, send: Send) -> None:
    token = scene.blog.user("leaver")
    send(body={"comments": "burn"}, token=token)  # 422
    send(body={"comments": "tombstone", "current_password": "not the password"}, token=token)  # 403
    send(body={"comments": "anonymous"}, token=token)
    send(body={"comments": "anonymous"}, token=token)  # 401: that token ended with the account


def data_link(action: str) -> str:
    return services().personal_data.link_token("0" * 32, action, "01J00000000000000000000000", clock.epoch() + 60)


@step("post", "/data-requests")
def request_data_link(scene: Scene, send: Send) -> None:
    send(body={"email": "ann@example.com", "action": "export"})
    send(body={"email": "ann@example.com", "action": "leave"})  # 422


@step("get", "/data-requests/confirm")
def show_data_link(scene: Scene, send: Send) -> None:
    send(query="token=" + data_link("delete"))
    send(query="token=" + data_link("export"))
    send()  # 400: no token
    send(query="token=forged.token")  # 403


@step("post", "/data-requests/confirm")
def act_on_data_link(scene: Scene, send: Send) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    send(query="token=" + data_link("export"), raw=b"", headers=form)
    send(query="token=" + data_link("delete") + "&comments=tombstone", raw=b"", headers=form)
    send(query="token=" + data_link("delete") + "&comments=tombstone", raw=b"", headers=form)  # 403: spent
    send(query="token=forged.token", raw=b"", headers=form)  # 403


def reset_link(username: str) -> str:
    account = services().table.get(keys.user(username))
    assert account is not None
    return services().password_resets.token(account, clock.epoch() + 60)


@step("post", "/auth/password-reset")
def request_password_reset(scene: Scene, send: Send) -> None:
    send(body={"email": "bob@example.com"})
    send(body={"email": "not an address"})  # 422


@step("get", "/auth/password-reset/confirm")
def show_password_reset(scene: Scene, send: Send) -> None:
    scene.blog.user("forgetful")
    send(query="token=" + reset_link("forgetful"))
    send()  # 400: no token
    send(query="token=forged.token")  # 403


@step("post", "/auth/password-reset/confirm")
def reset_password(scene: Scene, send: Send) -> None:
    scene.blog.user("resetter")
    link = "token=" + reset_link("resetter")
    send(query=link, body={"password": "abcdefgh"})  # 422: a sequence
    send(query=link, body={"password": "a freshly chosen passphrase"})
    send(query=link, body={"password": "another fresh passphrase"})  # 403: spent
    scene.blog.user("formfiller")
    send(query="token=" + reset_link("formfiller"), raw=b"password=a+third+passphrase",
         headers={"Content-Type": "application/x-www-form-urlencoded"})


@step("post", "/auth/email-link")
def request_email_link(scene: Scene, send: Send) -> None:
    send(body={"email": "newcomer@example.com", "return_to": "https://blog.test.example/posts/hello"})
    send(body={"email": "newcomer@example.com", "return_to": "https://elsewhere.example/"})  # 422


@step("get", "/auth/email-link/confirm")
def show_email_link(scene: Scene, send: Send) -> None:
    send(query="token=" + sign_in_link(clock.epoch() + 60))
    send()  # 400: no token
    send(query="token=forged.token")  # 403


@step("post", "/auth/email-link/session")
def sign_in_by_email_link(scene: Scene, send: Send) -> None:
    token = sign_in_link(clock.epoch() + 60, "linked@example.com")
    send(body={"token": token})  # 422: a new reader names themselves
    send(body={"token": token, "username": "root"})  # 409: reserved
    send(body={"token": token, "username": "linked"})
    send(body={"token": token, "username": "linked"})  # 403: spent


# Passkeys: the default relying party (localhost) takes any http://localhost:PORT page, as `make run` serves them.
LOCAL_PAGE = "http://localhost:8000"


@step("post", "/auth/passkey-registration/options")
def passkey_registration_options(scene: Scene, send: Send) -> None:
    send(token=scene.blog.user("keyholder1"))
    send()  # 401


@step("post", "/auth/passkeys")
def add_passkey(scene: Scene, send: Send) -> None:
    token = scene.blog.user("keyholder2")
    started = scene.api.post("/auth/passkey-registration/options", token=token).json
    answer = {"ceremony": started["ceremony"], "credential": Authenticator(LOCAL_PAGE).create(started["publicKey"])}
    send(body={**answer, "credential": {**answer["credential"], "rawId": "not base64url!"}}, token=token)  # 400
    send(body={**answer, "name": "Phone"}, token=token)
    send(body=answer, token=token)  # 403: the challenge was used


@step("get", "/auth/passkeys")
def list_passkeys(scene: Scene, send: Send) -> None:
    token = scene.blog.user("keyholder3")
    add_passkey_steps(scene.api, token, Authenticator(LOCAL_PAGE))
    send(token=token)
    send(query="limit=1", token=token)
    send()  # 401


@step("delete", "/auth/passkeys/{credential_id}")
def remove_passkey(scene: Scene, send: Send) -> None:
    token = scene.blog.user("keyholder4")
    added = add_passkey_steps(scene.api, token, Authenticator(LOCAL_PAGE))
    send(credential_id=added["id"], token=token)
    send(credential_id=added["id"], token=token)  # 404


@step("post", "/auth/passkey-sign-in/options")
def passkey_sign_in_options(scene: Scene, send: Send) -> None:
    send()


@step("post", "/auth/passkey-sign-in")
def sign_in_with_passkey(scene: Scene, send: Send) -> None:
    authenticator = Authenticator(LOCAL_PAGE)
    add_passkey_steps(scene.api, scene.blog.user("keyholder5"), authenticator)
    started = scene.api.post("/auth/passkey-sign-in/options").json
    answer = {"ceremony": started["ceremony"], "credential": authenticator.get(started["publicKey"])}
    send(body=answer)
    send(body=answer)  # 403: the challenge was used
    started = scene.api.post("/auth/passkey-sign-in/options").json
    stranger = Authenticator(LOCAL_PAGE).get(started["publicKey"])
    send(body={"ceremony": started["ceremony"], "credential": stranger})  # 401: a passkey not registered here
@contextmanager
def oidc_issuer(scene: Scene) -> Iterator[Forger]:
    """An issuer on a local port (tests/oidc_steps.py), configured as the provider "forged"."""
    with Forger().serve() as forger:
        scene.configure(OIDC_PROVIDERS=f"forged|Forged ID|{forger.issuer}|{OIDC_CLIENT}")
        yield forger


def oidc_answer(scene: Scene, forger: Forger, browser: Browser, who: str) -> str:
    """A start, and the query the issuer sends back to the callback, signing ``who`` in."""
    params = authorize_params(browser.start("forged"))
    forger.challenges["code-1"] = params["code_challenge"]
    claims = forger.good_claims(params["nonce"], clock.epoch(), sub=who, email=f"{who}@idp.example",
                                preferred_username=who)
    forger.answer = lambda sent: {"id_token": forger.id_token(claims)}
    return f"code=code-1&state={params['state']}"


@step("get", "/auth/oidc/providers")
def list_oidc_providers(scene: Scene, send: Send) -> None:
    send()
    with oidc_issuer(scene):
        send()


@step("get", "/auth/oidc/{provider}/start")
def start_oidc_sign_in(scene: Scene, send: Send) -> None:
    with oidc_issuer(scene):
        send(provider="forged", query="return_to=https%3A%2F%2Fblog.test.example%2Fposts%2Fhello")
        send(provider="forged", query="return_to=https%3A%2F%2Felsewhere.example%2F")  # 422
        send(provider="nobody")  # 404


@step("get", "/auth/oidc/{provider}/callback")
def finish_oidc_sign_in(scene: Scene, send: Send) -> None:
    with oidc_issuer(scene) as forger:
        browser = Browser(scene.api)
        answer = oidc_answer(scene, forger, browser, "oidcfirst")
        send(provider="forged", query=answer, headers={"Cookie": browser.cookie})
        send(provider="forged", query=answer, headers={"Cookie": browser.cookie})  # 403: replayed
        send(provider="forged", query="code=x")  # 400: no state


@step("post", "/auth/oidc/session")
def sign_in_with_oidc_hand_off(scene: Scene, send: Send) -> None:
    with oidc_issuer(scene) as forger:
        browser = Browser(scene.api)
        handoff = handoff_of(browser.callback(oidc_answer(scene, forger, browser, "oidcsecond"), provider="forged"))
    send(body={"handoff": handoff})
    send(body={"handoff": handoff})  # 403: used


# -- the widget and the demo blog -------------------------------------------------------------------


def fetch_twice(send: Send) -> None:
    """A file, then the same file again with its ETag: 200, then 304."""
    first = send()
    assert first.status == 200, first.body
    assert send(headers={"If-None-Match": first.headers["etag"]}).status == 304


@step("get", "/widget.js")
def widget_script(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/widget.css")
def widget_style(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/demo")
def demo_index(scene: Scene, send: Send) -> None:
    assert send().status == 404  # the test stage, like dev and prod, has no demo blog
    with scene.settings(DEMO_PAGES="true"):
        fetch_twice(send)


@step("get", "/demo/posts")
def demo_index_at_the_feeds_address(scene: Scene, send: Send) -> None:
    with scene.settings(DEMO_PAGES="true"):
        fetch_twice(send)


@step("get", "/demo/posts/{slug}")
def demo_post(scene: Scene, send: Send) -> None:
    with scene.settings(DEMO_PAGES="true"):
        fetch_twice(send.at(slug=scene.slug))


@step("get", "/demo/{name}")
def demo_asset(scene: Scene, send: Send) -> None:
    with scene.settings(DEMO_PAGES="true"):
        fetch_twice(send.at(name="demo.js"))
        fetch_twice(send.at(name="demo.css"))
        assert send(name="post.html").status == 404


@step("get", "/counts")
def comment_counts(scene: Scene, send: Send) -> None:
    assert send(query=f"posts={scene.slug},no-such-post").status == 200
    assert send(query="posts=Not%20A%20Slug").status == 422


@step("get", "/search")
def search_posts(scene: Scene, send: Send) -> None:
    assert send(query="q=anything").status == 200
    assert send(query="q=%20").status == 422
    assert send(query="q=anything&cursor=forged.cursor").status == 400


@step("get", "/widget-account.js")
def widget_account_script(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/widget-passkeys.js")
def widget_passkeys_script(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/widget-oidc.js")
def widget_oidc_script(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/counts.js")
def counts_script(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/i18n/{name}")
def widget_messages(scene: Scene, send: Send) -> None:
    fetch_twice(send.at(name="ru.json"))
    assert send(name="en.json").status == 404  # built into the widget
# -- the admin console --------------------------------------------------------------------------------


@step("get", "/admin")
def admin_console(scene: Scene, send: Send) -> None:
    fetch_twice(send)


@step("get", "/admin/{name}")
def admin_asset(scene: Scene, send: Send) -> None:
    fetch_twice(send.at(name="admin.js"))
    fetch_twice(send.at(name="admin.css"))
    assert send(name="index.html").status == 404


# -- the scenario and its guard ---------------------------------------------------------------------


def redirects_only(document: dict[str, Any], path: str, method: str) -> set[int]:
    """An operation whose only success is a redirect (OIDC's start and callback): its 302s count as successes."""
    codes = set(document["paths"][path][method]["responses"])
    return set() if any(code.startswith("2") for code in codes) else {302} & {int(c) for c in codes if c.isdigit()}


def test_every_documented_operation_has_a_step() -> None:
    documented = operations(load_document())
    assert [op for op in documented if op not in STEPS] == [], "operations in the document that no step calls"
    assert [op for op in STEPS if op not in documented] == [], "steps for operations the document lacks"


def test_a_real_reply_of_every_operation_matches_the_document(
        api: Api, blog: Blog, configure: Callable[..., Settings], document: dict[str, Any]) -> None:
    # Given one blog that every step adds to
    scene = Scene(api, blog, configure)
    failures: list[str] = []
    for (path, method), run in STEPS.items():
        # When each operation is called for real
        send = Send(api, path, method)
        try:
            run(scene, send)
            # Then it succeeded at least once, and every reply is as documented
            statuses = [reply.status for reply in send.replies]
            assert any(200 <= status < 300 or status in redirects_only(document, path, method)
                       for status in statuses), f"no success: {statuses}"
            for reply in send.replies:
                check_reply(document, reply, path, method)
        except (AssertionError, ValidationError) as failure:
            failures.append(f"{method.upper()} {path}: {str(failure).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def query_parameters(document: dict[str, Any], path: str, method: str) -> dict[str, dict[str, Any]]:
    """The operation's documented query parameters (its path item's too), by name."""
    found = {}
    for parameter in [*document["paths"][path].get("parameters", []),
                      *document["paths"][path][method].get("parameters", [])]:
        parameter = resolve(document, parameter)
        if parameter["in"] == "query":
            found[parameter["name"]] = parameter
    return found


def sample_value(parameter: dict[str, Any]) -> str:
    """A value the parameter's schema allows: its default, first option or example, or any text."""
    schema = parameter["schema"]
    value = schema.get("default", (schema.get("enum") or [parameter.get("example", "x")])[0])
    return str(value)


def test_reads_ignore_unknown_query_parameters_and_take_every_documented_one(
        api: Api, blog: Blog, document: dict[str, Any]) -> None:
    # Given a post, and the admin, who may call every list
    admin = blog.admin()
    slug = str(blog.post(admin)["slug"])
    checked = 0
    for path, method in operations(document):
        if method != "get" or not query_parameters(document, path, method):
            continue
        url = path.replace("{slug}", slug)
        # When an unknown query parameter is sent, then the answer is the one without it
        plain = api.get(url, token=admin)
        unknown = api.get(url + "?not_a_parameter=1&utm_source=x&_=123", token=admin)
        check_reply(document, unknown, path, method)
        assert unknown.status == plain.status, (path, unknown.body)
        # and each documented one, sent alone with an allowed value, is not refused
        for name, parameter in query_parameters(document, path, method).items():
            reply = api.get(f"{url}?{name}={quote(sample_value(parameter))}", token=admin)
            check_reply(document, reply, path, method)
            assert reply.status != 422, (path, name, reply.body)
            checked += 1
    assert checked >= 15


def test_writes_refuse_query_parameters_they_do_not_take(api: Api, blog: Blog, document: dict[str, Any]) -> None:
    # Given a post with a comment, and the admin, who may call every write
    admin = blog.admin()
    slug = str(blog.post(admin)["slug"])
    comment_id = str(blog.comment(slug, body="Hello")["comment"]["id"])
    checked = 0
    for path, method in operations(document):
        if method == "get":
            continue
        url = path.replace("{slug}", slug).replace("{comment_id}", comment_id).replace("{username}", "admin")
        # When a write is sent a query parameter it does not take
        reply = api.request(method.upper(), url + "?utm_source=x", {}, token=admin)
        # Then it is refused by name, as documented, before anything is written
        check_reply(document, reply, path, method)
        assert reply.status == 422 and list(reply.problem["errors"]) == ["utm_source"], (method, path, reply.body)
        checked += 1
    assert checked >= 12
    assert api.get(f"/comments/{comment_id}").status == 200
    assert api.get(f"/posts/{slug}").status == 200
