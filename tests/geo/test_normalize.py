from __future__ import annotations

import pytest

from louise.geo.normalize import (
    HouseNumber,
    normalize_street,
    normalized_key,
    parse_house_number,
    street_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hansastraße", "hansastrasse"),
        ("Hansastrasse", "hansastrasse"),
        ("Hansastr.", "hansastrasse"),
        ("hansastr", "hansastrasse"),
        ("HANSASTRASSE", "hansastrasse"),
        ("  Gladbecker   Str. ", "gladbecker strasse"),
        ("Gladbecker Straße", "gladbecker strasse"),
        ("Friedrich-Ebert-Str.", "friedrich ebert strasse"),
        ("Scharnhölzstraße", "scharnhoelzstrasse"),
        ("Scharnhoelzstrasse", "scharnhoelzstrasse"),
        ("Berliner Pl.", "berliner platz"),
        ("Berliner Platz", "berliner platz"),
        ("Am Lamperfeld", "am lamperfeld"),
        ("Altmarkt-Passage", "altmarkt passage"),
        ("Café-Weg", "cafe weg"),
    ],
)
def test_street_normalisation(raw: str, expected: str) -> None:
    assert normalize_street(raw) == expected


def test_street_key_ignores_word_breaks() -> None:
    assert (
        street_key("Friedrich-Ebert-Straße")
        == street_key("Friedrich Ebert Str.")
        == street_key("friedrich-ebertstrasse")
        == "friedrichebertstrasse"
    )
    assert street_key("Gladbeckerstr.") == street_key("Gladbecker Straße")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", HouseNumber(12)),
        ("12a", HouseNumber(12, "a")),
        ("12A", HouseNumber(12, "a")),
        ("12 a", HouseNumber(12, "a")),
        ("12-a", HouseNumber(12, "a")),
        ("12/a", HouseNumber(12, "a")),
        (" 7 B ", HouseNumber(7, "b")),
        ("12-14", HouseNumber(12, "14")),
    ],
)
def test_house_number_parsing(raw: str, expected: HouseNumber) -> None:
    assert parse_house_number(raw) == expected


def test_house_number_without_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="start with a number"):
        parse_house_number("zwölf")


def test_house_number_prints_compactly() -> None:
    assert str(parse_house_number("12 A")) == "12a"


def test_normalized_key_treats_spelling_variants_alike() -> None:
    assert normalized_key("Hansastraße", "12 A", "46236", "Bottrop") == normalized_key(
        "hansastr.", "12a", "46 236", "BOTTROP"
    )
    assert normalized_key("Hansastraße", "12 A", "46236", "Bottrop") == (
        "hansastrasse|12a|46236|bottrop"
    )


def test_normalized_key_keeps_missing_parts_empty() -> None:
    assert normalized_key("Ostring", None, None, None) == "ostring|||"
    assert normalized_key("Ostring", "  ", "", "") == "ostring|||"
