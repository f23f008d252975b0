"""The admin console's files, as the app serves them on every stage (in process; the browser tests use them)."""

from __future__ import annotations

import re

import pytest

from chalicelib.api.web import WEB_ROOT, served_script
from tests.conftest import Api
from tests.web.test_web_assets import sources


def test_the_console_page_is_served_on_a_stage_without_the_demo_blog(api: Api) -> None:
    # Given the test stage, which like dev and prod has no demo blog
    # When someone opens the console
    reply = api.get("/admin")

    # Then the page comes, naming its script and styles from the stage root
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = reply.body.decode()
    assert 'src="/admin/admin.js"' in page and 'href="/admin/admin.css"' in page
    assert 'data-api=""' in page
    assert "{{root}}" not in page


@pytest.mark.parametrize("path", ["/admin", "/admin/admin.js", "/admin/admin.css"])
def test_every_console_file_carries_a_policy_that_runs_and_reaches_only_this_origin(api: Api, path: str) -> None:
    reply = api.get(path)

    assert reply.status == 200
    policy = {part.split()[0]: part.split()[1:] for part in reply.headers["content-security-policy"].split("; ")}
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.headers["x-frame-options"] == "DENY"


def test_the_console_script_and_style_come_with_their_types_and_a_validator(api: Api) -> None:
    script = api.get("/admin/admin.js")
    style = api.get("/admin/admin.css")

    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert script.body.decode() == served_script((WEB_ROOT / "admin" / "admin.js").read_text())
    assert api.get("/admin/admin.js", headers={"If-None-Match": script.headers["etag"]}).status == 304


@pytest.mark.parametrize("name", ["index.html", "..%2Fwidget.js", "..%2F..%2Fapp.py", "ADMIN.JS", "demo.js"])
def test_only_the_consoles_own_files_are_served_by_name(api: Api, name: str) -> None:
    reply = api.get(f"/admin/{name}")

    assert reply.status == 404
    assert reply.problem["detail"] == "there is no such file in admin/"


def test_the_console_inserts_no_html_but_the_apis_sanitised_html() -> None:
    # One sink: a template (inert) filled with the `html` the API sanitised; everything else is text.
    source = sources("admin")
    sinks = [line.strip() for line in source.splitlines()
             if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", line)]
    assert sinks == ['template.innerHTML = html || "";']
    assert (WEB_ROOT / "admin" / "admin.js").read_text().count("innerHTML") == 1  # the bundle adds none


def test_the_console_keeps_its_token_out_of_cookies() -> None:
    source = sources("admin")

    assert "document.cookie" not in source
    assert 'credentials: "omit"' in source
    assert "sessionStorage" in source
