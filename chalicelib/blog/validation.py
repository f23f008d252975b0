"""Explicit input rules: each field has a type and real limits, unknown fields are refused.

``read_fields`` checks a whole JSON object at once and reports every bad field,
so a form can show all its errors together.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from chalicelib.blog import clock
from chalicelib.errors import Invalid
from chalicelib.patterns import lazy

# Control characters other than tab and newlines are never meaningful in text;
# a lone surrogate (JSON "\ud800") cannot even be encoded to store or render.
_CONTROL = lazy(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_EMAIL = lazy(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


MAX_LABEL_LENGTH = 40


class FieldError(ValueError):
    pass


# The rules are plain classes, not dataclasses: a dataclass costs about a millisecond to
# create at import, and every cold start imports these nine.
class Text:
    __slots__ = ("max_length", "min_length", "single_line", "strip")

    def __init__(self, max_length: int, min_length: int = 0, single_line: bool = True, strip: bool = True) -> None:
        self.max_length = max_length
        self.min_length = min_length
        self.single_line = single_line
        self.strip = strip

    def __call__(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise FieldError("must be a string")
        value = unicodedata.normalize("NFC", raw.replace("\r\n", "\n"))
        if self.strip:
            value = value.strip()
        if _CONTROL.search(value) or (self.single_line and ("\n" in value or "\r" in value)):
            raise FieldError("must not contain control characters" + (" or line breaks" if self.single_line else ""))
        if len(value) < self.min_length:
            short = "must not be empty" if self.min_length == 1 else f"must be at least {self.min_length} characters"
            raise FieldError(short)
        if len(value) > self.max_length:
            raise FieldError(f"must be at most {self.max_length} characters")
        return value


class Choice:
    __slots__ = ("options",)

    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options

    def __call__(self, value: Any) -> str:
        if value not in self.options:
            raise FieldError("must be one of " + ", ".join(self.options))
        return str(value)


class Url:
    __slots__ = ("max_length",)

    def __init__(self, max_length: int = 500) -> None:
        self.max_length = max_length

    def __call__(self, value: Any) -> str:
        text = Text(self.max_length)(value)
        if not text:
            return text
        refused = FieldError("must be an http:// or https:// address")
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. "http://[oops": an unclosed IPv6 bracket
            raise refused from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise refused
        return text


class Email:
    __slots__ = ("allow_blank",)

    def __init__(self, allow_blank: bool = True) -> None:
        # Optional contact fields may be left blank; an account's address may not.
        self.allow_blank = allow_blank

    def __call__(self, value: Any) -> str:
        text = Text(254)(value)
        if not text and not self.allow_blank:
            raise FieldError("must not be empty")
        if text and not _EMAIL.match(text):
            raise FieldError("must be an e-mail address")
        return text.lower()


class Labels:
    __slots__ = ("max_items", "max_length")

    def __init__(self, max_items: int = 10, max_length: int = MAX_LABEL_LENGTH) -> None:
        self.max_items = max_items
        self.max_length = max_length

    def __call__(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise FieldError("must be a list of strings")
        if len(value) > self.max_items:
            raise FieldError(f"must have at most {self.max_items} labels")
        labels: list[str] = []
        seen: set[str] = set()
        for raw in value:
            label = " ".join(Text(self.max_length, min_length=1)(raw).split())
            if label.casefold() not in seen:
                seen.add(label.casefold())
                labels.append(label)
        return labels


class DateTime:
    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("must be an ISO 8601 date-time string")
        try:
            return clock.parse_iso(value, "value")
        except Invalid as error:
            raise FieldError(error.errors["value"][0]) from None
        except OverflowError:  # "9999-12-31T23:59:59-23:59" is past year 9999 in UTC
            raise FieldError("must be a year between 1970 and 9999") from None


class Integer:
    __slots__ = ("maximum", "minimum")

    def __init__(self, minimum: int, maximum: int) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise FieldError(f"must be between {self.minimum} and {self.maximum}")
        return value


class Flag:
    def __call__(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FieldError("must be true or false")
        return value


Rule = Callable[[Any], Any]


class Field:
    __slots__ = ("nullable", "required", "rule")

    def __init__(self, rule: Rule, required: bool = False, nullable: bool = False) -> None:
        self.rule = rule
        self.required = required
        self.nullable = nullable


# How many unknown fields a refusal names, and how much of each name it repeats.
MAX_UNKNOWN_NAMED = 5
MAX_NAME_ECHOED = 40


def _shortened(name: str) -> str:
    return name if len(name) <= MAX_NAME_ECHOED else name[:MAX_NAME_ECHOED - 1] + "…"


def read_fields(payload: Any, fields: Mapping[str, Field]) -> dict[str, Any]:
    """Validate a JSON object against ``fields``; return only the known, valid ones."""
    if not isinstance(payload, dict):
        raise Invalid("the request body must be a JSON object", {"body": ["must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    unknown = [name for name in payload if name not in fields]
    # Named back a few at a time, cut short: a body of a million unknown keys must not answer with them all.
    for name in unknown[:MAX_UNKNOWN_NAMED]:
        errors[_shortened(str(name))] = ["is not a field this request accepts"]
    if len(unknown) > MAX_UNKNOWN_NAMED:
        errors["(others)"] = [f"{len(unknown) - MAX_UNKNOWN_NAMED} more fields this request does not accept"]
    result: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in payload:
            if spec.required:
                errors[name] = ["is required"]
            continue
        value = payload[name]
        if value is None and spec.nullable:
            result[name] = None
            continue
        try:
            result[name] = spec.rule(value)
        except FieldError as error:
            errors[name] = [str(error)]
    if errors:
        summary = "; ".join(f"{name} {messages[0]}" for name, messages in errors.items())
        raise Invalid(f"the request has invalid fields: {summary}", errors)
    return result


DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# A post's comment thread pages larger, so the widget shows a thread of a few hundred
# comments from one cacheable request. The answer stays far below Lambda's 6 MB: each
# page is one Query, which DynamoDB stops at 1 MB read, and JSON at most triples that
# (a 4-byte character becomes a 12-byte \u escape pair).
MAX_THREAD_PAGE_SIZE = 300
_PAGE_SIZE = lazy(r"^[0-9]{1,4}$")


def read_query(params: Mapping[str, str] | None, known: tuple[str, ...]) -> dict[str, str]:
    """The query parameters a read knows; any other is ignored, not refused.

    Links to public reads arrive with parameters nobody here chose: analytics tags
    (``utm_source``), cache-busters (``_=123``), a feed reader's own. Refusing them
    would break the link; a known parameter with a bad value is still refused by its
    rule. (Writes refuse unknown parameters: api/routing.py.)
    """
    return {name: value for name, value in (params or {}).items() if name in known}


def page_limit(raw: str | None, default: int = DEFAULT_PAGE_SIZE, name: str = "limit",
               maximum: int = MAX_PAGE_SIZE) -> int:
    """A page size from the query parameter ``name``; a refusal names that parameter."""
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not _PAGE_SIZE.match(raw) or not 1 <= int(raw) <= maximum:
        raise Invalid.field(name, f"must be a whole number from 1 to {maximum}")
    return int(raw)


# Conduit pages by offset; a deep offset reads every item before it, so it stops here.
MAX_OFFSET = 10_000

def page_window(params: dict[str, str]) -> tuple[int, int]:
    """Conduit's limit (1-100, default 20) and offset (0 up)."""
    values: dict[str, Any] = {}
    for name, default, low, high in (("limit", 20, 1, 100), ("offset", 0, 0, MAX_OFFSET)):
        raw = params.get(name)
        if raw is None:
            values[name] = default
        elif raw.isascii() and raw.isdigit() and len(raw) <= 6 and low <= int(raw) <= high:
            values[name] = int(raw)
        else:
            raise Invalid.field(name, f"must be a whole number from {low} to {high}")
    return values["limit"], values["offset"]
