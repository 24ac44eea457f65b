"""Maps of coverage: GeoJSON, static PNG (matplotlib), offline HTML (plotly) — the I/O edge.

Everything here draws or serialises a :class:`nansei.geo.Coverage`; nothing computes
reach. Files are written to a temporary file beside the target and renamed into
place (``os.replace``), so a reader never sees half a file.

The HTML map is fully offline: plotly.js is inlined from the installed ``plotly``
package, and the land is GSHHG-h drawn as ordinary filled traces, so plotly's own
base map (a topojson file it would fetch from a CDN) is switched off.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from nansei.catalog import Catalog
from nansei.geo import Coverage, destination
from nansei.geo.land import source_line
from nansei.io import write_bytes
from nansei.provenance import footer_text

SEA = "#dde9f3"
LAND = "#efece2"
COAST = "#8c8c80"
GATE = "#b2182b"
PLACE = "#4d4d4d"
#: Colour-blind-safe qualitative palette (Okabe & Ito 2008), assigned to systems in catalog order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")

GEOJSON_DECIMALS = 5  # ~1 m: far finer than anything the model resolves


# -- shared helpers ---------------------------------------------------------------


def _write_atomic(path: Path | str, data: bytes) -> None:
    """Write bytes to ``path`` all-or-nothing (:func:`nansei.io.write_bytes`)."""
    write_bytes(path, data)


def system_colours(catalog: Catalog) -> dict[str, str]:
    """A fixed colour per missile system (catalog order), identical across years and panels."""
    systems = [e.id for e in catalog.entities.values() if e.kind == "missile"]
    return {system: PALETTE[i % len(PALETTE)] for i, system in enumerate(systems)}


def short_name(name: str) -> str:
    """'Camp Kengun, Kumamoto (5th SSM Regiment)' → 'Camp Kengun'."""
    return name.split("(")[0].split(",")[0].strip()


def map_extent(coverages: Sequence[Coverage], pad_deg: float = 1.0) -> tuple[float, ...]:
    """(lon_min, lat_min, lon_max, lat_max) holding every disc and site, within the land region."""
    geoms = [d for c in coverages for d in c.discs]
    geoms += [shapely.Point(u.lon, u.lat) for c in coverages for u in c.units]
    if not geoms:
        return coverages[0].land.region.bounds if coverages else (120.0, 20.0, 135.0, 35.0)
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds(np.asarray(geoms, dtype=object))
    region = coverages[0].land.region
    return (
        max(lon_min - pad_deg, region.lon_min),
        max(lat_min - pad_deg, region.lat_min),
        min(lon_max + pad_deg, region.lon_max),
        min(lat_max + pad_deg, region.lat_max),
    )


def _land_for_map(
    coverage: Coverage, extent: Sequence[float], tolerance_deg: float, min_area_deg2: float = 0.0
) -> np.ndarray:
    """Land polygons clipped to the extent and simplified for drawing (never for numbers)."""
    land = coverage.land
    box = shapely.box(*extent)
    chosen = land.polygons[land.tree.query(box, predicate="intersects")]
    clipped = shapely.get_parts(shapely.clip_by_rect(chosen, *extent))
    clipped = clipped[shapely.get_type_id(clipped) == shapely.GeometryType.POLYGON]
    simple = shapely.simplify(clipped, tolerance_deg, preserve_topology=True)
    keep = ~shapely.is_empty(simple) & (shapely.area(simple) > min_area_deg2)
    return simple[keep]


def _unit_sites(coverage: Coverage) -> dict[str, dict[str, Any]]:
    """Sites hosting units, with the units at each (one marker per site)."""
    sites: dict[str, dict[str, Any]] = {}
    for unit in coverage.units:
        entry = sites.setdefault(
            unit.site, {"name": unit.site_name, "lat": unit.lat, "lon": unit.lon, "units": []}
        )
        entry["units"].append(unit.id)
    return sites


def _places_in(coverage: Coverage, extent: Sequence[float]) -> list[dict[str, Any]]:
    lon_min, lat_min, lon_max, lat_max = extent
    return [
        p
        for p in coverage.record()["places"]
        if lon_min <= p["lon"] <= lon_max and lat_min <= p["lat"] <= lat_max
    ]


# -- GeoJSON -----------------------------------------------------------------------


def _feature(geometry: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    oriented = (
        shapely.orient_polygons(geometry)
        if geometry.geom_type in ("Polygon", "MultiPolygon")
        else geometry
    )
    rounded = shapely.transform(oriented, lambda xy: np.round(xy, GEOJSON_DECIMALS))
    return {"type": "Feature", "geometry": mapping(rounded), "properties": properties}


def coverage_geojson(
    coverage: Coverage, catalog: Catalog, provenance: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946, lon/lat WGS84) of one posture's coverage.

    Features carry ``properties.kind``: ``range_disc`` (one per unit, with the unit's
    areas), ``depth`` (region reached by ≥ ``min_units`` units), ``site``, ``gate``
    (with covered fractions) and ``place`` (with who reaches it). ``provenance`` (see
    :mod:`nansei.provenance`) goes into the collection's ``nansei`` member.
    """
    record = coverage.record()
    features = []
    for disc, unit in zip(coverage.discs, record["units"], strict=True):
        features.append(
            _feature(
                disc,
                {
                    "kind": "range_disc",
                    "unit": unit["id"],
                    "system": unit["system"],
                    "site": unit["site"],
                    "range_km": unit["range_km"],
                    "disc_area_km2": unit["disc_area_km2"],
                    "sea_area_km2": unit["sea_area_km2"],
                    "land_area_km2": unit["land_area_km2"],
                },
            )
        )
    for depth in record["union"]["depth"]:
        geometry = coverage.depth_lonlat(depth["min_units"])
        if not geometry.is_empty:
            features.append(_feature(geometry, {"kind": "depth", **depth}))
    for site_id, site in _unit_sites(coverage).items():
        features.append(
            _feature(
                shapely.Point(site["lon"], site["lat"]),
                {"kind": "site", "id": site_id, "name": site["name"], "units": site["units"]},
            )
        )
    for gate in record["gates"]:
        points = catalog.gate(gate["id"]).points
        features.append(
            _feature(
                shapely.LineString([(lon, lat) for lat, lon in points]), {"kind": "gate", **gate}
            )
        )
    for place in record["places"]:
        features.append(
            _feature(
                shapely.Point(place["lon"], place["lat"]),
                {"kind": "place", **{k: v for k, v in place.items() if k not in ("lat", "lon")}},
            )
        )
    return {
        "type": "FeatureCollection",
        "nansei": {
            "year": record["year"],
            "label": record["label"],
            "range_case": record["range_case"],
            "land": record["land"],
            "provenance": None if provenance is None else dict(provenance),
        },
        "features": features,
    }


