"""Resolve once, then carry numbers: from a scenario and the catalog to a campaign's setup.

Everything a run reads from the catalog — posture units (through the one posture
resolver, :mod:`nansei.posture`), missile factors, ship classes, engagement, survival and
cueing priors — is read here, once per posture year, with the scenario's overrides
applied, and recorded in :attr:`CampaignSetup.params` (parameter id → value). The models
never see the catalog. Each threat group's track is a geodesic origin → gate crossing →
destination on WGS84 (:mod:`nansei.geo`), and for each unit the stretches of track within
its range are found on the track geometry itself: sampled every
:data:`TRACK_SPACING_KM` and the crossings of the range circle interpolated between
samples. Pure: no files, no printing. See docs/model.md, "Campaign".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nansei.catalog import Catalog
from nansei.combat.forces import Layer, ShipType
from nansei.combat.kernels import pack_attack, pack_fleet
from nansei.geo import distance_km, polyline_track
from nansei.posture import resolve_unit
from nansei.scenario import Doctrine, Scenario, check_against_catalog, scenario_hash
from nansei.survival import SurvivalParams

__all__ = [
    "KM_PER_NMI",
    "TRACK_SPACING_KM",
    "CampaignSetup",
    "GroupSetup",
    "SystemSetup",
    "UnitSetup",
    "build_setup",
    "in_range_stretches_km",
]

#: One international nautical mile, km (exact by definition).
KM_PER_NMI = 1.852

#: Track sampling, km. Range-circle crossings are interpolated between samples, so a
#: stretch's ends are exact to far better than this (the distance is smooth along track).
TRACK_SPACING_KM = 1.0


@dataclass(frozen=True)
class SystemSetup:
    """A missile system's factors on one salvo: reliability, σ, p_hit, allocation."""

    id: str
    reliability: float
    scouting: float
    p_hit: float

    @property
    def attack(self) -> np.ndarray:
        return pack_attack(self.reliability, self.scouting, self.p_hit, "uniform")


@dataclass(frozen=True)
class UnitSetup:
    """One defending unit: where, what it fires, how many launchers and missiles."""

    id: str
    system: str
    system_index: int  # into CampaignSetup.systems
    lat: float
    lon: float
    range_km: float
    launchers: int
    missiles_per_launcher: int
    reload_stock: int
    platform: str  # truck | fixed | ship


@dataclass(frozen=True)
class GroupSetup:
    """One kind of surface action group: ships, arrivals, track, and where units reach it."""

    id: str
    class_ids: tuple[str, ...]  # one entry per ship, in composition order
    arrivals_per_day: float
    speed_kmh: float
    track_lats: np.ndarray
    track_lons: np.ndarray
    track_km: np.ndarray  # cumulative km along the track, from 0 to length_km
    stretches_km: tuple[tuple[tuple[float, float], ...], ...]  # per unit: in-range (from, to)
    turn_back_at: float | None
    ship_types: tuple[ShipType, ...]  # one per ship: its defences and staying power
    ship_f: np.ndarray  # the same, packed for the compiled kernels (nansei.combat.kernels)
    ship_i: np.ndarray
    fleet: np.ndarray

    @property
    def length_km(self) -> float:
        return float(self.track_km[-1])

    @property
    def passage_h(self) -> float:
        return self.length_km / self.speed_kmh

    @property
    def ships(self) -> int:
        return len(self.class_ids)


@dataclass(frozen=True)
class CampaignSetup:
    """Everything a run needs, as numbers, resolved from a scenario and the catalog."""

    scenario: Scenario
    scenario_hash: str  # of the scenario and every catalog value it reads
    year: int | None
    units: tuple[UnitSetup, ...]
    systems: tuple[SystemSetup, ...]
    groups: tuple[GroupSetup, ...]
    survival: SurvivalParams
    cue_rate_per_h: float  # firing-quality tracks per hour in range, joint-HQ factor applied
    doctrine: Doctrine
    days: float
    params: Mapping[str, float]  # every catalog parameter the run reads → its value

    @property
    def horizon_h(self) -> float:
        """Arrivals stop at ``days``; the run goes on until the last group could finish."""
        longest = max((group.passage_h for group in self.groups), default=0.0)
        return self.days * 24.0 + longest

    @property
    def p_cue(self) -> float:
        """The chance of at least one cue in 3 hours in range, ``1 − exp(−3 h · rate)``:
        the earlier per-opportunity convention, reported for comparison."""
        return float(-np.expm1(-3.0 * self.cue_rate_per_h))

    def engaged(self) -> list[int]:
        """Indices of the units whose range reaches some stretch of some threat track."""
        return [
            index
            for index in range(len(self.units))
            if any(group.stretches_km[index] for group in self.groups)
        ]


