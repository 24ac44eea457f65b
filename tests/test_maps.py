"""nansei.maps: GeoJSON structure, PNG and offline HTML writers, atomic writes."""

from __future__ import annotations

import json
import os
import re

import pytest
import shapely
from shapely.geometry import shape

from nansei import maps
from nansei.catalog import default_catalog
from nansei.geo import compute_coverage


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


@pytest.fixture(scope="module")
def coverage_2025(catalog):
    return compute_coverage(catalog, 2025)


def test_geojson_features(coverage_2025, catalog, tmp_path):
    path = tmp_path / "coverage.geojson"
    maps.write_geojson(coverage_2025, catalog, path)
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("range_disc") == len(coverage_2025.units)
    assert kinds.count("gate") == len(catalog.gates)
    assert {"depth", "site", "place"} <= set(kinds)
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["properties"]
        if feature["geometry"]["type"] == "Polygon":  # RFC 7946: exteriors counter-clockwise
            assert shapely.Polygon(feature["geometry"]["coordinates"][0]).exterior.is_ccw
    disc = next(f for f in collection["features"] if f["properties"]["kind"] == "range_disc")
    assert {"unit", "system", "range_km", "sea_area_km2"} <= set(disc["properties"])
    depth_1 = next(
        f
        for f in collection["features"]
        if f["properties"]["kind"] == "depth" and f["properties"]["min_units"] == 1
    )
    # The union outline drawn in lon/lat holds every unit site.
    union = shape(depth_1["geometry"])
    for unit in coverage_2025.units:
        assert union.contains(shapely.Point(unit.lon, unit.lat))
    assert collection["nansei"]["year"] == 2025


def test_png_and_comparison(coverage_2025, catalog, tmp_path):
    single = tmp_path / "single.png"
    maps.write_png(coverage_2025, catalog, single)
    assert single.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    compare = tmp_path / "compare.png"
    maps.write_comparison_png([compute_coverage(catalog, 2022), coverage_2025], catalog, compare)
    assert 20_000 < compare.stat().st_size < 400_000
    assert not list(tmp_path.glob("*.tmp"))


def test_html_is_offline(coverage_2025, catalog, tmp_path):
    path = tmp_path / "map.html"
    maps.write_html(coverage_2025, catalog, path)
    html = path.read_text(encoding="utf-8")
    assert len(html) > 1_000_000  # plotly.js is inlined
    assert not re.search(r"<script[^>]+src=", html)
    assert "cdn.plot.ly/plotly" not in html and "cdn.jsdelivr" not in html.split("</script>")[-1]
    assert '"type":"scattergeo"' in html
    # plotly's own base map would be fetched as topojson from a CDN: all layers are off.
    for layer in ("showland", "showcoastlines", "showocean", "showcountries", "showlakes"):
        assert f'"{layer}":false' in html


def test_system_colours_are_stable(catalog):
    colours = maps.system_colours(catalog)
    assert colours["type12-original"] != colours["type12-improved"]
    assert colours == maps.system_colours(catalog)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        maps._write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_short_names():
    assert maps.short_name("Camp Kengun, Kumamoto (5th SSM Regiment)") == "Camp Kengun"
    assert maps.short_name("Naha") == "Naha"
