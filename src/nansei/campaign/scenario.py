"""Campaign scenarios: the pydantic schema, YAML loading and the canonical hash (docs/model.md §5).

A scenario says which posture defends (a catalog year or explicit units), which surface
action groups come (composition from catalog ship classes, Poisson arrivals per day,
origin, gate, destination, speed), how cueing works (a rate per hour in range, the joint
headquarters option), the firing doctrine, how long the campaign lasts, how many
replications, the seed and catalog overrides. ``docs/campaign.md`` lists every field.

Checking happens in two passes, both reporting every problem with its field path:
the schema (types, ranges, required fields) and then the references into the catalog
(years, systems, sites, gates, ship classes, override ids and their ``[low, high]``).
This module is the edge where scenario files are read; the campaign model never reads
files.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator

from nansei.catalog import Catalog, CatalogError, UnknownIdError
from nansei.io import InputError, parse_yaml, read_input
from nansei.problems import (
    MAX_REPLICATIONS,
    MAX_SEED,
    Pair,
    Problem,
    ScenarioError,
    StrictModel,
    did_you_mean,
    probability,
    problems_from_validation,
    unknown,
)

__all__ = [
    "Doctrine",
    "ExplicitUnit",
    "Isr",
    "PostureSpec",
    "Red",
    "Station",
    "Scenario",
    "ScenarioError",
    "Threat",
    "ThreatGroup",
    "bundled_scenarios",
    "check_against_catalog",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario_path",
    "scenario_from_mapping",
    "scenario_hash",
]


# -- problems and bounds -------------------------------------------------------------


#: Bounds on what a scenario may ask for; docs/limits.md says why each is that number.
#: MAX_REPLICATIONS and MAX_SEED are shared with salvo files (nansei.problems).
MAX_SHIPS_PER_CLASS = 100
MAX_SHIPS_PER_GROUP = 200
MAX_GROUPS = 50
MAX_UNITS = 200
MAX_LAUNCHERS = 1_000
MAX_MISSILES_PER_LAUNCHER = 1_000
MAX_STOCK = 100_000
MAX_ARRIVALS_PER_DAY = 100.0
#: Smallest non-zero arrival rate: one group in ~2,700 years. Smaller rates are zero in
#: all but name, and the smallest floats (5e-324) broke the arrival sampler.
MIN_ARRIVALS_PER_DAY = 1e-6
#: Expected group arrivals per replication, Σ arrivals_per_day × days.
MAX_EXPECTED_ARRIVALS = 1_000.0
MAX_DAYS = 365.0


# -- field types -----------------------------------------------------------------------


Probability = Annotated[float, AfterValidator(probability)]


def _place(value: Any) -> Any:
    """A place is a catalog site id or a ``[lat, lon]`` pair in degrees."""
    if isinstance(value, str):
        if not value:
            raise ValueError("a site id must not be empty")
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        numbers = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(numbers) != 2 or not all(math.isfinite(v) for v in numbers):
            raise ValueError("must be a site id or [lat, lon], two finite numbers in degrees")
        lat, lon = float(numbers[0]), float(numbers[1])
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"[{lat:g}, {lon:g}] is outside lat [-90, 90] / lon [-180, 180]")
        return (lat, lon)
    raise ValueError("must be a site id or [lat, lon] in degrees")


Place = Annotated[str | tuple[float, float], BeforeValidator(_place)]


# -- the schema ------------------------------------------------------------------------


class ExplicitUnit(StrictModel):
    """A posture unit written out in the scenario instead of taken from a catalog year."""

    id: str
    system: str = Field(description="catalog missile id (has range_km, reliability, p_hit)")
    site: str | None = Field(default=None, description="catalog site id")
    position: Pair | None = Field(default=None, description="[lat, lon], degrees")
    launchers: int = Field(ge=0, le=MAX_LAUNCHERS)
    missiles_per_launcher: int = Field(ge=0, le=MAX_MISSILES_PER_LAUNCHER)
    reload_stock: int = Field(
        default=0, ge=0, le=MAX_STOCK, description="missiles in the unit's depot"
    )
    platform: Literal["truck", "ship", "fixed"] = "truck"

    @model_validator(mode="after")
    def _one_location(self) -> ExplicitUnit:
        if (self.site is None) == (self.position is None):
            raise ValueError("give exactly one of site (a catalog site id) or position [lat, lon]")
        if self.position is not None:
            _place(list(self.position))
        return self


class PostureSpec(StrictModel):
    """Who defends: a catalog posture year, or explicit units."""

    year: int | None = None
    units: list[ExplicitUnit] | None = Field(default=None, max_length=MAX_UNITS)

    @model_validator(mode="after")
    def _one_source(self) -> PostureSpec:
        if (self.year is None) == (self.units is None):
            raise ValueError("give exactly one of year (a catalog posture) or units")
        return self


class ThreatGroup(StrictModel):
    """One kind of surface action group and how often it comes."""

    id: str
    composition: dict[str, Annotated[int, Field(ge=1, le=MAX_SHIPS_PER_CLASS)]] = Field(
        min_length=1, description="catalog ship-class id -> number of ships"
    )
    arrivals_per_day: float = Field(
        ge=0, le=MAX_ARRIVALS_PER_DAY, description="Poisson arrival rate, per day"
    )
    origin: Place
    gate: str = Field(description="catalog gate id the track crosses")
    crossing: Probability = Field(
        default=0.5, description="where on the gate line the track crosses, 0 = first point"
    )
    destination: Place
    speed_kn: float | None = Field(
        default=None, gt=0, le=60, description="knots; default catalog pla-sag.speed_kn"
    )
    turn_back_at: Probability | None = Field(
        default=None,
        description="share of the group's ships out of action at which it abandons the "
        "transit; null = presses on",
    )

    @model_validator(mode="after")
    def _group_size(self) -> ThreatGroup:
        if 0 < self.arrivals_per_day < MIN_ARRIVALS_PER_DAY:
            raise ValueError(
                f"arrivals_per_day {self.arrivals_per_day:g} is below {MIN_ARRIVALS_PER_DAY:g} "
                "(one group in ~2,700 years); use 0 for a group that never comes"
            )
        ships = sum(self.composition.values())
        if ships > MAX_SHIPS_PER_GROUP:
            raise ValueError(
                f"composition has {ships} ships; a group holds at most {MAX_SHIPS_PER_GROUP}"
            )
        return self


class Threat(StrictModel):
    groups: list[ThreatGroup] = Field(min_length=1, max_length=MAX_GROUPS)

    @model_validator(mode="after")
    def _unique_ids(self) -> Threat:
        ids = [group.id for group in self.groups]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate group id(s): {', '.join(duplicates)}")
        return self


def _retired(message: str) -> Callable[[Any], Any]:
    """A validator for a field that no longer exists: any value is refused with ``message``."""

    def refuse(value: Any) -> Any:
        if value is not None:
            raise ValueError(message)
        return value

    return refuse


class Isr(StrictModel):
    cue_rate_per_h: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="firing-quality tracks per hour a group spends in a unit's range; "
        "null = catalog isr.cue_rate_per_h (an override of it wins)",
    )
    joint_hq: bool = Field(
        default=False, description="multiply the cue rate by catalog isr.joint_hq_cue_factor"
    )
    p_cue: Annotated[
        None,
        BeforeValidator(
            _retired(
                "cueing is now a rate per hour in range: use isr.cue_rate_per_h "
                "(a probability p per 3-hour opportunity is a rate of -ln(1 - p) / 3)"
            )
        ),
    ] = Field(default=None, exclude=True)


def _salvo_size(value: Any) -> Any:
    """A salvo size is a whole number of missiles in [1, 1000] or ``auto``."""
    if value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"must be a whole number of missiles in [1, 1000] or auto, got {value!r}")
    return value


class Doctrine(StrictModel):
    salvo_size: Annotated[int | str, BeforeValidator(_salvo_size)] = Field(
        description="missiles a unit fires per salvo, or auto: per group kind and missile "
        "system, the size from AUTO_SALVO_SIZES with the most ships out of action per "
        "missile against a fresh group (a table precomputed with the salvo engine)"
    )
    coordination: Literal["independent", "coordinated"] = "independent"
    max_salvos_per_group: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="salvos fired at one group in its passage; null = no cap",
    )
    reserve_missiles: int = Field(
        default=0, ge=0, le=MAX_STOCK, description="missiles each unit keeps back (ready + depot)"
    )


class Red(StrictModel):
    """What red does besides sailing (docs/campaign.md, "Red fights back").

    ``counterforce: false`` is the passive red of the earlier model, number for number:
    no strikes on blue sites, one σ and one defence for every weapon, and the
    land-attack Tomahawks still engage ships (as before). ``true`` switches on the
    active-red model: counter-force strike waves on the fixed sites with island air
    defence, dispersal in the warning time, weapon-specific engagement (σ falls with
    time of flight against a moving group, per-system defence effectiveness) and
    land-attack weapons that do not engage ships unless ``maritime_strike`` names them.
    """

    counterforce: bool = Field(
        default=False,
        description="active red (strikes, island air defence, per-weapon "
        "engagement); false = the passive red of the earlier model",
    )
    warning_h: float = Field(
        default=0.0,
        ge=0,
        le=720,
        description="hours of warning before the first strike, in which truck launchers "
        "disperse from their garrisons",
    )
    arrivals_factor_per_loss: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="red adaptation: each group put out of action (turned back or all "
        "out) multiplies the arrival rate of later groups by this; 1 = no adaptation",
    )
    maritime_strike: list[str] = Field(
        default_factory=list,
        description="land-attack systems assumed to have a maritime-strike variant (they "
        "then engage ships; outputs list the assumption)",
    )
    ship_detection_rate_per_h: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="firing-quality detections per hour of a blue missile ship at sea "
        "(active red); null = catalog red-antiship.detection_rate_per_h",
    )


class Station(StrictModel):
    """A missile ship's firing station: it sails there from its home port at
    ``speed_kn`` (on warning with active red, at the start otherwise) and fires from
    there once it has arrived."""

    unit: str = Field(description="a posture unit on platform ship")
    position: Place = Field(description="[lat, lon] degrees or a catalog site id")
    speed_kn: float = Field(default=18.0, gt=0, le=40, description="transit speed, knots")
    ship_class: str | None = Field(
        default=None,
        description="catalog ship class whose defences the ship has at sea (active red); "
        "null = jmsdf-aegis-destroyer",
    )


class Scenario(StrictModel):
    name: str
    description: str = ""
    posture: PostureSpec
    threat: Threat
    isr: Isr = Isr()
    doctrine: Doctrine
    red: Red = Red()
    stations: list[Station] = Field(
        default_factory=list, description="firing stations of missile ships; none = in port"
    )
    days: float = Field(gt=0, le=MAX_DAYS, description="arrival window, days")
    time_step_h: Annotated[
        None,
        BeforeValidator(
            _retired(
                "the campaign runs in continuous time (every event at its own time), so "
                "there is no clock step: remove time_step_h"
            )
        ),
    ] = Field(default=None, exclude=True)
    replications: int = Field(default=1000, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    overrides: dict[str, float] = Field(default_factory=dict, description="catalog id -> value")

    @model_validator(mode="after")
    def _expected_arrivals(self) -> Scenario:
        expected = sum(group.arrivals_per_day for group in self.threat.groups) * self.days
        if expected > MAX_EXPECTED_ARRIVALS:
            raise ValueError(
                f"threat.groups: arrivals_per_day × days gives {expected:,.0f} expected "
                f"group arrivals per replication; at most {MAX_EXPECTED_ARRIVALS:,.0f} "
                "(lower arrivals_per_day or days)"
            )
        return self

    def with_year(self, year: int) -> Scenario:
        """The same scenario defended by the catalog posture of ``year``."""
        return self.model_copy(update={"posture": PostureSpec(year=int(year))})

    def with_overrides(self, overrides: Mapping[str, float]) -> Scenario:
        """The same scenario with more catalog overrides (later values win)."""
        return self.model_copy(update={"overrides": {**self.overrides, **overrides}})

    def with_run(self, replications: int | None = None, seed: int | None = None) -> Scenario:
        update: dict[str, Any] = {}
        if replications is not None:
            update["replications"] = int(replications)
        if seed is not None:
            update["seed"] = int(seed)
        try:
            return self.model_validate({**self.model_dump(), **update})
        except ValidationError as error:
            raise ScenarioError("", problems_from_validation(error)) from None


# -- hashing ---------------------------------------------------------------------------


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of what the scenario models: every field except ``replications``
    and ``seed``, as canonical JSON (sorted keys, no whitespace).

    Random streams are keyed by this hash, the seed and the chunk index, so two runs of
    the same scenario differ only through the seed, and adding replications extends a
    run rather than reshuffling it.
    """
    payload = scenario.model_dump(mode="json", exclude={"replications", "seed"})
    if scenario.red == Red():
        del payload["red"]  # a passive-red scenario keeps the hash it had before the section
    elif payload["red"]["ship_detection_rate_per_h"] is None:
        del payload["red"]["ship_detection_rate_per_h"]  # unset: the hash it had before
    if not scenario.stations:
        del payload["stations"]
    for station in payload.get("stations", []):
        if station["ship_class"] is None:
            del station["ship_class"]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# -- loading ---------------------------------------------------------------------------


