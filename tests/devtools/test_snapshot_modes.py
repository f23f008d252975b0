"""`.local/data.json` holds password hashes: it is 0600, in a 0700 directory, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from devtools import snapshot


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o000)  # the worst case: nothing masked
    yield
    os.umask(previous)


class _Scan:
    """Just enough of a DynamoDB client for snapshot.save: one page of items."""

    def get_paginator(self, name: str) -> Any:
        assert name == "scan"
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{"Items": [{"PK": {"S": "USER#ada"}, "password_hash": {"S": "scrypt$..."}}]}]


def test_a_new_snapshot_is_readable_by_its_owner_alone(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "state" / "data.json"
    assert snapshot.save(cast(Any, _Scan()), "blog", path) == 1
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700  # made by save: nobody else may enter
    assert not list(path.parent.glob("*.tmp"))


def test_an_existing_world_readable_snapshot_is_replaced_by_a_private_one(tmp_path: Path,
                                                                          permissive_umask: None) -> None:
    path = tmp_path / "data.json"
    path.write_text("{}")
    path.chmod(0o644)  # as older versions left it
    (tmp_path / "data.tmp").write_text("torn")
    (tmp_path / "data.tmp").chmod(0o666)  # an older version's partial file, left by a crash
    snapshot.save(cast(Any, _Scan()), "blog", path)
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.json"]
    assert "USER#ada" in path.read_text()


def test_the_state_directory_is_closed_to_others(tmp_path: Path, permissive_umask: None) -> None:
    state = tmp_path / ".local"
    state.mkdir(mode=0o755)
    snapshot.private_directory(state)
    assert mode(state) == 0o700
