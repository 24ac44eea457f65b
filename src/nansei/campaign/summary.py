"""Summaries of per-replication metrics: mean, 95% interval of the mean, percentiles.

The interval is Student's t interval for the mean, ``mean ± t(0.975, n−1) · s / √n``
(s the sample standard deviation): it says how well the replications pin down the
mean, not how spread out single campaigns are — that is what p10/p50/p90 show.
Replications where a metric is undefined (NaN, e.g. the transit fraction when no
group came) are left out and ``n`` counts the rest.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["DIGITS", "summarize"]

#: Decimal places kept in summaries: far below any sampling error, and stable JSON.
DIGITS = 6


def _round(value: float) -> float:
    return round(float(value), DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


def summarize(values: Any) -> dict[str, Any]:
    """``{"mean", "ci95": [lo, hi], "p10", "p50", "p90", "n"}`` of the finite values.

    With no finite value every statistic is ``None``; with one, the interval is ``None``
    too (a single replication says nothing about sampling error).
    """
    array = np.asarray(values, dtype=float).ravel()
    array = array[np.isfinite(array)]
    n = int(array.size)
    if n == 0:
        return {"mean": None, "ci95": None, "p10": None, "p50": None, "p90": None, "n": 0}
    mean = float(array.mean())
    if n > 1:
        half = float(stats.t.ppf(0.975, n - 1) * array.std(ddof=1) / math.sqrt(n))
        ci95: list[float] | None = [_round(mean - half), _round(mean + half)]
    else:
        ci95 = None
    p10, p50, p90 = np.quantile(array, [0.1, 0.5, 0.9])
    return {
        "mean": _round(mean),
        "ci95": ci95,
        "p10": _round(p10),
        "p50": _round(p50),
        "p90": _round(p90),
        "n": n,
    }
