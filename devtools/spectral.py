"""Spectral, the OpenAPI linter `make lint` runs on chalicelib/api/openapi.json, installed from the npm registry.

Like newman and axe-core it goes into .tools/ on first use, pinned (devtools/npm_tools.py), and is
never part of the app or its package.
The rules are Spectral's own OpenAPI set (.spectral.yaml); a warning fails the check as an error does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools import npm_tools

PROJECT = Path(__file__).resolve().parents[1]
SPECTRAL_VERSION = "6.16.3"
DOCUMENT = PROJECT / "chalicelib" / "api" / "openapi.json"
RULESET = PROJECT / ".spectral.yaml"


def spectral() -> Path:
    """The spectral command, installing @stoplight/spectral-cli first when it is missing."""
    npm_tools.installed("@stoplight/spectral-cli", SPECTRAL_VERSION)
    return npm_tools.command("spectral")


def lint() -> int:
    command = [str(spectral()), "lint", str(DOCUMENT), "--ruleset", str(RULESET), "--fail-severity", "warn"]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(lint())
