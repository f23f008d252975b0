"""The served widget and console scripts are what their sources in web-src/ build (make js, devtools/javascript.py)."""

from __future__ import annotations

from chalicelib.api.web import WEB_ROOT
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
