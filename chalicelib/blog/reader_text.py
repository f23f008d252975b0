"""Text compared by what a reader sees, so the content rules cannot be spelled around.

The anti-spam rules (blocked words, the link counter, the duplicate guard) read
a comment through ``comparable``; the comment itself is stored and shown as it
was written. ``comparable`` folds away what changes the code points but not
what a reader sees:

- HTML character references ("&#118;iagra"): the renderer decodes them;
- compatibility forms (full-width letters, ligatures, mathematical letters): NFKC;
- default-ignorable code points (zero-width characters, the soft hyphen, bidi
  controls, variation selectors): they draw nothing. Text after a right-to-left
  override is shown reversed, so it is read reversed;
- case, and combining marks ("v̈iagra"): casefolded, marks dropped;
- confusables (Cyrillic U+0430 for Latin "a"): each character mapped to its
  prototype, the skeleton of Unicode TR39 (UTS #39 section 4). The table is
  Unicode's confusables.txt as the ``confusable_homoglyphs`` package ships it
  (a maintained copy), read on first use only: it costs about 50 ms, which a
  request that never checks a comment never pays.

For the word rules, ``words`` also takes Markdown emphasis out of words
("via**gra**") and sees words spelled out with spaces or dots ("v i a g r a").
The fold is for comparing only: it is not meant to be readable.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib.patterns import lazy

if TYPE_CHECKING:
    from collections.abc import Mapping

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt), as ranges.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_IGNORABLE = lazy("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _DEFAULT_IGNORABLE) + "]")
_RIGHT_TO_LEFT_OVERRIDE = "\u202e"
# Where an override ends: its pop (PDF), an isolate's pop, or the end of the paragraph.
_OVERRIDE_ENDS = lazy("[\u202c\u2069\n]")
# Markdown's emphasis, strikethrough and code markers: inside a word they draw nothing.
_MARKUP = lazy(r"[*_~`]+")
_WORD = lazy(r"\w+")
# The longest run of words joined to find a blocked word spelled out ("v i a g r a"): one a letter.
_MAX_JOINED = 40


def comparable(text: str) -> str:
    """``text`` folded as described above: what two texts a reader cannot tell apart have in common."""
    seen = _shown_order(html.unescape(text))
    folded = _IGNORABLE.sub("", unicodedata.normalize("NFKC", seen))
    # Twice: a prototype may be a capital ("0" -> "O") or carry a mark, and casefolded it may have one of its own.
    return _bare(skeleton(_bare(skeleton(_bare(folded)))))


def _bare(text: str) -> str:
    """Casefolded, decomposed, combining marks dropped."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def skeleton(text: str) -> str:
    """Each character replaced by its TR39 prototype (NFD before and after, as the standard says)."""
    table = _prototypes()
    return unicodedata.normalize("NFD", "".join(table.get(c, c) for c in unicodedata.normalize("NFD", text)))


def _shown_order(text: str) -> str:
    """Text after a right-to-left override (until it ends) in the order it is shown: reversed."""
    if _RIGHT_TO_LEFT_OVERRIDE not in text:
        return text
    head, *overridden = text.split(_RIGHT_TO_LEFT_OVERRIDE)
    parts = [head]
    for part in overridden:
        end = _OVERRIDE_ENDS.search(part)
        cut = end.start() if end else len(part)
        parts.append(part[:cut][::-1] + part[cut:])
    return "".join(parts)


def words(text: str) -> set[str]:
    """The words of ``comparable(text)``, with emphasis taken out of them, and every run of them joined.

    Joined runs catch a word spelled out ("v i a g r a", "v.i.a.g.r.a", "via gra"):
    a rule matches a word or a run of up to a few dozen letters.
    """
    found = _WORD.findall(_MARKUP.sub("", comparable(text)))
    forms = set(found)
    for start in range(len(found)):
        joined = found[start]
        for following in found[start + 1:]:
            joined += following
            if len(joined) > _MAX_JOINED:
                break
            forms.add(joined)
    return forms


def blocked_forms(blocked: Iterable[str]) -> frozenset[str]:
    """The blocked words as ``words`` sees them ("Viagra" and "viagra" block alike; "free money" is one run)."""
    return frozenset(form for word in blocked for form in ["".join(_WORD.findall(_MARKUP.sub("", comparable(word))))]
                     if form)


@lru_cache(maxsize=1)
def _prototypes() -> Mapping[str, str]:
    """Each confusable character's prototype, from Unicode's confusables.txt, read once per process.

    The package keeps the file's pairs in both directions, in the file's order,
    with the glyphs as the file's comments show them (Arabic ones wrapped in
    left-to-right marks, stripped here). A character with several look-alikes is
    a prototype; one paired with a single other character maps to it, unless
    that other one pairs back only with it: then the pair came from one line of
    the file, "source ; prototype", and the source came first.
    """
    import json
    from importlib import resources

    pairs: dict[str, list[dict[str, str]]] = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    order = {glyph: n for n, glyph in enumerate(pairs)}
    table: dict[str, str] = {}
    for glyph, alikes in pairs.items():
        source = _unmarked(glyph)
        if len(alikes) != 1 or len(source) != 1:
            continue
        other = alikes[0]["c"]
        back = pairs.get(other)
        if back is not None and len(back) == 1 and order[other] < order[glyph]:
            continue  # this glyph is the prototype of that one
        prototype = _unmarked(other)
        if prototype != source:
            table[source] = prototype
    return table


def _unmarked(glyph: str) -> str:
    return glyph.replace("\u200e", "").replace("\u200f", "")
