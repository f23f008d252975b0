"""Text to search terms, the same way for a post and for a query, in every language the widget speaks.

- Words are runs of letters and digits (with their combining marks), NFKC-normalised and casefolded.
- Latin-script words are stemmed with Snowball's stemmer for the post's language (en, de, fr, es, pt),
  guessed from its commonest words, and also with the English one: a guess can be wrong (a short
  post, a title of code), and a query too short to tell its language is stemmed as English, so the
  English stem is always there to match. A query names its language (`lang`) or is guessed the same way,
  and gives one term per word.
- Cyrillic words get Snowball's Russian stemmer, Arabic words its Arabic stemmer; Hebrew words lose
  their vowel points (niqqud) and are matched whole.
- Japanese and Chinese have no spaces: a run of Han, kana or Hangul is cut into overlapping
  character pairs (bigrams), so 東京都 is 東京 + 京都 and a query for 東京 finds it.

snowballstemmer is pure Python and about 0.4 MB: it is imported on the first stemmed word, so a cold
start that serves no search never pays for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Any

# Letters/digits plus the combining marks that sit inside words (accents, niqqud, harakat).
_MARKS = "\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
_WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+")
_STRIP_MARKS = re.compile(rf"[{_MARKS}]")
# Scripts written without spaces: CJK ideographs, kana (with the long-vowel mark), Hangul.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u31f0-\u31ff]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[a-z\u00c0-\u024f]")

# A term longer than this is noise (a hash, a URL run together): it is not indexed.
MAX_TERM_LENGTH = 40
LATIN_LANGUAGES = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "pt": "portuguese"}
LANGUAGES = (*LATIN_LANGUAGES, "ru", "ja", "zh", "ar", "he")

# The commonest words of each Latin-script language: they tell a text's language, and they are not
# indexed (each would be a posting in nearly every post, for no ranking value).
_COMMON = {
    "en": "the and of to in is it that for on with as are was this be by not or you",
    "de": "der die das und ist nicht ein eine zu den mit von sich auf für im dem des auch",
    "fr": "le la les et est un une des du en pour que qui dans pas sur au avec ce",
    "es": "el la los las y es un una de del en que por para con no se lo al",
    "pt": "o a os as e é um uma de do da em que para com não se no na ao",
}
_COMMON_WORDS = {lang: frozenset(words.split()) for lang, words in _COMMON.items()}
STOP_WORDS = frozenset().union(*_COMMON_WORDS.values())


@cache
def _stemmer(algorithm: str) -> Any:
    import snowballstemmer  # type: ignore[import-untyped]  # first use only: see the module's docstring
    return snowballstemmer.stemmer(algorithm)


def _normal(word: str) -> str:
    return _STRIP_MARKS.sub("", unicodedata.normalize("NFKC", word).casefold())


def guess_language(text: str) -> str:
    """The Latin-script language whose commonest words occur most often in ``text``.

    One-letter words ("a", "o", "e", "y") are shared by too many languages to vote, and a guess needs
    two votes: a text too short to tell is English ("Cats sleep a lot" is not Portuguese).
    """
    words = [w for w in map(_normal, _WORD.findall(text)) if len(w) > 1]
    votes = {lang: sum(w in common for w in words) for lang, common in _COMMON_WORDS.items()}
    best = max(votes, key=lambda lang: votes[lang])
    return best if votes[best] >= 2 else "en"


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def word_terms(word: str, language: str, indexing: bool = False) -> Iterator[tuple[str, int, int]]:
    """The terms of one word, with the span (start, end) of ``word`` each comes from."""
    position = 0
    for cjk in _CJK.finditer(word):
        yield from _plain_terms(word[position:cjk.start()], position, language, indexing)
        run = unicodedata.normalize("NFKC", cjk.group())
        if len(run) == len(cjk.group()):
            for offset, pair in enumerate(_bigrams(run)):
                yield pair, cjk.start() + offset, cjk.start() + offset + len(pair)
        else:  # normalisation changed its length (rare): mark the whole run
            for pair in _bigrams(run):
                yield pair, cjk.start(), cjk.end()
        position = cjk.end()
    yield from _plain_terms(word[position:], position, language, indexing)


def _plain_terms(part: str, start: int, language: str, indexing: bool) -> Iterator[tuple[str, int, int]]:
    word = _normal(part)
    if not word or (word in STOP_WORDS and _LATIN.search(word)):
        return
    if _CYRILLIC.search(word):
        word = _stemmer("russian").stemWord(word)
    elif _ARABIC.search(word):
        word = _stemmer("arabic").stemWord(word)
    elif _LATIN.search(word):
        stem = _stemmer(LATIN_LANGUAGES.get(language, "english")).stemWord(word)
        english = _stemmer("english").stemWord(word)
        if indexing and english != stem and len(english) <= MAX_TERM_LENGTH:
            yield english, start, start + len(part)
        word = stem
    if 0 < len(word) <= MAX_TERM_LENGTH:
        yield word, start, start + len(part)


def spans(text: str, language: str, indexing: bool = False) -> Iterator[tuple[str, int, int]]:
    """Every term of ``text`` in order, with its span in ``text`` (a post's: ``indexing``; else a query's)."""
    for match in _WORD.finditer(text):
        for term, start, end in word_terms(match.group(), language, indexing):
            yield term, match.start() + start, match.start() + end


def terms(text: str, language: str, indexing: bool = False) -> list[str]:
    return [term for term, _, _ in spans(text, language, indexing)]
