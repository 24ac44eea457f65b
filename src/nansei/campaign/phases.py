"""The campaign's eight phases, compiled, for one replication (docs/model.md, "Campaign").

The campaign runs in continuous time: every event happens at its own time, so there is
no clock step to choose. One replication:

1. :func:`arrivals` — each kind of threat group arrives as a Poisson process over the
   arrival window: the count is Poisson(rate · days) and, given the count, the times
   are independent and uniform (the order-statistics property of the Poisson process).
2. :func:`in_range` — *opportunities*: a group is in a unit's reach while it sails a
   stretch of its track within the unit's range (stretches come from the track
   geometry, :mod:`nansei.campaign.setup`).
3. :func:`cueing` — firing-quality tracks arrive as a Poisson process at
   ``cue_rate_per_h`` per hour of time in reach: per unit and group (``independent``),
   or per group over the time any unit reaches it, shared by every unit that reaches
   it then (``coordinated``).
4. :func:`doctrine` — at a cue, a unit fires ``min(salvo_size, ready, stock − reserve)``
   missiles, unless the group is out of the fight or already took
   ``max_salvos_per_group`` salvos; coordinated units fire one salvo per missile system.
5. :func:`salvo` — adjudicated by the compiled salvo model
   (:func:`nansei.combat.kernels.fire_salvo`) against the group's defences, whose state
   carries from salvo to salvo; a group turns back at ``turn_back_at`` of its ships out
   of action and is out of the fight with all of them out.
6. :func:`exposure` — missiles come off the unit's launchers in order; each launcher that
   fired is lost with the shoot-and-scoot chance (truck: detected, kill chain shorter
   than the dwell, killed — :func:`nansei.survival.loss_per_shot`; fixed site:
   ``p_kill``; ships are not exposed to this land-attack kill chain).
7. :func:`start_reloads` / :func:`complete_reloads` — *magazines*: an emptied live
   launcher draws one load from the unit's depot and is ready ``reload_h`` later; a lost
   launcher takes its loaded and reloading missiles with it.
8. :func:`search` — hidden truck launchers are found and killed after an exponential
   time at ``search_rate_per_day / (1 + decoys)`` (Koopman random search with decoy
   dilution, :func:`nansei.survival.hidden_hazard_per_day`).

Random numbers come from :mod:`nansei.streams`, one stream per purpose and thing —
arrivals per (replication, group kind), cueing per (replication, group, unit), each
group's staying power, each salvo per (replication, group, salvo ordinal), exposure per
(replication, unit, firing ordinal), search per (replication, unit, launcher) — so two
settings see the same numbers wherever the same thing happens. Pure: no files, no prints.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from nansei.combat.kernels import (
    HITS,
    THRESHOLD,
    fire_salvo,
    new_fleet_state,
    salvo_into,
    ships_alive,
)
from nansei.jit import borrowing, entry, internal
from nansei.streams import exponential, new_stream, normal, poisson, seed_stream, uniform

#: The units that take part (reach a track), as arrays over units u.
UnitTable = namedtuple(
    "UnitTable",
    "launchers load depot truck fixed system attack engages site ship depart_h on_station_h",
)  # (U,) ints / bools, system (U,) → attack row (systems, 4); site (U,) → red site, −1 none

#: The threat, as arrays over group kinds k (stretches in km along the track).
ThreatTable = namedtuple(
    "ThreatTable",
    "rate_per_day speed_kmh length_km turn_back ships ship_f ship_i fleet "
    "stretches stretch_count union union_count auxiliary acquisition ship_f_system "
    "auto_salvo",
)  # auxiliary (k, ships); active red: acquisition (k, U, stations), ship_f_system
#    (systems, k, ships, columns): the ships' defences against each system; auto_salvo
#    (k, systems): the salvo size of doctrine ``auto`` (0: not auto)

#: Active red: the blue sites red strikes, each as a one-"ship" fleet whose area layer
#: is the site's island air defence (the salvo kernel's layer model), and red's attack;
#: each site's PAC-3 layer (``pac_*``, engaging the ballistic warheads before the Chu-SAM:
#: ``pac_attack`` counts what leaks through it, ``leak_attack`` then closes the site);
#: and, for ships at sea, each ship unit's class defences (``sea_*``) and red's
#: anti-ship ballistic missile (``sea_attack``).
RedTable = namedtuple(
    "RedTable",
    "site_f site_i site_fleet attack pac_f pac_i pac_fleet pac_attack leak_attack "
    "sea_f sea_i sea_fleet sea_attack",
)

#: Every group of one replication (g), with its kind, identity and state.
Groups = namedtuple("Groups", "kind ident arrival_h status salvos state")

#: The engaged units' launchers (u, launcher) and depots (u,) in one replication.
Blue = namedtuple("Blue", "alive ready pending reload_at_h found_at_h depot firings")

#: The scalar rules, by index into one float array.
RULES = (
    "days",
    "horizon_h",
    "cue_rate_per_h",
    "salvo_size",
    "coordinated",
    "max_salvos",
    "reserve",
    "p_detect",
    "kill_chain_median_h",
    "kill_chain_sigma",
    "dwell_h",
    "p_kill",
    "hidden_hazard_per_h",
    "reload_h",
    "active_red",
    "warning_h",
    "red_inventory",
    "warheads_per_site",
    "wave_interval_h",
    "dispersal_mean_h",
    "acquisition_spacing_km",
    "arrivals_factor_per_loss",
    "ship_detection_rate_per_h",
    "asbm_per_strike",
)
(DAYS, HORIZON, CUE_RATE, SALVO_SIZE, COORDINATED, MAX_SALVOS, RESERVE, P_DETECT,
 KC_MEDIAN, KC_SIGMA, DWELL, P_KILL, HIDDEN_HAZARD, RELOAD_H, ACTIVE, WARNING_H,
 RED_INVENTORY, WARHEADS, WAVE_INTERVAL, DISPERSAL_MEAN,
 ACQ_SPACING, ADAPT_FACTOR, SHIP_DETECTION, ASBM_PER_STRIKE) = range(len(RULES))  # fmt: skip

#: Stream purposes (index into the keys array; numbers from nansei.streams.PURPOSES).
ARRIVALS, CUEING, SALVO, EXPOSURE, SEARCH, STAYING = 1, 2, 3, 4, 5, 6
DISPERSAL, COUNTERFORCE, ADAPTATION, SHIP_HUNT = 8, 9, 11, 12

#: Group status.
EN_ROUTE, TURNED_BACK, ALL_OUT, STAYED = 0, 1, 2, 3  # STAYED: red adaptation, never sailed

#: Sub-stream numbers, typed so that each kernel compiles once (a bare literal would
#: make numba compile a separate specialisation per constant).
_COUNT, _TIMES = np.int64(0), np.int64(1)

#: A group's identity in stream names: kind · 2^32 + its draw number within the kind.
_KIND_STRIDE = 2**32

#: A ship at sea's identity in stream names: unit · 2^20 + its launcher slot.
_SHIP_STRIDE = 2**20


@internal
def new_groups(capacity, ships):
    """Room for ``capacity`` groups of up to ``ships`` ships: :func:`arrivals` fills a
    prefix of it each replication, so a chunk allocates its groups once (and again only
    when a replication brings more groups than ever before)."""
    return Groups(
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.float64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros((capacity, ships, 4), dtype=np.int64),
    )


@borrowing
def arrival_counts(keys, rep, threat, days, stream, counts):
    """Phase 1, the counts: writes each kind's Poisson(rate · days) group count to
    ``counts`` (drawn from ``stream``, re-seeded per kind); returns their sum."""
    total = 0
    for k in range(threat.rate_per_day.size):
        seed_stream(stream, keys[ARRIVALS], rep, k, _COUNT)
        counts[k] = poisson(stream, threat.rate_per_day[k] * days)
        total += counts[k]
    return total


@entry
def arrivals(keys, rep, threat, days):
    """Phase 1 in new arrays: the replication's :class:`Groups` (the chunk loop uses
    :func:`arrival_counts` and :func:`arrivals_into` with arrays it keeps)."""
    stream = np.empty(2, dtype=np.uint64)
    times = np.empty(2, dtype=np.uint64)
    counts = np.zeros(threat.rate_per_day.size, dtype=np.int64)
    total = arrival_counts(keys, rep, threat, days, stream, counts)
    room = new_groups(total, threat.ship_f.shape[1])
    return arrivals_into(keys, rep, threat, days, counts, total, room, stream, times)


@internal
def arrivals_into(keys, rep, threat, days, counts, total, room, stream, times):
    """Phase 1. Reads the counts of :func:`arrival_counts` and the kinds' ships; returns
    the replication's :class:`Groups` (fresh ships, staying power drawn), in kind and
    draw order — views of the first ``total`` rows of ``room`` (a :func:`new_groups`
    with room for them). ``stream`` and ``times`` are scratch streams."""
    kind = room.kind[:total]
    ident = room.ident[:total]
    arrival_h = room.arrival_h[:total]
    status = room.status[:total]
    salvos = room.salvos[:total]
    state = room.state[:total]
    g = 0
    for k in range(threat.rate_per_day.size):
        seed_stream(times, keys[ARRIVALS], rep, k, _TIMES)
        ships = threat.ships[k]
        for i in range(counts[k]):
            kind[g] = k
            ident[g] = k * _KIND_STRIDE + i
            arrival_h[g] = uniform(times) * days * 24.0
            status[g] = EN_ROUTE
            salvos[g] = 0
            state[g] = 0
            seed_stream(stream, keys[STAYING], rep, ident[g], _COUNT)
            new_fleet_state(stream, threat.ship_f[k, :ships], threat.ship_i[k, :ships],
                            state[g, :ships])  # fmt: skip
            g += 1
    return Groups(kind, ident, arrival_h, status, salvos, state)


@borrowing
def in_range(threat, groups, g, u, t_h):
    """Phase 2. Is group ``g`` within unit ``u``'s range at time ``t_h``? Reads the
    group's arrival and the unit's stretches of its kind's track."""
    k = groups.kind[g]
    sailed_km = (t_h - groups.arrival_h[g]) * threat.speed_kmh[k]
    for w in range(threat.stretch_count[k, u]):
        if threat.stretches[k, u, w, 0] <= sailed_km <= threat.stretches[k, u, w, 1]:
            return True
    return False


