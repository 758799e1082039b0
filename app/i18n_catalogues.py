"""Build the JavaScript catalogues (app/static/i18n/<lang>.json) from the same .po files as the pages.

Run by `make translations` after the .po files are updated; only the messages marked in
app/static/js are written, as {msgid: msgstr}. Meridian serves them with every page (base.html)
so `Meridian.gettext` in meridian.js needs no extra request.
"""
from __future__ import annotations

import json
import os

from babel.messages.pofile import read_po

APP_DIR = os.path.dirname(os.path.abspath(__file__))
TRANSLATIONS = os.path.join(APP_DIR, "translations")
JS_CATALOGUES = os.path.join(APP_DIR, "static", "i18n")


def catalogue_languages() -> list[str]:
    return sorted(name for name in os.listdir(TRANSLATIONS)
                  if os.path.isfile(os.path.join(TRANSLATIONS, name, "LC_MESSAGES", "messages.po")))


def js_messages(language: str) -> dict[str, str]:
    """The translations of the messages used by the page scripts, as one language's .po has them."""
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.po"), "rb") as handle:
        catalogue = read_po(handle, locale=language)
    messages = {}
    for message in catalogue:
        if not message.id or message.fuzzy or isinstance(message.id, tuple):
            continue
        if any(filename.endswith(".js") for filename, _line in message.locations):
            messages[message.id] = message.string or message.id
    return dict(sorted(messages.items()))


def js_catalogue_text(language: str) -> str:
    return json.dumps(js_messages(language), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_js_catalogues() -> list[str]:
    os.makedirs(JS_CATALOGUES, exist_ok=True)
    written = []
    for language in catalogue_languages():
        path = os.path.join(JS_CATALOGUES, f"{language}.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(js_catalogue_text(language))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_js_catalogues():
        print("wrote", os.path.relpath(path))
