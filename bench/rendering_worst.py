"""The worst case of rendering: pathological Markdown at the largest size a comment or a post may have.

Each input repeats one construct that makes a naive Markdown parser backtrack
(unclosed or deeply nested brackets, runs of delimiters, unclosed code spans,
HTML and entity starts, nested quotes, link destinations that never end) up to
the field's maximum length. The figure is the slowest of them, in CPU time
(each input's best of RUNS).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.report import Figure, at_most
from chalicelib.blog.comments import MAX_COMMENT_LENGTH
from chalicelib.blog.posts import MAX_BODY_LENGTH
from chalicelib.blog.rendering import comment_html, post_html

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
    return [
        at_most(SECTION, f"comment_html, worst {MAX_COMMENT_LENGTH:,}-char input", comment_ms, COMMENT_BUDGET_MS,
                " ms", note=f"slowest: {comment_name!r}", digits=1),
        at_most(SECTION, f"post_html, worst {MAX_BODY_LENGTH:,}-char input", post_ms, POST_BUDGET_MS, " ms",
                note=f"slowest: {post_name!r}"),
    ]
