"""The stochastic salvo engine against closed forms, exact enumerations, Hughes' mean
limit and the scalar reference (docs/model.md §3).

Tolerances: a mean is checked within 5 standard errors (a false alarm about once in
1.7 million checks); a distribution by Pearson's chi-square with p > 1e-4 at a fixed
seed, so the checks are deterministic and fail only if the model is wrong.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np
import pytest
from numba import njit
from scipy import stats

from nansei.catalog import default_catalog
from nansei.combat.engine import exchange_counts, pack_side, simulate_exchange
from nansei.combat.forces import Layer, ShipType, Side, ship_type_from_class
from nansei.combat.hughes import hughes_salvo, salvo_net_hits
from nansei.combat.kernels import (
    ALLOCATIONS,
    INVENTORY,
    TALLY_COLUMNS,
    THRESHOLD,
    _bernoulli_sum,
    fire_salvo,
    new_fleet_state,
    new_salvo_work,
    pack_attack,
    round_random,
    salvo_into,
)
from nansei.combat.reference import reference_exchange
from nansei.stats import Histogram, summarize
from nansei.streams import new_stream, uniform

CATALOG = default_catalog()


def shooter(count: int = 1, missiles: float = 1.0, magazine: int | None = None, **side) -> Side:
    ship = ShipType("launcher", count, missiles=missiles, magazine=magazine)
    return Side("blue", (ship,), **side)


def target(*ships: ShipType, **side) -> Side:
    return Side("red", tuple(ships), **side)


def bare(count: int, staying_power: float = 1.0, **fields) -> ShipType:
    """Ships with no defence at all (layers given, none)."""
    return ShipType("ship", count, staying_power=staying_power, layers_given=True, **fields)


def run(blue: Side, red: Side, reps: int = 40_000, seed: int = 1, **kwargs):
    return exchange_counts((blue, red), reps, seed, **kwargs)


def salvo_states(side: Side, reps: int, seed: int = 3) -> list:
    """Fresh states of ``side``'s ships, one per replication (the kernels' layout)."""
    table = pack_side(side)
    states = []
    for rep in range(reps):
        state = np.zeros((table.ship_f.shape[0], 4), dtype=np.int64)
        new_fleet_state(new_stream(np.uint64(seed), rep, 0, 0), table.ship_f, table.ship_i, state)
        states.append(state)
    return states


def assert_mean(values: np.ndarray, expected: float) -> None:
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / math.sqrt(values.size)
    assert abs(values.mean() - expected) <= 5 * se + 1e-12, (values.mean(), expected, se)


def assert_distribution(values: np.ndarray, pmf: dict[int, float]) -> None:
    """Pearson's chi-square goodness of fit of integer draws to an exact pmf."""
    values = np.asarray(values)
    support = sorted(pmf)
    assert set(np.unique(values)) <= set(support), (np.unique(values), support)
    observed = np.array([(values == k).sum() for k in support])
    expected = np.array([pmf[k] for k in support]) * values.size
    assert math.isclose(sum(pmf.values()), 1.0, abs_tol=1e-12)
    keep = expected > 0
    _, p_value = stats.chisquare(observed[keep], expected[keep])
    assert p_value > 1e-4, (observed, expected)


# -- closed forms when no channel limit binds -------------------------------------------------


def test_no_defence_hits_are_binomial():
    # Each launched missile flies (r), is aimed (σ) and hits (p) independently: hits on
    # the side are Binomial(n, r·σ·p) whatever the allocation.
    n, r, sigma, p = 12, 0.9, 0.8, 0.5
    blue = shooter(count=3, missiles=4, reliability=r, scouting=sigma, p_hit=p)
    red = target(bare(4, staying_power=100))
    counts, _ = run(blue, red)
    q = r * sigma * p
    assert_distribution(
        counts["red"]["hits_received"], dict(enumerate(stats.binom.pmf(range(n + 1), n, q)))
    )
    assert_distribution(
        counts["red"]["leakers"], dict(enumerate(stats.binom.pmf(range(n + 1), n, r * sigma)))
    )
    assert (counts["blue"]["missiles_launched"] == n).all()


