"""The campaign in plain Python, one replication at a time: the readable definition.

The same eight phases as :mod:`nansei.campaign.phases` (arrivals, opportunities,
cueing, doctrine, salvo, exposure, magazines, search), written as plain loops over
groups, units and launchers with Python's :mod:`random`, one generator per replication.
Salvos are adjudicated by :func:`nansei.combat.reference.reference_salvo`. This is the
test oracle of the compiled engine: the two must agree in distribution, not draw for
draw. Slow by design. See docs/model.md, "Campaign".
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field

import numpy as np

from nansei.campaign.kernels import COLUMNS
from nansei.campaign.setup import ACQUISITION_SPACING_KM, CampaignSetup, GroupSetup
from nansei.combat.forces import Layer, ShipType, Side
from nansei.combat.reference import Ship, new_ships, reference_salvo

__all__ = ["run_reference"]


@dataclass
class Launcher:
    alive: bool = True
    ready: int = 0
    pending: int = 0  # a load on its way from the depot
    reload_at_h: float = math.inf
    found_at_h: float = math.inf  # when hidden search finds it


@dataclass
class Unit:
    index: int  # into setup.units
    system: int
    platform: str
    load: int
    depot: int
    launchers: list[Launcher]
    engages: bool = True  # fires at ships (active red: not a land-attack-only system)
    site: str = ""
    depart_h: float = math.inf  # a stationed ship leaves port then
    on_station_h: float = -math.inf  # and fires from its station from then
    dispersed: list[bool] = field(default_factory=list)

    def stock(self) -> int:
        live = [launcher for launcher in self.launchers if launcher.alive]
        return sum(launcher.ready + launcher.pending for launcher in live) + self.depot

    def can_fire(self, reserve: int) -> bool:
        return any(launcher.alive for launcher in self.launchers) and self.stock() > reserve


@dataclass
class Group:
    kind: GroupSetup
    kind_index: int
    arrival_h: float
    ships: list[Ship]
    status: str = "en route"  # or "turned back", "all out"
    salvos: int = 0

    def out(self) -> int:
        return sum(not ship.alive for ship in self.ships)


@dataclass
class Tally:
    fired: int = 0
    salvos: int = 0
    lost_firing: int = 0
    lost_hidden: int = 0
    hits: int = 0
    intercepted: int = 0
    exhausted_h: float = math.nan
    extra: dict = field(default_factory=dict)
    lost_counterforce: int = 0
    lost_in_depots: int = 0
    ships_lost: int = 0
    red_fired: int = 0
    red_intercepted: int = 0
    ships_lost_at_sea: int = 0
    red_antiship: int = 0


# -- the phases ------------------------------------------------------------------------


def _poisson(rand: random.Random, mean: float) -> int:
    """A Poisson count by inversion (sequential search of the CDF)."""
    k, p = 0, math.exp(-mean)
    cdf, u = p, rand.random()
    while u > cdf and p > 0:
        k += 1
        p *= mean / k
        cdf += p
    return k


def arrivals(rand: random.Random, setup: CampaignSetup) -> list[Group]:
    """Phase 1: Poisson counts per kind, uniform times, fresh ships."""
    groups = []
    for k, kind in enumerate(setup.groups):
        for _ in range(_poisson(rand, kind.arrivals_per_day * setup.days)):
            arrival = rand.random() * setup.days * 24.0
            groups.append(Group(kind, k, arrival, new_ships(rand, kind.ship_types)))
    return groups


def in_range(group: Group, unit_index: int, t_h: float) -> bool:
    """Phase 2: is the group on a stretch of its track that the unit reaches?"""
    sailed = (t_h - group.arrival_h) * group.kind.speed_kmh
    return any(a <= sailed <= b for a, b in group.kind.stretches_km[unit_index])


def _poisson_times(rand: random.Random, rate: float, stretches, arrival_h: float, speed: float):
    """Cue times: a Poisson process at ``rate`` per hour of time on the given stretches."""
    times: list[float] = []
    if rate <= 0:
        return times
    need = rand.expovariate(rate)
    for begin, end in stretches:
        start, left = arrival_h + begin / speed, (end - begin) / speed
        while need <= left:
            start += need
            left -= need
            times.append(start)
            need = rand.expovariate(rate)
        need -= left
    return times


def cueing(rand: random.Random, setup: CampaignSetup, groups: list[Group], engaged: list[int]):
    """Phase 3: every cue as (time, group, unit index or None for a shared cue), in order."""
    cues = []
    coordinated = setup.doctrine.coordination == "coordinated"
    for g, group in enumerate(groups):
        kind = group.kind
        if coordinated:
            union = _union([s for i in engaged for s in kind.stretches_km[i]])
            for t in _poisson_times(rand, setup.cue_rate_per_h, union, group.arrival_h,
                                    kind.speed_kmh):  # fmt: skip
                cues.append((t, g, None))
        else:
            for i in engaged:
                for t in _poisson_times(rand, setup.cue_rate_per_h, kind.stretches_km[i],
                                        group.arrival_h, kind.speed_kmh):  # fmt: skip
                    cues.append((t, g, i))
    cues.sort(key=lambda cue: cue[0])
    return cues


def _union(stretches):
    merged: list[list[float]] = []
    for a, b in sorted(stretches):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def doctrine(setup: CampaignSetup, unit: Unit, group: Group, t_h: float) -> int:
    """Phase 4: missiles the unit fires now (reloads that arrived by now count)."""
    for launcher in unit.launchers:
        if launcher.alive and launcher.pending and launcher.reload_at_h <= t_h:
            launcher.ready += launcher.pending
            launcher.pending, launcher.reload_at_h = 0, math.inf
    cap = setup.doctrine.max_salvos_per_group
    if group.status != "en route" or (cap is not None and group.salvos >= cap):
        return 0
    ready = sum(launcher.ready for launcher in unit.launchers if launcher.alive)
    available = unit.stock() - setup.doctrine.reserve_missiles
    size = setup.doctrine.salvo_size
    if size == "auto" or setup.scenario.red.arrivals_factor_per_loss < 1:
        raise NotImplementedError("the reference runs fixed salvo sizes, no adaptation")
    return max(0, min(size, ready, available))


def _acquisition(setup: CampaignSetup, group: Group, unit_index: int, t_h: float) -> float:
    """Active red: the unit's missile acquires the group at its position at ``t_h``."""
    table = group.kind.acquisition[unit_index]
    station = int((t_h - group.arrival_h) * group.kind.speed_kmh / ACQUISITION_SPACING_KM + 0.5)
    return float(table[min(max(station, 0), table.size - 1)])


