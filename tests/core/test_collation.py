"""German search folding and DIN 5007-1 order (louise.collation), independent of any database."""

from __future__ import annotations

import pytest

from louise.collation import fold, fold_umlauts, matches, sort_key, sort_string


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ABSÄTZE", "absatze"),
        ("Straße", "strasse"),
        ("STRAẞE", "strasse"),
        ("Yılmaz", "yilmaz"),
        ("İnci", "inci"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Øster  Café\u00a0Noël", "oster cafe noel"),
        ("O\u0308ztu\u0308rk", "ozturk"),  # decomposed input (NFD) folds the same
    ],
)
def test_fold_ignores_case_accents_and_spacing(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_umlauts_writes_german_umlauts_out() -> None:
    assert fold_umlauts("Öztürk Bäckerei Straße") == "oeztuerk baeckerei strasse"
    assert fold_umlauts("Łódź") == "lodz"


@pytest.mark.parametrize(
    "query", ["absätze", "ABSÄTZE", "absatze", "AbSaEtZe", "neue  absätze", "SÄTZE"]
)
def test_query_matches_with_or_without_umlauts(query: str) -> None:
    assert matches(query, ["Neue Absätze"])


def test_query_does_not_match_other_words_or_missing_text() -> None:
    assert not matches("absatzes", ["Neue Absätze"])
    assert not matches("strassen", ["Hauptstraße"])
    assert not matches("a", [None, ""])
    assert matches("STRASSE", [None, "Hauptstraße"])
    assert matches("straße", ["HAUPTSTRASSE"])


def test_sort_key_is_din_5007_1_dictionary_order() -> None:
    names = ["Zweirad", "Änderungsschneiderei", "Müller", "Mueller", "Muller", "apfel",
             "Maße", "Masse", "Ölmühle", "Ofen", "Optik", "ärger", "Arg", "Ärger"]  # fmt: skip
    assert sorted(names, key=sort_key) == [
        "Änderungsschneiderei",
        "apfel",
        "Arg",
        "ärger",
        "Ärger",
        "Masse",
        "Maße",
        "Mueller",
        "Muller",
        "Müller",
        "Ofen",
        "Ölmühle",
        "Optik",
        "Zweirad",
    ]


def test_sort_string_orders_code_point_by_code_point_as_sort_key_does() -> None:
    # prefixes, umlauts, ß, case, accents, NFC/NFD twins and a control character
    titles = [
        "Ab",
        "Ab c",
        "Abc",
        "abc",
        "Äbc",
        "äbc",
        "Masse",
        "Maße",
        "Muller",
        "Müller",
        "Mu\u0308ller",
        "ärger",
        "Ärger",
        "arger",
        "Öl",
        "Ol",
        "Straße",
        "Strasse",
        "Zebra",
        "Z\u0001ebra",
        "",
        "😀 Emoji",
    ]
    by_key = sorted(titles, key=sort_key)
    assert sorted(titles, key=sort_string) == by_key
    assert by_key[:5] == ["", "Ab", "Ab c", "abc", "Abc"]  # lower case first
