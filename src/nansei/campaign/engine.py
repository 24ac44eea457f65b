"""The campaign engine, vectorised across replications (MODEL.md §5).

One replication of a campaign, step by step (``time_step_h`` hours a step):

1. **Arrivals.** Each threat group kind arrives as a Poisson process at
   ``arrivals_per_day`` over ``days``: the count is Poisson(rate · days) and, given the
   count, the arrival times are independent and uniform (the order-statistics property
   of the Poisson process). A group sails its geodesic track at constant speed and has
   transited when it reaches the destination. The run continues past ``days`` until the
   last group that arrived could have finished.
2. **Opportunities.** A group that is somewhere within a unit's range during the step
   gives that unit an opportunity. Each unit considers one group per step (the earliest
   arrival among those in reach) and fires at most one salvo per step.
3. **Cueing.** ``independent``: each unit with an opportunity gets a firing-quality
   track with probability ``p_cue``. ``coordinated``: one cue per group per step is
   shared by every unit that has the group in reach, and those units fire together,
   one combined salvo per missile system (a time-on-target salvo).
4. **Doctrine.** A cued unit fires ``min(salvo_size, ready, stock − reserve)`` missiles
   (ready: loaded on live launchers; stock: ready + reloading + depot), unless the group
   already took ``max_salvos_per_group`` salvos.
5. **Salvo.** Each salvo is adjudicated by the stochastic salvo engine
   (:mod:`nansei.combat`) against the group's defences, whose state (ships out of
   action, hits taken, interceptors left) carries from salvo to salvo. A group whose
   share of ships out of action reaches ``turn_back_at`` abandons the transit (it is no
   longer a target); a group with every ship out of action has not transited.
6. **Exposure.** Missiles are drawn from a unit's launchers in order; every launcher
   that fired is exposed to counter-battery fire and lost with the shoot-and-scoot
   probability of :mod:`nansei.survival` (truck launchers; fixed sites cannot scoot, so
   their loss is ``p_kill``; ships are not exposed to this land-attack kill chain).
7. **Magazines.** A launcher that empties draws up to one load from its unit's depot
   and is ready ``survival.reload_h`` hours later; a launcher lost takes its loaded and
   reloading missiles with it.
8. **Search.** Truck launchers of units that reach the threat are hunted while hidden:
   each is found and killed after an exponential time with rate
   ``search_rate_per_day / (1 + decoys_per_launcher)`` (Koopman random search with
   decoy dilution; :func:`nansei.survival.p_hidden_survives`).

Units whose range reaches no threat track take no part: they neither fire nor are
hunted, and they do not count towards magazine exhaustion.

Per replication the engine records the metrics in :data:`COLUMNS`. A run is aleatory
only: catalog parameters take their ``value`` (plus scenario and ``--set`` overrides);
epistemic uncertainty over ``[low, high]`` is the sensitivity layer's job (MODEL.md §6).

Random streams: replications are cut into chunks of :data:`CHUNK_REPS`; chunk ``c`` uses
``SeedSequence(entropy=(seed, int(scenario_hash, 16)), spawn_key=(c,))``, so results do
not depend on how chunks are spread over workers. Pure: no files, no printing; progress
is reported through a callback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from nansei.campaign.salvo import GroupSalvo, attack_for
from nansei.campaign.setup import CampaignSetup
from nansei.survival import sample_firing_losses

__all__ = [
    "CHUNK_REPS",
    "COLUMNS",
    "METRICS",
    "chunk_rng",
    "run_chunk",
    "run_replications",
    "sample_arrivals_h",
]

#: Replications per chunk: the unit of seeding and of work for a worker. Fixed, so
#: results never depend on the worker count.
CHUNK_REPS = 1000

#: The headline metrics (the JSON contract), in order.
METRICS = (
    "red_ships_out_of_action",
    "groups_transited_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "magazine_exhausted_day",
)

#: Every per-replication column the engine returns.
COLUMNS = (
    *METRICS,
    "groups_arrived",
    "groups_transited",
    "groups_turned_back",
    "groups_all_out",
    "blue_salvos",
    "blue_launchers_lost_firing",
    "blue_launchers_lost_hidden",
    "magazine_exhausted",
)

# Group status codes.
WAITING, EN_ROUTE, TRANSITED, TURNED_BACK, ALL_OUT = 0, 1, 2, 3, 4

# Float comparisons of times in hours: steps are multiples of time_step_h; this slack
# keeps k·dt from missing an event at exactly k·dt through rounding.
_EPS_H = 1e-9


def chunk_rng(setup: CampaignSetup, seed: int, chunk_index: int) -> np.random.Generator:
    """The random stream of one chunk, keyed by seed, scenario hash and chunk index."""
    sequence = np.random.SeedSequence(
        entropy=(int(seed), int(setup.scenario_hash, 16)), spawn_key=(int(chunk_index),)
    )
    return np.random.Generator(np.random.PCG64(sequence))


def engaged_units(setup: CampaignSetup) -> list[int]:
    """Indices of the units whose range reaches some stretch of some threat track."""
    return [
        index
        for index in range(len(setup.units))
        if any(group.in_range[index].any() for group in setup.groups)
    ]


@dataclass
class _GroupKind:
    """Per-chunk state of one kind of threat group: slots (R, M), ships (R·M, S)."""

    salvo: GroupSalvo
    arrival_h: np.ndarray  # (R, M), inf for empty slots
    status: np.ndarray  # (R, M) int8
    salvos: np.ndarray  # (R, M) salvos taken
    ships: int
    slots: int
    speed_kmh: float
    length_km: float
    track_km: np.ndarray
    reach_counts: np.ndarray  # (U_engaged, points + 1)
    turn_back_at: float | None
    state: object  # the combat engine's group state over R·M rows


class _Blue:
    """Per-chunk state of the engaged units: launchers (R, U, L) and depots (R, U)."""

    def __init__(self, setup: CampaignSetup, unit_ids: list[int], reps: int):
        units = [setup.units[i] for i in unit_ids]
        self.count = len(units)
        self.width = max((u.launchers for u in units), default=0)
        launchers = np.array([u.launchers for u in units], dtype=np.int64)
        self.load = np.array([u.missiles_per_launcher for u in units], dtype=np.int64)
        exists = np.arange(self.width)[None, :] < launchers[:, None]  # (U, L)
        shape = (reps, self.count, self.width)
        self.alive = np.broadcast_to(exists, shape).copy()
        self.ready = np.where(self.alive, self.load[None, :, None], 0).astype(np.int64)
        self.pending = np.zeros(shape, dtype=np.int64)
        self.depot = np.broadcast_to(
            np.array([u.reload_stock for u in units], dtype=np.int64), (reps, self.count)
        ).copy()
        # Running per-unit totals, kept in step with the launcher arrays.
        self.ready_total = self.ready.sum(axis=2)
        self.stock_total = self.ready_total + self.depot
        self.alive_total = self.alive.sum(axis=2)
        platform = np.array([u.platform for u in units])
        self.truck = platform == "truck"
        self.fixed = platform == "fixed"
        self.system = [u.system for u in units]

    def kill(self, r: np.ndarray, u: np.ndarray, slot: np.ndarray) -> None:
        """Launchers (r, u, slot) are lost with their loaded and reloading missiles."""
        live = self.alive[r, u, slot]
        r, u, slot = r[live], u[live], slot[live]
        lost_missiles = self.ready[r, u, slot] + self.pending[r, u, slot]
        np.subtract.at(self.ready_total, (r, u), self.ready[r, u, slot])
        np.subtract.at(self.stock_total, (r, u), lost_missiles)
        np.subtract.at(self.alive_total, (r, u), 1)
        self.alive[r, u, slot] = False
        self.ready[r, u, slot] = 0
        self.pending[r, u, slot] = 0


def sample_arrivals_h(
    rng: np.random.Generator, per_day: float, days: float, reps: int
) -> np.ndarray:
    """Poisson arrivals over ``days``: (reps, slots) times in hours, sorted, ``inf`` padded.

    The count is Poisson(per_day · days); given the count, the times are independent
    and uniform on the window (the order-statistics property of the Poisson process).
    """
    counts = rng.poisson(per_day * days, reps)
    slots = int(counts.max()) if reps else 0
    arrival = rng.random((reps, slots)) * (days * 24.0)
    # Empty slots first, then sort: the arrivals of a replication stay uniform on the
    # window (sorting first would keep only the earliest of `slots` draws).
    arrival[np.arange(slots)[None, :] >= counts[:, None]] = np.inf
    arrival.sort(axis=1)
    return arrival


def _new_groups(setup, unit_ids, reps, rng) -> list[_GroupKind]:
    kinds = []
    for group in setup.groups:
        arrival = sample_arrivals_h(rng, group.arrivals_per_day, setup.days, reps)
        slots = arrival.shape[1]
        salvo = GroupSalvo(setup.catalog, group.class_ids)
        kinds.append(
            _GroupKind(
                salvo=salvo,
                arrival_h=arrival,
                status=np.zeros((reps, slots), dtype=np.int8),
                salvos=np.zeros((reps, slots), dtype=np.int64),
                ships=group.ships,
                slots=slots,
                speed_kmh=group.speed_kmh,
                length_km=group.length_km,
                track_km=group.track_km,
                reach_counts=group.reach_counts()[unit_ids],
                turn_back_at=group.turn_back_at,
                state=salvo.initial_state(rng, reps * slots),
            )
        )
    return kinds


def run_chunk(setup: CampaignSetup, reps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Run ``reps`` replications with one random stream; per-replication columns."""
    dt = setup.time_step_h
    doctrine = setup.doctrine
    survival = setup.survival
    unit_ids = engaged_units(setup)
    blue = _Blue(setup, unit_ids, reps)
    attacks = {system: attack_for(setup.catalog, system) for system in set(blue.system)}
    kinds = _new_groups(setup, unit_ids, reps, rng)
    max_salvos = doctrine.max_salvos_per_group
    reserve = doctrine.reserve_missiles
    steps = setup.steps
    reload_steps = max(1, math.ceil(survival.reload_h / dt - _EPS_H))

    # Hidden-launcher search: each hunted launcher's time to be found is exponential;
    # it is lost at the end of the step in which that time falls.
    hazard_per_h = survival.hidden_hazard_per_day / 24.0
    hunted = blue.alive & blue.truck[None, :, None]
    if hazard_per_h > 0 and hunted.any():
        found_h = rng.exponential(1.0 / hazard_per_h, size=hunted.shape)
        found_step = np.where(hunted, np.floor(found_h / dt), np.inf)
    else:
        found_step = np.full(hunted.shape, np.inf)
    hidden_events = _bucket(found_step, steps)
    reload_events: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    fired = np.zeros(reps, dtype=np.int64)
    salvos_fired = np.zeros(reps, dtype=np.int64)
    lost_firing = np.zeros(reps, dtype=np.int64)
    lost_hidden = np.zeros(reps, dtype=np.int64)
    exhausted_day = np.full(reps, np.nan)
    can_fire_ever = (blue.alive_total > 0) & (blue.stock_total > reserve)
    if blue.count:
        exhausted_day[~can_fire_ever.any(axis=1)] = 0.0

    for step in range(steps):
        t = step * dt
        # -- reloads that are done ------------------------------------------------------
        for r, u, slot in reload_events.pop(step, []):
            live = blue.alive[r, u, slot]
            r, u, slot = r[live], u[live], slot[live]
            np.add.at(blue.ready_total, (r, u), blue.pending[r, u, slot])
            blue.ready[r, u, slot] += blue.pending[r, u, slot]
            blue.pending[r, u, slot] = 0

        # -- groups move ------------------------------------------------------------------
        pairs = []  # per kind: (rows r, slots m, arrival, in-reach (P, U))
        for kind in kinds:
            arrived = (kind.status == WAITING) & (kind.arrival_h < t + dt)
            kind.status[arrived] = EN_ROUTE
            done = (kind.status == EN_ROUTE) & (
                (t - kind.arrival_h) * kind.speed_kmh >= kind.length_km - _EPS_H
            )
            kind.status[done] = TRANSITED
            r, m = np.nonzero(kind.status == EN_ROUTE)
            if r.size == 0 or blue.count == 0:
                pairs.append(None)
                continue
            t0 = kind.arrival_h[r, m]
            start_km = np.maximum(0.0, (t - t0) * kind.speed_kmh)
            end_km = np.minimum(kind.length_km, (t + dt - t0) * kind.speed_kmh)
            first = np.searchsorted(kind.track_km, start_km, side="right") - 1
            last = np.searchsorted(kind.track_km, end_km, side="left")
            last = np.minimum(last, kind.track_km.size - 1)
            in_reach = (kind.reach_counts[:, last + 1] - kind.reach_counts[:, first]) > 0
            pairs.append((r, m, t0, in_reach.T))

        if any(p is not None for p in pairs):
            _fire(
                setup, blue, kinds, pairs, attacks, rng, t, step, reload_steps, reload_events,
                fired, salvos_fired, lost_firing, max_salvos, reserve,
            )  # fmt: skip

        # -- hidden launchers found during the step -----------------------------------------
        for r, u, slot in hidden_events.pop(step, []):
            live = blue.alive[r, u, slot]
            np.add.at(lost_hidden, r[live], 1)
            blue.kill(r, u, slot)

        # -- magazines ----------------------------------------------------------------------
        if blue.count:
            can_fire = ((blue.alive_total > 0) & (blue.stock_total > reserve)).any(axis=1)
            newly = ~can_fire & np.isnan(exhausted_day)
            exhausted_day[newly] = (t + dt) / 24.0

    return _collect(setup, blue, kinds, fired, salvos_fired, lost_firing, lost_hidden,
                    exhausted_day, reps)  # fmt: skip


