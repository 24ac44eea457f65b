"""Salvo files: the YAML schema of a two-sided salvo exchange, and loading it (docs/model.md §3).

A salvo file names the model (``stochastic`` or ``hughes``), the run settings
(replications, seed, rounds, firing order) and exactly two sides, each with its attack
and defence factors (σ ``scouting``, τ ``readiness``, ``reliability``, ``p_hit``,
``allocation``) and its units. A unit is either a catalog ship class (``class:``; every
other field optional and overriding what the catalog gives, see
:func:`nansei.combat.forces.ship_type_from_class`) or a named unit with explicit fields.
``docs/salvo.md`` ("Salvo files") lists every field.

Everything wrong with a file (not YAML, not a mapping, unknown or missing fields, values
out of range, an unknown ship class, allocation or doctrine, a side without units, not
exactly two sides, a firing order that is neither ``simultaneous`` nor a side name) is
reported at once, each problem with its field path (``sides.red.units[1].count``), in
one :class:`SalvoSpecError`. This module is the edge where salvo files are read; the
salvo engines never read files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from nansei.catalog import Catalog, default_catalog
from nansei.combat.forces import (
    ALLOCATIONS,
    DOCTRINES,
    Layer,
    ShipType,
    Side,
    ship_type_from_class,
)
from nansei.io import InputError, parse_yaml, read_input
from nansei.problems import (
    MAX_REPLICATIONS,
    MAX_SEED,
    Problem,
    ScenarioError,
    StrictModel,
    did_you_mean,
    probability,
    problems_from_validation,
    unknown,
)

__all__ = [
    "MODELS",
    "SIMULTANEOUS",
    "SalvoFile",
    "SalvoSpec",
    "SalvoSpecError",
    "load_salvo_spec",
    "parse_salvo_spec",
    "salvo_spec_from_mapping",
]

#: The two salvo models: Armstrong's stochastic engine and Hughes' equations.
MODELS = ("stochastic", "hughes")
#: The firing order in which both sides fire at once.
SIMULTANEOUS = "simultaneous"


# -- problems ------------------------------------------------------------------------


class SalvoSpecError(ScenarioError):
    """A salvo file did not load or validate; ``problems`` lists each field path and why
    (:class:`nansei.problems.Problem`)."""

    what = "salvo file"


#: Bounds on a salvo file; docs/limits.md says why each is that number.
MAX_SHIPS_PER_SIDE = 500
MAX_UNITS_PER_SIDE = 100
MAX_MISSILES_PER_SHIP = 1_000  # per salvo (Hughes' α)
MAX_MAGAZINE = 10_000
MAX_INTERCEPTORS = 1_000  # per salvo (Hughes' b3)
MAX_CHANNELS = 1_000
MAX_SHOTS = 10
MAX_INVENTORY = 10_000
MAX_STAYING_POWER = 1_000
MAX_VALUE = 1e6
MAX_ROUNDS = 1000


# -- field checks ----------------------------------------------------------------------


def _whole(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _staying_power(value: Any) -> float | tuple[int, int]:
    """A number > 0, or ``[lo, hi]`` whole numbers with 1 <= lo <= hi."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError("a range must be [lo, hi], two whole numbers of hits")
        low, high = _whole(value[0]), _whole(value[1])
        if low is None or high is None:
            raise ValueError("a range [lo, hi] must be two whole numbers of hits")
        if not 1 <= low <= high <= MAX_STAYING_POWER:
            raise ValueError(
                f"a range [lo, hi] needs 1 <= lo <= hi <= {MAX_STAYING_POWER}, got [{low}, {high}]"
            )
        return (low, high)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number of hits > 0, or a range [lo, hi] of whole numbers")
    number = float(value)
    if not (math.isfinite(number) and 0 < number <= MAX_STAYING_POWER):
        raise ValueError(
            f"must be a finite number of hits > 0 and <= {MAX_STAYING_POWER}, got {value}"
        )
    return number


