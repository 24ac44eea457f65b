"""The stochastic salvo engine, vectorised over replications (MODEL.md §3).

After M. J. Armstrong, "A stochastic salvo model for naval surface combat",
*Operations Research* 53(5) (2005) 830–841, which replaces each term of Hughes'
equations by a random count, extended with the layered defences of the catalog. One
salvo against one side, per replication:

1. **Launch.** ``n`` missiles launched; each flies with probability ``reliability``
   (binomial).
2. **Targeting.** Each flying missile is aimed at a real target with probability
   σ (``scouting``); the rest are wasted on decoys or empty sea.
3. **Allocation** of aimed missiles over the ships still in action:
   ``uniform`` — each picks a live ship independently and uniformly (a multinomial);
   ``value`` — the same with probabilities proportional to the ships' ``value``;
   ``concentrated`` — ships are filled in their listed order up to the hits each still
   needs to be put out of action, and any surplus is dealt round-robin over the live
   ships (perfect fire distribution of the kind Hughes assumes).
4. **Area layer** (group-wide): the live ships' area channels are pooled; each channel
   is manned with probability τ (``readiness``; Hughes scales b3 by τ). It engages
   ``min(incoming, manned, interceptors affordable)`` missiles chosen at random. With
   ``salvo`` doctrine each engaged missile draws ``shots`` interceptors at once and is
   killed with ``1 − (1 − p_kill)^shots``; with ``shoot-look-shoot`` every engaged
   missile gets one shot and the misses are shot at again, in turns, while shots and
   interceptors last. Interceptors come from the live area ships' inventories in ship
   order. Which missiles are killed is a uniformly random subset, so the kills per
   target ship are multivariate hypergeometric.
5. **Point layer** (per ship): of the missiles still aimed at a ship, its manned
   point channels (each manned with probability τ) engage up to their number, each
   killed with ``1 − (1 − p_kill)^shots`` (no inventory limit: guns and short-range
   launchers reloaded between salvos).
6. **Soft kill**: each remaining missile is seduced with the ship's ``softkill_p``.
7. **Hits**: each leaker hits with ``p_hit``; a ship is out of action once its hits
   reach its staying power (a fractional staying power s is ⌊s⌋ or ⌈s⌉ hits at random
   with mean s; a range draws a whole number uniformly).

Multi-round exchanges (:func:`simulate_exchange`) let two sides fire at each other,
simultaneously or one first, until a side is out of action, both magazines are empty
or the round limit is reached. Every quantity is a count per replication; the
readable one-replication definition is :mod:`nansei.combat.reference`, the test
oracle this engine must match in distribution.

Random streams: chunk ``c`` of a run draws from
``SeedSequence(seed, spawn_key=(c,))``, chunks are :data:`CHUNK_REPS` replications,
and only histograms are kept between chunks, so 10^7 replications run in bounded
memory, and a seed fixes every number (more replications extend a run: its first
chunks are those of the shorter run). Pure: no files, no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from nansei.combat.forces import ShipType, Side
from nansei.combat.stats import Histogram

__all__ = [
    "CHUNK_REPS",
    "SIDE_METRICS",
    "Attack",
    "ExchangeResult",
    "Fleet",
    "FleetState",
    "SalvoTally",
    "chunk_rng",
    "exchange_chunk",
    "fire_salvo",
    "simulate_exchange",
]

#: Replications per chunk: large enough to amortise numpy's per-call overhead, small
#: enough that a chunk's arrays stay in the tens of megabytes.
CHUNK_REPS = 16_384

#: Stands for "never runs out" in integer inventories (far above any real count, far
#: below int64 overflow when summed over ships).
UNLIMITED = 2**40

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


@dataclass(frozen=True)
class Attack:
    """The firing side's factors on one salvo (see :class:`nansei.combat.forces.Side`)."""

    reliability: float = 1.0
    scouting: float = 1.0
    p_hit: float = 1.0
    allocation: str = "uniform"

    @classmethod
    def of(cls, side: Side) -> Attack:
        return cls(side.reliability, side.scouting, side.p_hit, side.allocation)


def _expand(ships: Sequence[ShipType]) -> list[ShipType]:
    return [ship for ship in ships for _ in range(ship.count)]