def _against(spec: ShipType, factor: float) -> ShipType:
    """A ship's defences against a system: its layers' kill probabilities times ``factor``."""
    scaled = {}
    for name in ("area", "point"):
        layer = getattr(spec, name)
        if layer is not None:
            scaled[name] = dataclasses.replace(layer, p_kill=layer.p_kill * factor)
    return dataclasses.replace(spec, **scaled)


def salvo(rand, setup: CampaignSetup, group: Group, missiles: int, system: int, tally,
          acquired: float = 1.0) -> None:  # fmt: skip
    """Phase 5: the salvo against the group's defences, then its status. With active
    red σ is times ``acquired`` and the defences are those against the system."""
    spec = setup.systems[system]
    attacker = Side("blue", (), scouting=spec.scouting * acquired, reliability=spec.reliability,
                    p_hit=spec.p_hit)  # fmt: skip
    readiness = float(group.kind.fleet[1])
    specs = [ship.spec for ship in group.ships]
    if setup.red is not None:
        for ship in group.ships:
            ship.spec = _against(ship.spec, spec.defence_factor)
    result = reference_salvo(rand, group.ships, missiles, attacker, readiness)
    for ship, original in zip(group.ships, specs, strict=True):
        ship.spec = original
    tally.hits += result["hits"]
    tally.intercepted += result["intercepted_area"] + result["intercepted_point"]
    group.salvos += 1
    out, ships = group.out(), len(group.ships)
    if out >= ships:
        group.status = "all out"
    elif group.kind.turn_back_at is not None and out > 0:
        if out >= group.kind.turn_back_at * ships - 1e-12:
            group.status = "turned back"


