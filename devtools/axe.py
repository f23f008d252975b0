"""axe-core, the accessibility checker the browser tests inject, installed from the npm registry.

Like newman (devtools/conformance.py) it goes into .tools/ on first use, pinned, and is never
part of the app or its package.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from devtools.conformance import TOOLS

AXE_VERSION = "4.14.1"


def axe_script() -> Path:
    """The path of axe.min.js, installing axe-core first when it is missing."""
    script = TOOLS / "node_modules/axe-core/axe.min.js"
    manifest = TOOLS / "node_modules/axe-core/package.json"
    installed = json.loads(manifest.read_text()).get("version") if manifest.exists() else None
    if not script.exists() or installed != AXE_VERSION:
        TOOLS.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error",
                        f"axe-core@{AXE_VERSION}"], check=True)
    return script


if __name__ == "__main__":
    print(axe_script())
