"""Specification: comments under /api — all of them in one list, oldest first, whoever wrote them."""

from __future__ import annotations

import pytest

from tests.conftest import Api, make_admin
from tests.realworld.conftest import ISO_MILLIS, PASSWORD, Conduit, seeding

COMMENT_FIELDS = {"id", "createdAt", "updatedAt", "body", "author"}
MORE_THAN_A_NATIVE_PAGE = 105  # a native page holds at most 100


def test_adding_a_comment_answers_with_the_comment(conduit: Conduit) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice)["slug"]

    reply = conduit.post(f"/articles/{slug}/comments", {"comment": {"body": "Well said."}}, token=alice)

    assert reply.status == 200, reply.body
    comment = reply.json["comment"]
    assert set(comment) == COMMENT_FIELDS
    assert comment["body"] == "Well said."
    assert comment["createdAt"] == comment["updatedAt"]
    assert comment["author"] == {"username": "alice", "bio": None, "image": None, "following": False}


def test_all_comments_are_listed_oldest_first_beyond_one_native_page(conduit: Conduit,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice)["slug"]
    # The blog's admin is exempt from comment rate limits; what is under test is the list.
    make_admin()
    signed_in = conduit.post("/users/login", {"user": {"email": "root@example.com", "password": PASSWORD}})
    root = str(signed_in.json["user"]["token"])
    with seeding(monkeypatch):
        written = [conduit.post(f"/articles/{slug}/comments", {"comment": {"body": f"Comment {i}"}}, token=root)
                   .json["comment"]["id"] for i in range(MORE_THAN_A_NATIVE_PAGE)]

    reply = conduit.get(f"/articles/{slug}/comments")

    assert reply.status == 200, reply.body
    comments = reply.json["comments"]
    assert [c["id"] for c in comments] == written
    assert [c["body"] for c in comments] == [f"Comment {i}" for i in range(MORE_THAN_A_NATIVE_PAGE)]
    created = [c["createdAt"] for c in comments]
    assert created == sorted(created)


def test_several_users_may_comment_in_quick_succession(conduit: Conduit) -> None:
    users = [conduit.register(f"user{i}") for i in range(3)]
    slug = conduit.article(users[0])["slug"]

    statuses = [conduit.post(f"/articles/{slug}/comments", {"comment": {"body": f"{n}: comment {i}"}},
                             token=token).status
                for i in range(3) for n, token in enumerate(users)]

    assert statuses == [200] * 9
    assert len(conduit.get(f"/articles/{slug}/comments").json["comments"]) == 9


def test_a_deleted_comment_leaves_the_list(conduit: Conduit) -> None:
    alice = conduit.register("alice")
    slug = conduit.article(alice)["slug"]
    ids = [conduit.post(f"/articles/{slug}/comments", {"comment": {"body": f"Comment {i}"}}, token=alice)
           .json["comment"]["id"] for i in range(3)]

    assert conduit.delete(f"/articles/{slug}/comments/{ids[1]}", token=alice).status == 204

    assert [c["id"] for c in conduit.get(f"/articles/{slug}/comments").json["comments"]] == [ids[0], ids[2]]


def test_an_anonymous_native_comment_shows_its_name_and_is_never_a_user(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    conduit.put("/user", {"user": {"bio": "The real alice."}}, token=alice)
    bob = conduit.register("bob")
    conduit.post("/profiles/alice/follow", token=bob)
    slug = conduit.article(alice)["slug"]
    for name in ("Ann", "alice"):
        reply = api.post(f"/posts/{slug}/comments",
                         {"body": f"Hello from {name}", "author_name": name, "author_email": f"{name}@mail.example"})
        assert reply.status == 201, reply.body

    comments = conduit.get(f"/articles/{slug}/comments", token=bob).json["comments"]

    assert [c["author"]["username"] for c in comments] == ["Ann", "alice"]
    for comment in comments:
        assert comment["author"]["following"] is False
        assert comment["author"]["bio"] is None
        # No picture by default: a Gravatar URL would carry a hash of the e-mail (GRAVATAR=false)
        assert comment["author"]["image"] is None


def test_a_signed_in_commenter_shows_whether_the_caller_follows_them(conduit: Conduit) -> None:
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    slug = conduit.article(alice)["slug"]
    conduit.post(f"/articles/{slug}/comments", {"comment": {"body": "By alice"}}, token=alice)
    conduit.post("/profiles/alice/follow", token=bob)

    as_bob = conduit.get(f"/articles/{slug}/comments", token=bob).json["comments"]
    as_nobody = conduit.get(f"/articles/{slug}/comments").json["comments"]

    assert as_bob[0]["author"]["following"] is True
    assert as_nobody[0]["author"]["following"] is False


def test_every_timestamp_is_iso_8601_utc_with_milliseconds(conduit: Conduit, api: Api) -> None:
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    conduit.post("/profiles/alice/follow", token=bob)
    created = conduit.article(alice)
    slug = created["slug"]
    updated = conduit.put(f"/articles/{slug}", {"article": {"body": "Changed."}}, token=alice).json["article"]
    comment = conduit.post(f"/articles/{slug}/comments", {"comment": {"body": "Hi"}}, token=bob).json["comment"]
    api.post(f"/posts/{slug}/comments", {"body": "Anonymous", "author_name": "Ann"})

    stamped = [created, updated, comment, conduit.get(f"/articles/{slug}").json["article"],
               *conduit.articles()["articles"], *conduit.get("/articles/feed", token=bob).json["articles"],
               *conduit.get(f"/articles/{slug}/comments").json["comments"]]

    assert len(stamped) == 8
    for item in stamped:
        for field in ("createdAt", "updatedAt"):
            assert ISO_MILLIS.match(item[field]), (field, item[field])
    assert updated["updatedAt"] >= updated["createdAt"] == created["createdAt"]
