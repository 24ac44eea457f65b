"""Campaign simulation over days: groups transit, units cue, fire, scoot and reload.

``run_campaign`` runs one scenario for one posture; ``compare_postures`` runs the same
threat against several posture years. Each returns per-replication columns and a
summary record (the JSON contract in ``docs/campaign.md``). The engine is in
:mod:`nansei.campaign.engine`; :mod:`nansei.campaign.reference` is the plain-Python
definition the engine is tested against. Models here never print or read files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nansei.campaign.engine import CHUNK_REPS, COLUMNS, METRICS, engaged_units, run_replications
from nansei.campaign.scenario import Scenario, ScenarioError
from nansei.campaign.setup import CampaignSetup, build_setup
from nansei.catalog import COMPANY_PARAMS, Catalog
from nansei.problems import Problem
from nansei.stats import rounded, summarize

__all__ = [
    "CHUNK_REPS",
    "COLUMNS",
    "METRICS",
    "CampaignRun",
    "build_setup",
    "check_overrides_read",
    "compare_postures",
    "comparison_record",
    "red_record",
    "run_campaign",
    "summarize_metrics",
]


def summarize_metrics(columns: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """The headline metrics' summaries. ``magazine_exhausted_day`` also gives ``censored``:
    the share of replications whose magazines never ran out (their value is the horizon
    day, so the mean is a lower bound when ``censored`` > 0)."""
    metrics = {name: summarize(columns[name]) for name in METRICS}
    exhausted = np.asarray(columns["magazine_exhausted"], dtype=bool)
    defined = np.isfinite(np.asarray(columns["magazine_exhausted_day"], dtype=float))
    metrics["magazine_exhausted_day"]["censored"] = (
        rounded(1.0 - exhausted[defined].mean()) if defined.any() else None
    )
    return metrics


@dataclass(frozen=True)
class CampaignRun:
    """One scenario run for one posture: the setup, run settings and per-rep columns."""

    setup: CampaignSetup
    replications: int
    seed: int
    columns: dict[str, np.ndarray]

    @property
    def year(self) -> int | None:
        return self.setup.year

    def metrics(self) -> dict[str, dict[str, Any]]:
        return summarize_metrics(self.columns)

    def units_engaged(self) -> list[str]:
        return [self.setup.units[i].id for i in engaged_units(self.setup)]

    def record(self) -> dict[str, Any]:
        """The ``nansei campaign --json`` contract."""
        return {
            "scenario": self.setup.scenario.name,
            "scenario_hash": self.setup.scenario_hash,
            "year": self.year,
            "replications": self.replications,
            "seed": self.seed,
            "p_cue": rounded(self.setup.p_cue),
            "cue_rate_per_h": rounded(self.setup.cue_rate_per_h),
            "units_engaged": self.units_engaged(),
            "overrides": dict(self.setup.scenario.overrides),
            "red_model": red_record(self.setup),
            "metrics": self.metrics(),
            "parameters_read": dict(self.setup.params),
        }

    def table(self) -> dict[str, np.ndarray]:
        """Per-replication columns with the replication index and year, for Parquet."""
        n = self.replications
        year = -1 if self.year is None else self.year
        return {
            "year": np.full(n, year, dtype=np.int64),
            "replication": np.arange(n, dtype=np.int64),
            **self.columns,
        }


def red_record(setup: CampaignSetup) -> dict[str, Any]:
    """The red model in force, for the JSON: passive or active (counter-force), the
    warning time, any land-attack system assumed to have a maritime-strike variant
    (an assumption outputs must state), and whether red hunts ships at sea (active red
    with a ship at a station)."""
    red = setup.scenario.red
    return {
        "counterforce": red.counterforce,
        "warning_h": red.warning_h,
        "maritime_strike_assumed": list(red.maritime_strike),
        "ships_at_sea_hunted": bool(setup.red is not None and setup.red.ship_classes),
    }


def _prepared(
    scenario: Scenario,
    year: int | None,
    replications: int | None,
    seed: int | None,
    overrides: Mapping[str, float] | None,
) -> Scenario:
    if year is not None:
        scenario = scenario.with_year(year)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    return scenario.with_run(replications=replications, seed=seed)


#: Ship-class parameters the campaign reads (a group's defences and staying power).
_DEFENCE_PARAMS = ("interceptors", "area_channels", "area_p_kill", "point_channels",
                   "point_p_kill", "softkill_p", "staying_power_hits")  # fmt: skip


def _users(catalog: Catalog, param_id: str) -> str:
    """Which commands read a parameter, for the message that refuses it."""
    entity_id, _, name = param_id.partition(".")
    kind = catalog.entities[entity_id].kind if entity_id in catalog.entities else ""
    if kind == "ship-class":
        also = (
            ", campaigns whose groups include the class, and active-red campaigns whose "
            "stationed ships are of the class"
            if name in _DEFENCE_PARAMS
            else ""
        )
        return f"nansei salvo (ship classes in salvo files){also}"
    if kind == "strike" and entity_id == "red-antiship":
        return "campaigns with active red (red.counterforce: true) and a ship at a station"
    if kind in ("strike", "air-defence"):
        return (
            "campaigns with active red (red.counterforce: true) whose sites it concerns "
            "(an air defence's factors: with a defended site in the run)"
        )
    if kind == "missile" and name == "range_km":
        return "nansei coverage, reach, data posture, and campaigns with a unit of the system"
    if kind == "missile" and name in ("reliability", "p_hit"):
        return "campaigns with a unit of this system in reach of the threat"
    if kind == "company" and name in COMPANY_PARAMS:
        return "nansei data posture, and campaigns with a unit built from this company"
    return "no model; it is documented in the catalog (nansei data show)"


def check_overrides_read(
    setups: Iterable[CampaignSetup], overrides: Mapping[str, float], catalog: Catalog, source: str
) -> None:
    """Refuse an override that no setup reads: it would change nothing (every parameter
    the CLI accepts must reach the model). Raises ``ScenarioError``."""
    setups = list(setups)
    read = set().union(*(setup.params for setup in setups)) if setups else set()
    problems = [
        Problem.at(
            f"overrides.{param_id}",
            f"not read by this run (no unit, group or rule in it uses {param_id}); "
            f"read by: {_users(catalog, param_id)}",
        )
        for param_id in overrides
        if param_id not in read
    ]
    if problems:
        raise ScenarioError(source, problems)


def run_campaign(
    scenario: Scenario,
    catalog: Catalog,
    *,
    year: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, float] | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    source: str = "",
) -> CampaignRun:
    """Run ``scenario`` (optionally for posture ``year``, with more ``overrides``).

    ``replications`` and ``seed`` default to the scenario's. Raises
    :class:`nansei.campaign.scenario.ScenarioError` on bad catalog references or an override
    the run does not read.
    """
    scenario = _prepared(scenario, year, replications, seed, overrides)
    setup = build_setup(scenario, catalog, source)
    check_overrides_read([setup], scenario.overrides, catalog, source)
    columns = run_replications(
        setup, scenario.replications, scenario.seed, progress=progress, workers=workers
    )
    return CampaignRun(setup, scenario.replications, scenario.seed, columns)


def compare_postures(
    scenario: Scenario,
    catalog: Catalog,
    years: Iterable[int],
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
    source: str = "",
) -> dict[int, CampaignRun]:
    """The same threat against each posture year; ``progress(year, n)`` after each chunk.

    Every year is resolved (and checked) before any is run; an override must be read in
    at least one of the years. The years share random numbers (common random numbers),
    so they differ only by their postures.
    """
    prepared = {int(y): _prepared(scenario, int(y), replications, seed, overrides) for y in years}
    setups = {year: build_setup(s, catalog, source) for year, s in prepared.items()}
    first = next(iter(prepared.values()), scenario)
    check_overrides_read(setups.values(), first.overrides, catalog, source)
    runs = {}
    for year, setup in setups.items():
        report = (lambda n, y=year: progress(y, n)) if progress else None
        reps, run_seed = prepared[year].replications, prepared[year].seed
        columns = run_replications(setup, reps, run_seed, progress=report, workers=workers)
        runs[year] = CampaignRun(setup, reps, run_seed, columns)
    return runs


def comparison_record(runs: Mapping[int, CampaignRun]) -> dict[str, Any]:
    """The ``nansei compare --json`` contract."""
    first = next(iter(runs.values()))
    return {
        "scenario": first.setup.scenario.name,
        "replications": first.replications,
        "seed": first.seed,
        "overrides": dict(first.setup.scenario.overrides),
        "red_model": red_record(first.setup),
        "years": {
            str(year): {
                "scenario_hash": run.setup.scenario_hash,
                "p_cue": rounded(run.setup.p_cue),
                "cue_rate_per_h": rounded(run.setup.cue_rate_per_h),
                "units_engaged": run.units_engaged(),
                "metrics": run.metrics(),
                "parameters_read": dict(run.setup.params),
            }
            for year, run in runs.items()
        },
    }
