from __future__ import annotations

import numpy as np
import pytest

from louise.geo.distance import (
    geodesic_m,
    haversine_m,
    haversine_matrix_m,
    haversine_to_many_m,
)

CITY_STATION = (51.5234, 6.9283)
POINTS = [
    CITY_STATION,
    (51.606, 6.921),  # Kirchhellen
    (51.62, 6.96),  # Feldhausen
    (51.585, 6.94),  # Grafenwald
    (51.5093, 6.9418),  # Hauptbahnhof
]


def test_haversine_of_a_point_to_itself_is_zero() -> None:
    assert haversine_m(*CITY_STATION, *CITY_STATION) == 0.0


@pytest.mark.parametrize("other", POINTS[1:])
def test_haversine_agrees_with_geodesic_within_half_a_percent(
    other: tuple[float, float],
) -> None:
    exact = geodesic_m(*CITY_STATION, *other)
    assert haversine_m(*CITY_STATION, *other) == pytest.approx(exact, rel=0.005)


def test_city_station_to_kirchhellen_is_about_nine_km() -> None:
    assert 9_000 < geodesic_m(*CITY_STATION, 51.606, 6.921) < 9_400


def test_matrix_is_symmetric_with_zero_diagonal_and_matches_scalar() -> None:
    lats = [p[0] for p in POINTS]
    lons = [p[1] for p in POINTS]
    matrix = haversine_matrix_m(lats, lons)
    assert matrix.shape == (5, 5)
    assert np.allclose(matrix, matrix.T)
    assert np.all(np.diag(matrix) == 0)
    for i, a in enumerate(POINTS):
        for j, b in enumerate(POINTS):
            assert matrix[i, j] == pytest.approx(haversine_m(*a, *b))


def test_to_many_matches_the_first_row_of_the_matrix() -> None:
    lats = np.array([p[0] for p in POINTS])
    lons = np.array([p[1] for p in POINTS])
    row = haversine_to_many_m(*CITY_STATION, lats, lons)
    assert np.allclose(row, haversine_matrix_m(lats, lons)[0])


def test_antipodal_points_do_not_produce_nan() -> None:
    d = haversine_m(0.0, 0.0, 0.0, 180.0)
    assert d == pytest.approx(np.pi * 6_371_008.8)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="equal length"):
        haversine_matrix_m([1.0, 2.0], [1.0])