def exposure(rand, setup: CampaignSetup, unit: Unit, missiles: int) -> int:
    """Phase 6: missiles off the launchers in order; each launcher that fired is exposed."""
    survival = setup.survival
    lost = 0
    for launcher in unit.launchers:
        if missiles == 0:
            break
        if not launcher.alive or launcher.ready == 0:
            continue
        take = min(launcher.ready, missiles)
        launcher.ready -= take
        missiles -= take
        if unit.platform == "truck":
            kill_chain = rand.lognormvariate(math.log(survival.kill_chain_median_h),
                                             survival.kill_chain_sigma)  # fmt: skip
            gone = (rand.random() < survival.p_detect and kill_chain < survival.dwell_h
                    and rand.random() < survival.p_kill)  # fmt: skip
        else:
            gone = unit.platform == "fixed" and rand.random() < survival.p_kill
        if gone:
            _lose(launcher)
            lost += 1
    return lost


def start_reloads(setup: CampaignSetup, unit: Unit, t_h: float) -> None:
    """Phase 7: emptied live launchers draw one load each from the depot, in order."""
    for launcher in unit.launchers:
        if unit.depot == 0:
            return
        if launcher.alive and launcher.ready == 0 and launcher.pending == 0:
            grant = min(unit.load, unit.depot)
            launcher.pending, unit.depot = grant, unit.depot - grant
            launcher.reload_at_h = t_h + setup.survival.reload_h


def search(rand: random.Random, setup: CampaignSetup, units: list[Unit]) -> None:
    """Phase 8, drawn up front: when hidden search finds each truck launcher."""
    hazard = setup.survival.hidden_hazard_per_day / 24.0
    for unit in units:
        for launcher in unit.launchers:
            if unit.platform == "truck" and hazard > 0:
                launcher.found_at_h = rand.expovariate(hazard)


def _lose(launcher: Launcher) -> None:
    launcher.alive, launcher.ready, launcher.pending = False, 0, 0
    launcher.reload_at_h = math.inf


def site_defence(rand, setup, site: str, target, pac, warheads: int, tally) -> None:
    """Active red: warheads at one site through its layers — PAC-3 (if any) first, then
    its Chu-SAM on the warheads that leaked — each a binomial area layer of the salvo
    model; an unintercepted warhead closes the site with ``p_kill``."""
    red = setup.red
    if pac is None:
        attacker = Side("red", (), scouting=1.0, reliability=red.reliability, p_hit=red.p_kill)
        result = reference_salvo(rand, target, warheads, attacker, red.sam_readiness)
        tally.red_intercepted += result["intercepted_area"]
        return
    # The PAC-3 layer's "hits" with p_hit 1 are the warheads that got through it.
    flying = Side("red", (), scouting=1.0, reliability=red.reliability, p_hit=1.0)
    pac[0].hits = 0
    result = reference_salvo(rand, pac, warheads, flying, red.pac3_readiness)
    pac[0].hits = 0
    tally.red_intercepted += result["intercepted_area"]
    if result["hits"]:
        leaked = Side("red", (), scouting=1.0, reliability=1.0, p_hit=red.p_kill)
        result = reference_salvo(rand, target, result["hits"], leaked, red.sam_readiness)
        tally.red_intercepted += result["intercepted_area"]