def _choice(what: str, value: str, known: tuple[str, ...]) -> str:
    if value not in known:
        message = unknown(what, value, list(known))
        if "known:" not in message:
            message += f" (known: {', '.join(known)})"
        raise ValueError(message)
    return value


# -- the schema ------------------------------------------------------------------------


class PointLayerSpec(StrictModel):
    """A per-ship point-defence layer (no inventory: guns and reloaded launchers)."""

    channels: float = Field(ge=0, le=MAX_CHANNELS, description="missiles it can engage per salvo")
    p_kill: float = Field(description="kill probability of one shot")
    shots: int = Field(default=1, ge=1, le=MAX_SHOTS, description="shots per engaged missile")
    doctrine: str = Field(default="salvo", description="salvo | shoot-look-shoot")

    _p = field_validator("p_kill")(probability)

    @field_validator("doctrine")
    @classmethod
    def _known_doctrine(cls, value: str) -> str:
        return _choice("doctrine", value, DOCTRINES)

    def layer(self) -> Layer:
        return Layer(
            channels=self.channels, p_kill=self.p_kill, shots=self.shots, doctrine=self.doctrine
        )


class AreaLayerSpec(PointLayerSpec):
    """The group-wide area layer, with a finite interceptor inventory per ship."""

    inventory: int | None = Field(
        default=None, ge=0, le=MAX_INVENTORY, description="interceptors per ship; null = unlimited"
    )

    def layer(self) -> Layer:
        return Layer(
            channels=self.channels,
            p_kill=self.p_kill,
            shots=self.shots,
            doctrine=self.doctrine,
            inventory=self.inventory,
        )


class LayersSpec(StrictModel):
    area: AreaLayerSpec | None = None
    point: PointLayerSpec | None = None


class UnitSpec(StrictModel):
    """``count`` identical ships: a catalog ship class (``class``) or a named unit."""

    name: str | None = Field(default=None, min_length=1)
    class_: str | None = Field(default=None, alias="class", min_length=1)
    count: int = Field(default=1, ge=1, le=MAX_SHIPS_PER_SIDE, description="ships")
    missiles: float | None = Field(
        default=None, ge=0, le=MAX_MISSILES_PER_SHIP, description="Hughes' α per salvo"
    )
    magazine: int | None = Field(
        default=None, ge=0, le=MAX_MAGAZINE, description="null = unlimited"
    )
    interceptors: float | None = Field(
        default=None, ge=0, le=MAX_INTERCEPTORS, description="Hughes' b3"
    )
    staying_power: Any = Field(default=None, description="hits (b1), or [lo, hi]")
    value: float | None = Field(
        default=None, ge=0, le=MAX_VALUE, description="weight under allocation value"
    )
    softkill_p: float | None = None
    layers: LayersSpec | None = None

    @field_validator("softkill_p")
    @classmethod
    def _softkill(cls, value: float | None) -> float | None:
        return None if value is None else probability(value)

    @field_validator("staying_power")
    @classmethod
    def _staying(cls, value: Any) -> Any:
        return None if value is None else _staying_power(value)

    @field_validator("class_")
    @classmethod
    def _known_class(cls, value: str | None, info: ValidationInfo) -> str | None:
        catalog = (info.context or {}).get("catalog")
        if value is None or catalog is None:
            return value
        classes = sorted(eid for eid, e in catalog.entities.items() if e.kind == "ship-class")
        if value not in classes:
            raise ValueError(unknown("ship class", value, classes))
        return value

    @model_validator(mode="after")
    def _named(self) -> UnitSpec:
        if self.name is None and self.class_ is None:
            raise ValueError("give class (a catalog ship class) or name (a unit written out)")
        if self.interceptors is not None and (self.class_ is not None or self.layers):
            raise ValueError(
                "interceptors (Hughes' b3) is derived from the defence layers for a catalog "
                "class or a unit with layers; give either interceptors or layers, not both"
            )
        return self


