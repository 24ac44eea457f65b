"""Which inputs decide the answer: one-at-a-time, Morris screening and Sobol indices.

Every method here takes a *model* — a picklable callable from a ``(k, d)`` array of
factor values to ``(k, 1)`` outputs — and a task runner ``run(function, tasks)``
(:func:`nansei.sweep.runner.run_tasks`), so the campaign and the analytic test models
(:mod:`nansei.uncertainty.testmodels`) go through the same code path, in this process
or on Dask. Designs are drawn in the unit hypercube and mapped through each factor's
inverse CDF (:class:`nansei.uncertainty.sampling.Factor`), so Sobol indices are those of
the factors' own distributions and Morris elementary effects are per unit of quantile.

- ``oat``: each factor at its ``low`` and at its ``high``, all others at ``value``
  (a tornado chart's bars).
- ``morris``: elementary effects on ``samples`` trajectories of a 4-level grid
  (Morris, *Technometrics* 33 (1991) 161–174), μ* = mean |EE| (Campolongo, Cariboni &
  Saltelli, *Environ. Model. Softw.* 22 (2007) 1509–1518), σ, and a bootstrap 95%
  interval for μ* (SALib ``morris.analyze``).
- ``sobol``: Saltelli's design of ``samples · (d + 2)`` rows (Saltelli et al., *Comput.
  Phys. Commun.* 181 (2010) 259–270) and first-order/total indices S1, ST with bootstrap
  95% intervals (SALib ``sobol.analyze``; ``samples`` a power of two), and whether the
  top of the ST order is resolved (:func:`total_order_ranking`).

Pure: no files, no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nansei.stats import rounded
from nansei.sweep.tasks import evaluate_rows
from nansei.uncertainty.sampling import Factor

__all__ = ["METHODS", "RANKED", "analyse", "design_rows", "total_order_ranking"]

METHODS = ("oat", "morris", "sobol")

#: Morris grid levels (the usual even choice; Saltelli et al., *Global Sensitivity
#: Analysis: The Primer*, 2008, §3.3).
MORRIS_LEVELS = 4

#: Bootstrap resamples for the SALib intervals.
RESAMPLES = 1000

Runner = Callable[[Callable[[Any], Any], Sequence[Any]], list]


def _rounded(value: Any) -> float | None:
    """:func:`nansei.stats.rounded` (the one rounding of reported numbers), or ``None``
    for a value SALib could not compute (NaN)."""
    number = float(value)
    return rounded(number) if np.isfinite(number) else None


def _interval(centre: Any, half: Any) -> list[float | None] | None:
    centre, half = float(centre), float(half)
    if not (np.isfinite(centre) and np.isfinite(half)):
        return None
    return [_rounded(centre - half), _rounded(centre + half)]


def _problem(factors: Sequence[Factor]) -> dict[str, Any]:
    return {
        "num_vars": len(factors),
        "names": [f.id for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def _values(factors: Sequence[Factor], unit_rows: np.ndarray) -> np.ndarray:
    return np.column_stack([f.ppf(unit_rows[:, j]) for j, f in enumerate(factors)])


def design_rows(factors: Sequence[Factor], method: str, samples: int, seed: int) -> np.ndarray:
    """The design in quantile space: ``(rows, d)`` in [0, 1] (``oat`` has none)."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(_problem(factors), samples, num_levels=MORRIS_LEVELS, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(_problem(factors), samples, calc_second_order=False, seed=seed)
    raise ValueError(f"method {method!r} has no sampling design")


def _empty(factor: Factor) -> dict[str, Any]:
    return {
        **factor.record(),
        "oat": None,
        "mu_star": None,
        "mu_star_ci95": None,
        "sigma": None,
        "S1": None,
        "S1_ci95": None,
        "ST": None,
        "ST_ci95": None,
    }