def scenario_from_mapping(document: Any, source: str = "") -> Scenario:
    """Validate a parsed document against the schema; :class:`ScenarioError` otherwise."""
    if not isinstance(document, Mapping):
        kind = "empty" if document is None else type(document).__name__
        raise ScenarioError(
            source, [Problem.at("", f"top level must be a mapping of fields, not {kind}")]
        )
    try:
        return Scenario.model_validate(dict(document))
    except ValidationError as error:
        raise ScenarioError(source, problems_from_validation(error)) from None


def _without_file(problems: list[Problem]) -> list[Problem]:
    return [Problem.at(p.path, p.message) for p in problems]


def parse_scenario(text: str, source: str = "") -> Scenario:
    """A scenario from YAML text (:func:`nansei.io.parse_yaml`: safe types, no duplicate
    keys, size and nesting limits)."""
    try:
        document = parse_yaml(text)
    except InputError as error:
        raise ScenarioError(source, _without_file(error.problems)) from None
    return scenario_from_mapping(document, source)


def _scenarios_dir() -> Path:
    return Path(str(resources.files("nansei") / "scenarios"))


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped with nansei, by name (file stem)."""
    directory = _scenarios_dir()
    if not directory.is_dir():
        return {}
    return {path.stem: path for path in sorted(directory.glob("*.yaml"))}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario file path, or a bundled scenario's name (with or without ``.yaml``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    bundled = bundled_scenarios()
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    if path.parent == Path(".") and stem in bundled:
        return bundled[stem]
    if path.exists() or path.is_symlink():
        return path  # read_input says what is wrong: a directory, device or dangling link
    hint = did_you_mean(stem, bundled)
    known = f" (bundled: {', '.join(bundled)})" if bundled else ""
    raise ScenarioError(
        str(name_or_path),
        [Problem.at("", f"no such file and no bundled scenario of that name{hint}{known}")],
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file or bundled scenario (schema only; see
    :func:`check_against_catalog` for references into the catalog)."""
    path = resolve_scenario_path(name_or_path)
    label = path.name if path.parent == _scenarios_dir() else str(path)
    try:
        text = read_input(path, label)
    except InputError as error:
        raise ScenarioError(label, _without_file(error.problems)) from None
    return parse_scenario(text, label)


