"""Shoot-and-scoot survivability of mobile launchers (docs/model.md §4).

A truck-mounted launcher that fires is detected with probability ``p_detect``. The
adversary's kill chain (detect → decide → strike) takes ``K`` hours, log-normal with
median ``kill_chain_median_h`` and log-scale spread ``kill_chain_sigma``; the launcher
has left its firing point after its dwell time ``D`` hours (fire, stow, move). A strike
that arrives while the launcher is still there (``K < D``) kills it with probability
``p_kill``. While it is not firing, a launcher is hidden and is found and killed by
random search at ``search_rate_per_day``, diluted by decoys.

Closed forms (each tested against Monte Carlo draws of the samplers below):

* ``P(K < D) = Φ(ln(D / median) / σ)`` — the log-normal distribution function.
* loss per shot ``q = p_detect · P(K < D) · p_kill`` — the three independent events
  in series (the "shoot-and-scoot" race between dwell and kill chain, as in the
  counter-battery analyses of Washburn & Kress, *Combat Modeling*, Springer 2009).
* salvos fired before loss: the salvo after which the launcher is lost is geometric
  on {1, 2, ...} with success probability ``q``, so ``E[N] = 1/q``; with at most
  ``m`` salvos to fire, ``E[min(N, m)] = (1 − (1 − q)^m) / q``.
* hidden survival: Koopman's random-search formula (B. O. Koopman, *Search and
  Screening*, 1946/1980; Washburn & Kress 2009) gives an exponential time to
  detection, ``P(survive t days) = exp(−λ_eff · t)``. **Dilution model**: the
  adversary prosecutes contacts at a fixed rate and a decoy, indistinguishable from
  a launcher until struck, absorbs a prosecution just as a launcher would; with
  ``d`` decoys per launcher only a share ``1/(1 + d)`` of prosecutions fall on real
  launchers, so ``λ_eff = λ / (1 + d)`` (the false-target effect of search theory,
  Washburn, *Search and Detection*, 4th ed., 2002). Decoys do not dilute the
  firing exposure: the launch signature marks the real launcher.
* reload: a launcher that empties draws up to one load from its unit's finite depot
  and is ready again ``reload_h`` hours later, so from a ready start one launcher
  can have fired at most ``ready + min(depot, load · ⌊t / reload_h⌋)`` missiles by
  time ``t`` (hours).

Units: probabilities in [0, 1]; times in hours except the search rate (per day) and
hidden-survival time (days). Samplers take a ``numpy.random.Generator`` first and
broadcast their parameters, so per-replication parameter arrays work. Nothing here
prints or reads files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from nansei.catalog import Catalog

__all__ = [
    "SurvivalParams",
    "expected_salvos_before_loss",
    "hidden_hazard_per_day",
    "loss_per_shot",
    "max_missiles_fired_by",
    "p_hidden_survives",
    "p_strike_in_time",
    "sample_firing_losses",
    "sample_hidden_losses",
    "sample_kill_chain_h",
]


@dataclass(frozen=True)
class SurvivalParams:
    """The survivability parameters, read from the catalog's ``survival`` entity."""

    p_detect: float
    kill_chain_median_h: float
    kill_chain_sigma: float
    dwell_h: float
    p_kill: float
    search_rate_per_day: float
    decoys_per_launcher: float
    reload_h: float

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> SurvivalParams:
        return cls(**{name: catalog.value(f"survival.{name}") for name in cls.__dataclass_fields__})

    @property
    def loss_per_shot(self) -> float:
        return float(
            loss_per_shot(
                self.p_detect,
                self.kill_chain_median_h,
                self.kill_chain_sigma,
                self.dwell_h,
                self.p_kill,
            )
        )

    @property
    def hidden_hazard_per_day(self) -> float:
        return float(hidden_hazard_per_day(self.search_rate_per_day, self.decoys_per_launcher))


# -- closed forms ------------------------------------------------------------------


def p_strike_in_time(median_h, sigma, dwell_h):
    """``P(K < D)`` for a log-normal kill chain ``K`` (median h, log-sd) and dwell ``D`` h.

    ``Φ(ln(D / median) / σ)``; ``σ = 0`` is the deterministic kill chain (1 if the
    median is shorter than the dwell, else 0). Broadcasts.
    """
    median_h, sigma, dwell_h = np.broadcast_arrays(
        np.asarray(median_h, float), np.asarray(sigma, float), np.asarray(dwell_h, float)
    )
    if np.any(median_h <= 0) or np.any(sigma < 0) or np.any(dwell_h < 0):
        raise ValueError("kill-chain median must be > 0 h, sigma ≥ 0 and dwell ≥ 0 h")
    with np.errstate(divide="ignore"):
        log_ratio = np.log(dwell_h) - np.log(median_h)  # -inf for a zero dwell
    safe_sigma = np.where(sigma > 0, sigma, 1.0)
    z = np.where(sigma > 0, log_ratio / safe_sigma, np.where(log_ratio > 0, np.inf, -np.inf))
    return _scalar_or_array(ndtr(z))


