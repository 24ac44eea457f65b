"""Reach and coverage on real coastlines (docs/model.md §2).

Geodesy on WGS84 (Karney 2013 via PROJ), GSHHG-h land (Wessel & Smith 1996) and the
coverage of a posture year. Pure models: nothing here prints, reads configuration or
writes files, except the land cache in the user cache directory.
"""

from nansei.geo.coverage import (
    DEPTH_LEVELS,
    RANGE_CASES,
    Coverage,
    ReachIndex,
    UnitReach,
    compute_coverage,
    compute_coverages,
    coverage_record,
    depth_regions,
    posture_units,
    reach_record,
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
from nansei.geo.land import DEFAULT_REGION, Land, LandDataError, Region, load_land

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
    "polyline_track",
    "posture_units",
    "range_disc",
    "reach_record",
    "sea_area_within_km2",
]
