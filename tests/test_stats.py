"""The one statistics module: summaries, intervals, percentiles and the streamed histogram."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nansei.stats import (
    BAND_PERCENTILES,
    DIGITS,
    Histogram,
    percentiles,
    rounded,
    summarize,
    t_quantile_975,
)


@pytest.mark.parametrize(
    ("dof", "published"),
    # Student's t, two-sided 95% (upper 0.975) column of the standard tables.
    [(1, 12.706), (3, 3.182), (9, 2.262), (29, 2.045), (120, 1.980)],
)
def test_t_quantile_matches_published_tables(dof, published):
    assert t_quantile_975(dof) == pytest.approx(published, abs=5e-4)


def test_t_quantile_tends_to_the_normal():
    assert t_quantile_975(10**7) == pytest.approx(1.959964, abs=1e-5)


def test_summary_of_one_two_three_four_by_hand():
    # mean 2.5, s² = 5/3, t(0.975, 3) = 3.182446 (tables): half-width = t · s / 2.
    half = 3.182446 * math.sqrt(5 / 3) / 2
    summary = summarize([1, 2, 3, 4])
    assert summary["mean"] == 2.5 and summary["n"] == 4
    assert summary["ci95"] == pytest.approx([2.5 - half, 2.5 + half], abs=2e-6)
    # Hyndman & Fan definition 7: position (n − 1)q between order statistics.
    assert (summary["p10"], summary["p50"], summary["p90"]) == (1.3, 2.5, 3.7)
    assert percentiles([1, 2, 3, 4]) == {"p05": 1.15, "p50": 2.5, "p95": 3.85}


def test_non_finite_values_are_left_out_and_small_samples_have_no_interval():
    assert summarize([np.nan, 2.0, np.inf])["n"] == 1
    assert summarize([np.nan, 2.0])["ci95"] is None
    empty = summarize([np.nan])
    assert empty == {"mean": None, "ci95": None, "p10": None, "p50": None, "p90": None, "n": 0}
    assert percentiles([]) == dict.fromkeys(BAND_PERCENTILES)


def test_rounding_is_one_rule():
    assert rounded(-1e-9) == 0.0 and math.copysign(1.0, rounded(-1e-9)) == 1.0
    assert rounded(1 / 3) == round(1 / 3, DIGITS)


def test_interval_covers_the_true_mean_95_percent_of_the_time():
    # Normal data: the t interval's coverage is exactly 95% (Student 1908). 2,000 trials
    # give a binomial σ of 0.005; a z interval (1.96 for t(0.975, 11) = 2.201) would
    # cover about 92%, outside this 4-σ band.
    rng = np.random.default_rng(5)
    trials, covered = 2_000, 0
    for _ in range(trials):
        lo, hi = summarize(rng.normal(2.0, 1.0, 12))["ci95"]
        covered += lo <= 2.0 <= hi
    assert 0.93 <= covered / trials <= 0.97


def test_histogram_summary_equals_the_array_summary():
    values = np.random.default_rng(2).poisson(3.3, 9_999)
    histogram = Histogram()
    for part in np.array_split(values, 7):
        histogram.add(part)
    full, streamed = summarize(values), histogram.summary()
    for key in ("mean", "ci95", "p10", "p50", "p90", "n"):
        assert streamed[key] == pytest.approx(full[key], abs=10.0**-DIGITS), key
    assert histogram.percentiles() == percentiles(values)
    assert sum(streamed["distribution"].values()) == pytest.approx(1.0, abs=1e-5)
    assert streamed["distribution"]["3"] == rounded(np.mean(values == 3))


def test_histogram_of_counts_equals_the_histogram_of_the_values():
    # A compiled engine bins its values itself and hands over counts per value (with
    # trailing zeros); the summary must be the one of the values.
    values = np.random.default_rng(4).poisson(2.2, 5_000)
    by_values, by_counts = Histogram(), Histogram()
    by_values.add(values)
    for part in np.array_split(values, 3):
        by_counts.add_counts(np.bincount(part, minlength=40))
    by_counts.add_counts(np.zeros(3, dtype=np.int64))
    assert by_counts.summary() == by_values.summary()
    assert by_counts.counts.size == values.max() + 1
    with pytest.raises(ValueError, match=">= 0"):
        by_counts.add_counts(np.array([2, -1]))


def test_histogram_takes_only_whole_numbers_at_least_zero():
    histogram = Histogram()
    assert histogram.summary()["n"] == 0
    with pytest.raises(ValueError, match=">= 0"):
        histogram.add(np.array([1, -1]))


def test_summaries_match_the_scipy_t_interval_exactly():
    """The JSON numbers are those ``scipy.stats.t`` gives (the contract before the merge
    of the two statistics modules)."""
    from scipy import stats

    values = np.random.default_rng(9).normal(4.0, 1.5, 2_000)
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    mean = values.mean()
    assert summarize(values)["ci95"] == [rounded(mean - half), rounded(mean + half)]
