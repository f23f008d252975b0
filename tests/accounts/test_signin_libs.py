"""chalicelib/signin_libs.py: the package's sign-in libraries join sys.path once, and only where they are."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib import signin_libs


@pytest.fixture
def saved_path() -> Iterator[list[str]]:
    before = list(sys.path)
    yield before
    sys.path[:] = before


def test_the_folder_is_appended_last_where_the_package_has_one(tmp_path: Path, saved_path: list[str]) -> None:
    (tmp_path / "signin_libs").mkdir()
    signin_libs.load(str(tmp_path))
    assert sys.path == [*saved_path, str(tmp_path / "signin_libs")]


def test_loading_twice_adds_the_folder_once(tmp_path: Path, saved_path: list[str]) -> None:
    (tmp_path / "signin_libs").mkdir()
    signin_libs.load(str(tmp_path))
    signin_libs.load(str(tmp_path))
    assert sys.path.count(str(tmp_path / "signin_libs")) == 1


def test_without_the_folder_nothing_changes(tmp_path: Path, saved_path: list[str]) -> None:
    # make run and make test: the virtualenv has the libraries, and no signin_libs/ sits beside app.py
    signin_libs.load(str(tmp_path))
    assert sys.path == saved_path


def test_the_checkout_has_no_folder_beside_app_py_to_shadow_the_virtualenv() -> None:
    # vendor/signin_libs/ is built for Lambda's platform; only Chalice moves it beside app.py, in the zip
    assert not (Path(signin_libs.__file__).parent.parent / signin_libs.FOLDER).exists()
