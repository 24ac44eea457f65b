"""nansei.geo.maps: GeoJSON structure, publication maps (labels never overlap), offline HTML."""

from __future__ import annotations

import itertools
import json
import os
import re

import pytest
import shapely
from shapely.geometry import shape

from nansei.catalog import default_catalog
from nansei.geo import compute_coverage, compute_coverages, maps


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
    assert 20_000 < compare.stat().st_size < 1_500_000  # 150 dpi, two panels
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


def test_old_import_path_still_works():
    from nansei import maps as old

    assert old.write_png is maps.write_png and old.coverage_html is maps.coverage_html


def test_format_follows_the_extension(coverage_2025, catalog, tmp_path):
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF-"}
    for fmt, start in magic.items():
        path = tmp_path / f"map.{fmt}"
        maps.write_map(coverage_2025, catalog, path, dpi=60)
        assert path.read_bytes()[: len(start)] == start
    with pytest.raises(ValueError, match="not a figure format"):
        maps.write_map(coverage_2025, catalog, tmp_path / "map.jpg")
    with pytest.raises(ValueError, match=r"outside \[50, 1200\]"):
        maps.write_map(coverage_2025, catalog, tmp_path / "map.png", dpi=2000)
    assert not (tmp_path / "map.jpg").exists()


def test_dpi_sets_the_raster_size(coverage_2025, catalog, tmp_path):
    from PIL import Image

    sizes = {}
    for dpi in (60, 120):
        path = tmp_path / f"map-{dpi}.png"
        maps.write_map(coverage_2025, catalog, path, dpi=dpi)
        sizes[dpi] = Image.open(path).size
    assert sizes[120][0] == pytest.approx(2 * sizes[60][0], rel=0.02)
    assert sizes[120][1] == pytest.approx(2 * sizes[60][1], rel=0.02)


def _label_boxes(fig):
    renderer = fig.canvas.get_renderer()
    return [[text.get_window_extent(renderer) for text in panel] for panel in fig.nansei_labels]


@pytest.mark.parametrize("years", [(2022,), (2027,), (2022, 2026), (2022, 2025, 2026, 2027)])
def test_labels_never_overlap_on_the_default_maps(catalog, years):
    """The placement pass: every label is drawn, inside its panel, and no two label boxes
    (as the renderer measures them) overlap."""
    coverages = compute_coverages(catalog, list(years))
    fig = maps.coverage_map_figure(coverages, catalog, dpi=110)
    fig.canvas.draw()
    assert fig.nansei_omitted_labels == 0
    extent = maps.map_extent(coverages)
    map_axes = fig.axes[: len(coverages)]
    for ax, coverage, boxes in zip(map_axes, coverages, _label_boxes(fig), strict=True):
        expected = len({u.site for u in coverage.units})
        expected += sum(
            extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]
            for lat, lon in (maps._gate_midpoint(catalog, g["id"]) for g in coverage.gates)
        )
        expected += len(maps._places_in(coverage, extent))
        assert len(boxes) == expected
        frame = ax.get_window_extent(fig.canvas.get_renderer())
        for box in boxes:
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1
            assert frame.y0 <= box.y0 and box.y1 <= frame.y1
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)


def test_placement_moves_a_label_off_a_crowded_anchor():
    """Two anchors at one point: the second label must go elsewhere (ring search)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    fig.canvas.draw()
    requests = [maps.LabelRequest(f"label {i}", 5.0, 5.0, {"fontsize": 8}) for i in range(6)]
    renderer = fig.canvas.get_renderer()
    texts, omitted = maps.place_labels(ax, requests, renderer, [])
    assert omitted == 0 and len(texts) == 6
    boxes = [t.get_window_extent(renderer) for t in texts]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_depth_shading_and_grouped_legends(catalog):
    coverages = compute_coverages(catalog, [2022, 2026])
    fig = maps.coverage_map_figure(coverages, catalog, dpi=60)
    panel_2026 = fig.axes[1]
    shaded = [p for p in panel_2026.patches if p.get_zorder() == 1]
    assert len(shaded) == 3  # ≥1, ≥2 and ≥3 units
    legends = [ax.get_legend() for ax in fig.axes[2:] if ax.get_legend() is not None]
    titles = [legend.get_title().get_text() for legend in legends]
    assert titles[0] == "Range rings by system" and titles[2].startswith("Straits")
    systems = {e.system for c in coverages for e in c.units}
    assert len(legends[0].get_texts()) == len(systems)  # one line per system, not per unit
    straits = [t.get_text() for t in legends[2].get_texts()]
    assert len(straits) == len(catalog.gates)
    assert any(t.startswith("Miyako Strait: 70%/0% → 100%/100%") for t in straits)
    texts = [t.get_text() for t in fig.texts]
    assert any("GSHHG" in t for t in texts)  # the source line
    for ax in fig.axes[:2]:
        assert any(t.get_text().endswith(" km") for t in ax.texts)  # the scale bar


def test_html_hover_and_legend_groups(catalog):
    coverage = compute_coverage(catalog, 2026)
    fig = maps.coverage_figure(coverage, catalog)
    rings = [t for t in fig.data if t.legendgroup in {u.system for u in coverage.units}]
    assert len(rings) == len(coverage.units)
    hover = rings[0].hovertemplate
    for field in ("system:", "range:", "site:", "sources:"):
        assert field in hover
    gates = [t for t in fig.data if t.legendgroup == "gates"]
    assert len(gates) == len(catalog.gates) and all("%" in t.name for t in gates)
    titles = {t.legendgrouptitle.text for t in rings}
    assert len(titles) == len({u.system for u in coverage.units})
