"""What a posture year reaches: per-unit and union areas, depth, gates, places, point queries.

Method (docs/model.md §2):

* A unit reaches every point within its system's range (catalog ``SYSTEM.range_km``,
  central value unless another case is asked for) of its site, measured as a WGS84
  geodesic (Karney 2013 via PROJ). Ships are placed at their home port.
* Areas: a unit's disc area is the ellipsoidal area of its 720-vertex geodesic disc
  (:func:`~nansei.geo.geodesy.geodesic_area_km2`). Land inside a disc, union and
  depth regions are computed in a Lambert azimuthal equal-area plane centred on the
  land region (equal-area on the ellipsoid, so plane areas are ellipsoidal areas),
  against GSHHG-h land (:mod:`nansei.geo.land`). Sea = area − land.
* Depth: the region reached by ≥ k units, from the arrangement of all disc
  boundaries (each face of the noded boundaries is counted once).
* Gates: the geodesic polyline is sampled every ``GATE_SPACING_KM`` and, within each
  step, the point where a unit's range is crossed is found by linear interpolation of
  (distance − range); the covered length is exact to well under 10 m.
* Which units reach a point, and the units' positions and ranges, are
  :mod:`nansei.geo.reach` (:class:`~nansei.geo.reach.ReachIndex`): a vectorised
  geodesic inverse from the point to every unit and a comparison with range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import Polygon
from shapely.geometry.base import BaseGeometry

from nansei.catalog import SITE_SIDES, Catalog, Gate
from nansei.geo.geodesy import (
    geodesic_area_km2,
    polyline_track,
    range_disc,
)
from nansei.geo.land import DEFAULT_REGION, Land, Region, load_land, source_line
from nansei.geo.reach import ReachIndex, UnitReach, posture_units

#: Vertices of each range disc (docs/model.md §2 asks for ≥ 360).
DISC_VERTICES = 720

#: Sampling step along a gate; crossings are interpolated within each step.
GATE_SPACING_KM = 1.0

#: Depth levels reported: areas reached by ≥ 1, ≥ 2 and ≥ 3 units.
DEPTH_LEVELS = (1, 2, 3)


# -- gates ----------------------------------------------------------------------


def covered_lengths_km(
    slack_km: np.ndarray, cumulative_km: np.ndarray, levels: Sequence[int] = (1, 2)
) -> list[float]:
    """Length of a sampled track reached by at least k units, for each k in ``levels``, km.

    ``slack_km`` is distance − range at each sample (rows) for each unit (columns);
    within a step a unit covers a prefix, a suffix, all or none of it, with the
    crossing found by linear interpolation of the slack. Counting units on the
    sub-intervals between all crossings gives exact ≥ k lengths up to that interpolation.
    """
    steps = np.diff(cumulative_km)
    if slack_km.shape[1] == 0 or steps.size == 0:
        return [0.0 for _ in levels]
    f0, f1 = slack_km[:-1], slack_km[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.clip(np.where(f0 != f1, f0 / (f0 - f1), 0.0), 0.0, 1.0)
    inside0, inside1 = f0 <= 0.0, f1 <= 0.0
    # Covered sub-interval [start, end] of each step, in step fractions; empty when start > end.
    start = np.where(inside0, 0.0, np.where(inside1, crossing, 1.0))
    end = np.where(inside1, 1.0, np.where(inside0, crossing, 0.0))
    empty = ~inside0 & ~inside1
    start = np.where(empty, 1.0, start)
    end = np.where(empty, 0.0, end)
    edges = np.sort(
        np.concatenate([np.zeros((len(steps), 1)), np.ones((len(steps), 1)), start, end], axis=1),
        axis=1,
    )
    edges = np.clip(edges, 0.0, 1.0)
    widths = np.diff(edges, axis=1)
    middles = (edges[:, :-1] + edges[:, 1:]) / 2.0
    count = (
        (start[:, None, :] <= middles[:, :, None]) & (middles[:, :, None] <= end[:, None, :])
    ).sum(axis=2)
    return [float(((count >= k) * widths).sum(axis=1) @ steps) for k in levels]


def gate_record(
    index: ReachIndex, gate: Gate, spacing_km: float = GATE_SPACING_KM
) -> dict[str, Any]:
    """Length of a gate (geodesic polyline, km) and the fractions reached by ≥ 1 and ≥ 2 units."""
    lats, lons, cumulative = polyline_track(gate.points, spacing_km)
    length_km = float(cumulative[-1])
    one, two = covered_lengths_km(index.slack_km(lats, lons), cumulative, (1, 2))
    scale = 1.0 / length_km if length_km > 0 else 0.0
    return {
        "id": gate.id,
        "name": gate.name,
        "length_km": round(length_km, 3),
        "covered_fraction": round(min(one * scale, 1.0), 4),
        "covered_fraction_2plus": round(min(two * scale, 1.0), 4),
    }


# -- areas ----------------------------------------------------------------------


def depth_regions(
    discs: Sequence[BaseGeometry], levels: Sequence[int] = DEPTH_LEVELS
) -> dict[int, BaseGeometry]:
    """Region covered by ≥ k of the given polygons, for each k (same plane as the input).

    The disc boundaries are noded and polygonised into faces; each face's count is the
    number of discs holding a point inside it. ≥ 1 is the plain union.
    """
    empty = shapely.Polygon()
    if len(discs) == 0:
        return {k: empty for k in levels}
    discs_arr = np.asarray(discs, dtype=object)
    regions = {k: empty for k in levels}
    for k in levels:
        if k <= 1:
            regions[k] = shapely.union_all(discs_arr)
    deeper = [k for k in levels if k > 1]
    if deeper and len(discs_arr) > 1:
        noded = shapely.union_all(shapely.get_exterior_ring(discs_arr))
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
        probes = shapely.point_on_surface(faces)
        counts = shapely.contains(discs_arr[:, None], probes[None, :]).sum(axis=0)
        for k in deeper:
            chosen = faces[counts >= k]
            regions[k] = shapely.union_all(chosen) if chosen.size else empty
    return regions


def _region_for(discs_lonlat: Sequence[Polygon]) -> Region:
    """The default region, grown (in 5° steps) until it holds every disc."""
    if not discs_lonlat:
        return DEFAULT_REGION
    bounds = shapely.total_bounds(np.asarray(discs_lonlat, dtype=object))
    bounds_t = (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
    if DEFAULT_REGION.contains_bounds(bounds_t):
        return DEFAULT_REGION
    return DEFAULT_REGION.expanded_to(bounds_t)


@dataclass
class Coverage:
    """Coverage of one posture year: geometry for maps plus the JSON-contract numbers."""

    year: int
    label: str
    status: str
    range_case: str
    units: list[UnitReach]
    land: Land
    discs: list[Polygon]  # lon/lat
    disc_area_km2: list[float]
    unit_land_area_km2: list[float]
    depth_projected: dict[int, BaseGeometry]  # equal-area plane, metres
    depth_area_km2: dict[int, float]
    depth_land_area_km2: dict[int, float]
    gates: list[dict[str, Any]]
    places: list[dict[str, Any]]
    index: ReachIndex = field(repr=False)

    def depth_lonlat(self, k: int) -> BaseGeometry:
        """The region reached by ≥ k units, in lon/lat degrees (for maps)."""
        return self.land.unproject(self.depth_projected[k])

    def record(self) -> dict[str, Any]:
        """The contract of ``nansei coverage --year Y --json`` (docs/geo.md)."""
        units = []
        for unit, disc_km2, land_km2 in zip(
            self.units, self.disc_area_km2, self.unit_land_area_km2, strict=True
        ):
            units.append(
                {
                    "id": unit.id,
                    "system": unit.system,
                    "site": unit.site,
                    "range_km": unit.range_km,
                    "disc_area_km2": round(disc_km2, 1),
                    "sea_area_km2": round(max(disc_km2 - land_km2, 0.0), 1),
                    "land_area_km2": round(land_km2, 1),
                    "lat": unit.lat,
                    "lon": unit.lon,
                    "platform": unit.platform,
                }
            )
        depth = [
            {
                "min_units": k,
                "area_km2": round(self.depth_area_km2[k], 1),
                "sea_area_km2": round(
                    max(self.depth_area_km2[k] - self.depth_land_area_km2[k], 0.0), 1
                ),
                "land_area_km2": round(self.depth_land_area_km2[k], 1),
            }
            for k in sorted(self.depth_area_km2)
        ]
        union = (
            depth[0]
            if depth and depth[0]["min_units"] == 1
            else {"area_km2": 0.0, "sea_area_km2": 0.0, "land_area_km2": 0.0}
        )
        return {
            "year": self.year,
            "label": self.label,
            "status": self.status,
            "range_case": self.range_case,
            "units": units,
            "union": {
                "sea_area_km2": union["sea_area_km2"],
                "land_area_km2": union["land_area_km2"],
                "area_km2": union["area_km2"],
                "depth": depth,
            },
            "gates": self.gates,
            "places": self.places,
            "places_reached": places_reached(self.places),
            "land": {
                "source": source_line(),
                "data_version": self.land.version,
                "region": list(self.land.region.bounds),
                "lakes": "counted as land",
            },
        }


def places_reached(places: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Places reached, by side: ``{"threat": {"reached", "of"}, "own": ..., "other": ...}``.

    Only ``threat`` places measure what a posture can hold at risk; Japan's own and
    allied bases and cities are inside its own reach by construction.
    """
    tally = {side: {"reached": 0, "of": 0} for side in SITE_SIDES}
    for place in places:
        entry = tally[place["side"]]
        entry["of"] += 1
        entry["reached"] += bool(place["reached_by"])
    return tally


