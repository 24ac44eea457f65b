"""The campaign in plain Python, one replication at a time: the readable definition.

This is the test oracle for :mod:`nansei.campaign.engine` (MODEL.md §5): the same model
written as loops over launchers, groups and units, with its own random draws. The two
must agree in distribution, not draw for draw. Salvos are adjudicated by the combat
package (one group, one replication per call). Slow by design.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from nansei.campaign.engine import COLUMNS, engaged_units
from nansei.campaign.salvo import GroupSalvo, attack_for
from nansei.campaign.setup import CampaignSetup, GroupSetup

__all__ = ["run_reference"]

_EPS_H = 1e-9


@dataclass
class Launcher:
    alive: bool
    ready: int
    pending: int = 0  # missiles on their way from the depot
    reload_step: int = -1  # step at whose start the pending load is ready
    found_step: float = math.inf  # step at whose end hidden search finds it


@dataclass
class Unit:
    index: int  # position in setup.units
    system: str
    platform: str
    load: int
    depot: int
    launchers: list[Launcher]

    def ready(self) -> int:
        return sum(launcher.ready for launcher in self.launchers if launcher.alive)

    def stock(self) -> int:
        live = [launcher for launcher in self.launchers if launcher.alive]
        return sum(launcher.ready + launcher.pending for launcher in live) + self.depot

    def can_fire(self, reserve: int) -> bool:
        return any(launcher.alive for launcher in self.launchers) and self.stock() > reserve


@dataclass
class Group:
    kind: GroupSetup
    salvo: GroupSalvo
    arrival_h: float
    state: object
    status: str = "waiting"  # waiting, en route, transited, turned back, all out
    salvos: int = 0

    def ships_out(self) -> int:
        return self.kind.ships - int(self.salvo.ships_alive(self.state, np.array([0]))[0])


@dataclass
class Tally:
    fired: int = 0
    salvos: int = 0
    lost_firing: int = 0
    lost_hidden: int = 0
    exhausted_day: float = math.nan
    extra: dict = field(default_factory=dict)


def _reaches(kind: GroupSetup, unit_index: int, start_km: float, end_km: float) -> bool:
    """Does the unit reach any track point between ``start_km`` and ``end_km``?"""
    first = bisect.bisect_right(kind.track_km, start_km) - 1
    last = min(bisect.bisect_left(kind.track_km, end_km), len(kind.track_km) - 1)
    return bool(kind.in_range[unit_index, first : last + 1].any())


def _replicate(setup: CampaignSetup, rng: np.random.Generator, salvos, attacks) -> dict:
    dt = setup.time_step_h
    doctrine = setup.doctrine
    survival = setup.survival
    reserve = doctrine.reserve_missiles
    reload_steps = max(1, math.ceil(survival.reload_h / dt - _EPS_H))
    hazard_per_h = survival.hidden_hazard_per_day / 24.0

    units = []
    for index in engaged_units(setup):
        spec = setup.units[index]
        launchers = []
        for _ in range(spec.launchers):
            launcher = Launcher(alive=True, ready=spec.missiles_per_launcher)
            if spec.platform == "truck" and hazard_per_h > 0:
                launcher.found_step = math.floor(rng.exponential(1.0 / hazard_per_h) / dt)
            launchers.append(launcher)
        units.append(
            Unit(index, spec.system, spec.platform, spec.missiles_per_launcher,
                 spec.reload_stock, launchers)
        )  # fmt: skip

    groups = []
    for kind, salvo in zip(setup.groups, salvos, strict=True):
        for _ in range(rng.poisson(kind.arrivals_per_day * setup.days)):
            arrival = rng.random() * setup.days * 24.0
            groups.append(Group(kind, salvo, arrival, salvo.initial_state(rng, 1)))
    groups.sort(key=lambda group: group.arrival_h)

    tally = Tally()
    if units and not any(unit.can_fire(reserve) for unit in units):
        tally.exhausted_day = 0.0

    for step in range(setup.steps):
        t = step * dt
        for unit in units:
            for launcher in unit.launchers:
                if launcher.alive and launcher.pending and launcher.reload_step == step:
                    launcher.ready += launcher.pending
                    launcher.pending = 0

        for group in groups:
            if group.status == "waiting" and group.arrival_h < t + dt:
                group.status = "en route"
            travelled = (t - group.arrival_h) * group.kind.speed_kmh
            if group.status == "en route" and travelled >= group.kind.length_km - _EPS_H:
                group.status = "transited"

        # Each unit's target: the earliest-arrived group en route that it reaches.
        target = {}
        for u, unit in enumerate(units):
            for group in groups:
                if group.status != "en route":
                    continue
                speed = group.kind.speed_kmh
                start = max(0.0, (t - group.arrival_h) * speed)
                end = min(group.kind.length_km, (t + dt - group.arrival_h) * speed)
                if _reaches(group.kind, unit.index, start, end):
                    target[u] = group
                    break

        coordinated = doctrine.coordination == "coordinated"
        if coordinated:
            cue = {id(g): rng.random() < setup.p_cue for g in groups if g.status == "en route"}
        shooters = {}
        for u, group in target.items():
            unit = units[u]
            available = min(unit.ready(), unit.stock() - reserve)
            missiles = max(0, min(doctrine.salvo_size, available))
            cued = cue[id(group)] if coordinated else rng.random() < setup.p_cue
            if cued and missiles > 0:
                shooters[u] = (group, missiles)

        if coordinated:
            systems = list(dict.fromkeys(unit.system for unit in units))
            waves = [[u for u in shooters if units[u].system == s] for s in systems]
        else:
            waves = [[u] for u in sorted(shooters)]
        for wave in waves:
            if not wave:
                continue
            by_group: dict[int, list[int]] = {}
            for u in wave:
                by_group.setdefault(id(shooters[u][0]), []).append(u)
            for members in by_group.values():
                group = shooters[members[0]][0]
                if group.status != "en route":
                    continue
                if doctrine.max_salvos_per_group is not None and (
                    group.salvos >= doctrine.max_salvos_per_group
                ):
                    continue
                total = sum(shooters[u][1] for u in members)
                system = units[members[0]].system
                group.salvo.engage(rng, group.state, np.array([0]), np.array([total]),
                                   attacks[system])  # fmt: skip
                group.salvos += 1
                tally.salvos += 1
                out = group.ships_out()
                if out >= group.kind.ships:
                    group.status = "all out"
                elif (
                    group.kind.turn_back_at is not None
                    and out > 0
                    and out >= group.kind.turn_back_at * group.kind.ships - 1e-12
                ):
                    group.status = "turned back"
                for u in members:
                    _launch(units[u], shooters[u][1], step, reload_steps, survival, rng, tally)

        for unit in units:
            for launcher in unit.launchers:
                if launcher.alive and launcher.found_step == step:
                    launcher.alive, launcher.ready, launcher.pending = False, 0, 0
                    tally.lost_hidden += 1

        if units and math.isnan(tally.exhausted_day):
            if not any(unit.can_fire(reserve) for unit in units):
                tally.exhausted_day = (t + dt) / 24.0

    came = [g for g in groups if g.status != "waiting"]
    transited = sum(g.status == "transited" for g in came)
    exhausted = not math.isnan(tally.exhausted_day)
    horizon_day = setup.steps * dt / 24.0
    return {
        "red_ships_out_of_action": sum(g.ships_out() for g in came),
        "groups_transited_fraction": transited / len(came) if came else math.nan,
        "blue_missiles_fired": tally.fired,
        "blue_launchers_lost": tally.lost_firing + tally.lost_hidden,
        "magazine_exhausted_day": (
            tally.exhausted_day if exhausted else (horizon_day if units else math.nan)
        ),
        "groups_arrived": len(came),
        "groups_transited": transited,
        "groups_turned_back": sum(g.status == "turned back" for g in came),
        "groups_all_out": sum(g.status == "all out" for g in came),
        "blue_salvos": tally.salvos,
        "blue_launchers_lost_firing": tally.lost_firing,
        "blue_launchers_lost_hidden": tally.lost_hidden,
        "magazine_exhausted": exhausted,
    }


def _launch(unit: Unit, missiles: int, step: int, reload_steps: int, survival, rng, tally):
    """Fire ``missiles`` from the unit's launchers in order; expose each launcher that
    fired; start a reload for each launcher left empty while the depot lasts."""
    tally.fired += missiles
    left = missiles
    for launcher in unit.launchers:
        if left == 0:
            break
        if not launcher.alive or launcher.ready == 0:
            continue
        take = min(left, launcher.ready)
        launcher.ready -= take
        left -= take
        if unit.platform == "truck":
            detected = rng.random() < survival.p_detect
            kill_chain_h = survival.kill_chain_median_h * math.exp(
                survival.kill_chain_sigma * rng.standard_normal()
            )
            killed = rng.random() < survival.p_kill
            lost = detected and kill_chain_h < survival.dwell_h and killed
        elif unit.platform == "fixed":
            lost = rng.random() < survival.p_kill
        else:
            lost = False
        if lost:
            launcher.alive, launcher.ready, launcher.pending = False, 0, 0
            tally.lost_firing += 1
    for launcher in unit.launchers:
        if launcher.alive and launcher.ready == 0 and launcher.pending == 0 and unit.depot > 0:
            launcher.pending = min(unit.load, unit.depot)
            unit.depot -= launcher.pending
            launcher.reload_step = step + reload_steps


def run_reference(setup: CampaignSetup, replications: int, seed: int) -> dict[str, np.ndarray]:
    """``replications`` campaigns, one at a time; the same columns as the engine."""
    sequence = np.random.SeedSequence(entropy=(int(seed), int(setup.scenario_hash, 16), 7))
    rng = np.random.Generator(np.random.PCG64(sequence))
    salvos = [GroupSalvo(setup.catalog, kind.class_ids) for kind in setup.groups]
    systems = {unit.system for unit in setup.units}
    attacks = {system: attack_for(setup.catalog, system) for system in systems}
    rows = [_replicate(setup, rng, salvos, attacks) for _ in range(replications)]
    return {
        name: np.array([row[name] for row in rows], dtype=float if "fraction" in name or
                       name == "magazine_exhausted_day" else None)
        for name in COLUMNS
    }  # fmt: skip
