"""The widget's and the console's JavaScript: bundled from web-src/ into web/, linted, unit-tested.

    python -m devtools.javascript build   # web/widget.js, widget.css, admin/admin.js, demo/demo.js from web-src/
    python -m devtools.javascript check   # fails when a committed bundle is not what its sources build
    python -m devtools.javascript lint    # ESLint, eslint.config.js (make lint)
    python -m devtools.javascript test    # the unit tests, node --test web-src/tests/ (make test)

The bundles are committed, so serving, packaging and deploying need no Node: whoever edits web-src/ runs
`make js`, and tests/web/test_javascript_bundles.py fails while a bundle is stale. esbuild, ESLint and jsdom
(the unit tests' DOM) come from the npm registry into .tools/ at pinned versions (devtools/npm_tools.py).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from devtools.npm_tools import command, installed

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "web-src"
ESBUILD = "0.28.2"
ESLINT = {"eslint": "9.39.5", "@eslint/js": "9.39.5", "globals": "17.0.0"}
JSDOM = "26.1.0"
# Served file (under web/) -> its entry in web-src/. Lazy parts (widget-account.js) stay files of their own.
# The widget's style sheet is minified too: it counts in the widget's weight budget (bench/widget.py).
BUNDLES = {"widget.js": "widget/main.js", "widget.css": "widget/widget.css", "admin/admin.js": "admin/main.js",
           "demo/demo.js": "demo/main.js"}
BANNER = "/* Built by `make js` from web-src/{source} (devtools/javascript.py): edit the sources, not this file. */"
# Every file ESLint reads: the sources, their tests, and the scripts served as written.
LINTED = ["web-src", "web/widget-account.js", "web/counts.js", "eslint.config.js"]


def build(into: Path) -> list[Path]:
    """Every bundle, minified, into ``into`` (web/ itself, or a scratch folder to compare)."""
    installed("esbuild", ESBUILD)
    written = []
    for served, entry in BUNDLES.items():
        out = into / served
        kind = Path(entry).suffix.lstrip(".")
        script = ["--format=iife", "--target=es2021"] if kind == "js" else []
        subprocess.run([str(command("esbuild")), str(SOURCES / entry), "--bundle", "--minify", *script,
                        "--legal-comments=none", "--log-level=warning",
                        f"--banner:{kind}={BANNER.format(source=entry if kind == 'css' else Path(entry).parent)}",
                        f"--outfile={out}"], check=True, cwd=ROOT)
        written.append(out)
    return written


def stale() -> list[str]:
    """The committed bundles that differ from what their sources build now."""
    with tempfile.TemporaryDirectory() as scratch:
        build(Path(scratch))
        return [served for served in BUNDLES
                if (Path(scratch) / served).read_bytes() != (ROOT / "web" / served).read_bytes()]


def lint() -> int:
    for package, version in ESLINT.items():
        installed(package, version)
    return subprocess.run([str(command("eslint")), "--max-warnings=0", *LINTED], cwd=ROOT).returncode


def unit_tests() -> int:
    installed("jsdom", JSDOM)
    tests = sorted(str(path.relative_to(ROOT)) for path in (SOURCES / "tests").glob("*.test.js"))
    return subprocess.run(["node", "--test", *tests], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    if action == "build":
        for path in build(ROOT / "web"):
            print(f"built {path.relative_to(ROOT)}")
        return 0
    if action == "check":
        behind = stale()
        for served in behind:
            print(f"web/{served} is stale: run `make js` and commit it", file=sys.stderr)
        return 1 if behind else 0
    if action == "lint":
        return lint()
    if action == "test":
        return unit_tests()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