def counterforce_wave(rand, setup, units, sites, closed, wave: int, left: int, tally,
                     t_h: float, pacs=None) -> int:  # fmt: skip
    """Active red, one wave: ``warheads_per_site`` (or what is left) at each open site
    that holds something, through its air defence; a closed site loses its depots, fixed
    launchers, ships in port and, in the opening wave, its undispersed trucks."""
    red = setup.red
    pacs = pacs or {}
    for site, target in sites.items():
        if closed[site] or left <= 0:
            continue
        mine = [unit for unit in units if unit.site == site]
        # a ship that has sailed for its station is not in port
        in_port = [u for u in mine if not (u.platform == "ship" and t_h > u.depart_h)]
        holds = any(unit.depot > 0 for unit in mine) or any(
            launcher.alive and (unit.platform != "truck" or (wave == 0 and not gone))
            for unit in in_port
            for launcher, gone in zip(unit.launchers, unit.dispersed, strict=True)
        )
        if not holds:
            continue
        warheads = min(red.warheads_per_site, left)
        left -= warheads
        tally.red_fired += warheads
        site_defence(rand, setup, site, target, pacs.get(site), warheads, tally)
        if target[0].alive:
            continue
        closed[site] = True
        for unit in mine:
            tally.lost_in_depots += unit.depot
            unit.depot = 0
            if not any(u is unit for u in in_port):
                continue
            for launcher, gone in zip(unit.launchers, unit.dispersed, strict=True):
                if not launcher.alive or (unit.platform == "truck" and (wave > 0 or gone)):
                    continue
                _lose(launcher)
                tally.lost_counterforce += 1
                tally.ships_lost += unit.platform == "ship"
    return left


def _sites(rand, setup: CampaignSetup, units: list[Unit]) -> dict[str, list]:
    """Each struck site as one ship of staying power one whose area layer is its air
    defence (the engine's one-ship fleet), in the engine's site order."""
    red = setup.red
    sites = {}
    for site in sorted({unit.site for unit in units}):
        channels = red.sam_channels.get(site, 0.0)
        area = None
        if channels > 0:
            area = Layer(channels=channels, p_kill=red.sam_p_kill, shots=red.sam_shots,
                         inventory=red.sam_interceptors.get(site, 0))  # fmt: skip
        sites[site] = new_ships(rand, (ShipType(name=site, count=1, area=area),))
    return sites


def _pac_layers(rand, setup: CampaignSetup, sites) -> dict[str, list]:
    """Each site's PAC-3 layer as one ship that never fills (it only counts leakers)."""
    red = setup.red
    pacs = {}
    for site in sites:
        channels = red.pac3_channels.get(site, 0.0)
        if channels > 0:
            area = Layer(channels=channels, p_kill=red.pac3_p_kill, shots=red.pac3_shots,
                         inventory=red.pac3_interceptors.get(site, 0))  # fmt: skip
            spec = ShipType(name=f"{site} PAC-3", count=1, staying_power=1e12, area=area)
            pacs[site] = new_ships(rand, (spec,))
    return pacs


def ship_hunts(rand, setup: CampaignSetup, units: list[Unit], members: list[int]) -> list:
    """Active red, ships at sea: for each stationed ship (a launcher of a ship unit with
    a station) its hull (class defences, staying power drawn) and every time red finds
    it — a Poisson process at ``ship_detection_rate_per_h`` from ``max(depart, 0)`` to
    the horizon — as events ``(t, 2, unit, (slot, hull))``."""
    red = setup.red
    events = []
    if red is None or red.ship_detection_rate_per_h <= 0:
        return events
    for u, unit in enumerate(units):
        if unit.platform != "ship" or math.isinf(unit.depart_h):
            continue
        spec = red.ship_classes[setup.units[members[u]].id]
        for slot in range(len(unit.launchers)):
            hull = new_ships(rand, (spec,))
            t_h = max(unit.depart_h, 0.0)
            while True:
                t_h += rand.expovariate(red.ship_detection_rate_per_h)
                if t_h >= setup.horizon_h:
                    break
                events.append((t_h, 2, u, (slot, hull)))
    return events


def strike_ship(rand, setup: CampaignSetup, unit: Unit, slot: int, hull, left: int,
                tally) -> int:  # fmt: skip
    """Red found a ship at sea: ``missiles_per_strike`` anti-ship ballistic missiles (or
    what is left) through its own layers; out of action, it is lost with its launcher."""
    red = setup.red
    launcher = unit.launchers[slot]
    if not launcher.alive or left <= 0:
        return left
    missiles = min(red.asbm_per_strike, left)
    tally.red_antiship += missiles
    attacker = Side("red", (), scouting=1.0, reliability=red.asbm_reliability,
                    p_hit=red.asbm_p_hit)  # fmt: skip
    reference_salvo(rand, hull, missiles, attacker, red.ship_readiness)
    if not hull[0].alive:
        _lose(launcher)
        tally.lost_counterforce += 1
        tally.ships_lost += 1
        tally.ships_lost_at_sea += 1
    return left - missiles


