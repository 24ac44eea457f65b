"""One defence description for both salvo models (docs/model.md §3).

Hughes' per-ship defensive power b3 is derived from the layers the stochastic engine
plays out, and p_hit is applied once in both. Against layered ships Hughes subtracts
the defence the salvo actually meets (the closed form of nansei.combat.defence): with
every channel busy that is τ Σ b3 B, and when channels idle (a small salvo spread over
several ships, as company-vs-sag) it is less. Either way Hughes' net hits are the
engine's mean hits, checked within 5 standard errors on saturated and unsaturated
groups; where the group is overwhelmed Hughes clips the ships out of action at the
group's size (checked, so the difference cannot drift unnoticed).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nansei.catalog import load_catalog
from nansei.combat.defence import (
    area_kills_pmf,
    binomial_pmf,
    expected_salvo,
    manned_channels_pmf,
)
from nansei.combat.engine import simulate_exchange
from nansei.combat.forces import Layer, ShipType, Side, hughes_point_layer, layered_b3
from nansei.combat.hughes import (
    defensive_power,
    engaged_defence,
    hughes_exchange,
    layered,
    mean_seduction,
    salvo_net_hits,
)
from nansei.combat.spec import load_salvo_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "salvo"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def engine_counts(sides: tuple[Side, Side], reps: int, seed: int = 7):
    """Mean and standard error of each count the defender received, one salvo."""
    result = simulate_exchange(sides, replications=reps, seed=seed)
    out = {}
    for metric, hist in result.histograms[sides[1].name].items():
        out[metric] = (hist.mean(), math.sqrt(hist.variance() / hist.n))
    return out


# -- b3 from the layers: closed forms ----------------------------------------------------


def test_layered_b3_closed_forms():
    assert layered_b3(None, hughes_point_layer(4.0)) == 4.0  # Hughes' own b3 round-trips
    assert layered_b3(Layer(6, 0.7), Layer(2, 0.5)) == pytest.approx(6 * 0.7 + 2 * 0.5)
    # two shots per engaged missile: 1 − (1 − p)^2 per channel
    assert layered_b3(None, Layer(3, 0.5, shots=2)) == pytest.approx(3 * 0.75)
    # an area inventory of 5 feeds only 2 two-shot engagements in one salvo
    assert layered_b3(Layer(4, 0.5, shots=2, inventory=5), None) == pytest.approx(2 * 0.75)
    assert layered_b3(None, None) == 0.0


def test_catalog_class_b3_is_its_layers(catalog):
    spec = load_salvo_spec(EXAMPLES / "company-vs-sag.yaml", catalog)
    red = spec.sides[1]
    for ship in red.ships:
        assert ship.b3 == pytest.approx(layered_b3(ship.area, ship.point))
    value = catalog.value
    expected = sum(
        count
        * (
            value(f"{c}.area_channels") * value(f"{c}.area_p_kill")
            + value(f"{c}.point_channels") * value(f"{c}.point_p_kill")
        )
        for c, count in (("type-055", 1), ("type-052d", 2), ("type-054a", 1))
    )
    assert defensive_power(red) == pytest.approx(red.readiness * expected)


def test_p_hit_and_seduction_apply_once_to_what_gets_through():
    # 10 aimed missiles, b3 = 4 (sure kills), s = 0.25, p_hit = 0.5: 0.5 × 0.75 × 6
    ship = ShipType("t", 1, layers_given=True, point=Layer(4, 1.0), softkill_p=0.25)
    red = Side("red", (ship,))
    blue = Side("blue", (ShipType("b", 1, missiles=10),), p_hit=0.5)
    assert mean_seduction(red) == 0.25
    assert salvo_net_hits(blue, red) == pytest.approx(0.5 * 0.75 * 6)


# -- agreement where every channel is busy -----------------------------------------------


def _saturating(ships_per_side: int, missiles: int, readiness: float, softkill: float, shots: int):
    defender = ShipType(
        "ddg",
        ships_per_side,
        staying_power=1000,  # no ship leaves the fight: hits are not capped
        layers_given=True,
        area=Layer(4, 0.6, shots=shots, inventory=40),
        point=Layer(2, 0.5),
        softkill_p=softkill,
    )
    attacker = ShipType("battery", 10, missiles=missiles)
    return (
        Side("blue", (attacker,), scouting=0.8, reliability=0.9, p_hit=0.8),
        Side("red", (defender,), readiness=readiness),
    )


@pytest.mark.parametrize(
    ("ships", "missiles", "readiness", "softkill", "shots"),
    [(2, 8, 1.0, 0.0, 1), (3, 12, 0.8, 0.1, 1), (4, 20, 0.9, 0.2, 2)],
)
def test_engine_mean_hits_equal_hughes_when_every_channel_is_busy(
    ships, missiles, readiness, softkill, shots
):
    sides = _saturating(ships, missiles, readiness, softkill, shots)
    counts = engine_counts(sides, reps=30_000)
    mean, se = counts["hits_received"]
    expected = salvo_net_hits(*sides)
    assert expected > 0
    assert abs(mean - expected) < 5 * se, (mean, expected, se)


def test_regiment_vs_sag_hits_agree_and_hughes_clips_the_losses(catalog):
    """The catalog case: a regiment's 72-missile salvo keeps every channel of the group
    busy, so the mean hits agree; Hughes then clips the ships out of action at the four
    in the group, while the engine's mean stays below four (overkill on some ships)."""
    spec = load_salvo_spec(EXAMPLES / "regiment-vs-sag.yaml", catalog)
    counts = engine_counts(spec.sides, reps=40_000)
    mean, se = counts["hits_received"]
    hughes = hughes_exchange(*spec.sides).sides["red"]
    assert abs(mean - hughes.hits_received) < 5 * se, (mean, hughes.hits_received, se)
    assert hughes.out_of_action == 4.0 and hughes.raw_loss > 4.0
    out_mean, out_se = counts["out_of_action"]
    assert out_mean < 4.0 - 5 * out_se


