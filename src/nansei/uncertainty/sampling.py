"""Uncertain inputs ("factors") and how to sample them.

A *factor* is one input a study varies: a catalog parameter (``survival.p_detect``)
between its catalog ``low`` and ``high``, or a scenario decision given by its dotted path
(``scenario.doctrine.salvo_size``) with a range. Each factor maps a unit-interval
quantile ``u`` to a value through the inverse CDF of its distribution, so every sampler
(Latin hypercube for epistemic bands, SALib's Saltelli and Morris designs) works in the
unit hypercube and the model sees values drawn from the factor's own distribution:

- ``triangular`` (the default, mode at the catalog ``value``): inverse CDF
  ``a + √(u (b − a)(c − a))`` for ``u < (c − a)/(b − a)``, else ``b − √((1 − u)(b − a)(b − c))``
  (Evans, Hastings & Peacock, *Statistical Distributions*, 3rd ed., ch. 40);
- ``uniform``: ``a + u (b − a)``;
- ``pert``: a Beta(α, β) on ``[a, b]`` with ``α = 1 + 4 (c − a)/(b − a)`` and
  ``β = 1 + 4 (b − c)/(b − a)``, mean ``(a + 4c + b)/6`` (Malcolm, Roseboom, Clark &
  Fazar, "Application of a technique for R&D program evaluation", *Operations Research*
  7 (1959) 646–669; the Beta parameterisation of Vose, *Risk Analysis*, 3rd ed., §10.3).

Pure: no files, no printing.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError
from scipy import stats

from nansei.campaign.scenario import Scenario
from nansei.campaign.setup import CampaignSetup
from nansei.catalog import Catalog
from nansei.problems import (
    NanseiError,
    Problem,
    ScenarioError,
    did_you_mean,
    problems_from_validation,
)

__all__ = [
    "DISTRIBUTIONS",
    "SCENARIO_PREFIX",
    "Factor",
    "FactorError",
    "apply_factors",
    "catalog_factor",
    "default_factors",
    "latin_hypercube",
    "parse_factor",
    "scenario_factor",
    "scenario_value",
]

DISTRIBUTIONS = ("triangular", "uniform", "pert")
SCENARIO_PREFIX = "scenario."


class FactorError(NanseiError, ValueError):
    """A factor that cannot be studied: unknown id or path, bad range. One line each."""


@dataclass(frozen=True)
class Factor:
    """One uncertain input: its id, nominal value, range, distribution and where it goes."""

    id: str
    value: float
    low: float
    high: float
    distribution: str = "triangular"
    basis: str = "assumption"  # the catalog's sourced|derived|assumption, or "decision"
    integer: bool = False  # a scenario field that takes whole numbers

    @property
    def is_scenario(self) -> bool:
        return self.id.startswith(SCENARIO_PREFIX)

    def ppf(self, u: Any) -> np.ndarray:
        """Values at quantiles ``u`` in [0, 1] (the inverse CDF; see the module doc)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        a, b, c = self.low, self.high, self.value
        if b <= a:
            values = np.full(u.shape, a)
        elif self.distribution == "uniform":
            values = a + u * (b - a)
        elif self.distribution == "pert":
            alpha = 1.0 + 4.0 * (c - a) / (b - a)
            beta = 1.0 + 4.0 * (b - c) / (b - a)
            values = a + stats.beta.ppf(u, alpha, beta) * (b - a)
        else:
            split = (c - a) / (b - a)
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
            values = np.where(u < split, left, right)
        if self.integer:
            values = np.rint(values)
        return np.clip(values, a, b)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "distribution": self.distribution,
            "basis": self.basis,
        }


def catalog_factor(catalog: Catalog, param_id: str, low=None, high=None) -> Factor:
    """A catalog parameter as a factor (optionally on a narrower ``[low, high]``)."""
    ids = catalog.param_ids()
    if param_id not in ids:
        raise FactorError(f"{param_id}: unknown catalog parameter{did_you_mean(param_id, ids)}")
    param = catalog.param(param_id)
    lo = param.low if low is None else float(low)
    hi = param.high if high is None else float(high)
    if not param.low <= lo <= hi <= param.high:
        raise FactorError(
            f"{param_id}: range {lo:g}..{hi:g} is outside the catalog's "
            f"[{param.low:g}, {param.high:g}]"
        )
    return Factor(
        id=param_id,
        value=min(max(param.value, lo), hi),
        low=lo,
        high=hi,
        distribution=param.distribution or "triangular",
        basis=param.basis,
    )


def _scenario_leaf(scenario: Scenario, path: str) -> Any:
    """The current value at dotted ``path`` of the scenario (``FactorError`` if none)."""
    node: Any = scenario.model_dump()
    walked = []
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            known = [f"{'.'.join(walked + [k])}" for k in node] if isinstance(node, Mapping) else []
            raise FactorError(
                f"{SCENARIO_PREFIX}{path}: the scenario has no field {part!r}"
                f"{did_you_mean('.'.join(walked + [part]), known)}"
            )
        walked.append(part)
    return node


def scenario_value(scenario: Scenario, key: str) -> Any:
    """The scenario's value at ``scenario.<dotted path>`` (``FactorError`` if no such field)."""
    return _scenario_leaf(scenario, key.removeprefix(SCENARIO_PREFIX))