def place_records(catalog: Catalog, index: ReachIndex) -> list[dict[str, Any]]:
    """Every reference place (site kind "place"): nearest unit, its distance, who reaches it."""
    records = []
    for site in catalog.sites.values():
        if site.kind != "place":
            continue
        distances = index.distances_km(site.lat, site.lon)
        if distances.size:
            nearest = int(np.argmin(distances))
            nearest_unit: str | None = index.units[nearest].id
            nearest_km: float | None = round(float(distances[nearest]), 3)
        else:
            nearest_unit, nearest_km = None, None
        reached = [u.id for u, d in zip(index.units, distances, strict=True) if d <= u.range_km]
        records.append(
            {
                "id": site.id,
                "name": site.name,
                "nearest_unit": nearest_unit,
                "distance_km": nearest_km,
                "reached_by": reached,
                "side": site.side,
                "lat": site.lat,
                "lon": site.lon,
            }
        )
    return records


def compute_coverage(
    catalog: Catalog,
    year: int | str,
    range_case: str = "value",
    land: Land | None = None,
    cache_dir: str | None = None,
    levels: Sequence[int] = DEPTH_LEVELS,
) -> Coverage:
    """Coverage of a posture year (see the module docstring for the method).

    ``land`` defaults to GSHHG-h for the default region (100–150 E, 10–50 N), grown
    in 5° steps when a disc reaches past it so that no land is missed; a given
    ``land`` must contain every disc (``ValueError`` otherwise).
    """
    index = ReachIndex.for_posture(catalog, year, range_case)
    posture = catalog.posture(year)
    units = list(index.units)
    discs = [range_disc(u.lat, u.lon, u.range_km, DISC_VERTICES) for u in units]
    if land is None:
        land = load_land(_region_for(discs), cache_dir=cache_dir)
    elif discs and not land.region.contains_bounds(
        tuple(float(b) for b in shapely.total_bounds(np.asarray(discs, dtype=object)))
    ):
        raise ValueError(f"the land region {land.region.bounds} does not contain every disc")
    disc_area = [geodesic_area_km2(d) for d in discs]
    projected = [land.project(d) for d in discs]
    unit_land = [land.land_area_km2(p) for p in projected]
    regions = depth_regions(projected, levels)
    depth_area = {k: float(shapely.area(g)) / 1e6 for k, g in regions.items()}
    depth_land = {k: land.land_area_km2(g) for k, g in regions.items()}
    gates = [gate_record(index, gate) for gate in catalog.gates.values()]
    return Coverage(
        year=posture.year,
        label=posture.label,
        status=posture.status,
        range_case=range_case,
        units=units,
        land=land,
        discs=discs,
        disc_area_km2=disc_area,
        unit_land_area_km2=unit_land,
        depth_projected=regions,
        depth_area_km2=depth_area,
        depth_land_area_km2=depth_land,
        gates=gates,
        places=place_records(catalog, index),
        index=index,
    )


