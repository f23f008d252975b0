"""A folder of Markdown posts with front matter, as Jekyll, Hugo and Eleventy keep them; one file at a time.

Front matter is YAML between ``---`` lines or TOML between ``+++`` lines. A
file is a post when it sits in a ``_posts``, ``post``, ``posts`` or ``blog``
folder; any other is a page (imported with --pages). Hugo's ``_index.md``
(a section's list page) and files without front matter are skipped, and so
are symbolic links (an import reads only what is inside the folder).

Fields: ``title`` (else from the file name), ``date`` (else from Jekyll's
``YYYY-MM-DD-`` file name), ``tags``, ``categories``/``category`` and Hugo's
``series`` as labels, ``draft: true`` or Jekyll's ``published: false`` as a
draft, ``slug`` (else the file name's, less Jekyll's date; a Hugo bundle's
``index.md`` takes its folder's). The body is rendered as a post here is.
Other addresses of a post go to the redirect map: Hugo's ``aliases``,
Jekyll's ``permalink`` and ``redirect_from``, and Jekyll's default address of
a post (``/<categories>/YYYY/MM/DD/<slug>.html``). Liquid tags and Hugo
shortcodes: templates.py.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from chalicelib.blog import rendering
from chalicelib.blog.slugs import slugify
from importer.formats import ReadOptions
from importer.model import Alias, ImportError_, Note, Record, Skipped, SourcePost
from importer.sources import templates
from importer.sources.common import any_date, clean

SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
POST_FOLDERS = frozenset({"_posts", "post", "posts", "blog"})
MAX_FILE_BYTES = 4 * 1024 * 1024  # far above any post; a larger file is no post (and would not fit one item)
_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)-(.+)$")
_FENCES = {"---": "yaml", "+++": "toml"}


def files(folder: Path) -> Iterator[Path]:
    """Every Markdown file under ``folder`` (hidden folders aside), in a stable order."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.suffix.lower() in SUFFIXES and not any(p.startswith(".") for p in relative.parts):
            yield path


def holds_posts(folder: Path) -> bool:
    return any(True for _ in files(folder))


def read(folder: Path, options: ReadOptions) -> Iterator[Record]:
    for path in files(folder):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_symlink():
            yield Skipped("symbolic link")
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            yield Note(f"{relative}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB, skipped")
            yield Skipped("file too large")
            continue
        if path.name.startswith("_index."):
            yield Skipped("section index (Hugo _index)")
            continue
        is_post = bool(POST_FOLDERS & set(relative.parts[:-1]))
        if not is_post and not options.pages:
            yield Skipped("page")
            continue
        try:
            content = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as broken:
            raise ImportError_(f"{relative}: not UTF-8 text ({broken.reason} at byte {broken.start})") from None
        split = front_matter(clean(content.replace("\r\n", "\n")), str(relative))
        if split is None:
            yield Skipped("file without front matter")
            continue
        yield from _post(folder.resolve().name, relative, *split, is_post)


def front_matter(content: str, what: str) -> tuple[dict[str, Any], str] | None:
    """(front matter, body), or None when the file opens with no ``---`` or ``+++`` fence."""
    content = content.replace("\r\n", "\n")
    fence = content.split("\n", 1)[0].rstrip()
    if fence not in _FENCES:
        return None
    closing = re.search(rf"^{re.escape(fence)}[ \t]*$" + ("|^\\.\\.\\.[ \t]*$" if fence == "---" else ""),
                        content[len(fence) + 1:], re.MULTILINE)
    if closing is None:
        raise ImportError_(f"{what}: its front matter opens with {fence} and never closes")
    raw = content[len(fence) + 1:len(fence) + 1 + closing.start()]
    body = content[len(fence) + 1 + closing.end():].lstrip("\n")
    try:
        data = yaml.safe_load(raw) if _FENCES[fence] == "yaml" else tomllib.loads(raw)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as broken:
        raise ImportError_(f"{what}: its front matter is not valid {_FENCES[fence].upper()} "
                           f"({' '.join(str(broken).split())})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ImportError_(f"{what}: its front matter is not a set of fields")
    return clean(data), body


def _words(value: Any) -> list[str]:
    """A list of labels from a list, or from a string of space-separated words (Jekyll's ``tags: a b``)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return str(value).split()


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes")


def _post(site: str, relative: PurePosixPath, fields: dict[str, Any], body: str, is_post: bool) -> Iterator[Record]:
    what = str(relative)
    stem = relative.parent.name if relative.stem == "index" and len(relative.parts) > 1 else relative.stem
    dated = _JEKYLL_NAME.match(stem)
    date = any_date(fields.get("date"), f"{what}: date")
    if date is None and dated:
        date = any_date("-".join(dated.groups()[:3]), f"{what}: file name")
    name_slug = dated.group(4) if dated else stem
    slug = str(fields.get("slug") or "").strip() or slugify(name_slug) or None
    categories = _words(fields.get("categories")) + _words(fields.get("category"))
    # The folder's name stands for the site: two sites' "_posts/2020-01-01-hello.md" are two posts.
    ref = f"file:{site}/{relative}"
    body, template_tags = templates.convert(body)
    if template_tags:
        yield Note(f"{what}: {template_tags} template tags ({{% %}}, {{{{< >}}}}) have no meaning here, kept as text")
    yield SourcePost(
        ref=ref, title=str(fields.get("title") or "").strip() or name_slug.replace("-", " ").capitalize(),
        html=rendering.post_html(body), published=date,
        updated=any_date(fields.get("lastmod") or fields.get("last_modified_at"), f"{what}: lastmod"),
        slug_hint=slug, labels=_words(fields.get("tags")) + categories + _words(fields.get("series")),
        author=str(fields["author"]) if isinstance(fields.get("author"), str) else None,
        draft=_truthy(fields.get("draft")) or fields.get("published") is False)
    for url in _aliases(relative, fields, categories, date, slug if is_post and dated else None):
        yield Alias(ref, url)


def _aliases(relative: PurePosixPath, fields: dict[str, Any], categories: list[str], date: str | None,
             jekyll_slug: str | None) -> list[str]:
    """The post's other addresses: Hugo aliases (relative ones under the file's folder), Jekyll's."""
    folders = list(relative.parts[:-1])
    if "content" in folders:  # Hugo: addresses start below content/
        folders = folders[len(folders) - folders[::-1].index("content"):]
    section = "/" + "/".join(p for p in folders if p != "_posts")
    found: list[str] = []
    for alias in _words(fields.get("aliases")) + _words(fields.get("redirect_from")):
        found.append(alias if alias.startswith("/") or "://" in alias else f"{section.rstrip('/')}/{alias}")
    if isinstance(fields.get("permalink"), str) and fields["permalink"].strip():
        found.append(fields["permalink"].strip())
    if jekyll_slug and date:
        day = datetime.fromisoformat(date)
        prefix = "".join(f"/{slugify(c) or c}" for c in categories)
        found.append(f"{prefix}/{day:%Y/%m/%d}/{jekyll_slug}.html")
    return list(dict.fromkeys(found))
