"""GET /moderation/comments/search: every comment, public or held, by its words or its author, for admins.

The index is kept by the stream handler: these tests write comments through the API, then deliver the
stream records made of the real items (as DynamoDB's stream would) before they search.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.blog import comment_search
from chalicelib.store import keys
from chalicelib.store.client import dynamodb_client
from tests.conftest import TEST_TABLE, Api, Blog, DynamoCalls
from tests.notifications.test_notifications import Stream


class CommentIndexer:
    """Delivers each comment's stream records (its public and held items, as they now are) to the handler."""

    def __init__(self, api: Api) -> None:
        self.stream = Stream(api)
        self.last: dict[tuple[str, str], dict[str, Any]] = {}

    def sync(self, slug: str, comment_id: str) -> None:
        for key in (keys.held_comment(slug, comment_id), keys.comment(slug, comment_id)):  # a held one goes first
            new, old = self.stream.image(key), self.last.get((key["PK"], key["SK"]))
            if new is not None and new != old:
                self.stream.deliver(self.stream.record("MODIFY" if old else "INSERT", old, new))
                self.last[(key["PK"], key["SK"])] = new
            elif new is None and old is not None:
                self.stream.deliver(self.stream.record("REMOVE", old, None))
                del self.last[(key["PK"], key["SK"])]


@pytest.fixture
def indexer(api: Api) -> CommentIndexer:
    return CommentIndexer(api)


@pytest.fixture
def slug(blog: Blog) -> str:
    return str(blog.post(blog.author(), title="A post with a busy thread")["slug"])


@pytest.fixture
def say(api: Api, indexer: CommentIndexer, slug: str, configure: Any) -> Any:
    configure(COMMENT_RATE_LIMIT="1000/60")

    def comment(body: str, on: str | None = None, **fields: Any) -> str:
        """A comment by a stranger (public, or held as the stage's moderation says), then its stream record."""
        post = on or slug
        made = api.post(f"/posts/{post}/comments", {"body": body, "author_name": "Ann", **fields})
        assert made.status in (201, 202), made.body
        indexer.sync(post, str(made.json["comment"]["id"]))
        return str(made.json["comment"]["id"])
    return comment


def found(api: Api, admin: str, q: str, extra: str = "") -> list[str]:
    reply = api.get(f"/moderation/comments/search?q={quote(q)}{extra}", token=admin)
    assert reply.status == 200, reply.body
    return [c["id"] for c in reply.json["items"]]


def test_a_comment_is_found_by_its_words_their_other_forms_and_its_author(api: Api, blog: Blog, say: Any) -> None:
    running = say("I was running along the river", author_name="Zoë Quill")
    books = say("Я читаю интересные книги о птицах")
    say("Nothing to see here")
    admin = blog.admin()

    assert found(api, admin, "runs river") == [running]
    assert found(api, admin, "книга") == [books]  # another case of the same word
    assert found(api, admin, "quill") == [running]  # by its author's name
    assert found(api, admin, "river книга") == []  # every term must be there


def test_the_answer_shows_the_comment_as_the_queue_does_with_the_passage_marked(api: Api, blog: Blog,
                                                                               say: Any) -> None:
    say("Watch out for <script>alert(1)</script> and the heron")

    reply = api.get("/moderation/comments/search?q=heron", token=blog.admin())

    item = reply.json["items"][0]
    assert item["body"].startswith("Watch out") and item["post"] and item["status"] == "approved"
    assert "<mark>heron</mark>" in item["snippet_html"] and "<script>" not in item["snippet_html"]
    assert not {"PK", "SK", "GSI1PK", "comment_id"} & set(item)


def test_held_and_spam_comments_are_found_and_filtered_by_status(api: Api, blog: Blog, say: Any,
                                                                 configure: Any, slug: str,
                                                                 indexer: CommentIndexer) -> None:
    public = say("Lovely otters today")
    configure(MODERATION="all")
    held = say("Otters again, please hold me")
    spam = say("Otters for sale cheap")
    admin = blog.admin()
    assert api.post(f"/comments/{spam}/moderate", {"action": "spam"}, token=admin).status == 200
    indexer.sync(slug, spam)

    assert set(found(api, admin, "otters")) == {public, held, spam}
    assert found(api, admin, "otters", "&status=pending") == [held]
    assert found(api, admin, "otters", "&status=spam") == [spam]
    assert found(api, admin, "otters", "&status=approved") == [public]


def test_an_approved_comment_is_found_once_and_a_deleted_one_no_more(api: Api, blog: Blog, say: Any,
                                                                    configure: Any, slug: str,
                                                                    indexer: CommentIndexer) -> None:
    configure(MODERATION="all")
    waiting = say("A kingfisher flew past")
    gone = say("A kingfisher, and my phone number")
    admin = blog.admin()
    assert api.post(f"/comments/{waiting}/moderate", {"action": "approve"}, token=admin).status == 200
    assert api.delete(f"/comments/{gone}", token=admin).status == 204
    for comment_id in (waiting, gone):
        indexer.sync(slug, comment_id)

    assert found(api, admin, "kingfisher") == [waiting]
    assert found(api, admin, "kingfisher", "&status=approved") == [waiting]


