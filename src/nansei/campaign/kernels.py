"""The campaign's compiled loop: replications, and the events of one replication in time
order (the phases are in :mod:`nansei.campaign.phases`).

Within a replication the events are the cues (phase 3) and the moments hidden search
finds a launcher (phase 8), merged by time; reloads (phase 7) are completed when the
unit next needs its launchers, which gives the same state as completing them at their
own times. After every change to the blue force the engine checks whether any engaged
unit can still fire, and records the first time none can (magazine exhaustion).
"""

from __future__ import annotations

import math

import numpy as np

from nansei.campaign.phases import (
    ACTIVE,
    ADAPT_FACTOR,
    ALL_OUT,
    ASBM_PER_STRIKE,
    DAYS,
    DISPERSAL,
    DISPERSAL_MEAN,
    EN_ROUTE,
    HIDDEN_HAZARD,
    HORIZON,
    MAX_SALVOS,
    RED_INVENTORY,
    RELOAD_H,
    RESERVE,
    SHIP_DETECTION,
    STAYED,
    TURNED_BACK,
    WARHEADS,
    WARNING_H,
    WAVE_INTERVAL,
    acquisition,
    adapt,
    arrival_counts,
    arrivals_into,
    can_fire,
    complete_reloads,
    cues_into,
    doctrine,
    exposure,
    in_range,
    lost_launcher,
    merge_order,
    new_blue,
    new_cues,
    new_groups,
    out_of_action,
    reset_blue,
    salvo,
    salvo_size,
    search,
    ship_hunt_start,
    start_reloads,
    strike_ship,
    strike_wave,
)
from nansei.combat.kernels import (
    HITS,
    INVENTORY,
    SCOUTING,
    THRESHOLD,
    UNLIMITED,
    new_salvo_work,
)
from nansei.jit import borrowing, entry
from nansei.streams import exponential, seed_stream

#: The per-replication columns, in the kernel's order.
COLUMNS = (
    "red_ships_out_of_action",
    "groups_transited_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "magazine_exhausted_day",
    "groups_arrived",
    "groups_transited",
    "groups_turned_back",
    "groups_all_out",
    "blue_salvos",
    "blue_launchers_lost_firing",
    "blue_launchers_lost_hidden",
    "magazine_exhausted",
    "red_hits_received",
    "blue_missiles_intercepted",
    "red_combatants_out_of_action",
    "red_auxiliaries_out_of_action",
    "groups_transited_undamaged_fraction",
    "blue_launchers_lost_counterforce",
    "blue_missiles_lost_in_depots",
    "blue_ships_lost",
    "red_counterforce_missiles",
    "red_counterforce_intercepted",
    "blue_ships_lost_at_sea",
    "red_antiship_missiles",
)
(C_OUT, C_FRACTION, C_FIRED, C_LOST, C_EXHAUSTED_DAY, C_ARRIVED, C_TRANSITED, C_TURNED,
 C_ALL_OUT, C_SALVOS, C_LOST_FIRING, C_LOST_HIDDEN, C_EXHAUSTED, C_HITS,
 C_INTERCEPTED, C_COMBATANTS, C_AUXILIARIES, C_UNDAMAGED, C_LOST_CF, C_LOST_DEPOTS,
 C_SHIPS_LOST, C_RED_FIRED, C_RED_INTERCEPTED, C_SHIPS_LOST_AT_SEA,
 C_RED_ANTISHIP) = range(len(COLUMNS))  # fmt: skip

_TALLY_SIZE = 9
_T_AREA, _T_POINT, _T_HITS = 3, 4, 7


@borrowing
def _none_can_fire(blue, units, count, reserve):
    for u in range(count):
        if units.engages[u] and can_fire(blue, u, reserve):
            return False
    return True


