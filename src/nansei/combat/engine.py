"""The stochastic salvo engine: multi-round exchanges between two sides, compiled.

Each salvo is the compiled salvo model of :mod:`nansei.combat.kernels` (after M. J.
Armstrong, "A stochastic salvo model for naval surface combat", *Operations Research*
53(5) (2005) 830–841, with layered defences; docs/model.md, "Salvo exchanges"). An
exchange lets two sides fire at each other for up to ``rounds`` rounds —
simultaneously, or one side first each round — until a side is out of action, both
magazines are empty or the round limit is reached. In a round each live ship fires
its α missiles (⌊α⌋ or ⌈α⌉ at random with mean α), within its magazine.

Every count is kept per replication and counted straight into histograms by the
compiled chunk (:data:`CHUNK_REPS` replications per call), so 10^7 replications run in
bounded memory and a chunk returns no per-replication arrays. The readable
one-replication definition is :mod:`nansei.combat.reference`, the test oracle this
engine must match in distribution.

Random streams (:mod:`nansei.streams`, purpose ``exchange``) are named by replication,
side and round, so a seed fixes every number whatever the chunk size, and more
replications extend a run. Pure: no files, no printing.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nansei.combat.forces import ShipType, Side
from nansei.combat.kernels import (
    HITS,
    INVENTORY,
    MAGAZINE,
    SP_RANGED,
    STAYING,
    TALLY_COLUMNS,
    THRESHOLD,
    UNLIMITED,
    new_fleet_state,
    new_salvo_work,
    pack_attack,
    pack_fleet,
    round_random,
    salvo_into,
    ships_alive,
)
from nansei.jit import cached, hot, hot_inline
from nansei.stats import Histogram
from nansei.streams import purpose_key, seed_from, stream_prefix

__all__ = [
    "CHUNK_REPS",
    "SIDE_METRICS",
    "UNLIMITED",
    "ExchangeResult",
    "SideTable",
    "exchange_counts",
    "pack_side",
    "simulate_exchange",
]

#: Replications per chunk: the unit of work between histogram updates.
CHUNK_REPS = 65_536

#: Per-replication counts kept for each side, in the JSON order.
SIDE_METRICS = (
    "out_of_action",
    "hits_received",
    "missiles_launched",
    "missiles_flown",
    "missiles_aimed",
    "intercepted_area",
    "intercepted_point",
    "seduced",
    "leakers",
    "interceptors_used",
    "missiles_left",
    "interceptors_left",
)
(M_OUT, M_HITS, M_LAUNCHED, M_FLOWN, M_AIMED, M_AREA, M_POINT, M_SEDUCED, M_LEAKERS,
 M_USED, M_MISSILES_LEFT, M_INTERCEPTORS_LEFT) = range(len(SIDE_METRICS))  # fmt: skip

#: One side as arrays: its fleet (:func:`~nansei.combat.kernels.pack_fleet`), each ship's
#: α and which magazines and inventories are finite, and its attack factors.
SideTable = namedtuple("SideTable", "ship_f ship_i fleet alpha finite attack")

#: Both sides of an exchange, stacked along a first axis of 2 (ships padded), and per side
#: ``chance`` (2, 2): whether its staying power [k, 0] and its launches [k, 1] have a
#: random part (a range or a fractional value); without one, their streams are never
#: drawn from, so they are not seeded.
PairTable = namedtuple("PairTable", "ships ship_f ship_i fleet alpha finite attack chance")

#: Per-chunk working arrays, allocated once per chunk so a replication allocates nothing:
#: ship states (2, ships, 4), tallies received (2, 9), missiles fired (2,), the stream
#: being drawn from (re-seeded per use) and the salvo's
#: :class:`~nansei.combat.kernels.SalvoWork`.
Scratch = namedtuple("Scratch", "states tallies fired stream work")

#: The staying-power sub-stream (typed, so the kernel compiles one specialisation).
_FIRST = np.int64(0)

_T = {name: index for index, name in enumerate(TALLY_COLUMNS)}


def _each(ships: Sequence[ShipType]) -> list[ShipType]:
    return [ship for ship in ships for _ in range(ship.count)]


def pack_side(side: Side) -> SideTable:
    """A :class:`~nansei.combat.forces.Side` as the compiled engine's arrays."""
    ship_f, ship_i, fleet = pack_fleet(side.ships, side.readiness)
    each = _each(side.ships)
    alpha = np.array([ship.missiles for ship in each], dtype=np.float64)
    finite = np.array(
        [
            [
                ship.magazine is not None,
                ship.area is not None
                and ship.area.channels > 0
                and ship.area.inventory is not None,
            ]
            for ship in each
        ],
        dtype=np.bool_,
    ).reshape(len(each), 2)
    attack = pack_attack(side.reliability, side.scouting, side.p_hit, side.allocation)
    return SideTable(ship_f, ship_i, fleet, alpha, finite, attack)