def test_no_defence_ships_out_is_occupancy():
    # Staying power 1, uniform allocation, no defence: a ship is out iff at least one of
    # the n missiles hits it; each missile hits a given ship with q/S, so
    # E[out] = S · (1 − (1 − q/S)^n) (the classical occupancy mean).
    n, ships, q = 6, 4, 0.9 * 0.8 * 0.5
    blue = shooter(count=1, missiles=n, reliability=0.9, scouting=0.8, p_hit=0.5)
    counts, _ = run(blue, target(bare(ships)))
    assert_mean(counts["red"]["out_of_action"], ships * (1 - (1 - q / ships) ** n))


def test_unbinding_point_layer_and_softkill_thin_binomially():
    # 100 point channels per ship never bind: each missile is killed with
    # 1 − (1 − pk)^2 (two-shot salvo), then seduced with s, then hits with p.
    pk, s, p, n = 0.6, 0.2, 0.7, 10
    ship = ShipType("ddg", 2, staying_power=1000, point=Layer(100, pk, shots=2), softkill_p=s,
                    layers_given=True)  # fmt: skip
    counts, _ = run(shooter(missiles=n, p_hit=p), target(ship))
    survive = (1 - pk) ** 2
    q = survive * (1 - s) * p
    assert_distribution(
        counts["red"]["hits_received"], dict(enumerate(stats.binom.pmf(range(n + 1), n, q)))
    )
    assert_mean(counts["red"]["intercepted_point"], n * (1 - survive))
    assert_mean(counts["red"]["seduced"], n * survive * s)


def test_readiness_thins_channels():
    # A saturated area layer of 10 channels, each manned with τ: intercepted ~ Bin(10, τ)
    # when pk = 1 and 50 missiles come.
    tau = 0.6
    ship = ShipType("ddg", 1, staying_power=1000, area=Layer(10, 1.0), layers_given=True)
    counts, _ = run(shooter(missiles=50), target(ship, readiness=tau))
    pmf = dict(enumerate(stats.binom.pmf(range(11), 10, tau)))
    assert_distribution(counts["red"]["intercepted_area"], pmf)


# -- exact enumerations of tiny cases -------------------------------------------------------


def exact_out_pmf(missiles: int, ships: int, p_hit: float, point_channels: int, pk: float):
    """P(ships out of action) by enumerating every allocation, interception and hit:
    staying power 1, uniform allocation, a point layer per ship."""
    pmf: dict[int, float] = {}
    for targets in itertools.product(range(ships), repeat=missiles):
        p_alloc = (1 / ships) ** missiles
        incoming = [targets.count(s) for s in range(ships)]
        # Per ship: engaged = min(incoming, channels); each engaged killed with pk; each
        # survivor hits with p_hit; the ship is out if any hit.
        p_out = []
        for m in incoming:
            engaged = min(m, point_channels)
            p_no_hit = 0.0
            for killed in range(engaged + 1):
                p_killed = math.comb(engaged, killed) * pk**killed * (1 - pk) ** (engaged - killed)
                p_no_hit += p_killed * (1 - p_hit) ** (m - killed)
            p_out.append(1 - p_no_hit)
        for outcome in itertools.product((0, 1), repeat=ships):
            p = p_alloc
            for hit, q in zip(outcome, p_out, strict=True):
                p *= q if hit else 1 - q
            pmf[sum(outcome)] = pmf.get(sum(outcome), 0.0) + p
    return {k: v for k, v in pmf.items() if v > 0}


