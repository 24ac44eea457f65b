"""A sweep file: which scenario, years, replications, and which points to run.

```yaml
scenario: miyako-transit        # bundled name or file
years: [2025, 2026]
replications: 1000
seed: 7
grid:                            # full factorial; or `points:`; or `sample:`
  isr.cue_rate_per_h: [0.1, 0.3, 0.5]
  scenario.doctrine.salvo_size: [4, 8, 16]
```

``points:`` is a list of mappings (id → value); ``sample: {method: sobol|lhs, n: 256,
params: [ID, ID=LOW..HIGH, scenario.PATH=LOW..HIGH]}`` draws ``n`` points of the listed
factors (default: every parameter the years' runs read with ``low < high``) from their
distributions. Each key is a catalog parameter id or a ``scenario.<dotted path>``.
:func:`resolve` checks everything against the catalog and the scenario (unknown ids with
the closest names, values outside a parameter's range, parameters no year reads) and
returns the points. Pure: the caller reads the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from nansei.campaign.scenario import Scenario
from nansei.campaign.setup import CampaignSetup, build_setup
from nansei.catalog import Catalog
from nansei.problems import NanseiError, StrictModel, problems_from_validation
from nansei.uncertainty.sampling import (
    SCENARIO_PREFIX,
    Factor,
    FactorError,
    apply_factors,
    catalog_factor,
    default_factors,
    latin_hypercube,
    parse_factor,
    scenario_value,
)

__all__ = [
    "MAX_TASKS",
    "SweepError",
    "SweepPlan",
    "SweepSpec",
    "parse_spec",
    "check_size",
    "resolve",
]

#: More tasks than this needs ``--force`` (a typo in a grid can ask for years of work).
MAX_TASKS = 100_000


class SweepError(NanseiError, ValueError):
    """A sweep file that cannot run; each problem names its field (one line each)."""


class Sample(StrictModel):
    method: Literal["sobol", "lhs"]
    n: int = Field(ge=1, le=1_000_000)
    params: list[str] | None = None


class SweepSpec(StrictModel):
    """The sweep file's fields (see the module doc)."""

    scenario: str
    years: list[int] | None = Field(default=None, min_length=1)
    replications: int | None = Field(default=None, ge=1)
    seed: int | None = Field(default=None, ge=0)
    chunk: int = Field(default=1000, ge=1, description="replications per task")
    grid: dict[str, list[float]] | None = None
    points: list[dict[str, float]] | None = None
    sample: Sample | None = None

    @model_validator(mode="after")
    def _one_design(self) -> SweepSpec:
        given = [name for name in ("grid", "points", "sample") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of grid, points or sample")
        return self


def parse_spec(document: Any) -> SweepSpec:
    """The parsed YAML document as a spec (``SweepError`` naming the field)."""
    if not isinstance(document, Mapping):
        raise SweepError("the sweep file must be a YAML mapping (scenario:, years:, grid:, …)")
    try:
        return SweepSpec.model_validate(dict(document))
    except ValidationError as error:
        raise SweepError(problems_from_validation(error)) from None


@dataclass(frozen=True)
class SweepPlan:
    """A resolved sweep: scenario, years, run settings and the points (id → value)."""

    scenario: Scenario
    years: tuple[int | None, ...]
    replications: int
    seed: int
    chunk: int
    keys: tuple[str, ...]
    points: tuple[dict[str, float], ...]
    setups: Mapping[int | None, CampaignSetup]

    @property
    def tasks(self) -> int:
        return len(self.years) * len(self.points) * -(-self.replications // self.chunk)


def _check_value(key: str, value: float, catalog: Catalog, scenario: Scenario, where: str) -> None:
    if key.startswith(SCENARIO_PREFIX):
        try:
            apply_factors(scenario, {key: value})
        except FactorError as error:
            raise SweepError(f"{where}: {error}") from None
        return
    param = catalog.param(key)
    if not param.low <= value <= param.high:
        raise SweepError(
            f"{where}: {value:g} is outside {key}'s range [{param.low:g}, {param.high:g}]"
        )


def _check_key(key: str, catalog: Catalog, scenario: Scenario, read: set[str], where: str):
    try:
        if key.startswith(SCENARIO_PREFIX):
            scenario_value(scenario, key)
            return
        catalog_factor(catalog, key)
    except FactorError as error:
        raise SweepError(f"{where}: {error}") from None
    if key not in read:
        raise SweepError(f"{where}: {key} is not read by these runs (it could change nothing)")


def resolve(spec: SweepSpec, scenario: Scenario, catalog: Catalog, source: str = "") -> SweepPlan:
    """Check ``spec`` and list its points (raises ``SweepError`` or ``ScenarioError``)."""
    years: tuple[int | None, ...] = tuple(spec.years) if spec.years else (scenario.posture.year,)
    for year in years:
        if year is not None and year not in catalog.postures:
            known = ", ".join(str(y) for y in catalog.postures)
            raise SweepError(f"years: unknown posture year {year} (known: {known})")
    setups = {
        year: build_setup(
            scenario.with_year(year) if year is not None else scenario, catalog, source
        )
        for year in years
    }
    read = set().union(*(s.params for s in setups.values()))
    if spec.grid is not None:
        if not spec.grid or any(not values for values in spec.grid.values()):
            raise SweepError("grid: empty; give each key at least one value")
        keys = tuple(spec.grid)
        for key in keys:
            _check_key(key, catalog, scenario, read, f"grid.{key}")
            for value in spec.grid[key]:
                _check_value(key, value, catalog, scenario, f"grid.{key}")
        points = tuple(
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(spec.grid[k] for k in keys))
        )
    elif spec.points is not None:
        if not spec.points:
            raise SweepError("points: empty; give at least one point")
        keys = tuple(dict.fromkeys(k for point in spec.points for k in point))
        for i, point in enumerate(spec.points):
            if set(point) != set(keys):
                missing = ", ".join(sorted(set(keys) - set(point)))
                raise SweepError(f"points.{i}: every point needs the same keys (missing {missing})")
            for key, value in point.items():
                _check_key(key, catalog, scenario, read, f"points.{i}.{key}")
                _check_value(key, value, catalog, scenario, f"points.{i}.{key}")
        points = tuple({k: float(point[k]) for k in keys} for point in spec.points)
    else:
        factors = _sample_factors(spec, scenario, catalog, setups, read)
        keys = tuple(f.id for f in factors)
        seed = spec.seed if spec.seed is not None else scenario.seed
        values = _sample(spec.sample.method, factors, spec.sample.n, seed)
        points = tuple(
            {k: float(v) for k, v in zip(keys, row, strict=True)} for row in values.tolist()
        )
    return SweepPlan(
        scenario=scenario,
        years=years,
        replications=spec.replications or scenario.replications,
        seed=spec.seed if spec.seed is not None else scenario.seed,
        chunk=spec.chunk,
        keys=keys,
        points=points,
        setups=setups,
    )


def _sample_factors(spec, scenario, catalog, setups, read) -> list[Factor]:
    if spec.sample.params is None:
        seen: dict[str, Factor] = {}
        for setup in setups.values():
            for factor in default_factors(setup, catalog):
                seen.setdefault(factor.id, factor)
        return list(seen.values())
    factors = []
    for i, text in enumerate(spec.sample.params):
        try:
            factor = parse_factor(text, catalog, scenario)
        except FactorError as error:
            raise SweepError(f"sample.params.{i}: {error}") from None
        if not factor.is_scenario and factor.id not in read:
            raise SweepError(f"sample.params.{i}: {factor.id} is not read by these runs")
        factors.append(factor)
    if not factors:
        raise SweepError("sample.params: empty; give at least one parameter")
    return factors


def _sample(method: str, factors: list[Factor], n: int, seed: int) -> np.ndarray:
    if method == "lhs":
        return latin_hypercube(factors, n, seed)
    from scipy.stats import qmc

    # A scrambled Sobol' sequence (Owen scrambling): low-discrepancy points in [0, 1)^d.
    unit = qmc.Sobol(len(factors), scramble=True, seed=seed).random(n)
    return np.column_stack([f.ppf(unit[:, j]) for j, f in enumerate(factors)])


def check_size(plan: SweepPlan, force: bool) -> None:
    if plan.tasks > MAX_TASKS and not force:
        raise SweepError(
            f"the sweep has {plan.tasks} tasks (points × years × chunks), more than "
            f"{MAX_TASKS}; check the grid, raise chunk, or pass --force"
        )