def pack_pair(sides: tuple[Side, Side]) -> PairTable:
    """Both sides stacked into one table (ships padded to the larger side)."""
    tables = [pack_side(side) for side in sides]
    width = max(1, *(t.ship_f.shape[0] for t in tables))

    def stacked(name: str, dtype) -> np.ndarray:
        first = getattr(tables[0], name)
        out = np.zeros((2, width, *first.shape[1:]), dtype=dtype)
        for k, table in enumerate(tables):
            part = getattr(table, name)
            out[k, : part.shape[0]] = part
        return out

    def fractional(values: np.ndarray) -> bool:
        return bool((values != np.floor(values)).any())

    chance = np.array(
        [
            [
                bool(t.ship_i[:, SP_RANGED].any()) or fractional(t.ship_f[:, STAYING]),
                fractional(t.alpha),
            ]
            for t in tables
        ],
        dtype=np.bool_,
    )
    return PairTable(
        ships=np.array([t.ship_f.shape[0] for t in tables], dtype=np.int64),
        ship_f=stacked("ship_f", np.float64),
        ship_i=stacked("ship_i", np.int64),
        fleet=np.array([t.fleet for t in tables], dtype=np.float64),
        alpha=stacked("alpha", np.float64),
        finite=stacked("finite", np.bool_),
        attack=np.array([t.attack for t in tables], dtype=np.float64),
        chance=chance,
    )


@hot_inline
def _launch(stream, pair, k, state):
    """Missiles side ``k``'s live ships fire this round: α each (⌊α⌋ or ⌈α⌉, mean α),
    within their magazines, which are drawn down."""
    total = 0
    for s in range(pair.ships[k]):
        if state[s, HITS] >= state[s, THRESHOLD]:
            continue
        fire = min(round_random(stream, pair.alpha[k, s]), state[s, MAGAZINE])
        state[s, MAGAZINE] -= fire
        total += fire
    return total


@hot_inline
def _armed(pair, k, state):
    for s in range(pair.ships[k]):
        if state[s, HITS] < state[s, THRESHOLD] and state[s, MAGAZINE] > 0:
            if pair.alpha[k, s] > 0:
                return True
    return False


@hot_inline
def _fire(named, k, round_, launched, pair, scratch):
    """Side ``k`` fires ``launched`` missiles at the other side (``named``: the
    replication's :func:`~nansei.streams.stream_prefix`)."""
    if launched == 0:
        return
    other = 1 - k
    n = pair.ships[other]
    scratch.fired[k] += launched
    stream = scratch.stream
    seed_from(stream, named, 4 + k, round_)
    salvo_into(stream, launched, pair.attack[k], pair.ship_f[other, :n], pair.fleet[other],
               scratch.states[other, :n], scratch.tallies[other], scratch.work)  # fmt: skip


