"""The plain-Python geodesic inverse (nansei.geo.karney) against GeographicLib and PROJ."""

from __future__ import annotations

import math
import random
import re

import pytest
from geographiclib.geodesic import Geodesic

from nansei.catalog import default_catalog
from nansei.geo import inverse, point_inverse
from nansei.geo.karney import MAX_LAMBDA, inverse_m

GLIB = Geodesic.WGS84


def _pairs() -> list[tuple[float, float, float, float]]:
    """Every quadrant and order of points (so every canonical flip and the swap are
    used), short local pairs like the study region's, and long ones; fixed seed."""
    rng = random.Random(20260601)
    pairs = []
    for _ in range(1500):
        pairs.append(
            (
                rng.uniform(-89, 89),
                rng.uniform(-180, 180),
                rng.uniform(-89, 89),
                rng.uniform(-180, 180),
            )
        )
    for _ in range(500):
        lat, lon = rng.uniform(18, 36), rng.uniform(115, 135)
        pairs.append((lat, lon, lat + rng.uniform(-4, 4), lon + rng.uniform(-4, 4)))
    for _ in range(200):  # across the antimeridian, and nearly along a parallel
        lat = rng.uniform(-70, 70)
        pairs.append((lat, 179.5, lat + rng.uniform(-1, 1), -179.5 + rng.uniform(-1, 1)))
        pairs.append((lat, 10.0, lat, 10.0 + rng.uniform(-40, 40)))
    return pairs


def test_distance_and_azimuth_match_geographiclib():
    solved = 0
    for lat1, lon1, lat2, lon2 in _pairs():
        ours = inverse_m(lat1, lon1, lat2, lon2)
        if ours is None:
            continue
        solved += 1
        ref = GLIB.Inverse(lat1, lon1, lat2, lon2)
        assert ours[0] == pytest.approx(ref["s12"], abs=1e-6)  # 1 µm
        assert math.remainder(ours[1] - ref["azi1"], 360.0) == pytest.approx(0.0, abs=1e-9)
    assert solved >= 2000  # the special cases are few


@pytest.mark.parametrize(
    "pair",
    [
        (24.0, 125.0, 24.0, 125.0),  # the same point
        (24.0, 125.0, 24.0 + 1e-9, 125.0),  # under a metre apart
        (90.0, 0.0, 24.0, 125.0),  # a pole
        (0.0, 10.0, 0.0, 40.0),  # both on the equator
        (10.0, 125.0, 40.0, 125.0),  # one meridian
        (10.0, 0.0, -10.0, 180.0),  # over a pole
        (30.0, 0.0, -30.0, 179.9),  # nearly antipodal
    ],
)
def test_special_cases_go_to_proj_with_its_answer(pair):
    assert inverse_m(*pair) is None
    km, azimuth = point_inverse(*pair)
    proj_km, proj_azimuth = inverse(*pair)
    assert (km, azimuth) == (proj_km, proj_azimuth)


def test_nearly_antipodal_cut_off_is_beyond_every_study_distance():
    # Anything up to 170° of longitude apart is solved here; the cut-off is ~177°.
    assert math.degrees(MAX_LAMBDA) > 170.0
    assert inverse_m(20.0, 0.0, 25.0, 170.0) is not None


def test_published_distance_and_the_cli_contract():
    catalog = default_catalog()
    kadena, shanghai = catalog.site("kadena"), catalog.site("shanghai")
    # Kadena-Shanghai 443 nmi (Taiwan News), as test_geo_geodesy checks for PROJ.
    km, azimuth = point_inverse(kadena.lat, kadena.lon, shanghai.lat, shanghai.lon)
    assert km == pytest.approx(443 * 1.852, rel=0.01)
    assert 0.0 <= azimuth < 360.0
    # The same numbers as PROJ to the digits `nansei distance --json` prints.
    proj_km, proj_azimuth = inverse(kadena.lat, kadena.lon, shanghai.lat, shanghai.lon)
    assert round(km, 6) == round(float(proj_km), 6)
    assert round(azimuth, 6) == round(float(proj_azimuth), 6)


@pytest.mark.parametrize(
    "pair, says",
    [
        ((95.0, 0.0, 0.0, 0.0), "first point: latitude 95 is outside [-90, 90]"),
        ((0.0, 0.0, 0.0, 200.0), "second point: longitude 200 is outside [-180, 180]"),
        ((math.nan, 0.0, 0.0, 0.0), "first point: latitude and longitude must be finite"),
    ],
)
def test_bad_points_are_refused_like_geodesy_does(pair, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        point_inverse(*pair)
    with pytest.raises(ValueError, match=re.escape(says)):
        inverse(*pair)