# -- references into the catalog -------------------------------------------------------


def _kind_ids(catalog: Catalog, kind: str) -> list[str]:
    return sorted(eid for eid, entity in catalog.entities.items() if entity.kind == kind)


_MISSILE_PARAMS = ("range_km", "reliability", "p_hit")


def _station_problems(scenario: Scenario, catalog: Catalog) -> list[Problem]:
    """Each station names a ship unit of the posture, a known place, and is reachable
    from the ship's home port within the campaign (distance / speed ≤ days)."""
    from nansei.geo import distance_km  # geometry only where stations are checked

    if scenario.posture.year is not None and scenario.posture.year in catalog.postures:
        units = {u.id: (u.platform, u.site) for u in catalog.posture(scenario.posture.year).units}
    else:
        units = {u.id: (u.platform, u.site) for u in scenario.posture.units or []}
    problems = []
    for index, station in enumerate(scenario.stations):
        path = f"stations[{index}]"
        if station.unit not in units:
            problems.append(Problem.at(f"{path}.unit", unknown("posture unit", station.unit,
                                                                sorted(units))))  # fmt: skip
            continue
        platform, home = units[station.unit]
        classes = _kind_ids(catalog, "ship-class")
        if station.ship_class is not None and station.ship_class not in classes:
            problems.append(Problem.at(f"{path}.ship_class", unknown("ship class",
                                       station.ship_class, classes)))  # fmt: skip
        if platform != "ship":
            problems.append(Problem.at(f"{path}.unit", f"{station.unit!r} is a {platform} "
                                       "unit; only ships sail to stations"))  # fmt: skip
            continue
        place = station.position
        if isinstance(place, str):
            if place not in catalog.sites:
                message = unknown("site", place, sorted(catalog.sites))
                problems.append(Problem.at(f"{path}.position", message))
                continue
            place = (catalog.site(place).lat, catalog.site(place).lon)
        if home is None or home not in catalog.sites:
            continue
        port = catalog.site(home)
        hours = float(distance_km(port.lat, port.lon, place[0], place[1])) / (
            station.speed_kn * 1.852
        )
        if hours > scenario.days * 24.0:
            problems.append(
                Problem.at(
                    f"{path}.position",
                    f"outside the ship's reach: {hours:.0f} h from {home} at "
                    f"{station.speed_kn:g} kn, longer than the {scenario.days:g}-day campaign",
                )
            )
    return problems


