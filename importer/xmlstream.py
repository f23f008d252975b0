"""A streaming, hostile-file-safe XML reader: each record element once, then forgotten.

defusedxml's iterparse refuses a DOCTYPE outright (forbid_dtd): no entity can be
declared, so none can expand (the "billion laughs") or fetch a file or URL (XXE).
Exports from Blogger, WordPress and Disqus carry no DOCTYPE. After a record is
handled its element is cleared and dropped from its parent, so memory holds one
record at a time whatever the size of the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from importer.model import ImportError_


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def child(element: ET.Element, name: str, ns_prefix: str | tuple[str, ...] = "") -> ET.Element | None:
    """The first child named ``name`` (local name) whose namespace starts with ``ns_prefix`` (or one of them)."""
    for item in element:
        if local(item.tag) == name and namespace(item.tag).startswith(ns_prefix):
            return item
    return None


def child_text(element: ET.Element, name: str, ns_prefix: str | tuple[str, ...] = "") -> str:
    return text(child(element, name, ns_prefix))


def records(source: BinaryIO, is_record: Callable[[ET.Element, int], bool]) -> Iterator[ET.Element]:
    """Every element for which ``is_record(element, depth)`` holds, complete, in document order.

    The root is depth 0. A record and everything before it in its parent are
    cleared once the caller has taken it.
    """
    stack: list[ET.Element] = []
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                stack.append(element)
                continue
            stack.pop()
            if is_record(element, len(stack)):
                yield element
                element.clear()
                if stack:
                    stack[-1].remove(element)
    except DefusedXmlException as refused:
        raise ImportError_(f"the file declares a DOCTYPE or entities, which no export does; refused ({refused})") \
            from None
    except ET.ParseError as broken:
        raise ImportError_(f"the file is not well-formed XML: {broken}") from None


def root_of(source: BinaryIO) -> tuple[str, dict[str, str]]:
    """The root element's tag and the namespaces declared up to it (prefix -> URI)."""
    declared: dict[str, str] = {}
    try:
        for event, value in iterparse(source, events=("start-ns", "start"), forbid_dtd=True):
            if event == "start-ns":
                prefix, uri = value
                declared[prefix] = uri
                continue
            return value.tag, declared
    except DefusedXmlException as refused:
        raise ImportError_(f"the file declares a DOCTYPE or entities, which no export does; refused ({refused})") \
            from None
    except ET.ParseError as broken:
        raise ImportError_(f"the file is not well-formed XML: {broken}") from None
    raise ImportError_("the file is empty")
