"""An accessibility scan any browser test can call: axe-core injected into the page as it stands.

axe.min.js comes from the npm registry (devtools/axe.py installs it into .tools/ on first use).
It is evaluated through the browser's debugging protocol, so a page's own Content-Security-Policy
(the console's and the demo's allow no inline script) does not stop it, and it leaves no trace in
the page. Every rule of the WCAG 2.0, 2.1 and 2.2 A and AA tags and of axe's best practices runs (RULE_TAGS);
serious and critical violations fail the test, listed with the elements concerned.
"""

from __future__ import annotations

from functools import cache

from playwright.sync_api import Page

from devtools.axe import axe_script

FAILING = ("serious", "critical")


@cache
def _source() -> str:
    return axe_script().read_text(encoding="utf-8")


def violations(page: Page, within: str | None = None) -> list[str]:
    """Serious and critical axe-core violations on the page (or inside the ``within`` selector)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate("""async (within) => {
        const results = await axe.run(within ? document.querySelector(within) : document, {
            resultTypes: ['violations'],
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        });
        return results.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5)}));
    }""", within)
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for v in found if v["impact"] in FAILING]


def assert_accessible(page: Page, within: str | None = None) -> None:
    problems = violations(page, within)
    assert problems == [], "axe-core found:\n" + "\n".join(problems)