@hot_inline
def _record(pair, scratch, out):
    """Per side, the :data:`SIDE_METRICS` (−1 where a count does not apply) into ``out``."""
    for k in range(2):
        n = pair.ships[k]
        state, got, gave = scratch.states[k, :n], scratch.tallies[k], scratch.tallies[1 - k]
        out[k, M_OUT] = n - ships_alive(state)
        out[k, M_HITS] = got[7]
        out[k, M_LAUNCHED] = scratch.fired[k]
        out[k, M_FLOWN] = gave[1]
        out[k, M_AIMED] = gave[2]
        out[k, M_AREA] = got[3]
        out[k, M_POINT] = got[4]
        out[k, M_SEDUCED] = got[5]
        out[k, M_LEAKERS] = got[6]
        out[k, M_USED] = got[8]
        missiles_left, interceptors_left = 0, 0
        any_magazine, any_inventory = False, False
        for s in range(n):
            alive = state[s, HITS] < state[s, THRESHOLD]
            if pair.finite[k, s, 0]:
                any_magazine = True
                if alive:
                    missiles_left += state[s, MAGAZINE]
            if pair.finite[k, s, 1]:
                any_inventory = True
                if alive:
                    interceptors_left += state[s, INVENTORY]
        out[k, M_MISSILES_LEFT] = missiles_left if any_magazine else -1
        out[k, M_INTERCEPTORS_LEFT] = interceptors_left if any_inventory else -1


@cached
def _new_scratch(pair):
    """A chunk's working arrays; the salvo's sized for the most missiles a side can
    launch in one round (every live ship firing ⌈α⌉)."""
    most = 0
    for k in range(2):
        launched = 0
        for s in range(pair.ships[k]):
            launched += int(np.ceil(pair.alpha[k, s]))
        most = max(most, launched)
    width = pair.ship_f.shape[1]
    return Scratch(
        np.zeros((2, width, 4), dtype=np.int64),
        np.zeros((2, 9), dtype=np.int64),
        np.zeros(2, dtype=np.int64),
        np.zeros(2, dtype=np.uint64),
        new_salvo_work(most, width),
    )


@cached
def _exchange_chunk(key, first_rep, reps, pair, rounds, first):
    """Replications ``first_rep`` … ``first_rep + reps − 1``: each one's counts (reps, 2,
    metrics) and rounds fought (reps,)."""
    out = np.zeros((reps, 2, len(SIDE_METRICS)), dtype=np.int64)
    fought = np.zeros(reps, dtype=np.int64)
    row = np.zeros((2, len(SIDE_METRICS)), dtype=np.int64)
    unused = Counts(row, np.zeros((2, len(SIDE_METRICS), 1), np.int64), np.zeros(1, np.int64),
                    out, fought)  # fmt: skip
    _count(key, first_rep, reps, pair, _new_scratch(pair), rounds, first, unused)
    return out, fought


#: Where a chunk's replications go: one replication's counts ``row`` (2, metrics), the
#: histograms ``hist`` (2, metrics, values) and ``fought`` (rounds + 1) — or, when
#: ``rows`` has a row per replication, each one's counts ``rows[r]`` (2, metrics) and
#: rounds fought ``rows_fought[r]`` instead of the histograms.
Counts = namedtuple("Counts", "row hist fought rows rows_fought")


@hot_inline
def _counted(row, hist, fought, rounds_fought):
    """One replication's counts ``row`` and rounds fought into the histograms; False
    (nothing counted) when a value does not fit ``hist``."""
    biggest = 0
    for k in range(2):
        for m in range(row.shape[1]):
            biggest = max(biggest, row[k, m])
    if biggest >= hist.shape[2]:
        return False
    for k in range(2):
        for m in range(row.shape[1]):
            if row[k, m] >= 0:
                hist[k, m, row[k, m]] += 1
    fought[rounds_fought] += 1
    return True


