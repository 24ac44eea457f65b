"""Coverage of posture years: the JSON contract, areas, depth, gates, places and reach."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic

from nansei.catalog import Gate, UnknownIdError, default_catalog
from nansei.geo import (
    ReachIndex,
    UnitReach,
    compute_coverage,
    coverage_record,
    depth_regions,
    distance_km,
    geodesic_area_km2,
    load_land,
    posture_units,
    reach_record,
)
from nansei.geo.coverage import covered_lengths_km, gate_record

GLIB = Geodesic.WGS84

UNIT_FIELDS = {"id", "system", "site", "range_km", "disc_area_km2", "sea_area_km2", "land_area_km2"}
GATE_FIELDS = {"id", "name", "length_km", "covered_fraction", "covered_fraction_2plus"}
PLACE_FIELDS = {"id", "name", "nearest_unit", "distance_km", "reached_by"}


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def coverages(catalog):
    return {year: compute_coverage(catalog, year) for year in (2022, 2025, 2026)}


def _unit(uid: str, lat: float, lon: float, range_km: float) -> UnitReach:
    return UnitReach(
        id=uid,
        system="test",
        system_name="test",
        site=uid,
        site_name=uid,
        lat=lat,
        lon=lon,
        range_km=range_km,
        platform="truck",
    )


def test_json_contract(catalog):
    record = coverage_record(catalog, 2025)
    json.dumps(record, allow_nan=False)
    assert {"year", "units", "union", "gates", "places"} <= set(record)
    assert record["year"] == 2025
    assert all(UNIT_FIELDS <= set(u) for u in record["units"])
    assert {"sea_area_km2", "land_area_km2"} <= set(record["union"])
    assert all(GATE_FIELDS <= set(g) for g in record["gates"])
    assert all(PLACE_FIELDS <= set(p) for p in record["places"])
    assert [u["id"] for u in record["units"]] == [u.id for u in catalog.posture(2025).units]
    assert {g["id"] for g in record["gates"]} == set(catalog.gates)
    assert {p["id"] for p in record["places"]} == {
        s.id for s in catalog.sites.values() if s.kind == "place"
    }


def test_unit_areas_add_up(coverages):
    for coverage in coverages.values():
        for unit in coverage.record()["units"]:
            assert unit["sea_area_km2"] + unit["land_area_km2"] == pytest.approx(
                unit["disc_area_km2"], abs=0.11
            )
            assert unit["sea_area_km2"] > 0 and unit["land_area_km2"] >= 0


def test_same_range_discs_have_the_same_area(coverages):
    """A geodesic disc's area depends on latitude only slightly; 200 km discs agree to 1e-5."""
    areas = [u["disc_area_km2"] for u in coverages[2025].record()["units"]]
    assert max(areas) == pytest.approx(min(areas), rel=1e-5)


def test_union_and_depth_are_consistent(coverages):
    for coverage in coverages.values():
        record = coverage.record()
        union = record["union"]
        depth = {d["min_units"]: d for d in union["depth"]}
        total_disc = sum(u["disc_area_km2"] for u in record["units"])
        assert union["area_km2"] <= total_disc + 1
        # Union (equal-area plane) vs disc (Geod, geodesic edges) differ by < 1e-5.
        assert union["area_km2"] >= max(u["disc_area_km2"] for u in record["units"]) * (1 - 1e-5)
        assert depth[1]["area_km2"] >= depth[2]["area_km2"] >= depth[3]["area_km2"]
        assert union["sea_area_km2"] == depth[1]["sea_area_km2"]
        # Inclusion–exclusion for areas: Σ discs = Σ_k area(≥ k) over all k.
        levels = depth_regions(
            [coverage.land.project(d) for d in coverage.discs], range(1, len(coverage.units) + 1)
        )
        stacked = sum(shapely.area(g) for g in levels.values()) / 1e6
        assert stacked == pytest.approx(total_disc, rel=1e-4)


def test_2022_discs_do_not_overlap_and_2025_two_deep_is_the_pairwise_overlaps(coverages):
    assert coverages[2022].record()["union"]["depth"][1]["area_km2"] == 0.0
    record = coverages[2025].record()
    depth = {d["min_units"]: d for d in record["union"]["depth"]}
    # In 2025 the Miyako–Ishigaki, Miyako–Katsuren, Katsuren–Amami and Kengun–Yufuin
    # discs overlap pairwise, never three at a time.
    assert depth[2]["area_km2"] > 0 and depth[3]["area_km2"] == 0.0


