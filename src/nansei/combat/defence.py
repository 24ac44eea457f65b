"""What layered defences destroy from one salvo, in expectation: the engine's layers in
closed form (docs/model.md §3, "One defence description").

Hughes' salvo equation subtracts a defensive power ``τ Σ b3 B`` that is linear in the
ships: every channel busy. A channel cannot kill a missile that was not aimed at its
ship, so against a small salvo spread over several ships some channels idle and the
defence destroys less than its capacity. This module gives the exact expectation of
what the layers of :mod:`nansei.combat.kernels` destroy from a salvo of ``L`` missiles,
so Hughes' equation can subtract the defence the salvo actually meets. With every
channel busy it is ``τ Σ b3 B`` again (:func:`nansei.combat.forces.layered_b3`).

The salvo, as the engine plays it (M. J. Armstrong, "A stochastic salvo model for naval
surface combat", *Operations Research* 53(5) (2005) 830–841, with layered defences):

* aimed missiles ``A ~ Bin(L, r σ)`` (launch reliability r, scouting σ);
* each picks a ship independently, ship ``j`` with weight ``w_j`` (uniform: 1 / ΣB);
* the pooled area layer mans ``Man ~ Bin(C, τ)`` of its ``C`` channels (``C`` the
  sum over the area ships; a fractional total is ⌊C⌋ or ⌈C⌉ with mean C), engages
  ``E = min(A, Man, cap)`` (``cap`` what the interceptors feed) and kills
  ``K | E`` (binomial for the ``salvo`` doctrine, a short recursion for
  ``shoot-look-shoot``); the killed missiles are a random subset of the aimed ones, so
  the survivors ``S = A − K`` are still spread independently: one ship of type j
  receives ``n_j | S ~ Bin(S, w_j)``;
* its point layer mans ``P_j ~ Bin(c_j, τ)`` channels and kills
  ``Bin(min(n_j, P_j), p_j)``, with ``p_j = 1 − (1 − p_kill)^shots``;
* the rest is seduced with ``s_j`` and hits with ``p_hit``.

Hence, exactly (for whole ship counts), the mean hits of one salvo

``H = p_hit Σ_j B_j (1 − s_j) (E[n_j] − p_j E[min(n_j, P_j)])``,

with ``E[n_j] = w_j E[S]`` and ``E[min(n, P)] = Σ_{t ≥ 0} P(n > t) P(P > t)`` (n and P
are independent). The distributions are carried as probability vectors; sizes are the
salvo (``L + 1``) and the channels, so the cost is ``O(L · channels²)``.

Fractional numbers (Hughes carries fractional ships between rounds): a fractional salvo
``L`` is ⌊L⌋ or ⌈L⌉ with mean L, fractional ship counts weight each type, and
a type's share of the survivors (``B_j w_j``) is kept, while ``n_j`` for the point layer
uses ``min(w_j, 1)``. Allocation ``concentrated`` is not independent per missile;
the expectation uses uniform weights for it (Hughes' own assumption).

Units: missiles, channels and hits are counts; probabilities in [0, 1].
Pure functions: no I/O, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nansei.combat.forces import Layer, ShipType

__all__ = [
    "ExpectedSalvo",
    "area_kills_pmf",
    "binomial_pmf",
    "expected_salvo",
    "manned_channels_pmf",
]


def _log_factorials(n: int) -> np.ndarray:
    """``log k!`` for k = 0 … n."""
    logs = np.zeros(n + 1)
    if n > 0:
        logs[1:] = np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))
    return logs


def binomial_pmf(n: int, p: float) -> np.ndarray:
    """``P(X = k)`` for k = 0 … n, X ~ Binomial(n, p) (log-space, so large n is exact to
    rounding). ``n`` ≥ 0 whole, ``p`` in [0, 1]."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    pmf = np.zeros(n + 1)
    if p <= 0.0:
        pmf[0] = 1.0
        return pmf
    if p >= 1.0:
        pmf[n] = 1.0
        return pmf
    k = np.arange(n + 1)
    logs = _log_factorials(n)
    log_pmf = logs[n] - logs[k] - logs[n - k] + k * math.log(p) + (n - k) * math.log1p(-p)
    return np.exp(log_pmf)


def _rounded_mixture(value: float) -> tuple[tuple[int, float], ...]:
    """⌊v⌋ and ⌈v⌉ with their probabilities (mean v): the engine's random rounding."""
    whole = math.floor(value)
    fraction = value - whole
    if fraction <= 0.0:
        return ((int(whole), 1.0),)
    return ((int(whole), 1.0 - fraction), (int(whole) + 1, fraction))


