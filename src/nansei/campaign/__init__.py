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
from nansei.campaign.setup import CampaignSetup, build_setup
from nansei.catalog import Catalog
from nansei.scenario import Scenario, check_against_catalog
from nansei.stats import rounded, summarize

__all__ = [
    "CHUNK_REPS",
    "COLUMNS",
    "METRICS",
    "CampaignRun",
    "build_setup",
    "compare_postures",
    "comparison_record",
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
            "units_engaged": self.units_engaged(),
            "overrides": dict(self.setup.scenario.overrides),
            "metrics": self.metrics(),
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
    :class:`nansei.scenario.ScenarioError` on bad catalog references.
    """
    if year is not None:
        scenario = scenario.with_year(year)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    scenario = scenario.with_run(replications=replications, seed=seed)
    setup = build_setup(scenario, catalog, source)
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

    Every year is checked against the catalog before any is run.
    """
    years = [int(y) for y in years]
    for year in years:  # fail fast on a bad year, override or reference
        check_against_catalog(
            scenario.with_year(year).with_overrides(overrides or {}), catalog, source
        )
    runs = {}
    for year in years:
        report = (lambda n, y=year: progress(y, n)) if progress else None
        runs[year] = run_campaign(
            scenario,
            catalog,
            year=year,
            replications=replications,
            seed=seed,
            overrides=overrides,
            progress=report,
            workers=workers,
            source=source,
        )
    return runs


def comparison_record(runs: Mapping[int, CampaignRun]) -> dict[str, Any]:
    """The ``nansei compare --json`` contract."""
    first = next(iter(runs.values()))
    return {
        "scenario": first.setup.scenario.name,
        "replications": first.replications,
        "seed": first.seed,
        "overrides": dict(first.setup.scenario.overrides),
        "years": {
            str(year): {
                "scenario_hash": run.setup.scenario_hash,
                "p_cue": rounded(run.setup.p_cue),
                "units_engaged": run.units_engaged(),
                "metrics": run.metrics(),
            }
            for year, run in runs.items()
        },
    }