def write_geojson(
    coverage: Coverage,
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    payload = coverage_geojson(coverage, catalog, provenance)
    _write_atomic(
        path, (json.dumps(payload, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    )


# -- static PNG (matplotlib) -------------------------------------------------------


def _nice_length(km: float) -> float:
    """The largest 1/2/5 × 10^n not above ``km``."""
    exponent = 10 ** math.floor(math.log10(km))
    for step in (5, 2, 1):
        if step * exponent <= km:
            return step * exponent
    return exponent


def _draw_panel(
    ax: Any, coverage: Coverage, catalog: Catalog, extent: Sequence[float], colours: dict[str, str]
) -> None:
    from matplotlib import patheffects
    from matplotlib.collections import PolyCollection

    halo = [patheffects.withStroke(linewidth=2.2, foreground="white", alpha=0.85)]
    lon_min, lat_min, lon_max, lat_max = extent
    width = lon_max - lon_min
    ax.set_facecolor(SEA)
    land = _land_for_map(coverage, extent, tolerance_deg=width / 2500.0)
    rings = [np.asarray(p.exterior.coords) for p in land]
    ax.add_collection(
        PolyCollection(rings, facecolors=LAND, edgecolors=COAST, linewidths=0.3, zorder=1)
    )
    for disc, unit in zip(coverage.discs, coverage.units, strict=True):
        xy = np.asarray(disc.exterior.coords)
        colour = colours.get(unit.system, "#444444")
        ax.fill(xy[:, 0], xy[:, 1], color=colour, alpha=0.10, lw=0, zorder=2)
        ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=1.3, zorder=3)
    record = coverage.record()
    for gate in record["gates"]:
        points = np.asarray(catalog.gate(gate["id"]).points)
        ax.plot(
            points[:, 1],
            points[:, 0],
            color=GATE,
            lw=2.2,
            ls=(0, (3, 1.5)),
            zorder=4,
            solid_capstyle="butt",
        )
        mid = points[len(points) // 2 - 1 : len(points) // 2 + 1].mean(axis=0)
        if lon_min <= mid[1] <= lon_max and lat_min <= mid[0] <= lat_max:
            ax.annotate(
                f"{short_name(gate['name'])}\n≥1: {gate['covered_fraction']:.0%}",
                (mid[1], mid[0]),
                xytext=(5, -4),
                textcoords="offset points",
                fontsize=6.5,
                color=GATE,
                zorder=6,
                va="top",
                path_effects=halo,
            )
    for place in _places_in(coverage, extent):
        ax.plot(place["lon"], place["lat"], "o", ms=3, color=PLACE, zorder=5)
        ax.annotate(
            short_name(place["name"]),
            (place["lon"], place["lat"]),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=6.5,
            color=PLACE,
            zorder=6,
            path_effects=halo,
        )
    placed: list[tuple[float, float]] = []
    for site in sorted(_unit_sites(coverage).values(), key=lambda s: -s["lat"]):
        ax.plot(site["lon"], site["lat"], "^", ms=6, color="black", mec="white", mew=0.6, zorder=7)
        # Sites a few km apart (Kengun, Yufuin, Sasebo) would print on top of each other:
        # step each later label down until it clears the ones already placed.
        drop = sum(
            1
            for lon, lat in placed
            if abs(lon - site["lon"]) < 0.06 * width and abs(lat - site["lat"]) < 0.02 * width
        )
        placed.append((site["lon"], site["lat"]))
        ax.annotate(
            short_name(site["name"]),
            (site["lon"], site["lat"]),
            xytext=(4, 3 - 9 * drop),
            textcoords="offset points",
            fontsize=7,
            weight="bold",
            zorder=8,
            path_effects=halo,
        )
    mid_lat = (lat_min + lat_max) / 2.0
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    # Equirectangular with true scale at the middle latitude.
    ax.set_aspect(1.0 / math.cos(math.radians(mid_lat)))
    ax.grid(color="white", lw=0.5, alpha=0.8, zorder=0)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:g}°E")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:g}°N")
    ax.tick_params(labelsize=7)
    _scale_bar(ax, extent)
    ax.set_title(
        f"{record['year']} ({record['status']}): {len(coverage.units)} units · "
        f"sea reached {record['union']['sea_area_km2'] / 1e6:.2f} M km²",
        fontsize=9.5,
    )


def _scale_bar(ax: Any, extent: Sequence[float]) -> None:
    lon_min, lat_min, lon_max, lat_max = extent
    lat = lat_min + 0.05 * (lat_max - lat_min)
    lon = lon_min + 0.04 * (lon_max - lon_min)
    # How far one degree of longitude goes here, on the geodesic, sets the bar length.
    _lat_end, lon_end = destination(lat, lon, 90.0, 100.0)
    km_per_deg = 100.0 / (float(lon_end) - lon)
    length_km = _nice_length(0.25 * (lon_max - lon_min) * km_per_deg)
    lon_right = lon + length_km / km_per_deg
    ax.plot([lon, lon_right], [lat, lat], color="black", lw=2.5, zorder=9, solid_capstyle="butt")
    ax.text(
        (lon + lon_right) / 2,
        lat + 0.012 * (lat_max - lat_min),
        f"{length_km:g} km",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
    )


def _legend(
    fig: Any,
    coverages: Sequence[Coverage],
    catalog: Catalog,
    colours: dict[str, str],
    bottom: float,
) -> None:
    from matplotlib.lines import Line2D

    seen: dict[str, float] = {}
    for coverage in coverages:
        for unit in coverage.units:
            seen.setdefault(unit.system, unit.range_km)
    handles = [
        Line2D(
            [],
            [],
            color=colours.get(s, "#444444"),
            lw=2,
            label=f"{catalog.entity(s).name} — {r:g} km",
        )
        for s, r in seen.items()
    ]
    handles += [
        Line2D([], [], marker="^", ls="", color="black", label="unit site"),
        Line2D([], [], color=GATE, lw=2, ls=(0, (3, 1.5)), label="gate (strait)"),
        Line2D([], [], marker="o", ls="", ms=3, color=PLACE, label="reference place"),
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, bottom),
        ncol=2 if len(coverages) == 1 else 4,
        fontsize=7,
        frameon=False,
    )


