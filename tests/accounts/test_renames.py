"""Renaming an account: allowed, through PUT /api/user and PATCH /auth/me; what it wrote follows the new name.

Requests go through the Chalice test client; the rename job's stream records are made of the
table's real items and delivered to the app's own stream handler (tests/notifications/test_notifications.py's
Stream), one record per step, as Lambda would deliver them. The job's page is made small here
(PAGE_IN_TESTS), so that the posts and comments below span several pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.blog import rename_job
from chalicelib.blog.post_upkeep import PostUpkeep
from chalicelib.services import services
from chalicelib.settings import Settings
from chalicelib.store import keys
from tests.conftest import ADMIN, PASSWORD, Api, Blog, Reply
from tests.notifications.test_notifications import Stream
from tests.notifications.test_notifications import mail_settings as mail_settings
from tests.notifications.test_notifications import ses as ses
from tests.notifications.test_notifications import stream as stream

PAGE_IN_TESTS = 3
N = 7  # posts, and comments: more than two pages of each


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rename_job, "PAGE", PAGE_IN_TESTS)


def conduit(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def rename(api: Api, token: str, username: str) -> Reply:
    """What a Conduit frontend's settings form sends (blank fields mean unchanged)."""
    return api.put("/api/user", {"user": {"username": username, "email": "", "password": "", "bio": "",
                                          "image": ""}}, headers=conduit(token))


def account_id(name: str) -> str:
    item = services().table.get(keys.user(name))
    assert item is not None
    return str(item.get("account_id") or item.get("owner_id"))


def run_job(stream: Stream, name: str, twice: bool = False) -> int:
    """Deliver the job's record until the job is done; ``twice``: every record delivered two times over."""
    key = keys.rename_job(account_id(name))
    steps = 0
    while (job := stream.image(key)) is not None:
        record = stream.record("MODIFY" if steps else "INSERT", None, job)
        stream.deliver(record)
        if twice:
            stream.deliver(record)
        steps += 1
        assert steps < 100, "the job never ends"
    return steps


def articles(api: Api, token: str | None = None, **query: str) -> dict[str, Any]:
    path = "/api/articles?" + "&".join(f"{k}={v}" for k, v in {"limit": "100", **query}.items())
    reply = api.get(path, headers=conduit(token) if token else {})
    assert reply.status == 200, reply.body
    return dict(reply.json)


@pytest.fixture
def alice_writes(api: Api, blog: Blog) -> Callable[[], dict[str, Any]]:
    """alice (an author) with N posts, N comments, a vote, a reaction, a favorite and a follow;
    bob follows her and favorites her first post."""
    def make() -> dict[str, Any]:
        alice = blog.author("alice")
        bob = blog.author("bob")
        slugs = [blog.post(alice, title=f"Alice's post {n}")["slug"] for n in range(N)]
        bobs = blog.post(bob, title="Bob's post")["slug"]
        comments = [blog.comment(bobs, alice, body=f"Alice says {n}")["comment"]["id"] for n in range(N)]
        bobs_comment = blog.comment(bobs, bob, body="Bob's own")["comment"]["id"]
        assert api.post(f"/comments/{bobs_comment}/vote", {"value": 1}, token=alice).status == 200
        assert api.post(f"/posts/{bobs}/reactions", {"emoji": "👍", "active": True}, token=alice).status == 200
        assert api.post(f"/api/articles/{bobs}/favorite", headers=conduit(alice)).status == 200
        assert api.post(f"/api/articles/{slugs[0]}/favorite", headers=conduit(bob)).status == 200
        assert api.post("/api/profiles/bob/follow", headers=conduit(alice)).status == 200
        assert api.post("/api/profiles/alice/follow", headers=conduit(bob)).status == 200
        return {"alice": alice, "bob": bob, "slugs": slugs, "bobs": bobs, "comments": comments,
                "bobs_comment": bobs_comment}
    return make