def _mix(parts: Sequence[tuple[float, np.ndarray]]) -> np.ndarray:
    """Probability vectors weighted and summed (padded to the longest)."""
    size = max(len(pmf) for _, pmf in parts)
    out = np.zeros(size)
    for weight, pmf in parts:
        out[: len(pmf)] += weight * pmf
    return out


def manned_channels_pmf(channels: float, readiness: float) -> np.ndarray:
    """Channels manned for one salvo: ⌊c⌋ or ⌈c⌉ channels (mean c), each manned with
    probability τ = ``readiness``; ``P(manned = m)`` for m = 0 … ⌈c⌉."""
    return _mix([(w, binomial_pmf(n, readiness)) for n, w in _rounded_mixture(channels)])


def area_kills_pmf(engaged: int, layer: Layer, stock: int | None) -> np.ndarray:
    """``P(K = k)``, k = 0 … engaged: missiles the area layer kills out of ``engaged``,
    with ``stock`` interceptors (None: unlimited).

    ``salvo`` doctrine: each engaged missile gets all its shots at once,
    ``K ~ Bin(engaged, 1 − (1 − p)^shots)``. ``shoot-look-shoot``: one shot each, then the
    misses are shot again, in turns, while shots and interceptors last (the engine's
    order), which is a recursion over (killed, missed, used)."""
    if layer.doctrine == "salvo":
        return binomial_pmf(engaged, layer.p_kill_engaged)
    unlimited = stock is None
    p = layer.p_kill
    states = {}  # (killed, missed, used) -> probability
    for killed, prob in enumerate(binomial_pmf(engaged, p)):
        if prob > 0.0:
            states[(killed, engaged - killed, engaged)] = prob
    for _ in range(layer.shots - 1):
        following: dict[tuple[int, int, int], float] = {}
        for (killed, missed, used), prob in states.items():
            again = missed if unlimited else min(missed, stock - used)
            for kills, q in enumerate(binomial_pmf(again, p)):
                key = (killed + kills, again - kills, used + again)
                following[key] = following.get(key, 0.0) + prob * q
        states = following
    pmf = np.zeros(engaged + 1)
    for (killed, _, _), prob in states.items():
        pmf[killed] += prob
    return pmf


class ExpectedSalvo(NamedTuple):
    """Expected counts of one salvo against a fleet [missiles; hits]."""

    aimed: float  #: E[A], missiles aimed at real targets
    intercepted_area: float  #: E[K], killed by the pooled area layer
    intercepted_point: float  #: killed by the ships' point layers
    seduced: float  #: seduced by soft kill
    leakers: float  #: reached a ship unengaged and unseduced
    hits: float  #: E[hits] = p_hit × leakers


def _survivor_pmf(aimed_pmf: np.ndarray, ships: Sequence[ShipType], counts, readiness) -> tuple:
    """``P(S = s)`` after the pooled area layer, and E[K]."""
    area = [(ship, n) for ship, n in zip(ships, counts, strict=True)
            if n > 0 and ship.area is not None and ship.area.channels > 0]  # fmt: skip
    if not area:
        return aimed_pmf, 0.0
    channels = math.fsum(ship.area.channels * n for ship, n in area)
    p_kill = math.fsum(ship.area.channels * n * ship.area.p_kill for ship, n in area) / channels
    first = area[0][0].area  # the engine fires the first area ship's shots and doctrine
    layer = Layer(channels=channels, p_kill=p_kill, shots=first.shots, doctrine=first.doctrine)
    if any(ship.area.inventory is None for ship, _ in area):
        stock = None
        cap = math.inf
    else:
        stock = int(math.floor(math.fsum(ship.area.inventory * n for ship, n in area) + 1e-9))
        cap = stock if layer.doctrine == "shoot-look-shoot" else stock // layer.shots
    manned = manned_channels_pmf(channels, readiness)
    # G(e) = P(min(Man, cap) = e): the most the layer can engage, before the salvo's size.
    ceiling = int(min(len(manned) - 1, cap))
    most = np.zeros(ceiling + 1)
    for m, prob in enumerate(manned):
        most[min(m, ceiling)] += prob
    at_least = np.cumsum(most[::-1])[::-1]  # P(min(Man, cap) >= e)
    kills = [area_kills_pmf(e, layer, stock) for e in range(ceiling + 1)]
    size = len(aimed_pmf)
    survivors = np.zeros(size)
    for e in range(ceiling + 1):
        # A > e: the layer engages e (its limit); S = A − K.
        if e + 1 < size:
            for k, q in enumerate(kills[e]):
                survivors[e + 1 - k : size - k] += aimed_pmf[e + 1 :] * (most[e] * q)
        # A = e: the salvo is the limit; the layer engages all e with P(limit >= e).
        if e < size:
            for k, q in enumerate(kills[e]):
                survivors[e - k] += aimed_pmf[e] * at_least[e] * q
    expected_aimed = float(np.dot(np.arange(size), aimed_pmf))
    expected_survivors = float(np.dot(np.arange(size), survivors))
    return survivors, expected_aimed - expected_survivors


