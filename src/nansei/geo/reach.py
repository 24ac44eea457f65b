"""Which units of a posture reach a point: positions, ranges and a vectorised geodesic.

A unit reaches every point within its system's range (catalog ``SYSTEM.range_km``,
central value unless another case is asked for) of its site, measured as a WGS84
geodesic (Karney 2013; docs/model.md §2). Ships are placed at their home port. A point
query is one geodesic inverse from the point to every unit and a comparison with range
— no polygon, so ``nansei reach`` needs neither shapely, the coastline, numpy nor PROJ
and starts fast. Areas are in :mod:`nansei.geo.coverage`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nansei.catalog import Catalog, UnknownIdError
from nansei.geo.karney import check_point, point_inverse
from nansei.posture import resolve_posture

if TYPE_CHECKING:  # numpy and PROJ load with the first many-point query
    import numpy as np

__all__ = ["RANGE_CASES", "ReachIndex", "UnitReach", "posture_units", "reach_record"]

#: Which end of a range parameter's [low, high] to use.
RANGE_CASES = ("value", "low", "high")


@dataclass(frozen=True)
class UnitReach:
    """One posture unit placed at its site with the range of its system (km)."""

    id: str
    system: str
    system_name: str
    site: str
    site_name: str
    lat: float
    lon: float
    range_km: float
    platform: str


def posture_units(catalog: Catalog, year: int | str, range_case: str = "value") -> list[UnitReach]:
    """The units of a posture year with positions and ranges (``range_case``: value/low/high).

    Raises :class:`~nansei.catalog.UnknownIdError` for an unknown year or range case.
    """
    if range_case not in RANGE_CASES:
        raise UnknownIdError("range case", range_case, list(RANGE_CASES))
    units = []
    for unit in resolve_posture(catalog, year):
        range_km = {"value": unit.range_km, "low": unit.range_low_km, "high": unit.range_high_km}
        units.append(
            UnitReach(
                id=unit.id,
                system=unit.system,
                system_name=unit.system_name,
                site=unit.site,
                site_name=unit.site_name,
                lat=unit.lat,
                lon=unit.lon,
                range_km=float(range_km[range_case]),
                platform=unit.platform,
            )
        )
    return units


class ReachIndex:
    """Answers "which units reach this point?" for one posture.

    A point query (:meth:`reach`, :meth:`distances_km`) solves one geodesic per unit in
    plain Python (:func:`~nansei.geo.karney.point_inverse`, Karney 2013; ~30 µs each),
    so ``nansei reach`` loads neither numpy nor PROJ. Many points at once
    (:meth:`slack_km`, :meth:`counts`) are one vectorised inverse through PROJ.
    ``margin_km`` = range − distance (≥ 0 for a unit that reaches).
    """

    def __init__(
        self, units: Sequence[UnitReach], year: int | None = None, range_case: str = "value"
    ):
        self.units = tuple(units)
        self.year = year
        self.range_case = range_case

    @functools.cached_property
    def lats(self) -> np.ndarray:
        import numpy as np

        return np.array([u.lat for u in self.units], dtype=float)

    @functools.cached_property
    def lons(self) -> np.ndarray:
        import numpy as np

        return np.array([u.lon for u in self.units], dtype=float)

    @functools.cached_property
    def ranges_km(self) -> np.ndarray:
        import numpy as np

        return np.array([u.range_km for u in self.units], dtype=float)

    @classmethod
    def for_posture(
        cls, catalog: Catalog, year: int | str, range_case: str = "value"
    ) -> ReachIndex:
        units = posture_units(catalog, year, range_case)
        return cls(units, year=catalog.posture(year).year, range_case=range_case)

    def _distances(self, lat: float, lon: float) -> list[float]:
        check_point(lat, lon)
        return [point_inverse(lat, lon, u.lat, u.lon)[0] for u in self.units]

    def distances_km(self, lat: float, lon: float) -> np.ndarray:
        """Geodesic distance from (lat, lon) to every unit, km (unit order)."""
        import numpy as np

        return np.array(self._distances(lat, lon), dtype=float)

    def reach(self, lat: float, lon: float) -> list[dict[str, Any]]:
        """The units reaching (lat, lon), most margin first: unit, system, site, km figures."""
        distances = self._distances(lat, lon)
        margins = [u.range_km - d for u, d in zip(self.units, distances, strict=True)]
        order = sorted(range(len(self.units)), key=lambda i: -margins[i])  # stable
        return [
            {
                "unit": self.units[i].id,
                "system": self.units[i].system,
                "site": self.units[i].site,
                "distance_km": round(distances[i], 3),
                "margin_km": round(margins[i], 3),
            }
            for i in order
            if margins[i] >= 0.0
        ]

    def slack_km(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """distance − range for every (point, unit), km; shape (n_points, n_units).

        Negative where the unit reaches the point.
        """
        import numpy as np

        from nansei.geo.geodesy import WGS84

        lats = np.asarray(lats, dtype=float).ravel()
        lons = np.asarray(lons, dtype=float).ravel()
        n_points, n_units = lats.size, len(self.units)
        if n_units == 0 or n_points == 0:
            return np.empty((n_points, n_units))
        _az, _back, metres = WGS84.inv(
            np.repeat(lons, n_units),
            np.repeat(lats, n_units),
            np.tile(self.lons, n_points),
            np.tile(self.lats, n_points),
        )
        return np.asarray(metres).reshape(n_points, n_units) / 1000.0 - self.ranges_km

    def counts(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """How many units reach each point (vectorised over points)."""
        return (self.slack_km(lats, lons) <= 0.0).sum(axis=1)


def reach_record(index: ReachIndex, lat: float, lon: float) -> dict[str, Any]:
    """Contract of ``nansei reach LAT LON --year Y --json``."""
    return {
        "lat": lat,
        "lon": lon,
        "year": index.year,
        "range_case": index.range_case,
        "reached_by": index.reach(lat, lon),
    }
