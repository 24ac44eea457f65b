"""The campaign engine's driver: setup → compiled tables → replications in chunks.

The model — eight phases in continuous time — is described in
:mod:`nansei.campaign.phases` and docs/model.md ("Campaign"); the compiled loop is
:mod:`nansei.campaign.kernels`; :mod:`nansei.campaign.reference` is the same model in
plain Python, the test oracle.

Random streams depend only on the run's seed, the purpose and the thing drawn for
(replication index, group, unit, salvo ordinal) — see :mod:`nansei.streams` — never on
parameter values, overrides or the posture year, and not on how replications are cut
into chunks or spread over workers: ``workers`` 1, 2 or 4 give identical numbers.
Pure: no files, no printing; progress is reported through a callback. (With an empty
compile cache the first chunk compiles with a helper process alongside,
:mod:`nansei.campaign.warm`: the same code and numbers, sooner.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from nansei.campaign.kernels import COLUMNS, run_chunk
from nansei.campaign.phases import RULES, RedTable, ThreatTable, UnitTable, out_per_missile
from nansei.campaign.setup import ACQUISITION_SPACING_KM, CampaignSetup
from nansei.campaign.warm import compile_here_first, compiling_alongside
from nansei.combat.kernels import (
    AREA_CHANNELS,
    AREA_P,
    AREA_SHOTS,
    POINT_P,
    SHIP_FLOAT_COLUMNS,
    SHIP_INT_COLUMNS,
    STAYING,
    pack_attack,
    pack_fleet,
)
from nansei.streams import PURPOSES, new_stream, purpose_key

__all__ = [
    "CHUNK_REPS",
    "COLUMNS",
    "INTEGER_COLUMNS",
    "METRICS",
    "AUTO_SALVO_SIZES",
    "auto_salvo_table",
    "compile_tables",
    "engaged_units",
    "run_replications",
    "stream_keys",
]

#: Replications per chunk: the unit of work for a worker and of progress reports.
CHUNK_REPS = 1000

#: The headline metrics (the JSON contract), in order.
METRICS = (
    "red_ships_out_of_action",
    "groups_transited_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "magazine_exhausted_day",
    "red_combatants_out_of_action",
    "red_auxiliaries_out_of_action",
    "groups_transited_undamaged_fraction",
    "blue_launchers_lost_counterforce",
    "blue_missiles_lost_in_depots",
    "blue_ships_lost",
)

#: Columns that are counts (the rest are fractions, days or flags).
INTEGER_COLUMNS = frozenset(COLUMNS) - {
    "groups_transited_fraction",
    "groups_transited_undamaged_fraction",
    "magazine_exhausted_day",
    "magazine_exhausted",
}

_PLATFORM_CODES = ("truck", "fixed", "ship")


def engaged_units(setup: CampaignSetup) -> list[int]:
    """Indices of the units whose range reaches some stretch of some threat track."""
    return setup.engaged()


def stream_keys(seed: int) -> np.ndarray:
    """The run's key per purpose (index = purpose number, :data:`nansei.streams.PURPOSES`)."""
    # A copy of the kept keys: a study runs thousands of points with one seed, and a
    # read-only array would be another type, compiled again, for the kernels.
    return _stream_keys(int(seed)).copy()


@functools.lru_cache(maxsize=64)
def _stream_keys(seed: int) -> np.ndarray:
    keys = np.zeros(max(PURPOSES.values()) + 1, dtype=np.uint64)
    for name, number in PURPOSES.items():
        keys[number] = purpose_key(seed, name)
    keys.flags.writeable = False
    return keys


