"""The one reader of ``.chalice/config.json``: its stages, and each stage's environment and settings.

Chalice gives a stage's Lambda functions the top level's ``environment_variables``
with the stage's own block over them; every tool that needs a stage's values
(deploy/, the importer, `make run`, the bench, the tests) reads them here, the
same way, and typed ones through ``load_settings`` (chalicelib/settings.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings import Settings

PROJECT = Path(__file__).resolve().parents[1]
CHALICE_CONFIG = PROJECT / ".chalice" / "config.json"


class StageError(Exception):
    pass


def chalice_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    return loaded


def stage_names() -> list[str]:
    return sorted(chalice_config()["stages"])


def stage_block(name: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stage's own block of the file; StageError when there is none."""
    config = chalice_config() if config is None else config
    stages: dict[str, Any] = config.get("stages", {})
    if name not in stages:
        raise StageError(f"no stage {name!r} in .chalice/config.json (stages: {', '.join(sorted(stages))})")
    block: dict[str, Any] = stages[name]
    return block


def stage_environment(name: str, config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The environment variables the stage's functions get: the top level's, the stage's own over them."""
    config = chalice_config() if config is None else config
    block = stage_block(name, config)
    return {**config.get("environment_variables", {}), **block.get("environment_variables", {})}


def stage_settings(name: str, overrides: Mapping[str, str] | None = None) -> Settings:
    """The stage's settings as its functions read them (no secrets: those are in SSM), ``overrides`` over them."""
    from chalicelib.settings import load_settings

    return load_settings({**stage_environment(name), **(overrides or {})})