class SideSpec(StrictModel):
    """One side: attack and defence factors and its units."""

    scouting: float = Field(default=1.0, description="σ: share of missiles aimed at real targets")
    readiness: float = Field(default=1.0, description="τ: each defence channel is manned")
    reliability: float = Field(default=1.0, description="a launched missile flies")
    p_hit: float = Field(default=1.0, description="a leaker hits")
    allocation: str = Field(default="uniform", description="uniform | concentrated | value")
    units: list[UnitSpec] = Field(max_length=MAX_UNITS_PER_SIDE, description="at least one unit")

    _p = field_validator("scouting", "readiness", "reliability", "p_hit")(probability)

    @field_validator("allocation")
    @classmethod
    def _known_allocation(cls, value: str) -> str:
        return _choice("allocation", value, ALLOCATIONS)

    @field_validator("units")
    @classmethod
    def _some_units(cls, units: list[UnitSpec]) -> list[UnitSpec]:
        if not units or sum(unit.count for unit in units) < 1:
            raise ValueError("a side needs at least one unit with count >= 1")
        ships = sum(unit.count for unit in units)
        if ships > MAX_SHIPS_PER_SIDE:
            raise ValueError(f"{ships} ships; a side holds at most {MAX_SHIPS_PER_SIDE}")
        return units


