"""Generate ``louise/data/bottrop_gazetteer.csv``, the offline demo gazetteer.

The coordinates are APPROXIMATE and hand-made for the demo: each street is a short polyline
through a few hand-placed points, and house numbers are spread along it by interpolation (odd
numbers on the left, even on the right, a few metres off the centre line). Good enough to
plan plausible routes in Bottrop; not a survey. Run from the repository root:

    python scripts/build_bottrop_gazetteer.py
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "louise" / "data" / "bottrop_gazetteer.csv"
CITY = "Bottrop"
SIDE_OFFSET_M = 9.0
PER_SEGMENT = 9  # pairs of (odd, even) numbers generated per street segment

Point = tuple[float, float]

# (street, postcode, district, first number, last number, polyline (lat, lon) from the first
# number to the last). Long streets are split where the postcode or district changes.
SEGMENTS: list[tuple[str, str, str, int, int, list[Point]]] = [
    (
        "Hochstraße",
        "46236",
        "Stadtmitte",
        1,
        80,
        [(51.5250, 6.9290), (51.5218, 6.9262), (51.5195, 6.9247)],
    ),
    ("Altmarkt", "46236", "Altstadt", 1, 20, [(51.5240, 6.9278), (51.5232, 6.9295)]),
    ("Pferdemarkt", "46236", "Altstadt", 1, 16, [(51.5249, 6.9262), (51.5243, 6.9279)]),
    (
        "Hansastraße",
        "46236",
        "Stadtmitte",
        1,
        60,
        [(51.5228, 6.9302), (51.5258, 6.9340), (51.5290, 6.9372)],
    ),
    ("Gladbecker Straße", "46236", "Stadtmitte", 1, 60, [(51.5262, 6.9318), (51.5300, 6.9420)]),
    (
        "Gladbecker Straße",
        "46238",
        "Batenbrock",
        61,
        240,
        [(51.5300, 6.9420), (51.5335, 6.9520), (51.5365, 6.9610)],
    ),
    ("Osterfelder Straße", "46236", "Stadtmitte", 1, 50, [(51.5212, 6.9255), (51.5160, 6.9180)]),
    (
        "Osterfelder Straße",
        "46242",
        "Vonderort",
        51,
        180,
        [(51.5160, 6.9180), (51.5110, 6.9100), (51.5060, 6.9030)],
    ),
    ("Kirchhellener Straße", "46236", "Stadtmitte", 1, 70, [(51.5262, 6.9275), (51.5330, 6.9285)]),
    ("Kirchhellener Straße", "46240", "Eigen", 71, 180, [(51.5330, 6.9285), (51.5450, 6.9300)]),
    (
        "Kirchhellener Straße",
        "46240",
        "Lehmkuhle",
        181,
        300,
        [(51.5450, 6.9300), (51.5530, 6.9305), (51.5600, 6.9320)],
    ),
    ("Essener Straße", "46236", "Stadtmitte", 1, 60, [(51.5200, 6.9290), (51.5130, 6.9340)]),
    ("Essener Straße", "46238", "Ebel", 61, 200, [(51.5130, 6.9340), (51.4990, 6.9400)]),
    ("Horster Straße", "46236", "Stadtmitte", 1, 40, [(51.5240, 6.9330), (51.5255, 6.9420)]),
    (
        "Horster Straße",
        "46240",
        "Boy",
        41,
        200,
        [(51.5255, 6.9420), (51.5275, 6.9560), (51.5290, 6.9700)],
    ),
    ("Prosperstraße", "46238", "Batenbrock", 1, 140, [(51.5180, 6.9390), (51.5220, 6.9620)]),
    (
        "Ostring",
        "46236",
        "Stadtmitte",
        1,
        40,
        [(51.5275, 6.9345), (51.5235, 6.9360), (51.5195, 6.9340)],
    ),
    (
        "Westring",
        "46236",
        "Stadtmitte",
        1,
        40,
        [(51.5275, 6.9230), (51.5235, 6.9215), (51.5195, 6.9230)],
    ),
    (
        "Scharnhölzstraße",
        "46242",
        "Fuhlenbrock",
        1,
        300,
        [(51.5280, 6.9150), (51.5320, 6.9000), (51.5360, 6.8850)],
    ),
    (
        "Friedrich-Ebert-Straße",
        "46236",
        "Stadtmitte",
        1,
        60,
        [(51.5220, 6.9245), (51.5185, 6.9170)],
    ),
    ("Am Lamperfeld", "46240", "Eigen", 1, 40, [(51.5400, 6.9200), (51.5420, 6.9260)]),
    ("Welheimer Straße", "46238", "Welheim", 1, 150, [(51.5150, 6.9500), (51.5120, 6.9750)]),
    ("Vonderorter Straße", "46242", "Vonderort", 1, 80, [(51.5080, 6.9100), (51.5010, 6.9080)]),
    (
        "Hauptstraße",
        "46244",
        "Kirchhellen",
        1,
        90,
        [(51.6020, 6.9170), (51.6065, 6.9215), (51.6105, 6.9265)],
    ),
    (
        "Feldhausener Straße",
        "46244",
        "Feldhausen",
        1,
        120,
        [(51.6075, 6.9275), (51.6150, 6.9450), (51.6205, 6.9600)],
    ),
    (
        "Alter Postweg",
        "46244",
        "Grafenwald",
        1,
        200,
        [(51.5780, 6.9320), (51.5850, 6.9410), (51.5920, 6.9500)],
    ),
    ("Schneiderstraße", "46244", "Grafenwald", 1, 60, [(51.5840, 6.9360), (51.5870, 6.9450)]),
]

# Places without a house number: (name, postcode, district, lat, lon).
PLACES: list[tuple[str, str, str, float, float]] = [
    ("Altmarkt-Passage", "46236", "Altstadt", 51.5234, 6.9283),  # LOUISE City-Station (hub)
    ("Altmarkt", "46236", "Altstadt", 51.5236, 6.9285),
    ("Pferdemarkt", "46236", "Altstadt", 51.5246, 6.9270),
    ("Berliner Platz", "46236", "Stadtmitte", 51.5213, 6.9293),
    ("Josef Albers Museum Quadrat", "46236", "Stadtmitte", 51.5290, 6.9255),
    ("Bottrop Hauptbahnhof", "46238", "Batenbrock", 51.5093, 6.9418),
    ("Tetraeder", "46238", "Batenbrock", 51.5165, 6.9600),
    ("Halde Haniel", "46242", "Fuhlenbrock", 51.5580, 6.8960),
    ("Johann-Breuker-Platz", "46244", "Kirchhellen", 51.6060, 6.9205),
    ("Movie Park Germany", "46244", "Feldhausen", 51.6213, 6.9745),
    ("Grafenwald Ortsmitte", "46244", "Grafenwald", 51.5850, 6.9400),
]

# Extra numbers with letter suffixes, as real streets have them: (street, postcode, number).
SUFFIXED: list[tuple[str, str, str]] = [
    ("Hochstraße", "46236", "12a"),
    ("Hansastraße", "46236", "7b"),
    ("Hauptstraße", "46244", "33a"),
]

M_PER_DEG_LAT = 111_320.0


def _xy(p: Point, lat0: float) -> tuple[float, float]:
    return p[1] * M_PER_DEG_LAT * math.cos(math.radians(lat0)), p[0] * M_PER_DEG_LAT


def _point_at(line: list[Point], t: float, side: int) -> Point:
    """Point at fraction ``t`` of the polyline, shifted ``side`` (±1) to the left/right."""
    lat0 = line[0][0]
    xy = [_xy(p, lat0) for p in line]
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(xy)]
    target = t * sum(lengths)
    for (a, b), length in zip(itertools.pairwise(xy), lengths, strict=True):
        if target <= length or (a, b) == (xy[-2], xy[-1]):
            f = 0.0 if length == 0 else min(target / length, 1.0)
            x = a[0] + f * (b[0] - a[0])
            y = a[1] + f * (b[1] - a[1])
            nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length  # left normal
            x += side * SIDE_OFFSET_M * nx
            y += side * SIDE_OFFSET_M * ny
            return (
                round(y / M_PER_DEG_LAT, 6),
                round(x / (M_PER_DEG_LAT * math.cos(math.radians(lat0))), 6),
            )
        target -= length
    raise AssertionError("unreachable")


def _numbers(first: int, last: int) -> list[int]:
    step = max(2, ((last - first) // PER_SEGMENT) // 2 * 2)
    odd_start = first if first % 2 else first + 1
    numbers: set[int] = set()
    for n in range(odd_start, last + 1, step):
        numbers.update({n, n + 1})
    numbers.update({first, last, 12} if first <= 12 <= last else {first, last})
    return sorted(n for n in numbers if first <= n <= last)


def build_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for street, postcode, district, first, last, line in SEGMENTS:
        for n in _numbers(first, last):
            lat, lon = _point_at(line, (n - first) / (last - first), 1 if n % 2 else -1)
            rows.append(_row(street, str(n), postcode, district, lat, lon))
    for street, postcode, number in SUFFIXED:
        base = next(
            r
            for r in rows
            if r["street"] == street
            and r["postcode"] == postcode
            and r["house_number"] == number.rstrip("abcdefgh")
        )
        # a rear building: ~15 m north-east of the main one
        rows.append(
            _row(
                street,
                number,
                postcode,
                base["district"],
                round(float(base["lat"]) + 0.00012, 6),
                round(float(base["lon"]) + 0.00015, 6),
            )
        )
    for name, postcode, district, lat, lon in PLACES:
        rows.append(_row(name, "", postcode, district, lat, lon))
    return rows


def _row(
    street: str, number: str, postcode: str, district: str, lat: float, lon: float
) -> dict[str, str]:
    return {
        "street": street,
        "house_number": number,
        "postcode": postcode,
        "city": CITY,
        "district": district,
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
    }


def main() -> None:
    rows = build_rows()
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        fh.write(
            "# Bottrop demo gazetteer. Coordinates are APPROXIMATE, hand-made for the demo "
            "(generated by scripts/build_bottrop_gazetteer.py); not survey data.\n"
        )
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