def compute_coverages(
    catalog: Catalog,
    years: Sequence[int | str],
    range_case: str = "value",
    cache_dir: str | None = None,
) -> list[Coverage]:
    """Coverage of several posture years on one land region (so they compare like for like).

    The region is the default one grown until it holds every disc of every year.
    """
    discs = [
        range_disc(u.lat, u.lon, u.range_km, DISC_VERTICES)
        for year in years
        for u in posture_units(catalog, year, range_case)
    ]
    land = load_land(_region_for(discs), cache_dir=cache_dir)
    return [compute_coverage(catalog, year, range_case, land=land) for year in years]


def coverage_record(
    catalog: Catalog, year: int | str, range_case: str = "value", cache_dir: str | None = None
) -> dict[str, Any]:
    """The JSON contract of ``nansei coverage --year Y --json`` as a plain dict."""
    return compute_coverage(catalog, year, range_case, cache_dir=cache_dir).record()


def sea_area_within_km2(
    lat: float, lon: float, radius_km: float, land: Land | None = None
) -> float:
    """Sea area within ``radius_km`` geodesic km of a point: disc area − GSHHG-h land, km²."""
    disc = range_disc(lat, lon, radius_km, DISC_VERTICES)
    if land is None:
        land = load_land(_region_for([disc]))
    return geodesic_area_km2(disc) - land.land_area_km2(land.project(disc))
