"""The sourced parameter catalog: the one place numbers live (MODEL.md §1).

The catalog is a directory of YAML files. Each file holds any of the top-level
sections ``sources``, ``entities``, ``sites``, ``gates``, ``postures`` and
``budget_series``; records are keyed by ``id`` (postures by ``year``). A user's
directory (``--catalog DIR`` or ``NANSEI_CATALOG``) is layered over the bundled
one: a record with a new id is added, a record with a known id is merged into the
bundled one (for entities, parameter by parameter, field by field), so an analyst
can change one assumption with a three-line file.

Every problem found while loading is collected as a :class:`Problem` naming the
file and the field path; :class:`CatalogError` carries all of them.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

#: ``yaml.safe_load``'s loader, in C (libyaml) when PyYAML has it: the same safe constructors,
#: but it parses the bundled catalog about ten times faster, which is most of a quick
#: command's start-up (``nansei reach``).
SAFE_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The fixed vocabulary of units a parameter may carry.
UNITS: frozenset[str] = frozenset(
    {
        "km",
        "kn",
        "h",
        "days",
        "year",
        "missiles",
        "launchers",
        "hits",
        "cells",
        "channels",
        "shots",
        "ships",
        "decoys",
        "count",
        "probability",
        "ratio",
        "per hour",
        "per day",
        "per year",
        "¥ trillion",
        "% of GDP",
        "USD billion",
    }
)

ENTITY_KINDS: frozenset[str] = frozenset(
    {"missile", "company", "ship-class", "engagement", "survival", "isr", "threat"}
)

SECTIONS = ("sources", "entities", "sites", "gates", "postures", "budget_series")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: str
    title: str
    publisher: str
    date: str = ""
    url: str = ""
    note: str = ""


class Param(_Strict):
    """One sourced number with its plausible range, in ``unit``."""

    value: float
    low: float
    high: float
    unit: str
    sources: list[str] = Field(min_length=1)
    note: str = ""

    @field_validator("value", "low", "high")
    @classmethod
    def _finite(cls, number: float) -> float:
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; allowed: {', '.join(sorted(UNITS))}")
        return unit

    def bounds_problem(self) -> str | None:
        if not self.low <= self.high:
            return f"low ({self.low:g}) is greater than high ({self.high:g})"
        if not self.low <= self.value <= self.high:
            return f"value {self.value:g} is outside [low, high] = [{self.low:g}, {self.high:g}]"
        if self.unit == "probability" and not (0.0 <= self.low and self.high <= 1.0):
            return "a probability must lie in [0, 1]"
        return None


class Entity(_Strict):
    """A system, force element or set of priors, holding named parameters."""

    id: str
    kind: str
    name: str
    note: str = ""
    sources: list[str] = Field(default_factory=list)
    params: dict[str, Param]

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in ENTITY_KINDS:
            raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(sorted(ENTITY_KINDS))}")
        return kind


class Site(_Strict):
    id: str
    name: str
    kind: Literal["garrison", "place", "base"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sources: list[str] = Field(min_length=1)
    note: str = ""


class Gate(_Strict):
    """A named strait or gap as a polyline of (lat, lon) points, degrees."""

    id: str
    name: str
    points: list[tuple[float, float]] = Field(min_length=2)
    sources: list[str] = Field(min_length=1)
    note: str = ""

    @field_validator("points")
    @classmethod
    def _in_range(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for index, (lat, lon) in enumerate(points):
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(
                    f"point {index} ({lat}, {lon}) is outside lat [-90, 90] / lon [-180, 180]"
                )
        return points


#: The parameters a company entity (kind ``company``) gives a posture unit, per company.
COMPANY_PARAMS = ("launchers", "missiles_per_launcher", "reload_stock")


class PostureUnit(_Strict):
    """One unit of a dated posture. Its launchers, missiles per launcher and reload stock
    come from its ``company`` entity (times ``companies``), unless given explicitly;
    :func:`nansei.posture.resolve_posture` turns it into numbers."""

    id: str
    system: str
    site: str
    company: str | None = None
    companies: int = Field(default=1, ge=1, le=100)
    launchers: int | None = Field(default=None, ge=0)
    missiles_per_launcher: int | None = Field(default=None, ge=0)
    reload_stock: int | None = Field(default=None, ge=0)
    platform: Literal["truck", "ship", "fixed"] = "truck"
    sources: list[str] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _counts_known(self) -> PostureUnit:
        if self.company is None:
            # Without a company, the depot is empty unless given (as before companies).
            if self.reload_stock is None:
                object.__setattr__(self, "reload_stock", 0)
            missing = [name for name in COMPANY_PARAMS if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"give a company (a catalog company id) or {', '.join(missing)} explicitly"
                )
        return self


class Posture(_Strict):
    year: int = Field(ge=1945, le=2100)
    label: str
    status: Literal["observed", "planned"] = "observed"
    note: str = ""
    units: list[PostureUnit]


class BudgetPoint(_Strict):
    year: int
    value: float
    sources: list[str] = Field(min_length=1)


class BudgetSeries(_Strict):
    id: str
    definition: str
    unit: str
    points: list[BudgetPoint] = Field(min_length=1)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; allowed: {', '.join(sorted(UNITS))}")
        return unit


_MODELS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "entities": Entity,
    "sites": Site,
    "gates": Gate,
    "postures": Posture,
    "budget_series": BudgetSeries,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the catalog: where (file, field path) and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """The catalog (bundled or layered) did not validate; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownIdError(KeyError):
    """An id, year or name that the catalog does not hold, with close matches."""

    def __init__(self, what: str, wanted: object, known: list[str]):
        self.what, self.wanted, self.known = what, wanted, known
        self.suggestions = difflib.get_close_matches(str(wanted), known, n=5, cutoff=0.5)
        super().__init__(str(self))

    def __str__(self) -> str:
        message = f"unknown {self.what} {self.wanted!r}"
        if self.suggestions:
            message += f"; did you mean: {', '.join(self.suggestions)}?"
        if len(self.known) <= 12:
            message += f" (known: {', '.join(self.known)})"
        return message