class SalvoFile(StrictModel):
    """A salvo file as written (see ``docs/salvo.md``)."""

    description: str = ""
    model: Literal["stochastic", "hughes"] = "stochastic"
    replications: int = Field(default=10_000, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    rounds: int = Field(default=1, ge=1, le=MAX_ROUNDS, description="salvo exchanges at most")
    order: str = Field(default=SIMULTANEOUS, description="simultaneous or a side name")
    sides: dict[str, SideSpec] = Field(description="exactly two sides, by name")


# -- the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class SalvoSpec:
    """What to run: the model, run settings and the two sides (in file order)."""

    model: str
    replications: int
    seed: int
    rounds: int
    order: str
    sides: tuple[Side, Side]
    description: str = ""

    def with_run(
        self,
        *,
        model: str | None = None,
        replications: int | None = None,
        seed: int | None = None,
        rounds: int | None = None,
    ) -> SalvoSpec:
        """The same exchange with other run settings (command-line overrides); raises
        :class:`SalvoSpecError` for a value outside its range."""
        changes: dict[str, Any] = {}
        problems: list[Problem] = []
        if model is not None:
            if model in MODELS:
                changes["model"] = model
            else:
                problems.append(Problem.at("model", unknown("model", model, list(MODELS))))
        for name, value, low, high in (
            ("replications", replications, 1, MAX_REPLICATIONS),
            ("seed", seed, 0, MAX_SEED),
            ("rounds", rounds, 1, MAX_ROUNDS),
        ):
            if value is None:
                continue
            number = _whole(value)
            if number is None or not low <= number <= high:
                problems.append(Problem.at(name, f"must be a whole number in {low}..{high:_}"))
            else:
                changes[name] = number
        if problems:
            raise SalvoSpecError("", problems)
        return replace(self, **changes)


# -- loading ---------------------------------------------------------------------------


def _cross_problems(document: Mapping[str, Any]) -> list[Problem]:
    """Checks across fields, made on the raw document so that they are reported together
    with any field problems: exactly two sides, an order naming one of them."""
    sides = document.get("sides")
    if not isinstance(sides, Mapping):
        return []
    problems: list[Problem] = []
    names = [str(name) for name in sides]
    if len(names) != 2:
        listed = f": {', '.join(names)}" if names else ""
        problems.append(Problem.at("sides", f"need exactly two sides, got {len(names)}{listed}"))
    order = document.get("order", SIMULTANEOUS)
    if isinstance(order, str) and order != SIMULTANEOUS and order not in names:
        hint = did_you_mean(order, [SIMULTANEOUS, *names], n=1)
        problems.append(
            Problem.at(
                "order",
                f"unknown firing order {order!r}{hint} (use {SIMULTANEOUS} or the name of "
                f"the side that fires first: {', '.join(names)})",
            )
        )
    return problems


def _ship_type(unit: UnitSpec, catalog: Catalog) -> ShipType:
    given = unit.model_fields_set
    if unit.class_ is not None:
        ship = ship_type_from_class(catalog, unit.class_, unit.count, unit.name)
    else:
        ship = ShipType(name=str(unit.name), count=unit.count)
    changes: dict[str, Any] = {}
    for name in ("missiles", "interceptors", "value", "softkill_p"):
        if getattr(unit, name) is not None:
            changes[name] = float(getattr(unit, name))
    if "magazine" in given:
        changes["magazine"] = unit.magazine
    if isinstance(unit.staying_power, tuple):
        low, high = unit.staying_power
        changes["staying_power"] = (low + high) / 2.0
        changes["staying_power_range"] = (low, high)
    elif unit.staying_power is not None:
        changes["staying_power"] = float(unit.staying_power)
        changes["staying_power_range"] = None
    if unit.layers is not None:
        changes["area"] = unit.layers.area.layer() if unit.layers.area else None
        changes["point"] = unit.layers.point.layer() if unit.layers.point else None
        changes["layers_given"] = True
    return replace(ship, **changes)


def salvo_spec_from_mapping(document: Any, catalog: Catalog, source: str = "") -> SalvoSpec:
    """Validate a parsed document and build the two sides; :class:`SalvoSpecError`
    listing every problem otherwise."""
    if not isinstance(document, Mapping):
        kind = "empty" if document is None else type(document).__name__
        raise SalvoSpecError(
            source, [Problem.at("", f"top level must be a mapping of fields, not {kind}")]
        )
    problems: list[Problem] = []
    parsed: SalvoFile | None = None
    try:
        parsed = SalvoFile.model_validate(dict(document), context={"catalog": catalog})
    except ValidationError as error:
        problems.extend(problems_from_validation(error))
    problems.extend(p for p in _cross_problems(document) if p not in problems)
    if problems or parsed is None:
        raise SalvoSpecError(source, problems)

    sides: list[Side] = []
    for side_name, side in parsed.sides.items():
        ships = []
        for index, unit in enumerate(side.units):
            try:
                ships.append(_ship_type(unit, catalog))
            except ValueError as error:  # a combination the field checks let through
                path = f"sides.{side_name}.units[{index}]"
                problems.append(Problem.at(path, str(error)))
        if ships:
            sides.append(
                Side(
                    name=side_name,
                    ships=tuple(ships),
                    scouting=side.scouting,
                    readiness=side.readiness,
                    reliability=side.reliability,
                    p_hit=side.p_hit,
                    allocation=side.allocation,  # type: ignore[arg-type]
                )
            )
    if problems:
        raise SalvoSpecError(source, problems)
    return SalvoSpec(
        model=parsed.model,
        replications=parsed.replications,
        seed=parsed.seed,
        rounds=parsed.rounds,
        order=parsed.order,
        sides=(sides[0], sides[1]),
        description=parsed.description,
    )


def parse_salvo_spec(text: str, source: str = "", catalog: Catalog | None = None) -> SalvoSpec:
    """A salvo spec from YAML text (:func:`nansei.io.parse_yaml`); the bundled catalog if
    none is given."""
    try:
        document = parse_yaml(text)
    except InputError as error:
        problems = [Problem.at(p.path, p.message) for p in error.problems]
        raise SalvoSpecError(source, problems) from None
    return salvo_spec_from_mapping(document, catalog or default_catalog(), source)


def load_salvo_spec(path: str | Path, catalog: Catalog | None = None) -> SalvoSpec:
    """Read and validate a salvo file; the bundled catalog if none is given."""
    path = Path(path)
    try:
        text = read_input(path, "")
    except InputError as error:
        raise SalvoSpecError(str(path), error.problems) from None
    return parse_salvo_spec(text, str(path), catalog)
