"""The content rules read a comment as a reader sees it: evasions are refused, ordinary text in any script passes.

Found: with BLOCKED_WORDS=viagra,casino, "viagra" got through spelled with
zero-width characters, a soft hyphen, Cyrillic look-alikes, spaces between its
letters and Markdown emphasis, and the same tricks got a duplicate accepted.
Each row below is a spelling a reader reads as the refused word, link or
duplicate; each must be refused, on create and on edit. Texts are written with
escapes where the characters would be invisible or look like others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.blog import reader_text
from chalicelib.settings import Settings
from tests.conftest import Api, Blog, Reply
from tests.importer.steps import with_bodies

Configure = Callable[..., Settings]

# Each spells "viagra" or "casino" for a reader's eyes.
WORD_EVASIONS = {
    "zero-width space": "Cheap via\u200bgra here",
    "zero-width joiner and non-joiner": "Cheap v\u200di\u200ca\u2060gra here",
    "soft hyphen": "Cheap via\u00adgra here",
    "Cyrillic look-alikes": "Cheap vi\u0430gr\u0430 here",
    "letters spaced out": "Cheap v i a g r a here",
    "letters dotted out": "Cheap v.i.a.g.r.a here",
    "Markdown emphasis inside the word": "Cheap via**gra** here",
    "Markdown strikethrough and code inside the word": "Cheap vi~~a~~g`ra` here",
    "full-width letters": "Cheap \uff56\uff49\uff41\uff47\uff52\uff41 here",
    "mathematical bold letters": "Cheap \U0001d42f\U0001d422\U0001d41a\U0001d420\U0001d42b\U0001d41a here",
    "Latin, Greek and Cyrillic mixed": "Best c\u0430s\u0456n\u03bf in town",
    "right-to-left override": "Cheap \u202eargaiv\u202c here",
    "combining marks": "Cheap v\u0308i\u0301a\u0327g\u0303ra here",
    "HTML character references": "Cheap &#118;&#x69;agra here",
    "a reference to a zero-width space": "Cheap via&#8203;gra here",
    "variation selectors": "Cheap v\ufe0fi\ufe0eagra here",
    "capitals and a word joiner": "CASI\u2060NO night",
}
# Two links each (the limit is one), disguised.
LINK_EVASIONS = {
    "hxxp, defanged": "See hxxp://one.example and hxxps://two.example",
    "a URL split by emphasis": "See ht*tp*s://one.example and https://two.example",
    "a zero-width space in the scheme": "See ht\u200btps://one.example and https://two.example",
    "full-width scheme": "See \uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fone.example and https://two.example",
    "percent-encoded scheme": "See https%3A%2F%2Fone.example and https://two.example",
    "look-alike slashes": "See https:\u2215\u2215one.example and https://two.example",
    "HTML references in the scheme": "See &#104;ttps://one.example and https://two.example",
}
# Each reads as "Great post, thank you!".
DUPLICATE_EVASIONS = {
    "zero-width space": "Great post, thank\u200b you!",
    "soft hyphen": "Great post, th\u00adank you!",
    "Cyrillic look-alikes": "Gr\u0435\u0430t p\u043est, thank you!",
    "emphasis": "Great **post**, thank you!",
    "spacing": "Great post , thank  you !",
    "full-width letters": "\uff27reat post, thank you!",
}
# Ordinary text in other scripts and with accents: accepted, stored and shown as written.
ORDINARY = {
    "Russian": "Спасибо за статью! Очень полезно, особенно про таблицы и ключи.",
    "Japanese": "とても分かりやすい記事でした。次の投稿も楽しみにしています！",
    "Arabic": "شكراً جزيلاً على هذا المقال الرائع، استفدت منه كثيراً.",
    "accented": "Ça m'a beaucoup aidé — merci, señor Müller! Ærø, Łódź, São Paulo.",
    "Hebrew with bidi marks": "תודה רבה על הפוסט\u200f (2026) \u200eDynamoDB\u200e",
    "emoji with joiners": "Loved it \U0001f469\u200d\U0001f4bb\U0001f44d\U0001f3fd",
}


@pytest.fixture
def rules(configure: Configure) -> None:
    configure(BLOCKED_WORDS="viagra, casino", COMMENT_MAX_LINKS="1")


def send(api: Api, slug: str, body: str, **fields: Any) -> Reply:
    return api.post(f"/posts/{slug}/comments", {"body": body, "author_name": "Ann", **fields})


def bodies(api: Api, slug: str) -> list[str]:
    """The listed comments' Markdown, read as an admin (public lists carry only their html)."""
    reply = api.get(f"/posts/{slug}/comments?limit=100")
    assert reply.status == 200, reply.body
    return [c["body"] for c in with_bodies(api, reply.json["items"])]


def edit(api: Api, created: dict[str, Any], body: str) -> Reply:
    return api.patch(f"/comments/{created['comment']['id']}", {"body": body},
                     headers={"X-Edit-Token": created["edit_token"]})


def test_the_tables_hold_at_least_twenty_evasions() -> None:
    assert len(WORD_EVASIONS) + len(LINK_EVASIONS) + len(DUPLICATE_EVASIONS) >= 20


