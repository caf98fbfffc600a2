"""A route map from coordinates alone: no tiles, no network, no JavaScript.

Equirectangular projection around the route's mean latitude (longitudes scaled by cos(lat)),
which is exact enough for a town. :func:`layout` does the geometry once; :func:`route_svg`
draws it as SVG and the PDF draws the same layout with ReportLab.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

KM_PER_DEGREE = 111.32  # one degree of latitude (and of longitude at the equator)
_NICE_KM = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
_MIN_SPAN_DEG = 0.004  # a route at one place still gets a ~400 m wide map

LINE_COLOUR = "#1d4ed8"
STOP_COLOUR = "#ffffff"
HUB_COLOUR = "#b91c1c"
INK = "#111827"


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    text: str  # "3" or "3,4" when stops share a place; "" for the hub
    hub: bool


@dataclass(frozen=True)
class MapLayout:
    """Pixel geometry, y growing downwards (SVG's convention)."""

    width: float
    height: float
    line: tuple[tuple[float, float], ...]
    markers: tuple[Marker, ...]
    arrows: tuple[tuple[float, float, float], ...]  # x, y, angle in radians
    scale_km: float
    scale_px: float
    scale_label: str


def _close(a: tuple[float, float], b: tuple[float, float], px: float = 12.0) -> bool:
    return math.hypot(a[0] - b[0], a[1] - b[1]) < px


def _dedupe(xys: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    kept: list[tuple[float, float]] = []
    for xy in xys:
        if not any(_close(xy, k) for k in kept):
            kept.append(xy)
    return kept


def _runs(texts: Sequence[str]) -> str:
    """'3,10,11,12,13' → '3,10–13' (stop numbers; other labels are kept as they are)."""
    if not all(t.isdigit() for t in texts):
        return ",".join(texts)
    numbers = sorted({int(t) for t in texts})
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(
            str(start) if prev == start else f"{start}{'–' if prev > start + 1 else ','}{prev}"
        )
        if n is not None:
            start = prev = n
    return ",".join(parts)


def _nice_km(px_per_km: float, max_px: float) -> float:
    fitting = [km for km in _NICE_KM if km * px_per_km <= max_px]
    return fitting[-1] if fitting else _NICE_KM[0]


def _km_text(km: float) -> str:
    return f"{km * 1000:.0f} m" if km < 1 else f"{km:g} km"


def layout(
    points: Sequence[tuple[float, float]],
    labels: Sequence[str],
    width: float = 480,
    height: float = 360,
    *,
    hub: tuple[float, float] | None = None,
    padding: float = 24,
    frame: Sequence[tuple[float, float]] | None = None,
) -> MapLayout:
    """Project ``points`` (lat, lon, in driving order) into a ``width`` × ``height`` box.

    A point with an empty label is the hub; ``hub`` marks it even when it is not in ``points``.
    Stops within a few pixels of each other share one marker ("3,4", "10–13"); stops at the
    hub get their marker beside its square. ``frame``: the points the map must show (all the
    routes of a plan), so that several layouts share one projection.
    """
    if len(points) != len(labels):
        raise ValueError("one label per point")
    if width <= 2 * padding or height <= 2 * padding + 20:
        raise ValueError("map too small for its padding")
    every = list(frame or points) + ([hub] if hub is not None else [])
    if not every:
        return MapLayout(width, height, (), (), (), 0.0, 0.0, "")
    lat0 = math.radians(sum(p[0] for p in every) / len(every))
    kx = math.cos(lat0)
    xs = [lon * kx for _, lon in every]
    ys = [lat for lat, _ in every]
    span_x = max(max(xs) - min(xs), _MIN_SPAN_DEG)
    span_y = max(max(ys) - min(ys), _MIN_SPAN_DEG)
    bottom_band = 26.0  # room for the scale bar
    inner_w, inner_h = width - 2 * padding, height - 2 * padding - bottom_band
    scale = min(inner_w / span_x, inner_h / span_y)  # pixels per (scaled) degree
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    centre_x, centre_y = width / 2, padding + inner_h / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = centre_x + (lon * kx - mid_x) * scale
        y = centre_y - (lat - mid_y) * scale
        return round(x, 1), round(y, 1)

    line = tuple(project(lat, lon) for lat, lon in points)
    hubs: list[tuple[float, float]] = [
        xy for xy, text in zip(line, labels, strict=True) if not text
    ]
    if hub is not None:
        hubs.append(project(*hub))
    hubs = _dedupe(hubs)
    groups: list[tuple[tuple[float, float], list[str]]] = []
    for xy, text in zip(line, labels, strict=True):
        if not text:
            continue
        near = next((g for g in groups if _close(g[0], xy)), None)
        if near is None:
            groups.append((xy, [text]))
        elif text not in near[1]:
            near[1].append(text)
    markers = [Marker(x, y, "", True) for x, y in hubs]
    for (x, y), texts in groups:
        text = _runs(texts)
        half = marker_width(text) / 2
        if any(_close(h, (x, y)) for h in hubs):
            # stops at the hub: the label sits beside the hub's square instead of hiding it
            x = x + 10 + half if x + 10 + 2 * half <= width - 2 else x - 10 - half
        x = min(max(x, half + 2), width - half - 2)
        markers.append(Marker(round(x, 1), y, text, False))
    arrows = []
    for (x1, y1), (x2, y2) in itertools.pairwise(line):
        if math.hypot(x2 - x1, y2 - y1) > 40:  # short hops get no arrow: it would hide them
            arrows.append(
                (round((x1 + x2) / 2, 1), round((y1 + y2) / 2, 1), math.atan2(y2 - y1, x2 - x1))
            )
    px_per_km = scale / KM_PER_DEGREE
    km = _nice_km(px_per_km, width * 0.3)
    return MapLayout(
        width=width,
        height=height,
        line=line,
        markers=tuple(markers),
        arrows=tuple(arrows),
        scale_km=km,
        scale_px=round(km * px_per_km, 1),
        scale_label=_km_text(km),
    )


def arrow_polygon(x: float, y: float, angle: float, size: float = 6) -> list[tuple[float, float]]:
    """A small arrowhead centred on (x, y) pointing along ``angle``."""
    tip = (x + size * math.cos(angle), y + size * math.sin(angle))
    back = angle + math.pi
    left = (x + size * math.cos(back + 0.6), y + size * math.sin(back + 0.6))
    right = (x + size * math.cos(back - 0.6), y + size * math.sin(back - 0.6))
    return [tip, left, right]


def marker_width(text: str) -> float:
    """Width of a stop marker: a circle for short numbers, a pill for shared places."""
    return max(18.0, 7.0 * len(text) + 8.0)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def route_svg(
    points: Sequence[tuple[float, float]],
    labels: Sequence[str],
    width: float = 480,
    height: float = 360,
    *,
    hub: tuple[float, float] | None = None,
    title: str = "Route",
) -> str:
    """A standalone SVG document (no external references) of the route through ``points``."""
    geo = layout(points, labels, width, height, hub=hub)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" aria-label="{escape(title)}" '
        'class="route-map" font-family="Helvetica, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#f8fafc" '
        'stroke="#cbd5e1"/>',
    ]
    if len(geo.line) > 1:
        path = " ".join(f"{_f(x)},{_f(y)}" for x, y in geo.line)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2.5" '
            'stroke-linejoin="round" stroke-linecap="round" stroke-opacity="0.85"/>'
        )
    for x, y, angle in geo.arrows:
        tri = " ".join(f"{_f(px)},{_f(py)}" for px, py in arrow_polygon(x, y, angle))
        out.append(f'<polygon points="{tri}" fill="{LINE_COLOUR}"/>')
    for m in geo.markers:
        if m.hub:
            out.append(
                f'<rect class="hub" x="{_f(m.x - 8)}" y="{_f(m.y - 8)}" width="16" height="16" '
                f'fill="{HUB_COLOUR}" stroke="{INK}" stroke-width="1"/>'
            )
            continue
        w = marker_width(m.text)
        out.append(
            f'<rect class="stop" x="{_f(m.x - w / 2)}" y="{_f(m.y - 9)}" width="{_f(w)}" '
            f'height="18" rx="9" ry="9" fill="{STOP_COLOUR}" stroke="{INK}" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{_f(m.x)}" y="{_f(m.y + 4)}" text-anchor="middle" font-size="11" '
            f'font-weight="bold" fill="{INK}">{escape(m.text)}</text>'
        )
    if geo.scale_px:
        x0, y0 = 16.0, height - 14.0
        x1 = x0 + geo.scale_px
        out.append(
            f'<g class="scale"><path d="M{_f(x0)},{_f(y0 - 5)} V{_f(y0)} H{_f(x1)} V{_f(y0 - 5)}" '
            f'fill="none" stroke="{INK}" stroke-width="1.5"/>'
            f'<text x="{_f(x1 + 6)}" y="{_f(y0)}" font-size="11" fill="{INK}">'
            f"{escape(geo.scale_label)}</text></g>"
        )
        out.append(
            f'<g class="north"><path d="M{_f(width - 20)},12 l6,14 h-12 z" fill="{INK}"/>'
            f'<text x="{_f(width - 20)}" y="38" font-size="11" text-anchor="middle" '
            f'fill="{INK}">N</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


#: one colour per route of a plan map (AA contrast on the map's background; none is the hub's red)
ROUTE_COLOURS = (
    "#1d4ed8",
    "#047857",
    "#7c3aed",
    "#b45309",
    "#be185d",
    "#0e7490",
    "#4d7c0f",
    "#334155",
)


def route_colour(index: int) -> str:
    return ROUTE_COLOURS[index % len(ROUTE_COLOURS)]


def plan_svg(
    routes: Sequence[tuple[Sequence[tuple[float, float]], Sequence[str], str]],
    width: float = 640,
    height: float = 520,
    *,
    hub: tuple[float, float] | None = None,
    title: str = "Routes",
) -> str:
    """Every route of a plan on one map: ``routes`` as (points, labels, name) in driving
    order, one colour each (:func:`route_colour`), stops numbered per route, the hub a red
    square. An ``<svg>`` element (no external references) to place in a page."""
    frame = [p for points, _, _ in routes for p in points]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" aria-labelledby="plan-map-title" '
        'class="plan-map" font-family="Helvetica, Arial, sans-serif">',
        f'<title id="plan-map-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#f8fafc" '
        'stroke="#cbd5e1"/>',
    ]
    layouts = [
        (layout(points, labels, width, height, hub=hub, frame=frame), name)
        for points, labels, name in routes
    ]
    for index, (geo, name) in enumerate(layouts):
        colour = route_colour(index)
        if len(geo.line) > 1:
            d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in geo.line)
            out.append(
                f'<path class="route-line" data-route="{index}" d="{d}" fill="none" '
                f'stroke="{colour}" stroke-width="3" stroke-linejoin="round" '
                f'stroke-linecap="round" stroke-opacity="0.85"><title>{escape(name)}</title></path>'
            )
        for x, y, angle in geo.arrows:
            tri = " ".join(f"{_f(px)},{_f(py)}" for px, py in arrow_polygon(x, y, angle))
            out.append(f'<polygon points="{tri}" fill="{colour}"/>')
    hub_drawn = False
    for index, (geo, _name) in enumerate(layouts):
        colour = route_colour(index)
        for m in geo.markers:
            if m.hub:
                if not hub_drawn:
                    out.append(
                        f'<rect class="hub" x="{_f(m.x - 9)}" y="{_f(m.y - 9)}" width="18" '
                        f'height="18" fill="{HUB_COLOUR}" stroke="{INK}" stroke-width="1"/>'
                    )
                    hub_drawn = True
                continue
            w = marker_width(m.text)
            out.append(
                f'<rect class="stop" x="{_f(m.x - w / 2)}" y="{_f(m.y - 9)}" width="{_f(w)}" '
                f'height="18" rx="9" ry="9" fill="{STOP_COLOUR}" stroke="{colour}" '
                'stroke-width="2"/>'
            )
            out.append(
                f'<text x="{_f(m.x)}" y="{_f(m.y + 4)}" text-anchor="middle" font-size="11" '
                f'font-weight="bold" fill="{INK}">{escape(m.text)}</text>'
            )
    if layouts and layouts[0][0].scale_px:
        geo = layouts[0][0]
        x0, y0 = 16.0, height - 14.0
        x1 = x0 + geo.scale_px
        out.append(
            f'<g class="scale"><path d="M{_f(x0)},{_f(y0 - 5)} V{_f(y0)} H{_f(x1)} V{_f(y0 - 5)}" '
            f'fill="none" stroke="{INK}" stroke-width="1.5"/>'
            f'<text x="{_f(x1 + 6)}" y="{_f(y0)}" font-size="11" fill="{INK}">'
            f"{escape(geo.scale_label)}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)
