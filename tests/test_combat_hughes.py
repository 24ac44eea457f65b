"""Hughes' deterministic salvo equations against published and hand-derived numbers.

Every expected value below is either taken from a published worked example (cited in
the test's docstring) or derived by hand from Hughes' equations, with the arithmetic
written out in the test.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nansei.combat.forces import ShipType, Side
from nansei.combat.hughes import (
    HughesResult,
    hughes_exchange,
    hughes_salvo,
    mean_staying_power,
    salvo_net_hits,
    spread_losses,
)


def side(name: str, *types: ShipType, **factors: float) -> Side:
    return Side(name=name, ships=tuple(types), **factors)


def ship(name: str, count: int, alpha: float = 0.0, b3: float = 0.0, b1: float = 1.0) -> ShipType:
    return ShipType(name=name, count=count, missiles=alpha, interceptors=b3, staying_power=b1)


# --------------------------------------------------------------------------------------
# Published worked example
# --------------------------------------------------------------------------------------
#
# Source: "Missile Math for Marines", Marine Corps Gazette, January 2023 — its Table 1
# worked example "2 USN DDGs vs 5 PLAN Type 022 missile boats", as reproduced in the
# public document "Hughes Salvo Model Reference — Based on 'Missile Math for Marines'
# (MCA Gazette, January 2023)", sections "WORKED EXAMPLE: USN vs PLAN SAG (from MCA
# Article)" and "KEY INSIGHTS FROM THE ARTICLE". (The Gazette article itself could not
# be retrieved; the numbers are those of the reproduction, and each is also recomputed
# by hand in the docstrings below.)
#
# Table 1 parameters: USN (A): A = 2, α = 4, τ_A = 1, a1 = 1, a3 = 4, σ_A = 1.
#                     PLAN (B): B = 5, β = 8, τ_B = 1, b1 = 2, b3 = 0, σ_B = 0.5.


def usn(ddgs: int = 2, staying_power: float = 1.0) -> Side:
    return side("USN", ship("DDG", ddgs, alpha=4, b3=4, b1=staying_power), scouting=1.0)


def plan(boats: int = 5) -> Side:
    return side("PLAN", ship("Type 022", boats, alpha=8, b3=0, b1=2), scouting=0.5)


def test_mca_gazette_base_case():
    """Published: ΔA = 12 DDG mission kills (both DDGs lost, "massive overkill"),
    ΔB = 4 Type 022s mission-killed, 1 survives.

    By hand: ΔA = (0.5·8·5 − 1·4·2)/1 = (20 − 8)/1 = 12; ΔB = (1·4·2 − 1·0·5)/2 = 8/2 = 4.
    """
    result = hughes_exchange(usn(), plan())
    a, b = result.sides["USN"], result.sides["PLAN"]
    assert a.raw_loss == pytest.approx(12.0)
    assert a.out_of_action == pytest.approx(2.0)
    assert a.remaining == pytest.approx(0.0)
    assert a.hits_received == pytest.approx(12.0)
    assert b.raw_loss == pytest.approx(4.0)
    assert b.out_of_action == pytest.approx(4.0)
    assert b.remaining == pytest.approx(1.0)
    assert b.hits_received == pytest.approx(8.0)
    assert a.missiles_launched == pytest.approx(8.0)  # 2 DDGs × 4
    assert b.missiles_launched == pytest.approx(40.0)  # 5 boats × 8
    assert result.rounds_fought == 1


@pytest.mark.parametrize(("a1", "published_delta_a"), [(1, 12), (2, 6), (3, 4), (4, 3)])
def test_mca_gazette_staying_power_table(a1, published_delta_a):
    """Published table "Staying Power (a) | USN Attrition (ΔA)": 1 → 12, 2 → 6, 3 → 4,
    4 → 3 ("even quadrupling USN staying power doesn't change the outcome").

    By hand: ΔA = 12 hits / a1.
    """
    net = salvo_net_hits(plan(), usn(staying_power=a1))
    assert net == pytest.approx(12.0)
    raw, clipped, hits = hughes_salvo(plan(), usn(staying_power=a1))
    assert raw == pytest.approx(published_delta_a)
    assert clipped == pytest.approx(2.0)  # still both DDGs: the outcome does not change
    assert hits == pytest.approx(12.0)


def test_mca_gazette_force_size():
    """Published ("Insight 1: Force Size Matters"): at A = 3 DDGs both SAGs are
    annihilated; at A = 5 DDGs the PLAN SAG is annihilated with no USN losses.

    By hand, A = 3: ΔA = (20 − 12)/1 = 8 ≥ 3, ΔB = 12/2 = 6 ≥ 5.
             A = 5: ΔA = (20 − 20)/1 = 0,     ΔB = 20/2 = 10 ≥ 5.
    """
    three = hughes_exchange(usn(ddgs=3), plan())
    assert three.sides["USN"].raw_loss == pytest.approx(8.0)
    assert three.sides["USN"].remaining == pytest.approx(0.0)
    assert three.sides["PLAN"].raw_loss == pytest.approx(6.0)
    assert three.sides["PLAN"].remaining == pytest.approx(0.0)

    five = hughes_exchange(usn(ddgs=5), plan())
    assert five.sides["USN"].raw_loss == pytest.approx(0.0)
    assert five.sides["USN"].out_of_action == 0.0
    assert five.sides["USN"].remaining == pytest.approx(5.0)
    assert five.sides["PLAN"].raw_loss == pytest.approx(10.0)
    assert five.sides["PLAN"].out_of_action == pytest.approx(5.0)


def test_mca_gazette_usn_fires_first():
    """Published ("Insight 3: Fire Effectively First"): if the USN fires one effective
    salvo first, 4 Type 022s are put out of action before they can launch.

    By hand, the rest of the round: the one surviving boat fires 0.5·8·1 = 4 missiles at
    2 DDGs that defeat 1·4·2 = 8 → net −4 hits, raw ΔA = −4, no USN losses.
    """
    result = hughes_exchange(usn(), plan(), order="USN")
    assert result.sides["PLAN"].out_of_action == pytest.approx(4.0)
    assert result.sides["PLAN"].remaining == pytest.approx(1.0)
    assert result.sides["PLAN"].missiles_launched == pytest.approx(8.0)  # 1 boat × 8
    assert result.sides["USN"].raw_loss == pytest.approx(-4.0)
    assert result.sides["USN"].out_of_action == 0.0
    assert result.sides["USN"].hits_received == 0.0


# --------------------------------------------------------------------------------------
# Edge cases, hand-derived
# --------------------------------------------------------------------------------------


def test_no_defence():
    """ΔB = σ r α A p / b1 with no defence: 3 ships × α 4 at 6 ships of b1 = 2 →
    12 / 2 = 6, all six out of action; with σ = 0.5, r = 0.8, p = 0.75:
    0.5 · 0.8 · 12 · 0.75 / 2 = 1.8 ships (3.6 hits)."""
    a = side("A", ship("a", 3, alpha=4))
    b = side("B", ship("b", 6, b1=2))
    assert hughes_salvo(a, b) == pytest.approx((6.0, 6.0, 12.0))
    a2 = side("A", ship("a", 3, alpha=4), scouting=0.5, reliability=0.8, p_hit=0.75)
    raw, clipped, hits = hughes_salvo(a2, b)
    assert raw == pytest.approx(1.8)
    assert clipped == pytest.approx(1.8)
    assert hits == pytest.approx(3.6)


def test_overwhelming_defence():
    """1 ship × α 2 at 3 ships × b3 2 (b1 = 2): net = 2 − 6 = −4 hits, raw = −4/2 = −2,
    clipped 0, hits 0."""
    a = side("A", ship("a", 1, alpha=2))
    b = side("B", ship("b", 3, b3=2, b1=2))
    assert salvo_net_hits(a, b) == pytest.approx(-4.0)
    raw, clipped, hits = hughes_salvo(a, b)
    assert raw == pytest.approx(-2.0)
    assert clipped == 0.0
    assert hits == 0.0
    result = hughes_exchange(a, b)
    assert result.sides["B"].raw_loss == pytest.approx(-2.0)
    assert result.sides["B"].out_of_action == 0.0
    assert result.sides["B"].remaining == pytest.approx(3.0)


def test_clipping_at_side_size():
    """10 ships × α 4 at 2 ships of b1 = 1: raw 40 > 2 → clipped 2, hits 40 (hits
    arriving, not capped at what sinks the side)."""
    a = side("A", ship("a", 10, alpha=4))
    b = side("B", ship("b", 2))
    assert hughes_salvo(a, b) == pytest.approx((40.0, 2.0, 40.0))
    result = hughes_exchange(a, b)
    assert result.sides["B"].raw_loss == pytest.approx(40.0)
    assert result.sides["B"].out_of_action == 2.0
    assert result.sides["B"].remaining == 0.0
    assert result.sides["B"].losses_by_type == {"b": 2.0}


def test_fractional_staying_power():
    """b1 = 1.5: 1 ship × α 3 at 4 ships → 3 / 1.5 = 2 ships out of action."""
    a = side("A", ship("a", 1, alpha=3))
    b = side("B", ship("b", 4, b1=1.5))
    assert hughes_salvo(a, b) == pytest.approx((2.0, 2.0, 3.0))


def test_heterogeneous_staying_power_split():
    """B: 2 ships b1 = 1 and 2 ships b1 = 3 → mean b1 = (2·1 + 2·3)/4 = 2. 6 hits → ΔB = 3,
    each type loses 3·2/4 = 1.5 ships; check: hits absorbed 1.5·1 + 1.5·3 = 6."""
    a = side("A", ship("a", 2, alpha=3))
    b = side("B", ship("light", 2, b1=1), ship("heavy", 2, b1=3))
    assert mean_staying_power(b) == pytest.approx(2.0)
    assert hughes_salvo(a, b) == pytest.approx((3.0, 3.0, 6.0))
    result = hughes_exchange(a, b)
    losses = result.sides["B"].losses_by_type
    assert losses == pytest.approx({"light": 1.5, "heavy": 1.5})
    assert 1.5 * 1 + 1.5 * 3 == pytest.approx(6.0)
    assert result.sides["B"].remaining == pytest.approx(1.0)


def test_heterogeneous_offence_and_defence_sums():
    """A: 2 × α 3 + 1 × α 6 = 12 missiles; B: 1 × b3 2 + 3 × b3 1 = 5 defeated (τ = 1);
    net 7; B's mean b1 = (1·2 + 3·1)/4 = 1.25 → raw 7/1.25 = 5.6, clipped 4."""
    a = side("A", ship("ddg", 2, alpha=3), ship("cg", 1, alpha=6))
    b = side("B", ship("big", 1, b3=2, b1=2), ship("small", 3, b3=1, b1=1))
    assert salvo_net_hits(a, b) == pytest.approx(7.0)
    assert hughes_salvo(a, b) == pytest.approx((5.6, 4.0, 7.0))