@borrowing
def _soonest(times):
    """``(np.argmin(times), times.min())`` of a 2-d array with entries (the first of equal
    smallest): written out, as numba's ``argmin`` and ``min`` cost about a second of
    compilation on a cold start."""
    width = times.shape[1]
    best = 0
    best_time = times[0, 0]
    for flat in range(1, times.size):
        if times[flat // width, flat % width] < best_time:
            best = flat
            best_time = times[flat // width, flat % width]
    return best, best_time


@borrowing
def _acquired(threat, groups, g, t_h, rules, shooters, wanted):
    """Active red: ``(Σ missiles · acquisition chance, Σ missiles)`` over the firing
    units of this salvo — σ is the system's times their ratio (missile-weighted over
    the units of a coordinated salvo)."""
    weighted = 0.0
    total = 0
    for u in range(shooters.size):
        if shooters[u]:
            weighted += wanted[u] * acquisition(threat, groups, g, u, t_h, rules)
            total += wanted[u]
    return weighted, total


@borrowing
def _fire(keys, rep, units, blue, u, missiles, t_h, rules, counts, stream):
    """Unit ``u`` has fired ``missiles``: exposure, then reloads for emptied launchers."""
    counts[0] += missiles
    counts[1] += exposure(keys, rep, units, blue, u, missiles, t_h, rules, stream)
    start_reloads(units, blue, u, t_h, rules[RELOAD_H])


@entry
def run_chunk(keys, first_rep, reps, units, threat, red, rules):
    """Replications ``first_rep`` … ``first_rep + reps − 1``: (reps, columns) floats.

    The loop over replications and the events of one replication are one compiled
    function (the phases are calls): numba optimises a kernel again with all it calls
    linked in, so a separate per-replication kernel cost a second optimisation of the
    whole campaign on every cold start (about 2.7 s of 23 s of compilation)."""
    out = np.zeros((reps, len(COLUMNS)), dtype=np.float64)
    # Working arrays of the whole chunk, reset per replication (allocation per
    # replication was a large part of its time): a salvo's attack factors, scratch
    # streams (re-seeded in place for every purpose and thing), the salvo kernel's
    # working arrays, the groups' room, the blue force and red's per-site state.
    attack = np.empty(units.attack.shape[1], dtype=np.float64)
    stream = np.empty(2, dtype=np.uint64)
    times = np.empty(2, dtype=np.uint64)
    unit_count = units.launchers.size
    most = max(np.int64(rules[WARHEADS]), np.int64(rules[ASBM_PER_STRIKE]))
    for u in range(unit_count):  # no salvo exceeds every loaded missile of the units
        most += units.launchers[u] * units.load[u]
    work = new_salvo_work(most, max(threat.ship_f.shape[1], 1))
    kind_counts = np.zeros(threat.rate_per_day.size, dtype=np.int64)
    room = new_groups(np.int64(16), threat.ship_f.shape[1])
    # When each group was put out of action (dtypes spelled out: numba compiles a separate
    # allocation for an omitted one).
    out_h_room = np.empty(room.kind.size, dtype=np.float64)
    decided_room = np.empty(room.kind.size, dtype=np.bool_)
    cues = new_cues(np.int64(64), threat)
    blue = new_blue(units)
    width = blue.alive.shape[1]
    found_flat = blue.found_at_h.reshape(blue.found_at_h.size)  # a view: reset in place
    found_a = np.empty(found_flat.size, dtype=np.int64)
    found_b = np.empty(found_flat.size, dtype=np.int64)
    # Ships at sea (active red with stations): when red next finds each, its state.
    hunting = rules[ACTIVE] > 0 and rules[SHIP_DETECTION] > 0.0
    if hunting:
        detect_h = np.full(blue.alive.shape, np.inf)
        sea_state = np.zeros((unit_count, width, 4), dtype=np.int64)
        strikes = np.zeros(blue.alive.shape, dtype=np.int64)
    else:  # nothing to hunt
        detect_h = np.empty((0, 1), dtype=np.float64)
        sea_state = np.empty((0, 1, 4), dtype=np.int64)
        strikes = np.empty((0, 1), dtype=np.int64)
    sites = red.site_f.shape[0]
    dispersed = np.zeros(blue.alive.shape, dtype=np.bool_)
    site_state = np.zeros((sites, 4), dtype=np.int64)
    pac_state = np.zeros((sites, 4), dtype=np.int64)
    closed = np.zeros(sites, dtype=np.bool_)
    cf_lost = np.zeros(6, dtype=np.int64)
    shooters = np.zeros(unit_count, dtype=np.bool_)
    counts = np.zeros(2, dtype=np.int64)  # missiles fired, launchers lost firing
    tally = np.zeros(_TALLY_SIZE, dtype=np.int64)
    wanted = np.zeros(unit_count, dtype=np.int64)
    for r in range(reps):
        rep = first_rep + r
        row = out[r]
        reserve = int(rules[RESERVE])
        active = rules[ACTIVE] > 0
        total = arrival_counts(keys, rep, threat, rules[DAYS], stream, kind_counts)
        if total > room.kind.size:
            room = new_groups(max(total, 2 * room.kind.size), threat.ship_f.shape[1])
            out_h_room = np.empty(room.kind.size, dtype=np.float64)
            decided_room = np.empty(room.kind.size, dtype=np.bool_)
        groups = arrivals_into(
            keys, rep, threat, rules[DAYS], kind_counts, total, room, stream, times
        )
        reset_blue(units, blue)
        search(keys, rep, units, blue, rules[HIDDEN_HAZARD], stream)
        cue_count = cues_into(keys, rep, threat, groups, units, rules, stream, cues)
        if cue_count > cues.time_h.size:
            cues = new_cues(max(cue_count, 2 * cues.time_h.size), threat)
            cues_into(keys, rep, threat, groups, units, rules, stream, cues)
        cue_h, cue_group, cue_unit = cues.time_h, cues.group, cues.unit

        # Active red: who dispersed in the warning time; the sites' state; the waves.
        red_left = np.int64(rules[RED_INVENTORY]) if active else np.int64(0)
        per_site = np.int64(rules[WARHEADS])
        if active:
            dispersed[:] = False
            site_state[:] = 0
            pac_state[:] = 0
            closed[:] = False
            for u in range(unit_count):
                for slot in range(units.launchers[u]):
                    if units.truck[u]:
                        seed_stream(stream, keys[DISPERSAL], rep, u, slot)
                        dispersed[u, slot] = (
                            exponential(stream) * rules[DISPERSAL_MEAN] < rules[WARNING_H]
                        )
            for s in range(sites):
                site_state[s, THRESHOLD] = 1
                site_state[s, INVENTORY] = red.site_i[s, 0, 0]
                site_state[s, 3] = UNLIMITED
                pac_state[s, THRESHOLD] = UNLIMITED  # the PAC-3 row only counts leakers
                pac_state[s, INVENTORY] = red.pac_i[s, 0, 0]
                pac_state[s, 3] = UNLIMITED
        red_start = red_left
        # launchers, depot missiles, ships, intercepted, ships lost at sea, anti-ship missiles
        cf_lost[:] = 0
        hunt_h = math.inf
        if hunting:
            detect_h[:] = np.inf
            sea_state[:] = 0
            strikes[:] = 0
            ship_hunt_start(keys, rep, units, red, rules, sea_state, detect_h)
            hunt_h = _soonest(detect_h)[1] if detect_h.size > 0 else math.inf
        wave = np.int64(0)
        wave_h = 0.0 if (active and sites > 0 and red_left > 0) else math.inf
        adapting = rules[ADAPT_FACTOR] < 1.0
        out_h = out_h_room[:total]
        out_h[:] = np.inf
        decided = decided_room[:total]
        decided[:] = False

        found_order = found_a
        if merge_order(found_flat, found_flat.size, found_a, found_b) == 1:
            found_order = found_b
        found_count = 0
        while (
            found_count < found_order.size and found_flat[found_order[found_count]] < rules[HORIZON]
        ):
            found_count += 1

        counts[:] = 0
        tally[:] = 0
        wanted[:] = 0
        salvos = 0
        lost_hidden = 0
        exhausted_h = math.nan
        if unit_count > 0 and _none_can_fire(blue, units, unit_count, reserve):
            exhausted_h = 0.0

        next_cue = 0
        next_found = 0
        while (
            next_cue < cue_count
            or next_found < found_count
            or wave_h < rules[HORIZON]
            or hunt_h < rules[HORIZON]
        ):
            take_found = next_found < found_count and (
                next_cue >= cue_count or found_flat[found_order[next_found]] <= cue_h[next_cue]
            )
            soonest = math.inf
            if next_cue < cue_count:
                soonest = cue_h[next_cue]
            if next_found < found_count:
                soonest = min(soonest, found_flat[found_order[next_found]])
            if wave_h < rules[HORIZON] and wave_h <= soonest and wave_h <= hunt_h:
                t_h = wave_h
                red_left = strike_wave(
                    keys, rep, units, blue, red, site_state, pac_state, closed, wave, red_left,
                    per_site, dispersed, cf_lost, t_h,
                )  # fmt: skip
                wave += 1
                wave_h = wave * rules[WAVE_INTERVAL] if red_left > 0 else math.inf
            elif hunt_h < rules[HORIZON] and hunt_h <= soonest:
                t_h = hunt_h
                flat = _soonest(detect_h)[0]
                u, slot = flat // detect_h.shape[1], flat % detect_h.shape[1]
                red_left = strike_ship(
                    keys, rep, units, blue, red, rules, sea_state, detect_h, strikes, u, slot,
                    t_h, red_left, cf_lost,
                )  # fmt: skip
                hunt_h = _soonest(detect_h)[1]
                if red_left <= 0:
                    wave_h = math.inf
            elif take_found:
                flat = found_order[next_found]
                next_found += 1
                t_h = found_flat[flat]
                u, slot = flat // width, flat % width
                if blue.alive[u, slot]:
                    lost_launcher(blue, u, slot)
                    lost_hidden += 1
            else:
                t_h = cue_h[next_cue]
                g = cue_group[next_cue]
                shooter = cue_unit[next_cue]  # −1: a shared (coordinated) cue
                next_cue += 1
                if adapting and not decided[g]:
                    adapt(keys, rep, groups, g, out_h, rules[ADAPT_FACTOR], stream)
                    decided[g] = True
                if groups.status[g] != EN_ROUTE:
                    continue
                # Phase 4 for every unit the cue reaches — the cued unit, or with a shared
                # (coordinated) cue every unit in range — settled before any salvo; then one
                # salvo per missile system (phases 5-7).
                for u in range(unit_count):
                    wanted[u] = 0
                    if t_h < units.on_station_h[u]:
                        continue  # a ship still sailing to its station
                    if shooter >= 0 and u != shooter:
                        continue
                    if shooter < 0 and not in_range(threat, groups, g, u, t_h):
                        continue
                    complete_reloads(blue, u, t_h)
                    size = salvo_size(threat, units, groups, g, u, rules)
                    wanted[u] = doctrine(blue, u, groups, g, rules, size)
                for system in range(units.attack.shape[0]):
                    missiles = np.int64(0)
                    for u in range(unit_count):
                        if units.system[u] == system:
                            missiles += wanted[u]
                    if missiles == 0:
                        continue
                    if groups.status[g] != EN_ROUTE:
                        break
                    if rules[MAX_SALVOS] >= 0 and groups.salvos[g] >= rules[MAX_SALVOS]:
                        break
                    for u in range(unit_count):
                        shooters[u] = units.system[u] == system and wanted[u] > 0
                    # The firing system's attack factors: as given with passive red; with
                    # active red σ times the firing units' acquisition chance.
                    for column in range(attack.size):
                        attack[column] = units.attack[system, column]
                    if active:
                        weighted, fired = _acquired(threat, groups, g, t_h, rules, shooters, wanted)
                        if fired > 0:
                            attack[SCOUTING] = units.attack[system, SCOUTING] * weighted / fired
                    ship_f = (
                        threat.ship_f_system[system, groups.kind[g]]
                        if active
                        else threat.ship_f[groups.kind[g]]
                    )
                    salvo(keys, rep, threat, groups, g, missiles, attack, ship_f, tally,
                          stream, work)  # fmt: skip
                    if groups.status[g] != EN_ROUTE and math.isinf(out_h[g]):
                        out_h[g] = t_h
                    salvos += 1
                    for u in range(unit_count):
                        if shooters[u]:
                            _fire(keys, rep, units, blue, u, wanted[u], t_h, rules, counts,
                                  stream)  # fmt: skip
            if math.isnan(exhausted_h) and unit_count > 0:
                if _none_can_fire(blue, units, unit_count, reserve):
                    exhausted_h = t_h

        if adapting:  # groups that met no cue: decided now that every loss is known
            for g in range(groups.kind.size):
                if not decided[g]:
                    adapt(keys, rep, groups, g, out_h, rules[ADAPT_FACTOR], stream)
        arrived = 0
        for g in range(groups.kind.size):
            if groups.status[g] != STAYED:
                arrived += 1
        transited = 0
        turned = 0
        all_out = 0
        for g in range(groups.kind.size):
            if groups.status[g] == EN_ROUTE:
                transited += 1
            elif groups.status[g] == TURNED_BACK:
                turned += 1
            elif groups.status[g] == ALL_OUT:
                all_out += 1
        undamaged = 0
        for g in range(groups.kind.size):
            if groups.status[g] == EN_ROUTE:
                hit = 0
                for s in range(threat.ships[groups.kind[g]]):
                    hit += groups.state[g, s, HITS]
                if hit == 0:
                    undamaged += 1
        row[C_OUT] = out_of_action(threat, groups, np.int64(-1))
        row[C_COMBATANTS] = out_of_action(threat, groups, np.int64(0))
        row[C_AUXILIARIES] = out_of_action(threat, groups, np.int64(1))
        row[C_UNDAMAGED] = undamaged / arrived if arrived > 0 else math.nan
        row[C_LOST_CF] = cf_lost[0]
        row[C_LOST_DEPOTS] = cf_lost[1]
        row[C_SHIPS_LOST] = cf_lost[2]
        row[C_RED_FIRED] = red_start - red_left - cf_lost[5]
        row[C_RED_INTERCEPTED] = cf_lost[3]
        row[C_SHIPS_LOST_AT_SEA] = cf_lost[4]
        row[C_RED_ANTISHIP] = cf_lost[5]
        row[C_FRACTION] = transited / arrived if arrived > 0 else math.nan
        row[C_FIRED] = counts[0]
        row[C_LOST] = counts[1] + lost_hidden + cf_lost[0]
        row[C_ARRIVED] = arrived
        row[C_TRANSITED] = transited
        row[C_TURNED] = turned
        row[C_ALL_OUT] = all_out
        row[C_SALVOS] = salvos
        row[C_LOST_FIRING] = counts[1]
        row[C_LOST_HIDDEN] = lost_hidden
        row[C_HITS] = tally[_T_HITS]
        row[C_INTERCEPTED] = tally[_T_AREA] + tally[_T_POINT]
        if unit_count == 0:
            row[C_EXHAUSTED_DAY] = math.nan
            row[C_EXHAUSTED] = 0
        elif math.isnan(exhausted_h):
            row[C_EXHAUSTED_DAY] = rules[HORIZON] / 24.0  # censored at the horizon
            row[C_EXHAUSTED] = 0
        else:
            row[C_EXHAUSTED_DAY] = exhausted_h / 24.0
            row[C_EXHAUSTED] = 1
    return out
