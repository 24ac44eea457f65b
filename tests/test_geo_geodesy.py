"""nansei.geo geodesy against GeographicLib, closed forms and published distances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from nansei.catalog import default_catalog
from nansei.geo import (
    destination,
    distance_km,
    equal_area_transformer,
    geodesic_area_km2,
    geodesic_track,
    inverse,
    polyline_track,
    range_disc,
)

GLIB = Geodesic.WGS84
N_PAIRS = 1500


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def random_pairs():
    """Pairs in and around the study region (100–150 E, 10–50 N), fixed seed."""
    rng = np.random.default_rng(20240613)
    lat1, lat2 = rng.uniform(10, 50, (2, N_PAIRS))
    lon1, lon2 = rng.uniform(100, 150, (2, N_PAIRS))
    return lat1, lon1, lat2, lon2


def test_distance_matches_geographiclib_to_a_millimetre(random_pairs):
    lat1, lon1, lat2, lon2 = random_pairs
    ours_km, ours_az = inverse(lat1, lon1, lat2, lon2)
    reference = [
        GLIB.Inverse(a, b, c, d) for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)
    ]
    ref_km = np.array([r["s12"] for r in reference]) / 1000.0
    ref_az = np.mod(np.array([r["azi1"] for r in reference]), 360.0)
    assert ours_km.shape == (N_PAIRS,)
    assert np.max(np.abs(ours_km - ref_km)) * 1e6 < 1.0  # mm
    azimuth_error = np.abs((ours_az - ref_az + 180.0) % 360.0 - 180.0)
    assert np.max(azimuth_error) < 1e-8
    assert np.all((ours_az >= 0) & (ours_az < 360))


def test_destination_matches_geographiclib_direct(random_pairs):
    lat1, lon1, _, _ = random_pairs
    rng = np.random.default_rng(7)
    azimuth = rng.uniform(0, 360, N_PAIRS)
    km = rng.uniform(0, 3000, N_PAIRS)
    lat2, lon2 = destination(lat1, lon1, azimuth, km)
    for i in range(0, N_PAIRS, 15):
        ref = GLIB.Direct(lat1[i], lon1[i], azimuth[i], km[i] * 1000.0)
        # 1e-9 degrees is ~0.1 mm
        assert lat2[i] == pytest.approx(ref["lat2"], abs=1e-9)
        assert (lon2[i] - ref["lon2"] + 180) % 360 - 180 == pytest.approx(0.0, abs=1e-9)


def test_closed_forms_on_the_ellipsoid():
    # Quarter meridian of WGS84: 10,001.965729 km (e.g. Karney 2013, Table 1 context;
    # the standard value for a = 6378137 m, f = 1/298.257223563).
    assert distance_km(0, 0, 90, 0) == pytest.approx(10001.965729, abs=1e-6)
    # Along the equator the geodesic is the equator itself: a·Δλ.
    assert distance_km(0, 10, 0, 11) == pytest.approx(6378.137 * math.pi / 180, abs=1e-9)
    assert distance_km(25, 125, 25, 125) == 0.0


def test_published_distances(catalog):
    def between(a: str, b: str) -> float:
        sa, sb = catalog.site(a), catalog.site(b)
        return float(distance_km(sa.lat, sa.lon, sb.lat, sb.lon))

    # Yonaguni–Taiwan 107–111 km (Straits Times; parameters.md Geography table)
    assert 107.0 <= between("yonaguni-west", "taiwan-suao") <= 111.0
    # Kadena–Shanghai 443 nmi ≈ 820 km (Taiwan News)
    assert between("kadena", "shanghai") == pytest.approx(443 * 1.852, rel=0.01)
    # Camp Kengun to Beijing / Shanghai / Pyongyang ~1,507 / ~892 / ~828 km [derived]
    assert between("kengun", "beijing") == pytest.approx(1507, rel=0.01)
    assert between("kengun", "shanghai") == pytest.approx(892, rel=0.01)
    assert between("kengun", "pyongyang") == pytest.approx(828, rel=0.01)


def test_broadcasting_and_scalars():
    assert isinstance(distance_km(24, 123, 25, 124), float)
    grid = distance_km(np.array([[24.0], [25.0]]), 123.0, 26.0, np.array([124.0, 125.0, 126.0]))
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(distance_km(25, 123, 26, 126), abs=1e-12)


@pytest.mark.parametrize(
    "bad",
    [
        (91, 0, 0, 0),
        (0, 181, 0, 0),
        (0, 0, -90.5, 0),
        (0, 0, 0, float("nan")),
        (float("inf"), 0, 0, 0),
    ],
)
def test_bad_coordinates_raise(bad):
    with pytest.raises(ValueError):
        distance_km(*bad)


def test_geodesic_track_lies_on_the_geodesic():
    lats, lons, km = geodesic_track(24.86, 125.47, 26.08, 127.65, spacing_km=10.0)
    total = float(distance_km(24.86, 125.47, 26.08, 127.65))
    assert (lats[0], lons[0], lats[-1], lons[-1]) == (24.86, 125.47, 26.08, 127.65)
    assert km[0] == 0.0 and km[-1] == pytest.approx(total, abs=1e-9)
    assert np.all(np.diff(km) <= 10.0 + 1e-9) and np.all(np.diff(km) > 0)
    for lat, lon, s in zip(lats, lons, km, strict=True):
        from_start = GLIB.Inverse(24.86, 125.47, lat, lon)["s12"] / 1000
        to_end = GLIB.Inverse(lat, lon, 26.08, 127.65)["s12"] / 1000
        assert from_start == pytest.approx(s, abs=1e-6)
        assert from_start + to_end == pytest.approx(total, abs=1e-6)


def test_zero_length_track_and_bad_spacing():
    lats, lons, km = geodesic_track(25, 125, 25, 125, 5.0)
    assert len(lats) == 2 and km[-1] == 0.0
    with pytest.raises(ValueError):
        geodesic_track(25, 125, 26, 126, 0.0)


def test_polyline_track_joins_legs():
    points = [(35.05, 129.05), (34.68, 129.45), (34.15, 129.25), (33.55, 129.88)]
    lats, lons, km = polyline_track(points, spacing_km=5.0)
    legs = sum(float(distance_km(*a, *b)) for a, b in zip(points[:-1], points[1:], strict=True))
    assert km[-1] == pytest.approx(legs, abs=1e-9)
    assert np.all(np.diff(km) > 0)  # joints appear once
    for lat, lon in points:
        assert np.any(np.isclose(lats, lat) & np.isclose(lons, lon))
    with pytest.raises(ValueError):
        polyline_track([(25, 125)], 5.0)


def test_track_across_the_antimeridian_is_continuous():
    lats, lons, km = geodesic_track(50, 179, 52, -178, spacing_km=20.0)
    assert np.all(np.abs(np.diff(lons)) < 1.0)
    assert lons[-1] == pytest.approx(182.0)  # the end, unwrapped about the start


@pytest.mark.parametrize("radius_km", [200.0, 1000.0, 1600.0])
def test_disc_vertices_are_at_the_radius(radius_km):
    disc = range_disc(24.758, 125.313, radius_km)
    xy = np.asarray(disc.exterior.coords)[:-1]
    assert len(xy) == 720
    for lon, lat in xy[::24]:
        assert GLIB.Inverse(24.758, 125.313, lat, lon)["s12"] / 1000 == pytest.approx(
            radius_km, abs=1e-6
        )
    assert disc.exterior.is_ccw


@pytest.mark.parametrize(
    "lat,lon,radius_km",
    [
        (24.758, 125.313, 200.0),
        (32.79, 130.761, 1000.0),
        (33.16, 129.72, 1600.0),
        (43.46, 142.47, 700.0),
    ],
)
def test_disc_area_agrees_with_an_equal_area_projection(lat, lon, radius_km):
    disc = range_disc(lat, lon, radius_km)
    ellipsoidal = geodesic_area_km2(disc)
    # Independent: Lambert azimuthal equal-area centred on the disc (PROJ, authalic).
    laea = equal_area_transformer(lat, lon)
    x, y = laea.transform(*np.asarray(disc.exterior.coords).T)
    shoelace_km2 = 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 1e6
    assert ellipsoidal == pytest.approx(shoelace_km2, rel=1e-3)
    # And GeographicLib's own polygon area (pure-Python implementation of Karney 2013).
    polygon = GLIB.Polygon()
    for vlon, vlat in np.asarray(disc.exterior.coords)[:-1]:
        polygon.AddPoint(vlat, vlon)
    _n, _perimeter, area_m2 = polygon.Compute(reverse=False, sign=True)
    assert ellipsoidal == pytest.approx(abs(area_m2) / 1e6, rel=1e-9)
    # Sanity: within 1% of the spherical cap on the authalic sphere (R = 6371.0072 km).
    r = 6371.0072
    assert ellipsoidal == pytest.approx(
        2 * math.pi * r**2 * (1 - math.cos(radius_km / r)), rel=0.01
    )


def test_disc_across_the_antimeridian_and_invalid_discs():
    disc = range_disc(52.0, 179.5, 300.0)
    minx, _, maxx, _ = disc.bounds
    assert maxx > 180 and minx < 180 and disc.is_valid
    assert geodesic_area_km2(disc) == pytest.approx(
        geodesic_area_km2(range_disc(52.0, 0.5, 300.0)), rel=1e-9
    )
    with pytest.raises(ValueError, match="pole"):
        range_disc(89.0, 0.0, 500.0)
    with pytest.raises(ValueError):
        range_disc(25.0, 125.0, 0.0)
    with pytest.raises(ValueError):
        range_disc(25.0, 125.0, 200.0, n_vertices=100)


def test_pyproj_geod_is_wgs84():
    # The ellipsoid must be WGS84, not a sphere.
    from nansei.geo import WGS84

    assert WGS84.a == Geod(ellps="WGS84").a == 6378137.0
    assert WGS84.f == pytest.approx(1 / 298.257223563)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    lat1=st.floats(-80, 80),
    lon1=st.floats(-180, 180),
    lat2=st.floats(-80, 80),
    lon2=st.floats(-180, 180),
)
def test_inverse_then_direct_returns_to_the_point(lat1, lon1, lat2, lon2):
    """Properties: symmetric distance, and the direct problem undoes the inverse one."""
    km, azimuth = inverse(lat1, lon1, lat2, lon2)
    assert km == pytest.approx(float(distance_km(lat2, lon2, lat1, lon1)), abs=1e-9)
    assume(km > 1e-3)
    lat, lon = destination(lat1, lon1, azimuth, km)
    assert float(distance_km(lat, lon, lat2, lon2)) < 1e-6  # km, i.e. under a millimetre