def test_exact_enumeration_helper_matches_hand_values():
    # 3 missiles at 2 ships, no defence, p_hit 1: out = 1 only if all 3 pick the same
    # ship, 2·(1/2)^3 = 0.25. With p_hit 0.5: P(0) = 0.5^3, P(2) = 1 − 2·0.75^3 + 0.5^3.
    assert exact_out_pmf(3, 2, 1.0, 0, 0.0) == pytest.approx({1: 0.25, 2: 0.75})
    assert exact_out_pmf(3, 2, 0.5, 0, 0.0) == pytest.approx(
        {0: 0.125, 1: 1 - 0.125 - 0.28125, 2: 0.28125}
    )
    # One point channel, pk 0.5: split (2,1) leaves the lone missile's ship out w.p. 0.5.
    assert exact_out_pmf(3, 2, 1.0, 1, 0.5) == pytest.approx({1: 0.625, 2: 0.375})


@pytest.mark.parametrize(
    ("p_hit", "channels", "pk"), [(1.0, 0, 0.0), (0.5, 0, 0.0), (1.0, 1, 0.5), (0.7, 1, 0.8)]
)
def test_three_missiles_two_ships_match_enumeration(p_hit, channels, pk):
    layer = Layer(channels, pk) if channels else None
    ship = ShipType("ship", 2, staying_power=1, point=layer, layers_given=True)
    counts, _ = run(shooter(missiles=3, p_hit=p_hit), target(ship), reps=60_000)
    assert_distribution(counts["red"]["out_of_action"], exact_out_pmf(3, 2, p_hit, channels, pk))


def test_three_missiles_two_ships_area_layer_by_hand():
    # One area channel (on the first ship), pk 1: exactly one of the 3 missiles dies;
    # the 2 left pick ships uniformly, so both ships are out with probability 1/2.
    with_area = ShipType("a", 1, staying_power=1, area=Layer(1, 1.0), layers_given=True)
    without = ShipType("b", 1, staying_power=1, layers_given=True)
    counts, _ = run(shooter(missiles=3), target(with_area, without), reps=60_000)
    assert_distribution(counts["red"]["out_of_action"], {1: 0.5, 2: 0.5})
    assert (counts["red"]["intercepted_area"] == 1).all()


# -- Hughes' equations as the mean limit ----------------------------------------------------


def test_mean_hits_approach_hughes_net_hits():
    # Hughes' assumptions: interceptors are sure kills (pk = 1), each ship defeats b3
    # missiles per salvo, the salvo saturates every ship's defence. With 10 ships of b3 =
    # 10 and ~72 aimed missiles per ship, every point layer is saturated, so
    # E[hits] = p · (σ r N − τ Σ b3 B) exactly: Hughes' net hits.
    ddg = ShipType("ddg", 10, interceptors=10, staying_power=1000)
    blue = shooter(count=10, missiles=100, reliability=0.9, scouting=0.8, p_hit=0.6)
    red = target(ddg, readiness=0.7)
    counts, _ = run(blue, red, reps=20_000)
    expected = salvo_net_hits(blue, red)
    assert expected == pytest.approx(0.6 * (0.72 * 1000 - 0.7 * 100))
    assert_mean(counts["red"]["hits_received"], expected)


