"""The served widget and console scripts are what their sources in web-src/ build (make js, devtools/javascript.py)."""

from __future__ import annotations

from chalicelib.api.web import WEB_ROOT, served_script
from devtools.javascript import BUNDLES, stale


def test_every_committed_bundle_is_what_its_sources_build() -> None:
    # A change to web-src/ without `make js` would leave readers on the old widget: this fails until it is rebuilt
    assert stale() == []


def test_each_bundle_says_where_it_comes_from_and_is_minified() -> None:
    for served in BUNDLES:
        first, rest = (WEB_ROOT / served).read_text(encoding="utf-8").split("\n", 1)
        assert first.startswith("/* Built by `make js` from web-src/"), served
        # One line of code per module at most: written out, the widget alone was over 1,300 lines
        assert rest.count("\n") < 40, served


def test_serving_a_bundle_drops_its_banner_and_not_a_byte_of_code() -> None:
    # The server drops whole comment lines from scripts: in minified code a line that starts like a comment
    # (inside a template string) would lose code; none does
    for served in (name for name in BUNDLES if name.endswith(".js")):
        text = (WEB_ROOT / served).read_text(encoding="utf-8")
        assert served_script(text) == text.split("\n", 1)[1], served
