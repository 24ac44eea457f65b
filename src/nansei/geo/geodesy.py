"""Geodesics on the WGS84 ellipsoid: distance, azimuth, destination, tracks and range discs.

Every function here solves the geodesic problems with PROJ's implementation of
Karney's algorithms (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87,
43-55, 2013; the same code as GeographicLib) through :class:`pyproj.Geod` on the
WGS84 ellipsoid. Nothing is spherical and nothing is haversine.

Conventions: latitudes and longitudes in decimal degrees (WGS84), distances in
kilometres, azimuths in degrees clockwise from true north in [0, 360). Functions
accept scalars or numpy arrays (broadcast against each other) and return floats
for all-scalar input, arrays otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Geod, Transformer

if TYPE_CHECKING:  # shapely loads with the first disc, so point queries start fast
    from shapely import Polygon
    from shapely.geometry.base import BaseGeometry

#: The WGS84 ellipsoid (a = 6378137 m, 1/f = 298.257223563) as a pyproj geodesic solver.
WGS84 = Geod(ellps="WGS84")

#: Fewest vertices a range disc may have (docs/model.md §2: a disc is a polygon of ≥ 360 vertices).
MIN_DISC_VERTICES = 360

_M_PER_KM = 1000.0


def check_latlon(lat: object, lon: object, what: str = "point") -> None:
    """Raise ``ValueError`` unless every latitude is in [-90, 90] and longitude in [-180, 180].

    NaN and infinities are rejected too. ``what`` names the point in the message.
    """
    lat_arr = np.asarray(lat, dtype=float)
    lon_arr = np.asarray(lon, dtype=float)
    if not np.all(np.isfinite(lat_arr)) or not np.all(np.isfinite(lon_arr)):
        raise ValueError(f"{what}: latitude and longitude must be finite numbers")
    if np.any(np.abs(lat_arr) > 90.0):
        bad = float(lat_arr[np.abs(lat_arr) > 90.0].flat[0])
        raise ValueError(f"{what}: latitude {bad:g} is outside [-90, 90]")
    if np.any(np.abs(lon_arr) > 180.0):
        bad = float(lon_arr[np.abs(lon_arr) > 180.0].flat[0])
        raise ValueError(f"{what}: longitude {bad:g} is outside [-180, 180]")


def _broadcast(*values: object) -> tuple[bool, tuple[int, ...], list[np.ndarray]]:
    """Broadcast inputs to one shape; pyproj wants contiguous float64 arrays of equal size."""
    scalar = all(np.ndim(v) == 0 for v in values)
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
    shape = arrays[0].shape
    return scalar, shape, [np.ascontiguousarray(a, dtype=float).ravel() for a in arrays]


def _out(array: np.ndarray, scalar: bool, shape: tuple[int, ...]) -> float | np.ndarray:
    return float(array[0]) if scalar else array.reshape(shape)


def inverse(
    lat1: float | np.ndarray,
    lon1: float | np.ndarray,
    lat2: float | np.ndarray,
    lon2: float | np.ndarray,
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Geodesic inverse problem on WGS84: (distance km, forward azimuth at point 1, degrees).

    The azimuth is clockwise from true north, normalised to [0, 360). Method: Karney
    (2013) via PROJ (:meth:`pyproj.Geod.inv`); agrees with GeographicLib to well under
    a millimetre (tested). Inputs broadcast against each other.
    """
    check_latlon(lat1, lon1, "first point")
    check_latlon(lat2, lon2, "second point")
    scalar, shape, (a1, o1, a2, o2) = _broadcast(lat1, lon1, lat2, lon2)
    azimuth, _back, metres = WGS84.inv(o1, a1, o2, a2)
    azimuth = np.mod(np.asarray(azimuth, dtype=float), 360.0)
    # mod can return 360.0 for tiny negative values; fold it back onto 0.
    azimuth[azimuth >= 360.0] = 0.0
    return (_out(np.asarray(metres) / _M_PER_KM, scalar, shape), _out(azimuth, scalar, shape))


