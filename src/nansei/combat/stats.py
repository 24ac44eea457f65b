"""Streaming summaries of whole-number counts: a histogram that grows chunk by chunk.

Keeping only the histogram of a count (missiles, hits, ships) lets 10^7 replications
be summarised in a few kilobytes. The summary is the same as
:func:`nansei.campaign.summary.summarize` would give on the full array: the mean, the
95% Student-t interval of the mean ``mean ± t(0.975, n−1)·s/√n`` (s with ``n − 1``
degrees of freedom), percentiles by numpy's default linear interpolation between
order statistics (Hyndman & Fan 1996, definition 7), plus the whole distribution as
``{"k": P(count = k)}``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["DIGITS", "Histogram"]

#: Decimal places kept in summaries (as the campaign summaries).
DIGITS = 6


def _round(value: float) -> float:
    return round(float(value), DIGITS) + 0.0


class Histogram:
    """Counts of each whole number 0, 1, 2, … seen so far."""

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.int64).ravel()
        if values.size == 0:
            return
        if values.min() < 0:
            raise ValueError("a histogram of counts takes whole numbers >= 0")
        binned = np.bincount(values)
        if binned.size > self.counts.size:
            self.counts = np.concatenate(
                [self.counts, np.zeros(binned.size - self.counts.size, dtype=np.int64)]
            )
        self.counts[: binned.size] += binned

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def mean(self) -> float:
        k = np.arange(self.counts.size)
        return float((k * self.counts).sum() / self.n)

    def variance(self) -> float:
        """Sample variance (``n − 1`` in the denominator)."""
        n = self.n
        if n < 2:
            return math.nan
        k = np.arange(self.counts.size, dtype=float)
        mean = self.mean()
        return float((self.counts * (k - mean) ** 2).sum() / (n - 1))

    def order_statistic(self, index: int) -> int:
        """The ``index``-th smallest value (0-based)."""
        return int(np.searchsorted(np.cumsum(self.counts), index, side="right"))

    def quantile(self, q: float) -> float:
        """Linear interpolation between order statistics, as ``numpy.quantile``."""
        position = (self.n - 1) * q
        low = math.floor(position)
        lower = self.order_statistic(low)
        upper = self.order_statistic(min(low + 1, self.n - 1))
        return lower + (position - low) * (upper - lower)

    def distribution(self) -> dict[str, float]:
        n = self.n
        return {str(k): _round(c / n) for k, c in enumerate(self.counts) if c}

    def summary(self) -> dict[str, Any]:
        n = self.n
        if n == 0:
            return {"mean": None, "ci95": None, "p10": None, "p50": None, "p90": None, "n": 0}
        mean = self.mean()
        ci95 = None
        if n > 1:
            half = float(stats.t.ppf(0.975, n - 1) * math.sqrt(self.variance() / n))
            ci95 = [_round(mean - half), _round(mean + half)]
        return {
            "mean": _round(mean),
            "ci95": ci95,
            "p10": _round(self.quantile(0.1)),
            "p50": _round(self.quantile(0.5)),
            "p90": _round(self.quantile(0.9)),
            "n": n,
            "distribution": self.distribution(),
        }
