"""axe-core, the accessibility checker the browser tests inject, installed from the npm registry.

It goes into .tools/ on first use, pinned (devtools/npm_tools.py), and is never part of the app
or its package.
"""

from __future__ import annotations

from pathlib import Path

from devtools import npm_tools

AXE_VERSION = "4.14.1"


def axe_script() -> Path:
    """The path of axe.min.js, installing axe-core first when it is missing."""
    return npm_tools.installed("axe-core", AXE_VERSION) / "axe.min.js"


if __name__ == "__main__":
    print(axe_script())