@dataclass(frozen=True)
class Catalog:
    """The validated catalog. Read-only; use :meth:`with_overrides` for what-ifs."""

    sources: Mapping[str, Source]
    entities: Mapping[str, Entity]
    sites: Mapping[str, Site]
    gates: Mapping[str, Gate]
    postures: Mapping[int, Posture]
    budget_series: Mapping[str, BudgetSeries]
    origin: tuple[str, ...] = field(default=())

    # -- look-ups ------------------------------------------------------------
    def entity(self, entity_id: str) -> Entity:
        try:
            return self.entities[entity_id]
        except KeyError:
            raise UnknownIdError("id", entity_id, sorted(self.entities)) from None

    def site(self, site_id: str) -> Site:
        try:
            return self.sites[site_id]
        except KeyError:
            raise UnknownIdError("site", site_id, sorted(self.sites)) from None

    def gate(self, gate_id: str) -> Gate:
        try:
            return self.gates[gate_id]
        except KeyError:
            raise UnknownIdError("gate", gate_id, sorted(self.gates)) from None

    def posture(self, year: int | str) -> Posture:
        try:
            return self.postures[int(year)]
        except (KeyError, ValueError):
            raise UnknownIdError("year", year, [str(y) for y in sorted(self.postures)]) from None

    def param(self, param_id: str) -> Param:
        """A parameter by its dotted id ``ENTITY.PARAM`` (e.g. ``type12-improved.range_km``)."""
        entity_id, _, name = param_id.partition(".")
        entity = self.entities.get(entity_id)
        if entity is None or name not in entity.params:
            raise UnknownIdError("parameter", param_id, self.param_ids())
        return entity.params[name]

    def value(self, param_id: str) -> float:
        return self.param(param_id).value

    def param_ids(self) -> list[str]:
        return [pid for pid, _ in self.iter_params()]

    def iter_params(self) -> Iterator[tuple[str, Param]]:
        for entity in self.entities.values():
            for name, param in entity.params.items():
                yield f"{entity.id}.{name}", param

    def range_km(self, system_id: str) -> Param:
        """The range parameter of a missile system, km."""
        return self.param(f"{system_id}.range_km")

    def with_overrides(self, overrides: Mapping[str, float]) -> Catalog:
        """A copy with parameter values replaced, each checked against its ``[low, high]``.

        Raises :class:`UnknownIdError` for an unknown id and :class:`CatalogError`
        for a value outside the parameter's range.
        """
        entities = dict(self.entities)
        problems: list[Problem] = []
        for param_id, new_value in overrides.items():
            current = self.param(param_id)
            entity_id, _, name = param_id.partition(".")
            candidate = current.model_copy(update={"value": float(new_value)})
            issue = candidate.bounds_problem()
            if issue:
                problems.append(Problem("override", param_id, issue))
                continue
            entity = entities[entity_id]
            entities[entity_id] = entity.model_copy(
                update={"params": {**entity.params, name: candidate}}
            )
        if problems:
            raise CatalogError(problems)
        return Catalog(
            self.sources,
            entities,
            self.sites,
            self.gates,
            self.postures,
            self.budget_series,
            self.origin,
        )

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "entities": len(self.entities),
            "parameters": sum(len(e.params) for e in self.entities.values()),
            "sites": len(self.sites),
            "gates": len(self.gates),
            "postures": len(self.postures),
            "budget_series": len(self.budget_series),
        }


