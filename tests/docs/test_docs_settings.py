"""The Settings page (docs/settings.md) documents every setting `load_settings` reads, as the code has it.

Its table is written from the declarations in chalicelib/settings.py (devtools/settings_page.py), and
the first test fails while the page is not what that writes. The others check what the table says
against what the code does: the settings are found by running `load_settings` on an environment that
records what is asked of it (a setting read outside the declarations still lacks a row), and each
row's type is checked against the parser: a setting documented as a boolean, a number or a rate
really refuses a value that is none of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.settings import DECLARED, OPTIONAL_SECRET_PARAMETERS, SECRET_PARAMETERS, Settings, load_settings
from devtools.settings_page import rewritten

PAGE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
# Settings read outside load_settings (by the deploy shell and the secrets loader), in their own section.
READ_ELSEWHERE = {"SECRETS_PARAMETER_PATH", "STREAM_ARN", "ROUTE_METRICS"}
# Types whose parser refuses an arbitrary word; the others (text, secret, list) take any string.
CHECKED_TYPES = {"boolean", "integer", "rate", "cache times", "choice", "URL", "address", "receivers", "providers"}
TYPES = CHECKED_TYPES | {"text", "secret", "list"}
ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| ([^|]+?) \| ([^|]+?) \| (.+) \|$")


class RecordingEnvironment(Mapping[str, str]):
    """An environment that remembers every name asked for, and the default given with it."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.given = values or {}
        self.asked: dict[str, str | None] = {}

    def __getitem__(self, name: str) -> str:
        self.asked.setdefault(name, None)
        return self.given[name]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked[name] = default
        return self.given.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.given)

    def __len__(self) -> int:
        return len(self.given)


def read_settings() -> dict[str, str | None]:
    """Every setting load_settings reads, with the default it falls back to."""
    environment = RecordingEnvironment()
    load_settings(environment)
    return environment.asked


def documented() -> dict[str, tuple[str, str, str]]:
    """The page's rows: setting → (type, default, meaning)."""
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            name, kind, default, meaning = match.groups()
            assert name not in rows, f"{name} has two rows"
            rows[name] = (kind.strip(), default.strip(), meaning.strip())
    return rows


def shown(default: str | None) -> str:
    """A default as the page writes it: the value as code, or "empty"."""
    return f"`{default}`" if default else "empty"


def test_the_page_shows_the_table_the_declarations_write() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == rewritten(page), "docs/settings.md is stale: run python -m devtools.settings_page"


def test_each_setting_is_declared_once_and_loaded_into_its_attribute() -> None:
    variables = [setting.variable for setting in DECLARED]
    assert len(variables) == len(set(variables))
    loaded = load_settings({})
    for setting in DECLARED:
        assert getattr(type(loaded), setting.attribute) is setting
        assert setting.attribute in vars(loaded), f"{setting.variable} is not loaded"


def test_every_secret_names_its_ssm_parameter() -> None:
    secrets = {s.variable: s.parameter for s in DECLARED if s.kind.name == "secret"}
    assert secrets["JWT_SECRET"] == "jwt-secret" and len(secrets) >= 7
    assert all(secrets.values()), "a secret with no SSM parameter is never made by make bootstrap"
    assert set(SECRET_PARAMETERS) | set(OPTIONAL_SECRET_PARAMETERS) == set(secrets)
    assert set(OPTIONAL_SECRET_PARAMETERS) == {"HASH_KEY_PREVIOUS", "AKISMET_KEY", "CHALLENGE_SECRET",
                                               "OIDC_CLIENT_SECRETS"}


def test_settings_are_frozen_and_replace_makes_a_changed_copy() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError, match="frozen"):
        settings.moderation = "all"  # type: ignore[assignment]
    changed = settings.replace(moderation="all")
    assert (changed.moderation, settings.moderation) == ("all", "off")
    assert changed != settings and settings.replace() == settings
    with pytest.raises(TypeError, match="unknown moderated"):
        settings.replace(moderated="all")


def test_settings_missing_a_value_are_refused() -> None:
    values = dict(vars(load_settings({})))
    del values["max_links"]
    with pytest.raises(TypeError, match="missing max_links"):
        Settings(**values)


def test_the_recording_environment_sees_the_settings_load_settings_reads() -> None:
    asked = read_settings()
    assert asked["MODERATION"] == "off" and asked["CACHE_FEED"] == "300/300/300"
    assert len(asked) >= 30


def test_every_setting_load_settings_reads_has_a_row() -> None:
    missing = sorted(set(read_settings()) - set(documented()))
    assert not missing, "add to docs/settings.md (setting, type, default, meaning): " + ", ".join(missing)


def test_every_row_names_a_setting_that_is_read() -> None:
    stale = sorted(set(documented()) - set(read_settings()) - READ_ELSEWHERE)
    assert not stale, "docs/settings.md documents settings nothing reads: " + ", ".join(stale)


def test_every_row_shows_the_code_default() -> None:
    rows = documented()
    wrong = [f"{name}: page {rows[name][1]}, code {shown(default)}"
             for name, default in read_settings().items() if name in rows and rows[name][1] != shown(default)]
    assert not wrong, "defaults that differ: " + "; ".join(wrong)


def test_every_row_has_a_known_type_and_a_sentence() -> None:
    for name, (kind, _, meaning) in documented().items():
        assert kind in TYPES, f"{name}: type {kind!r} is not one the page explains"
        assert len(meaning.split()) >= 3, f"{name}: say what it does"


@pytest.mark.parametrize("name", sorted(n for n, (kind, _, _) in documented().items() if kind in CHECKED_TYPES))
def test_a_setting_documented_with_a_format_refuses_a_value_outside_it(name: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings({name: "not-a-value ☃"})
