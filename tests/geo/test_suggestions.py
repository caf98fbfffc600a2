"""Address suggestions for the booking form, and one-line addresses split into fields."""

from __future__ import annotations

import pytest

from louise.geo.geocoders import GazetteerGeocoder, ServiceArea
from louise.geo.service import address_parts, suggest_addresses

BOTTROP = ServiceArea.from_bbox("6.83,51.48,7.05,51.65")


@pytest.fixture(scope="module")
def gazetteer() -> GazetteerGeocoder:
    return GazetteerGeocoder()


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("Hansastraße 12, 46236 Bottrop", ("Hansastraße", "12", "46236", "Bottrop")),
        ("Hansastraße 12a 46236 Bottrop", ("Hansastraße", "12a", "46236", "Bottrop")),
        ("Königsallee 1, 40212 Düsseldorf", ("Königsallee", "1", "40212", "Düsseldorf")),
        ("  Friedrich-Ebert-Str.   3 ", ("Friedrich-Ebert-Str.", "3", None, None)),
        ("Altmarkt-Passage", ("Altmarkt-Passage", None, None, None)),
        ("Hansastraße, Bottrop", ("Hansastraße", None, None, "Bottrop")),
    ],
)
def test_a_one_line_address_is_split_into_its_fields(line: str, parts: tuple[str | None]) -> None:
    found = address_parts(line)
    assert (found["street"], found["house_number"], found["postcode"], found["city"]) == parts


def test_a_typed_street_and_number_are_completed_to_whole_addresses(
    gazetteer: GazetteerGeocoder,
) -> None:
    labels = [r.label for r in suggest_addresses(gazetteer, BOTTROP, "hansastr 1")]
    assert labels[:2] == ["Hansastraße 1, 46236 Bottrop", "Hansastraße 12, 46236 Bottrop"]
    assert all(label.startswith("Hansastraße 1") for label in labels)


def test_a_part_of_a_street_name_finds_it_and_at_most_the_limit(
    gazetteer: GazetteerGeocoder,
) -> None:
    found = suggest_addresses(gazetteer, BOTTROP, "ebert", limit=3)
    assert [r.street for r in found] == ["Friedrich-Ebert-Straße"] * 3


def test_too_short_or_unknown_text_suggests_nothing(gazetteer: GazetteerGeocoder) -> None:
    assert suggest_addresses(gazetteer, BOTTROP, "ha") == []
    assert suggest_addresses(gazetteer, BOTTROP, "Königsallee 1, 40212 Düsseldorf") == []


def test_suggestions_outside_the_area_are_left_out(gazetteer: GazetteerGeocoder) -> None:
    elsewhere = ServiceArea.from_bbox("7.5,51.0,7.6,51.1")
    assert suggest_addresses(gazetteer, elsewhere, "Hansastraße 12") == []
