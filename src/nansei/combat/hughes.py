"""Hughes' deterministic salvo equations for heterogeneous forces (docs/model.md §3).

Sources: W. P. Hughes Jr., "A Salvo Model of Warships in Missile Combat Used to
Evaluate Their Staying Power", *Naval Research Logistics* 42 (1995) 267–289; and
W. P. Hughes Jr., *Fleet Tactics and Coastal Combat*, 2nd ed., Naval Institute Press,
2000 (the salvo equations with scouting σ and readiness τ). Reliability and p_hit are
the launch and hit factors of M. J. Armstrong, "A Stochastic Salvo Model for Naval
Surface Combat", *Operations Research* 53(5) (2005) 830–841, taken at their means.

Notation (side A fires at side B; ship types i of A, j of B; read from
:class:`nansei.combat.forces.Side` / :class:`~nansei.combat.forces.ShipType`):

* ``A_i``, ``B_j`` — ships of each type (``count``; fractional between rounds) [ships]
* ``α_i`` — offensive missiles one ship fires per salvo (``missiles``) [missiles/ship]
* ``b3_j`` — enemy missiles one ship defeats per salvo (``ShipType.b3``: derived from
  the ship's defence layers, :func:`nansei.combat.forces.layered_b3`, or the
  ``interceptors`` of a ship given without layers) [missiles/ship]
* ``s_j`` — soft-kill seduction probability of a missile reaching the ship
  (``softkill_p``; 0 for a ship without layers) [dimensionless]
* ``b1_j`` — hits that put one ship out of action (``mean_staying_power``; may be
  fractional) [hits/ship]
* ``σ_A`` scouting, ``r_A`` reliability, ``p_A`` p_hit of the attacker; ``τ_B``
  readiness of the defender [dimensionless, in 0…1]

Equations, one salvo of A at B:

* missiles launched: ``L_A = Σ_i α_i A_i`` [missiles] (before reliability and scouting)
* offensive missiles arriving at real targets: ``σ_A · r_A · L_A`` [missiles]
* defensive power of B: ``τ_B · Σ_j b3_j B_j`` [missiles] — Hughes' capacity, every
  channel busy (``defensive_power``)
* B's mean seduction: ``s_B = Σ_j s_j B_j / Σ_j B_j`` (uniform aim spreads the
  missiles that get through over B's ships in proportion to their numbers)
* net hits on B: ``H = p_A (1 − s_B) (σ_A r_A Σ_i α_i A_i − τ_B Σ_j b3_j B_j)`` [hits]
  (``salvo_net_hits``; negative when the defence out-matches the salvo). ``p_A`` is
  the hit probability of a missile that reached its ship unengaged: applied once.
* **layered defenders** (every ship of B described by defence layers — catalog classes
  or ``layers`` — rather than Hughes' bare ``interceptors``): the defence term is what
  the layers destroy from *this* salvo, in expectation (``engaged_defence``; the closed
  form of :mod:`nansei.combat.defence`), and the seduction is per ship type:
  ``H = p_A Σ_j B_j (1 − s_j) (missiles reaching one ship of type j − its expected
  kills)``. A channel cannot kill a missile that was not aimed at its ship, so against
  a small salvo spread over several ships this is less than ``τ Σ b3 B``; with every
  channel busy it is ``τ Σ b3 B`` exactly. H is then never negative; ``raw_loss``
  stays the unclipped ``H / b1``.
* B's mean staying power: ``b1_B = Σ_j b1_j B_j / Σ_j B_j`` [hits/ship]
* raw loss ``ΔB_raw = H / b1_B`` [ships], reported unclipped (negative when the
  defence has capacity to spare); clipped loss ``ΔB = min(ΣB, max(0, ΔB_raw))``
  [ships]; hits received ``max(0, H)`` [hits] (not capped at what would sink B).
* the hits spread over B's ships in proportion to their staying power, so every type
  loses the same fraction ``ΔB / ΣB`` of its ships: ``ΔB_j = ΔB · B_j / ΣB``.

This is Hughes' ``ΔB = (σ_A α A − τ_B b3 B) / b1`` with the sums over ship types taking
the place of the homogeneous products, and Armstrong's launch, hit and seduction
factors at their means. Against a layered defender the net hits of one salvo are the
stochastic engine's mean hits exactly; the two models then differ only where Hughes
clips (losses at the group's size, no overkill) and in later rounds, where Hughes
carries fractional ships.

Firing order (:func:`hughes_exchange`): ``"simultaneous"`` — both sides fire with, and
defend with, their strength at the start of the round; or the name of the side that
fires first — its salvo lands first, then the other side fires back with its
survivors, and the first side defends with its full strength (it has not yet been hit
that round). With ``rounds`` > 1 the round repeats on the surviving (fractional)
counts, in the same order each round; a side with no ships left fires nothing, and the
exchange stops early once either side is wiped out. (``"simultaneous"`` always means
the simultaneous order, even if a side bears that name.)

Magazines are ignored, as in Hughes: every surviving ship fires ``α`` missiles every
round (``ShipType.magazine`` is not read), and interceptors never run out.

Pure functions: no I/O, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from nansei.combat.defence import expected_salvo
from nansei.combat.forces import Side

__all__ = [
    "SIMULTANEOUS",
    "HughesResult",
    "HughesSideResult",
    "SalvoOutcome",
    "defensive_power",
    "engaged_defence",
    "layered",
    "hughes_exchange",
    "hughes_salvo",
    "mean_seduction",
    "mean_staying_power",
    "missiles_launched",
    "salvo_net_hits",
    "spread_losses",
]

#: The firing order in which both sides fire at once.
SIMULTANEOUS = "simultaneous"


def _counts(side: Side, ships: Sequence[float] | None) -> list[float]:
    """Ships per type of ``side`` (its ``count`` values when ``ships`` is None)."""
    if ships is None:
        return [float(ship.count) for ship in side.ships]
    counts = [float(n) for n in ships]
    if len(counts) != len(side.ships):
        raise ValueError(
            f"side {side.name!r} has {len(side.ships)} ship types, got {len(counts)} counts"
        )
    for n in counts:
        if not (n >= 0 and math.isfinite(n)):
            raise ValueError(f"ship counts must be finite numbers >= 0, got {n}")
    return counts


def missiles_launched(side: Side, ships: Sequence[float] | None = None) -> float:
    """``Σ_i α_i A_i`` [missiles]: what ``side`` launches in one salvo, before
    reliability and scouting."""
    counts = _counts(side, ships)
    return math.fsum(ship.missiles * n for ship, n in zip(side.ships, counts, strict=True))


def defensive_power(side: Side, ships: Sequence[float] | None = None) -> float:
    """``τ · Σ_j b3_j B_j`` [missiles]: enemy missiles ``side`` defeats per salvo."""
    counts = _counts(side, ships)
    return side.readiness * math.fsum(
        ship.b3 * n for ship, n in zip(side.ships, counts, strict=True)
    )


def mean_seduction(side: Side, ships: Sequence[float] | None = None) -> float:
    """``s = Σ_j s_j B_j / Σ_j B_j`` [probability]: the chance a missile that got through
    is seduced, averaged over ``side``'s ships; 0 when it has none."""
    counts = _counts(side, ships)
    total = math.fsum(counts)
    if total <= 0:
        return 0.0
    return math.fsum(s.softkill_p * n for s, n in zip(side.ships, counts, strict=True)) / total