def analyse(
    model: Callable[[np.ndarray], np.ndarray],
    factors: Sequence[Factor],
    method: str,
    *,
    samples: int,
    seed: int,
    run: Runner,
    batch: int = 8,
) -> dict[str, Any]:
    """``{"parameters": [...], "evaluations", "baseline"}``: per factor the record of
    :meth:`Factor.record` and the fields of the method run (the others ``None``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    factors = list(factors)
    records = [_empty(f) for f in factors]
    base = np.array([[f.value for f in factors]])
    if method == "oat":
        rows = [base[0]]
        for j, factor in enumerate(factors):
            for end in (factor.low, factor.high):
                row = base[0].copy()
                row[j] = end
                rows.append(row)
        outputs = evaluate_rows(model, np.array(rows), run, batch)[:, 0]
        for j, record in enumerate(records):
            record["oat"] = {
                "low": _rounded(outputs[1 + 2 * j]),
                "high": _rounded(outputs[2 + 2 * j]),
            }
        return {"parameters": records, "evaluations": len(rows), "baseline": _rounded(outputs[0])}

    unit_rows = design_rows(factors, method, samples, seed)
    outputs = evaluate_rows(model, _values(factors, unit_rows), run, batch)[:, 0]
    if not np.all(np.isfinite(outputs)):
        raise ValueError(f"{int((~np.isfinite(outputs)).sum())} design rows gave no value")
    problem = _problem(factors)
    if method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(
            problem,
            unit_rows,
            outputs,
            num_resamples=RESAMPLES,
            conf_level=0.95,
            num_levels=MORRIS_LEVELS,
            seed=seed,
        )
        for j, record in enumerate(records):
            record["mu_star"] = _rounded(result["mu_star"][j])
            record["mu_star_ci95"] = _interval(result["mu_star"][j], result["mu_star_conf"][j])
            record["sigma"] = _rounded(result["sigma"][j])
    else:
        from SALib.analyze import sobol

        result = sobol.analyze(
            problem,
            outputs,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=0.95,
            keep_resamples=True,
            # a Generator, not the int: SALib takes a seed of 0 as "no seed" and would
            # draw the bootstrap from the global state (same draws for any other seed)
            seed=np.random.default_rng(seed),
        )
        for j, record in enumerate(records):
            for name in ("S1", "ST"):
                record[name] = _rounded(result[name][j])
                record[f"{name}_ci95"] = _interval(result[name][j], result[f"{name}_conf"][j])
        ranking = total_order_ranking(
            [f.id for f in factors], result["ST"], result["ST_conf_all"], RANKED
        )
        return {
            "parameters": records,
            "evaluations": int(len(outputs)),
            "baseline": None,
            "ranking": ranking,
        }
    return {"parameters": records, "evaluations": int(len(outputs)), "baseline": None}


#: How many places of the ST order the ranking check covers ("rank the top five").
RANKED = 5

#: Two-sided normal quantile for 95% intervals (SALib's intervals are ± Z · bootstrap sd).
Z95 = 1.959963984540054


def total_order_ranking(
    ids: Sequence[str], st: np.ndarray, st_resamples: np.ndarray, places: int = RANKED
) -> dict[str, Any]:
    """Whether the ST order of the first ``places`` factors is resolved, neighbour by
    neighbour, ``places`` against ``places + 1`` included.

    Rank k is *above* rank k + 1 when the 95% interval of the difference
    ``ST_k − ST_{k+1}`` excludes zero. The interval is ``± Z · sd`` over the same
    bootstrap resamples of design rows that give SALib's intervals (paired: both indices
    of a resample come from the same rows, so what they share — the output variance in
    the denominator, the A-matrix outputs — cancels, as in any paired comparison; Efron
    & Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993). ``intervals_apart``
    records the stricter reading too: the two 95% ST intervals do not overlap.
    ``ranked`` is true when every neighbour pair in the first ``places`` is resolved;
    a pair that is not is reported with its numbers as a tie at this sample size."""
    st = np.asarray(st, dtype=float)
    st_resamples = np.asarray(st_resamples, dtype=float)
    half = Z95 * st_resamples.std(axis=0, ddof=1)
    order = np.argsort(-st, kind="stable")
    rows = []
    for k in range(min(places, len(order))):
        i = order[k]
        row: dict[str, Any] = {
            "rank": k + 1,
            "id": ids[i],
            "ST": _rounded(st[i]),
            "ST_ci95": _interval(st[i], half[i]),
            "next": None,
            "difference": None,
            "difference_ci95": None,
            "above_next": None,
            "intervals_apart": None,
        }
        if k + 1 < len(order):
            j = order[k + 1]
            difference = st[i] - st[j]
            spread = Z95 * float(np.std(st_resamples[:, i] - st_resamples[:, j], ddof=1))
            row.update(
                next=ids[j],
                difference=_rounded(difference),
                difference_ci95=_interval(difference, spread),
                above_next=bool(difference - spread > 0.0),
                intervals_apart=bool(st[i] - half[i] > st[j] + half[j]),
            )
        rows.append(row)
    return {
        "places": places,
        "ranked": bool(rows) and all(row["above_next"] is not False for row in rows),
        "intervals_apart": bool(rows) and all(row["intervals_apart"] is not False for row in rows),
        "order": rows,
    }