class Fleet:
    """The static arrays of one side's ships, one entry per ship (types in order)."""

    def __init__(self, ships: Sequence[ShipType], readiness: float = 1.0):
        each = _expand(ships)
        self.size = len(each)
        self.readiness = float(readiness)
        self.type_names = [ship.name for ship in ships]
        self.type_of = np.array(
            [t for t, ship in enumerate(ships) for _ in range(ship.count)], dtype=np.int64
        )
        self.value = np.array([ship.value for ship in each], dtype=float)
        self.missiles = np.array([ship.missiles for ship in each], dtype=float)
        self.magazine = np.array(
            [UNLIMITED if ship.magazine is None else ship.magazine for ship in each],
            dtype=np.int64,
        )
        self.magazine_limited = np.array([ship.magazine is not None for ship in each], dtype=bool)
        self.limited_magazine = bool(self.magazine_limited.any())
        sp = np.array([ship.staying_power for ship in each], dtype=float)
        ranges = [ship.staying_power_range for ship in each]
        self.sp_fixed = sp
        self.sp_low = np.array([r[0] if r else 0 for r in ranges], dtype=np.int64)
        self.sp_high = np.array([r[1] if r else 0 for r in ranges], dtype=np.int64)
        self.sp_ranged = np.array([r is not None for r in ranges], dtype=bool)

        areas = [ship.area for ship in each]
        self.has_area = any(layer is not None and layer.channels > 0 for layer in areas)
        self.area_channels = np.array([a.channels if a else 0.0 for a in areas], dtype=float)
        self.area_inventory = np.array(
            [(UNLIMITED if a.inventory is None else a.inventory) if a else 0 for a in areas],
            dtype=np.int64,
        )
        self.area_limited = np.array(
            [a is not None and a.channels > 0 and a.inventory is not None for a in areas],
            dtype=bool,
        )
        self.limited_area = bool(self.area_limited.any())
        weights = self.area_channels
        if self.has_area:
            # Channels of different ships pool into one layer: its kill probability per
            # shot is the channel-weighted mean (exact when the ships' layers agree).
            first = next(a for a in areas if a is not None and a.channels > 0)
            pk = np.array([a.p_kill if a else 0.0 for a in areas], dtype=float)
            self.area_p_kill = float((pk * weights).sum() / weights.sum())
            self.area_shots = first.shots
            self.area_sls = first.doctrine == "shoot-look-shoot"
        else:
            self.area_p_kill, self.area_shots, self.area_sls = 0.0, 1, False

        points = [ship.point_layer for ship in each]
        self.point_channels = np.array([p.channels if p else 0.0 for p in points], dtype=float)
        self.point_p_engaged = np.array(
            [p.p_kill_engaged if p else 0.0 for p in points], dtype=float
        )
        self.has_point = bool((self.point_channels > 0).any())
        self.softkill = np.array([ship.softkill_p for ship in each], dtype=float)
        self.has_softkill = bool((self.softkill > 0).any())

    def new_state(self, rng: np.random.Generator, rows: int) -> FleetState:
        """``rows`` fresh replications of this fleet: no hits, full magazines, and each
        ship's staying power drawn (fractional → ⌊s⌋ or ⌈s⌉; range → uniform integer)."""
        shape = (rows, self.size)
        threshold = _round_random(rng, np.broadcast_to(self.sp_fixed, shape))
        if self.sp_ranged.any():
            drawn = rng.integers(self.sp_low, self.sp_high + 1, size=shape)
            threshold = np.where(self.sp_ranged, drawn, threshold)
        return FleetState(
            hits=np.zeros(shape, dtype=np.int64),
            threshold=np.maximum(threshold, 1).astype(np.int64),
            inventory=np.broadcast_to(self.area_inventory, shape).copy(),
            magazine=np.broadcast_to(self.magazine, shape).copy(),
        )