def mean_staying_power(side: Side, ships: Sequence[float] | None = None) -> float:
    """``b1 = Σ_j b1_j B_j / Σ_j B_j`` [hits/ship]; ``nan`` when the side has no ships."""
    counts = _counts(side, ships)
    total = math.fsum(counts)
    if total <= 0:
        return math.nan
    weighted = math.fsum(
        ship.mean_staying_power * n for ship, n in zip(side.ships, counts, strict=True)
    )
    return weighted / total


def layered(side: Side) -> bool:
    """Whether ``side`` defends with layers only: some ship has a defence layer and no
    ship type carries Hughes' bare b3 (``interceptors`` without layers). Such a side's
    defence term is :func:`engaged_defence`; a side with a bare b3, or with no defence
    at all, keeps Hughes' linear term."""
    bare = any(not ship.layers_given and ship.interceptors > 0 for ship in side.ships)
    defended = any(
        ship.layers_given
        and any(layer is not None and layer.channels > 0 for layer in (ship.area, ship.point))
        for ship in side.ships
    )
    return defended and not bare


def _expected(attacker, defender, attacker_ships, defender_ships):
    return expected_salvo(
        launched=missiles_launched(attacker, attacker_ships),
        aim_probability=attacker.reliability * attacker.scouting,
        p_hit=attacker.p_hit,
        ships=defender.ships,
        counts=_counts(defender, defender_ships),
        readiness=defender.readiness,
        allocation=attacker.allocation,
    )