def test_multipliers():
    """σ = 0.5, r = 0.8, p = 0.5 (attacker), τ = 0.5 (defender): A = 10 × α 4 →
    0.5·0.8·40 = 16 arrive; B = 4 × b3 2 → 0.5·8 = 4 defeated; net = 0.5·(16 − 4) = 6;
    b1 = 2 → ΔB = 3."""
    a = side("A", ship("a", 10, alpha=4), scouting=0.5, reliability=0.8, p_hit=0.5)
    b = side("B", ship("b", 4, b3=2, b1=2), readiness=0.5)
    assert salvo_net_hits(a, b) == pytest.approx(6.0)
    assert hughes_salvo(a, b) == pytest.approx((3.0, 3.0, 6.0))
    # launched missiles are counted before reliability and scouting
    assert hughes_exchange(a, b).sides["A"].missiles_launched == pytest.approx(40.0)


def _order_sides() -> tuple[Side, Side]:
    a = side("A", ship("a", 3, alpha=2, b3=1, b1=2))
    b = side("B", ship("b", 4, alpha=3, b3=1, b1=1))
    return a, b


def test_simultaneous_order():
    """A (3 × α 2, b3 1, b1 2) vs B (4 × α 3, b3 1, b1 1), both at full strength:
    on B: 6 − 4 = 2 hits → ΔB = 2; on A: 12 − 3 = 9 hits → raw 4.5, clipped 3."""
    a, b = _order_sides()
    result = hughes_exchange(a, b, order="simultaneous")
    assert result.sides["B"].out_of_action == pytest.approx(2.0)
    assert result.sides["A"].raw_loss == pytest.approx(4.5)
    assert result.sides["A"].out_of_action == pytest.approx(3.0)
    assert result.sides["A"].missiles_launched == pytest.approx(6.0)
    assert result.sides["B"].missiles_launched == pytest.approx(12.0)