# -- loading ------------------------------------------------------------------


def bundled_dir() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(resources.files("nansei") / "data"))


def _read_yaml_dir(directory: Path, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    docs: list[tuple[str, dict[str, Any]]] = []
    if not directory.is_dir():
        problems.append(Problem(str(directory), "", "catalog directory does not exist"))
        return docs
    for path in sorted(directory.glob("*.y*ml")):
        label = str(path) if directory != bundled_dir() else path.name
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_YAML_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(Problem(label, "", f"not valid YAML: {_one_line(exc)}"))
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(
                Problem(
                    label, "", f"top level must be a mapping of sections ({', '.join(SECTIONS)})"
                )
            )
            continue
        for key in doc:
            if key not in SECTIONS:
                problems.append(
                    Problem(label, str(key), "unknown section; allowed: " + ", ".join(SECTIONS))
                )
        docs.append((label, doc))
    return docs


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _key_of(section: str, record: dict[str, Any]) -> Any:
    return record.get("year") if section == "postures" else record.get("id")


def _merge(base: dict[str, Any], over: dict[str, Any], section: str) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if section == "entities" and key == "params" and isinstance(value, dict):
            params = merged.setdefault("params", {})
            for name, fields in value.items():
                if isinstance(fields, dict) and isinstance(params.get(name), dict):
                    params[name] = {**params[name], **fields}
                else:
                    params[name] = fields
        else:
            merged[key] = value
    return merged


def _collect(
    layers: list[list[tuple[str, dict[str, Any]]]], problems: list[Problem]
) -> dict[str, dict[Any, tuple[str, str, dict[str, Any]]]]:
    """Records per section keyed by id: (file, path, raw record); later layers merge over."""
    records: dict[str, dict[Any, tuple[str, str, dict[str, Any]]]] = {s: {} for s in SECTIONS}
    for layer_index, docs in enumerate(layers):
        seen_in_layer: dict[tuple[str, Any], str] = {}
        for label, doc in docs:
            for section in SECTIONS:
                items = doc.get(section)
                if items is None:
                    continue
                if not isinstance(items, list):
                    problems.append(Problem(label, section, "must be a list of records"))
                    continue
                for index, record in enumerate(items):
                    path = f"{section}[{index}]"
                    if not isinstance(record, dict):
                        problems.append(Problem(label, path, "must be a mapping"))
                        continue
                    key = _key_of(section, record)
                    if key is None:
                        field_name = "year" if section == "postures" else "id"
                        problems.append(Problem(label, f"{path}.{field_name}", "field required"))
                        continue
                    if (section, key) in seen_in_layer:
                        problems.append(
                            Problem(
                                label,
                                f"{path}.id",
                                f"duplicate id {key!r} (first in {seen_in_layer[(section, key)]})",
                            )
                        )
                        continue
                    seen_in_layer[(section, key)] = f"{label}: {path}"
                    if layer_index > 0 and key in records[section]:
                        _, _, base = records[section][key]
                        records[section][key] = (label, path, _merge(base, record, section))
                    else:
                        records[section][key] = (label, path, record)
    return records


def _pydantic_problems(label: str, path: str, exc: ValidationError) -> list[Problem]:
    out = []
    for error in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        out.append(Problem(label, f"{path}{loc}", message))
    return out


def _validate(records, problems: list[Problem]) -> dict[str, dict[Any, BaseModel]]:
    built: dict[str, dict[Any, BaseModel]] = {s: {} for s in SECTIONS}
    where: dict[tuple[str, Any], tuple[str, str]] = {}
    for section, by_key in records.items():
        model = _MODELS[section]
        for key, (label, path, raw) in by_key.items():
            where[(section, key)] = (label, path)
            try:
                built[section][key] = model.model_validate(raw)
            except ValidationError as exc:
                problems.extend(_pydantic_problems(label, path, exc))
                if section == "entities":
                    _check_loose_params(label, path, raw, built["sources"], problems)
    _cross_check(built, where, problems)
    return built


def _check_loose_params(
    label: str,
    path: str,
    raw: dict[str, Any],
    sources: dict[Any, BaseModel],
    problems: list[Problem],
) -> None:
    """Range checks on the well-formed parameters of an entity that failed elsewhere,
    so that one run lists every problem."""
    params = raw.get("params")
    if not isinstance(params, dict):
        return
    for name, fields in params.items():
        try:
            param = Param.model_validate(fields)
        except ValidationError:
            continue
        issue = param.bounds_problem()
        if issue:
            problems.append(Problem(label, f"{path}.params.{name}", issue))
        for index, source_id in enumerate(param.sources):
            if source_id not in sources:
                problems.append(
                    Problem(
                        label,
                        f"{path}.params.{name}.sources[{index}]",
                        f"unknown source id {source_id!r}",
                    )
                )


def _cross_check(built, where, problems: list[Problem]) -> None:
    sources = built["sources"]

    def check_sources(label: str, path: str, ids: list[str]) -> None:
        for index, source_id in enumerate(ids):
            if source_id not in sources:
                close = difflib.get_close_matches(source_id, list(sources), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problems.append(
                    Problem(
                        label, f"{path}.sources[{index}]", f"unknown source id {source_id!r}{hint}"
                    )
                )

    for key, entity in built["entities"].items():
        label, path = where[("entities", key)]
        check_sources(label, path, entity.sources)
        for name, param in entity.params.items():
            check_sources(label, f"{path}.params.{name}", param.sources)
            issue = param.bounds_problem()
            if issue:
                problems.append(Problem(label, f"{path}.params.{name}", issue))
    for section in ("sites", "gates"):
        for key, record in built[section].items():
            label, path = where[(section, key)]
            check_sources(label, path, record.sources)
    for key, series in built["budget_series"].items():
        label, path = where[("budget_series", key)]
        for index, point in enumerate(series.points):
            check_sources(label, f"{path}.points[{index}]", point.sources)
    for key, posture in built["postures"].items():
        label, path = where[("postures", key)]
        unit_ids: set[str] = set()
        for index, unit in enumerate(posture.units):
            unit_path = f"{path}.units[{index}]"
            check_sources(label, unit_path, unit.sources)
            if unit.id in unit_ids:
                problems.append(Problem(label, f"{unit_path}.id", f"duplicate unit id {unit.id!r}"))
            unit_ids.add(unit.id)
            system = built["entities"].get(unit.system)
            if system is None:
                known = _known(built["entities"], "missile")
                problems.append(
                    Problem(
                        label,
                        f"{unit_path}.system",
                        f"unknown system {unit.system!r}; known: {known}",
                    )
                )
            elif "range_km" not in system.params:
                problems.append(
                    Problem(
                        label,
                        f"{unit_path}.system",
                        f"system {unit.system!r} has no range_km parameter",
                    )
                )
            if unit.company is not None:
                company = built["entities"].get(unit.company)
                if company is None or company.kind != "company":
                    problems.append(
                        Problem(
                            label,
                            f"{unit_path}.company",
                            f"unknown company {unit.company!r}; known: "
                            f"{_known(built['entities'], 'company')}",
                        )
                    )
                else:
                    for name in COMPANY_PARAMS:
                        if name not in company.params and getattr(unit, name) is None:
                            problems.append(
                                Problem(
                                    label,
                                    f"{unit_path}.{name}",
                                    f"company {unit.company!r} has no {name} parameter; "
                                    "give it explicitly",
                                )
                            )
            if unit.site not in built["sites"]:
                close = difflib.get_close_matches(unit.site, list(built["sites"]), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problems.append(
                    Problem(label, f"{unit_path}.site", f"unknown site {unit.site!r}{hint}")
                )


def _known(entities, kind: str) -> str:
    return ", ".join(sorted(k for k, e in entities.items() if e.kind == kind))


def catalog_dirs(overlay: str | os.PathLike[str] | None = None) -> list[Path]:
    """The layers to load, bundled first: ``overlay`` or else ``$NANSEI_CATALOG``."""
    dirs = [bundled_dir()]
    extra = overlay if overlay is not None else os.environ.get("NANSEI_CATALOG") or None
    if extra:
        dirs.append(Path(extra))
    return dirs


def load_catalog(overlay: str | os.PathLike[str] | None = None) -> Catalog:
    """Load and validate the bundled catalog with an optional user directory over it.

    Raises :class:`CatalogError` listing every problem (file and field path).
    """
    problems: list[Problem] = []
    dirs = catalog_dirs(overlay)
    layers = [_read_yaml_dir(d, problems) for d in dirs]
    records = _collect(layers, problems)
    built = _validate(records, problems)
    if problems:
        raise CatalogError(problems)
    return Catalog(
        sources=built["sources"],
        entities=built["entities"],
        sites=built["sites"],
        gates=built["gates"],
        postures=dict(sorted(built["postures"].items())),
        budget_series=built["budget_series"],
        origin=tuple(str(d) for d in dirs),
    )


_CACHE: dict[tuple[str, ...], Catalog] = {}


def default_catalog(overlay: str | os.PathLike[str] | None = None) -> Catalog:
    """:func:`load_catalog`, memoised per set of directories (the files are read once)."""
    key = tuple(str(d) for d in catalog_dirs(overlay))
    if key not in _CACHE:
        _CACHE[key] = load_catalog(overlay)
    return _CACHE[key]