def distance_km(
    lat1: float | np.ndarray,
    lon1: float | np.ndarray,
    lat2: float | np.ndarray,
    lon2: float | np.ndarray,
) -> float | np.ndarray:
    """Geodesic distance on WGS84 between two points (or broadcast arrays of points), km.

    Method: Karney (2013) via PROJ (:meth:`pyproj.Geod.inv`). Examples checked in
    the tests: Cape Irizaki (Yonaguni) to Su'ao (Taiwan) ≈ 108–111 km, Kadena to
    Shanghai ≈ 820 km (443 nmi, Taiwan News).
    """
    return inverse(lat1, lon1, lat2, lon2)[0]


def destination(
    lat: float | np.ndarray,
    lon: float | np.ndarray,
    azimuth_deg: float | np.ndarray,
    distance_km: float | np.ndarray,
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Geodesic direct problem on WGS84: the point reached from (lat, lon), degrees.

    Travels ``distance_km`` (km, ≥ 0) along the geodesic leaving at ``azimuth_deg``
    (degrees clockwise from north). Returns (lat, lon) with lon in [-180, 180].
    Method: Karney (2013) via PROJ (:meth:`pyproj.Geod.fwd`).
    """
    check_latlon(lat, lon, "start point")
    if np.any(~np.isfinite(np.asarray(azimuth_deg, dtype=float))):
        raise ValueError("azimuth must be a finite number of degrees")
    if np.any(~(np.asarray(distance_km, dtype=float) >= 0.0)):
        raise ValueError("distance must be a finite number of km, ≥ 0")
    scalar, shape, (a, o, az, d) = _broadcast(lat, lon, azimuth_deg, distance_km)
    lon2, lat2, _back = WGS84.fwd(o, a, az, d * _M_PER_KM)
    return (
        _out(np.asarray(lat2, dtype=float), scalar, shape),
        _out(np.asarray(lon2, dtype=float), scalar, shape),
    )


def geodesic_track(
    lat1: float,
    lon1: float,
    lat2: float,
    lon2: float,
    spacing_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along the geodesic from point 1 to point 2, both ends included.

    The geodesic is cut into ``ceil(length / spacing_km)`` equal steps (so the actual
    step is at most ``spacing_km``). Returns ``(lats, lons, cumulative_km)``: degrees,
    degrees (continuous across ±180 relative to the start, so a track never jumps by
    360°) and km from the start. Method: Karney (2013) direct problem from point 1 at
    the inverse problem's azimuth, via PROJ. A zero-length track is two equal points.
    """
    if not (math.isfinite(spacing_km) and spacing_km > 0):
        raise ValueError("spacing_km must be a positive number of km")
    length_km, azimuth = inverse(lat1, lon1, lat2, lon2)
    steps = max(1, math.ceil(length_km / spacing_km))
    cumulative = np.linspace(0.0, length_km, steps + 1)
    lats, lons = destination(
        np.full(steps + 1, float(lat1)),
        np.full(steps + 1, float(lon1)),
        np.full(steps + 1, azimuth),
        cumulative,
    )
    # Pin the end exactly on the requested point (fwd lands within nanometres).
    lats[-1], lons[-1] = lat2, lon2
    lons = _unwrap_about(lons, float(lon1))
    return lats, lons, cumulative


def polyline_track(
    points_latlon: Sequence[tuple[float, float]],
    spacing_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A multi-leg route along geodesic legs between successive (lat, lon) points.

    Each leg is sampled as in :func:`geodesic_track`; shared joints appear once.
    Returns ``(lats, lons, cumulative_km)`` with km measured along the whole route.
    """
    if len(points_latlon) < 2:
        raise ValueError("a route needs at least two (lat, lon) points")
    all_lats: list[np.ndarray] = []
    all_lons: list[np.ndarray] = []
    all_km: list[np.ndarray] = []
    travelled = 0.0
    for index, ((la1, lo1), (la2, lo2)) in enumerate(
        zip(points_latlon[:-1], points_latlon[1:], strict=True)
    ):
        lats, lons, km = geodesic_track(la1, lo1, la2, lo2, spacing_km)
        skip = 0 if index == 0 else 1
        all_lats.append(lats[skip:])
        all_lons.append(lons[skip:])
        all_km.append(km[skip:] + travelled)
        travelled += float(km[-1])
    lons = _unwrap_about(np.concatenate(all_lons), float(points_latlon[0][1]))
    return np.concatenate(all_lats), lons, np.concatenate(all_km)


def _unwrap_about(lons: np.ndarray, reference: float) -> np.ndarray:
    """Longitudes shifted by multiples of 360° to lie within 180° of ``reference``.

    Keeps a disc or track that crosses the antimeridian one continuous shape in lon/lat.
    """
    lons = np.asarray(lons, dtype=float)
    # Subtracting whole turns leaves longitudes already in range bit-for-bit unchanged.
    return lons - 360.0 * np.round((lons - reference) / 360.0)


def range_disc(lat: float, lon: float, radius_km: float, n_vertices: int = 720) -> Polygon:
    """The set of points within ``radius_km`` geodesic km of (lat, lon), as a lon/lat polygon.

    Vertices are the geodesic direct problem (Karney 2013 via PROJ :meth:`Geod.fwd`)
    at ``n_vertices`` equally spaced azimuths (≥ 360), ordered counter-clockwise.
    Longitudes are kept continuous about the centre, so a disc that crosses the
    antimeridian has longitudes beyond ±180 rather than being torn in two. A disc
    that would contain a pole cannot be a simple lon/lat polygon: ``ValueError``.
    """
    check_latlon(lat, lon, "disc centre")
    if not (math.isfinite(radius_km) and radius_km > 0):
        raise ValueError(f"radius must be a positive number of km, got {radius_km!r}")
    if n_vertices < MIN_DISC_VERTICES:
        raise ValueError(f"a range disc needs at least {MIN_DISC_VERTICES} vertices")
    to_pole_km = min(
        float(distance_km(lat, lon, 90.0, lon)), float(distance_km(lat, lon, -90.0, lon))
    )
    if radius_km >= to_pole_km:
        raise ValueError(f"a {radius_km:g} km disc at {lat:g}, {lon:g} contains a pole")
    # Decreasing azimuth walks the circle counter-clockwise (the GeoJSON / shapely
    # convention for exteriors, and positive in Geod.geometry_area_perimeter).
    azimuths = np.linspace(360.0, 0.0, n_vertices, endpoint=False)
    lats, lons = destination(
        np.full(n_vertices, float(lat)),
        np.full(n_vertices, float(lon)),
        azimuths,
        np.full(n_vertices, float(radius_km)),
    )
    lons = _unwrap_about(lons, float(lon))
    from shapely import Polygon

    return Polygon(np.column_stack([lons, lats]))


def geodesic_area_km2(geometry: BaseGeometry) -> float:
    """Area of a lon/lat polygon or multipolygon on the WGS84 ellipsoid, km².

    Edges are taken as geodesics; method: Karney (2013) area algorithm via PROJ
    (:meth:`pyproj.Geod.geometry_area_perimeter`). Orientation does not matter.
    """
    if geometry.is_empty:
        return 0.0
    area_m2, _perimeter = WGS84.geometry_area_perimeter(geometry)
    return abs(area_m2) / 1e6


def equal_area_transformer(lat0: float, lon0: float) -> Transformer:
    """lon/lat (WGS84) → Lambert azimuthal equal-area metres centred on (lat0, lon0).

    LAEA on the ellipsoid (PROJ, Snyder 1987 §24, via the authalic latitude) preserves
    area exactly, so shapely areas of projected polygons are ellipsoidal areas.
    """
    return Transformer.from_crs(
        "EPSG:4326",
        f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +ellps=WGS84 +units=m +no_defs",
        always_xy=True,
    )
