"""Epistemic bands: how far the answer moves over what the catalog does not know.

Two kinds of uncertainty are kept apart. *Aleatory*: run-to-run randomness at fixed
inputs — the interval of the mean over replications (:mod:`nansei.stats`).
*Epistemic*: the inputs themselves — every parameter the run reads with ``low < high``
is drawn from its distribution (:mod:`nansei.uncertainty.sampling`) in ``n`` outer
samples (a Latin hypercube), each run with the same inner replications 0 … R−1 and
seed, so the outer samples differ only by their inputs (common random numbers). The
band is the 5th/50th/95th percentile over outer samples of the per-sample mean (a
two-loop, "nested" Monte Carlo; Helton & Davis, *Reliab. Eng. Syst. Saf.* 81 (2003)
23–69). Parameters the user fixed with ``--set`` are not sampled. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nansei.campaign.setup import CampaignSetup
from nansei.catalog import Catalog
from nansei.stats import BAND_PERCENTILES, percentiles
from nansei.sweep.tasks import CampaignModel, evaluate_rows
from nansei.uncertainty.sampling import Factor, default_factors, latin_hypercube

__all__ = ["band", "epistemic_band", "uncertain_factors"]


def uncertain_factors(setup: CampaignSetup, catalog: Catalog) -> list[Factor]:
    """The factors an epistemic band samples: the run's defaults less its overrides."""
    fixed = set(setup.scenario.overrides)
    return [f for f in default_factors(setup, catalog) if f.id not in fixed]


def band(means: np.ndarray) -> dict[str, Any]:
    """``{"p05", "p50", "p95", "samples"}`` of per-sample means (NaN samples left out)."""
    means = np.asarray(means, dtype=float)
    return {**percentiles(means, BAND_PERCENTILES), "samples": int(np.isfinite(means).sum())}


def epistemic_band(
    setup: CampaignSetup,
    catalog: Catalog,
    samples: int,
    replications: int,
    seed: int,
    metrics: Sequence[str],
    run: Callable[[Callable, Sequence], list],
    batch: int = 1,
) -> tuple[dict[str, dict[str, Any]], list[Factor]]:
    """Per metric the epistemic band over ``samples`` outer samples, and the factors
    sampled. ``run(function, tasks)`` is the task runner (here or on Dask)."""
    factors = uncertain_factors(setup, catalog)
    values = latin_hypercube(factors, samples, seed)
    model = CampaignModel(
        setup.scenario, catalog, setup.year, tuple(factors), replications, seed, tuple(metrics)
    )
    means = evaluate_rows(model, values, run, batch)
    return {name: band(means[:, j]) for j, name in enumerate(metrics)}, factors


def attach(record: Mapping[str, Any], epistemic: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with ``"epistemic"`` placed right after ``"metrics"``."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[key] = value
        if key == "metrics":
            out["epistemic"] = dict(epistemic)
    if "epistemic" not in out:
        out["epistemic"] = dict(epistemic)
    return out
