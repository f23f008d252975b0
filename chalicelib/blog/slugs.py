"""Slugs from any Unicode title.

Accents are folded on Latin letters ("Café" -> "cafe"); letters of other
scripts stay as they are, marks included ("ジャパン" keeps its voicing marks,
"Май" keeps its "й", Devanagari keeps its vowel signs), because there a mark
is part of the letter, not an accent. Browsers show such slugs decoded in the
address bar. Everything that is not a letter, mark or digit becomes a hyphen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_SLUG_LENGTH = 80
# How many slugs a post may have been renamed to (its aliases): each reserves a slug for good.
MAX_ALIASES = 20


def _is_word_char(char: str) -> bool:
    # Letters (L*), marks (M*) and digits (N*) of any script.
    return unicodedata.category(char)[0] in "LMN"


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _fold_latin_accents(text: str) -> str:
    """Drop the combining marks that follow an ASCII letter; keep every other mark."""
    kept: list[str] = []
    base_is_ascii = True
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not base_is_ascii:
                kept.append(char)
            continue
        base_is_ascii = char.isascii()
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _without_leading_marks(word: str) -> str:
    start = 0
    while start < len(word) and _is_mark(word[start]):
        start += 1
    return word[start:]


def slugify(title: str) -> str:
    # NFKC first, so compatibility forms ("ﬁ", full-width "Ａ", half-width kana)
    # become the ordinary letters the folding and the reader expect.
    text = _fold_latin_accents(unicodedata.normalize("NFKC", title).casefold())
    spaced = "".join(char if _is_word_char(char) else " " for char in text)
    # A mark left at the start of a word (its letter was punctuation) marks nothing.
    words = [_without_leading_marks(word) for word in spaced.split()]
    slug = "-".join(word for word in words if word)
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    return slug


def with_suffix(slug: str, suffix: str) -> str:
    """``slug-suffix``, shortening ``slug`` so the result is still a valid slug."""
    room = MAX_SLUG_LENGTH - len(suffix) - 1
    return f"{slug[:room].rstrip('-')}-{suffix}"


def is_valid_slug(slug: str) -> bool:
    if not 0 < len(slug) <= MAX_SLUG_LENGTH:
        return False
    # NFKC, not only NFC: a compatibility form ("ｆｕｌｌ", "ﬁ") would pass for another slug's look-alike.
    if slug != slug.casefold() or slug != unicodedata.normalize("NFKC", slug):
        return False
    return all(
        word and not _is_mark(word[0]) and all(_is_word_char(c) for c in word) for word in slug.split("-")
    )


def public_slug(item: Mapping[str, Any]) -> str:
    """The slug a post (or its summary, label copy or search document) is shown and linked under.

    ``slug`` is the post's first slug, its permanent key; ``current_slug`` is there once it was renamed.
    """
    return str(item.get("current_slug") or item["slug"])
