"""The comment widget (/widget.js, /widget.css, its catalogues /i18n/<lang>.json), the count
script (/counts.js), the demo blog (/demo/) and the admin console (/admin/): files from web/.

web/ reaches the deployment package through vendor/web, a link to it: Chalice
copies vendor/'s contents beside app.py, so web/ sits next to app.py both in a
checkout and in Lambda.

The demo pages are only served where DEMO_PAGES is on (the local stage). They
carry a Content-Security-Policy that allows scripts and styles from this
origin only; the widget itself must not rely on it, since the static blogs
that embed it usually send none.

The admin console is served on every stage: static files that talk to the
public API with the signed-in user's token, like any other client. Its page
sends a strict policy (scripts, styles and requests from this origin only, no
framing, no referrer), so nothing injected into a post or comment it shows
could run or send anything elsewhere.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from chalice.app import Request, Response

from chalicelib.api.addresses import stage_root
from chalicelib.api.routing import ApiBlueprint
from chalicelib.errors import NotFound
from chalicelib.services import services

web = ApiBlueprint(__name__)

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".json": "application/json; charset=utf-8"}
# Only these files are served, per folder: a name from the URL never becomes a path by itself.
_NAMED_ASSETS = {"demo": ("demo.js", "demo.css"), "admin": ("admin.js", "admin.css", "passkeys.js")}
# Their caching (ETag, 304, Cache-Control) is the "asset" class's, from caching.py like every read's.
# The widget's message catalogues, web/i18n/<lang>.json, are the one list of its languages (English is built into
# widget.js and counts.js): the scripts' LANGS and the OpenAPI enum are checked against the folder
# (tests/web/test_languages.py), and the server serves what the folder holds.
CATALOGUE_FOLDER = WEB_ROOT / "i18n"


@cache
def catalogues() -> frozenset[str]:
    return frozenset(path.name for path in CATALOGUE_FOLDER.glob("*.json"))

_DEMO_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                "img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# The console shows sanitised post and comment HTML (images from anywhere, as on the blog) and
# calls the API at its own origin; a console hosted elsewhere sends its host's own policy.
_ADMIN_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                 "img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_ADMIN_HEADERS = {"Content-Security-Policy": _ADMIN_POLICY, "Referrer-Policy": "no-referrer",
                  "X-Frame-Options": "DENY"}


# A plain class, not a dataclass: creating a dataclass costs about a millisecond at every cold start.
class Asset:
    __slots__ = ("body", "content_type")

    def __init__(self, body: str, content_type: str) -> None:
        self.body = body
        self.content_type = content_type


@cache
def asset(relative: str) -> Asset:
    path = WEB_ROOT / relative
    body = path.read_text(encoding="utf-8")
    return Asset(served_script(body) if path.suffix == ".js" else body, _TYPES[path.suffix])


def served_script(source: str) -> str:
    """A script as readers get it: without its comment lines, which are for whoever edits the file.

    Only whole lines go: a block comment that starts a line and the lines up to its end, and lines
    that are only a // comment; nothing inside code or strings is touched. Read once per container.
    """
    kept: list[str] = []
    in_block = False
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if in_block or stripped.startswith("/*"):
            in_block = "*/" not in stripped
        elif not stripped.startswith("//"):
            kept.append(line)
    return "".join(kept)


def _serve(relative: str, extra_headers: dict[str, str] | None = None, body: str | None = None) -> Response:
    found = asset(relative)
    headers: dict[str, str | list[str]] = {
        "Content-Type": found.content_type, "X-Content-Type-Options": "nosniff", **(extra_headers or {})}
    return Response(body=found.body if body is None else body, headers=headers)


def _demo_enabled() -> None:
    if not services().settings.demo_pages:
        raise NotFound("the demo blog is not enabled on this stage (DEMO_PAGES)")


def _page(request: Request, relative: str, headers: dict[str, str]) -> Response:
    # The page names its scripts and links from the stage root, so it works under /api/ as well.
    page = asset(relative).body.replace("{{root}}", html.escape(stage_root(request)))
    return _serve(relative, headers, body=page)


def _named(folder: str, name: str, headers: dict[str, str] | None = None) -> Response:
    if name not in _NAMED_ASSETS[folder]:
        raise NotFound(f"there is no such file in {folder}/")
    return _serve(f"{folder}/{name}", headers)


def _demo_policy() -> str:
    """The demo's policy, plus the challenge provider's origins while CHALLENGE is on (its script and frame)."""
    from chalicelib.blog.challenge import page_sources

    origins = " ".join(page_sources(services().settings))
    if not origins:
        return _DEMO_POLICY
    return (_DEMO_POLICY.replace("script-src 'self'", f"script-src 'self' {origins}")
            .replace("style-src 'self'", f"style-src 'self' {origins}")
            .replace("connect-src 'self'", f"connect-src 'self' {origins}; frame-src {origins}"))


def _demo_page(request: Request, relative: str) -> Response:
    _demo_enabled()
    return _page(request, relative, {"Content-Security-Policy": _demo_policy()})


@web.route("/widget.js", methods=["GET"], cache="asset")
def widget_script() -> Response:
    return _serve("widget.js")


@web.route("/widget-account.js", methods=["GET"], cache="asset")
def widget_account_script() -> Response:
    return _serve("widget-account.js")


@web.route("/widget-passkeys.js", methods=["GET"], cache="asset")
def widget_passkeys_script() -> Response:
    return _serve("widget-passkeys.js")


@web.route("/widget-oidc.js", methods=["GET"], cache="asset")
def widget_oidc_script() -> Response:
    return _serve("widget-oidc.js")


@web.route("/widget.css", methods=["GET"], cache="asset")
def widget_style() -> Response:
    return _serve("widget.css")


@web.route("/counts.js", methods=["GET"], cache="asset")
def counts_script() -> Response:
    return _serve("counts.js")


@web.route("/i18n/{name}", methods=["GET"], cache="asset")
def widget_messages(name: str) -> Response:
    if name not in catalogues():
        raise NotFound("the widget has no messages in that language")
    return _serve(f"i18n/{name}")


# /demo/posts too: SITE_URL/posts is where the feeds say the blog's posts are, and locally SITE_URL is /demo.
@web.route("/demo", methods=["GET"], cache="asset")
@web.route("/demo/posts", methods=["GET"], cache="asset")
def demo_index() -> Response:
    return _demo_page(web.current_request, "demo/index.html")


@web.route("/demo/posts/{slug}", methods=["GET"], cache="asset")
def demo_post(slug: str) -> Response:
    # The page reads the slug from its own address, as the widget does.
    return _demo_page(web.current_request, "demo/post.html")


@web.route("/demo/{name}", methods=["GET"], cache="asset")
def demo_asset(name: str) -> Response:
    _demo_enabled()
    return _named("demo", name)


@web.route("/admin", methods=["GET"], cache="asset")
def admin_console() -> Response:
    return _page(web.current_request, "admin/index.html", _ADMIN_HEADERS)


@web.route("/admin/{name}", methods=["GET"], cache="asset")
def admin_asset(name: str) -> Response:
    return _named("admin", name, _ADMIN_HEADERS)
