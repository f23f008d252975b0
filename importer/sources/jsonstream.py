"""One JSON document read a piece at a time: an object's members in turn, an array's elements one by one.

Ghost's export is a single document whose ``posts`` array can be most of a
large file. The standard library parses whole documents only, so this walks
the structure around the arrays itself and hands each element, alone, to the
standard decoder (``raw_decode``) on a buffer that holds little more than that
element. Memory follows the largest element, not the file.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from importer.model import ImportError_
from importer.sources.common import clean, opened

_CHUNK = 256 * 1024
MAX_ELEMENT_CHARS = 64 * 1024 * 1024  # far above any post; a bound on one buffered element
_SPACE = " \t\r\n"


class JsonStream:
    def __init__(self, handle: BinaryIO, what: str) -> None:
        self.handle = handle
        self.what = what
        self.text = codecs.getincrementaldecoder("utf-8-sig")()
        self.buffer = ""
        self.at = 0
        self.ended = False
        self.decoder = json.JSONDecoder()

    def _more(self, wanted: int) -> bool:
        """Read ``wanted`` more bytes (or to the end), dropping what was parsed: False when none were left."""
        if self.ended:
            return False
        try:
            chunk = self.handle.read(wanted)
        except (OSError, EOFError) as broken:
            raise ImportError_(f"{self.what}: the gzip file breaks off ({broken})") from None
        self.ended = not chunk
        try:
            self.buffer = self.buffer[self.at:] + self.text.decode(chunk, final=self.ended)
        except UnicodeDecodeError as broken:
            raise ImportError_(f"{self.what}: not UTF-8 text ({broken.reason})") from None
        self.at = 0
        return bool(chunk)

    def _peek(self) -> str:
        """The next character that is not white space, not consumed."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.buffer):
                return self.buffer[self.at]
            if not self._more(_CHUNK):
                raise ImportError_(f"{self.what}: the JSON document ends too soon")

    def _take(self, expected: str) -> str:
        found = self._peek()
        if found not in expected:
            raise ImportError_(f"{self.what}: not a JSON document (found {found!r} where one of {expected!r} "
                               f"belongs, {self._where()})")
        self.at += 1
        return found

    def _where(self) -> str:
        return f"near {self.buffer[max(0, self.at - 30):self.at + 30]!r}"

    def value(self) -> Any:
        """The next whole value (strings cleaned as the API would take them)."""
        self._peek()
        while True:
            try:
                found, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as broken:
                if len(self.buffer) - self.at > MAX_ELEMENT_CHARS:
                    raise ImportError_(f"{self.what}: one JSON value longer than {MAX_ELEMENT_CHARS:,} characters "
                                       "(no record is): refused") from None
                if self._more(max(_CHUNK, len(self.buffer) - self.at)):  # the value goes on: read as much again
                    continue
                raise ImportError_(f"{self.what}: not a JSON document ({broken.msg}, {self._where()})") from None
            if end == len(self.buffer) and self._more(_CHUNK):
                continue  # a number cut off by the end of the buffer ("12" of "123"): parse it whole
            self.at = end
            return clean(found)

    def is_array(self) -> bool:
        return self._peek() == "["

    def is_object(self) -> bool:
        return self._peek() == "{"

    def members(self) -> Iterator[str]:
        """The keys of the object that starts here; the caller reads (or skips) each one's value."""
        self._take("{")
        if self._peek() == "}":
            self.at += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise ImportError_(f"{self.what}: not a JSON document (an object's key is not a string)")
            self._take(":")
            yield key
            if self._take(",}") == "}":
                return

    def starts(self) -> Iterator[None]:
        """Once at the start of each element of the array that starts here; the caller reads (or skips) it."""
        self._take("[")
        if self._peek() == "]":
            self.at += 1
            return
        while True:
            yield
            if self._take(",]") == "]":
                return

    def elements(self) -> Iterator[Any]:
        """The elements of the array that starts here, each parsed alone."""
        for _ in self.starts():
            yield self.value()


def object_rows(path: Path, members: set[str] | None = None) -> Iterator[tuple[str, Any]]:
    """(member, element) for each element of each array member of the object the file holds, in file order.

    ``members``, when given, gets the name of every member, whatever its value (an empty array too)."""
    with opened(path) as handle:
        stream = JsonStream(handle, path.name)
        if not stream.is_object():
            raise ImportError_(f"{path.name}: not a JSON object")
        for key in stream.members():
            if members is not None:
                members.add(key)
            if stream.is_array():
                for row in stream.elements():
                    yield key, row
            else:
                stream.value()


def array_rows(path: Path) -> Iterator[Any]:
    """Each element of the array the file holds, in file order."""
    with opened(path) as handle:
        stream = JsonStream(handle, path.name)
        if not stream.is_array():
            raise ImportError_(f"{path.name}: not a JSON array")
        yield from stream.elements()