@hot
def _count(key, first_rep, reps, pair, scratch, rounds, first, counts):
    """Replications ``first_rep`` … counted into ``counts``: ``hist[k, m, v]`` += 1 when
    side ``k``'s metric ``m`` is ``v`` (−1, a metric that does not apply, is not counted),
    ``fought[n]`` += 1 when ``n`` rounds were fought. Returns how many were counted: fewer
    than ``reps`` when a value does not fit ``hist``; that replication is left uncounted,
    its counts in ``counts.row``. With ``counts.rows`` (one per replication) each
    replication's counts are kept there instead.

    Each replication is one exchange (``first`` −1 for simultaneous fire, else the side
    firing first), written out in the loop: as a called kernel it took every array of
    the tables, about 140 arguments, per replication, and numba's inlining of it
    compiled it twice."""
    row, hist, fought = counts.row, counts.hist, counts.fought
    keep = counts.rows.shape[0] > 0
    stream, states = scratch.stream, scratch.states
    for r in range(reps):
        out = counts.rows[r] if keep else row
        scratch.tallies[:] = 0
        scratch.fired[:] = 0
        named = stream_prefix(key, first_rep + r)  # every stream of it starts here
        for k in range(2):
            n = pair.ships[k]
            if pair.chance[k, 0]:
                seed_from(stream, named, k, _FIRST)
            new_fleet_state(stream, pair.ship_f[k, :n], pair.ship_i[k, :n], states[k, :n])
        rounds_fought = 0
        for round_ in range(rounds):
            alive0 = ships_alive(states[0, : pair.ships[0]]) > 0
            alive1 = ships_alive(states[1, : pair.ships[1]]) > 0
            armed = _armed(pair, 0, states[0]) or _armed(pair, 1, states[1])
            if not (alive0 and alive1 and armed):
                break
            rounds_fought += 1
            if first < 0:
                if pair.chance[0, 1]:
                    seed_from(stream, named, 2, round_)
                launch0 = _launch(stream, pair, 0, states[0])
                if pair.chance[1, 1]:
                    seed_from(stream, named, 3, round_)
                launch1 = _launch(stream, pair, 1, states[1])
                _fire(named, 0, round_, launch0, pair, scratch)
                _fire(named, 1, round_, launch1, pair, scratch)
            else:
                for k in (first, 1 - first):
                    if ships_alive(states[k, : pair.ships[k]]) > 0:
                        if pair.chance[k, 1]:
                            seed_from(stream, named, 2 + k, round_)
                        launch = _launch(stream, pair, k, states[k])
                        _fire(named, k, round_, launch, pair, scratch)
        _record(pair, scratch, out)
        if keep:
            counts.rows_fought[r] = rounds_fought
        elif not _counted(row, hist, fought, rounds_fought):
            return r
    return reps


@cached
def _exchange_histograms(key, first_rep, reps, pair, rounds, first, hist, fought):
    """Replications ``first_rep`` … ``first_rep + reps − 1`` counted straight into the
    histograms ``hist`` and ``fought`` (:class:`Counts`), with no per-replication output.
    Returns ``hist``, widened when a value did not fit (the replication is run again:
    its streams fix its counts)."""
    scratch = _new_scratch(pair)
    row = np.zeros((2, len(SIDE_METRICS)), dtype=np.int64)
    rows, rows_fought = np.zeros((0, 2, len(SIDE_METRICS)), np.int64), np.zeros(0, np.int64)
    counts = Counts(row, hist, fought, rows, rows_fought)
    done = _count(key, first_rep, reps, pair, scratch, rounds, first, counts)
    while done < reps:
        grown = np.zeros((2, hist.shape[1], max(row.max() + 1, 2 * hist.shape[2])), np.int64)
        # Element by element: a slice assignment compiles numba's shape-error message
        # formatting, seconds of cold start.
        for k in range(2):
            for m in range(hist.shape[1]):
                for v in range(hist.shape[2]):
                    grown[k, m, v] = hist[k, m, v]
        hist = grown
        counts = Counts(row, hist, fought, rows, rows_fought)
        done += _count(key, first_rep + done, reps - done, pair, scratch, rounds, first, counts)
    return hist


def _first(order: str, sides: tuple[Side, Side]) -> int:
    names = [side.name for side in sides]
    if order == "simultaneous":
        return -1
    if order in names:
        return names.index(order)
    raise ValueError(f"order must be 'simultaneous' or a side name ({', '.join(names)})")


