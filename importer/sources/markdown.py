"""A folder of Markdown posts with front matter, as Jekyll, Hugo and Eleventy keep them; one file at a time.

Front matter is YAML between ``---`` lines or TOML between ``+++`` lines. A
file is a post when it sits in a ``_posts``, ``post``, ``posts`` or ``blog``
folder; any other is a page (imported with --pages). Hugo's ``_index.md``
(a section's list page) and files without front matter are skipped, and so
are symbolic links (an import reads only what is inside the folder).

Fields: ``title`` (else from the file name); ``summary``, ``excerpt`` or
``description`` as the summary; ``date`` (else from Jekyll's ``YYYY-MM-DD-``
file name); ``tags``, ``categories``/``category`` and Hugo's ``series`` as
labels; ``draft: true``, Jekyll's ``published: false`` or its ``_drafts``
folder as a draft; Eleventy's ``date: Last Modified`` (and the like) as no
date; ``slug`` (else the file name's, less Jekyll's date; a Hugo bundle's
``index.md`` takes its folder's). The body is rendered as a post here is.
Other addresses of a post go to the redirect map: Hugo's ``aliases``,
Jekyll's ``permalink`` and ``redirect_from``, and Jekyll's default address of
a post (``/<categories>/YYYY/MM/DD/<slug>.html``). Liquid tags and Hugo
shortcodes: templates.py.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
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
from importer.wxr import summary

SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
POST_FOLDERS = frozenset({"_posts", "_drafts", "post", "posts", "blog"})
# Eleventy's dates that name a file's own time rather than give one: the file name's date (or none) instead.
_FILE_TIME_DATES = frozenset({"created", "last modified", "git created", "git last modified"})
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
    resolve = _post_urls(folder)
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
        yield from _post(folder.resolve().name, relative, *split, is_post, resolve)


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


def _is_address(permalink: Any) -> bool:
    """A permalink that is an address; not Eleventy's ``false`` (no page) nor a template (``{{ … }}``)."""
    return isinstance(permalink, str) and bool(permalink.strip()) and "{{" not in permalink and "{%" not in permalink


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes")


def _named(relative: PurePosixPath, fields: dict[str, Any]) -> tuple[str, str | None, str | None, bool]:
    """(name slug, date, slug, dated by its file name as Jekyll's posts are) of a file."""
    what = str(relative)
    stem = relative.parent.name if relative.stem == "index" and len(relative.parts) > 1 else relative.stem
    dated = _JEKYLL_NAME.match(stem)
    given = fields.get("date")
    date = None if str(given).strip().lower() in _FILE_TIME_DATES else any_date(given, f"{what}: date")
    if date is None and dated:
        date = any_date("-".join(dated.groups()[:3]), f"{what}: file name")
    name_slug = dated.group(4) if dated else stem
    return name_slug, date, str(fields.get("slug") or "").strip() or slugify(name_slug) or None, bool(dated)


def _jekyll_address(fields: dict[str, Any], date: str | None, slug: str | None) -> str | None:
    """Where Jekyll puts a post: its ``permalink``, else ``/<categories>/YYYY/MM/DD/<slug>.html``."""
    if _is_address(fields.get("permalink")):
        return str(fields["permalink"]).strip()
    if not (date and slug):
        return None
    categories = _words(fields.get("categories")) + _words(fields.get("category"))
    prefix = "".join(f"/{slugify(c) or c}" for c in categories)
    return f"{prefix}/{datetime.fromisoformat(date):%Y/%m/%d}/{slug}.html"


def _post_urls(folder: Path) -> Callable[[str], str | None]:
    """Jekyll's ``{% post_url NAME %}``: the address of the post NAME in this folder (in the redirect map).

    A post not in the folder gets the address its name gives, without the categories no file tells."""
    posts = {p.stem: p for p in files(folder) if "_posts" in p.parts and not p.is_symlink()}

    def resolve(name: str) -> str | None:
        name = name.strip().rsplit("/", 1)[-1]
        path = posts.get(name)
        if path is None or path.stat().st_size > MAX_FILE_BYTES:
            dated = _JEKYLL_NAME.match(name)  # not in the folder: its date address, without categories
            return "/{}/{}/{}/{}.html".format(*dated.groups()) if dated else None
        try:
            split = front_matter(path.read_text(encoding="utf-8-sig"), path.name)
            if split is None:
                return None
            _, date, slug, _ = _named(PurePosixPath(path.name), split[0])
        except (ImportError_, UnicodeDecodeError):
            return None  # refused, naming the file, when that file itself is read
        return _jekyll_address(split[0], date, slug)

    return resolve


def _post(site: str, relative: PurePosixPath, fields: dict[str, Any], body: str, is_post: bool,
          resolve: Callable[[str], str | None]) -> Iterator[Record]:
    what = str(relative)
    name_slug, date, slug, dated = _named(relative, fields)
    categories = _words(fields.get("categories")) + _words(fields.get("category"))
    # The folder's name stands for the site: two sites' "_posts/2020-01-01-hello.md" are two posts.
    ref = f"file:{site}/{relative}"
    body, template_tags = templates.convert(body, resolve)
    if template_tags:
        yield Note(f"{what}: {template_tags} template tags ({{% %}}, {{{{< >}}}}) have no meaning here, kept as text")
    yield SourcePost(
        ref=ref, title=str(fields.get("title") or "").strip() or name_slug.replace("-", " ").capitalize(),
        html=rendering.post_html(body), published=date,
        updated=any_date(fields.get("lastmod") or fields.get("last_modified_at"), f"{what}: lastmod"),
        slug_hint=slug, labels=_words(fields.get("tags")) + categories + _words(fields.get("series")),
        author=str(fields["author"]) if isinstance(fields.get("author"), str) else None,
        draft=_truthy(fields.get("draft")) or fields.get("published") is False or "_drafts" in relative.parts,
        summary=summary(str(fields.get("summary") or fields.get("excerpt") or fields.get("description") or "")))
    for url in _aliases(relative, fields, _jekyll_address(fields, date, slug) if is_post and dated else None):
        yield Alias(ref, url)


def _aliases(relative: PurePosixPath, fields: dict[str, Any], jekyll_address: str | None) -> list[str]:
    """The post's other addresses: Hugo aliases (relative ones under the file's folder), Jekyll's."""
    folders = list(relative.parts[:-1])
    if "content" in folders:  # Hugo: addresses start below content/
        folders = folders[len(folders) - folders[::-1].index("content"):]
    section = "/" + "/".join(p for p in folders if p != "_posts")
    found: list[str] = []
    for alias in _words(fields.get("aliases")) + _words(fields.get("redirect_from")):
        found.append(alias if alias.startswith("/") or "://" in alias else f"{section.rstrip('/')}/{alias}")
    if _is_address(fields.get("permalink")):
        found.append(fields["permalink"].strip())
    if jekyll_address:
        found.append(jekyll_address)
    return list(dict.fromkeys(found))
