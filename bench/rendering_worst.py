"""The worst case of rendering: pathological Markdown at the largest size a comment or a post may have.

Each input repeats one construct that makes a naive Markdown parser backtrack
(unclosed or deeply nested brackets, runs of delimiters, unclosed code spans,
HTML and entity starts, nested quotes, link destinations that never end) up to
the field's maximum length. The figure is the slowest of them, in CPU time
(each input's best of RUNS).

Raw HTML nested deep made the sanitiser's parser superlinear (100,000 characters
of "<div>" took 1.2-3.8 s); posts are now refused past MAX_HTML_NESTING or
MAX_HTML_ELEMENTS (rendering.check_html_shape). The nested-HTML figure is the
slowest of inputs at those limits and past them: rendered, or refused with a 422.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.report import Figure, at_most
from chalicelib.blog.comment_creation import MAX_COMMENT_LENGTH
from chalicelib.blog.posts import MAX_BODY_LENGTH
from chalicelib.blog.rendering import (
    MAX_HTML_ELEMENTS,
    MAX_HTML_NESTING,
    check_html_shape,
    comment_html,
    post_html,
)
from chalicelib.errors import Invalid

SECTION = "rendering, worst case (CPU per call)"
COMMENT_BUDGET_MS = 50.0
POST_BUDGET_MS = 1000.0
RUNS = 3


def pathological(size: int) -> dict[str, str]:
    """Inputs of exactly ``size`` characters, by name."""
    def fill(unit: str, tail: str = "") -> str:
        return (unit * (size // len(unit) + 1))[:size - len(tail)] + tail

    half = "[" * (size // 2) + "]" * (size // 2)
    return {
        "[": fill("["),
        "[ then ]": fill("[", "]"),
        "[ then as many ]": half,
        "![": fill("!["),
        "![ then ]": fill("![", "]"),
        "[a then ]": fill("[a", "]"),
        "[[a]": fill("[[a]"),
        "[a](": fill("[a]("),
        "[a]( then )": fill("[a](", ")"),
        "[a](x(": fill("[a](x("),
        "*": fill("*"),
        "_": fill("_"),
        "*a_": fill("*a_"),
        "`": fill("`"),
        "` and ``": fill("` ``"),
        "<": fill("<"),
        "<a ": fill("<a "),
        "&": fill("&"),
        "&#": fill("&#"),
        ">": fill(">"),
        "> quotes": fill("> "),
        "nested lists": fill("- "),
        "mixed": fill("[![*_`<&>(\\"),
    }


def nested_html(size: int) -> dict[str, str]:
    """Raw HTML of ``size`` characters, nested to the limit, as many elements as allowed, and past both."""
    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    deep, allowed = MAX_HTML_NESTING, MAX_HTML_ELEMENTS - 1
    return {
        "<div> nested to the limit": fill("<div>" * deep + "</div>" * deep),
        "<a> nested to the limit": fill("<a href=x>" * (deep - 1) + "</a>" * (deep - 1)),
        "<ul><li> nested to the limit": fill("<ul><li>" * (deep // 2) + "</li></ul>" * (deep // 2))[:size // 2],
        "flat <span>, as many as allowed": ("<span></span>" * allowed)[:size],
        "<img>, as many as allowed": ('<img src="x">' * allowed)[:size],
        "<div> unclosed (refused)": fill("<div>"),
        "<ul><li> unclosed (refused)": fill("<ul><li>"),
        "flat <b> past the count (refused)": fill("<b>x</b>"),
    }


def _post_or_refusal(text: str) -> str:
    """What a post's write does with ``text``: the shape check, then the rendering, or the refusal."""
    try:
        check_html_shape(text)
    except Invalid:
        return ""
    return post_html(text)


def _best_ms(render: Callable[[str], str], text: str) -> float:
    """The fastest of RUNS renders: what the code costs, less what other processes on the machine took."""
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        render(text)
        best = min(best, time.process_time() - started)
    return best * 1000


def worst_ms(render: Callable[[str], str], size: int) -> tuple[float, str]:
    """The slowest render over the pathological inputs of ``size``: (milliseconds, input name)."""
    render("warm up")
    return max((_best_ms(render, text), name) for name, text in pathological(size).items())


def measure() -> list[Figure]:
    comment_ms, comment_name = worst_ms(comment_html, MAX_COMMENT_LENGTH)
    post_ms, post_name = worst_ms(post_html, MAX_BODY_LENGTH)
    nested_ms, nested_name = max((_best_ms(_post_or_refusal, text), name)
                                 for name, text in nested_html(MAX_BODY_LENGTH).items())
    return [
        at_most(SECTION, f"comment_html, worst {MAX_COMMENT_LENGTH:,}-char input", comment_ms, COMMENT_BUDGET_MS,
                " ms", note=f"slowest: {comment_name!r}", digits=1),
        at_most(SECTION, f"post_html, worst {MAX_BODY_LENGTH:,}-char input", post_ms, POST_BUDGET_MS, " ms",
                note=f"slowest: {post_name!r}"),
        at_most(SECTION, f"post_html, worst nested raw HTML ({MAX_BODY_LENGTH:,} chars, depth "
                         f"{MAX_HTML_NESTING}, {MAX_HTML_ELEMENTS:,} elements)", nested_ms, POST_BUDGET_MS, " ms",
                note=f"slowest: {nested_name!r}; was 1.2-4.3 s unbounded"),
    ]