def loss_per_shot(p_detect, median_h, sigma, dwell_h, p_kill):
    """Probability that one firing costs the launcher: ``p_detect · P(K < D) · p_kill``."""
    _check_probability(p_detect, "p_detect")
    _check_probability(p_kill, "p_kill")
    return _scalar_or_array(
        np.asarray(p_detect, float)
        * np.asarray(p_strike_in_time(median_h, sigma, dwell_h))
        * np.asarray(p_kill, float)
    )


def expected_salvos_before_loss(q, max_salvos: float = math.inf):
    """Expected salvos a launcher fires before it is lost, the fatal one included.

    Loss after each salvo is independent with probability ``q``, so the salvo count
    is geometric: ``1/q`` without a cap, ``(1 − (1 − q)^m) / q`` with at most ``m``
    salvos (a finite magazine). ``q = 0`` gives ``m`` (infinite without a cap).
    """
    _check_probability(q, "q")
    q = np.asarray(q, float)
    if math.isinf(max_salvos):
        with np.errstate(divide="ignore"):
            return _scalar_or_array(np.where(q > 0, 1.0 / np.where(q > 0, q, 1.0), np.inf))
    m = float(max_salvos)
    with np.errstate(divide="ignore"):
        survive_all = np.exp(m * np.log1p(-q))  # (1 - q)^m, exact 0 at q = 1
    capped = np.where(q > 0, (1.0 - survive_all) / np.where(q > 0, q, 1.0), m)
    return _scalar_or_array(capped)


def hidden_hazard_per_day(search_rate_per_day, decoys_per_launcher):
    """Rate (per day) at which a hidden launcher is found and killed: ``λ / (1 + d)``."""
    rate = np.asarray(search_rate_per_day, float)
    decoys = np.asarray(decoys_per_launcher, float)
    if np.any(rate < 0) or np.any(decoys < 0):
        raise ValueError("search rate and decoys per launcher must be ≥ 0")
    return _scalar_or_array(rate / (1.0 + decoys))


def p_hidden_survives(days, search_rate_per_day, decoys_per_launcher):
    """Koopman random search: ``exp(−λ t / (1 + d))``, t in days."""
    days = np.asarray(days, float)
    if np.any(days < 0):
        raise ValueError("time must be ≥ 0 days")
    hazard = np.asarray(hidden_hazard_per_day(search_rate_per_day, decoys_per_launcher))
    return _scalar_or_array(np.exp(-hazard * days))


def max_missiles_fired_by(t_h, ready, depot, reload_h, load):
    """Most missiles one launcher can have fired by ``t_h`` hours after a ready start.

    It empties at once, draws up to ``load`` from the depot and is ready again
    ``reload_h`` later, and so on: ``ready + min(depot, load · ⌊t / reload_h⌋)``.
    An upper bound for any doctrine (tests check the campaign never exceeds it).
    """
    if reload_h <= 0:
        raise ValueError("reload_h must be > 0 h")
    cycles = np.floor(np.asarray(t_h, float) / reload_h)
    return _scalar_or_array(ready + np.minimum(depot, load * cycles))


# -- samplers ----------------------------------------------------------------------


def sample_kill_chain_h(rng: np.random.Generator, median_h, sigma, size=None) -> np.ndarray:
    """Kill-chain times, hours: ``median · exp(σ Z)``, Z standard normal."""
    return np.asarray(median_h, float) * np.exp(
        np.asarray(sigma, float) * rng.standard_normal(size)
    )


def sample_firing_losses(
    rng: np.random.Generator,
    shape,
    p_detect,
    median_h,
    sigma,
    dwell_h,
    p_kill,
) -> np.ndarray:
    """Which of ``shape`` launchers that just fired are lost, as booleans.

    Each event is drawn on its own (detection, kill-chain time against dwell, kill),
    so the loss frequency converges to :func:`loss_per_shot`.
    """
    detected = rng.random(shape) < p_detect
    in_time = sample_kill_chain_h(rng, median_h, sigma, shape) < dwell_h
    killed = rng.random(shape) < p_kill
    return detected & in_time & killed


def sample_hidden_losses(
    rng: np.random.Generator, shape, dt_days, search_rate_per_day, decoys_per_launcher
) -> np.ndarray:
    """Which of ``shape`` hidden launchers are found and killed during ``dt_days``."""
    p_found = -np.expm1(
        -np.asarray(hidden_hazard_per_day(search_rate_per_day, decoys_per_launcher)) * dt_days
    )
    return rng.random(shape) < p_found


# -- helpers -----------------------------------------------------------------------


def _check_probability(value, name: str) -> None:
    array = np.asarray(value, float)
    if np.any(~((array >= 0) & (array <= 1))):
        raise ValueError(f"{name} must be a probability in [0, 1]")


def _scalar_or_array(array):
    array = np.asarray(array)
    return float(array) if array.ndim == 0 else array
