"""Maps of coverage: GeoJSON, publication figures (matplotlib), offline HTML (plotly).

Everything here draws or serialises a :class:`nansei.geo.Coverage`; nothing computes
reach. Files are written atomically (:mod:`nansei.results`): a temporary file beside the
target, renamed into place, so a reader never sees half a file.

Static maps (PNG, SVG or PDF, chosen by the file's extension) show, on every panel:
land (GSHHG-h), the sea shaded by how many units reach it (≥ 1, ≥ 2, ≥ 3), each unit's
range ring coloured by missile system, unit sites, straits, reference places (own,
threat-side and third-party marked apart), a scale bar, and a source line under the
figure. Legends group units by system and list every strait with its coverage.

Labels never overlap. After the layout is fixed, :func:`place_labels` places each
label in priority order (unit sites, straits, threat-side places, other places) at the
first of a ring of candidate positions around its anchor — 8 directions at growing
distances, in points — whose box (measured by the renderer) stays inside the panel and
clears every label already placed, every marker and the scale bar. A label placed
away from its anchor gets a thin leader line. A label with no free position is left
off and counted in the source line; none is on the bundled maps (tested).

The HTML map is fully offline: plotly.js is inlined from the installed ``plotly``
package, and the land is GSHHG-h drawn as ordinary filled traces, so plotly's own
base map (a topojson file it would fetch from a CDN) is switched off.
"""

from __future__ import annotations

import errno
import html as html_lib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from nansei.catalog import Catalog
from nansei.figure_files import check_dpi, figure_bytes, figure_format, write_bytes_file
from nansei.geo.coverage import Coverage
from nansei.geo.geodesy import destination
from nansei.geo.land import source_line
from nansei.provenance import footer_text

SEA = "#dde9f3"
LAND = "#efece2"
COAST = "#8c8c80"
GATE = "#b2182b"
PLACE = "#4d4d4d"
THREAT = "#8b0000"
#: Sea reached by ≥ 1, ≥ 2, ≥ 3 units: a sequential blue ramp (ColorBrewer Blues).
DEPTH_FILLS = ("#c6dbef", "#6baed6", "#2171b5")
DEPTH_ALPHA = 0.55
#: Colour-blind-safe qualitative palette (Okabe & Ito 2008), assigned to systems in catalog order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")

GEOJSON_DECIMALS = 5  # ~1 m: far finer than anything the model resolves
DEFAULT_DPI = 150

#: Candidate label offsets (points): 8 directions, nearest ring first.
LABEL_DIRECTIONS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
LABEL_RADII_PT = (3.0, 7.0, 12.0, 18.0, 26.0, 36.0, 48.0, 62.0)


# -- shared helpers ---------------------------------------------------------------


def _write_atomic(path: Path | str, data: bytes) -> None:
    """Write bytes to ``path`` via a temporary file in the same directory and a rename.

    A map goes where the user pointed; a missing directory is an error, not created.
    """
    parent = Path(path).parent
    if not parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such directory", str(parent))
    write_bytes_file(path, data)


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


def _polygons(geometry: BaseGeometry) -> list[BaseGeometry]:
    parts = shapely.get_parts(geometry)
    return [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]


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


