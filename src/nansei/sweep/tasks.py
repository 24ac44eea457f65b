"""Tasks: a campaign at one point (factor values) for one year and a replication range.

A :class:`CampaignPoint` is the unit every study is cut into — a sweep's point × year ×
replication chunk, a sensitivity design's row, an epistemic outer sample. It carries
everything a worker needs (the scenario, the catalog, the values) and nothing else, so
it runs the same in this process or on any Dask worker. Replications ``first`` …
``first + replications − 1`` draw from streams keyed only by the seed and the
replication index (:mod:`nansei.streams`): every point with the same seed and indices
sees the same random numbers (common random numbers), and a chunk's numbers do not
depend on how the replications were cut. Pure: no files, no printing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nansei.campaign.engine import run_replications
from nansei.campaign.scenario import Scenario
from nansei.campaign.setup import CampaignSetup, build_setup
from nansei.catalog import Catalog
from nansei.uncertainty.sampling import Factor, apply_factors

__all__ = ["CampaignModel", "CampaignPoint", "point_setup", "run_point"]


@dataclass(frozen=True)
class CampaignPoint:
    """One campaign evaluation: scenario and catalog, posture year, factor values
    (catalog ids and ``scenario.<path>``), replications ``first`` … and the seed."""

    scenario: Scenario
    catalog: Catalog
    year: int | None
    values: Mapping[str, float] = field(default_factory=dict)
    replications: int = 100
    seed: int = 0
    first: int = 0


def point_setup(point: CampaignPoint, source: str = "") -> CampaignSetup:
    """The point resolved: decisions set, catalog values overridden (raises
    ``ScenarioError``/``FactorError`` on a bad value)."""
    scenario, overrides = apply_factors(point.scenario, point.values)
    if point.year is not None:
        scenario = scenario.with_year(point.year)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    return build_setup(scenario, point.catalog, source)


def run_point(point: CampaignPoint) -> dict[str, np.ndarray]:
    """The per-replication columns (:data:`nansei.campaign.engine.COLUMNS`) of a point."""
    return run_replications(point_setup(point), point.replications, point.seed, first=point.first)


def _mean(values: np.ndarray) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else float("nan")


@dataclass(frozen=True)
class CampaignModel:
    """The campaign as a function of factor values, for a sampling design: each row of
    values → the mean of each of ``metrics`` over replications 0 … R−1 (the same
    replications for every row: common random numbers). Picklable, so a batch of rows
    is one task on any worker."""

    scenario: Scenario
    catalog: Catalog
    year: int | None
    factors: tuple[Factor, ...]
    replications: int
    seed: int
    metrics: tuple[str, ...]

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """``(k, len(factors))`` values → ``(k, len(metrics))`` means."""
        rows = np.atleast_2d(np.asarray(rows, dtype=float))
        out = np.empty((rows.shape[0], len(self.metrics)))
        for i, row in enumerate(rows):
            values = {f.id: float(v) for f, v in zip(self.factors, row, strict=True)}
            point = CampaignPoint(
                self.scenario, self.catalog, self.year, values, self.replications, self.seed
            )
            columns = run_point(point)
            out[i] = [_mean(columns[name]) for name in self.metrics]
        return out


def batches(rows: np.ndarray, size: int) -> list[np.ndarray]:
    """Rows cut into consecutive batches of at most ``size`` (the tasks of a design)."""
    return [rows[i : i + size] for i in range(0, len(rows), max(1, size))]


def evaluate_batch(job: tuple) -> np.ndarray:
    """One task of a design: ``(model, rows)`` → ``model(rows)``."""
    model, rows = job
    return np.asarray(model(rows), dtype=float)


def evaluate_rows(model, rows: np.ndarray, run, batch: int) -> np.ndarray:
    """``model`` over every row via ``run(function, tasks)`` (the task runner), in order."""
    parts = run(evaluate_batch, [(model, part) for part in batches(rows, batch)])
    return np.concatenate(
        [
            np.atleast_2d(np.asarray(p)).reshape(len(b), -1)
            for p, b in zip(parts, batches(rows, batch), strict=True)
        ]
    )


def chunks(replications: int, size: int) -> Sequence[tuple[int, int]]:
    """``(first, count)`` replication ranges of at most ``size``."""
    return [(start, min(size, replications - start)) for start in range(0, replications, size)]
