"""What the newer sources share: gzip-or-plain files, dates, titles from addresses, comment limits."""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from chalicelib.blog.comment_creation import MAX_COMMENT_LENGTH
from importer.formats import iso_date
from importer.model import APPROVED, DELETED, ImportError_, Note
from importer.urls import slug_from_url

GZIP_MAGIC = b"\x1f\x8b"
_HEAD = 64 * 1024
# What one line of a JSON-lines file may take once unpacked: far above any real record, and a bound
# on memory against a file made to blow up (a gzip "bomb", one endless line).
MAX_LINE_BYTES = 16 * 1024 * 1024


@contextmanager
def opened(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, gunzipped as they are read when it is gzipped (Remark42's backups, Commento's exports)."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw) as unpacked:
            yield cast(BinaryIO, unpacked)


def lines(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a JSON-lines file, each line bounded (MAX_LINE_BYTES)."""
    for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(line) > MAX_LINE_BYTES:
            raise ImportError_(f"line {number}: longer than {MAX_LINE_BYTES // 1024 // 1024} MB, which no record is")
        yield number, line


def head(path: Path) -> bytes:
    """The first bytes of the file's content (after gunzipping), to tell its format by."""
    try:
        with opened(path) as handle:
            return handle.read(_HEAD)
    except (OSError, EOFError) as broken:
        raise ImportError_(f"{path.name}: a gzip file that does not unpack ({broken})") from None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: Any) -> Any:
    """Every string in ``value`` as the API would take it: NFC, no control characters, no lone surrogates.

    JSON may spell a lone surrogate (``"\\ud800"``), which no UTF-8 store can hold, and a NUL or
    another control character, which the API refuses: the text around them is kept.
    """
    if isinstance(value, str):
        return unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", _CONTROL.sub("", value)))
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean(v) for v in value)
    return value


def epoch_date(seconds: Any, what: str) -> str:
    """An ISO 8601 UTC date from seconds since 1970 (Isso's), refused with ``what`` named when it is not one."""
    try:
        return datetime.fromtimestamp(float(seconds), UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        raise ImportError_(f"{what}: {seconds!r} is not a date") from None


_SPACED_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(Z|[+-]\d\d:?\d\d)?$")


def any_date(value: Any, what: str) -> str | None:
    """A date as static-site front matter and JSON exports write it, as ISO 8601; None when absent.

    YAML gives datetimes and dates, TOML datetimes, JSON strings; Jekyll also
    writes "2014-05-06 21:52:00 -0400". Anything else is refused, naming ``what``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).isoformat()
    if isinstance(value, str):
        text = value.strip()
        spaced = _SPACED_OFFSET.match(text)
        if spaced:
            day, time, offset = spaced.groups()
            if offset and offset != "Z" and ":" not in offset:
                offset = offset[:3] + ":" + offset[3:]
            text = f"{day}T{time}{offset or ''}"
        found = iso_date(text)
        if found is not None:
            return found
    raise ImportError_(f"{what}: {value!r} is not a date")


MAX_IMPORTED_VOTES = 1_000_000


def vote_counts(likes: Any, dislikes: Any, what: str) -> tuple[int, int]:
    """A source's like and dislike counts, checked: whole numbers from 0 up to a bound no real thread reaches."""
    counts = []
    for name, value in (("likes", likes), ("dislikes", dislikes)):
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_IMPORTED_VOTES:
            raise ImportError_(f"{what}: {name} {value!r} is not a count from 0 to {MAX_IMPORTED_VOTES:,}")
        counts.append(value)
    return counts[0], counts[1]


def counts_from_score(score: Any, what: str) -> tuple[int, int]:
    """A net score (Remark42's, Commento's) as counts: a positive score is that many likes, a negative one dislikes."""
    if score is None:
        return 0, 0
    if isinstance(score, bool) or not isinstance(score, int):
        raise ImportError_(f"{what}: score {score!r} is not a whole number")
    return vote_counts(max(score, 0), max(-score, 0), what)


def title_from_url(url: str) -> str:
    """A page's title from its address's last segment ("hello-world" gives "Hello world"), never the raw URL."""
    slug = slug_from_url(url) or ""
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else "(untitled)"


def within_limit(status: str, text: str, ref: str, notes: list[str]) -> str:
    """A public comment longer than the API accepts is read as deleted (a tombstone keeps its replies' place)."""
    if status == APPROVED and len(text) > MAX_COMMENT_LENGTH:
        notes.append(f"{ref}: longer than {MAX_COMMENT_LENGTH:,} characters (the API's limit): read as deleted")
        return DELETED
    return status


def notes_of(notes: list[str]) -> Iterator[Note]:
    for text in notes:
        yield Note(text)
    notes.clear()


def field_of(record: Any, name: str, what: str, kind: type | tuple[type, ...] = str) -> Any:
    """``record[name]``, refused with the record named when it is missing or of another type."""
    if not isinstance(record, dict):
        raise ImportError_(f"{what}: not a JSON object")
    if name not in record:
        raise ImportError_(f"{what}: has no {name!r}")
    value = record[name]
    if not isinstance(value, kind):
        raise ImportError_(f"{what}: {name!r} is not a {getattr(kind, '__name__', 'value of the expected type')}")
    return value