def engaged_defence(
    attacker: Side,
    defender: Side,
    attacker_ships: Sequence[float] | None = None,
    defender_ships: Sequence[float] | None = None,
) -> float:
    """Missiles [missiles] ``defender``'s layers destroy, in expectation, from one salvo
    of ``attacker`` (area and point kills; :func:`nansei.combat.defence.expected_salvo`).
    At most :func:`defensive_power`; equal to it when the salvo keeps every channel
    busy."""
    expected = _expected(attacker, defender, attacker_ships, defender_ships)
    return expected.intercepted_area + expected.intercepted_point


def salvo_net_hits(
    attacker: Side,
    defender: Side,
    attacker_ships: Sequence[float] | None = None,
    defender_ships: Sequence[float] | None = None,
) -> float:
    """Net hits [hits] of one salvo of ``attacker`` on ``defender``, unclipped:
    ``p_A (1 − s_B) (σ_A r_A Σ α_i A_i − τ_B Σ b3_j B_j)``; against a :func:`layered`
    defender, the defence the salvo meets instead (module docstring), which is the
    stochastic engine's mean hits.

    ``attacker_ships`` / ``defender_ships``: ships per type (same order as
    ``Side.ships``; default: each type's ``count``). Negative when a bare-b3 defence
    could defeat more missiles than arrive.
    """
    if layered(defender):
        return _expected(attacker, defender, attacker_ships, defender_ships).hits
    offence = attacker.scouting * attacker.reliability * missiles_launched(attacker, attacker_ships)
    through = 1.0 - mean_seduction(defender, defender_ships)
    return attacker.p_hit * through * (offence - defensive_power(defender, defender_ships))


class SalvoOutcome(NamedTuple):
    """One salvo's effect on the defender."""

    raw_loss: float  #: ΔB_raw = net hits / b1_B [ships], unclipped (may be negative)
    out_of_action: float  #: ΔB = min(ΣB, max(0, ΔB_raw)) [ships]
    hits: float  #: max(0, net hits) [hits]


def hughes_salvo(
    attacker: Side,
    defender: Side,
    attacker_ships: Sequence[float] | None = None,
    defender_ships: Sequence[float] | None = None,
) -> SalvoOutcome:
    """One salvo of ``attacker`` at ``defender``: ``(raw_loss, out_of_action, hits)``.

    See the module docstring for the equations. A defender with no ships takes no
    loss (all three values 0: there is nothing to hit).
    """
    b_counts = _counts(defender, defender_ships)
    if math.fsum(b_counts) <= 0:
        return SalvoOutcome(0.0, 0.0, 0.0)
    net = salvo_net_hits(attacker, defender, attacker_ships, b_counts)
    total = math.fsum(b_counts)
    raw = net / mean_staying_power(defender, b_counts)
    return SalvoOutcome(raw, min(total, max(0.0, raw)), max(0.0, net))


def spread_losses(ships: Sequence[float], out_of_action: float) -> list[float]:
    """Per-type losses [ships]: each type loses the same fraction ``ΔB / ΣB`` of its
    ships (Hughes' hits spread in proportion to staying power)."""
    total = math.fsum(ships)
    if total <= 0 or out_of_action <= 0:
        return [0.0 for _ in ships]
    if out_of_action >= total:
        return [float(n) for n in ships]
    fraction = out_of_action / total
    return [n * fraction for n in ships]


