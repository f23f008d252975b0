"""docs/settings.md's table of every setting, written from the declarations in chalicelib/settings.py.

``python -m devtools.settings_page`` rewrites the table between the page's two
markers; tests/docs/test_docs_settings.py fails while the page differs from what this
writes. The table lives in the page itself, not only in the built site, so it
reads the same on GitHub.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.settings import DECLARED

PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
BEGIN = "<!-- settings table: written by `python -m devtools.settings_page` from chalicelib/settings.py -->"
END = "<!-- end of the settings table -->"


def table() -> str:
    rows = ["| setting | type | default | meaning |", "|---|---|---|---|"]
    for setting in DECLARED:
        default = f"`{setting.default}`" if setting.default else "empty"
        rows.append(f"| `{setting.variable}` | {setting.kind.name} | {default} | {setting.description} |")
    return "\n".join(rows)


def rewritten(page: str) -> str:
    """``page`` with the text between its markers replaced by the current table."""
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return page[:start] + "\n" + table() + "\n" + page[end:]


def main() -> None:
    PAGE.write_text(rewritten(PAGE.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
