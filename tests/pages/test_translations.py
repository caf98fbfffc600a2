"""The web app's one catalogue: every text of the pages has a German translation, with the
same placeholders, and the compiled catalogue the app reads is the one in the .po file."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "louise/translations/de/LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("louise/pages/**.py", "python"),
    ("louise/templates/pages/**.html", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _texts_of_the_pages() -> set[str]:
    texts: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        texts.add(message if isinstance(message, str) else message[0])
    return texts


def _po() -> dict[str, str]:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="de")
    return {m.id: m.string for m in catalog if m.id and "fuzzy" not in m.flags and m.string}  # type: ignore[misc]


def test_every_text_of_the_pages_has_a_german_translation() -> None:
    texts = _texts_of_the_pages()
    assert len(texts) > 50  # the extraction itself works
    german = _po()
    missing = sorted(text for text in texts if text not in german)
    assert missing == [], "untranslated (make translations, then translate): " + repr(missing)


def test_translations_keep_their_placeholders() -> None:
    wrong = {
        text: german
        for text, german in _po().items()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(german))
    }
    assert wrong == {}


def test_compiled_catalogue_is_the_po_file() -> None:
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == _po(), "run `make translations` (pybabel compile) and commit the .mo"