def test_a_fires_first():
    """A first: B loses (6 − 4)/1 = 2, its 2 survivors fire 6 missiles at A (full
    strength, defeats 3) → 3 hits / 2 = 1.5 A ships out of action."""
    a, b = _order_sides()
    result = hughes_exchange(a, b, order="A")
    ra, rb = result.sides["A"], result.sides["B"]
    assert rb.out_of_action == pytest.approx(2.0)
    assert rb.remaining == pytest.approx(2.0)
    assert rb.missiles_launched == pytest.approx(6.0)  # 2 survivors × 3
    assert ra.hits_received == pytest.approx(3.0)
    assert ra.raw_loss == pytest.approx(1.5)
    assert ra.out_of_action == pytest.approx(1.5)
    assert ra.remaining == pytest.approx(1.5)


def test_b_fires_first():
    """B first: A takes (12 − 3)/2 = 4.5 → all 3 out of action and never fires; B
    loses nothing."""
    a, b = _order_sides()
    result = hughes_exchange(a, b, order="B")
    assert result.sides["A"].out_of_action == pytest.approx(3.0)
    assert result.sides["A"].missiles_launched == 0.0
    assert result.sides["B"].out_of_action == 0.0
    assert result.sides["B"].raw_loss == 0.0
    assert result.sides["B"].remaining == pytest.approx(4.0)