def test_depth_polygons_agree_with_geodesic_counts(coverages):
    """Polygon depth vs the ReachIndex's geodesic count at random points (fixed seed)."""
    coverage = coverages[2026]
    rng = np.random.default_rng(11)
    lats, lons = rng.uniform(20, 40, 4000), rng.uniform(118, 142, 4000)
    counts = coverage.index.counts(lats, lons)
    points = coverage.land.project(shapely.points(lons, lats))
    # Skip points within 1 km of any disc edge, where a 720-gon and the circle may differ.
    slack = coverage.index.slack_km(lats, lons)
    clear = np.min(np.abs(slack), axis=1) > 1.0
    for k in (1, 2, 3):
        inside = shapely.contains(coverage.depth_projected[k], points)
        assert np.array_equal(inside[clear], (counts >= k)[clear])


def test_disc_land_matches_lonlat_ellipsoidal_route(coverages):
    """Per-unit land (equal-area plane) vs land cut in lon/lat and measured by Geod."""
    coverage = coverages[2026]
    land = coverage.land
    for disc, land_km2 in zip(
        coverage.discs[:3] + coverage.discs[6:7],
        coverage.unit_land_area_km2[:3] + coverage.unit_land_area_km2[6:7],
        strict=True,
    ):
        pieces = shapely.intersection(land.polygons[land.tree.query(disc)], disc)
        independent = sum(geodesic_area_km2(p) for p in pieces if not p.is_empty)
        assert land_km2 == pytest.approx(independent, rel=1e-3)


def test_places_and_reach_agree_with_geographiclib(catalog, coverages):
    record = coverages[2026].record()
    units = {u["id"]: u for u in record["units"]}
    for place in record["places"]:
        site = catalog.site(place["id"])
        distances = {
            uid: GLIB.Inverse(site.lat, site.lon, u["lat"], u["lon"])["s12"] / 1000
            for uid, u in units.items()
        }
        nearest = min(distances, key=distances.get)
        assert place["nearest_unit"] == nearest
        assert place["distance_km"] == pytest.approx(distances[nearest], abs=1e-3)
        assert place["reached_by"] == [
            uid for uid in units if distances[uid] <= units[uid]["range_km"]
        ]


def test_published_reach_facts(coverages):
    """Seed claims: 200 km Type 12s do not reach China; the 2026 stand-off missiles do."""
    places_2025 = {p["id"]: p for p in coverages[2025].record()["places"]}
    places_2026 = {p["id"]: p for p in coverages[2026].record()["places"]}
    for city in ("shanghai", "beijing", "pyongyang", "qingdao"):
        assert places_2025[city]["reached_by"] == []
    assert "kengun-type12-improved" in places_2026["shanghai"]["reached_by"]
    assert "kengun-type12-improved" in places_2026["pyongyang"]["reached_by"]
    assert "kengun-type12-improved" not in places_2026["beijing"]["reached_by"]  # ~1,507 km


def test_reach_index_against_brute_force(catalog):
    index = ReachIndex.for_posture(catalog, 2026)
    rng = np.random.default_rng(3)
    for lat, lon in zip(rng.uniform(15, 45, 200), rng.uniform(110, 150, 200), strict=True):
        answer = index.reach(lat, lon)
        expected = {}
        for unit in index.units:
            km = GLIB.Inverse(lat, lon, unit.lat, unit.lon)["s12"] / 1000
            if km <= unit.range_km:
                expected[unit.id] = km
        assert [r["unit"] for r in answer] == sorted(
            expected,
            key=lambda uid: (
                -(index.ranges_km[[u.id for u in index.units].index(uid)] - expected[uid])
            ),
        )
        for row in answer:
            assert row["distance_km"] == pytest.approx(expected[row["unit"]], abs=1e-3)
            assert row["margin_km"] >= 0


def test_reach_record_contract(catalog):
    index = ReachIndex.for_posture(catalog, "2025")
    record = reach_record(index, 25.5, 126.0)
    assert {"lat", "lon", "year", "reached_by"} <= set(record)
    assert record["year"] == 2025
    for row in record["reached_by"]:
        assert set(row) == {"unit", "system", "site", "distance_km", "margin_km"}
    assert [r["unit"] for r in record["reached_by"]] == ["miyako-type12"]


def test_reach_rejects_bad_points_and_years(catalog):
    index = ReachIndex.for_posture(catalog, 2025)
    with pytest.raises(ValueError):
        index.reach(95.0, 120.0)
    with pytest.raises(ValueError):
        index.reach(25.0, 200.0)
    with pytest.raises(UnknownIdError) as error:
        ReachIndex.for_posture(catalog, 2019)
    assert "2022" in str(error.value) and "2025" in str(error.value)
    with pytest.raises(UnknownIdError):
        posture_units(catalog, 2025, "median")