def assert_everything_follows_the_new_name(api: Api, made: dict[str, Any], new: str = "alicia") -> None:
    table = services().table
    mine = articles(api, author=new)
    assert mine["articlesCount"] == N
    assert {a["author"]["username"] for a in mine["articles"]} == {new}
    assert articles(api, author="alice")["articlesCount"] == 0
    assert int(table.get(keys.author_count(new))["count"]) == N  # type: ignore[index]
    assert table.get(keys.author_count("alice")) is None
    comments = api.get(f"/api/articles/{made['bobs']}/comments").json["comments"]
    assert sorted(c["author"]["username"] for c in comments) == sorted([new] * N + ["bob"])
    entries = [str(i["SK"]) for i in table.query(keys.commenter_partition(f"user:{new}"), limit=100).items]
    assert len(entries) == N + 1 and keys.commenter_approved(f"user:{new}")["SK"] in entries  # and her approval
    assert table.query(keys.commenter_partition("user:alice"), limit=100).items == []
    favorited = articles(api, favorited=new)
    assert [a["slug"] for a in favorited["articles"]] == [made["bobs"]]
    assert table.query(keys.voter_partition(f"user:{new}"), index="GSI2", limit=10).items[0]["value"] == 1
    assert len(table.query(keys.reactor_partition(f"user:{new}"), index="GSI2", limit=10).items) == 1
    assert table.query(keys.voter_partition("user:alice"), index="GSI2", limit=10).items == []
    bobs_post = api.get(f"/api/articles/{made['bobs']}").json["article"]
    assert bobs_post["favoritesCount"] == 1
    # bob followed her under her old name, and still does; her feed still has bob's post.
    feed = api.get("/api/articles/feed", headers=conduit(made["bob"])).json
    assert feed["articlesCount"] == N
    assert {a["author"]["username"] for a in feed["articles"]} == {new}
    assert all(a["author"]["following"] for a in feed["articles"])
    assert api.get(f"/api/profiles/{new}", headers=conduit(made["bob"])).json["profile"]["following"] is True
    assert [a["slug"] for a in api.get("/api/articles/feed", headers=conduit(made["alice"])).json["articles"]] == [
        made["bobs"]]


def test_a_rename_carries_posts_comments_votes_favorites_and_follows_to_the_new_name(
        api: Api, stream: Stream, alice_writes: Callable[[], dict[str, Any]]) -> None:
    made = alice_writes()

    renamed = rename(api, made["alice"], "alicia")

    assert renamed.status == 200, renamed.body
    assert renamed.json["user"]["username"] == "alicia"
    steps = run_job(stream, "alicia")
    assert steps >= 2 * 3  # more than one page of posts and of comments
    assert_everything_follows_the_new_name(api, made)
    # Both the old token (a Conduit frontend keeps it) and the answer's work, as alicia.
    for token in (made["alice"], renamed.json["user"]["token"]):
        me = api.get("/api/user", headers=conduit(token))
        assert me.status == 200, me.body
        assert me.json["user"]["username"] == "alicia"
    written = api.post("/api/articles", {"article": {"title": "After", "description": "d", "body": "b"}},
                       headers=conduit(made["alice"]))
    assert written.status == 201, written.body
    assert written.json["article"]["author"]["username"] == "alicia"


def test_the_old_name_answers_with_the_new_profile_and_nobody_can_take_it(
        api: Api, stream: Stream, blog: Blog) -> None:
    alice = blog.user("alice")
    assert rename(api, alice, "alicia").status == 200
    run_job(stream, "alicia")

    profile = api.get("/api/profiles/alice")
    assert profile.status == 200, profile.body
    assert profile.json["profile"]["username"] == "alicia"
    for taker in ("alice", "ALICE", "Alice"):
        taken = api.post("/auth/signup", {"username": taker, "email": f"{taker}2@example.org", "password": PASSWORD})
        assert taken.status == 409, taken.body
    mallory = blog.user("mallory")
    assert api.patch("/auth/me", {"username": "Alice"}, token=mallory).status == 409
    refused = rename(api, mallory, "Alice")  # RealWorld answers a taken name with 422, in its error form
    assert refused.status == 422 and refused.json["errors"]["username"] == ["is already in use"], refused.body
    followed = api.post("/api/profiles/alice/follow", headers=conduit(mallory))
    assert followed.status == 200, followed.body
    assert followed.json["profile"]["following"] is True
    assert api.get("/api/profiles/alicia", headers=conduit(mallory)).json["profile"]["following"] is True