def _expected_min(survivor_pmf: np.ndarray, share: float, manned: np.ndarray) -> float:
    """E[min(n, P)] with n | S ~ Bin(S, share) and P independent with pmf ``manned``:
    ``Σ_t P(n > t) P(P > t)`` over t below the channels."""
    top = len(manned) - 1
    if top <= 0 or share <= 0.0:
        return 0.0
    size = len(survivor_pmf)
    s = np.arange(size)
    logs = _log_factorials(size - 1)
    n_pmf = np.zeros(top)  # P(n = t), t = 0 … top − 1
    for t in range(min(top, size)):
        rows = s >= t
        if share >= 1.0:
            n_pmf[t] = survivor_pmf[t]
            continue
        log_binom = (logs[s[rows]] - logs[t] - logs[s[rows] - t]
                     + (t * math.log(share) if t else 0.0)
                     + (s[rows] - t) * math.log1p(-share))  # fmt: skip
        n_pmf[t] = float(np.dot(survivor_pmf[rows], np.exp(log_binom)))
    n_above = 1.0 - np.cumsum(n_pmf)  # P(n > t)
    p_above = 1.0 - np.cumsum(manned)[:top]  # P(P > t)
    return float(np.dot(np.clip(n_above, 0.0, 1.0), np.clip(p_above, 0.0, 1.0)))


def expected_salvo(
    launched: float,
    aim_probability: float,
    p_hit: float,
    ships: Sequence[ShipType],
    counts: Sequence[float],
    readiness: float,
    allocation: str = "uniform",
) -> ExpectedSalvo:
    """Expected counts of one salvo of ``launched`` missiles at ``counts`` ships of each
    of ``ships`` (their layers, soft kill), defended with readiness τ = ``readiness``.

    ``aim_probability`` = reliability × scouting (r σ): a launched missile flies and is
    aimed at a real target. ``p_hit``: a leaker hits. Ship types given without layers
    defend with Hughes' b3 as a point layer of sure kills (as in the engine)."""
    counts = [float(n) for n in counts]
    total_ships = math.fsum(counts)
    if launched <= 0 or total_ships <= 0:
        return ExpectedSalvo(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    aimed_pmf = _mix([(w, binomial_pmf(n, aim_probability)) for n, w in _rounded_mixture(launched)])
    survivors, area_killed = _survivor_pmf(aimed_pmf, ships, counts, readiness)
    expected_survivors = float(np.dot(np.arange(len(survivors)), survivors))
    weights = [ship.value if allocation == "value" else 1.0 for ship in ships]
    weight_total = math.fsum(w * n for w, n in zip(weights, counts, strict=True))
    point_killed = seduced = leakers = 0.0
    for ship, n_ships, weight in zip(ships, counts, weights, strict=True):
        if n_ships <= 0 or weight_total <= 0:
            continue
        share = weight / weight_total  # > 1 only for fewer than one ship (Hughes' rounds)
        arriving = share * expected_survivors  # per ship of this type
        killed = 0.0
        point = ship.point_layer
        if point is not None and point.channels > 0:
            manned = manned_channels_pmf(point.channels, readiness)
            killed = point.p_kill_engaged * _expected_min(survivors, min(share, 1.0), manned)
        through = arriving - killed
        point_killed += n_ships * killed
        seduced += n_ships * ship.softkill_p * through
        leakers += n_ships * (1.0 - ship.softkill_p) * through
    expected_aimed = float(np.dot(np.arange(len(aimed_pmf)), aimed_pmf))
    return ExpectedSalvo(
        aimed=expected_aimed,
        intercepted_area=area_killed,
        intercepted_point=point_killed,
        seduced=seduced,
        leakers=leakers,
        hits=p_hit * leakers,
    )
