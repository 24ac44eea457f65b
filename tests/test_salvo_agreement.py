"""One defence description for both salvo models (docs/model.md §3).

Hughes' per-ship defensive power b3 is derived from the layers the stochastic engine
plays out, and p_hit is applied once in both. Where every defence channel is busy — the
salvo saturates each layer on each ship — Hughes' net hits are the engine's mean hits
exactly, so the two must agree within 5 standard errors. Where channels idle (a small
salvo spread over several ships) the engine's hits are higher by exactly the idle
capacity; where the group is overwhelmed Hughes clips the ships out of action at the
group's size. Both differences are checked here, so neither can drift unnoticed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nansei.catalog import load_catalog
from nansei.combat.engine import simulate_exchange
from nansei.combat.forces import Layer, ShipType, Side, hughes_point_layer, layered_b3
from nansei.combat.hughes import (
    defensive_power,
    hughes_exchange,
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


def test_company_vs_sag_differs_by_exactly_the_idle_channels(catalog):
    """One company's 17 aimed missiles reach each ship about twice, fewer than some
    ships' point channels: the idle capacity is what Hughes' linear b3 cannot see. The
    engine's hits exceed Hughes' by p · (1 − s) · (τ Σ b3 B − E[intercepted])."""
    spec = load_salvo_spec(EXAMPLES / "company-vs-sag.yaml", catalog)
    blue, red = spec.sides
    counts = engine_counts(spec.sides, reps=40_000)
    hits, hits_se = counts["hits_received"]
    area, area_se = counts["intercepted_area"]
    point, point_se = counts["intercepted_point"]
    hughes = salvo_net_hits(blue, red)
    factor = blue.p_hit * (1 - mean_seduction(red))
    idle = defensive_power(red) - (area + point)
    assert idle > 0.5  # a real gap, not noise
    assert hits > hughes + 10 * hits_se
    bound = 5 * (hits_se + factor * (area_se + point_se))
    assert abs((hits - hughes) - factor * idle) < bound