def check_against_catalog(
    scenario: Scenario, catalog: Catalog, source: str = ""
) -> dict[str, float]:
    """Check every catalog reference and return the scenario's overrides, checked (as
    :meth:`Catalog.checked_overrides`: parameter id → value in its range).

    Raises :class:`ScenarioError` listing each problem with its field path: unknown
    year, system, site, gate or ship class; an override id that does not exist (with
    the closest ids) or a value outside that parameter's ``[low, high]``.
    """
    problems: list[Problem] = []
    sites = sorted(catalog.sites)
    missiles = [
        eid
        for eid in _kind_ids(catalog, "missile")
        if all(name in catalog.entities[eid].params for name in _MISSILE_PARAMS)
    ]
    posture = scenario.posture
    if posture.year is not None and posture.year not in catalog.postures:
        known = [str(year) for year in catalog.postures]
        problems.append(
            Problem.at(
                "posture.year",
                f"unknown posture year {posture.year} (known: {', '.join(known)})",
            )
        )
    for index, unit in enumerate(posture.units or []):
        path = f"posture.units[{index}]"
        if unit.system not in missiles:
            message = unknown("missile system", unit.system, missiles)
            if unit.system in catalog.entities:
                message = (
                    f"{unit.system!r} is not a missile with {', '.join(_MISSILE_PARAMS)} "
                    f"(missiles: {', '.join(missiles)})"
                )
            problems.append(Problem.at(f"{path}.system", message))
        if unit.site is not None and unit.site not in catalog.sites:
            problems.append(Problem.at(f"{path}.site", unknown("site", unit.site, sites)))
    unit_ids = [unit.id for unit in posture.units or []]
    for duplicate in sorted({u for u in unit_ids if unit_ids.count(u) > 1}):
        problems.append(Problem.at("posture.units", f"duplicate unit id {duplicate!r}"))

    classes = _kind_ids(catalog, "ship-class")
    for index, group in enumerate(scenario.threat.groups):
        path = f"threat.groups[{index}]"
        for class_id in group.composition:
            if class_id not in classes:
                problems.append(
                    Problem.at(
                        f"{path}.composition.{class_id}", unknown("ship class", class_id, classes)
                    )
                )
        if group.gate not in catalog.gates:
            problems.append(
                Problem.at(f"{path}.gate", unknown("gate", group.gate, sorted(catalog.gates)))
            )
        for field_name in ("origin", "destination"):
            place = getattr(group, field_name)
            if isinstance(place, str) and place not in catalog.sites:
                problems.append(Problem.at(f"{path}.{field_name}", unknown("site", place, sites)))

    problems.extend(_station_problems(scenario, catalog))
    for index, system in enumerate(scenario.red.maritime_strike):
        if system not in missiles:
            problems.append(
                Problem.at(
                    f"red.maritime_strike[{index}]", unknown("missile system", system, missiles)
                )
            )
    checked: dict[str, float] = {}
    for param_id in scenario.overrides:
        try:
            catalog.param(param_id)
        except UnknownIdError as error:
            problems.append(
                Problem.at(
                    f"overrides.{param_id}",
                    "unknown catalog parameter" + did_you_mean(param_id, error.known),
                )
            )
    if not problems and scenario.overrides:
        try:
            checked = catalog.checked_overrides(scenario.overrides)
        except CatalogError as error:
            problems.extend(
                Problem.at(f"overrides.{problem.path}", problem.message)
                for problem in error.problems
            )
    if problems:
        raise ScenarioError(source, problems)
    return checked