@dataclass
class FleetState:
    """Per replication and ship: hits taken, hits it takes to be out of action, area
    interceptors and offensive missiles left."""

    hits: np.ndarray
    threshold: np.ndarray
    inventory: np.ndarray
    magazine: np.ndarray

    def alive(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.hits[rows] < self.threshold[rows]

    def alive_count(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.alive(rows).sum(axis=1)


@dataclass
class SalvoTally:
    """Counts of one salvo per replication (all arrays of the fired rows)."""

    launched: np.ndarray
    flown: np.ndarray
    aimed: np.ndarray
    intercepted_area: np.ndarray
    intercepted_point: np.ndarray
    seduced: np.ndarray
    leakers: np.ndarray
    hits: np.ndarray
    interceptors_used: np.ndarray


def _binomial(rng: np.random.Generator, n: np.ndarray, p) -> np.ndarray:
    """Binomial draws, skipping the generator where the answer is certain."""
    if np.isscalar(p):
        if p >= 1.0:
            return np.array(n, dtype=np.int64, copy=True)
        if p <= 0.0:
            return np.zeros_like(n, dtype=np.int64)
    return rng.binomial(n, p)


def _round_random(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Whole numbers with mean ``values``: ⌊v⌋, plus one with probability v − ⌊v⌋."""
    values = np.asarray(values, dtype=float)
    floor = np.floor(values)
    frac = values - floor
    whole = floor.astype(np.int64)
    if not frac.any():
        return whole
    return whole + (rng.random(values.shape) < frac)


def _multinomial_rows(rng: np.random.Generator, n: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise multinomial(n_r, weights_r / Σ weights_r) by successive conditional
    binomials; rows with no weight place nothing."""
    rows, ships = weights.shape
    out = np.zeros((rows, ships), dtype=np.int64)
    # Suffix sums added from the right, so a suffix of zero weights is exactly zero and
    # the last weighted ship gets probability exactly 1.
    suffix = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]
    left = np.where(suffix[:, 0] > 0, n, 0)
    for k in range(ships):
        if not left.any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(suffix[:, k] > 0, weights[:, k] / suffix[:, k], 0.0)
        x = rng.binomial(left, np.clip(p, 0.0, 1.0))
        out[:, k] = x
        left = left - x
    return out


def _hypergeometric_split(
    rng: np.random.Generator, counts: np.ndarray, take: np.ndarray
) -> np.ndarray:
    """Row-wise multivariate hypergeometric: ``take_r`` items drawn without replacement
    from ``counts[r]`` items of each kind (successive conditional hypergeometrics)."""
    out = np.zeros_like(counts)
    left_total = counts.sum(axis=1)
    left_take = np.array(take, dtype=np.int64, copy=True)
    ships = counts.shape[1]
    for k in range(ships - 1):
        if not left_take.any():
            return out
        good = counts[:, k]
        x = rng.hypergeometric(good, left_total - good, left_take)
        out[:, k] = x
        left_take -= x
        left_total -= good
    out[:, ships - 1] = left_take
    return out


def _allocate(rng, fleet: Fleet, aimed, alive, need, allocation: str) -> np.ndarray:
    """Aimed missiles per target ship (rows × ships)."""
    if allocation == "concentrated":
        need = np.where(alive, need, 0)
        before = np.cumsum(need, axis=1) - need
        alloc = np.clip(aimed[:, None] - before, 0, need)
        surplus = aimed - alloc.sum(axis=1)
        live = alive.sum(axis=1)
        each = np.where(live > 0, surplus // np.maximum(live, 1), 0)
        extra = np.where(live > 0, surplus - each * live, 0)
        rank = np.cumsum(alive, axis=1) - 1
        return alloc + alive * (each[:, None] + (rank < extra[:, None]))
    weights = alive * fleet.value if allocation == "value" else alive.astype(float)
    return _multinomial_rows(rng, aimed, weights)


def fire_salvo(
    rng: np.random.Generator,
    fleet: Fleet,
    state: FleetState,
    rows: np.ndarray,
    launched: np.ndarray,
    attack: Attack,
) -> SalvoTally:
    """One salvo of ``launched[i]`` missiles at the fleet in replication ``rows[i]``.

    Updates ``state`` (hits, area interceptors) for those rows, which must be unique.
    Returns the per-row counts.
    """
    rows = np.asarray(rows, dtype=np.int64)
    launched = np.asarray(launched, dtype=np.int64)
    flown = _binomial(rng, launched, attack.reliability)
    aimed = _binomial(rng, flown, attack.scouting)
    hits = state.hits[rows]
    threshold = state.threshold[rows]
    alive = hits < threshold
    surviving = _allocate(rng, fleet, aimed, alive, threshold - hits, attack.allocation)
    incoming = surviving.sum(axis=1)
    zero = np.zeros(rows.size, dtype=np.int64)
    tau = fleet.readiness

    area_killed_total, used = zero, zero
    if fleet.has_area:
        channels = _round_random(rng, (alive * fleet.area_channels).sum(axis=1))
        manned = _binomial(rng, channels, tau)
        stock = np.where(alive, state.inventory[rows], 0)
        stock = np.where(fleet.area_channels > 0, stock, 0)
        stock_total = stock.sum(axis=1)
        pk, shots = fleet.area_p_kill, fleet.area_shots
        if fleet.area_sls:
            engaged = np.minimum(np.minimum(incoming, manned), stock_total)
            area_killed_total = _binomial(rng, engaged, pk)
            used = engaged.copy()
            missed = engaged - area_killed_total
            for _ in range(shots - 1):
                again = np.minimum(missed, stock_total - used)
                kills = _binomial(rng, again, pk)
                area_killed_total = area_killed_total + kills
                used = used + again
                missed = again - kills
        else:
            engaged = np.minimum(np.minimum(incoming, manned), stock_total // shots)
            area_killed_total = _binomial(rng, engaged, 1.0 - (1.0 - pk) ** shots)
            used = engaged * shots
        surviving = surviving - _hypergeometric_split(rng, surviving, area_killed_total)
        before = np.cumsum(stock, axis=1) - stock
        state.inventory[rows] -= np.clip(used[:, None] - before, 0, stock)

    point_killed = np.zeros_like(surviving)
    if fleet.has_point:
        channels = _round_random(rng, np.broadcast_to(fleet.point_channels, surviving.shape))
        manned = _binomial(rng, channels, tau)
        engaged = np.minimum(surviving, manned)
        point_killed = rng.binomial(engaged, fleet.point_p_engaged)
        surviving = surviving - point_killed

    seduced = (
        rng.binomial(surviving, fleet.softkill) if fleet.has_softkill else np.zeros_like(surviving)
    )
    leakers = surviving - seduced
    new_hits = _binomial(rng, leakers, attack.p_hit)
    state.hits[rows] = hits + new_hits
    return SalvoTally(
        launched=launched,
        flown=flown,
        aimed=aimed,
        intercepted_area=area_killed_total,
        intercepted_point=point_killed.sum(axis=1),
        seduced=seduced.sum(axis=1),
        leakers=leakers.sum(axis=1),
        hits=new_hits.sum(axis=1),
        interceptors_used=used,
    )


def _launch(rng, fleet: Fleet, state: FleetState, rows: np.ndarray) -> np.ndarray:
    """Missiles each row's live ships fire this round (α per ship, within magazines);
    the magazines are drawn down."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    alive = state.alive(rows)
    per_ship = _round_random(rng, np.broadcast_to(fleet.missiles, alive.shape))
    fire = np.where(alive, np.minimum(per_ship, state.magazine[rows]), 0)
    state.magazine[rows] -= fire
    return fire.sum(axis=1)


#: The :class:`SalvoTally` counts summed over a run's salvos.
_TALLIED = tuple(f.name for f in fields(SalvoTally))


def _add(totals: dict[str, np.ndarray], rows: np.ndarray, tally: SalvoTally) -> None:
    for name in _TALLIED:
        np.add.at(totals[name], rows, getattr(tally, name))


def _salvo(rng, fleets, states, attacks, received, fired, k, rows, launch) -> None:
    """Side ``k`` fires ``launch`` missiles in ``rows`` at the other side."""
    firing = launch > 0  # rows that fire nothing draw nothing
    rows, launch = rows[firing], launch[firing]
    if rows.size == 0:
        return
    target = 1 - k
    fired[k][rows] += launch
    tally = fire_salvo(rng, fleets[target], states[target], rows, launch, attacks[k])
    _add(received[target], rows, tally)


def exchange_chunk(
    rng: np.random.Generator,
    sides: tuple[Side, Side],
    fleets: tuple[Fleet, Fleet],
    reps: int,
    rounds: int = 1,
    order: str = "simultaneous",
) -> tuple[dict[str, dict[str, np.ndarray]], np.ndarray]:
    """``reps`` replications of a ``rounds``-round exchange.

    ``order`` is ``"simultaneous"`` or the name of the side that fires first each round.
    Returns per side the per-replication counts of :data:`SIDE_METRICS`, and the rounds
    fought per replication. Side ``k``'s counts describe what it *received* (hits,
    interceptions) and what it *fired* (``missiles_launched``).
    """
    states = tuple(fleet.new_state(rng, reps) for fleet in fleets)
    attacks = tuple(Attack.of(side) for side in sides)
    names = [side.name for side in sides]
    if order == "simultaneous":
        sequence = None
    elif order in names:
        first = names.index(order)
        sequence = (first, 1 - first)
    else:
        raise ValueError(f"order must be 'simultaneous' or a side name ({', '.join(names)})")
    received = [{name: np.zeros(reps, dtype=np.int64) for name in _TALLIED} for _ in sides]
    fired = [np.zeros(reps, dtype=np.int64) for _ in sides]
    fought = np.zeros(reps, dtype=np.int64)
    everyone = np.arange(reps)

    for _ in range(rounds):
        alive = [state.alive_count() > 0 for state in states]
        armed = [
            ((state.magazine > 0) & state.alive() & (fleet.missiles > 0)).any(axis=1)
            for state, fleet in zip(states, fleets, strict=True)
        ]
        active = alive[0] & alive[1] & (armed[0] | armed[1])
        rows = everyone[active]
        if rows.size == 0:
            break
        fought[rows] += 1
        if sequence is None:
            launches = [_launch(rng, fleets[k], states[k], rows) for k in (0, 1)]
            for k in (0, 1):
                _salvo(rng, fleets, states, attacks, received, fired, k, rows, launches[k])
        else:
            for k in sequence:
                shooters = rows[states[k].alive_count(rows) > 0]
                launch = _launch(rng, fleets[k], states[k], shooters)
                _salvo(rng, fleets, states, attacks, received, fired, k, shooters, launch)

    out = {}
    for k, (side, fleet, state) in enumerate(zip(sides, fleets, states, strict=True)):
        alive = state.alive()
        got = received[k]
        out[side.name] = {
            "out_of_action": (~alive).sum(axis=1),
            "hits_received": got["hits"],
            "missiles_launched": fired[k],
            "missiles_flown": received[1 - k]["flown"],
            "missiles_aimed": received[1 - k]["aimed"],
            "intercepted_area": got["intercepted_area"],
            "intercepted_point": got["intercepted_point"],
            "seduced": got["seduced"],
            "leakers": got["leakers"],
            "interceptors_used": got["interceptors_used"],
            # Left on ships still in action, counting only finite magazines/inventories.
            "missiles_left": (
                np.where(alive & fleet.magazine_limited, state.magazine, 0).sum(axis=1)
                if fleet.limited_magazine
                else None
            ),
            "interceptors_left": (
                np.where(alive & fleet.area_limited, state.inventory, 0).sum(axis=1)
                if fleet.limited_area
                else None
            ),
        }
    return out, fought


def chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """The random stream of one chunk: ``SeedSequence(seed, spawn_key=(chunk_index,))``."""
    sequence = np.random.SeedSequence(int(seed), spawn_key=(int(chunk_index),))
    return np.random.Generator(np.random.PCG64(sequence))


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
    rng_factory: Callable[[int, int], Any] = chunk_rng,
) -> ExchangeResult:
    """Run ``replications`` exchanges between two sides, chunk by chunk.

    Memory is bounded by the chunk size: only histograms of the integer counts are kept
    between chunks. ``progress(n)`` is called after each chunk of ``n`` replications.
    ``rng_factory(seed, chunk)`` gives each chunk's generator (benchmarks wrap it).
    """
    if len(sides) != 2:
        raise ValueError("an exchange has exactly two sides")
    if sides[0].name == sides[1].name:
        raise ValueError("the two sides need different names")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    fleets = tuple(Fleet(side.ships, side.readiness) for side in sides)
    result = ExchangeResult(sides, replications, seed, rounds, order)
    result.histograms = {side.name: {} for side in sides}
    for index, start in enumerate(range(0, replications, chunk_reps)):
        reps = min(chunk_reps, replications - start)
        counts, fought = exchange_chunk(
            rng_factory(seed, index), sides, fleets, reps, rounds=rounds, order=order
        )
        for name, metrics in counts.items():
            for metric, values in metrics.items():
                if values is None:
                    continue
                result.histograms[name].setdefault(metric, Histogram()).add(values)
        result.rounds_fought.add(fought)
        if progress:
            progress(reps)
    return result
