"""The widget's files and the demo blog, as the app serves them (in process; the browser tests use them)."""

from __future__ import annotations

import re
from collections.abc import Callable

from chalice.app import Request

from chalicelib.api.addresses import stage_root
from chalicelib.api.web import WEB_ROOT, served_script
from chalicelib.settings import Settings
from tests.conftest import Api

SOURCES = WEB_ROOT.parent / "web-src"


def sources(app: str) -> str:
    """Every module of the widget's, the console's or the demo's sources (web-src/<app>/ and shared/), one text."""
    return "\n".join(path.read_text(encoding="utf-8")
                     for folder in (SOURCES / app, SOURCES / "shared") for path in sorted(folder.glob("*.js")))


def test_the_widget_script_is_served_as_javascript_with_a_validator(api: Api) -> None:
    reply = api.get("/widget.js")

    assert reply.status == 200
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["cache-control"] == "public, s-maxage=300, max-age=300, stale-while-revalidate=3600"
    assert reply.body.decode() == served_script((WEB_ROOT / "widget.js").read_text())

    again = api.get("/widget.js", headers={"If-None-Match": reply.headers["etag"]})
    assert again.status == 304
    assert again.body == b""


def test_the_widget_style_is_served_as_css(api: Api) -> None:
    reply = api.get("/widget.css")

    assert reply.status == 200
    assert reply.headers["content-type"] == "text/css; charset=utf-8"
    assert b".bc-trap" in reply.body


def test_a_stale_validator_gets_the_whole_file(api: Api) -> None:
    reply = api.get("/widget.js", headers={"If-None-Match": '"not-the-current-one"'})

    assert reply.status == 200
    assert reply.body


def test_the_demo_blog_is_not_served_where_it_is_not_enabled(api: Api) -> None:
    # The test stage, like dev and prod, leaves DEMO_PAGES off
    for path in ("/demo", "/demo/", "/demo/posts", "/demo/posts/anything", "/demo/demo.js"):
        reply = api.get(path)
        assert reply.status == 404, path
        assert "DEMO_PAGES" in reply.problem["detail"]


def test_the_demo_pages_carry_a_policy_that_runs_only_this_origins_scripts(api: Api,
                                                                           configure: Callable[..., Settings]) -> None:
    configure(DEMO_PAGES="true")

    for path, marker in (("/demo/", "demo/demo.js"), ("/demo/posts", "demo/demo.js"),
                         ("/demo/posts/some-post", "widget.js")):
        reply = api.get(path)
        assert reply.status == 200, path
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        policy = reply.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert f'src="/{marker}"' in reply.body.decode()
        assert "{{root}}" not in reply.body.decode()


def test_only_the_demo_blogs_own_files_are_served_by_name(api: Api, configure: Callable[..., Settings]) -> None:
    configure(DEMO_PAGES="true")

    assert api.get("/demo/demo.js").headers["content-type"] == "text/javascript; charset=utf-8"
    assert api.get("/demo/demo.css").headers["content-type"] == "text/css; charset=utf-8"
    for name in ("index.html", "post.html", "..%2Fwidget.js", "..%2F..%2Fapp.py", "DEMO.JS"):
        assert api.get(f"/demo/{name}").status == 404, name


def test_the_demo_names_its_files_under_the_api_gateway_stage_when_called_through_it() -> None:
    def request(context: dict[str, str]) -> Request:
        return Request({"requestContext": {"httpMethod": "GET", **context}, "headers": {}, "body": None,
                        "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None})

    # https://abc.execute-api.../api/demo/ : the stage is part of the path
    assert stage_root(request({"stage": "api", "path": "/api/demo/", "resourcePath": "/demo"})) == "/api"
    # A custom domain (or chalice local) serves the API at the root
    assert stage_root(request({"stage": "api", "path": "/demo/", "resourcePath": "/demo"})) == ""
    assert stage_root(request({"path": "/demo", "resourcePath": "/demo"})) == ""


def test_the_widget_and_demo_insert_no_html_but_the_apis_sanitised_html() -> None:
    # The safety rule of web/: every other string reaches the page as text.
    # (The widget's second: the preview, which POST /preview sanitised as it sanitises a posted comment.)
    for name, source, allowed in (
            ("widget", sources("widget"), ("body.innerHTML = comment.html;",
                                           "if (text.value === asked) this.preview.innerHTML = data.html;")),
            ("demo", sources("demo"), ("body.innerHTML = post.html;",))):
        sinks = [line.strip() for line in source.splitlines()
                 if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", line)]
        assert len(sinks) == len(allowed) and all(
            any(sink.startswith(rule) for sink in sinks) for rule in allowed), (name, sinks)
    # And the bundle readers get holds those two and no other (esbuild adds none)
    for bundle, sinks_in_it in (("widget.js", 2), ("demo/demo.js", 1)):
        served = (WEB_ROOT / bundle).read_text()
        assert len(re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", served)) == sinks_in_it


def test_scripts_go_out_without_their_comment_lines_and_with_every_line_of_code() -> None:
    source = ('/* A header\n * over lines */\n"use strict";\n  // why this is so\nconst url = "https://x.example/a"; '
              '// kept: code comes first\n/* one line */\nconst s = "/* not a comment */";\n')

    served = served_script(source)

    assert served == ('"use strict";\nconst url = "https://x.example/a"; // kept: code comes first\n'
                      'const s = "/* not a comment */";\n')


def test_a_script_served_as_written_is_smaller_and_still_every_statement_of_the_source() -> None:
    source = (WEB_ROOT / "widget-account.js").read_text()
    served = served_script(source)

    assert len(served) < len(source)
    code = [line for line in source.splitlines() if line.strip() and not line.strip().startswith(("//", "/*", "*"))]
    assert [line for line in served.splitlines() if line.strip()] == code
