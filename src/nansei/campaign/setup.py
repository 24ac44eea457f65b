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

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nansei.campaign.scenario import Doctrine, Scenario, check_against_catalog, scenario_hash
from nansei.catalog import Catalog
from nansei.combat.forces import ShipType, class_defence
from nansei.combat.kernels import pack_attack, pack_fleet
from nansei.geo import distance_km, polyline_track
from nansei.posture import resolve_unit
from nansei.survival import SurvivalParams

__all__ = [
    "DEFAULT_SHIP_CLASS",
    "KM_PER_NMI",
    "TRACK_SPACING_KM",
    "CampaignSetup",
    "ACQUISITION_SPACING_KM",
    "GroupSetup",
    "RedSetup",
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


#: Spacing, km along a group's track, of the per-unit acquisition table (active red).
ACQUISITION_SPACING_KM = 5.0


@dataclass(frozen=True)
class SystemSetup:
    """A missile system's factors on one salvo: reliability, σ, p_hit, allocation; and,
    with active red, its flight speed, seeker area, whether it engages ships and how
    well the ships' defences do against it."""

    id: str
    reliability: float
    scouting: float
    p_hit: float
    speed_kmh: float = math.inf
    seeker_area_km2: float = math.inf
    engages_ships: bool = True
    defence_factor: float = 1.0

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
    site: str = ""  # catalog site id ("" for a unit placed by position)
    depart_h: float = math.inf  # a ship with a station leaves port then (in port before)
    on_station_h: float = -math.inf  # ... and fires from its station (lat, lon) from then


def acquisition_probability(
    seeker_area_km2: float, group_speed_kmh: float, flight_h: float
) -> float:
    """The chance a missile's seeker finds a group that moved during its flight.

    The group can be anywhere within ``r = v · t_f`` of where it was when the missile was
    aimed (target-motion uncertainty growing with flight time), i.e. in an area
    ``π r²``; a seeker searching ``A`` km² of it at random finds it with Koopman's
    random-search probability ``1 − exp(−A / (π r²))`` (B. O. Koopman, *Search and
    Screening*, OEG Report 56, 1946, ch. 3). ``A = ∞`` or ``r = 0``: 1. Units: km², km/h, h.
    """
    return float(acquisition_probabilities(seeker_area_km2, group_speed_kmh, [flight_h])[0])


def acquisition_probabilities(
    seeker_area_km2: float, group_speed_kmh: float, flight_h: np.ndarray
) -> np.ndarray:
    """:func:`acquisition_probability` at each of many flight times (h) at once."""
    radius_km = group_speed_kmh * np.asarray(flight_h, dtype=float)
    if math.isinf(seeker_area_km2):
        return np.ones(radius_km.shape)
    # The floor keeps r = 0 from dividing by zero without an errstate context (a study
    # evaluates this thousands of times); r = 0 (a unit on the track) is 1 by definition.
    disc_km2 = np.maximum(math.pi * radius_km**2, _TINY_KM2)
    return np.where(radius_km <= 0.0, 1.0, -np.expm1(-seeker_area_km2 / disc_km2))


#: The floor of the search disc in :func:`acquisition_probabilities`, km².
_TINY_KM2 = 1e-300


@dataclass(frozen=True)
class RedSetup:
    """Active red, as numbers (docs/campaign.md, "Red fights back")."""

    warning_h: float
    inventory: int  # MRBMs allocated to counter-force over the campaign
    warheads_per_site: int
    reliability: float
    p_kill: float
    wave_interval_h: float
    dispersal_mean_h: float
    sam_channels: dict[str, float]  # site id → channels of its island air defence
    sam_p_kill: float
    sam_shots: int
    sam_interceptors: dict[str, int]  # site id → interceptors
    sam_readiness: float
    maritime_strike: tuple[str, ...]
    # The PAC-3 layer of a site, before its Chu-SAM (ballistic warheads; none: no layer).
    pac3_channels: Mapping[str, float] = dataclasses.field(default_factory=dict)
    pac3_interceptors: Mapping[str, int] = dataclasses.field(default_factory=dict)
    pac3_p_kill: float = 0.0
    pac3_shots: int = 1
    pac3_readiness: float = 1.0
    # Ships at sea: red finds each at this rate per hour and strikes it (anti-ship
    # ballistic missiles out of the same inventory) through its class's defences.
    ship_detection_rate_per_h: float = 0.0
    asbm_per_strike: int = 0
    asbm_reliability: float = 1.0
    asbm_p_hit: float = 0.0
    ship_readiness: float = 1.0
    ship_classes: Mapping[str, ShipType] = dataclasses.field(default_factory=dict)  # unit id →


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
    auxiliary: tuple[bool, ...] = ()  # per ship: no anti-ship or defensive cells (an oiler)
    acquisition: tuple[np.ndarray, ...] = ()  # per unit, active red: p(acquire) every
    # ACQUISITION_SPACING_KM along the track for a missile fired from the unit

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
    year: int | None
    units: tuple[UnitSetup, ...]
    systems: tuple[SystemSetup, ...]
    groups: tuple[GroupSetup, ...]
    survival: SurvivalParams
    cue_rate_per_h: float  # firing-quality tracks per hour in range, joint-HQ factor applied
    doctrine: Doctrine
    days: float
    params: Mapping[str, float]  # every catalog parameter the run reads → its value
    red: RedSetup | None = None  # None: passive red (the earlier model)

    @functools.cached_property
    def scenario_hash(self) -> str:
        """SHA-256 of the scenario and of every catalog value it reads (provenance;
        computed when first asked for: a study's thousands of points never ask)."""
        return _setup_hash(self.scenario, self.params)

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
        """Indices of the units whose range reaches some stretch of some threat track
        (and, with active red, whose missile engages ships)."""
        return [
            index
            for index in range(len(self.units))
            if any(group.stretches_km[index] for group in self.groups)
            and self.systems[self.units[index].system_index].engages_ships
        ]

    def targets(self) -> list[int]:
        """Indices of the units in the compiled run, in posture order: those whose range
        reaches a track and, with active red, every ship unit (a ship in port is a
        counter-force target even when its missile does not engage ships)."""
        return [
            index
            for index in range(len(self.units))
            if any(group.stretches_km[index] for group in self.groups)
            or (self.red is not None and self.units[index].platform == "ship")
        ]


class _Reader:
    """Reads catalog values, the scenario's overrides first, and records each parameter
    read, for provenance and ``--set``. The overrides are read through, not copied into
    a new catalog: a study resolves the same scenario at thousands of points."""

    def __init__(self, catalog: Catalog, overrides: Mapping[str, float]):
        self.catalog = catalog
        self.overrides = overrides
        self.read: dict[str, float] = {}

    def value(self, param_id: str) -> float:
        number = self.peek(param_id)
        self.read[param_id] = number
        return number

    def peek(self, param_id: str) -> float:
        """The value without recording it as read (labels, not inputs)."""
        number = self.overrides.get(param_id)
        return self.catalog.value(param_id) if number is None else number

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


# Geometry is a function of positions only, never of catalog values, so it is solved once
# per process and reused: a sensitivity study resolves the same scenario for thousands of
# parameter points, and the geodesics would otherwise be most of each point's cost.
# Cached arrays are read-only, so no caller can change what another one sees.


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.flags.writeable = False
    return arrays


@functools.lru_cache(maxsize=256)
def _point_along(points: tuple[tuple[float, float], ...], fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` of the polyline's geodesic length."""
    lats, lons, km = polyline_track(list(points), 0.25)
    target = fraction * km[-1]
    return float(np.interp(target, km, lats)), float(np.interp(target, km, lons))


Route = tuple[tuple[float, float], ...]


@functools.lru_cache(maxsize=256)
def _route_track(route: Route) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A group's track sampled every :data:`TRACK_SPACING_KM`: (lats, lons, km)."""
    return _frozen(*polyline_track(list(route), TRACK_SPACING_KM))


@functools.lru_cache(maxsize=4096)
def _track_distances_km(lat: float, lon: float, route: Route) -> np.ndarray:
    """Geodesic km from (lat, lon) to every sample of the route's track."""
    lats, lons, _ = _route_track(route)
    return _frozen(np.asarray(distance_km(lat, lon, lats, lons), dtype=float))[0]


@functools.lru_cache(maxsize=4096)
def _unit_stretches_km(
    lat: float, lon: float, route: Route, range_km: float
) -> tuple[tuple[float, float], ...]:
    """:func:`in_range_stretches_km` of a unit at (lat, lon) on the route's track."""
    _, _, km = _route_track(route)
    return in_range_stretches_km(km, _track_distances_km(lat, lon, route), range_km)


@functools.lru_cache(maxsize=4096)
def _station_distances_km(lat: float, lon: float, route: Route) -> np.ndarray:
    """Geodesic km from (lat, lon) to the track every :data:`ACQUISITION_SPACING_KM`."""
    lats, lons, km = _route_track(route)
    stations = np.arange(0.0, km[-1] + ACQUISITION_SPACING_KM, ACQUISITION_SPACING_KM)
    lat_at = np.interp(stations, km, lats)
    lon_at = np.interp(stations, km, lons)
    return _frozen(np.atleast_1d(np.asarray(distance_km(lat, lon, lat_at, lon_at), float)))[0]


def _place(catalog: Catalog, place) -> tuple[float, float]:
    if isinstance(place, str):
        site = catalog.site(place)
        return site.lat, site.lon
    return float(place[0]), float(place[1])


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
    reader = _Reader(catalog, check_against_catalog(scenario, catalog, source))
    systems: dict[str, SystemSetup] = {}
    units: list[UnitSetup] = []
    for resolved in _units(scenario, reader):
        if isinstance(resolved, tuple):  # an explicit scenario unit
            unit, lat, lon, range_km = resolved
            counts = (unit.launchers, unit.missiles_per_launcher, unit.reload_stock)
            unit_id, system, platform = unit.id, unit.system, unit.platform
            site = unit.site or ""
        else:
            lat, lon, range_km = resolved.lat, resolved.lon, resolved.range_km
            counts = (resolved.launchers, resolved.missiles_per_launcher, resolved.reload_stock)
            unit_id, system, platform = resolved.id, resolved.system, resolved.platform
            site = resolved.site
        if system not in systems:
            systems[system] = _system(reader, system, scenario)
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
                site=site,
            )
        )

    units = _stationed(scenario, reader, units)
    readiness = None
    groups = []
    for group in scenario.threat.groups:
        gate_points = tuple((float(a), float(b)) for a, b in reader.gate(group.gate).points)
        crossing = _point_along(gate_points, float(group.crossing))
        route = (_place(reader, group.origin), crossing, _place(reader, group.destination))
        lats, lons, km = _route_track(route)
        stretches = tuple(
            _unit_stretches_km(unit.lat, unit.lon, route, unit.range_km) for unit in units
        )
        class_ids = tuple(
            class_id for class_id, count in group.composition.items() for _ in range(count)
        )
        if readiness is None:
            readiness = reader.value("engagement.readiness_tau")
        ship_types = [class_defence(reader.value, class_id) for class_id in class_ids]
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
                auxiliary=tuple(_auxiliary(reader, class_id) for class_id in class_ids),
                acquisition=_acquisition(systems, units, route, speed_kn)
                if scenario.red.counterforce
                else (),
            )
        )

    survival = SurvivalParams(
        **{name: reader.value(f"survival.{name}") for name in SurvivalParams.__dataclass_fields__}
    )
    cue_rate = _cue_rate(scenario, reader)
    # Active red reads the air defence of the sites in the run only: those of units that
    # reach a track, and ships' home ports (so every parameter it reads can move a result).
    in_run = [
        unit
        for index, unit in enumerate(units)
        if unit.platform == "ship" or any(group.stretches_km[index] for group in groups)
    ]
    red = _red(scenario, reader, units, in_run) if scenario.red.counterforce else None
    params = dict(sorted(reader.read.items()))
    return CampaignSetup(
        scenario=scenario,
        year=scenario.posture.year,
        units=tuple(units),
        systems=tuple(systems.values()),
        groups=tuple(groups),
        survival=survival,
        cue_rate_per_h=cue_rate,
        doctrine=scenario.doctrine,
        days=scenario.days,
        params=params,
        red=red,
    )


def _stationed(scenario: Scenario, reader: _Reader, units: list[UnitSetup]) -> list[UnitSetup]:
    """Ships with a station: they leave port on warning (active red) or at the start,
    sail the geodesic at the station's speed, and fire from the station on arrival."""
    if not scenario.stations:
        return units
    depart_h = -scenario.red.warning_h if scenario.red.counterforce else 0.0
    by_id = {station.unit: station for station in scenario.stations}
    out = []
    for unit in units:
        station = by_id.get(unit.id)
        if station is None:
            out.append(unit)
            continue
        lat, lon = _place(reader.catalog, station.position)
        hours = float(distance_km(unit.lat, unit.lon, lat, lon)) / (station.speed_kn * KM_PER_NMI)
        out.append(
            dataclasses.replace(
                unit, lat=lat, lon=lon, depart_h=depart_h, on_station_h=depart_h + hours
            )
        )
    return out


def _system(reader: _Reader, system: str, scenario: Scenario) -> SystemSetup:
    """A missile system's engagement factors; the weapon-specific ones only with active
    red (so that passive red reads, and hashes, exactly what it read before)."""
    common = dict(
        id=system,
        reliability=reader.value(f"{system}.reliability"),
        scouting=reader.value("engagement.scouting_sigma"),
        p_hit=reader.value(f"{system}.p_hit"),
    )
    if not scenario.red.counterforce:
        return SystemSetup(**common)
    anti_ship = reader.value(f"{system}.anti_ship") > 0.5
    engages = anti_ship or system in scenario.red.maritime_strike
    # What only a shot at a ship uses is read (recorded, offered to --set and to studies)
    # only when the system engages ships, and the flight speed only when the seeker makes
    # it matter: a seeker of 0 km² finds nothing and one of ∞ everything, however long
    # the flight. The numbers are the same either way (peeked, not read).
    at_ships = reader.value if engages else reader.peek
    seeker_area_km2 = at_ships(f"{system}.seeker_area_km2")
    in_flight = reader.value if engages and 0.0 < seeker_area_km2 < math.inf else reader.peek
    return SystemSetup(
        **common,
        speed_kmh=in_flight(f"{system}.speed_kmh"),
        seeker_area_km2=seeker_area_km2,
        engages_ships=engages,
        defence_factor=at_ships(f"{system}.defence_factor"),
    )


def _auxiliary(reader: _Reader, class_id: str) -> bool:
    """An auxiliary (oiler, supply ship) carries no launch cells. Read from the catalog
    without recording: it labels results (combatants vs auxiliaries), it moves none."""
    return reader.peek(f"{class_id}.vls_cells") <= 0


def _acquisition(systems, units, route: Route, speed_kn: float) -> tuple[np.ndarray, ...]:
    """Per unit, the chance its missile acquires the group, every
    :data:`ACQUISITION_SPACING_KM` along the track: flight time = distance / missile
    speed, then :func:`acquisition_probability` (element by element)."""
    speed_kmh = speed_kn * KM_PER_NMI
    out = []
    for unit in units:
        system = systems[unit.system]
        distance = _station_distances_km(unit.lat, unit.lon, route)
        out.append(
            acquisition_probabilities(
                system.seeker_area_km2, speed_kmh, distance / system.speed_kmh
            )
        )
    return tuple(out)


def _red(
    scenario: Scenario, reader: _Reader, units: list[UnitSetup], in_run: list[UnitSetup]
) -> RedSetup:
    """Active red: the counter-force allocation and the island air defence of the sites."""

    def value(name: str) -> float:
        return reader.value(f"red-counterforce.{name}")

    inventory = int(round(value("mrbm_inventory") * value("counterforce_share")))
    channels, interceptors, sam = _site_defence(reader, "chu-sam", in_run)
    pac3_channels, pac3_interceptors, pac3 = _site_defence(reader, "pac3", in_run)
    sea = _at_sea(scenario, reader, units)
    return RedSetup(
        warning_h=float(scenario.red.warning_h),
        inventory=inventory,
        warheads_per_site=int(round(value("warheads_per_site"))),
        reliability=value("reliability"),
        p_kill=value("p_kill"),
        wave_interval_h=value("wave_interval_h"),
        dispersal_mean_h=value("dispersal_mean_h"),
        sam_channels=channels,
        sam_p_kill=sam[0],
        sam_shots=sam[1],
        sam_interceptors=interceptors,
        sam_readiness=sam[2],
        maritime_strike=tuple(scenario.red.maritime_strike),
        pac3_channels=pac3_channels,
        pac3_interceptors=pac3_interceptors,
        pac3_p_kill=pac3[0],
        pac3_shots=pac3[1],
        pac3_readiness=pac3[2],
        **sea,
    )


def _site_units_param(catalog: Catalog, system: str, site: str) -> str | None:
    """``SYSTEM.units_at_<site>`` if the catalog has it (fire units of an air defence at a
    site), else ``None``. A dictionary lookup: it runs for every site at every point of
    a study."""
    name = f"units_at_{site.replace('-', '_')}"
    entity = catalog.entities.get(system)
    return f"{system}.{name}" if entity is not None and name in entity.params else None


def _site_defence(reader: _Reader, system: str, units: list[UnitSetup]):
    """The fire units of an island air defence (``chu-sam``, ``pac3``) at each site of the
    run (catalog ``SYSTEM.units_at_<site>``), as the channels and interceptors of one
    layer per site, and its ``(p_kill, shots, readiness)`` — read only if a site has one."""
    channels: dict[str, float] = {}
    interceptors: dict[str, int] = {}
    for site in sorted({unit.site for unit in units if unit.site}):
        param = _site_units_param(reader.catalog, system, site)
        if param is None:
            continue
        fire_units = reader.value(param)
        if fire_units <= 0:
            continue
        channels[site] = fire_units * reader.value(f"{system}.channels")
        interceptors[site] = int(round(fire_units * reader.value(f"{system}.interceptors")))
    if not channels:
        return channels, interceptors, (0.0, 1, 1.0)
    factors = (reader.value(f"{system}.p_kill"), int(reader.value(f"{system}.shots")),
               reader.value(f"{system}.readiness"))  # fmt: skip
    return channels, interceptors, factors


#: The class a stationed ship defends itself as when its station names none.
DEFAULT_SHIP_CLASS = "jmsdf-aegis-destroyer"


def _at_sea(scenario: Scenario, reader: _Reader, units: list[UnitSetup]) -> dict:
    """Active red hunting ships at sea: read only when some ship sails to a station
    (so a run without stations reads, and hashes, what it did before)."""
    stationed = {station.unit: station for station in scenario.stations}
    ships = [unit for unit in units if unit.platform == "ship" and unit.id in stationed]
    if not ships:
        return {}

    def value(name: str) -> float:
        return reader.value(f"red-antiship.{name}")

    rate = scenario.red.ship_detection_rate_per_h
    if rate is None or "red-antiship.detection_rate_per_h" in scenario.overrides:
        rate = value("detection_rate_per_h")
    classes = {
        unit.id: class_defence(reader.value, stationed[unit.id].ship_class or DEFAULT_SHIP_CLASS)
        for unit in ships
    }
    return dict(
        ship_detection_rate_per_h=float(rate),
        asbm_per_strike=int(round(value("missiles_per_strike"))),
        asbm_reliability=value("reliability"),
        asbm_p_hit=value("p_hit"),
        ship_readiness=reader.value("engagement.readiness_tau"),
        ship_classes=classes,
    )


def _setup_hash(scenario: Scenario, params: Mapping[str, float]) -> str:
    """SHA-256 of the scenario (as :func:`~nansei.campaign.scenario.scenario_hash`) and of every
    catalog value the run reads, so a catalog overlay that changes an input changes it."""
    payload = {"scenario": scenario_hash(scenario), "params": dict(params)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