def test_simultaneous_symmetry():
    """Identical forces under different names suffer identical losses:
    (2·4 − 2·1)/1.5 = 4 each."""
    kinds = (ship("x", 2, alpha=4, b3=1, b1=1.5),)
    result = hughes_exchange(side("Red", *kinds), side("Blue", *kinds))
    red, blue = result.sides["Red"], result.sides["Blue"]
    assert red.record() == blue.record()
    assert red.raw_loss == pytest.approx(4.0)
    assert red.out_of_action == pytest.approx(2.0)


def test_multi_round_early_stop():
    """1 ship × α 1 against 3 unarmed ships of b1 = 1: one ship per round, wiped out
    after round 3 of 5; A launched 3 missiles in all."""
    a = side("A", ship("a", 1, alpha=1))
    b = side("B", ship("b", 3))
    result = hughes_exchange(a, b, rounds=5)
    assert result.rounds_fought == 3
    assert result.sides["B"].out_of_action == pytest.approx(3.0)
    assert result.sides["B"].remaining == 0.0
    assert result.sides["A"].missiles_launched == pytest.approx(3.0)
    assert result.sides["A"].raw_loss == 0.0  # B has no missiles and A no defence: 0 / 1


def test_mutual_annihilation_and_negative_raw():
    """Simultaneous, up to 3 rounds. A: 4 × α 2 (b1 1); B: 4 × α 1 (b1 2).
    Round 1: ΔB = 8/2 = 4 → B gone; ΔA = 4/1 = 4 → A gone: both wiped after 1 round.
    Then A: 2 × α 2 (b1 1, no defence); B: 6 × α 1, b3 1 (b1 1), up to 4 rounds.
    Round 1: on B 4 − 6 = −2 hits → raw −2, no loss; on A 6/1 = 6 → A gone (2)."""
    a = side("A", ship("a", 4, alpha=2, b1=1))
    b = side("B", ship("b", 4, alpha=1, b1=2))
    result = hughes_exchange(a, b, rounds=3)
    assert result.rounds_fought == 1
    assert result.sides["A"].remaining == 0.0 and result.sides["B"].remaining == 0.0

    a = side("A", ship("a", 2, alpha=2, b1=1))
    b = side("B", ship("b", 6, alpha=1, b3=1, b1=1))
    result = hughes_exchange(a, b, rounds=4)
    assert result.rounds_fought == 1
    assert result.sides["B"].raw_loss == pytest.approx(-2.0)
    assert result.sides["A"].raw_loss == pytest.approx(6.0)


def test_multi_round_accumulates():
    """Three rounds, simultaneous, no defence. A: 2 × α 2 (b1 4); B: 4 × α 0.5 (b1 2).
    Round 1: ΔB = 2·2/2 = 2 (B 4 → 2); ΔA = 0.5·4/4 = 0.5 (A 2 → 1.5).
    Round 2: ΔB = 2·1.5/2 = 1.5 (B 2 → 0.5); ΔA = 0.5·2/4 = 0.25 (A 1.5 → 1.25).
    Round 3: ΔB = 2·1.25/2 = 1.25 → raw 1.25, clipped 0.5 (B gone); ΔA = 0.5·0.5/4 = 0.0625.
    """
    a = side("A", ship("a", 2, alpha=2, b1=4))
    b = side("B", ship("b", 4, alpha=0.5, b1=2))
    result = hughes_exchange(a, b, rounds=3)
    ra, rb = result.sides["A"], result.sides["B"]
    assert result.rounds_fought == 3
    assert rb.raw_loss == pytest.approx(2 + 1.5 + 1.25)
    assert rb.out_of_action == pytest.approx(4.0)
    assert rb.remaining == 0.0
    assert ra.out_of_action == pytest.approx(0.5 + 0.25 + 0.0625)
    assert ra.remaining == pytest.approx(2 - 0.8125)
    assert ra.missiles_launched == pytest.approx(2 * (2 + 1.5 + 1.25))
    assert rb.missiles_launched == pytest.approx(0.5 * (4 + 2 + 0.5))
    assert ra.hits_received == pytest.approx(0.5 * (4 + 2 + 0.5))