def test_company_vs_sag_hits_agree_although_channels_idle(catalog):
    """One company's 17 aimed missiles reach each ship about twice, fewer than some
    ships' channels: the defence the salvo meets is well below the group's capacity
    τ Σ b3 B, and Hughes' net hits with that defence equal the engine's mean hits."""
    spec = load_salvo_spec(EXAMPLES / "company-vs-sag.yaml", catalog)
    blue, red = spec.sides
    counts = engine_counts(spec.sides, reps=40_000)
    hits, hits_se = counts["hits_received"]
    area, area_se = counts["intercepted_area"]
    point, point_se = counts["intercepted_point"]
    assert layered(red)
    engaged = engaged_defence(blue, red)
    assert defensive_power(red) - engaged > 1.0  # a real gap: idle capacity
    assert abs((area + point) - engaged) < 5 * (area_se + point_se)
    assert abs(hits - salvo_net_hits(blue, red)) < 5 * hits_se, (hits, salvo_net_hits(blue, red))
    outcome = hughes_exchange(*spec.sides).sides["red"]
    assert outcome.hits_received == pytest.approx(salvo_net_hits(blue, red))


def _idle_group(doctrine: str, shots: int, inventory: int | None, allocation: str):
    """Three ships of two kinds against a salvo too small to keep their channels busy."""
    big = ShipType("ddg", 1, staying_power=1000, layers_given=True, value=2.0,
                   area=Layer(3.5, 0.6, shots=shots, doctrine=doctrine, inventory=inventory),
                   point=Layer(2, 0.5), softkill_p=0.2)  # fmt: skip
    small = ShipType("ffg", 2, staying_power=1000, layers_given=True,
                     point=Layer(1.5, 0.7, shots=2), softkill_p=0.1)  # fmt: skip
    blue = Side("blue", (ShipType("battery", 2, missiles=4),), scouting=0.85,
                reliability=0.9, p_hit=0.75, allocation=allocation)  # fmt: skip
    return blue, Side("red", (big, small), readiness=0.8)