# -- one replication -------------------------------------------------------------------


def _fire(rand, setup, unit: Unit, missiles: int, t_h: float, tally: Tally) -> None:
    tally.fired += missiles
    tally.lost_firing += exposure(rand, setup, unit, missiles)
    start_reloads(setup, unit, t_h)


def _replicate(setup: CampaignSetup, rand: random.Random) -> dict[str, float]:
    engaged = setup.engaged()
    members = setup.targets()  # = engaged with passive red
    reserve = setup.doctrine.reserve_missiles
    units = []
    for position, index in enumerate(members):
        spec = setup.units[index]
        launchers = [Launcher(ready=spec.missiles_per_launcher) for _ in range(spec.launchers)]
        units.append(Unit(position, spec.system_index, spec.platform,
                          spec.missiles_per_launcher, spec.reload_stock, launchers,
                          engages=index in engaged, site=spec.site or f"@{spec.id}",
                          depart_h=spec.depart_h, on_station_h=spec.on_station_h,
                          dispersed=[False] * spec.launchers))  # fmt: skip
    groups = arrivals(rand, setup)
    search(rand, setup, units)
    red = setup.red
    sites, closed, left, pacs = {}, {}, 0, {}
    if red is not None:
        for unit in units:
            if unit.platform == "truck":
                unit.dispersed = [
                    rand.expovariate(1.0 / red.dispersal_mean_h) < red.warning_h
                    for _ in unit.launchers
                ]
        sites = _sites(rand, setup, units)
        pacs = _pac_layers(rand, setup, sites)
        closed = dict.fromkeys(sites, False)
        left = red.inventory
    cues = cueing(rand, setup, groups, engaged)
    found = sorted(
        (launcher.found_at_h, u, slot)
        for u, unit in enumerate(units)
        for slot, launcher in enumerate(unit.launchers)
        if launcher.found_at_h < setup.horizon_h
    )
    events = sorted([(t, 0, u, slot) for t, u, slot in found] +
                    [(t, 1, g, i) for t, g, i in cues] +
                    ship_hunts(rand, setup, units, members),
                    key=lambda e: (e[0], e[1]))  # fmt: skip
    tally = Tally()
    firing = [unit for unit in units if unit.engages]
    if units and not any(unit.can_fire(reserve) for unit in firing):
        tally.exhausted_h = 0.0
    wave, wave_h = 0, 0.0 if (red is not None and sites and left > 0) else math.inf

    def waves_until(t_h: float) -> None:
        nonlocal wave, wave_h, left
        while wave_h < setup.horizon_h and wave_h <= t_h:
            left = counterforce_wave(rand, setup, units, sites, closed, wave, left, tally, wave_h,
                                     pacs)  # fmt: skip
            if units and math.isnan(tally.exhausted_h):
                if not any(unit.can_fire(reserve) for unit in firing):
                    tally.exhausted_h = wave_h
            wave += 1
            wave_h = wave * red.wave_interval_h if left > 0 else math.inf

    for t_h, what, a, b in events:
        waves_until(t_h)
        if what == 0:
            launcher = units[a].launchers[b]
            if launcher.alive:
                _lose(launcher)
                tally.lost_hidden += 1
        elif what == 2:
            left = strike_ship(rand, setup, units[a], b[0], b[1], left, tally)
        else:
            group = groups[a]
            if group.status != "en route":
                continue
            if b is not None:
                unit = units[members.index(b)]
                missiles = doctrine(setup, unit, group, t_h) if t_h >= unit.on_station_h else 0
                if missiles:
                    acquired = _acquisition(setup, group, b, t_h) if red else 1.0
                    salvo(rand, setup, group, missiles, unit.system, tally, acquired)
                    tally.salvos += 1
                    _fire(rand, setup, unit, missiles, t_h, tally)
            else:
                wanted = [
                    doctrine(setup, unit, group, t_h)
                    if unit.engages
                    and t_h >= unit.on_station_h
                    and in_range(group, members[u], t_h)
                    else 0
                    for u, unit in enumerate(units)
                ]
                for system in range(len(setup.systems)):
                    mine = [u for u, unit in enumerate(units) if unit.system == system]
                    total = sum(wanted[u] for u in mine)
                    if total == 0:
                        continue
                    cap = setup.doctrine.max_salvos_per_group
                    if group.status != "en route" or (cap is not None and group.salvos >= cap):
                        break
                    acquired = 1.0
                    if red is not None:
                        acquired = (
                            sum(
                                wanted[u] * _acquisition(setup, group, members[u], t_h)
                                for u in mine
                            )
                            / total
                        )
                    salvo(rand, setup, group, total, system, tally, acquired)
                    tally.salvos += 1
                    for u in mine:
                        if wanted[u]:
                            _fire(rand, setup, units[u], wanted[u], t_h, tally)
        if units and math.isnan(tally.exhausted_h):
            if not any(unit.can_fire(reserve) for unit in firing):
                tally.exhausted_h = t_h
    waves_until(math.inf)
    return _columns(setup, units, groups, tally)