def _merge(stretches: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The union of stretches along a track, as sorted disjoint stretches."""
    merged: list[list[float]] = []
    for begin, end in sorted(stretches):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return [(begin, end) for begin, end in merged]


def compile_tables(
    setup: CampaignSetup,
) -> tuple[UnitTable, ThreatTable, RedTable, np.ndarray]:
    """The setup as the compiled engine's arrays: units, threat, red, rules.

    The units are the engaged ones (passive red) or, with active red, the engaged ones
    and every ship unit (:meth:`CampaignSetup.targets`), in posture order, so a unit
    keeps its place, and its random streams, whichever units join it."""
    engaged_set = set(setup.engaged())
    targets = setup.targets()
    units = [setup.units[i] for i in targets]
    site_ids = sorted({u.site or f"@{u.id}" for u in units}) if setup.red is not None else []
    unit_table = UnitTable(
        launchers=np.array([u.launchers for u in units], dtype=np.int64),
        load=np.array([u.missiles_per_launcher for u in units], dtype=np.int64),
        depot=np.array([u.reload_stock for u in units], dtype=np.int64),
        truck=np.array([u.platform == "truck" for u in units], dtype=np.bool_),
        fixed=np.array([u.platform == "fixed" for u in units], dtype=np.bool_),
        system=np.array([u.system_index for u in units], dtype=np.int64),
        attack=np.array([s.attack for s in setup.systems], dtype=np.float64).reshape(-1, 4),
        engages=np.array([i in engaged_set for i in targets], dtype=np.bool_),
        site=np.array(
            [site_ids.index(u.site or f"@{u.id}") if site_ids else -1 for u in units],
            dtype=np.int64,
        ),
        ship=np.array([u.platform == "ship" for u in units], dtype=np.bool_),
        depart_h=np.array([u.depart_h for u in units], dtype=np.float64),
        on_station_h=np.array([u.on_station_h for u in units], dtype=np.float64),
    )

    groups = setup.groups
    kinds = len(groups)
    width = max([1] + [len(g.stretches_km[i]) for g in groups for i in targets])
    stretches = np.zeros((kinds, len(units), width, 2))
    stretch_count = np.zeros((kinds, len(units)), dtype=np.int64)
    unions = [_merge([s for i in engaged_set for s in g.stretches_km[i]]) for g in groups]
    union = np.zeros((kinds, max([1] + [len(u) for u in unions]), 2))
    union_count = np.array([len(u) for u in unions], dtype=np.int64)
    for k, group in enumerate(groups):
        for j, i in enumerate(targets):
            if i not in engaged_set:
                continue  # in the run as a counter-force target only: never cued
            for w, (begin, end) in enumerate(group.stretches_km[i]):
                stretches[k, j, w] = begin, end
            stretch_count[k, j] = len(group.stretches_km[i])
        for w, (begin, end) in enumerate(unions[k]):
            union[k, w] = begin, end
    max_ships = max([1] + [g.ships for g in groups])
    ship_f = np.zeros((kinds, max_ships, groups[0].ship_f.shape[1] if groups else 9))
    ship_i = np.zeros((kinds, max_ships, groups[0].ship_i.shape[1] if groups else 5), np.int64)
    fleet = np.zeros((kinds, 2))
    auxiliary = np.zeros((kinds, max_ships), dtype=np.bool_)
    for k, group in enumerate(groups):
        ship_f[k, : group.ships] = group.ship_f
        ship_i[k, : group.ships] = group.ship_i
        fleet[k] = group.fleet
        auxiliary[k, : group.ships] = group.auxiliary or False
    active = setup.red is not None
    # The ships' defences against each system: kill probabilities times its factor.
    ship_f_system = np.zeros((len(setup.systems) if active else 0, *ship_f.shape))
    for index, system in enumerate(setup.systems if active else ()):
        ship_f_system[index] = ship_f
        ship_f_system[index, :, :, AREA_P] *= system.defence_factor
        ship_f_system[index, :, :, POINT_P] *= system.defence_factor
    stations = max([1] + [a.size for g in groups for a in g.acquisition])
    acquisition = np.ones((kinds, len(units) if active else 0, stations))
    for k, group in enumerate(groups if active else ()):
        for j, i in enumerate(targets):
            table = group.acquisition[i]
            acquisition[k, j, : table.size] = table
            acquisition[k, j, table.size :] = table[-1]
    threat = ThreatTable(
        rate_per_day=np.array([g.arrivals_per_day for g in groups], dtype=np.float64),
        speed_kmh=np.array([g.speed_kmh for g in groups], dtype=np.float64),
        length_km=np.array([g.length_km for g in groups], dtype=np.float64),
        turn_back=np.array(
            [-1.0 if g.turn_back_at is None else g.turn_back_at for g in groups], np.float64
        ),
        ships=np.array([g.ships for g in groups], dtype=np.int64),
        ship_f=ship_f,
        ship_i=ship_i,
        fleet=fleet,
        stretches=stretches,
        stretch_count=stretch_count,
        union=union,
        union_count=union_count,
        auxiliary=auxiliary,
        acquisition=acquisition,
        ship_f_system=ship_f_system,
        auto_salvo=auto_salvo_table(setup, ship_f, ship_i, fleet, ship_f_system)
        if setup.doctrine.salvo_size == "auto"
        else np.zeros((kinds, len(setup.systems)), dtype=np.int64),
    )
    red = _red_table(setup, site_ids, units)

    doctrine = setup.doctrine
    survival = setup.survival
    values = {
        "days": setup.days,
        "horizon_h": setup.horizon_h,
        "cue_rate_per_h": setup.cue_rate_per_h,
        "salvo_size": -1.0 if doctrine.salvo_size == "auto" else doctrine.salvo_size,
        "coordinated": 1.0 if doctrine.coordination == "coordinated" else 0.0,
        "max_salvos": -1.0
        if doctrine.max_salvos_per_group is None
        else doctrine.max_salvos_per_group,
        "reserve": doctrine.reserve_missiles,
        "p_detect": survival.p_detect,
        "kill_chain_median_h": survival.kill_chain_median_h,
        "kill_chain_sigma": survival.kill_chain_sigma,
        "dwell_h": survival.dwell_h,
        "p_kill": survival.p_kill,
        "hidden_hazard_per_h": survival.hidden_hazard_per_day / 24.0,
        "reload_h": survival.reload_h,
        "active_red": 1.0 if active else 0.0,
        "warning_h": setup.red.warning_h if active else 0.0,
        "red_inventory": setup.red.inventory if active else 0.0,
        "warheads_per_site": setup.red.warheads_per_site if active else 0.0,
        "wave_interval_h": setup.red.wave_interval_h if active else 0.0,
        "dispersal_mean_h": setup.red.dispersal_mean_h if active else 0.0,
        "acquisition_spacing_km": ACQUISITION_SPACING_KM,
        "arrivals_factor_per_loss": setup.scenario.red.arrivals_factor_per_loss,
        "ship_detection_rate_per_h": setup.red.ship_detection_rate_per_h if active else 0.0,
        "asbm_per_strike": setup.red.asbm_per_strike if active else 0.0,
    }
    rules = np.array([float(values[name]) for name in RULES], dtype=np.float64)
    return unit_table, threat, red, rules


def _red_table(setup: CampaignSetup, site_ids: list[str], units: list) -> RedTable:
    """Each struck site as a one-"ship" fleet for the salvo kernel: staying power one
    hit (a site is closed at its first hit), its island air defence as an area layer
    (channels, kill probability per shot, shots per warhead, interceptors); and red's
    attack (reliability, σ = 1 at a known fixed site, p_hit = p_kill per warhead).
    A site with PAC-3 has a second row, its PAC-3 layer, met first: red's warheads fly
    at it with ``p_hit`` 1, so its "hits" are the warheads that leaked through, which
    then meet the Chu-SAM row with reliability 1. Ships at sea: each ship unit's class
    defences (one row) and red's anti-ship ballistic missile (σ 1: it fires on a
    firing-quality detection)."""
    count = len(site_ids)
    site_f = np.zeros((count, 1, len(SHIP_FLOAT_COLUMNS)))
    site_i = np.zeros((count, 1, len(SHIP_INT_COLUMNS)), dtype=np.int64)
    site_fleet = np.zeros((count, 2))
    pac_f = np.zeros((count, 1, len(SHIP_FLOAT_COLUMNS)))
    pac_i = np.zeros((count, 1, len(SHIP_INT_COLUMNS)), dtype=np.int64)
    pac_fleet = np.zeros((count, 2))
    sea_f = np.zeros((len(units), 1, len(SHIP_FLOAT_COLUMNS)))
    sea_i = np.zeros((len(units), 1, len(SHIP_INT_COLUMNS)), dtype=np.int64)
    sea_fleet = np.zeros((len(units), 2))
    red = setup.red
    if red is None:
        empty = np.zeros(4)
        return RedTable(site_f, site_i, site_fleet, empty, pac_f, pac_i, pac_fleet, empty,
                        empty, sea_f, sea_i, sea_fleet, empty)  # fmt: skip
    for s, site in enumerate(site_ids):
        site_f[s, 0, STAYING] = 1.0
        channels = red.sam_channels.get(site, 0.0)
        if channels > 0:
            site_f[s, 0, AREA_CHANNELS] = channels
            site_f[s, 0, AREA_P] = red.sam_p_kill
            site_f[s, 0, AREA_SHOTS] = red.sam_shots
            site_i[s, 0, 0] = red.sam_interceptors.get(site, 0)
        site_fleet[s] = (1.0 if channels > 0 else 0.0, red.sam_readiness)
        pac = red.pac3_channels.get(site, 0.0)
        if pac > 0:
            pac_f[s, 0, STAYING] = 1.0
            pac_f[s, 0, AREA_CHANNELS] = pac
            pac_f[s, 0, AREA_P] = red.pac3_p_kill
            pac_f[s, 0, AREA_SHOTS] = red.pac3_shots
            pac_i[s, 0, 0] = red.pac3_interceptors.get(site, 0)
            pac_fleet[s] = (1.0, red.pac3_readiness)
    for u, unit in enumerate(units):
        spec = red.ship_classes.get(unit.id)
        if spec is not None:
            f, i, fleet = pack_fleet([spec], red.ship_readiness)
            sea_f[u], sea_i[u], sea_fleet[u] = f, i, fleet
    return RedTable(
        site_f, site_i, site_fleet, pack_attack(red.reliability, 1.0, red.p_kill, "uniform"),
        pac_f, pac_i, pac_fleet, pack_attack(red.reliability, 1.0, 1.0, "uniform"),
        pack_attack(1.0, 1.0, red.p_kill, "uniform"),
        sea_f, sea_i, sea_fleet,
        pack_attack(red.asbm_reliability, 1.0, red.asbm_p_hit, "uniform"),
    )  # fmt: skip


#: The salvo sizes doctrine ``auto`` chooses from, and the salvos per size behind the table.
AUTO_SALVO_SIZES = (2, 4, 6, 8, 12, 16, 24, 32, 48)
AUTO_SALVO_REPS = 4000


def auto_salvo_table(setup, ship_f, ship_i, fleet, ship_f_system) -> np.ndarray:
    """Doctrine ``auto``: per group kind and missile system, the size in
    :data:`AUTO_SALVO_SIZES` with the most ships out of action per missile in one salvo
    at a fresh group (the salvo engine, :data:`AUTO_SALVO_REPS` salvos per size, its own
    stream so the table is fixed by the setup). The ships' defences are those against
    the system (active red) or the kind's; σ is the catalog's. Ties go to the smaller."""
    table = np.zeros((len(setup.groups), len(setup.systems)), dtype=np.int64)
    key = np.uint64(purpose_key(0, "auto-salvo"))
    for k, group in enumerate(setup.groups):
        ships = group.ships
        for index, system in enumerate(setup.systems):
            defences = ship_f_system[index, k] if ship_f_system.shape[0] else ship_f[k]
            best, best_size = -1.0, AUTO_SALVO_SIZES[0]
            for size in AUTO_SALVO_SIZES:
                stream = new_stream(key, np.int64(k), np.int64(index), np.int64(size))
                value = out_per_missile(
                    stream, np.int64(size), system.attack, defences[:ships], fleet[k],
                    ship_i[k, :ships], np.int64(AUTO_SALVO_REPS),
                )  # fmt: skip
                if value > best + 1e-12:
                    best, best_size = value, size
            table[k, index] = best_size
    return table


def _chunk_job(args) -> np.ndarray:
    keys, first, reps, units, threat, red, rules = args
    return run_chunk(keys, first, reps, units, threat, red, rules)


def _empty_columns(replications: int) -> dict[str, np.ndarray]:
    columns = {}
    for name in COLUMNS:
        if name in INTEGER_COLUMNS:
            columns[name] = np.zeros(replications, dtype=np.int64)
        elif name == "magazine_exhausted":
            columns[name] = np.zeros(replications, dtype=bool)
        else:
            columns[name] = np.zeros(replications, dtype=np.float64)
    return columns


def _store(columns: dict[str, np.ndarray], start: int, part: np.ndarray) -> None:
    """Copy a chunk's (reps, columns) table into the run's columns at ``start``."""
    for index, name in enumerate(COLUMNS):
        columns[name][start : start + part.shape[0]] = part[:, index]


def run_replications(
    setup: CampaignSetup,
    replications: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    first: int = 0,
) -> dict[str, np.ndarray]:
    """Replications ``first`` … ``first + replications − 1``, chunk by chunk; per-rep
    columns. ``progress(n)`` after each chunk of ``n``; ``workers > 1`` runs chunks in
    that many processes with identical numbers."""
    units, threat, red, rules = compile_tables(setup)
    keys = stream_keys(seed)
    jobs = [
        (keys, first + start, min(CHUNK_REPS, replications - start), units, threat, red, rules)
        for start in range(0, replications, CHUNK_REPS)
    ]
    # Columns are filled chunk by chunk, so peak memory is the columns plus one chunk.
    columns = _empty_columns(replications)
    if workers > 1 and len(jobs) > 1:
        compile_here_first(keys, units, threat, red, rules)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, part in zip(jobs, pool.map(_chunk_job, jobs), strict=True):
                _store(columns, job[1] - first, part)
                if progress:
                    progress(job[2])
    else:
        for job in jobs:
            if job is jobs[0]:
                with compiling_alongside(keys, units, threat, red, rules):
                    part = _chunk_job(job)
            else:
                part = _chunk_job(job)
            _store(columns, job[1] - first, part)
            if progress:
                progress(job[2])
    return columns