def test_an_edit_changes_what_finds_the_comment(api: Api, blog: Blog, say: Any, slug: str,
                                                indexer: CommentIndexer) -> None:
    author = blog.user("wren")
    made = blog.comment(slug, body="Herons at dawn", token=author)["comment"]
    indexer.sync(slug, made["id"])

    edited = api.patch(f"/comments/{made['id']}", {"body": "Egrets at dusk"}, token=author)
    assert edited.status == 200, edited.body
    indexer.sync(slug, made["id"])

    admin = blog.admin()
    assert found(api, admin, "herons") == []
    assert found(api, admin, "egrets") == [made["id"]]
    assert found(api, admin, "wren") == [made["id"]]  # a signed-in author by their username


def test_japanese_and_chinese_comments_are_found_by_character_pairs(api: Api, blog: Blog, say: Any) -> None:
    tokyo = say("東京都に住んでいます")

    assert found(api, blog.admin(), "東京") == [tokyo]


def test_one_posts_comments_and_pages_by_cursor(api: Api, blog: Blog, say: Any, slug: str) -> None:
    other = str(blog.post(blog.author(), title="Another post")["slug"])
    ours = [say(f"Moths at the lamp, night {n}") for n in range(23)]
    say("Moths elsewhere", on=other)
    admin = blog.admin()

    first = api.get(f"/moderation/comments/search?q=moths&post={quote(slug)}", token=admin).json
    second = api.get(f"/moderation/comments/search?q=moths&post={quote(slug)}&cursor={quote(first['next_cursor'])}",
                     token=admin).json

    assert [c["id"] for c in first["items"] + second["items"]] == list(reversed(ours))  # newest first
    assert len(first["items"]) == 20 and second["next_cursor"] is None
    elsewhere = api.get(f"/moderation/comments/search?q=lamp&cursor={quote(first['next_cursor'])}", token=admin)
    assert elsewhere.status == 400  # a cursor belongs to its own search


def test_a_redelivered_record_changes_nothing(api: Api, blog: Blog, say: Any, slug: str,
                                              indexer: CommentIndexer) -> None:
    comment_id = say("Swifts over the roofs")
    postings = _postings("swift")
    record = indexer.stream.record("INSERT", None, indexer.stream.image(keys.comment(slug, comment_id)))

    indexer.stream.deliver(record, record)

    assert _postings("swift") == postings
    assert found(api, blog.admin(), "swifts") == [comment_id]


def test_a_two_term_search_takes_a_query_per_term_and_one_batch_read(api: Api, blog: Blog, say: Any,
                                                                      dynamo: DynamoCalls) -> None:
    for n in range(3):
        say(f"Tomatoes and basil, row {n}")
    admin = blog.admin()
    dynamo.clear()

    assert len(found(api, admin, "tomatoes basil")) == 3

    assert dynamo.operations == ["GetItem", "Query", "Query", "BatchGetItem"]  # the token's account, then ours


def test_a_long_comment_is_indexed_under_its_first_terms_only(api: Api, blog: Blog, say: Any) -> None:
    words = [f"word{n}x" for n in range(comment_search.MAX_TERMS_PER_COMMENT + 20)]
    comment_id = say(" ".join(words))
    admin = blog.admin()

    assert found(api, admin, words[0]) == [comment_id]
    assert found(api, admin, words[-1]) == []


@pytest.mark.parametrize(("query", "message"), [
    ("", "is required"),
    ("   ", "is required"),
    ("x" * 201, "longer than 200"),
    ("bell\x00tower", "control characters"),
    ("the and of", "no words to search for"),
    (" ".join(f"w{n}rd" for n in range(9)), "more than 8 search terms"),
])
def test_a_bad_query_is_refused_with_its_reason(api: Api, blog: Blog, query: str, message: str) -> None:
    reply = api.get(f"/moderation/comments/search?q={quote(query)}", token=blog.admin())

    assert reply.status == 422, reply.body
    assert message in reply.problem["errors"]["q"][0]


def test_a_bad_status_or_post_is_refused(api: Api, blog: Blog) -> None:
    admin = blog.admin()

    assert api.get("/moderation/comments/search?q=otters&status=deleted", token=admin).status == 422
    assert api.get(f"/moderation/comments/search?q=otters&post={'p' * 201}", token=admin).status == 422


def test_only_admins_search_every_comment(api: Api, blog: Blog, say: Any) -> None:
    say("Private thoughts about hedgehogs")

    assert api.get("/moderation/comments/search?q=hedgehogs").status == 401
    assert api.get("/moderation/comments/search?q=hedgehogs", token=blog.user("reader")).status == 403
    assert api.get("/moderation/comments/search?q=hedgehogs", token=blog.author("writer")).status == 403


def _postings(term: str) -> list[dict[str, Any]]:
    found = dynamodb_client().query(TableName=TEST_TABLE, KeyConditionExpression="PK = :pk",
                                    ExpressionAttributeValues={":pk": {"S": keys.comment_term_partition(term)}})
    return list(found["Items"])

