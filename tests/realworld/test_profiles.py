"""Specification: profiles and follows, as each caller sees them."""

from __future__ import annotations

from tests.conftest import DynamoCalls
from tests.realworld.conftest import Conduit, conduit_error

PROFILE_FIELDS = {"username", "bio", "image", "following"}


def test_a_profile_is_readable_without_signing_in_and_follows_no_one(conduit: Conduit) -> None:
    conduit.register("alice")

    reply = conduit.get("/profiles/alice")

    assert reply.status == 200, reply.body
    assert reply.json["profile"] == {"username": "alice", "bio": None, "image": None, "following": False}


def test_following_is_relative_to_the_caller(conduit: Conduit) -> None:
    conduit.register("alice")
    bob = conduit.register("bob")
    carol = conduit.register("carol")

    followed = conduit.post("/profiles/alice/follow", token=bob)

    assert followed.status == 200, followed.body
    assert set(followed.json["profile"]) == PROFILE_FIELDS
    assert followed.json["profile"]["following"] is True
    assert conduit.get("/profiles/alice", token=bob).json["profile"]["following"] is True
    assert conduit.get("/profiles/alice", token=carol).json["profile"]["following"] is False
    assert conduit.get("/profiles/alice").json["profile"]["following"] is False


def test_following_twice_is_still_following_and_unfollowing_ends_it(conduit: Conduit) -> None:
    conduit.register("alice")
    bob = conduit.register("bob")
    conduit.post("/profiles/alice/follow", token=bob)

    again = conduit.post("/profiles/alice/follow", token=bob)
    assert again.status == 200 and again.json["profile"]["following"] is True

    unfollowed = conduit.delete("/profiles/alice/follow", token=bob)
    assert unfollowed.status == 200, unfollowed.body
    assert unfollowed.json["profile"]["following"] is False
    assert conduit.get("/profiles/alice", token=bob).json["profile"]["following"] is False

    once_more = conduit.delete("/profiles/alice/follow", token=bob)
    assert once_more.status == 200 and once_more.json["profile"]["following"] is False


def test_an_articles_author_shows_whether_the_caller_follows_them(conduit: Conduit) -> None:
    alice = conduit.register("alice")
    bob = conduit.register("bob")
    slug = conduit.article(alice)["slug"]
    conduit.post("/profiles/alice/follow", token=bob)

    assert conduit.get(f"/articles/{slug}", token=bob).json["article"]["author"]["following"] is True
    assert conduit.get(f"/articles/{slug}", token=alice).json["article"]["author"]["following"] is False
    assert conduit.get(f"/articles/{slug}").json["article"]["author"]["following"] is False
    assert conduit.articles(token=bob)["articles"][0]["author"]["following"] is True
    assert conduit.articles()["articles"][0]["author"]["following"] is False


def test_an_unknown_profile_is_404(conduit: Conduit) -> None:
    conduit_error(conduit.get("/profiles/nobody"), 404)


def test_following_or_unfollowing_someone_unknown_is_404(conduit: Conduit) -> None:
    bob = conduit.register("bob")

    conduit_error(conduit.post("/profiles/nobody/follow", token=bob), 404)
    conduit_error(conduit.delete("/profiles/nobody/follow", token=bob), 404)


def test_following_yourself_is_refused_with_422(conduit: Conduit) -> None:
    alice = conduit.register("alice")

    reply = conduit.post("/profiles/ALICE/follow", token=alice)

    conduit_error(reply, 422, "username")
    assert conduit.get("/profiles/alice", token=alice).json["profile"]["following"] is False


def test_a_profile_is_one_read_and_following_two_reads_and_a_write(conduit: Conduit, dynamo: DynamoCalls) -> None:
    # A token is checked against its account: on a read in the read it makes anyway, on a write first (one GetItem)
    conduit.register("alice")
    bob = conduit.register("bob")

    dynamo.clear()
    conduit.get("/profiles/alice")
    assert dynamo.operations == ["BatchGetItem"]

    dynamo.clear()
    conduit.get("/profiles/alice", token=bob)
    assert dynamo.operations == ["BatchGetItem"]

    dynamo.clear()
    followed = conduit.post("/profiles/alice/follow", token=bob)
    assert followed.json["profile"]["following"] is True
    assert dynamo.operations == ["GetItem", "GetItem", "TransactWriteItems"]

    dynamo.clear()
    unfollowed = conduit.delete("/profiles/alice/follow", token=bob)
    assert unfollowed.json["profile"]["following"] is False
    assert dynamo.operations == ["GetItem", "GetItem", "DeleteItem"]