def test_renamed_twice_every_old_name_resolves_and_the_first_can_be_taken_back(
        api: Api, stream: Stream, blog: Blog) -> None:
    token = blog.user("alice")
    assert rename(api, token, "alicia").status == 200
    assert api.patch("/auth/me", {"username": "ally"}, token=token).status == 409  # the first is still going on
    run_job(stream, "alicia")
    assert rename(api, token, "ally").status == 200
    run_job(stream, "ally")

    for old in ("alice", "alicia"):
        assert api.get(f"/api/profiles/{old}").json["profile"]["username"] == "ally"
    back = rename(api, token, "alice")
    assert back.status == 200, back.body
    run_job(stream, "alice")
    assert api.get("/api/profiles/ally").json["profile"]["username"] == "alice"
    assert api.get("/api/profiles/alicia").json["profile"]["username"] == "alice"
    assert api.get("/api/user", headers=conduit(token)).json["user"]["username"] == "alice"
    assert api.post("/auth/login", {"email": "alice@example.com", "password": PASSWORD}).status == 200


def test_the_native_settings_route_renames_too(api: Api, stream: Stream, blog: Blog) -> None:
    token = blog.user("alice")
    renamed = api.patch("/auth/me", {"username": "alicia"}, token=token)
    assert renamed.status == 200, renamed.body
    assert renamed.json["user"]["username"] == "alicia"
    assert api.get("/auth/me", token=renamed.json["token"]).json["user"]["username"] == "alicia"


@pytest.mark.parametrize(("name", "status"), [
    ("bob", 409),  # taken
    ("BOB", 409),  # taken, in another case
    (ADMIN, 409),  # reserved for an administrator (BLOG_ADMINS)
    ("Alice", 422),  # differs only in case
    ("al", 422),  # too short
    ("a" * 33, 422),  # too long
    ("al ice", 422),
    ("-alice", 422),
    ("ålice", 422),  # letters outside ASCII
    ("alice\u200b", 422),  # a zero-width space
    ("ａｌｉｃｅ", 422),  # fullwidth letters
    ("al\u0000ice", 422),
])
def test_a_bad_or_taken_name_is_refused_and_nothing_changes(
        api: Api, blog: Blog, name: str, status: int) -> None:
    blog.user("bob")
    token = blog.user("alice")
    before = services().table.get(keys.user("alice"))

    refused = api.patch("/auth/me", {"username": name}, token=token)

    assert refused.status == status, refused.body
    assert services().table.get(keys.user("alice")) == before
    assert services().table.get(keys.rename_job(str(before["account_id"]))) is None  # type: ignore[index]


def test_two_renames_to_the_same_name_one_wins_and_the_other_is_told(api: Api, blog: Blog) -> None:
    first, second = blog.user("ann"), blog.user("ben")
    assert rename(api, first, "carol").status == 200
    lost = api.patch("/auth/me", {"username": "Carol"}, token=second)
    assert lost.status == 409, lost.body
    assert api.get("/api/user", headers=conduit(second)).json["user"]["username"] == "ben"


def test_a_banned_account_cannot_rename_out_of_its_ban(api: Api, blog: Blog) -> None:
    token = blog.user("alice")
    banned = api.post("/moderation/bans", {"by": "account", "account": "alice", "reason": "spam"}, token=blog.admin())
    assert banned.status == 201, banned.body
    assert api.patch("/auth/me", {"username": "fresh-start"}, token=token).status == 409


