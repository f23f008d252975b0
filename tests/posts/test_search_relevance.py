"""Search relevance over a generated corpus of 1,050 posts in English, Russian and Japanese.

The corpus is made here from word lists, deterministically (a seeded generator). Each judged query has
planted posts: one that is plainly the best answer (the words in its title, its label and often in its
body), a few more relevant ones (the words in their bodies), and distractors holding only one of the
words. The test asserts the first result and that every relevant post is on the first page (recall),
not the order beyond the first.

Posts are indexed by the real indexer into the moto table, and searched through the real service.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.blog import rendering
from chalicelib.blog.search import Search
from chalicelib.store.client import dynamodb_client
from chalicelib.store.table import Table
from tests.conftest import TEST_TABLE, DynamoCalls


def words(text: str) -> list[str]:
    return text.split()


FILLER = {
    "en": words("morning evening window river market garden yesterday travel simple quiet small bright coffee "
           "letter street friend weather summer winter table people music paper story light short"),
    "ru": words("утро вечер окно река рынок сад вчера дорога простой тихий маленький яркий кофе письмо улица "
           "друг погода лето зима стол люди музыка бумага история свет"),
    "ja": ["朝", "夕方", "窓", "川", "市場", "庭", "昨日", "旅行", "静か", "小さい", "明るい", "珈琲", "手紙",
           "通り", "友達", "天気", "夏", "冬", "机", "人々", "音楽", "紙", "物語", "光"],
}


@dataclass
class Judged:
    language: str
    query: str
    best: tuple[str, str, str]  # title, label, body words (the query's words in another form)
    relevant: tuple[str, ...]  # words that make a post relevant when its body holds them
    distractors: tuple[str, ...]  # each alone in a distractor's body


JUDGED = [
    Judged("en", "lighthouse keeper", ("The lighthouse keeper's diary", "lighthouses",
                                       "keepers of lighthouses kept the lamps lit"),
           ("lighthouse", "keeper"), ("lighthouse", "keeper")),
    Judged("en", "baking bread", ("Baking bread at home", "bread", "breads baked slowly"),
           ("bread", "baked"), ("bread", "baking")),
    Judged("ru", "смотритель маяка", ("Дневник смотрителя маяка", "маяки", "смотрители маяков зажигали огни"),
           ("маяк", "смотрителем"), ("маяками", "смотритель")),
    Judged("ru", "хлеб печь", ("Как печь хлеб дома", "хлеба", "хлебом и печами"),
           ("хлеба", "печи"), ("хлебу", "печью")),
    Judged("ja", "灯台守", ("灯台守の日記", "灯台守", "灯台守は灯台の光を守る"), ("灯台守",), ("灯台", "守備")),
    Judged("ja", "天体観測", ("天体観測の夜", "天体観測", "望遠鏡で天体観測をする"), ("天体観測",), ("天体", "観測所")),
]
CORPUS_SIZE = 1050


def filler(rng: random.Random, language: str, count: int) -> str:
    joiner = "" if language == "ja" else " "
    return joiner.join(rng.choice(FILLER[language]) for _ in range(count))


def corpus() -> Iterator[tuple[str, dict[str, Any]]]:
    """(slug, post) pairs: planted posts per judged query, then filler posts up to CORPUS_SIZE."""
    rng = random.Random(27)
    made = 0
    for q, judged in enumerate(JUDGED):
        lang, sep = judged.language, "" if judged.language == "ja" else " "
        title, label, words = judged.best
        yield f"q{q}-best", {"title": title, "labels": [label], "body": sep.join([filler(rng, lang, 8), words,
                                                                                      filler(rng, lang, 8)])}
        for n in range(3):
            body = sep.join([filler(rng, lang, 30), *judged.relevant, filler(rng, lang, 30)])
            yield f"q{q}-relevant{n}", {"title": filler(rng, lang, 3), "labels": [], "body": body}
        for n, word in enumerate(judged.distractors * 3):
            body = sep.join([filler(rng, lang, 10), word, word, filler(rng, lang, 10)])
            yield f"q{q}-distractor{n}", {"title": filler(rng, lang, 3), "labels": [], "body": body}
        made += 4 + len(judged.distractors) * 3
    for n in range(CORPUS_SIZE - made):
        lang = ("en", "ru", "ja")[n % 3]
        yield f"filler{n}", {"title": filler(rng, lang, 3), "labels": [], "body": filler(rng, lang, 40)}


@pytest.fixture(scope="module")
def posts() -> list[tuple[str, dict[str, Any]]]:
    return list(corpus())


@pytest.fixture
def search(dynamo: DynamoCalls, posts: list[tuple[str, dict[str, Any]]]) -> Search:
    search = Search(Table(dynamodb_client(), TEST_TABLE), b"relevance-test-cursor-key")
    for slug, fields in posts:
        search.reindex(slug, {**fields, "html": rendering.post_html(fields["body"]), "status": "published",
                              "published_at": "2026-01-01T00:00:00.000Z", "author": "alice", "version": 1})
    return search


def test_the_corpus_has_over_a_thousand_posts_in_three_languages(posts: list[tuple[str, dict[str, Any]]]) -> None:
    assert len(posts) >= 1000
    assert len({slug for slug, _ in posts}) == len(posts)
    assert {judged.language for judged in JUDGED} == {"en", "ru", "ja"}


def test_judged_queries_find_the_best_post_first_and_every_relevant_one(search: Search) -> None:
    # One test for every query: indexing 1,050 posts into moto is the slow part, done once.
    misses = {}
    for number, judged in enumerate(JUDGED):
        page = search.search({"q": judged.query, "lang": judged.language})["posts"]
        slugs = [post["slug"] for post in page]
        relevant = {f"q{number}-relevant{n}" for n in range(3)}
        if not slugs or slugs[0] != f"q{number}-best" or not relevant <= set(slugs):
            misses[judged.query] = slugs
    assert misses == {}
