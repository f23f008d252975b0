"""GET /search: published posts only, in every language the widget speaks, escaped snippets, paged, refused well.

The index is kept by the stream handler: these tests write posts through the API, then deliver the
stream records made of the real items (as DynamoDB's stream would) before they search.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.store import keys
from tests.conftest import Api, Blog, DynamoCalls
from tests.notifications.test_notifications import Stream
from tests.settings_steps import Clock


class Indexer:
    """Delivers each post's stream record (its latest image, or its removal) to the handler."""

    def __init__(self, api: Api) -> None:
        self.stream = Stream(api)
        self.last: dict[str, dict[str, Any]] = {}

    def sync(self, *slugs: str) -> None:
        for slug in slugs:
            new = self.stream.image(keys.post(slug))
            old = self.last.get(slug)
            if new is not None:
                self.stream.deliver(self.stream.record("MODIFY" if old else "INSERT", old, new))
                self.last[slug] = new
            elif old is not None:
                self.stream.deliver(self.stream.record("REMOVE", old, None))
                del self.last[slug]


@pytest.fixture
def indexer(api: Api) -> Indexer:
    return Indexer(api)


@pytest.fixture
def publish(blog: Blog, indexer: Indexer, author: str) -> Any:
    def make(**fields: Any) -> str:
        slug = str(blog.post(author, **fields)["slug"])
        indexer.sync(slug)
        return slug
    return make


def found(api: Api, q: str, extra: str = "") -> list[str]:
    reply = api.get(f"/search?q={quote(q)}{extra}")
    assert reply.status == 200, reply.body
    return [post["slug"] for post in reply.json["posts"]]


def test_a_post_is_found_by_its_title_body_and_labels(api: Api, publish: Any) -> None:
    slug = publish(title="Sourdough at home", body="A starter needs *flour* and patience.", labels=["baking"])
    publish(title="Tax forms", body="Nothing about bread here.")
    assert found(api, "sourdough") == [slug]
    assert found(api, "patience") == [slug]
    assert found(api, "baking") == [slug]
    assert found(api, "zeppelin") == []


def test_results_have_marked_escaped_snippets_and_no_keys(api: Api, publish: Any) -> None:
    publish(title="Escaping <b>tags</b>", body="Use `<script>alert(1)</script>` & escape the tags.")
    post = api.get("/search?q=tags").json["posts"][0]
    assert post["title_html"] == "Escaping &lt;b&gt;<mark>tags</mark>&lt;/b&gt;"
    assert "<script>" not in post["snippet_html"]
    assert "&lt;script&gt;" in post["snippet_html"] and "<mark>tags</mark>" in post["snippet_html"]
    assert set(post) == {"slug", "title", "title_html", "snippet_html", "labels", "author", "published_at"}


def test_drafts_scheduled_and_deleted_posts_never_appear(api: Api, blog: Blog, author: str, publish: Any,
                                                         indexer: Indexer, clock: Clock) -> None:
    draft = publish(title="Unicorn draft", status="draft")
    later = publish(title="Unicorn later", status="scheduled", published_at="2099-01-01T00:00:00Z")
    shown = publish(title="Unicorn shown")
    assert found(api, "unicorn") == [shown]
    # Unpublished back to a draft, it leaves the index; deleted, it leaves it too.
    assert api.patch(f"/posts/{shown}", {"status": "draft"}, token=author).status == 200
    indexer.sync(shown)
    assert found(api, "unicorn") == []
    assert api.patch(f"/posts/{draft}", {"status": "published"}, token=author).status == 200
    indexer.sync(draft)
    assert found(api, "unicorn") == [draft]
    assert api.delete(f"/posts/{draft}", token=author).status == 204
    indexer.sync(draft)
    assert found(api, "unicorn") == []
    # A scheduled post appears once its time has come, with no write to the index.
    clock.advance(days=365 * 80)
    assert found(api, "unicorn") == [later]


def test_an_edit_reindexes_the_post(api: Api, author: str, publish: Any, indexer: Indexer) -> None:
    slug = publish(title="Walrus facts", body="Tusks.")
    assert api.patch(f"/posts/{slug}", {"title": "Narwhal facts"}, token=author).status == 200
    indexer.sync(slug)
    assert found(api, "walrus") == []
    assert found(api, "narwhal") == [slug]


def test_russian_and_german_words_match_their_inflected_forms(api: Api, publish: Any) -> None:
    books = publish(title="О книгах", body="Я читаю новые книги каждый день.")
    houses = publish(title="Alte Häuser", body="Die Häuser in der Stadt sind nicht neu und die Straße ist lang.")
    assert found(api, "книгами") == [books]
    assert found(api, "книга читать") == [books]
    assert found(api, "Haus", "&lang=de") == [houses]
    assert found(api, "die Häuser der Stadt") == [houses]  # a German query is told by its common words
    assert found(api, "Häuser") == [houses]  # too short to tell: English stems are indexed for every post


def test_a_wrong_language_guess_still_finds_english_words(api: Api, publish: Any) -> None:
    # "em" and "em" are Portuguese's commonest words: the post is guessed Portuguese, yet English stems match.
    slug = publish(title="Moth <em>watching</em>", body="Moths circle the lamp.")
    assert found(api, "moth") == [slug]
    assert "<mark>Moths</mark>" in api.get("/search?q=moth").json["posts"][0]["snippet_html"]


