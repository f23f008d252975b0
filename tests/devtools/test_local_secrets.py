"""make run's secrets: one of each kind the app needs, kept across restarts, completed when a kind is added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.settings import SECRET_PARAMETERS
from devtools import local_stack


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(local_stack, "STATE", tmp_path)
    for name in SECRET_PARAMETERS:
        monkeypatch.setenv(name, "")  # recorded first, so whatever _local_secrets sets is undone after
        monkeypatch.delenv(name)
    return tmp_path


def test_a_fresh_machine_gets_every_secret_each_its_own(state: Path) -> None:
    local_stack._local_secrets()

    stored = json.loads((state / "secrets.json").read_text())
    assert set(stored) == set(SECRET_PARAMETERS)
    assert len(set(stored.values())) == len(SECRET_PARAMETERS)
    assert all(len(value) >= 32 for value in stored.values())


def test_secrets_from_before_a_new_kind_are_kept_and_the_new_ones_added(
        state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = {"JWT_SECRET": "j" * 40, "EDIT_TOKEN_KEY": "e" * 40}  # what an older make run wrote
    (state / "secrets.json").write_text(json.dumps(old))

    local_stack._local_secrets()

    stored = json.loads((state / "secrets.json").read_text())
    assert {k: stored[k] for k in old} == old  # sessions and edit tokens survive the upgrade
    assert set(stored) == set(SECRET_PARAMETERS)
    assert (state / "secrets.json").stat().st_mode & 0o777 == 0o600
