"""Slugs from any Unicode title.

Accents are folded where Unicode can decompose them ("Café" -> "cafe"); letters
of other scripts stay as they are ("日本とロシア" stays readable, and browsers
show it decoded in the address bar). Everything else becomes a hyphen.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG_LENGTH = 80
_SEPARATORS = re.compile(r"[^\w]+|_+")
_VALID = re.compile(r"^[^\W_]+(?:-[^\W_]+)*$")


def slugify(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = _SEPARATORS.sub("-", unicodedata.normalize("NFC", folded).casefold()).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    return slug


def is_valid_slug(slug: str) -> bool:
    return 0 < len(slug) <= MAX_SLUG_LENGTH and bool(_VALID.match(slug)) and slug == slug.casefold()