@pytest.mark.parametrize(
    ("doctrine", "shots", "inventory", "allocation"),
    [("salvo", 1, None, "uniform"), ("salvo", 2, 5, "uniform"),
     ("shoot-look-shoot", 2, 3, "uniform"), ("salvo", 1, None, "value")],
)  # fmt: skip
def test_engine_mean_counts_equal_the_closed_form_when_channels_idle(
    doctrine, shots, inventory, allocation
):
    """Fractional channels, readiness < 1, both doctrines, a binding inventory and
    value-weighted aim: the engine's mean kills per layer and hits equal the closed form
    of :mod:`nansei.combat.defence` within 5 standard errors."""
    sides = _idle_group(doctrine, shots, inventory, allocation)
    expected = expected_salvo(8, 0.85 * 0.9, 0.75, sides[1].ships, [1, 2], 0.8, allocation)
    counts = engine_counts(sides, reps=40_000)
    for metric, value in (("intercepted_area", expected.intercepted_area),
                          ("intercepted_point", expected.intercepted_point),
                          ("seduced", expected.seduced), ("leakers", expected.leakers),
                          ("hits_received", expected.hits)):  # fmt: skip
        mean, se = counts[metric]
        assert abs(mean - value) < 5 * se + 1e-12, (metric, mean, value, se)
    assert expected.hits == pytest.approx(salvo_net_hits(*sides))
    if doctrine == "salvo":  # (shoot-look-shoot feeds more channels than inventory // shots)
        assert engaged_defence(*sides) < defensive_power(sides[1]) - 0.5


# -- the closed form by hand ------------------------------------------------------------


def test_binomial_pmf_sums_to_one_with_mean_np():
    pmf = binomial_pmf(400, 0.3)
    assert pmf.sum() == pytest.approx(1.0)
    assert (pmf * range(401)).sum() == pytest.approx(120.0)
    assert list(binomial_pmf(2, 0.5)) == pytest.approx([0.25, 0.5, 0.25])
    assert list(binomial_pmf(3, 0.0)) == [1.0, 0.0, 0.0, 0.0]


def test_manned_channels_round_at_random_then_thin():
    # 1.5 channels: one or two with probability 1/2 each; each manned with 0.8.
    pmf = manned_channels_pmf(1.5, 0.8)
    assert list(pmf) == pytest.approx([0.5 * 0.2 + 0.5 * 0.04, 0.5 * 0.8 + 0.5 * 0.32, 0.5 * 0.64])


def test_shoot_look_shoot_kills_by_hand():
    layer = Layer(1, 0.5, shots=2, doctrine="shoot-look-shoot")
    # one missile, two shots: killed unless both miss
    assert list(area_kills_pmf(1, layer, None)) == pytest.approx([0.25, 0.75])
    # only one interceptor: one shot
    assert list(area_kills_pmf(1, layer, 1)) == pytest.approx([0.5, 0.5])
    # two missiles, three interceptors: both shot, one miss (if any) shot again
    pmf = area_kills_pmf(2, layer, 3)
    p0 = 0.25 * 0.25  # both miss, the one re-shot misses: P = 1/4 · 1/2 ... see below
    # both miss (1/4): one is re-shot: 0 kills w.p. 1/2, 1 kill w.p. 1/2
    # one kills (1/2): the miss is re-shot: 1 kill w.p. 1/2, 2 w.p. 1/2
    # both kill (1/4)
    assert list(pmf) == pytest.approx([0.125, 0.125 + 0.25, 0.25 + 0.25])
    assert p0 < pmf[0]


def test_idle_point_channels_by_hand():
    """Two sure missiles at two ships, one sure-kill channel each: each ship receives
    Bin(2, 1/2) missiles, kills min(n, 1): E = 3/4 per ship, so 1.5 of the 2 are
    killed and 0.5 hit — where Hughes' linear term (2 − 2 = 0) says none."""
    ship = ShipType("t", 2, staying_power=10, layers_given=True, point=Layer(1, 1.0))
    red = Side("red", (ship,))
    blue = Side("blue", (ShipType("b", 1, missiles=2),))
    assert engaged_defence(blue, red) == pytest.approx(1.5)
    assert salvo_net_hits(blue, red) == pytest.approx(0.5)
    assert defensive_power(red) == pytest.approx(2.0)


def test_every_channel_busy_gives_the_linear_capacity():
    """A salvo far above the channels keeps them busy: the engaged defence is
    τ Σ b3 B, the linear term, to rounding."""
    ship = ShipType("t", 3, staying_power=10, layers_given=True,
                    area=Layer(4, 0.6, inventory=100), point=Layer(2, 0.5, shots=2))  # fmt: skip
    red = Side("red", (ship,), readiness=0.9)
    blue = Side("blue", (ShipType("b", 10, missiles=40),), scouting=0.9)
    assert engaged_defence(blue, red) == pytest.approx(defensive_power(red), rel=1e-9)