def _bucket(event_step: np.ndarray, steps: int) -> dict[int, list[tuple]]:
    """Index triples (r, u, slot) grouped by the step at which their event falls."""
    r, u, slot = np.nonzero(event_step < steps)
    if r.size == 0:
        return {}
    when = event_step[r, u, slot].astype(np.int64)
    order = np.argsort(when, kind="stable")
    r, u, slot, when = r[order], u[order], slot[order], when[order]
    cuts = np.flatnonzero(np.diff(when)) + 1
    return {
        int(w[0]): [(rr, uu, ss)]
        for w, rr, uu, ss in zip(
            np.split(when, cuts),
            np.split(r, cuts),
            np.split(u, cuts),
            np.split(slot, cuts),
            strict=True,
        )
    }


def _fire(
    setup, blue, kinds, pairs, attacks, rng, t, step, reload_steps, reload_events,
    fired, salvos_fired, lost_firing, max_salvos, reserve,
) -> None:  # fmt: skip
    """Opportunities, cues, salvos, exposure and reload starts for one step."""
    # All en-route groups of all kinds as one list of pairs, earliest arrival first per rep.
    kind_of = np.concatenate([np.full(p[0].size, k) for k, p in enumerate(pairs) if p])
    rep_of = np.concatenate([p[0] for p in pairs if p])
    slot_of = np.concatenate([p[1] for p in pairs if p])
    arrival_of = np.concatenate([p[2] for p in pairs if p])
    reach = np.concatenate([p[3] for p in pairs if p], axis=0)  # (P, U)
    order = np.lexsort((arrival_of, rep_of))
    kind_of, rep_of, slot_of, reach = kind_of[order], rep_of[order], slot_of[order], reach[order]
    n_pairs = rep_of.size

    # Each unit's target this step: the first pair of its replication that it reaches.
    targets = []  # per unit: (reps, pair index)
    for u in range(blue.count):
        candidates = np.flatnonzero(reach[:, u])
        reps_u, first = np.unique(rep_of[candidates], return_index=True)
        targets.append((reps_u, candidates[first]))

    salvo_size = setup.doctrine.salvo_size
    coordinated = setup.doctrine.coordination == "coordinated"
    pair_cued = rng.random(n_pairs) < setup.p_cue if coordinated else None

    # Who would fire, and how many missiles, before salvos are adjudicated.
    shooters = []  # per unit: (reps, pair, missiles)
    for u, (reps_u, pair) in enumerate(targets):
        if reps_u.size == 0:
            shooters.append(None)
            continue
        available = np.minimum(blue.ready_total[reps_u, u], blue.stock_total[reps_u, u] - reserve)
        missiles = np.clip(np.minimum(available, salvo_size), 0, None)
        cued = pair_cued[pair] if coordinated else rng.random(reps_u.size) < setup.p_cue
        keep = cued & (missiles > 0)
        shooters.append((reps_u[keep], pair[keep], missiles[keep]))

    def open_pairs(pair: np.ndarray) -> np.ndarray:
        """Pairs still en route and under the salvo cap (earlier waves may have changed it)."""
        ok = np.ones(pair.size, dtype=bool)
        for k, kind in enumerate(kinds):
            mine = kind_of[pair] == k
            if not mine.any():
                continue
            r, m = rep_of[pair[mine]], slot_of[pair[mine]]
            status_ok = kind.status[r, m] == EN_ROUTE
            cap_ok = True if max_salvos is None else kind.salvos[r, m] < max_salvos
            ok[mine] = status_ok & cap_ok
        return ok

    if coordinated:
        waves = []
        for system in dict.fromkeys(blue.system):  # systems in unit order
            units = [u for u in range(blue.count) if blue.system[u] == system and shooters[u]]
            waves.append((system, units))
    else:
        waves = [(blue.system[u], [u]) for u in range(blue.count) if shooters[u]]

    for system, units in waves:
        missiles_at = np.zeros(n_pairs, dtype=np.int64)
        for u in units:
            _, pair, missiles = shooters[u]
            np.add.at(missiles_at, pair, missiles)
        candidates = np.flatnonzero(missiles_at > 0)
        engaged = candidates[open_pairs(candidates)]
        if engaged.size == 0:
            continue
        is_engaged = np.zeros(n_pairs, dtype=bool)
        is_engaged[engaged] = True
        for k, kind in enumerate(kinds):
            mine = engaged[kind_of[engaged] == k]
            if mine.size == 0:
                continue
            r, m = rep_of[mine], slot_of[mine]
            rows = r * kind.slots + m
            kind.salvo.engage(rng, kind.state, rows, missiles_at[mine], attacks[system])
            kind.salvos[r, m] += 1
            out = kind.ships - kind.salvo.ships_alive(kind.state, rows)
            all_out = out >= kind.ships
            kind.status[r[all_out], m[all_out]] = ALL_OUT
            if kind.turn_back_at is not None:
                # At least one ship out, and the share out reaches the threshold.
                share_reached = out >= kind.turn_back_at * kind.ships - 1e-12
                back = ~all_out & (out > 0) & share_reached
                kind.status[r[back], m[back]] = TURNED_BACK
        np.add.at(salvos_fired, rep_of[engaged], 1)
        for u in units:
            reps_u, pair, missiles = shooters[u]
            go = is_engaged[pair]
            _launch(setup, blue, u, reps_u[go], missiles[go], rng, t, step, reload_steps,
                    reload_events, fired, lost_firing)  # fmt: skip


