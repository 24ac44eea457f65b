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

import difflib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from nansei.catalog import Catalog, CatalogError, UnknownIdError

__all__ = [
    "Doctrine",
    "ExplicitUnit",
    "Isr",
    "PostureSpec",
    "Red",
    "Scenario",
    "ScenarioError",
    "ScenarioProblem",
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


# -- problems ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioProblem:
    """One thing wrong with a scenario: the field path and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario did not load or validate; ``problems`` lists each field path and why."""

    def __init__(self, source: str, problems: list[ScenarioProblem]):
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    #: What the failing document is, for the message's head.
    what = "scenario"

    def __str__(self) -> str:
        head = f"{self.what} {self.source}" if self.source else self.what
        if len(self.problems) == 1:
            return f"{head}: {self.problems[0]}"
        return f"{head}: {len(self.problems)} problems:\n" + "\n".join(
            f"  - {problem}" for problem in self.problems
        )


# -- field types -----------------------------------------------------------------------


def probability(value: float) -> float:
    """A pydantic check: ``value`` must lie in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be a probability in [0, 1], got {value:g}")
    return value


Probability = Annotated[float, AfterValidator(probability)]


def _place(value: Any) -> Any:
    """A place is a catalog site id or a ``[lat, lon]`` pair in degrees."""
    if isinstance(value, str):
        if not value:
            raise ValueError("a site id must not be empty")
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        try:
            lat, lon = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            raise ValueError("must be a site id or [lat, lon] in degrees") from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"[{lat:g}, {lon:g}] is outside lat [-90, 90] / lon [-180, 180]")
        return (lat, lon)
    raise ValueError("must be a site id or [lat, lon] in degrees")


Place = Annotated[str | tuple[float, float], BeforeValidator(_place)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- the schema ------------------------------------------------------------------------


class ExplicitUnit(_Strict):
    """A posture unit written out in the scenario instead of taken from a catalog year."""

    id: str
    system: str = Field(description="catalog missile id (has range_km, reliability, p_hit)")
    site: str | None = Field(default=None, description="catalog site id")
    position: tuple[float, float] | None = Field(default=None, description="[lat, lon], degrees")
    launchers: int = Field(ge=0)
    missiles_per_launcher: int = Field(ge=0)
    reload_stock: int = Field(default=0, ge=0, description="missiles in the unit's depot")
    platform: Literal["truck", "ship", "fixed"] = "truck"

    @model_validator(mode="after")
    def _one_location(self) -> ExplicitUnit:
        if (self.site is None) == (self.position is None):
            raise ValueError("give exactly one of site (a catalog site id) or position [lat, lon]")
        if self.position is not None:
            _place(list(self.position))
        return self


class PostureSpec(_Strict):
    """Who defends: a catalog posture year, or explicit units."""

    year: int | None = None
    units: list[ExplicitUnit] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PostureSpec:
        if (self.year is None) == (self.units is None):
            raise ValueError("give exactly one of year (a catalog posture) or units")
        return self


class ThreatGroup(_Strict):
    """One kind of surface action group and how often it comes."""

    id: str
    composition: dict[str, Annotated[int, Field(ge=1)]] = Field(
        min_length=1, description="catalog ship-class id -> number of ships"
    )
    arrivals_per_day: float = Field(ge=0, le=100, description="Poisson arrival rate, per day")
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


class Threat(_Strict):
    groups: list[ThreatGroup] = Field(min_length=1)

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


class Isr(_Strict):
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


class Doctrine(_Strict):
    salvo_size: Annotated[int | str, BeforeValidator(_salvo_size)] = Field(
        description="missiles a unit fires per salvo, or auto: per group kind and missile "
        "system, the size from AUTO_SALVO_SIZES with the most ships out of action per "
        "missile against a fresh group (a table precomputed with the salvo engine)"
    )
    coordination: Literal["independent", "coordinated"] = "independent"
    max_salvos_per_group: int | None = Field(
        default=None, ge=0, description="salvos fired at one group in its passage; null = no cap"
    )
    reserve_missiles: int = Field(
        default=0, ge=0, description="missiles each unit keeps back (ready + depot)"
    )


class Red(_Strict):
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
    maritime_strike: list[str] = Field(
        default_factory=list,
        description="land-attack systems assumed to have a maritime-strike variant (they "
        "then engage ships; outputs list the assumption)",
    )


class Scenario(_Strict):
    name: str
    description: str = ""
    posture: PostureSpec
    threat: Threat
    isr: Isr = Isr()
    doctrine: Doctrine
    red: Red = Red()
    days: float = Field(gt=0, le=365, description="arrival window, days")
    time_step_h: Annotated[
        None,
        BeforeValidator(
            _retired(
                "the campaign runs in continuous time (every event at its own time), so "
                "there is no clock step: remove time_step_h"
            )
        ),
    ] = Field(default=None, exclude=True)
    replications: int = Field(default=1000, ge=1, le=10_000_000)
    seed: int = Field(default=0, ge=0)
    overrides: dict[str, float] = Field(default_factory=dict, description="catalog id -> value")

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
        return self.model_validate({**self.model_dump(), **update})


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
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# -- loading ---------------------------------------------------------------------------


def _path_of(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "str" or str(part).startswith(("function-", "tuple[")):
            continue  # pydantic's names for validator and union branches, not field names
        else:
            path += f".{part}" if path else str(part)
    return path


def problems_from(
    error: ValidationError, path_of: Callable[[tuple[Any, ...]], str] = _path_of
) -> list[ScenarioProblem]:
    """pydantic's errors as problems with field paths and plain messages, without repeats."""
    problems: list[ScenarioProblem] = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "finite_number":
            message = "must be a finite number"
        problem = ScenarioProblem(path_of(item["loc"]), message)
        if problem not in problems:
            problems.append(problem)
    return problems


def scenario_from_mapping(document: Any, source: str = "") -> Scenario:
    """Validate a parsed document against the schema; :class:`ScenarioError` otherwise."""
    if not isinstance(document, Mapping):
        kind = "empty" if document is None else type(document).__name__
        raise ScenarioError(
            source, [ScenarioProblem("", f"top level must be a mapping of fields, not {kind}")]
        )
    try:
        return Scenario.model_validate(dict(document))
    except ValidationError as error:
        raise ScenarioError(source, problems_from(error)) from None


def parse_scenario(text: str, source: str = "") -> Scenario:
    """A scenario from YAML text (``yaml.safe_load``)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(
            source, [ScenarioProblem("", "not valid YAML: " + " ".join(str(error).split()))]
        ) from None
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
    close = difflib.get_close_matches(stem, list(bundled), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    known = f" (bundled: {', '.join(bundled)})" if bundled else ""
    raise ScenarioError(
        str(name_or_path),
        [ScenarioProblem("", f"no such file and no bundled scenario of that name{hint}{known}")],
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file or bundled scenario (schema only; see
    :func:`check_against_catalog` for references into the catalog)."""
    path = resolve_scenario_path(name_or_path)
    label = path.name if path.parent == _scenarios_dir() else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(label, [ScenarioProblem("", f"cannot read: {error}")]) from None
    return parse_scenario(text, label)


# -- references into the catalog -------------------------------------------------------


def _unknown(what: str, wanted: str, known: list[str]) -> str:
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    message = f"unknown {what} {wanted!r}"
    if close:
        message += f"; did you mean {', '.join(close)}?"
    elif len(known) <= 12:
        message += f" (known: {', '.join(known)})"
    return message


def _kind_ids(catalog: Catalog, kind: str) -> list[str]:
    return sorted(eid for eid, entity in catalog.entities.items() if entity.kind == kind)


_MISSILE_PARAMS = ("range_km", "reliability", "p_hit")


def check_against_catalog(scenario: Scenario, catalog: Catalog, source: str = "") -> Catalog:
    """Check every catalog reference and return the catalog with the scenario's overrides.

    Raises :class:`ScenarioError` listing each problem with its field path: unknown
    year, system, site, gate or ship class; an override id that does not exist (with
    the closest ids) or a value outside that parameter's ``[low, high]``.
    """
    problems: list[ScenarioProblem] = []
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
            ScenarioProblem(
                "posture.year",
                f"unknown posture year {posture.year} (known: {', '.join(known)})",
            )
        )
    for index, unit in enumerate(posture.units or []):
        path = f"posture.units[{index}]"
        if unit.system not in missiles:
            message = _unknown("missile system", unit.system, missiles)
            if unit.system in catalog.entities:
                message = (
                    f"{unit.system!r} is not a missile with {', '.join(_MISSILE_PARAMS)} "
                    f"(missiles: {', '.join(missiles)})"
                )
            problems.append(ScenarioProblem(f"{path}.system", message))
        if unit.site is not None and unit.site not in catalog.sites:
            problems.append(ScenarioProblem(f"{path}.site", _unknown("site", unit.site, sites)))
    unit_ids = [unit.id for unit in posture.units or []]
    for duplicate in sorted({u for u in unit_ids if unit_ids.count(u) > 1}):
        problems.append(ScenarioProblem("posture.units", f"duplicate unit id {duplicate!r}"))

    classes = _kind_ids(catalog, "ship-class")
    for index, group in enumerate(scenario.threat.groups):
        path = f"threat.groups[{index}]"
        for class_id in group.composition:
            if class_id not in classes:
                problems.append(
                    ScenarioProblem(
                        f"{path}.composition.{class_id}", _unknown("ship class", class_id, classes)
                    )
                )
        if group.gate not in catalog.gates:
            problems.append(
                ScenarioProblem(f"{path}.gate", _unknown("gate", group.gate, sorted(catalog.gates)))
            )
        for field_name in ("origin", "destination"):
            place = getattr(group, field_name)
            if isinstance(place, str) and place not in catalog.sites:
                problems.append(
                    ScenarioProblem(f"{path}.{field_name}", _unknown("site", place, sites))
                )

    for index, system in enumerate(scenario.red.maritime_strike):
        if system not in missiles:
            problems.append(
                ScenarioProblem(
                    f"red.maritime_strike[{index}]", _unknown("missile system", system, missiles)
                )
            )
    effective = catalog
    for param_id in scenario.overrides:
        try:
            catalog.param(param_id)
        except UnknownIdError as error:
            close = f"; did you mean {', '.join(error.suggestions)}?" if error.suggestions else ""
            problems.append(
                ScenarioProblem(f"overrides.{param_id}", f"unknown catalog parameter{close}")
            )
    if not problems and scenario.overrides:
        try:
            effective = catalog.with_overrides(scenario.overrides)
        except CatalogError as error:
            problems.extend(
                ScenarioProblem(f"overrides.{problem.path}", problem.message)
                for problem in error.problems
            )
    if problems:
        raise ScenarioError(source, problems)
    return effective
