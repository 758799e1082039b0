"""The translation catalogues are complete and consistent, as Babel reads them: every marked string is in
every catalogue, translated (not fuzzy), with the same placeholders and markup as its msgid, and the
compiled .mo files and the page scripts' JSON catalogues are up to date with the .po files."""
from __future__ import annotations

import io
import os
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.i18n import LOCALES
from app.i18n_catalogues import JS_CATALOGUES, TRANSLATIONS, js_catalogue_text

APP_DIR = os.path.dirname(TRANSLATIONS)
SOURCE_LANGUAGE = "en"  # msgids are English; its catalogue may leave them as they are
TRANSLATED = [code for code in LOCALES if code != SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


def catalogue(language: str) -> Catalog:
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.po"), "rb") as handle:
        return read_po(handle, locale=language)


def forms(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.fixture(scope="module")
def marked_strings() -> set[str]:
    """Everything marked in the code today, as `make translations` extracts it."""
    method_map = [("**/vendor/**", "ignore"), ("**.py", "python"), ("templates/**.html", "jinja2"),
                  ("static/js/**.js", "javascript")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_ngettext": (1, 2)}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            APP_DIR, method_map=method_map, keywords=keywords):
        found.add(message[0] if isinstance(message, (tuple, list)) else message)
    return {message for message in found if message}


@pytest.mark.parametrize("language", list(LOCALES))
def test_every_marked_string_is_in_the_catalogue(language, marked_strings):
    ids = {message.id[0] if isinstance(message.id, tuple) else message.id for message in catalogue(language)}
    missing = sorted(marked_strings - ids)
    assert not missing, f"run `make translations`; not in {language}: {missing[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_entry_is_untranslated_or_fuzzy(language):
    problems = [message.id for message in catalogue(language)
                if message.id and (message.fuzzy or not all(forms(message.string)))]
    assert not problems, f"{language}: untranslated or fuzzy: {problems[:10]}"


@pytest.mark.parametrize("language", list(LOCALES))
def test_placeholders_and_markup_match_the_msgid(language):
    problems = []
    source = catalogue(language)
    for message in source:
        if not message.id:
            continue
        ids = forms(message.id)
        wanted_names = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        wanted_tags = sorted(TAG.findall(ids[0]))
        for text in forms(message.string):
            if not text:
                continue
            names = set(PLACEHOLDER.findall(text))
            # a plural form may leave out the count itself (e.g. Chinese "一个"), nothing else
            if not names <= wanted_names or wanted_names - names - {"num"}:
                problems.append((message.id, text, "placeholders"))
            if sorted(TAG.findall(text)) != wanted_tags:
                problems.append((message.id, text, "markup"))
    # Babel's own checks: python-format consistency and the number of plural forms
    problems += [(message.id, str(errors)) for message, errors in source.check() if errors]
    assert not problems, problems[:10]


@pytest.mark.parametrize("language", list(LOCALES))
def test_compiled_catalogues_are_up_to_date(language):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.mo"), "rb") as handle:
        assert handle.read() == compiled.getvalue(), f"run `make translations`: {language}.mo is out of date"
    with open(os.path.join(JS_CATALOGUES, f"{language}.json"), encoding="utf-8") as handle:
        assert handle.read() == js_catalogue_text(language), f"run `make translations`: {language}.json is out of date"


def test_a_catalogue_with_a_mistake_is_caught():
    """The checks above would notice: a dropped placeholder, a lost tag, an empty translation."""
    broken = Catalog(locale="ru")
    broken.add("Case #%(id)s", "Случай")
    broken.add("Times in <strong>%(zone)s</strong>.", "Время: %(zone)s.")
    broken.add("Save", "")
    names_lost = set(PLACEHOLDER.findall("Case #%(id)s")) - set(PLACEHOLDER.findall(broken.get("Case #%(id)s").string))
    tags_lost = TAG.findall("Times in <strong>%(zone)s</strong>.") != TAG.findall(
        broken.get("Times in <strong>%(zone)s</strong>.").string)
    assert names_lost == {"id"} and tags_lost and not broken.get("Save").string