def _gate_midpoint(catalog: Catalog, gate_id: str) -> tuple[float, float]:
    """(lat, lon) of the middle of a gate's polyline (by vertex), for its label."""
    points = np.asarray(catalog.gate(gate_id).points, dtype=float)
    if len(points) % 2:
        lat, lon = points[len(points) // 2]
    else:
        lat, lon = points[len(points) // 2 - 1 : len(points) // 2 + 1].mean(axis=0)
    return float(lat), float(lon)


def _systems_by_year(coverages: Sequence[Coverage]) -> dict[str, dict[str, Any]]:
    """Per system: its range (km) and how many units each year fields."""
    systems: dict[str, dict[str, Any]] = {}
    for coverage in coverages:
        for unit in coverage.units:
            entry = systems.setdefault(
                unit.system,
                {"name": unit.system_name, "range_km": unit.range_km, "units": {}},
            )
            entry["units"][coverage.year] = entry["units"].get(coverage.year, 0) + 1
    return systems


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
    (with covered fractions) and ``place`` (with who reaches it and its side).
    ``provenance`` (see :mod:`nansei.provenance`) goes into the collection's ``nansei``
    member.
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


# -- label placement -----------------------------------------------------------------


@dataclass
class LabelRequest:
    """A label to place near an anchor (lon, lat): text and its style."""

    text: str
    lon: float
    lat: float
    style: dict[str, Any]
    priority: int = 0


def _overlaps(box: Any, boxes: Sequence[Any], pad: float) -> bool:
    for other in boxes:
        if (
            box.x0 < other.x1 + pad
            and other.x0 < box.x1 + pad
            and box.y0 < other.y1 + pad
            and other.y0 < box.y1 + pad
        ):
            return True
    return False


def place_labels(
    ax: Any,
    requests: Sequence[LabelRequest],
    renderer: Any,
    obstacles: list[Any],
    marker_px: float = 7.0,
) -> tuple[list[Any], int]:
    """Place labels without overlap (the placement pass described in the module docstring).

    ``obstacles`` holds display-space boxes already taken (e.g. the scale bar); placed
    label boxes are appended to it, so several calls on one panel share it. Returns the
    placed text artists and how many labels found no free position.
    """
    from matplotlib.transforms import Bbox

    inside = ax.get_window_extent(renderer)
    points_to_px = renderer.points_to_pixels(1.0)
    anchors = [ax.transData.transform((r.lon, r.lat)) for r in requests]
    half = marker_px * points_to_px / 2.0
    markers = [Bbox.from_extents(x - half, y - half, x + half, y + half) for x, y in anchors]
    pad = 1.0 * points_to_px
    placed: list[Any] = []
    omitted = 0
    order = sorted(range(len(requests)), key=lambda i: requests[i].priority)
    for i in order:
        request = requests[i]
        text = ax.annotate(
            request.text,
            (request.lon, request.lat),
            xytext=(0, 0),
            textcoords="offset points",
            annotation_clip=False,
            in_layout=False,
            **request.style,
        )
        others = [m for j, m in enumerate(markers) if j != i]
        chosen = None
        for radius in LABEL_RADII_PT:
            for dx, dy in LABEL_DIRECTIONS:
                norm = math.hypot(dx, dy)
                offset = (radius * dx / norm, radius * dy / norm)
                text.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
                text.set_verticalalignment("bottom" if dy > 0 else "top" if dy < 0 else "center")
                text.xyann = offset
                box = text.get_window_extent(renderer)
                if (
                    box.x0 < inside.x0
                    or box.x1 > inside.x1
                    or box.y0 < inside.y0
                    or box.y1 > inside.y1
                ):
                    continue
                if _overlaps(box, obstacles, pad) or _overlaps(box, others, 0.0):
                    continue
                chosen = (radius, box)
                break
            if chosen:
                break
        if chosen is None:
            text.remove()
            omitted += 1
            continue
        radius, box = chosen
        if radius > LABEL_RADII_PT[1]:
            # A leader line from the anchor to the label's nearest corner or edge.
            ax_x, ax_y = anchors[i]
            near_x = min(max(ax_x, box.x0), box.x1)
            near_y = min(max(ax_y, box.y0), box.y1)
            lon, lat = ax.transData.inverted().transform((near_x, near_y))
            ax.plot(
                [request.lon, lon],
                [request.lat, lat],
                color=request.style.get("color", "black"),
                lw=0.4,
                alpha=0.8,
                zorder=request.style.get("zorder", 6) - 0.5,
            )
        obstacles.append(box)
        placed.append(text)
    return placed, omitted


# -- static figures (matplotlib) -------------------------------------------------------


def _nice_length(km: float) -> float:
    """The largest 1/2/5 × 10^n not above ``km``."""
    exponent = 10 ** math.floor(math.log10(km))
    for step in (5, 2, 1):
        if step * exponent <= km:
            return step * exponent
    return exponent


def _geometry_patch(geometry: BaseGeometry, **style: Any) -> Any:
    """One matplotlib patch for a (multi)polygon, holes kept (even-odd path)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in _polygons(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0] = MplPath.MOVETO
            ring_codes[-1] = MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return None
    return PathPatch(MplPath(np.concatenate(vertices), np.concatenate(codes)), **style)


_LAND_RINGS: dict[tuple[Any, ...], list[np.ndarray]] = {}


def _land_rings(coverage: Coverage, extent: tuple[float, ...]) -> list[np.ndarray]:
    """Land outlines for a static panel, shared by the panels of one figure (same extent)."""
    key = (id(coverage.land), extent)
    if key not in _LAND_RINGS:
        width = extent[2] - extent[0]
        # ~1/1000 of the panel width: below a pixel at 300 dpi on a 7-inch panel.
        land = _land_for_map(coverage, extent, tolerance_deg=width / 1000.0, min_area_deg2=2e-4)
        _LAND_RINGS.clear()  # one figure's worth is enough; never grows
        _LAND_RINGS[key] = [np.asarray(p.exterior.coords) for p in land]
    return _LAND_RINGS[key]


def _draw_panel(
    ax: Any, coverage: Coverage, catalog: Catalog, extent: Sequence[float], colours: dict[str, str]
) -> None:
    from matplotlib.collections import PolyCollection

    lon_min, lat_min, lon_max, lat_max = extent
    ax.set_facecolor(SEA)
    view = shapely.box(*extent).buffer(0.5)
    for level, fill in zip(sorted(coverage.depth_projected), DEPTH_FILLS, strict=False):
        region = shapely.intersection(coverage.depth_lonlat(level), view)
        patch = _geometry_patch(region, facecolor=fill, edgecolor="none", alpha=DEPTH_ALPHA)
        if patch is not None:
            patch.set_zorder(1)
            ax.add_artist(patch)  # not add_patch: the limits are set below, not from data
    rings = _land_rings(coverage, tuple(extent))
    ax.add_collection(
        PolyCollection(rings, facecolors=LAND, edgecolors=COAST, linewidths=0.3, zorder=2)
    )
    for disc, unit in zip(coverage.discs, coverage.units, strict=True):
        xy = np.asarray(disc.exterior.coords)
        ax.plot(xy[:, 0], xy[:, 1], color=colours.get(unit.system, "#444444"), lw=1.2, zorder=3)
    for gate in coverage.gates:
        points = np.asarray(catalog.gate(gate["id"]).points)
        ax.plot(
            points[:, 1],
            points[:, 0],
            color=GATE,
            lw=2.0,
            ls=(0, (3, 1.5)),
            zorder=4,
            solid_capstyle="butt",
        )
    for place in _places_in(coverage, extent):
        if place["side"] == "threat":
            ax.plot(place["lon"], place["lat"], "D", ms=3.2, color=THREAT, zorder=5)
        elif place["side"] == "other":
            ax.plot(place["lon"], place["lat"], "o", ms=3.2, mfc="white", mec=PLACE, zorder=5)
        else:
            ax.plot(place["lon"], place["lat"], "o", ms=3, color=PLACE, zorder=5)
    for site in _unit_sites(coverage).values():
        ax.plot(site["lon"], site["lat"], "^", ms=6, color="black", mec="white", mew=0.6, zorder=7)
    mid_lat = (lat_min + lat_max) / 2.0
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    # Equirectangular with true scale at the middle latitude.
    ax.set_aspect(1.0 / math.cos(math.radians(mid_lat)))
    ax.grid(color="white", lw=0.5, alpha=0.8, zorder=0)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:g}°E")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:g}°N")
    ax.tick_params(labelsize=7)
    record = coverage.record()
    reached = record["places_reached"]["threat"]
    ax.set_title(
        f"{record['year']} ({record['status']}): {len(coverage.units)} units · "
        f"sea reached {record['union']['sea_area_km2'] / 1e6:.2f} M km² · "
        f"threat-side places {reached['reached']}/{reached['of']}",
        fontsize=8.5,
    )


def _label_requests(coverage: Coverage, catalog: Catalog, extent: Sequence[float]) -> list:
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.2, foreground="white", alpha=0.85)]
    lon_min, lat_min, lon_max, lat_max = extent
    requests = []
    for site in sorted(_unit_sites(coverage).values(), key=lambda s: -s["lat"]):
        requests.append(
            LabelRequest(
                short_name(site["name"]),
                site["lon"],
                site["lat"],
                {"fontsize": 6.8, "weight": "bold", "zorder": 8, "path_effects": halo},
                priority=0,
            )
        )
    for gate in coverage.gates:
        lat, lon = _gate_midpoint(catalog, gate["id"])
        if lon_min <= lon <= lon_max and lat_min <= lat <= lat_max:
            requests.append(
                LabelRequest(
                    short_name(gate["name"]),
                    lon,
                    lat,
                    {"fontsize": 6.3, "color": GATE, "zorder": 6, "path_effects": halo},
                    priority=1,
                )
            )
    for place in _places_in(coverage, extent):
        threat = place["side"] == "threat"
        requests.append(
            LabelRequest(
                short_name(place["name"]),
                place["lon"],
                place["lat"],
                {
                    "fontsize": 6.3,
                    "color": THREAT if threat else PLACE,
                    "zorder": 6,
                    "path_effects": halo,
                    "style": "normal" if threat else "italic",
                },
                priority=2 if threat else 3,
            )
        )
    return requests


def _scale_bar(ax: Any, extent: Sequence[float]) -> list[Any]:
    """A geodesic scale bar in the lower left; returns the artists (obstacles for labels)."""
    lon_min, lat_min, lon_max, lat_max = extent
    lat = lat_min + 0.05 * (lat_max - lat_min)
    lon = lon_min + 0.04 * (lon_max - lon_min)
    # How far one degree of longitude goes here, on the geodesic, sets the bar length.
    _lat_end, lon_end = destination(lat, lon, 90.0, 100.0)
    km_per_deg = 100.0 / (float(lon_end) - lon)
    length_km = _nice_length(0.25 * (lon_max - lon_min) * km_per_deg)
    lon_right = lon + length_km / km_per_deg
    (bar,) = ax.plot(
        [lon, lon_right], [lat, lat], color="black", lw=2.5, zorder=9, solid_capstyle="butt"
    )
    label = ax.text(
        (lon + lon_right) / 2,
        lat + 0.012 * (lat_max - lat_min),
        f"{length_km:g} km",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
    )
    return [bar, label]


def _legends(
    legend_axes: Sequence[Any],
    coverages: Sequence[Coverage],
    catalog: Catalog,
    colours: dict[str, str],
) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    years = [c.year for c in coverages]
    systems = _systems_by_year(coverages)
    system_handles = []
    for system, entry in systems.items():
        counts = " · ".join(f"{y}: {entry['units'].get(y, 0)}" for y in years)
        system_handles.append(
            Line2D(
                [],
                [],
                color=colours.get(system, "#444444"),
                lw=2,
                label=f"{entry['name']} — {entry['range_km']:,.0f} km\n  units {counts}",
            )
        )
    depth_handles = [
        Patch(facecolor=fill, alpha=DEPTH_ALPHA, label=f"sea reached by ≥{level} unit(s)")
        for level, fill in zip((1, 2, 3), DEPTH_FILLS, strict=True)
    ]
    depth_handles += [
        Line2D([], [], marker="^", ls="", color="black", label="unit site"),
        Line2D([], [], marker="D", ls="", ms=3.5, color=THREAT, label="threat-side place"),
        Line2D([], [], marker="o", ls="", ms=3.5, color=PLACE, label="own / allied place"),
        Line2D(
            [], [], marker="o", ls="", ms=3.5, mfc="white", mec=PLACE, label="third-party place"
        ),
    ]
    gate_handles = []
    for gate in coverages[0].gates:
        shares = []
        for coverage in coverages:
            match = next(g for g in coverage.gates if g["id"] == gate["id"])
            shares.append(f"{match['covered_fraction']:.0%}/{match['covered_fraction_2plus']:.0%}")
        gate_handles.append(
            Line2D(
                [],
                [],
                color=GATE,
                lw=2,
                ls=(0, (3, 1.5)),
                label=f"{short_name(gate['name'])}: {' → '.join(shares)}",
            )
        )
    span = " → ".join(str(y) for y in years)
    titles = (
        "Range rings by system",
        "Shading and markers",
        f"Straits: reached by ≥1/≥2 units ({span})",
    )
    for ax, handles, title in zip(
        legend_axes, (system_handles, depth_handles, gate_handles), titles, strict=True
    ):
        ax.set_axis_off()
        legend = ax.legend(
            handles=handles,
            loc="upper left",
            fontsize=6.5,
            title=title,
            title_fontsize=7,
            frameon=False,
            borderaxespad=0.0,
            handlelength=2.2,
        )
        legend._legend_box.align = "left"


def coverage_map_figure(
    coverages: Sequence[Coverage],
    catalog: Catalog,
    title: str | None = None,
    dpi: int = 110,
    provenance: Mapping[str, Any] | None = None,
) -> Any:
    """A publication map: one panel per posture year on one extent and one colour key;
    ``provenance`` (see :mod:`nansei.provenance`) adds its footer line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if title is None:
        years = " vs ".join(str(c.year) for c in coverages)
        title = (
            f"Reach compared: {years}" if len(coverages) > 1 else f"Reach of the {years} posture"
        )
    extent = map_extent(coverages)
    lon_span = extent[2] - extent[0]
    lat_span = (extent[3] - extent[1]) / math.cos(math.radians((extent[1] + extent[3]) / 2))
    panels = len(coverages)
    panel_w = 6.0 if panels < 3 or panels == 4 else 4.8
    panel_h = panel_w * lat_span / lon_span
    entries = max(len(_systems_by_year(coverages)) * 2, 7, len(coverages[0].gates))
    legend_h = 0.45 + 0.16 * entries
    if panels == 1:
        # One map: the three legends stacked in a column to its right.
        fig = Figure(figsize=(panel_w + 3.9, panel_h + 1.1), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(3, 2, width_ratios=[panel_w, 3.7])
        map_axes = [fig.add_subplot(grid[:, 0])]
        legend_axes = [fig.add_subplot(grid[i, 1]) for i in range(3)]
    else:
        # Up to three panels in a row; four make a 2 × 2 grid, more fill rows of three;
        # the legends share a row underneath.
        ncols = panels if panels <= 3 else (2 if panels == 4 else 3)
        nrows = math.ceil(panels / ncols)
        width = panel_w * ncols + 0.5
        height = (panel_h + 0.6) * nrows + legend_h + 0.5
        fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(
            nrows + 1, 6 * ncols, height_ratios=[panel_h + 0.6] * nrows + [legend_h]
        )
        map_axes = [
            fig.add_subplot(grid[i // ncols, 6 * (i % ncols) : 6 * (i % ncols) + 6])
            for i in range(panels)
        ]
        legend_axes = [
            fig.add_subplot(grid[nrows, 2 * ncols * i : 2 * ncols * (i + 1)]) for i in range(3)
        ]
    colours = system_colours(catalog)
    scale_artists = {}
    for ax, coverage in zip(map_axes, coverages, strict=True):
        _draw_panel(ax, coverage, catalog, extent, colours)
        scale_artists[id(ax)] = _scale_bar(ax, extent)
    _legends(legend_axes, coverages, catalog, colours)
    fig.suptitle(title, fontsize=11, weight="bold")
    fig.get_layout_engine().set(h_pad=0.04, w_pad=0.04)
    # Keep the source line (two lines with a provenance footer) out of the layout's way.
    footer_in = 0.06 + 0.12 * (2 if provenance else 1)
    fig_h = fig.get_size_inches()[1]
    fig.get_layout_engine().set(rect=(0.0, footer_in / fig_h, 1.0, 1.0 - footer_in / fig_h))
    # Fix the layout (solved without rendering the land), then place labels against the
    # final positions.
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    for ax in map_axes:
        ax.apply_aspect()  # what drawing would do: the equal-scale box inside the layout
    renderer = fig.canvas.get_renderer()
    omitted = 0
    placed_labels = []
    for ax, coverage in zip(map_axes, coverages, strict=True):
        obstacles = [a.get_window_extent(renderer) for a in scale_artists[id(ax)]]
        texts, missed = place_labels(
            ax, _label_requests(coverage, catalog, extent), renderer, obstacles
        )
        placed_labels.append(texts)
        omitted += missed
    note = f" {omitted} label(s) left off for lack of room." if omitted else ""
    fig.text(
        0.5,
        0.004,
        f"{source_line()}. Ranges, sites and postures: nansei catalog "
        f"({coverages[0].range_case} ranges); geodesic discs on WGS84; ships at home port; "
        f"equirectangular, true scale at mid-latitude.{note}"
        + (f"\n{footer_text(provenance)}" if provenance else ""),
        ha="center",
        va="bottom",
        fontsize=6.3,
        color="#555555",
        wrap=True,
    )
    fig.nansei_labels = placed_labels  # for tests: the label artists of each panel
    fig.nansei_omitted_labels = omitted
    return fig


def write_map(
    coverages: Sequence[Coverage] | Coverage,
    catalog: Catalog,
    path: Path | str,
    dpi: int = DEFAULT_DPI,
    title: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """A static map (one posture or several side by side) in the format of ``path``'s
    extension (.png, .svg, .pdf), ``dpi`` dots per inch for raster output."""
    fmt = figure_format(path)
    check_dpi(dpi)
    items = [coverages] if isinstance(coverages, Coverage) else list(coverages)
    fig = coverage_map_figure(items, catalog, title, dpi=dpi, provenance=provenance)
    _write_atomic(path, figure_bytes(fig, fmt, dpi))


def write_png(
    coverage: Coverage,
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
    dpi: int = DEFAULT_DPI,
) -> None:
    """A static map of one posture (format from the extension despite the name)."""
    write_map([coverage], catalog, path, dpi, provenance=provenance)


def write_comparison_png(
    coverages: Sequence[Coverage],
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
    dpi: int = DEFAULT_DPI,
) -> None:
    """Posture years side by side on one extent and one colour key (e.g. 2022 beside 2026)."""
    write_map(coverages, catalog, path, dpi, provenance=provenance)


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


_HTML_LAND: dict[tuple[Any, ...], tuple[list[float | None], ...]] = {}


def _html_land(coverage: Coverage, box: tuple[float, ...]) -> tuple[list[float | None], ...]:
    """Land rings for an HTML map, shared by maps of one extent (years compared)."""
    key = (id(coverage.land), box)
    if key not in _HTML_LAND:
        land = _land_for_map(coverage, box, tolerance_deg=0.01, min_area_deg2=5e-4)
        _HTML_LAND.clear()
        _HTML_LAND[key] = _ring_lists(land)
    return _HTML_LAND[key]


def _source_titles(catalog: Catalog, ids: Sequence[str]) -> str:
    titles = []
    for source_id in ids:
        source = catalog.sources.get(source_id)
        title = source.title if source else source_id
        titles.append(html_lib.escape(title if len(title) <= 70 else title[:67] + "…"))
    return "<br>  ".join(titles) or "none"


def coverage_figure(
    coverage: Coverage,
    catalog: Catalog,
    provenance: Mapping[str, Any] | None = None,
    extent: Sequence[float] | None = None,
) -> Any:
    """A plotly figure (scattergeo traces only; plotly's base map layers are off).

    Legend groups: one per missile system (each unit under its system), the shaded
    depth levels, and the straits with their coverage. Hover on a range ring gives the
    unit, system, range, site and sources.
    """
    import plotly.graph_objects as go

    if extent is None:
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
    for level, fill in zip(sorted(coverage.depth_projected), DEPTH_FILLS, strict=False):
        polygons = _polygons(coverage.depth_lonlat(level))
        if not polygons:
            continue
        lons, lats = _ring_lists(polygons)
        depth = next(d for d in record["union"]["depth"] if d["min_units"] == level)
        fig.add_trace(
            go.Scattergeo(
                lon=lons,
                lat=lats,
                mode="lines",
                fill="toself",
                fillcolor=_rgba(fill, DEPTH_ALPHA),
                line={"width": 0, "color": _rgba(fill, 0.0)},
                name=f"≥{level} unit(s): {depth['sea_area_km2'] / 1e6:.2f} M km² of sea",
                legendgroup="depth",
                legendgrouptitle_text="Sea reached by",
                hoverinfo="skip",
            )
        )
    land_lons, land_lats = _html_land(coverage, land_box)
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
    posture_units = {u.id: u for u in catalog.posture(coverage.year).units}
    systems = _systems_by_year([coverage])
    for disc, unit in zip(coverage.discs, coverage.units, strict=True):
        colour = colours.get(unit.system, "#444444")
        xy = _clockwise_ring(disc)
        sources = posture_units[unit.id].sources if unit.id in posture_units else []
        numbers = next(u for u in record["units"] if u["id"] == unit.id)
        hover = (
            f"<b>{html_lib.escape(unit.id)}</b><br>"
            f"system: {html_lib.escape(unit.system_name)}<br>"
            f"range: {unit.range_km:,.0f} km<br>"
            f"site: {html_lib.escape(unit.site_name)}<br>"
            f"sea reached: {numbers['sea_area_km2']:,.0f} km²<br>"
            f"sources:<br>  {_source_titles(catalog, sources)}<extra></extra>"
        )
        entry = systems[unit.system]
        fig.add_trace(
            go.Scattergeo(
                lon=xy[:, 0].tolist(),
                lat=xy[:, 1].tolist(),
                mode="lines",
                line={"color": colour, "width": 1.6},
                name=short_name(unit.site_name),
                legendgroup=unit.system,
                legendgrouptitle_text=f"{entry['name']} — {entry['range_km']:,.0f} km",
                hovertemplate=hover,
            )
        )
    gate_lons: list[float] = []
    gate_lats: list[float] = []
    gate_text: list[str] = []
    for gate in record["gates"]:
        points = np.asarray(catalog.gate(gate["id"]).points)
        name = short_name(gate["name"])
        label = f"{name}: {gate['covered_fraction']:.0%} / {gate['covered_fraction_2plus']:.0%}"
        fig.add_trace(
            go.Scattergeo(
                lon=points[:, 1].tolist(),
                lat=points[:, 0].tolist(),
                mode="lines",
                line={"color": GATE, "width": 3, "dash": "dash"},
                name=label,
                legendgroup="gates",
                legendgrouptitle_text="Straits: reached by ≥1 / ≥2 units",
                hovertemplate=(
                    f"<b>{html_lib.escape(gate['name'])}</b><br>{gate['length_km']:.0f} km<br>"
                    f"reached by ≥1: {gate['covered_fraction']:.0%}<br>"
                    f"≥2: {gate['covered_fraction_2plus']:.0%}<extra></extra>"
                ),
            )
        )
        lat, lon = _gate_midpoint(catalog, gate["id"])
        if lon_min <= lon <= lon_max and lat_min <= lat <= lat_max:
            gate_lons.append(lon)
            gate_lats.append(lat)
            gate_text.append(f"{name} {gate['covered_fraction']:.0%}")
    fig.add_trace(
        go.Scattergeo(
            lon=gate_lons,
            lat=gate_lats,
            mode="text",
            text=gate_text,
            textposition="middle right",
            textfont={"size": 10, "color": GATE},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    places = _places_in(coverage, extent)
    for side, label, marker in (
        ("threat", "threat-side places", {"size": 7, "color": THREAT, "symbol": "diamond"}),
        ("own", "own / allied places", {"size": 5, "color": PLACE}),
        (
            "other",
            "third-party places",
            {"size": 6, "color": "white", "line": {"color": PLACE, "width": 1}},
        ),
    ):
        chosen = [p for p in places if p["side"] == side]
        if not chosen:
            continue
        fig.add_trace(
            go.Scattergeo(
                lon=[p["lon"] for p in chosen],
                lat=[p["lat"] for p in chosen],
                mode="markers",
                marker=marker,
                name=label,
                legendgroup="places",
                legendgrouptitle_text="Places",
                text=[short_name(p["name"]) for p in chosen],
                customdata=[
                    [
                        p["nearest_unit"] or "none",
                        "" if p["distance_km"] is None else f"{p['distance_km']:.0f}",
                        ", ".join(p["reached_by"]) or "none",
                    ]
                    for p in chosen
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
            mode="markers",
            text=[short_name(s["name"]) for s in sites],
            marker={
                "symbol": "triangle-up",
                "size": 10,
                "color": "black",
                "line": {"color": "white", "width": 1},
            },
            name="unit sites",
            legendgroup="places",
            customdata=[_site_hover(coverage, catalog, s["units"]) for s in sites],
            hovertemplate="<b>%{text}</b><br>%{customdata}<extra></extra>",
        )
    )
    _html_scale_bar(fig, extent)
    reached = record["places_reached"]["threat"]
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
        domain={"x": [0.0, 1.0], "y": [0.0, 1.0]},
    )
    fig.update_layout(
        title={
            "text": f"Reach of the {record['year']} posture ({record['status']}, "
            f"{record['range_case']} ranges): sea reached "
            f"{record['union']['sea_area_km2'] / 1e6:.2f} M km²; threat-side places "
            f"{reached['reached']} of {reached['of']}",
            "x": 0.5,
            "font": {"size": 15},
        },
        autosize=True,
        margin={"l": 5, "r": 5, "t": 45, "b": 30},
        paper_bgcolor="white",
        legend={
            "font": {"size": 11},
            "bgcolor": "rgba(255,255,255,0.85)",
            "groupclick": "toggleitem",
            "tracegroupgap": 6,
        },
        annotations=[
            {
                "text": f"{source_line()}. Ranges, sites, postures: nansei catalog."
                + (f"<br>{footer_text(provenance)}" if provenance else ""),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": -0.035,
                "showarrow": False,
                "font": {"size": 10, "color": "#555555"},
            }
        ],
    )
    return fig


def _site_hover(coverage: Coverage, catalog: Catalog, unit_ids: Sequence[str]) -> str:
    """Each unit at a site: id, system, range and sources (HTML for a hover box)."""
    by_id = {u.id: u for u in coverage.units}
    posture_units = {u.id: u for u in catalog.posture(coverage.year).units}
    lines = []
    for unit_id in unit_ids:
        unit = by_id[unit_id]
        sources = posture_units[unit_id].sources if unit_id in posture_units else []
        lines.append(
            f"{html_lib.escape(unit_id)}: {html_lib.escape(unit.system_name)}, "
            f"{unit.range_km:,.0f} km<br>  sources: {html_lib.escape(', '.join(sources))}"
        )
    return "<br>".join(lines)


def _html_scale_bar(fig: Any, extent: Sequence[float]) -> None:
    """A geodesic bar of a round length near the lower-left corner, as a line trace."""
    import plotly.graph_objects as go

    lon_min, lat_min, lon_max, lat_max = extent
    lat = lat_min + 0.06 * (lat_max - lat_min)
    lon = lon_min + 0.06 * (lon_max - lon_min)
    _lat, lon_100 = destination(lat, lon, 90.0, 100.0)
    km_per_deg = 100.0 / (float(lon_100) - lon)
    length_km = _nice_length(0.2 * (lon_max - lon_min) * km_per_deg)
    end_lat, end_lon = destination(lat, lon, 90.0, length_km)
    fig.add_trace(
        go.Scattergeo(
            lon=[lon, float(end_lon)],
            lat=[lat, float(end_lat)],
            mode="lines+text",
            line={"color": "black", "width": 4},
            text=["", f"{length_km:g} km"],
            textposition="top left",
            textfont={"size": 11},
            name="scale",
            showlegend=False,
            hoverinfo="skip",
        )
    )


PAGE_STYLE = """
body { margin: 0; font-family: system-ui, sans-serif; }
.map { height: 92vh; min-height: 560px; margin-bottom: 8px; }
"""


def coverage_maps_html(
    coverages: Sequence[Coverage], catalog: Catalog, provenance: Mapping[str, Any] | None = None
) -> str:
    """A self-contained page of one or more maps: plotly.js inlined once, no CDN."""
    from plotly.offline import get_plotlyjs

    extent = map_extent(coverages)
    divs = []
    for coverage in coverages:
        div_id = (
            "nansei-coverage-map" if len(coverages) == 1 else f"nansei-coverage-{coverage.year}"
        )
        figure = coverage_figure(coverage, catalog, provenance, extent)
        divs.append(plotly_div(figure, div_id, "map"))
    years = " vs ".join(str(c.year) for c in coverages)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>nansei: reach {html_lib.escape(years)}</title>"
        f"<style>{PAGE_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head>"
        f"<body><div class='maps'>{''.join(divs)}</div></body></html>\n"
    )


def plotly_div(fig: Any, div_id: str, css_class: str = "") -> str:
    """A figure as a ``<div>`` and its drawing script; plotly.js must be on the page."""
    body = fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        include_mathjax=False,
        config={"displaylogo": False, "responsive": True},
        div_id=div_id,
        default_height="100%",
        default_width="100%",
    )
    return f"<div class='{css_class}'>{body}</div>"


def coverage_html(
    coverage: Coverage, catalog: Catalog, provenance: Mapping[str, Any] | None = None
) -> str:
    """A self-contained HTML page of one posture's map (plotly.js inlined, no CDN)."""
    return coverage_maps_html([coverage], catalog, provenance)


def write_html(
    coverage: Coverage | Sequence[Coverage],
    catalog: Catalog,
    path: Path | str,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """An offline HTML map of one posture, or of several side by side."""
    items = [coverage] if isinstance(coverage, Coverage) else list(coverage)
    _write_atomic(path, coverage_maps_html(items, catalog, provenance).encode("utf-8"))
