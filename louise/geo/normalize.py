"""Normalisation of German street addresses into comparable keys.

Rules (documented in ``docs/geocoding.md``):

* case folded, surrounding and repeated whitespace collapsed;
* ``ß`` → ``ss``; umlauts folded ``ä/ö/ü`` → ``ae/oe/ue`` (so "Scharnhölzstraße" and
  "Scharnhoelzstrasse" agree); other accents dropped (``é`` → ``e``);
* street abbreviations expanded: ``Str.``/``str``/``Straße``/``Strasse`` → ``strasse``,
  ``Pl.`` → ``platz``;
* hyphens, dots, commas and slashes are word breaks; the *key* drops the breaks entirely, so
  "Friedrich-Ebert-Str.", "Friedrich Ebert Straße" and "friedrich-ebertstrasse" agree;
* house numbers: "12 a", "12A", "12-a", "12/a" → number 12, suffix "a".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_FOLD = str.maketrans({"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "ẞ": "ss"})
_BREAKS = re.compile(r"[\s\-‐‑–—_.,;/()]+")
_HOUSE = re.compile(r"^(\d+)\s*[-/ ]?\s*([a-z]{0,2})$")


@dataclass(frozen=True, order=True)
class HouseNumber:
    """A house number split into its integer part and a letter suffix ("12a" → 12, "a")."""

    number: int
    suffix: str = ""

    def __str__(self) -> str:
        return f"{self.number}{self.suffix}"


def fold_text(value: str) -> str:
    """Lowercase, fold ß and umlauts, drop other accents, collapse whitespace."""
    text = unicodedata.normalize("NFC", value).lower().translate(_FOLD)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return " ".join(text.split())


def _expand_token(token: str) -> str:
    if token in {"str", "strasse"}:
        return "strasse"
    if token in {"pl", "platz"}:
        return "platz"
    if token.endswith("str") and len(token) > 3:
        return token[:-3] + "strasse"
    return token


def normalize_street(street: str) -> str:
    """Words of a street name, folded and with abbreviations expanded, joined by one space.

    >>> normalize_street("Friedrich-Ebert-Str.")
    'friedrich ebert strasse'
    """
    text = fold_text(street)
    # "Hansastr." and "Hansastr" end a word with "str"; "Pl." only counts as a whole word.
    tokens = [t for t in _BREAKS.split(text) if t]
    return " ".join(_expand_token(t) for t in tokens)


def street_key(street: str) -> str:
    """Compact form of :func:`normalize_street` without word breaks ("gladbeckerstrasse")."""
    return normalize_street(street).replace(" ", "")


def parse_house_number(value: str) -> HouseNumber:
    """Split "12 a" / "12A" / "12-a" into ``HouseNumber(12, "a")``.

    Raises ``ValueError`` for text that does not start with a number (e.g. "zwölf").
    """
    text = fold_text(value).strip()
    match = _HOUSE.match(text)
    if match:
        return HouseNumber(int(match.group(1)), match.group(2))
    # Ranges ("12-14") and odd forms ("12 1/2") keep their leading number, the rest is folded.
    lead = re.match(r"^(\d+)(.*)$", text)
    if not lead:
        raise ValueError(f"house number must start with a number, got {value!r}")
    rest = re.sub(r"[^0-9a-z]+", "", lead.group(2))
    return HouseNumber(int(lead.group(1)), rest)


def normalize_postcode(postcode: str) -> str:
    """Postcodes compare by their characters without spaces ("46 236" → "46236")."""
    return re.sub(r"\s+", "", postcode).upper()


def normalize_city(city: str) -> str:
    """Cities compare like streets, words joined by one space ("Bottrop-Kirchhellen")."""
    return " ".join(t for t in _BREAKS.split(fold_text(city)) if t)


def normalized_key(
    street: str | None,
    house_number: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
) -> str:
    """The lookup key of a structured address: ``street|house|postcode|city``.

    Missing parts stay empty, so "Hansastraße 12, Bottrop" and "Hansastr. 12 Bottrop" share a
    key, while the same address with a postcode has its own key.
    """
    house = str(parse_house_number(house_number)) if house_number and house_number.strip() else ""
    return "|".join(
        (
            street_key(street) if street else "",
            house,
            normalize_postcode(postcode) if postcode else "",
            normalize_city(city) if city else "",
        )
    )
