"""The development tools from the npm registry (newman, axe-core, Spectral, esbuild, ESLint, jsdom), in one place.

Each goes into .tools/ on first use, at its pinned version, and is never part of the app or its
package. A different installed version (a pin moved) is replaced, so every clone runs the same tool.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / ".tools"


def installed(package: str, version: str) -> Path:
    """The folder of ``package`` under .tools/node_modules, installing ``version`` first unless it is there."""
    folder = TOOLS / "node_modules" / package
    manifest = folder / "package.json"
    present = json.loads(manifest.read_text(encoding="utf-8")).get("version") if manifest.exists() else None
    if present != version:
        TOOLS.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error",
                        f"{package}@{version}"], check=True)
    return folder


def command(name: str) -> Path:
    """An installed tool's command in .tools/node_modules/.bin."""
    return TOOLS / "node_modules" / ".bin" / name