def _launch(
    setup, blue, u, reps_u, missiles, rng, t, step, reload_steps, reload_events, fired,
    lost_firing,
) -> None:  # fmt: skip
    """Unit ``u`` fires ``missiles`` in replications ``reps_u``: draw from launchers in
    order, expose those that fired, start reloads for those that emptied."""
    if reps_u.size == 0:
        return
    ready = blue.ready[reps_u, u, :]  # (B, L) copy
    before = np.cumsum(ready, axis=1) - ready
    take = np.clip(missiles[:, None] - before, 0, ready)
    ready -= take
    blue.ready[reps_u, u, :] = ready
    blue.ready_total[reps_u, u] -= missiles
    blue.stock_total[reps_u, u] -= missiles
    np.add.at(fired, reps_u, missiles)

    # Exposure of the launchers that fired.
    exposed_r, exposed_slot = np.nonzero(take > 0)
    survival = setup.survival
    if exposed_r.size and (blue.truck[u] or blue.fixed[u]):
        if blue.truck[u]:
            lost = sample_firing_losses(
                rng, exposed_r.size, survival.p_detect, survival.kill_chain_median_h,
                survival.kill_chain_sigma, survival.dwell_h, survival.p_kill,
            )  # fmt: skip
        else:
            lost = rng.random(exposed_r.size) < survival.p_kill
        rows = reps_u[exposed_r[lost]]
        slots = exposed_slot[lost]
        np.add.at(lost_firing, rows, 1)
        blue.kill(rows, np.full(rows.size, u), slots)

    # Reloads: launchers now empty and alive draw one load each, in launcher order.
    empty = blue.alive[reps_u, u, :] & (blue.ready[reps_u, u, :] == 0)
    empty &= blue.pending[reps_u, u, :] == 0
    if not empty.any():
        return
    need = np.where(empty, blue.load[u], 0)
    depot = blue.depot[reps_u, u]
    before = np.cumsum(need, axis=1) - need
    grant = np.clip(depot[:, None] - before, 0, need)
    if not grant.any():
        return
    blue.pending[reps_u, u, :] += grant
    blue.depot[reps_u, u] -= grant.sum(axis=1)
    gr, gslot = np.nonzero(grant > 0)
    reload_events.setdefault(step + reload_steps, []).append(
        (reps_u[gr], np.full(gr.size, u), gslot)
    )