class _Reader:
    """Reads catalog values and records each parameter read, for provenance and ``--set``."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.read: dict[str, float] = {}

    def value(self, param_id: str) -> float:
        number = self.catalog.value(param_id)
        self.read[param_id] = number
        return number

    def __getattr__(self, name: str):
        return getattr(self.catalog, name)


def in_range_stretches_km(
    track_km: np.ndarray, distance_to_unit_km: np.ndarray, range_km: float
) -> tuple[tuple[float, float], ...]:
    """The stretches ``(from_km, to_km)`` of a sampled track within ``range_km`` of a
    unit, each end interpolated linearly between the samples either side of the crossing."""
    inside = distance_to_unit_km <= range_km
    if not inside.any():
        return ()
    edges = np.diff(inside.astype(np.int8))
    starts = list(np.flatnonzero(edges == 1) + 1)
    ends = list(np.flatnonzero(edges == -1))
    if inside[0]:
        starts.insert(0, 0)
    if inside[-1]:
        ends.append(inside.size - 1)

    def crossing(outside: int, within: int) -> float:
        d_out, d_in = distance_to_unit_km[outside], distance_to_unit_km[within]
        share = (d_out - range_km) / (d_out - d_in)
        return float(track_km[outside] + share * (track_km[within] - track_km[outside]))

    stretches = []
    for first, last in zip(starts, ends, strict=True):
        begin = crossing(first - 1, first) if first > 0 else float(track_km[0])
        end = crossing(last + 1, last) if last < inside.size - 1 else float(track_km[-1])
        stretches.append((begin, end))
    return tuple(stretches)


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


def _defending_ship(reader: _Reader, class_id: str) -> ShipType:
    """A catalog ship class as a target: its defences and staying power only (groups do
    not fire back in the campaign, so their offensive missiles are not read)."""

    def value(param: str) -> float:
        return reader.value(f"{class_id}.{param}")

    area_channels = value("area_channels")
    area = None
    if area_channels > 0:
        inventory = int(round(value("interceptors")))
        area = Layer(channels=area_channels, p_kill=value("area_p_kill"), inventory=inventory)
    point_channels = value("point_channels")
    point = (
        Layer(channels=point_channels, p_kill=value("point_p_kill")) if point_channels > 0 else None
    )
    return ShipType(
        name=class_id,
        count=1,
        staying_power=value("staying_power_hits"),
        area=area,
        point=point,
        softkill_p=value("softkill_p"),
        layers_given=True,
        class_id=class_id,
    )


def _cue_rate(scenario: Scenario, reader: _Reader) -> float:
    """Cues per hour in range: the scenario's, unless it leaves it to the catalog or
    ``isr.cue_rate_per_h`` is overridden; times the joint-HQ factor when chosen."""
    isr = scenario.isr
    if isr.cue_rate_per_h is None or "isr.cue_rate_per_h" in scenario.overrides:
        rate = reader.value("isr.cue_rate_per_h")
    else:
        rate = isr.cue_rate_per_h
    if isr.joint_hq:
        rate *= reader.value("isr.joint_hq_cue_factor")
    return float(rate)


def _units(scenario: Scenario, reader: _Reader) -> list:
    """The defending units, resolved: a catalog posture year or the scenario's own."""
    if scenario.posture.year is not None:
        return [
            resolve_unit(reader.catalog, unit, reader.value)
            for unit in reader.catalog.posture(scenario.posture.year).units
        ]
    resolved = []
    for unit in scenario.posture.units or []:
        lat, lon = _place(reader.catalog, unit.site if unit.site else unit.position)
        resolved.append((unit, lat, lon, reader.value(f"{unit.system}.range_km")))
    return resolved