def _set_leaf(data: Any, parts: Sequence[str], value: Any) -> None:
    for part in parts[:-1]:
        data = data[int(part)] if isinstance(data, list) else data[part]
    last = parts[-1]
    if isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


def scenario_factor(scenario: Scenario, path: str, low: float, high: float) -> Factor:
    """A scenario decision at ``scenario.<path>`` varied over ``[low, high]``."""
    path = path.removeprefix(SCENARIO_PREFIX)
    current = _scenario_leaf(scenario, path)
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise FactorError(f"{SCENARIO_PREFIX}{path}: not a number ({current!r}); cannot vary it")
    if not low <= high:
        raise FactorError(f"{SCENARIO_PREFIX}{path}: low {low:g} is greater than high {high:g}")
    integer = isinstance(current, int)
    for end in (low, high):  # the model's own validation of both ends
        apply_factors(scenario, {SCENARIO_PREFIX + path: end})
    value = min(max(float(current), low), high)
    return Factor(
        SCENARIO_PREFIX + path, value, float(low), float(high), "uniform", "decision", integer
    )


def parse_factor(text: str, catalog: Catalog, scenario: Scenario) -> Factor:
    """``ID``, ``ID=LOW..HIGH`` or ``scenario.PATH=LOW..HIGH`` as a factor."""
    name, sep, span = text.strip().partition("=")
    name = name.strip()
    low = high = None
    if sep:
        lo_text, dots, hi_text = span.partition("..")
        try:
            low, high = float(lo_text), float(hi_text)
        except ValueError:
            raise FactorError(f"{name}: range {span!r} is not LOW..HIGH, e.g. 4..24") from None
        if not dots or not (math.isfinite(low) and math.isfinite(high)):
            raise FactorError(f"{name}: range {span!r} is not LOW..HIGH, e.g. 4..24")
    if name.startswith(SCENARIO_PREFIX):
        if low is None:
            raise FactorError(f"{name}: a scenario decision needs a range, e.g. {name}=4..24")
        return scenario_factor(scenario, name, low, high)
    return catalog_factor(catalog, name, low, high)


def apply_factors(scenario: Scenario, values: Mapping[str, float]) -> tuple[Scenario, dict]:
    """The scenario with the scenario decisions set, and the catalog overrides.

    Raises ``FactorError`` when a decision's value is not valid for the scenario."""
    decisions = {k: v for k, v in values.items() if k.startswith(SCENARIO_PREFIX)}
    overrides = {k: float(v) for k, v in values.items() if not k.startswith(SCENARIO_PREFIX)}
    if not decisions:
        return scenario, overrides
    data = scenario.model_dump()
    for key, value in decisions.items():
        parts = key.removeprefix(SCENARIO_PREFIX).split(".")
        current = _scenario_leaf(scenario, ".".join(parts))
        _set_leaf(data, parts, int(round(value)) if isinstance(current, int) else float(value))
    try:
        return type(scenario).model_validate(data), overrides
    except ValidationError as error:
        raise FactorError(problems_from_validation(error, prefix="scenario")) from None


def default_factors(setup: CampaignSetup, catalog: Catalog) -> list[Factor]:
    """Every catalog parameter the run reads with ``low < high``, leaving out the factors
    of missile systems no engaged unit fires (units in the posture that never reach the
    threat: their parameters cannot move the answer) and switches (unit ``flag``, e.g.
    ``anti_ship``: a modelling choice made in the scenario, not an uncertain quantity to
    sample between 0 and 1)."""
    engaged_systems = {setup.units[i].system for i in setup.engaged()}
    idle_systems = {unit.system for unit in setup.units} - engaged_systems
    factors = []
    for param_id in setup.params:
        if param_id.partition(".")[0] in idle_systems:
            continue
        param = catalog.param(param_id)
        if param.low < param.high and param.unit != "flag":
            factors.append(catalog_factor(catalog, param_id))
    return factors


def check_read(factors: Sequence[Factor], setups: Sequence[CampaignSetup], source: str) -> None:
    """Refuse a catalog factor that no run reads (it could not change anything)."""
    read = set().union(*(setup.params for setup in setups)) if setups else set()
    problems = [
        Problem.at(
            factor.id,
            f"not read by this run{did_you_mean(factor.id, read)} (only parameters "
            "the run reads can move its answer)",
        )
        for factor in factors
        if not factor.is_scenario and factor.id not in read
    ]
    if problems:
        raise ScenarioError(source, problems)


def _stream(seed: int, name: str) -> np.random.Generator:
    """A generator keyed by the seed and a factor's id, not by the factor's position, so
    a factor gets the same draws whatever else is sampled with it (across posture years
    whose runs read different parameter sets)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8")), 0x5E45])


def latin_hypercube(factors: Sequence[Factor], n: int, seed: int) -> np.ndarray:
    """``(n, len(factors))`` values: a Latin hypercube (McKay, Beckman & Conover,
    *Technometrics* 21 (1979) 239–245) — each factor's n quantiles fall one in each of n
    equal strata, in a random order — mapped through each factor's inverse CDF."""
    values = np.empty((n, len(factors)))
    for j, factor in enumerate(factors):
        rng = _stream(seed, factor.id)
        u = (rng.permutation(n) + rng.random(n)) / n
        values[:, j] = factor.ppf(u)
    return values