@borrowing
def _cue_times(stream, rate_per_h, windows_h, count, out, filled):
    """Times of a Poisson process at ``rate_per_h`` run only inside the first ``count``
    time windows (its clock is time in reach), written to ``out`` from ``filled`` on
    (as far as it has room); returns how many there are in all."""
    if rate_per_h <= 0.0:
        return filled
    need_h = exponential(stream) / rate_per_h
    for w in range(count):
        start_h = windows_h[w, 0]
        left_h = windows_h[w, 1] - windows_h[w, 0]
        while need_h <= left_h:
            start_h += need_h
            left_h -= need_h
            if filled < out.size:
                out[filled] = start_h
            filled += 1
            need_h = exponential(stream) / rate_per_h
        need_h -= left_h
    return filled


#: A replication's cues in arrays a chunk keeps (room for ``time_h.size`` cues): as
#: drawn (``drawn_*``) and in time order (``time_h``, ``group``, ``unit``: −1 for a
#: shared, coordinated cue); ``order`` and ``spare`` are the sort's working arrays,
#: ``windows_h`` one source's stretches of a group's track in hours.
Cues = namedtuple("Cues", "drawn_h drawn_group drawn_unit time_h group unit order spare windows_h")


@internal
def new_cues(capacity, threat):
    """Room for ``capacity`` cues of one replication (:func:`cues_into`)."""
    windows = max(threat.stretches.shape[2], threat.union.shape[1])
    return Cues(
        np.empty(capacity, dtype=np.float64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.float64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty((windows, 2), dtype=np.float64),
    )


@borrowing
def cues_into(keys, rep, threat, groups, units, rules, stream, cues):
    """Phase 3. Reads the groups, stretches and cue rate; writes the cues, sorted by time,
    to the first entries of ``cues.time_h``, ``cues.group`` and ``cues.unit`` and returns
    how many there are. When there are more than ``cues`` has room for, returns the
    count and sorts nothing: the caller makes room and calls again (the streams are
    named, so the second call draws the same cues). ``stream`` is scratch, re-seeded
    per group and source."""
    rate = rules[CUE_RATE]
    coordinated = rules[COORDINATED] > 0
    sources = 1 if coordinated else units.launchers.size
    windows_h = cues.windows_h
    room = cues.drawn_h.size
    filled = np.int64(0)
    for g in range(groups.kind.size):
        k = groups.kind[g]
        for source in range(sources):
            if coordinated:
                stretches, count = threat.union[k], threat.union_count[k]
            else:
                stretches, count = threat.stretches[k, source], threat.stretch_count[k, source]
            for w in range(count):  # along-track km → hours since the start
                for end in range(2):
                    km = stretches[w, end]
                    windows_h[w, end] = groups.arrival_h[g] + km / threat.speed_kmh[k]
            seed_stream(stream, keys[CUEING], rep, groups.ident[g], source + 1)
            before = filled
            filled = _cue_times(stream, rate, windows_h, count, cues.drawn_h, filled)
            for i in range(before, min(filled, room)):
                cues.drawn_group[i] = g
                cues.drawn_unit[i] = -1 if coordinated else source
    if filled > room:
        return filled
    order = cues.order
    if merge_order(cues.drawn_h, filled, cues.order, cues.spare) == 1:
        order = cues.spare
    for i in range(filled):
        cues.time_h[i] = cues.drawn_h[order[i]]
        cues.group[i] = cues.drawn_group[order[i]]
        cues.unit[i] = cues.drawn_unit[order[i]]
    return filled


@entry
def cueing(keys, rep, threat, groups, units, rules, stream):
    """Phase 3 in new arrays: the cues ``(time_h, group, unit)`` sorted by time (the chunk
    loop calls :func:`cues_into` with arrays it keeps)."""
    cues = new_cues(np.int64(1), threat)
    count = cues_into(keys, rep, threat, groups, units, rules, stream, cues)
    if count > cues.time_h.size:
        cues = new_cues(count, threat)
        cues_into(keys, rep, threat, groups, units, rules, stream, cues)
    return cues.time_h[:count].copy(), cues.group[:count].copy(), cues.unit[:count].copy()


@borrowing
def merge_order(times, n, order, spare):
    """Indices that sort ``times[:n]`` (a stable bottom-up merge sort: ties keep their
    order), in ``order`` (returns 0) or ``spare`` (returns 1): the two swap each pass."""
    for i in range(n):
        order[i] = i
    width = 1
    where = 0
    while width < n:
        for left in range(0, n, 2 * width):
            middle = min(left + width, n)
            right = min(left + 2 * width, n)
            i, j = left, middle
            for out in range(left, right):
                if i < middle and (j >= right or times[order[i]] <= times[order[j]]):
                    spare[out] = order[i]
                    i += 1
                else:
                    spare[out] = order[j]
                    j += 1
        order, spare = spare, order
        where = 1 - where
        width *= 2
    return where


@entry
def time_order(times):
    """Indices that sort ``times`` (stable: ties keep their order), in a new array."""
    order = np.empty(times.size, dtype=np.int64)
    spare = np.empty(times.size, dtype=np.int64)
    if merge_order(times, times.size, order, spare) == 0:
        return order
    return spare


@borrowing
def search(keys, rep, units, blue, hazard_per_h, stream):
    """Phase 8, drawn up front. Writes ``blue.found_at_h``: when hidden search finds each
    truck launcher (inf: never, or not a truck); ``stream`` is scratch."""
    for u in range(units.launchers.size):
        for slot in range(units.launchers[u]):
            if units.truck[u] and hazard_per_h > 0.0:
                seed_stream(stream, keys[SEARCH], rep, u, slot)
                blue.found_at_h[u, slot] = exponential(stream) / hazard_per_h


@internal
def new_blue(units):
    """The engaged units at the start: every launcher alive and loaded, depots full."""
    count = units.launchers.size
    width = 1
    for u in range(count):
        width = max(width, units.launchers[u])
    alive = np.zeros((count, width), dtype=np.bool_)
    ready = np.zeros((count, width), dtype=np.int64)
    for u in range(count):
        for slot in range(units.launchers[u]):
            alive[u, slot] = True
            ready[u, slot] = units.load[u]
    pending = np.zeros((count, width), dtype=np.int64)
    reload_at_h = np.full((count, width), np.inf)
    found_at_h = np.full((count, width), np.inf)
    depot = units.depot.copy()
    firings = np.zeros(count, dtype=np.int64)
    return Blue(alive, ready, pending, reload_at_h, found_at_h, depot, firings)


@borrowing
def reset_blue(units, blue):
    """Back to :func:`new_blue`'s start, in place (a chunk keeps one :class:`Blue`)."""
    for u in range(units.launchers.size):
        for slot in range(blue.alive.shape[1]):
            live = slot < units.launchers[u]
            blue.alive[u, slot] = live
            blue.ready[u, slot] = units.load[u] if live else 0
            blue.pending[u, slot] = 0
            blue.reload_at_h[u, slot] = np.inf
            blue.found_at_h[u, slot] = np.inf
        blue.depot[u] = units.depot[u]
        blue.firings[u] = 0


@borrowing
def stock(blue, u):
    """Missiles unit ``u`` still has: loaded and reloading on live launchers, plus depot."""
    total = blue.depot[u]
    for slot in range(blue.alive.shape[1]):
        if blue.alive[u, slot]:
            total += blue.ready[u, slot] + blue.pending[u, slot]
    return total


@borrowing
def can_fire(blue, u, reserve):
    """Has unit ``u`` a live launcher and more missiles than its reserve?"""
    for slot in range(blue.alive.shape[1]):
        if blue.alive[u, slot]:
            return stock(blue, u) > reserve
    return False


@borrowing
def complete_reloads(blue, u, t_h):
    """Phase 7 (end of reloads). Loads that reached unit ``u``'s live launchers by
    ``t_h`` become ready."""
    for slot in range(blue.alive.shape[1]):
        if blue.alive[u, slot] and blue.pending[u, slot] > 0 and blue.reload_at_h[u, slot] <= t_h:
            blue.ready[u, slot] += blue.pending[u, slot]
            blue.pending[u, slot] = 0
            blue.reload_at_h[u, slot] = np.inf


@borrowing
def doctrine(blue, u, groups, g, rules, size):
    """Phase 4. Missiles unit ``u`` fires at group ``g`` now: ``min(size, ready,
    stock − reserve)``, or 0 when the group is out of the fight or at its salvo cap."""
    if groups.status[g] != EN_ROUTE:
        return 0
    if rules[MAX_SALVOS] >= 0 and groups.salvos[g] >= rules[MAX_SALVOS]:
        return 0
    ready = 0
    for slot in range(blue.alive.shape[1]):
        if blue.alive[u, slot]:
            ready += blue.ready[u, slot]
    return max(0, min(size, ready, stock(blue, u) - int(rules[RESERVE])))


@borrowing
def salvo_size(threat, units, groups, g, u, rules):
    """The doctrine's salvo size for unit ``u`` at group ``g``: the scenario's, or with
    ``auto`` (rule −1) the precomputed size for the group's kind and the unit's system."""
    if rules[SALVO_SIZE] >= 1:
        return int(rules[SALVO_SIZE])
    return int(threat.auto_salvo[groups.kind[g], units.system[u]])


@entry
def out_per_missile(stream, missiles, attack, ship_f, fleet, ship_i, reps):
    """Mean ships out of action per missile of one salvo of ``missiles`` at a fresh
    fleet, over ``reps`` salvos drawn from ``stream`` (for the ``auto`` table)."""
    state = np.zeros((ship_f.shape[0], 4), dtype=np.int64)
    tally = np.zeros(9, dtype=np.int64)
    total = 0
    for _ in range(reps):
        new_fleet_state(stream, ship_f, ship_i, state)
        fire_salvo(stream, missiles, attack, ship_f, fleet, state, tally)
        total += ship_f.shape[0] - ships_alive(state)
    return total / (reps * missiles)


@internal
def salvo(keys, rep, threat, groups, g, missiles, attack, ship_f, tally, stream, work):
    """Phase 5. ``missiles`` with the firing system's ``attack`` factors at group ``g``
    whose ships defend as ``ship_f`` (its kind's, or against this system with active
    red): adjudicated (state updated, counts added to ``tally``); then its status: all
    ships out, or turned back at ``turn_back_at``. ``stream`` is scratch; ``work`` the
    chunk's salvo working arrays (a salvo larger than they hold allocates its own)."""
    k = groups.kind[g]
    ships = threat.ships[k]
    seed_stream(stream, keys[SALVO], rep, groups.ident[g], groups.salvos[g])
    state = groups.state[g, :ships]
    if missiles <= work.target.size and ships <= work.on_ship.size:
        salvo_into(stream, missiles, attack, ship_f[:ships], threat.fleet[k], state, tally, work)
    else:
        fire_salvo(stream, missiles, attack, ship_f[:ships], threat.fleet[k], state, tally)
    groups.salvos[g] += 1
    out = ships - ships_alive(state)
    if out >= ships:
        groups.status[g] = ALL_OUT
    elif threat.turn_back[k] >= 0 and out > 0 and out >= threat.turn_back[k] * ships - 1e-12:
        groups.status[g] = TURNED_BACK


@borrowing
def exposure(keys, rep, units, blue, u, missiles, t_h, rules, stream):
    """Phase 6. Unit ``u`` fires ``missiles`` at ``t_h``: draws them from its launchers in
    order and exposes each launcher that fired; returns the launchers lost. ``stream``
    is scratch."""
    seed_stream(stream, keys[EXPOSURE], rep, u, blue.firings[u])
    blue.firings[u] += 1
    left = missiles
    lost = 0
    for slot in range(blue.alive.shape[1]):
        if left == 0:
            break
        if not blue.alive[u, slot] or blue.ready[u, slot] == 0:
            continue
        take = min(blue.ready[u, slot], left)
        blue.ready[u, slot] -= take
        left -= take
        # Four draws for every launcher that fired, whatever its platform (common numbers).
        detected = uniform(stream) < rules[P_DETECT]
        kill_chain_h = rules[KC_MEDIAN] * math.exp(rules[KC_SIGMA] * normal(stream))
        killed = uniform(stream) < rules[P_KILL]
        if units.truck[u]:
            gone = detected and kill_chain_h < rules[DWELL] and killed
        else:
            gone = units.fixed[u] and killed
        if gone:
            lost_launcher(blue, u, slot)
            lost += 1
    return lost


@borrowing
def lost_launcher(blue, u, slot):
    """A launcher is lost with its loaded and reloading missiles."""
    blue.alive[u, slot] = False
    blue.ready[u, slot] = 0
    blue.pending[u, slot] = 0
    blue.reload_at_h[u, slot] = np.inf


@borrowing
def start_reloads(units, blue, u, t_h, reload_h):
    """Phase 7 (start of reloads). Each emptied live launcher of unit ``u`` without a load
    on its way draws one load from the depot, in launcher order, ready ``reload_h`` later."""
    for slot in range(blue.alive.shape[1]):
        if blue.depot[u] == 0:
            return
        if blue.alive[u, slot] and blue.ready[u, slot] == 0 and blue.pending[u, slot] == 0:
            grant = min(units.load[u], blue.depot[u])
            blue.pending[u, slot] = grant
            blue.depot[u] -= grant
            blue.reload_at_h[u, slot] = t_h + reload_h


@borrowing
def out_of_action(threat, groups, auxiliary):
    """Red ships out of action over every group of the replication: combatants when
    ``auxiliary`` is 0, auxiliaries when 1, all ships when −1."""
    total = 0
    for g in range(groups.kind.size):
        k = groups.kind[g]
        for s in range(threat.ships[k]):
            if auxiliary >= 0 and threat.auxiliary[k, s] != (auxiliary == 1):
                continue
            if groups.state[g, s, HITS] >= groups.state[g, s, THRESHOLD]:
                total += 1
    return total


@borrowing
def adapt(keys, rep, groups, g, out_h, factor, stream):
    """Red adaptation: group ``g`` sails with ``factor^L``, ``L`` the groups put out of
    action (turned back or all out) before its arrival — the arrival process thinned
    by a rate multiplier per loss (Lewis–Shedler thinning); otherwise it stays home.
    ``stream`` is scratch."""
    losses = 0
    for other in range(out_h.size):
        if out_h[other] < groups.arrival_h[g]:
            losses += 1
    seed_stream(stream, keys[ADAPTATION], rep, groups.ident[g], np.int64(0))
    if uniform(stream) >= factor**losses:
        groups.status[g] = STAYED


@borrowing
def acquisition(threat, groups, g, u, t_h, rules):
    """Active red: the chance unit ``u``'s missile acquires group ``g`` at ``t_h`` (its
    table along the track, read at the group's position then)."""
    k = groups.kind[g]
    sailed_km = (t_h - groups.arrival_h[g]) * threat.speed_kmh[k]
    station = int(sailed_km / rules[ACQ_SPACING] + 0.5)
    station = min(max(station, 0), threat.acquisition.shape[2] - 1)
    return threat.acquisition[k, u, station]


@internal
def strike_wave(
    keys, rep, units, blue, red, site_state, pac_state, closed, wave, left, per_site,
    dispersed, lost, t_h,
):  # fmt: skip
    """Active red, one counter-force wave: ``min(per_site, left)`` missiles at every open
    site that still holds something, in site order, each adjudicated by the salvo kernel
    against the site's layered island air defence: its PAC-3 layer, if any, engages the
    (ballistic) warheads first, then its Chu-SAM layer engages those that leaked —
    each an area layer with finite interceptors (:func:`site_defence`); a site
    is closed at its first hit. A closed site loses its depots, its fixed launchers, its
    ships in port and — in the opening wave only — the truck launchers that had not
    dispersed (a ship that has sailed for its station by ``t_h`` is not in port).
    ``lost`` adds (launchers, missiles in depots, ships, red missiles intercepted);
    returns the missiles left."""
    tally = np.zeros(9, dtype=np.int64)
    for s in range(closed.size):
        if closed[s] or left <= 0:
            continue
        holds = False
        for u in range(units.launchers.size):
            if units.site[u] == s:
                if blue.depot[u] > 0:
                    holds = True
                if units.ship[u] and t_h > units.depart_h[u]:
                    continue  # sailed to its station: not in port
                for slot in range(units.launchers[u]):
                    if blue.alive[u, slot] and (
                        not units.truck[u] or (wave == 0 and not dispersed[u, slot])
                    ):
                        holds = True
        if not holds:
            continue
        warheads = min(per_site, left)
        left -= warheads
        stream = new_stream(keys[COUNTERFORCE], rep, s, wave)
        before = tally[3]
        site_defence(stream, warheads, red, s, site_state, pac_state, tally)
        lost[3] += tally[3] - before
        if site_state[s, HITS] < site_state[s, THRESHOLD]:
            continue
        closed[s] = True
        for u in range(units.launchers.size):
            if units.site[u] != s:
                continue
            lost[1] += blue.depot[u]
            blue.depot[u] = 0
            if units.ship[u] and t_h > units.depart_h[u]:
                continue
            for slot in range(units.launchers[u]):
                if not blue.alive[u, slot]:
                    continue
                if units.truck[u] and (wave > 0 or dispersed[u, slot]):
                    continue
                lost_launcher(blue, u, slot)
                lost[0] += 1
                if units.ship[u]:
                    lost[2] += 1
    return left


@internal
def site_defence(stream, warheads, red, s, site_state, pac_state, tally):
    """Active red: ``warheads`` at site ``s`` through its layered air defence, the salvo
    kernel's binomial area layer once per layer. With a PAC-3 layer the warheads fly
    (reliability) and meet it first; its leakers (the "hits" of an attack with
    ``p_hit`` 1 on a row that never fills) then meet the Chu-SAM layer, and each
    unintercepted warhead closes the site with ``p_kill``. Without one, the one call of
    the earlier model (same random numbers). Interceptors of each layer carry over."""
    if red.pac_fleet[s, 0] > 0:
        pac = pac_state[s : s + 1]
        pac[0, HITS] = 0
        leaked = fire_salvo(stream, warheads, red.pac_attack, red.pac_f[s], red.pac_fleet[s],
                            pac, tally)  # fmt: skip
        pac[0, HITS] = 0
        if leaked > 0:
            fire_salvo(stream, leaked, red.leak_attack, red.site_f[s], red.site_fleet[s],
                       site_state[s : s + 1], tally)  # fmt: skip
    else:
        fire_salvo(stream, warheads, red.attack, red.site_f[s], red.site_fleet[s],
                   site_state[s : s + 1], tally)  # fmt: skip


@internal
def ship_hunt_start(keys, rep, units, red, rules, sea_state, detect_h):
    """Active red, ships at sea, drawn at the start: each stationed ship's (a launcher
    of a ship unit with a station) staying power against red's strike, and when red
    first finds it: red hunts from when the ship is at sea and red is at war,
    ``max(depart_h, 0)``, and finds it after an exponential time at
    ``ship_detection_rate_per_h`` (a Poisson process of firing-quality detections)."""
    rate = rules[SHIP_DETECTION]
    for u in range(units.launchers.size):
        if not units.ship[u] or math.isinf(units.depart_h[u]):
            continue
        for slot in range(units.launchers[u]):
            ident = u * _SHIP_STRIDE + slot
            new_fleet_state(
                new_stream(keys[SHIP_HUNT], rep, ident, np.int64(1)),
                red.sea_f[u],
                red.sea_i[u],
                sea_state[u, slot : slot + 1],
            )
            if rate > 0.0:
                gap = exponential(new_stream(keys[SHIP_HUNT], rep, ident, np.int64(0)))
                detect_h[u, slot] = max(units.depart_h[u], 0.0) + gap / rate


@internal
def strike_ship(keys, rep, units, blue, red, rules, sea_state, detect_h, strikes, u, slot,
                t_h, left, lost):  # fmt: skip
    """Active red has found ship ``(u, slot)`` at sea at ``t_h``: it fires
    ``min(missiles_per_strike, left)`` anti-ship ballistic missiles (out of the same
    inventory as its counter-force waves) through the ship's own layers — the salvo
    kernel against its class's defences, whose state (hits, interceptors) carries from
    strike to strike. A ship out of action is lost with its launcher and the missiles on
    it. Otherwise red finds it again after a further exponential time. ``lost`` adds
    (launchers, —, ships, —, ships lost at sea, anti-ship missiles); returns the
    missiles left."""
    ident = u * _SHIP_STRIDE + slot
    number = strikes[u, slot]
    strikes[u, slot] += 1
    detect_h[u, slot] = np.inf
    if not blue.alive[u, slot] or left <= 0:
        return left
    missiles = min(np.int64(rules[ASBM_PER_STRIKE]), left)
    left -= missiles
    lost[5] += missiles
    tally = np.zeros(9, dtype=np.int64)
    state = sea_state[u, slot : slot + 1]
    stream = new_stream(keys[SHIP_HUNT], rep, ident, np.int64(3 + 2 * number))
    fire_salvo(stream, missiles, red.sea_attack, red.sea_f[u], red.sea_fleet[u], state, tally)
    if state[0, HITS] >= state[0, THRESHOLD]:
        lost_launcher(blue, u, slot)
        lost[0] += 1
        lost[2] += 1
        lost[4] += 1
    elif left > 0:
        gap = exponential(new_stream(keys[SHIP_HUNT], rep, ident, np.int64(2 + 2 * number)))
        detect_h[u, slot] = t_h + gap / rules[SHIP_DETECTION]
    return left