@dataclass(frozen=True)
class HughesSideResult:
    """What one side suffered and did over an exchange.

    ``ships``: ships at the start; ``raw_loss``: sum over rounds of the unclipped
    losses [ships]; ``out_of_action``: clipped losses summed over rounds (≤ ``ships``);
    ``hits_received``: sum of ``max(0, net hits)`` [hits]; ``missiles_launched``:
    ``Σ α_i × surviving A_i`` at each firing, summed over rounds (before reliability
    and scouting) [missiles]; ``remaining``: ships left [ships]; ``losses_by_type``:
    ``ShipType.name`` → ships out of action.
    """

    name: str
    ships: float
    raw_loss: float
    out_of_action: float
    hits_received: float
    missiles_launched: float
    remaining: float
    losses_by_type: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict:
        """JSON-ready summary."""
        return {
            "ships": float(self.ships),
            "out_of_action": float(self.out_of_action),
            "raw_loss": float(self.raw_loss),
            "hits_received": float(self.hits_received),
            "missiles_launched": float(self.missiles_launched),
            "remaining": float(self.remaining),
            "losses_by_type": {name: float(v) for name, v in self.losses_by_type.items()},
        }


@dataclass(frozen=True)
class HughesResult:
    """An exchange: per side (in the order given), rounds fought and firing order."""

    sides: dict[str, HughesSideResult]
    rounds_fought: int
    order: str

    def record(self) -> dict:
        """JSON-ready summary."""
        return {
            "order": self.order,
            "rounds_fought": int(self.rounds_fought),
            "sides": {name: side.record() for name, side in self.sides.items()},
        }


class _Tally:
    """Running state of one side during an exchange."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.counts = [float(ship.count) for ship in side.ships]
        self.start = math.fsum(self.counts)
        self.raw = 0.0
        self.out = 0.0
        self.hits = 0.0
        self.launched = 0.0
        self.lost = [0.0 for _ in side.ships]

    @property
    def total(self) -> float:
        return math.fsum(self.counts)

    def fire(self) -> None:
        self.launched += missiles_launched(self.side, self.counts)

    def take(self, outcome: SalvoOutcome) -> None:
        self.raw += outcome.raw_loss
        self.hits += outcome.hits
        losses = spread_losses(self.counts, outcome.out_of_action)
        self.out += math.fsum(losses)
        for k, loss in enumerate(losses):
            self.lost[k] += loss
            self.counts[k] = 0.0 if loss >= self.counts[k] else self.counts[k] - loss

    def result(self) -> HughesSideResult:
        by_type: dict[str, float] = {}
        for ship, loss in zip(self.side.ships, self.lost, strict=True):
            by_type[ship.name] = by_type.get(ship.name, 0.0) + loss
        return HughesSideResult(
            name=self.side.name,
            ships=self.start,
            raw_loss=self.raw,
            out_of_action=min(self.out, self.start),
            hits_received=self.hits,
            missiles_launched=self.launched,
            remaining=self.total,
            losses_by_type=by_type,
        )


def _volley(shooter: _Tally, target: _Tally) -> SalvoOutcome:
    """``shooter`` fires at ``target`` with their current counts (nothing applied)."""
    shooter.fire()
    return hughes_salvo(shooter.side, target.side, shooter.counts, target.counts)


def hughes_exchange(a: Side, b: Side, order: str = SIMULTANEOUS, rounds: int = 1) -> HughesResult:
    """Salvo exchange between ``a`` and ``b`` under Hughes' equations.

    ``order``: ``"simultaneous"`` or the name of the side that fires first each round
    (see the module docstring). ``rounds`` ≥ 1: salvos per side at most; the exchange
    stops early when either side has no ships left (a side that starts with none means
    no round is fought). Raises ``ValueError`` for an unknown order, ``rounds`` < 1 or
    two sides with the same name.
    """
    if a.name == b.name:
        raise ValueError(f"the two sides must have different names, both are {a.name!r}")
    if order not in (SIMULTANEOUS, a.name, b.name):
        raise ValueError(
            f"unknown firing order {order!r}: use {SIMULTANEOUS!r}, {a.name!r} or {b.name!r}"
        )
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be an integer >= 1, got {rounds!r}")

    ta, tb = _Tally(a), _Tally(b)
    fought = 0
    for _ in range(rounds):
        if ta.total <= 0 or tb.total <= 0:
            break
        fought += 1
        if order == SIMULTANEOUS:
            on_b = _volley(ta, tb)
            on_a = _volley(tb, ta)
            tb.take(on_b)
            ta.take(on_a)
        else:
            first, second = (ta, tb) if order == a.name else (tb, ta)
            second.take(_volley(first, second))
            if second.total > 0:
                first.take(_volley(second, first))
    return HughesResult(
        sides={a.name: ta.result(), b.name: tb.result()},
        rounds_fought=fought,
        order=order,
    )
