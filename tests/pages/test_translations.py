"""The web app's one catalogue: every text of the pages has a German translation, with the
same placeholders, and the compiled catalogue the app reads is the one in the .po file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _texts_of_the_pages() -> set[str]:
    texts: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        texts.add(_text(message))
    return texts


def _text(value: Any) -> str:
    """A message's text; a plural message (singular, plural) as both, joined."""
    return " | ".join(value) if isinstance(value, list | tuple) else value


def _translated(messages: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in messages:
        if not m.id or "fuzzy" in m.flags:
            continue
        forms = m.string if isinstance(m.string, list | tuple) else (m.string,)
        if all(forms):
            found[_text(m.id)] = _text(m.string)
    return found


def _po() -> dict[str, str]:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return _translated(read_po(handle, locale="de"))


def test_every_text_of_the_pages_has_a_german_translation() -> None:
    texts = _texts_of_the_pages()
    assert len(texts) > 50  # the extraction itself works
    german = _po()
    missing = sorted(text for text in texts if text not in german)
    assert missing == [], "untranslated (make translations, then translate): " + repr(missing)


def test_translations_keep_their_placeholders() -> None:
    # a plural's singular may say "the offer" for one; its plural form keeps every placeholder
    wrong = {
        text: german
        for text, german in _po().items()
        if sorted(PLACEHOLDER.findall(text.split(" | ")[-1]))
        != sorted(PLACEHOLDER.findall(german.split(" | ")[-1]))
    }
    assert wrong == {}


def test_compiled_catalogue_is_the_po_file() -> None:
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = _translated(read_mo(handle))
    assert compiled == _po(), "run `make translations` (pybabel compile) and commit the .mo"