def build_setup(scenario: Scenario, catalog: Catalog, source: str = "") -> CampaignSetup:
    """Resolve ``scenario`` against ``catalog`` (raises ``ScenarioError`` on bad references)."""
    reader = _Reader(check_against_catalog(scenario, catalog, source))
    systems: dict[str, SystemSetup] = {}
    units: list[UnitSetup] = []
    for resolved in _units(scenario, reader):
        if isinstance(resolved, tuple):  # an explicit scenario unit
            unit, lat, lon, range_km = resolved
            counts = (unit.launchers, unit.missiles_per_launcher, unit.reload_stock)
            unit_id, system, platform = unit.id, unit.system, unit.platform
        else:
            lat, lon, range_km = resolved.lat, resolved.lon, resolved.range_km
            counts = (resolved.launchers, resolved.missiles_per_launcher, resolved.reload_stock)
            unit_id, system, platform = resolved.id, resolved.system, resolved.platform
        if system not in systems:
            systems[system] = SystemSetup(
                id=system,
                reliability=reader.value(f"{system}.reliability"),
                scouting=reader.value("engagement.scouting_sigma"),
                p_hit=reader.value(f"{system}.p_hit"),
            )
        units.append(
            UnitSetup(
                id=unit_id,
                system=system,
                system_index=list(systems).index(system),
                lat=float(lat),
                lon=float(lon),
                range_km=float(range_km),
                launchers=int(counts[0]),
                missiles_per_launcher=int(counts[1]),
                reload_stock=int(counts[2]),
                platform=platform,
            )
        )

    readiness = None
    groups = []
    for group in scenario.threat.groups:
        crossing = _point_along(list(reader.gate(group.gate).points), group.crossing)
        route = [_place(reader, group.origin), crossing, _place(reader, group.destination)]
        lats, lons, km = polyline_track(route, TRACK_SPACING_KM)
        stretches = tuple(
            in_range_stretches_km(km, distance_km(unit.lat, unit.lon, lats, lons), unit.range_km)
            for unit in units
        )
        class_ids = tuple(
            class_id for class_id, count in group.composition.items() for _ in range(count)
        )
        if readiness is None:
            readiness = reader.value("engagement.readiness_tau")
        ship_types = [_defending_ship(reader, class_id) for class_id in class_ids]
        ship_f, ship_i, fleet = pack_fleet(ship_types, readiness)
        speed_kn = (
            group.speed_kn if group.speed_kn is not None else reader.value("pla-sag.speed_kn")
        )
        groups.append(
            GroupSetup(
                id=group.id,
                class_ids=class_ids,
                arrivals_per_day=group.arrivals_per_day,
                speed_kmh=speed_kn * KM_PER_NMI,
                track_lats=lats,
                track_lons=lons,
                track_km=km,
                stretches_km=stretches,
                turn_back_at=group.turn_back_at,
                ship_types=tuple(ship_types),
                ship_f=ship_f,
                ship_i=ship_i,
                fleet=fleet,
            )
        )

    survival = SurvivalParams(
        **{name: reader.value(f"survival.{name}") for name in SurvivalParams.__dataclass_fields__}
    )
    cue_rate = _cue_rate(scenario, reader)
    params = dict(sorted(reader.read.items()))
    return CampaignSetup(
        scenario=scenario,
        scenario_hash=_setup_hash(scenario, params),
        year=scenario.posture.year,
        units=tuple(units),
        systems=tuple(systems.values()),
        groups=tuple(groups),
        survival=survival,
        cue_rate_per_h=cue_rate,
        doctrine=scenario.doctrine,
        days=scenario.days,
        params=params,
    )


def _setup_hash(scenario: Scenario, params: Mapping[str, float]) -> str:
    """SHA-256 of the scenario (as :func:`~nansei.scenario.scenario_hash`) and of every
    catalog value the run reads, so a catalog overlay that changes an input changes it."""
    payload = {"scenario": scenario_hash(scenario), "params": dict(params)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