def test_japanese_and_chinese_match_by_character_pairs(api: Api, publish: Any) -> None:
    tokyo = publish(title="東京都の桜", body="春になると東京都の公園は花見の人でいっぱいです。")
    beijing = publish(title="北京的秋天", body="北京的秋天天气很好，我们去公园散步。")
    assert found(api, "東京") == [tokyo]
    assert found(api, "花見") == [tokyo]
    assert found(api, "秋天") == [beijing]
    assert set(found(api, "公园")) == {beijing}
    post = api.get(f"/search?q={quote('東京都')}").json["posts"][0]
    assert "<mark>東京都</mark>" in post["title_html"]


def test_right_to_left_text_is_found_and_marked(api: Api, publish: Any) -> None:
    hebrew = publish(title="שָׁלוֹם עולם", body="זה פוסט על ירושלים.")
    arabic = publish(title="عن الكتاب", body="قرأت كتابا جديدا عن المكتبة.")
    assert found(api, "שלום") == [hebrew]
    assert found(api, "ירושלים") == [hebrew]
    assert found(api, "الكتاب") == [arabic]
    assert "<mark>ירושלים</mark>" in api.get(f"/search?q={quote('ירושלים')}").json["posts"][0]["snippet_html"]


def test_a_two_term_query_takes_at_most_three_round_trips(api: Api, publish: Any, dynamo: DynamoCalls) -> None:
    for n in range(3):
        publish(title=f"Garden notes {n}", body="Tomatoes and basil grow well together.")
    dynamo.clear()
    assert len(found(api, "tomatoes basil")) == 3
    assert dynamo.operations == ["Query", "Query", "BatchGetItem"]


def test_more_matching_words_rank_first(api: Api, publish: Any) -> None:
    one = publish(title="Cats", body="Cats sleep a lot.")
    both = publish(title="Cats and dogs", body="Cats and dogs can be friends.")
    assert found(api, "cats dogs")[0] == both
    assert set(found(api, "cats dogs")) == {one, both}


def test_pages_follow_the_cursor_and_forged_cursors_are_refused(api: Api, publish: Any) -> None:
    made = {publish(title=f"Lighthouse {n}", body="A lighthouse keeper's log.") for n in range(13)}
    first = api.get("/search?q=lighthouse").json
    second = api.get(f"/search?q=lighthouse&cursor={quote(first['next_cursor'])}").json
    assert len(first["posts"]) == 10 and second["next_cursor"] is None
    assert {p["slug"] for p in first["posts"] + second["posts"]} == made
    # A cursor is bound to its query, and cannot be forged.
    replayed = api.get(f"/search?q=keeper&cursor={quote(first['next_cursor'])}")
    assert replayed.status == 400, replayed.body
    payload, _ = first["next_cursor"].split(".")
    assert api.get(f"/search?q=lighthouse&cursor={payload}.AAAAAAAAAAAAAAAAAAAAAA").status == 400


@pytest.mark.parametrize(("query", "field"), [
    ("", "q"),
    ("   ", "q"),
    ("x" * 201, "q"),
    ("tab\there", "q"),
    ("nul\x00byte", "q"),
    ("the and of", "q"),
    ("!!! ???", "q"),
    (" ".join(f"word{n}" for n in range(9)), "q"),
])
def test_bad_queries_are_refused_with_the_field_named(api: Api, query: str, field: str) -> None:
    reply = api.get(f"/search?q={quote(query)}")
    assert reply.status == 422, reply.body
    assert field in reply.problem["errors"]


def test_an_unknown_language_is_refused(api: Api) -> None:
    reply = api.get("/search?q=hello&lang=xx")
    assert reply.status == 422 and "lang" in reply.problem["errors"]


def test_a_bad_stream_record_does_not_stop_the_others(api: Api, publish: Any, indexer: Indexer) -> None:
    slug = publish(title="Penguin", body="Cold.")
    broken = {"eventID": "bad", "dynamodb": {"Keys": {"PK": {"S": "POST#x"}, "SK": {"S": keys.POST_SK}},
                                             "NewImage": {"title": {"S": "no status"}}}}
    indexer.stream.deliver(broken)
    assert found(api, "penguin") == [slug]


def test_a_record_delivered_twice_writes_nothing_more(api: Api, publish: Any, indexer: Indexer,
                                                      dynamo: DynamoCalls) -> None:
    slug = publish(title="Heron", body="A grey heron by the river.")
    record = indexer.stream.record("MODIFY", None, indexer.stream.image(keys.post(slug)))
    dynamo.clear()
    indexer.stream.deliver(record)
    assert "BatchWriteItem" not in dynamo.operations
    assert found(api, "heron") == [slug]


def test_an_indexed_post_keeps_its_counts_and_comments_on_its_page(api: Api, blog: Blog, publish: Any) -> None:
    # The search document lives in the post's partition: it must sort outside the post page's one Query
    # (the post, then its summary with the counts, then its comments), or the page loses its counts.
    slug = publish(title="Counted and indexed", body="Words to find.")
    blog.comment(slug, body="One.")
    blog.comment(slug, body="Two.")

    assert found(api, "counted") == [slug]
    page = api.get(f"/posts/{slug}?embed=comments&comments_limit=1").json
    assert api.get(f"/posts/{slug}").json["comment_count"] == 2
    assert page["comment_count"] == 2 and [c["html"] for c in page["comments"]] == ["<p>One.</p>\n"]
    assert len(api.get(f"/posts/{slug}/comments?sort=newest").json["items"]) == 2
