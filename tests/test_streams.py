"""Random streams: each draw has its distribution, and streams are independent."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from nansei.streams import (
    PURPOSES,
    exponential,
    new_stream,
    normal,
    poisson,
    purpose_key,
    skip,
    uniform,
    unit,
)


@njit
def _draws(key, a, kind, n, mean):
    stream = new_stream(key, a, 0, 0)
    out = np.empty(n)
    for i in range(n):
        if kind == 0:
            out[i] = uniform(stream)
        elif kind == 1:
            out[i] = exponential(stream)
        elif kind == 2:
            out[i] = normal(stream)
        else:
            out[i] = poisson(stream, mean)
    return out


KEY = purpose_key(1, "salvo")


@pytest.mark.parametrize(
    ("kind", "law"), [(0, stats.uniform()), (1, stats.expon()), (2, stats.norm())]
)
def test_draws_follow_their_law(kind, law):
    draws = _draws(KEY, 7, kind, 200_000, 0.0)
    assert stats.kstest(draws, law.cdf).pvalue > 1e-4


def test_uniform_is_inside_the_open_interval():
    draws = _draws(KEY, 8, 0, 100_000, 0.0)
    assert draws.min() > 0.0 and draws.max() < 1.0


@pytest.mark.parametrize("mean", [0.3, 9.0, 1234.5])
def test_poisson_counts(mean):
    # One draw per stream (as the engine draws arrival counts): mean and dispersion.
    draws = np.array([_draws(KEY, a, 3, 1, mean)[0] for a in range(20_000)])
    se = math.sqrt(mean / draws.size)
    assert draws.mean() == pytest.approx(mean, abs=5 * se)
    assert draws.var(ddof=1) == pytest.approx(mean, rel=0.06)
    if mean < 20:
        support = np.arange(int(draws.max()) + 1)
        observed = np.bincount(draws.astype(int), minlength=support.size)
        expected = stats.poisson(mean).pmf(support) * draws.size
        expected[-1] += stats.poisson(mean).sf(support[-1]) * draws.size
        keep = expected > 5
        if not keep.all():  # pool the sparse tail into one bin
            observed = np.append(observed[keep], observed[~keep].sum())
            expected = np.append(expected[keep], expected[~keep].sum())
        assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_neighbouring_streams_are_uncorrelated():
    # Streams named by consecutive integers (replications, units, salvos) must not
    # echo each other: lag-0 correlation of their sequences within 5/sqrt(n).
    n = 50_000
    base = _draws(KEY, 100, 0, n, 0.0)
    for other in (101, 102, 10_100):
        r = np.corrcoef(base, _draws(KEY, other, 0, n, 0.0))[0, 1]
        assert abs(r) < 5 / math.sqrt(n)
    firsts = np.array([_draws(KEY, a, 0, 1, 0.0)[0] for a in range(20_000)])
    assert stats.kstest(firsts, "uniform").pvalue > 1e-4  # first draws across streams


def test_keys_depend_on_seed_and_purpose_only():
    assert purpose_key(5, "cueing") == purpose_key(5, "cueing")
    keys = {purpose_key(seed, name) for seed in range(3) for name in PURPOSES}
    assert len(keys) == 3 * len(PURPOSES)
    # Purpose numbers are part of every result's identity: they never change.
    assert PURPOSES["arrivals"] == 1 and PURPOSES["salvo"] == 3 and PURPOSES["exchange"] == 7


@njit
def _skipped_then_drawn(key, n, then):
    """``then`` draws after skipping ``n``, and the same after drawing ``n``; both
    streams' states at the end."""
    skipped, drawn = new_stream(key, 3, 0, 0), new_stream(key, 3, 0, 0)
    skip(skipped, n)
    for _ in range(n):
        uniform(drawn)
    out = np.empty((2, then))
    for i in range(then):
        out[0, i] = uniform(skipped)
        out[1, i] = uniform(drawn)
    return out, skipped.copy(), drawn.copy()


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_skipping_draws_leaves_every_later_draw_unchanged(n):
    # SplitMix64's state after n draws is state + n·gamma (Steele et al. 2014): skipping
    # n draws must land exactly where drawing them does, bit for bit.
    out, skipped, drawn = _skipped_then_drawn(KEY, n, 5)
    assert (skipped == drawn).all()
    assert (out[0] == out[1]).all()


@njit
def _unit_of_next_state(key):
    stream = new_stream(key, 4, 0, 0)
    state = stream[0] + stream[1]
    return unit(state), uniform(stream)


def test_unit_of_the_next_state_is_the_next_uniform():
    by_state, by_stream = _unit_of_next_state(KEY)
    assert by_state == by_stream