def _figure(
    coverages: Sequence[Coverage],
    catalog: Catalog,
    title: str,
    provenance: Mapping[str, Any] | None = None,
) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    extent = map_extent(coverages)
    lon_span = extent[2] - extent[0]
    lat_span = (extent[3] - extent[1]) / math.cos(math.radians((extent[1] + extent[3]) / 2))
    panel_w = 6.4
    panel_h = panel_w * lat_span / lon_span
    strip_in = (1.1 if len(coverages) == 1 else 0.75) + (0.15 if provenance else 0.0)
    height = panel_h + 0.75 + strip_in
    fig = Figure(figsize=(panel_w * len(coverages) + 0.4, height), dpi=110, layout="constrained")
    # Keep the bottom strip (legend and source line) out of the constrained layout.
    bottom = strip_in / height
    fig.get_layout_engine().set(rect=(0.0, bottom, 1.0, 1.0 - bottom))
    colours = system_colours(catalog)
    axes = fig.subplots(1, len(coverages), squeeze=False)[0]
    for ax, coverage in zip(axes, coverages, strict=True):
        _draw_panel(ax, coverage, catalog, extent, colours)
    _legend(fig, coverages, catalog, colours, bottom)
    fig.suptitle(title, fontsize=11, weight="bold")
    separator = "\n" if len(coverages) == 1 else ". "
    fig.text(
        0.5,
        0.012,
        f"{source_line()}{separator}Ranges, sites and postures: nansei catalog "
        f"({coverages[0].range_case} ranges); geodesic discs on WGS84; ships at home port."
        + (f"\n{footer_text(provenance)}" if provenance else ""),
        ha="center",
        va="bottom",
        fontsize=6.5,
        color="#555555",
    )
    return fig