def test_gate_coverage_closed_form():
    """A unit on a meridian gate covers exactly 2r of it (the gate is the geodesic itself)."""
    gate = Gate(id="g", name="meridian", points=[(20.0, 125.0), (30.0, 125.0)], sources=["x"])
    length = float(distance_km(20.0, 125.0, 30.0, 125.0))
    centre_lat = 25.0
    index = ReachIndex([_unit("a", centre_lat, 125.0, 150.0), _unit("b", 26.0, 125.0, 150.0)])
    record = gate_record(index, gate)
    # Union of [d_a − 150, d_a + 150] and [d_b − 150, d_b + 150] along the meridian.
    d_a = float(distance_km(20.0, 125.0, centre_lat, 125.0))
    d_b = float(distance_km(20.0, 125.0, 26.0, 125.0))
    union = (d_b + 150) - (d_a - 150)
    overlap = (d_a + 150) - (d_b - 150)
    assert record["length_km"] == pytest.approx(length, abs=1e-3)
    assert record["covered_fraction"] == pytest.approx(union / length, abs=1e-4)
    assert record["covered_fraction_2plus"] == pytest.approx(overlap / length, abs=1e-4)


def test_gate_coverage_against_dense_sampling(coverages, catalog):
    index = coverages[2025].index
    from nansei.geo import polyline_track

    for gate_id in ("miyako-strait", "yonaguni-gap", "tsushima-strait"):
        gate = catalog.gate(gate_id)
        record = gate_record(index, gate)
        lats, lons, km = polyline_track(gate.points, 0.02)
        counts = index.counts(lats, lons)
        steps = np.diff(km)
        for k, key in ((1, "covered_fraction"), (2, "covered_fraction_2plus")):
            reached = (counts >= k).astype(float)
            trapezoid = float(((reached[:-1] + reached[1:]) / 2 * steps).sum() / km[-1])
            # trapezoid error ≤ half a 20 m step per crossing, plus 4-decimal rounding
            assert record[key] == pytest.approx(trapezoid, abs=2e-4)


def test_gate_crossing_against_root_finding(catalog):
    """Yonaguni gap in 2025: only Ishigaki's company reaches it, from the Yonaguni end.

    Independent: walk the gate with GeographicLib's direct problem and find where the
    distance to Camp Ishigaki equals the range with Brent's method.
    """
    from scipy.optimize import brentq

    index = ReachIndex.for_posture(catalog, 2025)
    gate = catalog.gate("yonaguni-gap")
    (lat1, lon1), (lat2, lon2) = gate.points
    line = GLIB.InverseLine(lat1, lon1, lat2, lon2)
    ishigaki = catalog.site("ishigaki")

    def slack(s_m: float) -> float:
        point = line.Position(s_m)
        return (
            GLIB.Inverse(point["lat2"], point["lon2"], ishigaki.lat, ishigaki.lon)["s12"] / 1000
            - 200.0
        )

    crossing_m = brentq(slack, 0.0, line.s13, xtol=1e-6)
    record = gate_record(index, gate)
    assert record["covered_fraction"] == pytest.approx(crossing_m / line.s13, abs=5e-5)
    assert record["covered_fraction_2plus"] == 0.0


def test_covered_lengths_edge_cases():
    cumulative = np.array([0.0, 1.0, 2.0])
    assert covered_lengths_km(np.empty((3, 0)), cumulative) == [0.0, 0.0]
    inside = -np.ones((3, 2))
    assert covered_lengths_km(inside, cumulative) == [2.0, 2.0]
    # One unit covers the first half exactly (slack crosses zero at 1.0 km).
    half = np.array([[-1.0], [0.0], [1.0]])
    assert covered_lengths_km(half, cumulative, (1,)) == [pytest.approx(1.0)]


def test_empty_posture_and_region_growth(catalog):
    empty = ReachIndex([], year=2000)
    assert empty.reach(25.0, 125.0) == []
    assert reach_record(empty, 25.0, 125.0)["reached_by"] == []
    # 2027's Tomahawk disc from Yokosuka reaches past 150 E: the land region grows.
    big = compute_coverage(catalog, 2027)
    lon_max = big.land.region.lon_max
    assert lon_max > 150 and big.land.region.contains_bounds(
        tuple(shapely.total_bounds(np.asarray(big.discs, dtype=object)))
    )
    with pytest.raises(ValueError, match="does not contain"):
        compute_coverage(catalog, 2027, land=load_land())


def test_range_cases(catalog):
    low = posture_units(catalog, 2026, "low")
    high = posture_units(catalog, 2026, "high")
    by_id = {u.id: (lo.range_km, hi.range_km) for u, lo, hi in zip(low, low, high, strict=True)}
    assert by_id["kengun-type12-improved"] == (900.0, 1500.0)
    assert by_id["miyako-type12"] == (100.0, 200.0)


def test_compared_years_share_one_land_region(catalog, coverages):
    from nansei.geo import compute_coverages

    pair = compute_coverages(catalog, [2022, 2027])
    assert pair[0].land is pair[1].land and pair[0].land.region.lon_max > 150
    # The same posture measured on a bigger land region gives the same areas.
    alone = coverages[2022].record()["union"]
    together = pair[0].record()["union"]
    for key in ("sea_area_km2", "land_area_km2"):
        assert together[key] == pytest.approx(alone[key], rel=1e-5)