def _columns(setup, units, groups, tally: Tally) -> dict[str, float]:
    arrived = len(groups)
    transited = sum(g.status == "en route" for g in groups)
    if not units:
        day, exhausted = math.nan, False
    elif math.isnan(tally.exhausted_h):
        day, exhausted = setup.horizon_h / 24.0, False
    else:
        day, exhausted = tally.exhausted_h / 24.0, True
    return {
        "red_ships_out_of_action": sum(g.out() for g in groups),
        "groups_transited_fraction": transited / arrived if arrived else math.nan,
        "blue_missiles_fired": tally.fired,
        "blue_launchers_lost": tally.lost_firing + tally.lost_hidden + tally.lost_counterforce,
        "magazine_exhausted_day": day,
        "groups_arrived": arrived,
        "groups_transited": transited,
        "groups_turned_back": sum(g.status == "turned back" for g in groups),
        "groups_all_out": sum(g.status == "all out" for g in groups),
        "blue_salvos": tally.salvos,
        "blue_launchers_lost_firing": tally.lost_firing,
        "blue_launchers_lost_hidden": tally.lost_hidden,
        "magazine_exhausted": exhausted,
        "red_hits_received": tally.hits,
        "blue_missiles_intercepted": tally.intercepted,
        "red_combatants_out_of_action": sum(
            not ship.alive
            for g in groups
            for ship, aux in zip(g.ships, g.kind.auxiliary, strict=True)
            if not aux
        ),
        "red_auxiliaries_out_of_action": sum(
            not ship.alive
            for g in groups
            for ship, aux in zip(g.ships, g.kind.auxiliary, strict=True)
            if aux
        ),
        "groups_transited_undamaged_fraction": sum(
            g.status == "en route" and all(ship.hits == 0 for ship in g.ships) for g in groups
        )
        / arrived
        if arrived
        else math.nan,
        "blue_launchers_lost_counterforce": tally.lost_counterforce,
        "blue_missiles_lost_in_depots": tally.lost_in_depots,
        "blue_ships_lost": tally.ships_lost,
        "red_counterforce_missiles": tally.red_fired,
        "red_counterforce_intercepted": tally.red_intercepted,
        "blue_ships_lost_at_sea": tally.ships_lost_at_sea,
        "red_antiship_missiles": tally.red_antiship,
    }


def run_reference(setup: CampaignSetup, replications: int, seed: int) -> dict[str, np.ndarray]:
    """``replications`` plain-Python replications; columns as the engine's."""
    rows = [_replicate(setup, random.Random(f"{seed}:{rep}")) for rep in range(replications)]
    return {name: np.array([row[name] for row in rows]) for name in COLUMNS}
