"""German text for search and sorting, the same on every database.

Two rules, used by the catalogue (and anything else that searches or sorts what people typed):

- **Search** compares *folded* text: Unicode case folding (``str.casefold``: ``ß`` and ``ẞ``
  become ``ss``), compatibility decomposition (NFKD) with the accents dropped (``ä`` → ``a``,
  ``é`` → ``e``), and a few letters that do not decompose mapped to their base (``ı`` → ``i``,
  ``ł`` → ``l``, ``ø`` → ``o``, …). A query matches a text when its folding is a substring of
  the text's, *or* when the same holds with German umlauts written out (``ä`` → ``ae``,
  ``ö`` → ``oe``, ``ü`` → ``ue``) — so ``ABSÄTZE``, ``absatze`` and ``absaetze`` all find
  "Absätze", and ``STRASSE`` finds "Straße" and the other way round.
- **Sorting** follows DIN 5007-1 (dictionary order, the default of ICU's German collation):
  ``ä`` sorts as ``a``, ``ö`` as ``o``, ``ü`` as ``u``, ``ß`` as ``ss``, case is ignored. Ties
  go to the unaccented spelling first ("Muller" < "Müller", "Masse" < "Maße"), then to lower
  case ("ärger" < "Ärger"), as ICU's German collation does.

Pure standard library (``unicodedata``), so PostgreSQL and SQLite give identical answers: the
callers filter and order in Python. No ICU: PyICU has no wheels on PyPI, and these rules are
all a town's catalogue needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters that NFKD does not split into base + accent, folded to the base letter(s).
_BASE_LETTERS = str.maketrans(
    {
        "ı": "i",  # Turkish dotless i (İ casefolds to i + a combining dot, which is dropped)
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ŀ": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_UMLAUTS_WRITTEN_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SPACES = re.compile(r"\s+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """``text`` case-folded, without accents, with runs of white space as one space:
    ``fold("Straße Öztürk")`` is ``"strasse ozturk"``."""
    folded = _strip_accents(text.casefold()).translate(_BASE_LETTERS)
    return _SPACES.sub(" ", folded).strip()


def fold_umlauts(text: str) -> str:
    """:func:`fold`, but German umlauts written out first: ``"Öztürk"`` → ``"oeztuerk"``."""
    composed = unicodedata.normalize("NFC", text.casefold())
    return fold(composed.translate(_UMLAUTS_WRITTEN_OUT))


def matches(query: str, texts: Iterable[str | None]) -> bool:
    """Whether ``query`` occurs in one of ``texts``, compared folded (see the module doc)."""
    plain, written_out = fold(query), fold_umlauts(query)
    return any(plain in fold(text) or written_out in fold_umlauts(text) for text in texts if text)


def sort_key(text: str) -> tuple[str, str, str, str]:
    """Key for DIN 5007-1 order: folded text first; on a tie the unaccented spelling before the
    accented one and ``ss`` before ``ß``; then lower case before upper case; last the exact
    text, so that the order is total and the same everywhere."""
    decomposed = unicodedata.normalize("NFD", text)
    return fold(text), decomposed.lower(), decomposed.swapcase(), text


#: Between the parts of :func:`sort_string`: below every character a part can hold.
_PART_SEPARATOR = "\x01"
_CONTROL = re.compile(r"[\x00-\x01]")


def sort_string(text: str) -> str:
    """:func:`sort_key` as one string, for a database to order by: its parts joined by
    U+0001. Compared code point by code point (PostgreSQL ``COLLATE "C"``, SQLite's default
    BINARY: both compare UTF-8 bytes, which order as code points) it orders exactly as
    ``sort_key`` does, because no part holds a character below the separator (U+0000 and
    U+0001, which nobody types, become a space)."""
    return _PART_SEPARATOR.join(_CONTROL.sub(" ", part) for part in sort_key(text))


__all__ = ["fold", "fold_umlauts", "matches", "sort_key", "sort_string"]
