"""The stochastic salvo, compiled: one salvo against one fleet, one missile at a time.

The model is the stochastic salvo model of M. J. Armstrong, "A stochastic salvo model
for naval surface combat", *Operations Research* 53(5) (2005) 830–841, with layered
defences (docs/model.md, "Salvo exchanges"). One salvo of ``n`` missiles:

1. **Launch**: each missile flies with probability ``reliability``.
2. **Targeting**: each flying missile is aimed at a real target with probability σ.
3. **Allocation** over the ships still in action: ``uniform`` (each picks a live ship
   at random), ``value`` (weighted by the ships' value) or ``concentrated`` (ships filled
   in order up to the hits each still needs, surplus dealt round-robin).
4. **Area layer** (pooled over the live ships): ⌊c⌋ or ⌈c⌉ channels (mean c), each
   manned with probability τ; it engages ``min(incoming, manned, interceptors
   affordable)`` missiles. ``salvo`` doctrine: each engaged missile is killed with
   ``1 − (1 − p)^shots``; ``shoot-look-shoot``: one shot each, misses shot again in turns
   while shots and interceptors last. The killed missiles are a uniformly random subset
   of the incoming ones (selection sampling, Knuth TAOCP vol. 2 §3.4.2, Algorithm S),
   so kills per ship are multivariate hypergeometric; interceptors are drawn from the
   live area ships in ship order.
5. **Point layer** (per ship): manned channels (as above) engage up to their number of
   the missiles on that ship, each killed with ``1 − (1 − p)^shots``.
6. **Soft kill**: each remaining missile is seduced with the ship's probability.
7. **Hits**: each leaker hits with ``p_hit``; a ship is out of action once its hits
   reach its staying power.

Every count is a sum of Bernoulli draws, so each layer's count is exactly the binomial
(or hypergeometric) of the closed forms in :mod:`nansei.combat.hughes` and the tests.
The plain-Python definition is :mod:`nansei.combat.reference` (the test oracle).

Data layout (arrays, so the kernels compile with numba): a fleet is ``ship_f``
(ships × :data:`SHIP_FLOAT_COLUMNS`), ``ship_i`` (ships × :data:`SHIP_INT_COLUMNS`) and
``fleet`` (:data:`FLEET_COLUMNS`); its state per replication is ``state``
(ships × :data:`STATE_COLUMNS`); an attack is ``attack`` (:data:`ATTACK_COLUMNS`); a
salvo's counts go to ``tally`` (:data:`TALLY_COLUMNS`). Pure: no files, no printing.

Speed: the functions on the per-replication path allocate nothing (callers pass their
working arrays, :class:`SalvoWork`) and are compiled with :data:`nansei.jit.HOT`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from nansei.jit import HOT, borrowing, entry, hot, hot_inline, inline
from nansei.streams import skip, uniform, unit

__all__ = [
    "ALLOCATIONS",
    "HOT",
    "ATTACK_COLUMNS",
    "FLEET_COLUMNS",
    "SHIP_FLOAT_COLUMNS",
    "SHIP_INT_COLUMNS",
    "STATE_COLUMNS",
    "TALLY_COLUMNS",
    "UNLIMITED",
    "SalvoWork",
    "fire_salvo",
    "new_fleet_state",
    "new_salvo_work",
    "pack_attack",
    "pack_fleet",
    "round_random",
    "salvo_into",
    "ships_alive",
]

#: Stands for "never runs out" in integer inventories.
UNLIMITED = 2**40

ALLOCATIONS = ("uniform", "value", "concentrated")

SHIP_FLOAT_COLUMNS = ("value", "area_channels", "area_p_kill", "area_shots",
                      "area_shoot_look_shoot", "point_channels", "point_p_engaged",
                      "softkill_p", "staying_power")  # fmt: skip
(VALUE, AREA_CHANNELS, AREA_P, AREA_SHOTS, AREA_SLS, POINT_CHANNELS, POINT_P, SOFTKILL,
 STAYING) = range(9)  # fmt: skip

SHIP_INT_COLUMNS = ("area_inventory", "staying_low", "staying_high", "staying_ranged",
                    "magazine")  # fmt: skip
INVENTORY0, SP_LOW, SP_HIGH, SP_RANGED, MAGAZINE0 = range(5)

FLEET_COLUMNS = ("has_area", "readiness")
HAS_AREA, READINESS = range(2)

STATE_COLUMNS = ("hits", "threshold", "inventory", "magazine")
HITS, THRESHOLD, INVENTORY, MAGAZINE = range(4)

ATTACK_COLUMNS = ("reliability", "scouting", "p_hit", "allocation")
RELIABILITY, SCOUTING, P_HIT, ALLOCATION = range(4)

TALLY_COLUMNS = ("launched", "flown", "aimed", "intercepted_area", "intercepted_point",
                 "seduced", "leakers", "hits", "interceptors_used")  # fmt: skip
T_LAUNCHED, T_FLOWN, T_AIMED, T_AREA, T_POINT, T_SEDUCED, T_LEAKERS, T_HITS, T_USED = range(9)

#: A salvo's working arrays: ``target`` (a ship index per aimed missile), and per ship
#: ``on_ship`` (missiles still on it), ``live`` (indices of the ships in action) and
#: ``cumulative`` (running allocation weights). Hot loops allocate one and reuse it.
SalvoWork = namedtuple("SalvoWork", "target on_ship live cumulative")


@inline
def round_random(stream, value):
    """⌊v⌋, plus one with probability v − ⌊v⌋ (mean v); always one uniform (skipped,
    not mixed, when v is whole: the uniform could not change the answer)."""
    whole = math.floor(value)
    if whole == value:
        skip(stream, 1)
        return int(whole)
    return int(whole) + (1 if uniform(stream) < value - whole else 0)


@borrowing
def _certain(stream, n, p):
    """``n`` trials of probability ``p`` ≥ 1 (all succeed) or ≤ 0 (none do): their
    uniforms taken without computing them (:func:`~nansei.streams.skip`)."""
    skip(stream, n)
    return n if p >= 1.0 else 0


@inline
def _bernoulli_sum(stream, n, p):
    """Successes in ``n`` independent trials of probability ``p``: trial i succeeds when
    its uniform is below ``p``. A sure trial (``p`` ≥ 1) and an impossible one (``p`` ≤ 0)
    take their uniforms without computing them (:func:`_certain`: every later draw is the
    one it would have been), so a sure trial never fails — not even on the uniform of
    exactly 1 (chance 2⁻⁵³, :func:`~nansei.streams.unit`) that ``u < 1`` would have
    counted a failure. (The skip is a kernel of its own: written here, numba typed it
    again at each of the ten places this is inlined — 1.3–1.8 CPU s more on a cold
    ``nansei salvo`` than before the skip, against 0.3–1.2 s this way.)"""
    if p >= 1.0 or p <= 0.0:
        return _certain(stream, n, p)
    # Typed int64 from the start: a literal 0 made numba compile the callers' callees
    # once more for the constant (``Literal[int](0)``) while typing the loop.
    count = np.int64(0)
    for _ in range(n):
        if uniform(stream) < p:
            count += 1
    return count


@hot
def new_fleet_state(stream, ship_f, ship_i, state):
    """Fresh ships: no hits, full magazines and interceptors, staying power drawn
    (a fractional s is ⌊s⌋ or ⌈s⌉ with mean s; a range is a uniform whole number)."""
    for s in range(ship_f.shape[0]):
        if ship_i[s, SP_RANGED]:
            u = uniform(stream)
            low, high = ship_i[s, SP_LOW], ship_i[s, SP_HIGH]
            threshold = low + min(int(u * (high - low + 1)), high - low)
        else:
            threshold = round_random(stream, ship_f[s, STAYING])
        state[s, HITS] = 0
        state[s, THRESHOLD] = max(threshold, 1)
        state[s, INVENTORY] = ship_i[s, INVENTORY0]
        state[s, MAGAZINE] = ship_i[s, MAGAZINE0]


@inline
def ships_alive(state):
    """Ships still in action (hits below staying power)."""
    alive = 0
    for s in range(state.shape[0]):
        if state[s, HITS] < state[s, THRESHOLD]:
            alive += 1
    return alive


@hot_inline
def _allocate(stream, aimed, attack, ship_f, state, work):
    """Fill ``work.target`` (one ship index per aimed missile) and ``work.on_ship``;
    returns the number of missiles that have a target (0 when no ship is in action)."""
    ships = ship_f.shape[0]
    on_ship, target, live = work.on_ship, work.target, work.live
    n_live = 0
    for s in range(ships):
        on_ship[s] = 0
        if state[s, HITS] < state[s, THRESHOLD]:
            live[n_live] = s
            n_live += 1
    if n_live == 0 or aimed == 0:
        return 0
    mode = attack[ALLOCATION]
    if mode == 2:  # concentrated
        placed = 0
        for j in range(n_live):
            s = live[j]
            need = min(state[s, THRESHOLD] - state[s, HITS], aimed - placed)
            for _ in range(need):
                target[placed] = s
                placed += 1
        turn = 0
        while placed < aimed:
            target[placed] = live[turn % n_live]
            turn += 1
            placed += 1
    elif mode == 0:
        # Equal weights: the live ship of rank ⌊u·live⌋ (the cumulative search below gives
        # the same ship for the same u; this skips the search and its mispredicted branch).
        drawn, gamma = stream[0], stream[1]
        for m in range(aimed):
            drawn += gamma
            target[m] = live[min(int(unit(drawn) * n_live), n_live - 1)]
        stream[0] = drawn
    else:
        # Cumulative values of the live ships, then one uniform per missile.
        cumulative = work.cumulative
        total = 0.0
        for s in range(ships):
            if state[s, HITS] < state[s, THRESHOLD]:
                total += ship_f[s, VALUE]
            cumulative[s] = total
        if total <= 0.0:
            return 0
        for m in range(aimed):
            pick = uniform(stream) * total
            chosen = ships - 1
            for s in range(ships):
                if pick < cumulative[s]:
                    chosen = s
                    break
            while chosen > 0 and cumulative[chosen] == cumulative[chosen - 1]:
                chosen -= 1  # rounding at the top: step back to a ship with weight
            target[m] = chosen
    for m in range(aimed):
        on_ship[target[m]] += 1
    return aimed


@hot_inline
def _area_kills(stream, incoming, ship_f, fleet, state, tally):
    """Missiles the pooled area layer kills; draws down the interceptors.

    The live area ships pool their channels; the layer's kill probability per shot is
    their channel-weighted mean, its shots and doctrine those of the first live one."""
    ships = ship_f.shape[0]
    channels_mean = 0.0
    weighted_p = 0.0
    stock_total = 0
    first = -1
    for s in range(ships):
        if state[s, HITS] < state[s, THRESHOLD] and ship_f[s, AREA_CHANNELS] > 0:
            channels_mean += ship_f[s, AREA_CHANNELS]
            weighted_p += ship_f[s, AREA_CHANNELS] * ship_f[s, AREA_P]
            stock_total += state[s, INVENTORY]
            if first < 0:
                first = s
    if first < 0:
        return 0
    manned = _bernoulli_sum(stream, round_random(stream, channels_mean), fleet[READINESS])
    p_kill = weighted_p / channels_mean
    shots = int(ship_f[first, AREA_SHOTS])
    if ship_f[first, AREA_SLS] > 0:
        engaged = min(incoming, manned, stock_total)
        killed = _bernoulli_sum(stream, engaged, p_kill)
        used = engaged
        missed = engaged - killed
        for _ in range(shots - 1):
            again = min(missed, stock_total - used)
            kills = _bernoulli_sum(stream, again, p_kill)
            killed += kills
            used += again
            missed = again - kills
    else:
        engaged = min(incoming, manned, stock_total // shots)
        killed = _bernoulli_sum(stream, engaged, 1.0 - (1.0 - p_kill) ** shots)
        used = engaged * shots
    left = used
    for s in range(ships):
        if left == 0:
            break
        if state[s, HITS] < state[s, THRESHOLD] and ship_f[s, AREA_CHANNELS] > 0:
            take = min(state[s, INVENTORY], left)
            state[s, INVENTORY] -= take
            left -= take
    tally[T_USED] += used
    return killed


@entry
def new_salvo_work(missiles, ships):
    """Working arrays for salvos of up to ``missiles`` missiles at up to ``ships`` ships
    (the integer ones cut from one allocation: :func:`fire_salvo` makes one per call)."""
    m, s = max(missiles, 1), max(ships, 1)
    ints = np.zeros(m + 2 * s, dtype=np.int64)
    return SalvoWork(ints[:m], ints[m : m + s], ints[m + s :], np.zeros(s, dtype=np.float64))


@entry
def fire_salvo(stream, launched, attack, ship_f, fleet, state, tally):
    """One salvo of ``launched`` missiles at a fleet; updates ``state`` and adds the
    salvo's counts to ``tally``. Returns the hits scored. Allocates its working arrays;
    a loop firing many salvos keeps one :class:`SalvoWork` and calls :func:`salvo_into`."""
    work = new_salvo_work(launched, ship_f.shape[0])
    return salvo_into(stream, launched, attack, ship_f, fleet, state, tally, work)


@hot
def salvo_into(stream, launched, attack, ship_f, fleet, state, tally, work):
    """:func:`fire_salvo` with the caller's working arrays (``work.target`` holds at
    least ``launched`` entries, the others one per ship); the same draws, the same result."""
    ships = ship_f.shape[0]
    on_ship, target = work.on_ship, work.target
    flown = _bernoulli_sum(stream, launched, attack[RELIABILITY])
    aimed = _bernoulli_sum(stream, flown, attack[SCOUTING])
    incoming = _allocate(stream, aimed, attack, ship_f, state, work)

    area_killed = 0
    if fleet[HAS_AREA] > 0 and incoming > 0:
        area_killed = _area_kills(stream, incoming, ship_f, fleet, state, tally)
        # The killed missiles: a uniformly random subset of the incoming (Algorithm S),
        # missile m killed when u·(incoming − m) < need. ``need`` is whole, so that holds
        # exactly when the whole part of u·(incoming − m) is below it: an integer test
        # keeps the running count the loop's only dependency (no branch, no
        # conversion in it) while the draws are computed ahead.
        need = area_killed
        drawn, gamma = stream[0], stream[1]
        for m in range(incoming):
            if need == 0:
                break
            drawn += gamma
            taken = np.int64(int(unit(drawn) * (incoming - m)) < need)
            on_ship[target[m]] -= taken
            need -= taken
        stream[0] = drawn

    point_killed = 0
    seduced = 0
    leakers = 0
    hits = 0
    tau = fleet[READINESS]
    for s in range(ships):
        if on_ship[s] == 0:
            continue
        if ship_f[s, POINT_CHANNELS] > 0:
            manned = _bernoulli_sum(stream, round_random(stream, ship_f[s, POINT_CHANNELS]), tau)
            kills = _bernoulli_sum(stream, min(on_ship[s], manned), ship_f[s, POINT_P])
            point_killed += kills
            on_ship[s] -= kills
        fooled = _bernoulli_sum(stream, on_ship[s], ship_f[s, SOFTKILL])
        seduced += fooled
        through = on_ship[s] - fooled
        leakers += through
        scored = _bernoulli_sum(stream, through, attack[P_HIT])
        state[s, HITS] += scored
        hits += scored

    tally[T_LAUNCHED] += launched
    tally[T_FLOWN] += flown
    tally[T_AIMED] += aimed
    tally[T_AREA] += area_killed
    tally[T_POINT] += point_killed
    tally[T_SEDUCED] += seduced
    tally[T_LEAKERS] += leakers
    tally[T_HITS] += hits
    return hits


# -- packing (plain Python): force descriptions → the kernels' arrays ------------------


def pack_fleet(ships, readiness: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ship_f, ship_i, fleet)`` for a sequence of :class:`~nansei.combat.forces.ShipType`
    (each expanded to ``count`` ships, in order) defended with readiness τ."""
    each = [ship for ship in ships for _ in range(ship.count)]
    ship_f = np.zeros((len(each), len(SHIP_FLOAT_COLUMNS)), dtype=np.float64)
    ship_i = np.zeros((len(each), len(SHIP_INT_COLUMNS)), dtype=np.int64)
    for s, ship in enumerate(each):
        area, point = ship.area, ship.point_layer
        ship_f[s, VALUE] = ship.value
        if area is not None and area.channels > 0:
            ship_f[s, AREA_CHANNELS] = area.channels
            ship_f[s, AREA_P] = area.p_kill
            ship_f[s, AREA_SHOTS] = area.shots
            ship_f[s, AREA_SLS] = 1.0 if area.doctrine == "shoot-look-shoot" else 0.0
            ship_i[s, INVENTORY0] = UNLIMITED if area.inventory is None else area.inventory
        if point is not None:
            ship_f[s, POINT_CHANNELS] = point.channels
            ship_f[s, POINT_P] = point.p_kill_engaged
        ship_f[s, SOFTKILL] = ship.softkill_p
        ship_f[s, STAYING] = ship.staying_power
        if ship.staying_power_range is not None:
            ship_i[s, SP_RANGED] = 1
            ship_i[s, SP_LOW], ship_i[s, SP_HIGH] = ship.staying_power_range
        ship_i[s, MAGAZINE0] = UNLIMITED if ship.magazine is None else ship.magazine
    fleet = np.array([float((ship_f[:, AREA_CHANNELS] > 0).any()), float(readiness)])
    return ship_f, ship_i, fleet


def pack_attack(reliability: float, scouting: float, p_hit: float, allocation: str) -> np.ndarray:
    """The attack array of one salvo's factors (``allocation`` one of :data:`ALLOCATIONS`)."""
    return np.array(
        [reliability, scouting, p_hit, float(ALLOCATIONS.index(allocation))], dtype=np.float64
    )