@pytest.mark.parametrize("body", WORD_EVASIONS.values(), ids=WORD_EVASIONS.keys())
def test_a_blocked_word_spelled_around_the_rule_is_refused(api: Api, slug: str, rules: None, body: str) -> None:
    reply = send(api, slug, body)

    assert reply.status == 422, reply.body
    assert reply.problem["errors"] == {"body": ["is not accepted"]}
    assert bodies(api, slug) == []


@pytest.mark.parametrize("body", WORD_EVASIONS.values(), ids=WORD_EVASIONS.keys())
def test_an_edit_to_a_blocked_word_spelled_around_the_rule_is_refused(api: Api, blog: Blog, slug: str, rules: None,
                                                                      body: str) -> None:
    created = blog.comment(slug, body="First thoughts")

    reply = edit(api, created, body)

    assert reply.status == 422, reply.body
    assert bodies(api, slug) == ["First thoughts"]


@pytest.mark.parametrize("name", ["V i a g r a", "Ca\u200bsino Bob", "\u0441asino"])
def test_a_name_spelling_a_blocked_word_is_refused(api: Api, slug: str, rules: None, name: str) -> None:
    assert send(api, slug, "Fine words", author_name=name).status == 422
    assert bodies(api, slug) == []


@pytest.mark.parametrize("body", LINK_EVASIONS.values(), ids=LINK_EVASIONS.keys())
def test_links_in_disguise_count(api: Api, slug: str, rules: None, body: str) -> None:
    reply = send(api, slug, body)

    assert reply.status == 422, reply.body
    assert "has 2 links" in reply.problem["errors"]["body"][0]
    assert bodies(api, slug) == []


@pytest.mark.parametrize("body", LINK_EVASIONS.values(), ids=LINK_EVASIONS.keys())
def test_an_edit_to_links_in_disguise_is_refused(api: Api, blog: Blog, slug: str, rules: None, body: str) -> None:
    created = blog.comment(slug, body="First thoughts")

    assert edit(api, created, body).status == 422
    assert bodies(api, slug) == ["First thoughts"]


@pytest.mark.parametrize("body", DUPLICATE_EVASIONS.values(), ids=DUPLICATE_EVASIONS.keys())
def test_a_duplicate_spelled_differently_is_refused(api: Api, slug: str, body: str) -> None:
    assert send(api, slug, "Great post, thank you!").status == 201

    reply = send(api, slug, body)

    assert reply.status == 409, reply.body
    assert bodies(api, slug) == ["Great post, thank you!"]


@pytest.mark.parametrize("body", DUPLICATE_EVASIONS.values(), ids=DUPLICATE_EVASIONS.keys())
def test_an_edit_into_a_duplicate_spelled_differently_is_refused(api: Api, blog: Blog, slug: str, body: str) -> None:
    assert send(api, slug, "Great post, thank you!").status == 201
    created = blog.comment(slug, body="Other thoughts")

    reply = edit(api, created, body)

    assert reply.status == 409, reply.body
    assert bodies(api, slug) == ["Great post, thank you!", "Other thoughts"]


def test_an_edit_that_keeps_what_a_reader_sees_is_not_a_duplicate_of_itself(api: Api, blog: Blog,
                                                                            slug: str) -> None:
    created = blog.comment(slug, body="Great post, thank you!")

    reply = edit(api, created, "Great post, thank you! ")

    assert reply.status == 200, reply.body


@pytest.mark.parametrize("body", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_text_in_any_script_passes_unchanged(api: Api, slug: str, rules: None, body: str) -> None:
    reply = send(api, slug, body, author_name="Ольга Мüller")

    assert reply.status == 201, reply.body
    assert reply.json["comment"]["status"] == "approved"
    assert reply.json["comment"]["body"] == body
    assert bodies(api, slug) == [body]


def test_ordinary_texts_that_differ_are_not_duplicates(api: Api, slug: str, rules: None) -> None:
    for body in ORDINARY.values():
        assert send(api, slug, body).status == 201
    assert send(api, slug, "Спасибо за статью!").status == 201
    assert send(api, slug, "Спасибо за статью?").status == 201

    assert len(bodies(api, slug)) == len(ORDINARY) + 2


def test_a_word_that_merely_contains_a_blocked_one_passes(api: Api, slug: str, configure: Configure) -> None:
    configure(BLOCKED_WORDS="ass, sex")

    assert send(api, slug, "A classic assessment of Essex and Sussex, class by class.").status == 201


def test_a_blocked_phrase_is_refused_however_it_is_spaced(api: Api, slug: str, configure: Configure) -> None:
    configure(BLOCKED_WORDS="free money")

    assert send(api, slug, "Get FREE   money!").status == 422
    assert send(api, slug, "Get free\u200b-money").status == 422
    assert send(api, slug, "Free advice, no money needed").status == 201


def test_the_fold_maps_look_alikes_to_their_prototype_as_unicode_tr39_does() -> None:
    assert reader_text.skeleton("\u0440\u0430ypal") == "paypal"
    assert reader_text.skeleton("m") == "rn"  # confusables.txt: m -> r n
    assert reader_text.comparable("ＰａｙＰａｌ") == reader_text.comparable("paypal")
    assert reader_text.comparable("Ä\u200b\u00ad") == "a"