def _collect(setup, blue, kinds, fired, salvos_fired, lost_firing, lost_hidden, exhausted_day,
             reps) -> dict[str, np.ndarray]:  # fmt: skip
    out_of_action = np.zeros(reps, dtype=np.int64)
    arrived = np.zeros(reps, dtype=np.int64)
    transited = np.zeros(reps, dtype=np.int64)
    turned_back = np.zeros(reps, dtype=np.int64)
    all_out = np.zeros(reps, dtype=np.int64)
    for kind in kinds:
        if kind.slots == 0:
            continue
        came = kind.status != WAITING
        alive = kind.salvo.ships_alive(kind.state, np.arange(reps * kind.slots))
        out = (kind.ships - alive).reshape(reps, kind.slots)
        out_of_action += np.where(came, out, 0).sum(axis=1)
        arrived += came.sum(axis=1)
        transited += (kind.status == TRANSITED).sum(axis=1)
        turned_back += (kind.status == TURNED_BACK).sum(axis=1)
        all_out += (kind.status == ALL_OUT).sum(axis=1)
    if np.any([(kind.status == EN_ROUTE).any() for kind in kinds]):
        raise AssertionError("a group was still en route at the horizon")  # a bug, never data
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(arrived > 0, transited / np.maximum(arrived, 1), np.nan)
    exhausted = np.isfinite(exhausted_day)
    horizon_day = setup.steps * setup.time_step_h / 24.0
    censored_day = np.where(exhausted, exhausted_day, horizon_day if blue.count else np.nan)
    return {
        "red_ships_out_of_action": out_of_action,
        "groups_transited_fraction": fraction,
        "blue_missiles_fired": fired,
        "blue_launchers_lost": lost_firing + lost_hidden,
        "magazine_exhausted_day": censored_day,
        "groups_arrived": arrived,
        "groups_transited": transited,
        "groups_turned_back": turned_back,
        "groups_all_out": all_out,
        "blue_salvos": salvos_fired,
        "blue_launchers_lost_firing": lost_firing,
        "blue_launchers_lost_hidden": lost_hidden,
        "magazine_exhausted": exhausted,
    }


def _chunk_job(args) -> dict[str, np.ndarray]:
    setup, seed, chunk_index, reps = args
    return run_chunk(setup, reps, chunk_rng(setup, seed, chunk_index))


def run_replications(
    setup: CampaignSetup,
    replications: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """All replications, chunk by chunk; ``progress(n)`` after each chunk of ``n`` reps.

    ``workers > 1`` runs chunks in that many processes; the numbers are identical.
    """
    jobs = [
        (setup, seed, index, min(CHUNK_REPS, replications - start))
        for index, start in enumerate(range(0, replications, CHUNK_REPS))
    ]
    parts: list[dict[str, np.ndarray]] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, part in zip(jobs, pool.map(_chunk_job, jobs), strict=True):
                parts.append(part)
                if progress:
                    progress(job[3])
    else:
        for job in jobs:
            parts.append(_chunk_job(job))
            if progress:
                progress(job[3])
    return {name: np.concatenate([part[name] for part in parts]) for name in COLUMNS}
