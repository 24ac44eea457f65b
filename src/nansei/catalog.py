"""The sourced parameter catalog: the one place numbers live (docs/model.md §1).

The catalog is a directory of YAML files. Each file holds any of the top-level
sections ``sources``, ``entities``, ``sites``, ``gates``, ``postures`` and
``budget_series``; records are keyed by ``id`` (postures by ``year``). A user's
directory (``--catalog DIR`` or ``NANSEI_CATALOG``) is layered over the bundled
one: a record with a new id is added, a record with a known id is merged into the
bundled one (for entities, parameter by parameter, field by field), so an analyst
can change one assumption with a three-line file.

Every problem found while loading is collected as a :class:`Problem` naming the
file and the field path; :class:`CatalogError` carries all of them.

Evidence rules. A source is either a ``publication`` (exact title, publisher, a full
date ``YYYY-MM-DD`` — or a year/month when a stable identifier such as a DOI, ISBN or
volume/issue pins it — and a URL or that identifier) or an ``assumption`` (a title and
its reasoning). Every parameter states its ``basis``: ``sourced`` (at least one
publication cited), ``derived`` (a ``formula`` over ``inputs``, which must be existing
parameter ids) or ``assumption`` (an assumption source cited and the reasoning in
``note``). An overlay may change a parameter's value, never its unit.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from nansei.io import InputError, parse_yaml, read_input
from nansei.problems import (
    NanseiError,
    Pair,
    Problem,
    StrictModel,
    did_you_mean,
    problems_from_validation,
    suggest,
)

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
        "km/h",
        "km2",
        "flag",
    }
)

ENTITY_KINDS: frozenset[str] = frozenset(
    {
        "missile",
        "company",
        "ship-class",
        "engagement",
        "survival",
        "isr",
        "threat",
        "strike",
        "air-defence",
    }
)

SECTIONS = ("sources", "entities", "sites", "gates", "postures", "budget_series")


#: How a parameter's value is known.
BASES = ("sourced", "derived", "assumption")
#: What a source is: something published a reader can find, or a modelling assumption.
SOURCE_KINDS = ("publication", "assumption")

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")


class Source(StrictModel):
    """A public source (``kind: publication``) or a named modelling assumption."""

    id: str
    kind: Literal["publication", "assumption"] = "publication"
    title: str
    publisher: str = ""
    author: str = ""
    date: str = ""
    url: str = ""
    identifier: str = ""
    reasoning: str = ""
    note: str = ""

    def evidence_problems(self) -> list[tuple[str, str]]:
        """(field, message) for each evidence rule this source breaks."""
        out: list[tuple[str, str]] = []
        if not self.title.strip():
            out.append(("title", "a source needs its exact title"))
        if self.kind == "assumption":
            if not self.reasoning.strip():
                out.append(("reasoning", "an assumption needs its reasoning"))
            return out
        if not self.publisher.strip():
            out.append(("publisher", "a publication needs its publisher"))
        if not (self.url.strip() or self.identifier.strip()):
            out.append(
                ("url", "a publication needs a URL or a stable identifier (DOI, ISBN, report no.)")
            )
        if self.url and not self.url.startswith(("https://", "http://")):
            out.append(("url", f"not a web address: {self.url!r}"))
        if _FULL_DATE.match(self.date):
            pass
        elif _PARTIAL_DATE.match(self.date) and self.identifier.strip():
            pass  # a journal issue, book or database release: the identifier pins it
        else:
            out.append(
                (
                    "date",
                    f"needs a full date YYYY-MM-DD (a year or month only with an identifier), "
                    f"got {self.date!r}",
                )
            )
        return out


class Param(StrictModel):
    """One sourced number with its plausible range, in ``unit``."""

    value: float
    low: float
    high: float
    unit: str
    sources: list[str] = Field(min_length=1)
    basis: Literal["sourced", "derived", "assumption"]
    #: How the value is uncertain between ``low`` and ``high`` for epistemic sampling
    #: (:mod:`nansei.uncertainty.sampling`); unset means triangular with mode ``value``.
    distribution: Literal["triangular", "uniform", "pert"] | None = None
    formula: str = ""
    inputs: list[str] = Field(default_factory=list)
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

    def bounds_problem(self, value: float | None = None) -> str | None:
        """What is wrong with the range, or with ``value`` (default: this parameter's own)
        in it; ``None`` when nothing is."""
        value = self.value if value is None else value
        if not self.low <= self.high:
            return f"low ({self.low:g}) is greater than high ({self.high:g})"
        if not self.low <= value <= self.high:
            return f"value {value:g} is outside [low, high] = [{self.low:g}, {self.high:g}]"
        if self.unit == "probability" and not (0.0 <= self.low and self.high <= 1.0):
            return "a probability must lie in [0, 1]"
        return None


class Entity(StrictModel):
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


#: Whose a site is. Reach counts only ``threat`` places as "reached": Japan's own and
#: allied bases and cities (``own``) and third parties (``other``, e.g. Taiwan) are shown
#: but not counted.
SITE_SIDES = ("own", "threat", "other")


class Site(StrictModel):
    id: str
    name: str
    kind: Literal["garrison", "place", "base"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sources: list[str] = Field(min_length=1)
    note: str = ""
    #: ``own`` | ``threat`` | ``other``; garrisons and bases are always ``own``.
    side: Literal["own", "threat", "other"] = "own"

    @model_validator(mode="after")
    def _own_installations(self) -> Site:
        if self.kind != "place" and self.side != "own":
            raise ValueError(f"side: a {self.kind} is always 'own' (only places take a side)")
        return self


class Gate(StrictModel):
    """A named strait or gap as a polyline of (lat, lon) points, degrees."""

    id: str
    name: str
    points: list[Pair] = Field(min_length=2)
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


class PostureUnit(StrictModel):
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


class Posture(StrictModel):
    year: int = Field(ge=1945, le=2100)
    label: str
    status: Literal["observed", "planned"] = "observed"
    note: str = ""
    units: list[PostureUnit]


class BudgetPoint(StrictModel):
    year: int
    value: float
    sources: list[str] = Field(min_length=1)


class BudgetSeries(StrictModel):
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


#: Parameter ids read through :meth:`Catalog.param` while a recording is active (see
#: :func:`nansei.provenance.recording_reads`); ``None`` when nothing is recording.
_READS: ContextVar[set[str] | None] = ContextVar("nansei_catalog_reads", default=None)


_MODELS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "entities": Entity,
    "sites": Site,
    "gates": Gate,
    "postures": Posture,
    "budget_series": BudgetSeries,
}


class CatalogError(NanseiError):
    """The catalog (bundled or layered) did not validate; ``problems`` lists why."""

    what = "catalog"

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)


class UnknownIdError(NanseiError, KeyError):
    """An id, year or name that the catalog does not hold, with close matches."""

    def __init__(self, what: str, wanted: object, known: list[str]):
        self.what_kind, self.wanted, self.known = what, wanted, known
        self.suggestions = suggest(wanted, known, n=5)
        message = f"unknown {what} {str(wanted)!r}"
        if self.suggestions:
            message += f"; did you mean: {', '.join(self.suggestions)}?"
        if len(known) <= 12:
            message += f" (known: {', '.join(known)})"
        super().__init__([Problem("", "", message)])


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
    #: Parameter id -> the overlay file whose record set it (bundled values are absent).
    overlaid: Mapping[str, str] = field(default_factory=dict)

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
        reads = _READS.get()
        if reads is not None:
            reads.add(param_id)
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

    def checked_overrides(self, overrides: Mapping[str, float]) -> dict[str, float]:
        """``overrides`` as floats, each checked against its parameter's ``[low, high]``
        (the checks of :meth:`with_overrides`, without copying the catalog: a study
        resolves thousands of points and reads the values through the overrides).

        Raises :class:`UnknownIdError` for an unknown id and :class:`CatalogError`
        for a value outside the parameter's range.
        """
        problems: list[Problem] = []
        checked: dict[str, float] = {}
        for param_id, new_value in overrides.items():
            number = float(new_value)
            issue = self.param(param_id).bounds_problem(number)
            if issue:
                problems.append(Problem("override", param_id, issue))
                continue
            checked[param_id] = number
        if problems:
            raise CatalogError(problems)
        return checked

    def with_overrides(self, overrides: Mapping[str, float]) -> Catalog:
        """A copy with parameter values replaced, each checked against its ``[low, high]``.

        Raises :class:`UnknownIdError` for an unknown id and :class:`CatalogError`
        for a value outside the parameter's range.
        """
        entities = dict(self.entities)
        changed: dict[str, dict[str, Param]] = {}  # entity id → its new parameters
        for param_id, number in self.checked_overrides(overrides).items():
            entity_id, _, name = param_id.partition(".")
            candidate = self.param(param_id).model_copy(update={"value": number})
            changed.setdefault(entity_id, {})[name] = candidate
        # One copy per entity however many of its parameters change (a sensitivity
        # design overrides dozens at every point).
        for entity_id, params in changed.items():
            entity = entities[entity_id]
            entities[entity_id] = entity.model_copy(update={"params": {**entity.params, **params}})
        return Catalog(
            self.sources,
            entities,
            self.sites,
            self.gates,
            self.postures,
            self.budget_series,
            self.origin,
            self.overlaid,
        )

    def digest(self) -> str:
        """SHA-256 (hex) of the resolved catalog content: every record after overlays and
        overrides, as canonical JSON. Two catalogs that differ in any value differ here."""
        payload = {
            section: {
                str(key): record.model_dump(mode="json")
                for key, record in getattr(self, section).items()
            }
            for section in SECTIONS
        }
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def counts(self) -> dict[str, int]:
        publications = [s for s in self.sources.values() if s.kind == "publication"]
        params = [p for _, p in self.iter_params()]
        return {
            "sources": len(self.sources),
            "sources_with_url": sum(bool(s.url) for s in publications),
            "sources_with_identifier_only": sum(
                bool(s.identifier) and not s.url for s in publications
            ),
            "assumption_sources": len(self.sources) - len(publications),
            "entities": len(self.entities),
            "parameters": len(params),
            **{f"parameters_{basis}": sum(p.basis == basis for p in params) for basis in BASES},
            "sites": len(self.sites),
            "gates": len(self.gates),
            "postures": len(self.postures),
            "budget_series": len(self.budget_series),
        }


# -- loading ------------------------------------------------------------------


def bundled_dir() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(resources.files("nansei") / "data"))


_BUNDLED_DOCS: list[tuple[str, dict[str, Any]]] | None = None


def _read_yaml_dir(directory: Path, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    """The parsed files of one layer. The bundled layer is parsed once per process (it
    ships with the package; the parsed documents are never modified)."""
    global _BUNDLED_DOCS
    if directory == bundled_dir():
        if _BUNDLED_DOCS is None:
            found: list[Problem] = []
            docs = _read_layer(directory, found)
            if found:
                problems.extend(found)
                return docs
            _BUNDLED_DOCS = docs
        return _BUNDLED_DOCS
    return _read_layer(directory, problems)


def _read_layer(directory: Path, problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
    docs: list[tuple[str, dict[str, Any]]] = []
    if not directory.is_dir():
        problems.append(Problem(str(directory), "", "catalog directory does not exist"))
        return docs
    paths = sorted(path for path in directory.iterdir() if path.suffix.lower() in (".yaml", ".yml"))
    for path in paths:
        label = str(path) if directory != bundled_dir() else path.name
        try:
            doc = parse_yaml(read_input(path, label), label)
        except InputError as exc:
            problems.extend(exc.problems)
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


def _key_of(section: str, record: dict[str, Any]) -> Any:
    return record.get("year") if section == "postures" else record.get("id")


def _merge(
    base: dict[str, Any],
    over: dict[str, Any],
    section: str,
    where: tuple[str, str],
    problems: list[Problem],
) -> dict[str, Any]:
    """``over`` (an overlay record) merged into ``base`` (the record it extends).

    An entity's parameters merge field by field. A parameter the base entity does not
    have is a typo unless the overlay marks it ``new: true``; an entity's ``kind`` cannot
    change (its parameters would no longer mean what the models read them as).
    """
    label, path = where
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if section == "entities" and key == "kind" and value != base.get("kind"):
            problems.append(
                Problem(
                    label,
                    f"{path}.kind",
                    f"an overlay cannot change {base.get('id')!r} from kind "
                    f"{base.get('kind')!r} to {value!r}; give it a new id instead",
                )
            )
        elif section == "entities" and key == "params" and isinstance(value, dict):
            params = merged.setdefault("params", {})
            for name, fields in value.items():
                declared_new = isinstance(fields, dict) and fields.get("new") is True
                if declared_new:
                    fields = {k: v for k, v in fields.items() if k != "new"}
                if name in params and declared_new:
                    problems.append(
                        Problem(
                            label,
                            f"{path}.params.{name}",
                            f"marked new, but {base.get('id')!r} already has it; drop new: true",
                        )
                    )
                elif name not in params and not declared_new:
                    problems.append(
                        Problem(
                            label,
                            f"{path}.params.{name}",
                            f"{base.get('id')!r} has no parameter {str(name)!r}"
                            + did_you_mean(name, params)
                            + " (to add one, give it new: true and every field)",
                        )
                    )
                elif isinstance(fields, dict) and isinstance(params.get(name), dict):
                    params[name] = {**params[name], **fields}
                else:
                    params[name] = fields
        else:
            merged[key] = value
    return merged


def _collect(
    layers: list[list[tuple[str, dict[str, Any]]]],
    problems: list[Problem],
    overlaid: dict[str, str] | None = None,
) -> dict[str, dict[Any, tuple[str, str, dict[str, Any]]]]:
    """Records per section keyed by id: (file, path, raw record); later layers merge over.

    ``overlaid`` (filled in place): parameter id -> the overlay file that set it."""
    overlaid = {} if overlaid is None else overlaid
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
                    field_name = "year" if section == "postures" else "id"
                    if key is None:
                        problems.append(Problem(label, f"{path}.{field_name}", "field required"))
                        continue
                    wanted = int if section == "postures" else str
                    if not isinstance(key, wanted) or isinstance(key, bool):
                        kind = "a whole number" if wanted is int else "text"
                        problems.append(
                            Problem(label, f"{path}.{field_name}", f"must be {kind}, got {key!r}")
                        )
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
                    if layer_index > 0 and section == "entities":
                        base = records[section].get(key, (None, None, {}))[2]
                        _note_overlay(label, path, key, base, record, overlaid, problems)
                    if layer_index > 0 and key in records[section]:
                        _, _, base = records[section][key]
                        merged = _merge(base, record, section, (label, path), problems)
                        records[section][key] = (label, path, merged)
                    else:
                        records[section][key] = (label, path, record)
    return records


def _note_overlay(
    label: str,
    path: str,
    entity_id: Any,
    base: dict[str, Any],
    record: dict[str, Any],
    overlaid: dict[str, str],
    problems: list[Problem],
) -> None:
    """Record which parameters an overlay sets; an overlay may not change a unit (the
    models read every value in the unit the bundled catalog gives)."""
    params = record.get("params")
    if not isinstance(params, dict):
        return
    base_params = base.get("params") if isinstance(base.get("params"), dict) else {}
    for name, fields in params.items():
        overlaid[f"{entity_id}.{name}"] = label
        old = base_params.get(name)
        if isinstance(fields, dict) and isinstance(old, dict) and "unit" in fields:
            if fields["unit"] != old.get("unit"):
                problems.append(
                    Problem(
                        label,
                        f"{path}.params.{name}.unit",
                        f"an overlay may not change a parameter's unit "
                        f"(bundled: {old.get('unit')!r}, here: {fields['unit']!r})",
                    )
                )


def _validate(records, problems: list[Problem]) -> dict[str, dict[Any, BaseModel]]:
    built: dict[str, dict[Any, BaseModel]] = {s: {} for s in SECTIONS}
    where: dict[tuple[str, Any], tuple[str, str]] = {}
    # every parameter id the files define, also in entities that fail to validate, so a
    # derived parameter's inputs are checked against all of them
    param_ids = {
        f"{key}.{name}"
        for key, (_, _, raw) in records["entities"].items()
        if isinstance(raw.get("params"), dict)
        for name in raw["params"]
    }
    for section, by_key in records.items():
        model = _MODELS[section]
        for key, (label, path, raw) in by_key.items():
            where[(section, key)] = (label, path)
            try:
                built[section][key] = model.model_validate(raw)
            except ValidationError as exc:
                problems.extend(problems_from_validation(exc, label, path))
                if section == "entities":
                    _check_loose_params(label, path, raw, built["sources"], param_ids, problems)
    _cross_check(built, where, problems, param_ids, records)
    return built


def _check_loose_params(
    label: str,
    path: str,
    raw: dict[str, Any],
    sources: dict[Any, BaseModel],
    param_ids: set[str],
    problems: list[Problem],
) -> None:
    """Range, source and basis checks on the well-formed parameters of an entity that
    failed elsewhere, so that one run lists every problem."""
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
        param_id = f"{raw.get('id')}.{name}"
        for field_name, message in _basis_problems(param_id, param, sources, param_ids):
            problems.append(Problem(label, f"{path}.params.{name}.{field_name}", message))
        for index, source_id in enumerate(param.sources):
            if source_id not in sources:
                problems.append(
                    Problem(
                        label,
                        f"{path}.params.{name}.sources[{index}]",
                        f"unknown source id {source_id!r}",
                    )
                )


def _cross_check(built, where, problems: list[Problem], param_ids: set[str], records) -> None:
    """References between records. A reference to a record that exists but failed its
    own checks is not reported again (that record's problem is the one to fix)."""
    sources = built["sources"]

    def check_sources(label: str, path: str, ids: list[str]) -> None:
        for index, source_id in enumerate(ids):
            if source_id not in sources and source_id not in records["sources"]:
                hint = did_you_mean(source_id, sources)
                problems.append(
                    Problem(
                        label, f"{path}.sources[{index}]", f"unknown source id {source_id!r}{hint}"
                    )
                )

    for key, source in sources.items():
        label, path = where[("sources", key)]
        for field_name, message in source.evidence_problems():
            problems.append(Problem(label, f"{path}.{field_name}", message))
    for key, entity in built["entities"].items():
        label, path = where[("entities", key)]
        check_sources(label, path, entity.sources)
        for name, param in entity.params.items():
            check_sources(label, f"{path}.params.{name}", param.sources)
            issue = param.bounds_problem()
            if issue:
                problems.append(Problem(label, f"{path}.params.{name}", issue))
            for field_name, message in _basis_problems(
                f"{entity.id}.{name}", param, sources, param_ids
            ):
                problems.append(Problem(label, f"{path}.params.{name}.{field_name}", message))
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
            if system is None and unit.system in records["entities"]:
                pass  # that entity's own problems are reported
            elif system is None:
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
                if company is None and unit.company in records["entities"]:
                    pass  # that entity's own problems are reported
                elif company is None or company.kind != "company":
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
            if unit.site not in built["sites"] and unit.site not in records["sites"]:
                hint = did_you_mean(unit.site, built["sites"])
                problems.append(
                    Problem(label, f"{unit_path}.site", f"unknown site {unit.site!r}{hint}")
                )


def _basis_problems(
    param_id: str, param: Param, sources: Mapping[Any, Source], param_ids: set[str]
) -> list[tuple[str, str]]:
    """(field, message) for each way ``param`` fails to back its ``basis``."""
    kinds = {sources[s].kind for s in param.sources if s in sources}
    out: list[tuple[str, str]] = []
    if param.basis == "sourced" and "publication" not in kinds:
        out.append(("basis", "basis 'sourced' needs at least one publication in sources"))
    elif param.basis == "assumption":
        if "assumption" not in kinds:
            out.append(("basis", "basis 'assumption' needs an assumption source in sources"))
        if not param.note.strip():
            out.append(("note", "an assumption needs its reasoning in note"))
    elif param.basis == "derived":
        if not param.formula.strip():
            out.append(("formula", "basis 'derived' needs the formula"))
        if not param.inputs:
            out.append(("inputs", "basis 'derived' needs its input parameter ids"))
        for index, input_id in enumerate(param.inputs):
            if input_id == param_id or input_id not in param_ids:
                hint = did_you_mean(input_id, sorted(param_ids))
                out.append((f"inputs[{index}]", f"unknown parameter {input_id!r}{hint}"))
    return out


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
    overlaid: dict[str, str] = {}
    records = _collect(layers, problems, overlaid)
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
        overlaid=overlaid,
    )


_CACHE: dict[tuple[str, ...], Catalog] = {}


def default_catalog(overlay: str | os.PathLike[str] | None = None) -> Catalog:
    """:func:`load_catalog`, memoised per set of directories (the files are read once)."""
    key = tuple(str(d) for d in catalog_dirs(overlay))
    if key not in _CACHE:
        _CACHE[key] = load_catalog(overlay)
    return _CACHE[key]
