"""Jekyll's Liquid tags and Hugo's shortcodes in a Markdown post: the common ones made Markdown, the rest counted.

A static site generator runs these when it builds a page; here a post is
rendered once, as Markdown, so:
- ``{% raw %}…{% endraw %}`` keeps what is inside as it is written (markers gone);
- ``{% post_url NAME %}`` becomes the Jekyll address of that post, which the redirect map sends to its slug here;
- ``{% highlight x %}…{% endhighlight %}`` and ``{{< highlight x >}}…{{< /highlight >}}`` become fenced code;
- Hugo's ``youtube``, ``vimeo``, ``twitter``/``tweet``, ``gist`` and ``figure`` become a link or an image;
- any other tag stays as text, and is counted so the report can name the file.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

_RAW = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.DOTALL)
_HIGHLIGHT = re.compile(r"{%-?\s*highlight\s+([\w+#.-]+)[^%]*?-?%}\n?(.*?){%-?\s*endhighlight\s*-?%}", re.DOTALL)
_HUGO_HIGHLIGHT = re.compile(r"{{<\s*highlight\s+([\w+#.-]+)[^>]*>}}\n?(.*?){{<\s*/highlight\s*>}}", re.DOTALL)
_SHORTCODE = re.compile(r"{{<\s*(\w+)\s+([^>]*?)\s*/?>}}")
_POST_URL = re.compile(r"{%-?\s*post_url\s+([^\s%]+)\s*-?%}")
_TAG = re.compile(r"{%.*?%}|{{[<%].*?[>%]}}", re.DOTALL)


def _fence(language: str, code: str) -> str:
    return f"```{language}\n{code.strip(chr(10))}\n```"


def _arguments(text: str) -> tuple[list[str], dict[str, str]]:
    try:
        words = shlex.split(text)
    except ValueError:
        return [], {}
    named = dict(w.split("=", 1) for w in words if "=" in w)
    return [w for w in words if "=" not in w], named


def _shortcode(match: re.Match[str]) -> str:
    name, (given, named) = match.group(1).removesuffix("_simple"), _arguments(match.group(2))
    first = named.get("id") or (given[0] if given else "")
    if name == "youtube" and first:
        return f"[YouTube video](https://www.youtube.com/watch?v={first})"
    if name == "vimeo" and first:
        return f"[Vimeo video](https://vimeo.com/{first})"
    if name in ("twitter", "tweet") and first and named.get("user"):
        return f"[Post by @{named['user']}](https://twitter.com/{named['user']}/status/{first})"
    if name == "gist" and len(given) >= 2:
        return f"[Gist {given[1]}](https://gist.github.com/{given[0]}/{given[1]})"
    if name == "figure" and named.get("src"):
        alt = named.get("alt") or named.get("caption") or ""
        return f"![{alt}]({named['src']})" + (f"\n\n*{named['caption']}*" if named.get("caption") else "")
    return match.group(0)


def convert(body: str, post_url: Callable[[str], str | None]) -> tuple[str, int]:
    """The body with the tags this blog can show made Markdown; how many other template tags remain in it.

    ``post_url`` gives the address of another post of the folder (Jekyll's ``{% post_url NAME %}``), or None.
    """
    parts = _RAW.split(body)  # even: template text; odd: raw, kept as written
    remaining = 0
    for index in range(0, len(parts), 2):
        text = _HIGHLIGHT.sub(lambda m: _fence(m.group(1), m.group(2)), parts[index])
        text = _HUGO_HIGHLIGHT.sub(lambda m: _fence(m.group(1), m.group(2)), text)
        text = _SHORTCODE.sub(_shortcode, text)
        text = _POST_URL.sub(lambda m: post_url(m.group(1)) or m.group(0), text)
        remaining += len(_TAG.findall(text))
        parts[index] = text
    return "".join(parts), remaining
