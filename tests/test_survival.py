"""Shoot-and-scoot closed forms against independent formulas and Monte Carlo draws.

Monte Carlo tolerances are five standard errors of the estimate (a false alarm has
probability ~6e-7 per check); the seeds are fixed, so a failure is reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nansei.catalog import default_catalog
from nansei.survival import (
    SurvivalParams,
    expected_salvos_before_loss,
    hidden_hazard_per_day,
    loss_per_shot,
    max_missiles_fired_by,
    p_hidden_survives,
    p_strike_in_time,
    sample_firing_losses,
    sample_hidden_losses,
    sample_kill_chain_h,
)

CATALOG = SurvivalParams.from_catalog(default_catalog())


def five_se(p: float, n: int) -> float:
    return 5.0 * math.sqrt(p * (1.0 - p) / n)


# -- P(K < D) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("median", "sigma", "dwell"),
    [(1.0, 0.8, 0.5), (6.0, 1.2, 1.5), (0.25, 0.3, 0.1), (1.0, 0.5, 1.0)],
)
def test_strike_in_time_is_the_lognormal_cdf(median, sigma, dwell):
    # scipy's log-normal (shape s = sigma, scale = median) is an independent implementation.
    expected = stats.lognorm(s=sigma, scale=median).cdf(dwell)
    assert p_strike_in_time(median, sigma, dwell) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_strike_in_time_hand_value_and_median():
    # Catalog values: Φ(ln(0.5/1)/0.8) = Φ(-0.8664) = 0.19314 (normal table).
    assert p_strike_in_time(1.0, 0.8, 0.5) == pytest.approx(0.19314, abs=5e-5)
    # At D = median the race is even, whatever the spread.
    assert p_strike_in_time(3.0, 1.1, 3.0) == pytest.approx(0.5)


def test_strike_in_time_limits():
    assert p_strike_in_time(1.0, 0.0, 2.0) == 1.0  # deterministic kill chain beats the dwell
    assert p_strike_in_time(1.0, 0.0, 0.5) == 0.0
    assert p_strike_in_time(1.0, 0.8, 0.0) == 0.0  # a launcher that never lingers
    with pytest.raises(ValueError):
        p_strike_in_time(0.0, 0.8, 1.0)
    with pytest.raises(ValueError):
        p_strike_in_time(1.0, -0.1, 1.0)


def test_kill_chain_sampler_matches_lognormal():
    rng = np.random.default_rng(11)
    draws = sample_kill_chain_h(rng, 2.0, 0.7, 100_000)
    # The median of 1e5 draws: standard error ≈ 1.2533·σ_ln·median/√n ≈ 0.0055 h.
    assert np.median(draws) == pytest.approx(2.0, abs=5 * 1.2533 * 0.7 * 2.0 / math.sqrt(1e5))
    assert stats.kstest(np.log(draws), stats.norm(np.log(2.0), 0.7).cdf).pvalue > 1e-4


# -- loss per shot -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        CATALOG,
        SurvivalParams(0.9, 0.25, 0.3, 1.5, 0.95, 0.1, 0.0, 4.0),  # a fast, sure adversary
        SurvivalParams(0.1, 6.0, 1.2, 0.1, 0.3, 0.002, 4.0, 48.0),  # a slow, unsure one
    ],
)
def test_loss_per_shot_matches_monte_carlo(params):
    q = params.loss_per_shot
    independent = (
        params.p_detect
        * stats.lognorm(s=params.kill_chain_sigma, scale=params.kill_chain_median_h).cdf(
            params.dwell_h
        )
        * params.p_kill
    )
    assert q == pytest.approx(independent, rel=1e-12)
    n = 400_000
    rng = np.random.default_rng(2024)
    lost = sample_firing_losses(
        rng,
        n,
        params.p_detect,
        params.kill_chain_median_h,
        params.kill_chain_sigma,
        params.dwell_h,
        params.p_kill,
    )
    assert lost.mean() == pytest.approx(q, abs=five_se(q, n))


def test_catalog_loss_per_shot_hand_value():
    # 0.5 · 0.19314 · 0.7 = 0.0676 with the catalog's central values.
    assert CATALOG.loss_per_shot == pytest.approx(0.5 * 0.19314 * 0.7, abs=2e-5)


def test_loss_per_shot_rejects_bad_probabilities():
    with pytest.raises(ValueError, match="p_detect"):
        loss_per_shot(1.2, 1.0, 0.8, 0.5, 0.7)
    with pytest.raises(ValueError, match="p_kill"):
        loss_per_shot(0.5, 1.0, 0.8, 0.5, -0.1)


# -- salvos before loss ------------------------------------------------------------------


def test_expected_salvos_closed_forms():
    assert expected_salvos_before_loss(0.2) == pytest.approx(5.0)  # geometric mean 1/q
    # (1 - 0.8^4)/0.2 = 2.952, and the same as the partial geometric sum Σ_{k<4} 0.8^k.
    assert expected_salvos_before_loss(0.2, 4) == pytest.approx(2.952)
    assert expected_salvos_before_loss(0.2, 4) == pytest.approx(sum(0.8**k for k in range(4)))
    assert expected_salvos_before_loss(0.0, 4) == 4.0
    assert expected_salvos_before_loss(1.0, 4) == 1.0
    assert math.isinf(expected_salvos_before_loss(0.0))


@pytest.mark.parametrize("cap", [3, 10, math.inf])
def test_expected_salvos_matches_simulated_launchers(cap):
    # Launchers fire salvo after salvo, each exposure drawn by the sampler, until lost or
    # out of salvos; the mean count must match the geometric closed form.
    params = SurvivalParams(0.8, 0.5, 0.6, 1.0, 0.8, 0.0, 0.0, 12.0)
    q = params.loss_per_shot
    rng = np.random.default_rng(7)
    n = 100_000
    fired = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    salvo = 0
    while alive.any() and salvo < cap:
        fired[alive] += 1
        lost = sample_firing_losses(
            rng, int(alive.sum()), params.p_detect, 0.5, 0.6, 1.0, params.p_kill
        )
        alive[np.flatnonzero(alive)[lost]] = False
        salvo += 1
    expected = expected_salvos_before_loss(q, cap)
    # The count's variance is at most the geometric (1-q)/q²; five standard errors.
    tolerance = 5.0 * math.sqrt((1.0 - q) / q**2 / n)
    assert fired.mean() == pytest.approx(expected, abs=tolerance)


# -- hidden launchers ------------------------------------------------------------------------


def test_hidden_survival_koopman_values():
    # Koopman's random search: exp(-λ t); λ = 0.02/day, no decoys, 30 days: exp(-0.6).
    assert p_hidden_survives(30, 0.02, 0) == pytest.approx(0.548812, abs=1e-6)
    # One decoy per launcher halves the hazard on the real one (dilution 1/(1+d)).
    assert hidden_hazard_per_day(0.1, 1) == pytest.approx(0.05)
    assert p_hidden_survives(30, 0.1, 1) == pytest.approx(math.exp(-1.5))
    assert p_hidden_survives(0, 0.1, 1) == 1.0
    with pytest.raises(ValueError):
        p_hidden_survives(-1, 0.1, 0)
    with pytest.raises(ValueError):
        hidden_hazard_per_day(0.1, -1)


@pytest.mark.parametrize("dt_days", [1 / 8, 1.0])
def test_hidden_survival_matches_stepped_search(dt_days):
    # The campaign steps the search in slices of dt; by memorylessness the survivors after
    # t days follow exp(-λ t / (1 + d)) whatever the slice.
    rng = np.random.default_rng(99)
    n, days, rate, decoys = 100_000, 30.0, 0.1, 1.0
    alive = np.ones(n, dtype=bool)
    for _ in range(round(days / dt_days)):
        alive &= ~sample_hidden_losses(rng, n, dt_days, rate, decoys)
    expected = p_hidden_survives(days, rate, decoys)
    assert alive.mean() == pytest.approx(expected, abs=five_se(expected, n))


# -- reload ---------------------------------------------------------------------------------


def test_max_missiles_fired_by():
    # 6 ready, depot 24, 6 per load, 12 h reload: 6 at once, +6 at 12 h, 24 h, ...
    assert max_missiles_fired_by(0.0, 6, 24, 12.0, 6) == 6
    assert max_missiles_fired_by(11.9, 6, 24, 12.0, 6) == 6
    assert max_missiles_fired_by(12.0, 6, 24, 12.0, 6) == 12
    assert max_missiles_fired_by(1000.0, 6, 24, 12.0, 6) == 30  # the depot runs out
    with pytest.raises(ValueError):
        max_missiles_fired_by(1.0, 6, 24, 0.0, 6)


def test_parameters_come_from_the_catalog():
    catalog = default_catalog().with_overrides({"survival.p_detect": 0.9})
    assert SurvivalParams.from_catalog(catalog).p_detect == 0.9
    assert CATALOG.hidden_hazard_per_day == pytest.approx(
        CATALOG.search_rate_per_day / (1 + CATALOG.decoys_per_launcher)
    )
