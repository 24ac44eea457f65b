"""Reach and coverage on real coastlines (docs/model.md §2).

Geodesy on WGS84 (Karney 2013 via PROJ), GSHHG-h land (Wessel & Smith 1996) and the
coverage of a posture year. Pure models: nothing here prints, reads configuration or
writes files, except the land cache in the user cache directory.

Names are imported from their submodule on first use, so a point query
(``from nansei.geo import inverse``) loads pyproj and numpy only, not shapely, the
catalog or the coastline code; ``point_inverse`` and ``ReachIndex`` point queries load
neither numpy nor pyproj.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Each public name -> the submodule that defines it.
_HOMES = {
    "nansei.geo.coverage": (
        "DEPTH_LEVELS",
        "Coverage",
        "compute_coverage",
        "compute_coverages",
        "coverage_record",
        "depth_regions",
        "sea_area_within_km2",
    ),
    "nansei.geo.geodesy": (
        "WGS84",
        "check_latlon",
        "destination",
        "distance_km",
        "equal_area_transformer",
        "geodesic_area_km2",
        "geodesic_track",
        "inverse",
        "polyline_track",
        "range_disc",
    ),
    "nansei.geo.karney": ("point_inverse",),
    "nansei.geo.land": ("DEFAULT_REGION", "Land", "LandDataError", "Region", "load_land"),
    "nansei.geo.reach": ("RANGE_CASES", "ReachIndex", "UnitReach", "posture_units", "reach_record"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DEFAULT_REGION",
    "DEPTH_LEVELS",
    "RANGE_CASES",
    "WGS84",
    "Coverage",
    "Land",
    "LandDataError",
    "ReachIndex",
    "Region",
    "UnitReach",
    "check_latlon",
    "compute_coverage",
    "compute_coverages",
    "coverage_record",
    "depth_regions",
    "destination",
    "distance_km",
    "equal_area_transformer",
    "geodesic_area_km2",
    "geodesic_track",
    "inverse",
    "load_land",
    "point_inverse",
    "polyline_track",
    "posture_units",
    "range_disc",
    "reach_record",
    "sea_area_within_km2",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'nansei.geo' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from nansei.geo.coverage import (
        DEPTH_LEVELS,
        Coverage,
        compute_coverage,
        compute_coverages,
        coverage_record,
        depth_regions,
        sea_area_within_km2,
    )
    from nansei.geo.geodesy import (
        WGS84,
        check_latlon,
        destination,
        distance_km,
        equal_area_transformer,
        geodesic_area_km2,
        geodesic_track,
        inverse,
        polyline_track,
        range_disc,
    )
    from nansei.geo.karney import point_inverse
    from nansei.geo.land import DEFAULT_REGION, Land, LandDataError, Region, load_land
    from nansei.geo.reach import RANGE_CASES, ReachIndex, UnitReach, posture_units, reach_record