def test_empty_side_fights_no_round():
    a = side("A", ship("a", 2, alpha=2))
    b = side("B", ship("b", 0))
    result = hughes_exchange(a, b, rounds=3)
    assert result.rounds_fought == 0
    assert result.sides["A"].missiles_launched == 0.0
    assert hughes_salvo(a, b) == (0.0, 0.0, 0.0)


def test_spread_losses():
    assert spread_losses([2.0, 6.0], 2.0) == pytest.approx([0.5, 1.5])
    assert spread_losses([2.0, 6.0], 8.0) == [2.0, 6.0]
    assert spread_losses([2.0, 6.0], 0.0) == [0.0, 0.0]


def test_explicit_ship_counts():
    """Counts override ``count``: 1.5 ships × α 4 at 0.5 ships × b3 2 → 6 − 1 = 5."""
    a = side("A", ship("a", 3, alpha=4))
    b = side("B", ship("b", 3, b3=2))
    assert salvo_net_hits(a, b, [1.5], [0.5]) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="ship types"):
        salvo_net_hits(a, b, [1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0"):
        salvo_net_hits(a, b, [-1.0])


def test_record_is_json_ready():
    result = hughes_exchange(usn(), plan())
    assert isinstance(result, HughesResult)
    rec = result.record()
    assert list(rec) == ["order", "rounds_fought", "sides"]
    assert list(rec["sides"]) == ["USN", "PLAN"]
    assert set(rec["sides"]["USN"]) == {
        "ships",
        "out_of_action",
        "raw_loss",
        "hits_received",
        "missiles_launched",
        "remaining",
        "losses_by_type",
    }
    assert json.loads(json.dumps(rec)) == rec
    assert rec["sides"]["PLAN"]["losses_by_type"] == {"Type 022": pytest.approx(4.0)}


@pytest.mark.parametrize("order", ["first", "a", "", "SIMULTANEOUS"])
def test_bad_order_raises(order):
    a, b = _order_sides()
    with pytest.raises(ValueError, match="unknown firing order"):
        hughes_exchange(a, b, order=order)


@pytest.mark.parametrize("rounds", [0, -1, 1.5])
def test_bad_rounds_raises(rounds):
    a, b = _order_sides()
    with pytest.raises(ValueError, match="rounds"):
        hughes_exchange(a, b, rounds=rounds)


def test_same_names_raise():
    a, _ = _order_sides()
    with pytest.raises(ValueError, match="different names"):
        hughes_exchange(a, a)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

_type = st.builds(
    ShipType,
    name=st.sampled_from(["t1", "t2", "t3"]),
    count=st.integers(0, 20),
    missiles=st.floats(0, 16),
    interceptors=st.floats(0, 10),
    staying_power=st.floats(0.25, 6),
)
_factor = st.floats(0, 1)
_side = st.builds(
    Side,
    name=st.just("X"),
    ships=st.lists(_type, min_size=1, max_size=3).map(tuple),
    scouting=_factor,
    readiness=_factor,
    reliability=_factor,
    p_hit=_factor,
)


@settings(max_examples=200, deadline=None)
@given(_side, _side, st.sampled_from(["simultaneous", "A", "B"]), st.integers(1, 4))
def test_clipped_loss_within_ships(x, y, order, rounds):
    a, b = x.with_(name="A"), y.with_(name="B")
    raw, clipped, hits = hughes_salvo(a, b)
    assert 0.0 <= clipped <= b.ship_count + 1e-9
    assert hits >= 0.0
    result = hughes_exchange(a, b, order=order, rounds=rounds)
    for res in result.sides.values():
        assert 0.0 <= res.out_of_action <= res.ships + 1e-9
        assert res.remaining == pytest.approx(res.ships - res.out_of_action, abs=1e-9)
        assert math.fsum(res.losses_by_type.values()) == pytest.approx(res.out_of_action, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(_side, _side)
def test_raw_loss_linear_in_alpha(x, y):
    """With no defence (b3 = 0), doubling every α_i doubles the raw loss."""
    a = x.with_(name="A")
    b = y.with_(name="B", ships=tuple(replace(t, interceptors=0.0) for t in y.ships))
    doubled = a.with_(ships=tuple(replace(t, missiles=2 * t.missiles) for t in a.ships))
    raw, _, _ = hughes_salvo(a, b)
    raw2, _, _ = hughes_salvo(doubled, b)
    assert raw2 == pytest.approx(2 * raw, rel=1e-12, abs=1e-12)
