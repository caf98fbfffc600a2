"""Great-circle distances: a vectorised haversine for matrices, geopy's geodesic for exactness.

The haversine on a sphere of mean Earth radius is off by at most ~0.5 % against the WGS-84
ellipsoid, which is far below the error of a street-level travel-time estimate; use it for
matrices. Use :func:`geodesic_m` where a single exact figure is reported (e.g. impact km).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from geopy.distance import geodesic

#: IUGG mean Earth radius in metres.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]
ArrayLike = Sequence[float] | FloatArray


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    return float(haversine_to_many_m(lat1, lon1, [lat2], [lon2])[0])


def haversine_to_many_m(lat: float, lon: float, lats: ArrayLike, lons: ArrayLike) -> FloatArray:
    """Distances in metres from one point to each of many points (one numpy pass)."""
    lat_arr, lon_arr = _as_radians(lats, lons)
    return _haversine(np.radians(lat), np.radians(lon), lat_arr, lon_arr)


def haversine_matrix_m(lats: ArrayLike, lons: ArrayLike) -> FloatArray:
    """Symmetric ``n × n`` matrix of distances in metres between all pairs of points."""
    lat_arr, lon_arr = _as_radians(lats, lons)
    return _haversine(lat_arr[:, None], lon_arr[:, None], lat_arr[None, :], lon_arr[None, :])


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Exact ellipsoidal (WGS-84) distance in metres, via geopy."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def _as_radians(lats: ArrayLike, lons: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lat_arr = np.asarray(lats, dtype=np.float64)
    lon_arr = np.asarray(lons, dtype=np.float64)
    if lat_arr.ndim != 1 or lat_arr.shape != lon_arr.shape:
        raise ValueError("lats and lons must be one-dimensional and of equal length")
    return np.radians(lat_arr), np.radians(lon_arr)


def _haversine(
    lat1: FloatArray | np.float64,
    lon1: FloatArray | np.float64,
    lat2: FloatArray,
    lon2: FloatArray,
) -> FloatArray:
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    a = np.sin(dlat / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2.0) ** 2
    # clip: rounding can push ``a`` a hair above 1 for antipodal points
    c = 2.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.asarray(EARTH_RADIUS_M * c, dtype=np.float64)
