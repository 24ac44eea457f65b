"""From a scenario and the catalog to the numbers a campaign run needs (MODEL.md §5).

Resolves the posture (catalog year or explicit units) into unit positions, ranges and
missile parameters; each threat group into ships (catalog classes), speed and a
geodesic track origin → gate crossing → destination on WGS84 (:mod:`nansei.geo`);
and which stretches of each track every unit reaches. Pure: no files, no printing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nansei.catalog import Catalog
from nansei.geo import distance_km, polyline_track
from nansei.scenario import Doctrine, Scenario, check_against_catalog, scenario_hash
from nansei.survival import SurvivalParams

__all__ = ["CampaignSetup", "GroupSetup", "UnitSetup", "build_setup", "KM_PER_NMI"]

#: One international nautical mile, km (exact by definition).
KM_PER_NMI = 1.852

#: Track sampling, km. Range is checked at these points, so a stretch in range is known
#: to within this length (a 200 km range disc is never missed or overstated by more).
TRACK_SPACING_KM = 1.0


@dataclass(frozen=True)
class UnitSetup:
    """One defending unit: where, what it fires, how many launchers and missiles."""

    id: str
    system: str
    lat: float
    lon: float
    range_km: float
    launchers: int
    missiles_per_launcher: int
    reload_stock: int
    platform: str
    reliability: float
    p_hit: float


@dataclass(frozen=True)
class GroupSetup:
    """One kind of surface action group with its track and the units that reach it."""

    id: str
    class_ids: tuple[str, ...]  # one entry per ship, in composition order
    arrivals_per_day: float
    speed_kmh: float
    track_lats: np.ndarray
    track_lons: np.ndarray
    track_km: np.ndarray  # cumulative km along the track, from 0 to length_km
    in_range: np.ndarray  # (units, track points) bool: the unit reaches that point
    turn_back_at: float | None

    @property
    def length_km(self) -> float:
        return float(self.track_km[-1])

    @property
    def passage_h(self) -> float:
        return self.length_km / self.speed_kmh

    @property
    def ships(self) -> int:
        return len(self.class_ids)

    def reach_counts(self) -> np.ndarray:
        """(units, points + 1) running count of in-range points, for interval queries."""
        counts = np.zeros((self.in_range.shape[0], self.in_range.shape[1] + 1), dtype=np.int32)
        np.cumsum(self.in_range, axis=1, out=counts[:, 1:])
        return counts


@dataclass(frozen=True)
class CampaignSetup:
    """Everything a run needs, resolved from a scenario and the (overridden) catalog."""

    scenario: Scenario
    scenario_hash: str
    year: int | None
    catalog: Catalog  # with the scenario's overrides applied
    units: tuple[UnitSetup, ...]
    groups: tuple[GroupSetup, ...]
    survival: SurvivalParams
    p_cue: float  # effective, per opportunity, joint-HQ factor applied and capped at 1
    doctrine: Doctrine
    time_step_h: float
    days: float

    @property
    def horizon_h(self) -> float:
        """Arrivals stop at ``days``; the run goes on until the last group could finish."""
        longest = max((group.passage_h for group in self.groups), default=0.0)
        return self.days * 24.0 + longest

    @property
    def steps(self) -> int:
        return math.ceil(self.horizon_h / self.time_step_h - 1e-9) + 1


def _point_along(points: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` of the polyline's geodesic length."""
    lats, lons, km = polyline_track(points, 0.25)
    target = fraction * km[-1]
    return float(np.interp(target, km, lats)), float(np.interp(target, km, lons))


def _place(catalog: Catalog, place) -> tuple[float, float]:
    if isinstance(place, str):
        site = catalog.site(place)
        return site.lat, site.lon
    return float(place[0]), float(place[1])


def effective_p_cue(scenario: Scenario, catalog: Catalog) -> float:
    """``p_cue`` per opportunity: the scenario's, unless ``isr.p_cue`` is overridden or the
    scenario leaves it to the catalog; times ``isr.joint_hq_cue_factor`` with the joint
    headquarters, capped at 1."""
    if scenario.isr.p_cue is None or "isr.p_cue" in scenario.overrides:
        base = catalog.value("isr.p_cue")
    else:
        base = scenario.isr.p_cue
    if scenario.isr.joint_hq:
        base *= catalog.value("isr.joint_hq_cue_factor")
    return min(1.0, base)


def _units(scenario: Scenario, catalog: Catalog) -> tuple[UnitSetup, ...]:
    if scenario.posture.year is not None:
        raw = [
            {**unit.model_dump(exclude={"sources", "note"}), "position": None}
            for unit in catalog.posture(scenario.posture.year).units
        ]
    else:
        raw = [unit.model_dump() for unit in scenario.posture.units or []]
    units = []
    for unit in raw:
        lat, lon = _place(catalog, unit["site"] if unit["site"] else unit["position"])
        system = unit["system"]
        units.append(
            UnitSetup(
                id=unit["id"],
                system=system,
                lat=lat,
                lon=lon,
                range_km=catalog.value(f"{system}.range_km"),
                launchers=int(unit["launchers"]),
                missiles_per_launcher=int(unit["missiles_per_launcher"]),
                reload_stock=int(unit["reload_stock"]),
                platform=unit["platform"],
                reliability=catalog.value(f"{system}.reliability"),
                p_hit=catalog.value(f"{system}.p_hit"),
            )
        )
    return tuple(units)


def build_setup(scenario: Scenario, catalog: Catalog, source: str = "") -> CampaignSetup:
    """Resolve ``scenario`` against ``catalog`` (raises ``ScenarioError`` on bad references)."""
    effective = check_against_catalog(scenario, catalog, source)
    units = _units(scenario, effective)
    default_speed_kn = effective.value("pla-sag.speed_kn")
    groups = []
    for group in scenario.threat.groups:
        crossing = _point_along(list(effective.gate(group.gate).points), group.crossing)
        route = [_place(effective, group.origin), crossing, _place(effective, group.destination)]
        lats, lons, km = polyline_track(route, TRACK_SPACING_KM)
        if units:
            unit_lat = np.array([[u.lat] for u in units])
            unit_lon = np.array([[u.lon] for u in units])
            reach = np.array([[u.range_km] for u in units])
            in_range = distance_km(unit_lat, unit_lon, lats[None, :], lons[None, :]) <= reach
        else:
            in_range = np.zeros((0, lats.size), dtype=bool)
        class_ids = tuple(
            class_id for class_id, count in group.composition.items() for _ in range(count)
        )
        speed_kn = group.speed_kn if group.speed_kn is not None else default_speed_kn
        groups.append(
            GroupSetup(
                id=group.id,
                class_ids=class_ids,
                arrivals_per_day=group.arrivals_per_day,
                speed_kmh=speed_kn * KM_PER_NMI,
                track_lats=lats,
                track_lons=lons,
                track_km=km,
                in_range=np.asarray(in_range, dtype=bool),
                turn_back_at=group.turn_back_at,
            )
        )
    return CampaignSetup(
        scenario=scenario,
        scenario_hash=scenario_hash(scenario),
        year=scenario.posture.year,
        catalog=effective,
        units=units,
        groups=tuple(groups),
        survival=SurvivalParams.from_catalog(effective),
        p_cue=effective_p_cue(scenario, effective),
        doctrine=scenario.doctrine,
        time_step_h=scenario.time_step_h,
        days=scenario.days,
    )