def test_a_job_that_fails_mid_page_resumes_where_it_stopped(
        api: Api, stream: Stream, monkeypatch: pytest.MonkeyPatch,
        alice_writes: Callable[[], dict[str, Any]]) -> None:
    made = alice_writes()
    assert rename(api, made["alice"], "alicia").status == 200
    saves = {"n": 0}
    real_save = PostUpkeep.save

    def failing_once(self: PostUpkeep, old: Any, new: Any, extra: Any = None) -> None:
        saves["n"] += 1
        if saves["n"] == 5:  # the second page, half done
            raise ConnectionError("the function was cut off")
        real_save(self, old, new, extra)

    monkeypatch.setattr(PostUpkeep, "save", failing_once)
    key = keys.rename_job(account_id("alicia"))
    stream.deliver(stream.record("INSERT", None, stream.image(key)))
    record = stream.record("MODIFY", None, stream.image(key))
    with pytest.raises(ConnectionError):
        stream.deliver(record)
    assert stream.image(key)["step"] == record["dynamodb"]["NewImage"]["step"]  # type: ignore[index]
    stream.deliver(record)  # Lambda delivers the failed record again
    run_job(stream, "alicia")

    assert_everything_follows_the_new_name(api, made)


def test_every_record_delivered_twice_changes_nothing_more(
        api: Api, stream: Stream, alice_writes: Callable[[], dict[str, Any]]) -> None:
    made = alice_writes()
    assert rename(api, made["alice"], "alicia").status == 200
    run_job(stream, "alicia", twice=True)
    assert_everything_follows_the_new_name(api, made)



def test_make_admin_refuses_an_old_name_and_an_export_keeps_it_reserved(api: Api, stream: Stream, blog: Blog) -> None:
    from deploy.admin import AdminError, ensure_admin
    from importer import restore_records
    from importer.backup import kind_of

    token = blog.user("alice")
    assert rename(api, token, "alicia").status == 200
    reservation = services().table.get(keys.user("alice"))
    assert reservation is not None

    with pytest.raises(AdminError, match="old name"):
        ensure_admin(services().table, services().settings, "alice", "alice@example.com", lambda: PASSWORD,
                     lambda _: None)
    assert kind_of(dict(reservation)) == "reservation"
    assert restore_records.rebuild("reservation", reservation) == reservation


def test_held_comments_on_the_authors_posts_stay_in_their_queue(
        api: Api, stream: Stream, blog: Blog, configure: Callable[..., Settings]) -> None:
    alice = blog.author("alice")
    slugs = [blog.post(alice)["slug"] for _ in range(2)]
    configure(MODERATION="all")
    held = []
    for n in range(2 * PAGE_IN_TESTS):
        reply = api.post(f"/posts/{slugs[n % 2]}/comments", {"body": f"Held {n}", "author_name": "Ann"})
        assert reply.status == 202, reply.body
        held.append(reply.json["comment"]["id"])

    assert rename(api, alice, "alicia").status == 200
    run_job(stream, "alicia")

    queue = api.get("/moderation/comments?status=pending&limit=100", token=alice)
    assert queue.status == 200, queue.body
    assert sorted(c["id"] for c in queue.json["items"]) == sorted(held)
    assert services().table.query(keys.author_queue("alice", "pending"), index="GSI2", limit=10).items == []


def test_a_ban_by_the_old_name_bans_the_account_under_its_new_one(api: Api, stream: Stream, blog: Blog) -> None:
    slug = blog.post(blog.author("bob"))["slug"]
    token = blog.user("alice")
    assert rename(api, token, "alicia").status == 200

    banned = api.post("/moderation/bans", {"by": "account", "account": "alice", "reason": "spam"}, token=blog.admin())

    assert banned.status == 201, banned.body
    refused = api.post(f"/posts/{slug}/comments", {"body": "Still me"}, token=token)  # the token from before
    assert refused.status == 403, refused.body


def test_an_account_is_not_deleted_while_its_rename_is_carried_out(api: Api, stream: Stream, blog: Blog) -> None:
    token = blog.user("alice")
    assert rename(api, token, "alicia").status == 200

    early = api.delete("/me", json_body={"comments": "anonymous", "current_password": PASSWORD}, token=token)
    assert early.status == 409, early.body
    run_job(stream, "alicia")
    done = api.delete("/me", json_body={"comments": "anonymous", "current_password": PASSWORD}, token=token)
    assert done.status == 204, done.body
