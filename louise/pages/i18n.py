"""One translation catalogue for every page (Flask-Babel): ``louise/translations``.

German is the default; English is chosen with the language switch (a cookie, for visitors as
for signed-in users). The source texts in templates and page code are English; the German
catalogue translates each of them (``make translations`` extracts and compiles, and
tests/pages/test_translations.py checks that nothing is left untranslated).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_COOKIE = "lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def page_language() -> str:
    """The language of this answer: the visitor's choice, else German."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_timezone="Europe/Berlin",
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=page_language,
    )