def exchange_counts(
    sides: tuple[Side, Side],
    replications: int,
    seed: int,
    rounds: int = 1,
    order: str = "simultaneous",
    first_rep: int = 0,
) -> tuple[dict[str, dict[str, np.ndarray | None]], np.ndarray]:
    """Replications ``first_rep`` … of a ``rounds``-round exchange, as per-replication
    counts: per side name, :data:`SIDE_METRICS` (``None`` for ``missiles_left`` /
    ``interceptors_left`` when the side has no finite magazine / inventory), and the
    rounds fought. A side's counts are what it received (hits, interceptions), except
    ``missiles_launched`` / ``_flown`` / ``_aimed``, which it fired."""
    key = purpose_key(seed, "exchange")
    out, fought = _exchange_chunk(
        key, first_rep, replications, pack_pair(sides), rounds, _first(order, sides)
    )
    counts = {}
    for k, side in enumerate(sides):
        counts[side.name] = {
            metric: (None if (out[:, k, m] < 0).any() else out[:, k, m].copy())
            for m, metric in enumerate(SIDE_METRICS)
        }
    return counts, fought


@dataclass
class ExchangeResult:
    """Histograms of every per-replication count, per side, plus rounds fought."""

    sides: tuple[Side, Side]
    replications: int
    seed: int
    rounds: int
    order: str
    histograms: dict[str, dict[str, Histogram]] = field(default_factory=dict)
    rounds_fought: Histogram = field(default_factory=Histogram)

    def record(self) -> dict[str, Any]:
        """``{"rounds", "order", "rounds_fought", "sides": {NAME: {"ships", METRIC: stats}}}``;
        stats are :meth:`Histogram.summary` (mean, ci95, p10/p50/p90, distribution)."""
        sides = {}
        for side in self.sides:
            entry: dict[str, Any] = {"ships": side.ship_count}
            for metric in SIDE_METRICS:
                hist = self.histograms[side.name].get(metric)
                if hist is not None:
                    entry[metric] = hist.summary()
            sides[side.name] = entry
        return {
            "rounds": self.rounds,
            "order": self.order,
            "rounds_fought": self.rounds_fought.summary(),
            "sides": sides,
        }


def simulate_exchange(
    sides: tuple[Side, Side],
    *,
    replications: int,
    seed: int,
    rounds: int = 1,
    order: str = "simultaneous",
    progress: Callable[[int], None] | None = None,
    chunk_reps: int = CHUNK_REPS,
) -> ExchangeResult:
    """Run ``replications`` exchanges between two sides, chunk by chunk.

    Memory is bounded by the counts' range: the compiled chunk adds each replication's
    integer counts to histograms and keeps nothing per replication. ``progress(n)`` is
    called after each chunk of ``n`` replications.
    """
    if len(sides) != 2:
        raise ValueError("an exchange has exactly two sides")
    if sides[0].name == sides[1].name:
        raise ValueError("the two sides need different names")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    first = _first(order, sides)
    key, pair = purpose_key(seed, "exchange"), pack_pair(sides)
    hist = np.zeros((2, len(SIDE_METRICS), 1), dtype=np.int64)
    fought = np.zeros(rounds + 1, dtype=np.int64)
    for start in range(0, replications, chunk_reps):
        reps = min(chunk_reps, replications - start)
        hist = _exchange_histograms(key, start, reps, pair, rounds, first, hist, fought)
        if progress:
            progress(reps)
    result = ExchangeResult(sides, replications, seed, rounds, order)
    # A metric that does not apply to a side (no finite magazine, say) was never counted.
    for k, side in enumerate(sides):
        result.histograms[side.name] = {}
        for m, metric in enumerate(SIDE_METRICS):
            if hist[k, m].any():
                result.histograms[side.name][metric] = Histogram()
                result.histograms[side.name][metric].add_counts(hist[k, m])
    result.rounds_fought.add_counts(fought)
    return result