def _save_png(fig: Any, path: Path | str) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"optimize": True})
    _write_atomic(path, buffer.getvalue())


def write_png(
    coverage: Coverage,
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """A static map of one posture: land, range rings by system, sites, gates, places."""
    fig = _figure([coverage], catalog, f"Reach of the {coverage.year} posture", provenance)
    _save_png(fig, path)


def write_comparison_png(
    coverages: Sequence[Coverage],
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Posture years side by side on one extent and one colour key (e.g. 2022 beside 2026)."""
    years = " vs ".join(str(c.year) for c in coverages)
    fig = _figure(coverages, catalog, f"Reach compared: {years}", provenance)
    _save_png(fig, path)


# -- interactive HTML (plotly, offline) ------------------------------------------------


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _clockwise_ring(polygon: BaseGeometry) -> np.ndarray:
    """The exterior ring, clockwise, rounded to 1e-4°.

    plotly's geo fills follow d3-geo's spherical rule: a clockwise ring encloses its
    inside, a counter-clockwise one the rest of the globe.
    """
    ring = shapely.orient_polygons(polygon, exterior_cw=True).exterior
    return np.round(np.asarray(ring.coords), 4)


def _ring_lists(polygons: Sequence[BaseGeometry]) -> tuple[list[float | None], ...]:
    """Exteriors as one lon list and one lat list, rings separated by None (one trace)."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for polygon in polygons:
        xy = _clockwise_ring(polygon)
        lons.extend(xy[:, 0].tolist())
        lats.extend(xy[:, 1].tolist())
        lons.append(None)
        lats.append(None)
    return lons, lats


def coverage_figure(
    coverage: Coverage, catalog: Catalog, provenance: Mapping[str, Any] | None = None
) -> Any:
    """A plotly figure (scattergeo traces only; plotly's base map layers are off)."""
    import plotly.graph_objects as go

    extent = map_extent([coverage])
    lon_min, lat_min, lon_max, lat_max = extent
    colours = system_colours(catalog)
    record = coverage.record()
    fig = go.Figure()
    # The azimuthal view shows more than the lon/lat box at its corners: draw land wider
    # so no clipping edge shows.
    region = coverage.land.region
    land_box = (
        max(lon_min - 8.0, region.lon_min),
        max(lat_min - 6.0, region.lat_min),
        min(lon_max + 8.0, region.lon_max),
        min(lat_max + 6.0, region.lat_max),
    )
    land = _land_for_map(coverage, land_box, tolerance_deg=0.01, min_area_deg2=5e-4)
    land_lons, land_lats = _ring_lists(land)
    fig.add_trace(
        go.Scattergeo(
            lon=land_lons,
            lat=land_lats,
            mode="lines",
            fill="toself",
            fillcolor=LAND,
            line={"color": COAST, "width": 0.5},
            name="land (GSHHG-h)",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for disc, unit in zip(coverage.discs, record["units"], strict=True):
        colour = colours.get(unit["system"], "#444444")
        xy = _clockwise_ring(disc)
        hover = (
            f"<b>{unit['id']}</b><br>{unit['system']} at {unit['site']}<br>"
            f"range {unit['range_km']:g} km<br>sea {unit['sea_area_km2']:,.0f} km²"
            f"<br>land {unit['land_area_km2']:,.0f} km²<extra></extra>"
        )
        fig.add_trace(
            go.Scattergeo(
                lon=xy[:, 0].tolist(),
                lat=xy[:, 1].tolist(),
                mode="lines",
                fill="toself",
                fillcolor=_rgba(colour, 0.10),
                line={"color": colour, "width": 1.5},
                name=f"{unit['id']} ({unit['range_km']:g} km)",
                legendgroup=unit["system"],
                hovertemplate=hover,
            )
        )
    for gate in record["gates"]:
        points = np.asarray(catalog.gate(gate["id"]).points)
        fig.add_trace(
            go.Scattergeo(
                lon=points[:, 1].tolist(),
                lat=points[:, 0].tolist(),
                mode="lines",
                line={"color": GATE, "width": 3, "dash": "dash"},
                name=gate["name"],
                legendgroup="gates",
                showlegend=False,
                hovertemplate=(
                    f"<b>{gate['name']}</b><br>{gate['length_km']:.0f} km<br>"
                    f"reached by ≥1: {gate['covered_fraction']:.0%}<br>"
                    f"≥2: {gate['covered_fraction_2plus']:.0%}<extra></extra>"
                ),
            )
        )
    places = _places_in(coverage, extent)
    fig.add_trace(
        go.Scattergeo(
            lon=[p["lon"] for p in places],
            lat=[p["lat"] for p in places],
            mode="markers+text",
            text=[short_name(p["name"]) for p in places],
            textposition="top right",
            textfont={"size": 10, "color": PLACE},
            marker={"size": 5, "color": PLACE},
            name="reference places",
            customdata=[
                [
                    p["nearest_unit"] or "none",
                    "" if p["distance_km"] is None else f"{p['distance_km']:.0f}",
                    ", ".join(p["reached_by"]) or "none",
                ]
                for p in places
            ],
            hovertemplate=(
                "<b>%{text}</b><br>nearest unit %{customdata[0]} "
                "(%{customdata[1]} km)<br>reached by: %{customdata[2]}<extra></extra>"
            ),
        )
    )
    sites = list(_unit_sites(coverage).values())
    fig.add_trace(
        go.Scattergeo(
            lon=[s["lon"] for s in sites],
            lat=[s["lat"] for s in sites],
            mode="markers+text",
            text=[short_name(s["name"]) for s in sites],
            textposition="bottom right",
            textfont={"size": 11, "color": "black"},
            marker={
                "symbol": "triangle-up",
                "size": 10,
                "color": "black",
                "line": {"color": "white", "width": 1},
            },
            name="unit sites",
            customdata=[", ".join(s["units"]) for s in sites],
            hovertemplate="<b>%{text}</b><br>%{customdata}<extra></extra>",
        )
    )
    fig.update_geos(
        # Every base-map layer off: plotly would fetch them as topojson from a CDN.
        showland=False,
        showocean=False,
        showlakes=False,
        showrivers=False,
        showcountries=False,
        showcoastlines=False,
        showsubunits=False,
        showframe=True,
        bgcolor=SEA,
        projection_type="azimuthal equal area",
        projection_rotation={"lon": (lon_min + lon_max) / 2, "lat": (lat_min + lat_max) / 2},
        lonaxis_range=[lon_min, lon_max],
        lataxis_range=[lat_min, lat_max],
        lonaxis_showgrid=True,
        lataxis_showgrid=True,
        lonaxis_dtick=5,
        lataxis_dtick=5,
        lonaxis_gridcolor="white",
        lataxis_gridcolor="white",
    )
    fig.update_layout(
        title={
            "text": f"Reach of the {record['year']} posture ({record['status']}, "
            f"{record['range_case']} ranges): sea reached "
            f"{record['union']['sea_area_km2']:,.0f} km²",
            "x": 0.5,
        },
        height=820,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        paper_bgcolor="white",
        legend={"font": {"size": 10}, "bgcolor": "rgba(255,255,255,0.85)"},
        annotations=[
            {
                "text": f"{source_line()}. Ranges, sites, postures: nansei catalog."
                + (f"<br>{footer_text(provenance)}" if provenance else ""),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": -0.03,
                "showarrow": False,
                "font": {"size": 10, "color": "#555555"},
            }
        ],
    )
    return fig


def coverage_html(
    coverage: Coverage, catalog: Catalog, provenance: Mapping[str, Any] | None = None
) -> str:
    """A self-contained HTML page: plotly.js inlined from the installed package, no CDN."""
    fig = coverage_figure(coverage, catalog, provenance)
    return fig.to_html(
        include_plotlyjs=True,
        full_html=True,
        include_mathjax=False,
        config={"displaylogo": False, "responsive": True},
        div_id="nansei-coverage-map",
    )


def write_html(
    coverage: Coverage,
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    _write_atomic(path, coverage_html(coverage, catalog, provenance).encode("utf-8"))