@pytest.mark.parametrize(("missiles", "b1"), [(7, 2), (12, 3), (40, 2)])
def test_concentrated_fire_without_defence_is_hughes_clipped_loss(missiles, b1):
    # Perfect fire distribution, no defence, sure hits: ⌊N / b1⌋ ships out, clipped at B,
    # which is Hughes' ΔB for whole staying power (rounded down to whole ships).
    red = target(ShipType("ship", 5, staying_power=b1, layers_given=True))
    blue = shooter(missiles=missiles, allocation="concentrated")
    counts, _ = run(blue, red, reps=200)
    _, clipped, _ = hughes_salvo(blue, red)
    assert (counts["red"]["out_of_action"] == math.floor(clipped)).all()
    assert math.floor(clipped) == min(5, missiles // b1)


# -- the engine against the scalar reference ---------------------------------------------


def sag(**side) -> Side:
    classes = [("type-055", 1), ("type-052d", 2), ("type-054a", 1)]
    ships = tuple(
        dataclasses.replace(ship_type_from_class(CATALOG, c, n), missiles=0, magazine=0)
        for c, n in classes
    )
    return Side("red", ships, readiness=0.9, **side)


def layered(doctrine: str, inventory: int) -> ShipType:
    return ShipType(
        "ddg", 3, missiles=2, magazine=4, staying_power=1.5, value=2.0,
        area=Layer(3, 0.6, shots=2, doctrine=doctrine, inventory=inventory),
        point=Layer(1.5, 0.5), softkill_p=0.15, layers_given=True,
    )  # fmt: skip


CONFIGS = {
    "company-vs-sag": (
        Side("blue", (ShipType("launcher", 4, missiles=6, magazine=6),), reliability=0.9,
             scouting=0.8, p_hit=0.5),
        sag(), {},
    ),
    "concentrated-shoot-look-shoot-multi-round": (
        Side("blue", (ShipType("fac", 4, missiles=3, magazine=6, staying_power=1),),
             allocation="concentrated", p_hit=0.8),
        Side("red", (layered("shoot-look-shoot", 5),), readiness=0.8, p_hit=0.6),
        {"rounds": 3, "order": "blue"},
    ),
    "value-salvo-doctrine-simultaneous": (
        Side("blue", (ShipType("fac", 3, missiles=4, magazine=8, staying_power=2),
                      ShipType("ddg", 1, missiles=2, interceptors=2, staying_power_range=(1, 3))),
             allocation="value", scouting=0.9),
        Side("red", (layered("salvo", 7), bare(2, 1, value=0.5, missiles=1, magazine=2)),
             readiness=0.85),
        {"rounds": 2},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CONFIGS))
def test_engine_matches_reference_in_distribution(name):
    blue, red, kwargs = CONFIGS[name]
    engine, fought = run(blue, red, reps=40_000, seed=11, **kwargs)
    rand = random.Random(12)
    reference = [reference_exchange(rand, blue, red, **kwargs) for _ in range(4_000)]
    for side in ("blue", "red"):
        for metric in ("out_of_action", "hits_received", "intercepted_area", "leakers",
                       "missiles_launched", "interceptors_used"):  # fmt: skip
            a = np.asarray(engine[side][metric])
            b = np.array([row[side][metric] for row in reference])
            assert_same_distribution(a, b, f"{name}: {side}.{metric}")
    b = np.array([row["red"]["rounds_fought"] for row in reference])
    assert_same_distribution(fought, b, f"{name}: rounds fought")


def assert_same_distribution(a: np.ndarray, b: np.ndarray, label: str) -> None:
    """Two-sample chi-square on the pooled support (cells with < 5 expected merged into
    the tail), plus means within 5 standard errors of the difference."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) <= 5 * se + 1e-12, (label, a.mean(), b.mean())
    values = np.union1d(np.unique(a), np.unique(b))
    if values.size < 2:
        return
    table = np.array([[(a == v).sum() for v in values], [(b == v).sum() for v in values]])
    # merge sparse cells into their neighbour so every expected count is >= 5
    while table.shape[1] > 1:
        expected = table.sum(0) * table.sum(1)[:, None] / table.sum()
        sparse = np.flatnonzero(expected.min(0) < 5)
        if sparse.size == 0:
            break
        j = sparse[0]
        k = j - 1 if j > 0 else j + 1
        table[:, k] += table[:, j]
        table = np.delete(table, j, axis=1)
    if table.shape[1] < 2:
        return
    _, p_value, _, _ = stats.chi2_contingency(table)
    assert p_value > 1e-4, (label, table)


# -- state, magazines and inventories -----------------------------------------------------


def test_area_interceptors_never_exceed_inventory_and_deplete_over_salvos():
    ship = ShipType("ddg", 1, staying_power=1000, area=Layer(8, 0.5, shots=2, inventory=10),
                    layers_given=True)  # fmt: skip
    side = Side("red", (ship,))
    table, attack = pack_side(side), pack_side(shooter()).attack
    used = TALLY_COLUMNS.index("interceptors_used")
    area = TALLY_COLUMNS.index("intercepted_area")
    for rep, state in enumerate(salvo_states(side, 2_000)):
        stream = new_stream(np.uint64(9), rep, 0, 0)
        first, second = np.zeros(9, dtype=np.int64), np.zeros(9, dtype=np.int64)
        fire_salvo(stream, 20, attack, table.ship_f, table.fleet, state, first)
        assert first[used] == 10  # 5 engaged × 2 shots: the whole stock
        fire_salvo(stream, 20, attack, table.ship_f, table.fleet, state, second)
        assert second[used] == 0 and second[area] == 0 and state[0, INVENTORY] == 0


def test_shoot_look_shoot_saves_interceptors_at_equal_kill_probability():
    def ddg(doctrine):
        return ShipType("ddg", 1, staying_power=1000, layers_given=True,
                        area=Layer(4, 0.5, shots=2, doctrine=doctrine))  # fmt: skip

    kills = {}
    for doctrine in ("salvo", "shoot-look-shoot"):
        counts, _ = run(shooter(missiles=4), target(ddg(doctrine)), reps=20_000)
        kills[doctrine] = counts["red"]
    # Both kill each of the 4 engaged missiles with 1 − 0.5² = 0.75.
    assert_mean(kills["salvo"]["intercepted_area"], 3.0)
    assert_mean(kills["shoot-look-shoot"]["intercepted_area"], 3.0)
    assert (kills["salvo"]["interceptors_used"] == 8).all()
    assert_mean(kills["shoot-look-shoot"]["interceptors_used"], 4 + 4 * 0.5)


def test_fractional_staying_power_has_its_mean():
    states = salvo_states(Side("red", (ShipType("ship", 3, staying_power=1.5),)), 20_000)
    drawn = np.concatenate([state[:, THRESHOLD] for state in states])
    assert set(np.unique(drawn)) == {1, 2}
    assert_mean(drawn, 1.5)
    ranged = salvo_states(Side("red", (ShipType("ship", 1, staying_power_range=(2, 4)),)), 30_000)
    drawn = np.array([state[0, THRESHOLD] for state in ranged])
    assert_distribution(drawn, {2: 1 / 3, 3: 1 / 3, 4: 1 / 3})


def test_first_striker_that_wipes_out_the_enemy_takes_no_return_fire():
    blue = Side("blue", (ShipType("ddg", 2, missiles=8, staying_power=1, layers_given=True),))
    red = Side("red", (ShipType("fac", 2, missiles=8, staying_power=1, layers_given=True),))
    counts, fought = run(blue, red, reps=1_000, rounds=3, order="blue")
    assert (counts["red"]["out_of_action"] == 2).all()  # 16 sure hits on 2 ships
    assert (counts["red"]["missiles_launched"] == 0).all()
    assert (counts["blue"]["out_of_action"] == 0).all()
    assert (fought == 1).all()
    counts, _ = run(blue, red, reps=1_000, rounds=1, order="simultaneous")
    assert (counts["blue"]["out_of_action"] == 2).all() and (
        counts["red"]["out_of_action"] == 2
    ).all()


def test_magazines_bound_multi_round_launches():
    blue = shooter(count=2, missiles=3, magazine=7)
    red = target(bare(1, staying_power=10_000))
    counts, fought = run(blue, red, reps=500, rounds=5)
    # 2 launchers × (3 + 3 + 1) = 14 missiles, then the rounds stop: magazines are empty.
    assert (counts["blue"]["missiles_launched"] == 14).all()
    assert (counts["blue"]["missiles_left"] == 0).all()
    assert (fought == 3).all()


# -- runs, seeds and summaries -----------------------------------------------------------


def test_same_seed_same_record_and_different_seeds_agree():
    blue, red, _ = CONFIGS["company-vs-sag"]
    one = simulate_exchange((blue, red), replications=30_000, seed=5, chunk_reps=8_192)
    two = simulate_exchange((blue, red), replications=30_000, seed=5, chunk_reps=8_192)
    assert one.record() == two.record()
    other = simulate_exchange((blue, red), replications=30_000, seed=6, chunk_reps=8_192)
    a = one.record()["sides"]["red"]["out_of_action"]
    b = other.record()["sides"]["red"]["out_of_action"]
    half = (a["ci95"][1] - a["ci95"][0]) / 2
    assert abs(a["mean"] - b["mean"]) <= 2.5 * half  # ~5 se of the difference
    assert a["n"] == 30_000 and sum(a["distribution"].values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", ["company-vs-sag", "value-salvo-doctrine-simultaneous"])
def test_histograms_are_the_per_replication_counts_whatever_the_chunks(name):
    # simulate_exchange counts inside the compiled chunk (widening its histograms as values
    # outgrow them); exchange_counts returns each replication's counts. Both must be the
    # same replications, for any chunk size.
    blue, red, kwargs = CONFIGS[name]
    counts, fought = run(blue, red, reps=5_000, seed=8, **kwargs)
    expected = {side: {} for side in ("blue", "red")}
    for side, metrics in counts.items():
        for metric, values in metrics.items():
            if values is not None:
                expected[side][metric] = Histogram()
                expected[side][metric].add(values)
    for chunk_reps in (5_000, 777, 1):
        result = simulate_exchange((blue, red), replications=5_000, seed=8, chunk_reps=chunk_reps,
                                   **kwargs)  # fmt: skip
        assert result.histograms.keys() == expected.keys()
        for side, metrics in expected.items():
            assert result.histograms[side].keys() == metrics.keys()
            for metric, hist in metrics.items():
                assert np.array_equal(result.histograms[side][metric].counts, hist.counts)
        assert np.array_equal(result.rounds_fought.counts, np.bincount(fought))


def test_a_salvo_with_reused_working_arrays_draws_the_same():
    side = Side("red", (layered("shoot-look-shoot", 9), bare(2, 1, value=0.5)))
    table = pack_side(side)
    for allocation in ALLOCATIONS:
        attack = pack_attack(0.9, 0.8, 0.7, allocation)
        work = new_salvo_work(12, table.ship_f.shape[0])
        for rep, state in enumerate(salvo_states(side, 300)):
            again = state.copy()
            tallies = np.zeros((2, 9), dtype=np.int64)
            streams = [new_stream(np.uint64(4), rep, 1, 0) for _ in range(2)]
            fire_salvo(streams[0], 12, attack, table.ship_f, table.fleet, state, tallies[0])
            salvo_into(streams[1], 12, attack, table.ship_f, table.fleet, again, tallies[1], work)
            assert np.array_equal(state, again) and np.array_equal(tallies[0], tallies[1])
            assert np.array_equal(streams[0], streams[1])


@njit
def _counted_draws(n, p, value):
    """(Bernoulli count, round_random) from one stream, and a second stream advanced by
    plain uniform draws, one per trial and one for the rounding."""
    stream, plain = new_stream(np.uint64(9), n, 0, 0), new_stream(np.uint64(9), n, 0, 0)
    count = _bernoulli_sum(stream, n, p)
    rounded = round_random(stream, value)
    for _ in range(n + 1):
        uniform(plain)
    return count, rounded, stream, plain


@pytest.mark.parametrize(("n", "p", "value"), [(0, 1.0, 2.0), (5, 1.0, 3.0), (5, 0.0, 0.0),
                                               (7, 0.4, 2.5), (40, 0.0, 1.0)])  # fmt: skip
def test_counts_and_roundings_use_one_draw_each_even_when_skipped(n, p, value):
    # Rounding a whole value leaves nothing to chance: its draw is skipped, not mixed, and
    # the stream must end exactly where n + 1 uniform draws leave it.
    count, rounded, stream, plain = _counted_draws(n, p, value)
    if p == 0.0:
        assert count == 0
    if value == math.floor(value):
        assert rounded == value
    assert np.array_equal(stream, plain)


def _unmix64(z: int) -> int:
    """The state whose SplitMix64 output is ``z`` (the finaliser is a bijection: each
    xor-shift and each odd multiplication undone in turn)."""
    mask = 2**64 - 1

    def unshift(x: int, s: int) -> int:
        y = x
        for _ in range(64 // s + 1):
            y = x ^ (y >> s)
        return y & mask

    z = unshift(z, 31)
    z = (z * pow(0x94D049BB133111EB, -1, 2**64)) & mask
    z = unshift(z, 27)
    z = (z * pow(0xBF58476D1CE4E5B9, -1, 2**64)) & mask
    return unshift(z, 30)


_bernoulli_twin = njit(lambda stream, n, p: _bernoulli_sum(stream, n, p))
_uniform_twin = njit(lambda stream: uniform(stream))


@njit
def _trial_and_uniform(stream, p):
    again = stream.copy()
    return _bernoulli_sum(stream, 1, p), uniform(again)


def test_a_sure_trial_never_fails_and_takes_its_draw():
    # The uniform of an output with its top 53 bits set rounds up to exactly 1.0 (chance
    # 2⁻⁵³), which is not below p = 1: a sure trial must succeed all the same, and — like
    # an impossible one — take its place in the stream (the next draw is unchanged).
    gamma = 0x9E3779B97F4A7C15
    rounded_up = 0
    for output in (2**64 - 1, 2**64 - 2**11, 2**64 - 2**11 - 1):
        state = (_unmix64(output) - gamma) % 2**64
        for p, expected in ((1.0, 1), (0.0, 0)):
            stream = np.array([state, gamma], dtype=np.uint64)
            count, u = _trial_and_uniform(stream, p)
            rounded_up += u == 1.0
            assert count == expected
            assert stream[0] == np.uint64((state + gamma) % 2**64)  # one draw taken
    assert rounded_up == 4  # the first two outputs give exactly 1.0, for both p


def test_bernoulli_counts_below_p_and_keep_the_stream_in_step():
    """For 0 < p < 1 a trial succeeds when its uniform is below p: the count over many
    trials equals the count of the same uniforms drawn one by one."""
    stream = np.array([12345, 0x9E3779B97F4A7C15], dtype=np.uint64)
    again = stream.copy()
    count = _bernoulli_twin(stream, 10_000, 0.3)
    draws = [_uniform_twin(again) for _ in range(10_000)]
    assert count == sum(u < 0.3 for u in draws)
    assert stream[0] == again[0]
    assert abs(count / 10_000 - 0.3) < 4 * (0.3 * 0.7 / 10_000) ** 0.5


def test_histogram_summary_equals_the_array_summary():
    values = np.random.default_rng(2).poisson(3.3, 9_999)
    hist = Histogram()
    for part in np.array_split(values, 7):
        hist.add(part)
    full = summarize(values)
    summary = hist.summary()
    for key in ("mean", "ci95", "p10", "p50", "p90", "n"):
        assert summary[key] == pytest.approx(full[key], abs=1e-6), key
    for q in (0.0, 0.25, 0.333, 0.5, 0.9, 1.0):
        assert hist.quantile(q) == pytest.approx(np.quantile(values, q))


def test_bad_run_arguments_raise():
    blue, red, _ = CONFIGS["company-vs-sag"]
    with pytest.raises(ValueError, match="order"):
        simulate_exchange((blue, red), replications=10, seed=0, order="green")
    with pytest.raises(ValueError, match="rounds"):
        simulate_exchange((blue, red), replications=10, seed=0, rounds=0)
    with pytest.raises(ValueError, match="probability"):
        Side("x", (), p_hit=1.2)
    with pytest.raises(ValueError, match="count"):
        ShipType("x", -1)
