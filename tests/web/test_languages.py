"""The widget's languages are listed once: the catalogues in web/i18n/. Every other list is checked against them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chalicelib.api.web import CATALOGUE_FOLDER, catalogues
from tests.openapi_document import load_document

ROOT = Path(__file__).resolve().parents[2]
# The widget's LANGS is in its i18n module (web/widget.js is built from it), counts.js's in the file served.
SCRIPTS = {"widget.js": ROOT / "web-src" / "widget" / "i18n.js", "counts.js": ROOT / "web" / "counts.js"}


def folder_languages() -> list[str]:
    return sorted(path.stem for path in CATALOGUE_FOLDER.glob("*.json"))


def script_languages(script: str) -> list[str]:
    found = re.search(r"const LANGS = (\[[^\]]*\]);", SCRIPTS[script].read_text(encoding="utf-8"))
    assert found is not None, f"{script} names its languages in a LANGS constant"
    return sorted(json.loads(found[1]))


def test_there_are_catalogues_to_compare() -> None:
    assert len(folder_languages()) >= 9


def test_the_server_serves_exactly_the_folders_catalogues() -> None:
    assert sorted(catalogues()) == [f"{lang}.json" for lang in folder_languages()]


def test_both_scripts_know_english_and_every_catalogue() -> None:
    expected = sorted(["en", *folder_languages()])
    for script in ("widget.js", "counts.js"):
        assert script_languages(script) == expected, f"{script}'s LANGS differs from web/i18n/"


def test_the_documented_catalogue_names_are_the_folders() -> None:
    parameters = load_document()["paths"]["/i18n/{name}"]["get"]["parameters"]
    name = next(p for p in parameters if p["name"] == "name")
    assert sorted(name["schema"]["enum"]) == [f"{lang}.json" for lang in folder_languages()]


def test_every_catalogue_has_the_messages_english_has_no_more() -> None:
    # Each catalogue names the same messages: a message added to one language and not the others is a gap
    names = {lang: set(json.loads((CATALOGUE_FOLDER / f"{lang}.json").read_text(encoding="utf-8")))
             for lang in folder_languages()}
    first = next(iter(names.values()))
    for lang, messages in names.items():
        assert messages == first, f"{lang}.json differs: {sorted(messages ^ first)}"
