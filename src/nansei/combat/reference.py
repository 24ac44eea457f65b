"""The stochastic salvo model in plain Python, one replication and one missile at a time.

This is the readable definition of :mod:`nansei.combat.engine` (docs/model.md §3, after
Armstrong 2005) and its test oracle: the two must agree in distribution, not draw for
draw. Every missile is followed through launch, targeting, allocation, the area layer,
its target's point layer, soft kill and the hit, with Python's :mod:`random`.
Slow by design.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from nansei.combat.forces import ShipType, Side

__all__ = ["Ship", "reference_exchange", "reference_salvo", "new_ships"]


@dataclass
class Ship:
    """One ship in one replication."""

    spec: ShipType
    threshold: int  # hits that put it out of action
    hits: int = 0
    area_stock: float = 0.0  # area interceptors left (math.inf: unlimited)
    magazine: float = math.inf  # offensive missiles left

    @property
    def alive(self) -> bool:
        return self.hits < self.threshold


def _round_random(rand: random.Random, value: float) -> int:
    whole = math.floor(value)
    return whole + (1 if rand.random() < value - whole else 0)


def new_ships(rand: random.Random, ships: tuple[ShipType, ...]) -> list[Ship]:
    """Fresh ships of a side, staying power drawn as the engine draws it."""
    out = []
    for spec in ships:
        for _ in range(spec.count):
            if spec.staying_power_range is not None:
                threshold = rand.randint(*spec.staying_power_range)
            else:
                threshold = max(1, _round_random(rand, spec.staying_power))
            area = spec.area
            stock = 0.0
            if area is not None and area.channels > 0:
                stock = math.inf if area.inventory is None else float(area.inventory)
            magazine = math.inf if spec.magazine is None else float(spec.magazine)
            out.append(Ship(spec, threshold, area_stock=stock, magazine=magazine))
    return out


def _count_manned(rand: random.Random, channels: float, readiness: float) -> int:
    return sum(rand.random() < readiness for _ in range(_round_random(rand, channels)))


def _allocate(rand: random.Random, aimed: int, ships: list[Ship], allocation: str) -> list[int]:
    """The target (index into ships) of each aimed missile."""
    live = [i for i, ship in enumerate(ships) if ship.alive]
    if not live:
        return []
    if allocation == "concentrated":
        targets = []
        for i in live:
            need = ships[i].threshold - ships[i].hits
            targets += [i] * min(need, aimed - len(targets))
        turn = 0
        while len(targets) < aimed:  # the surplus, round-robin over the live ships
            targets.append(live[turn % len(live)])
            turn += 1
        return targets
    weights = [ships[i].spec.value if allocation == "value" else 1.0 for i in live]
    if sum(weights) == 0:
        return []
    return rand.choices(live, weights=weights, k=aimed)


def reference_salvo(
    rand: random.Random, ships: list[Ship], launched: int, attacker: Side, readiness: float
) -> dict[str, int]:
    """One salvo of ``launched`` missiles fired by ``attacker`` at ``ships`` (updated)."""
    flown = sum(rand.random() < attacker.reliability for _ in range(launched))
    aimed = sum(rand.random() < attacker.scouting for _ in range(flown))
    alive_before = [ship.alive for ship in ships]
    targets = _allocate(rand, aimed, ships, attacker.allocation)

    # Area layer: pooled channels and interceptors of the live area ships.
    area_ships = [
        s for s, up in zip(ships, alive_before, strict=True)
        if up and s.spec.area is not None and s.spec.area.channels > 0
    ]  # fmt: skip
    intercepted_area = used = 0
    if area_ships:
        channels = sum(s.spec.area.channels for s in area_ships)
        manned = _count_manned(rand, channels, readiness)
        stock = sum(s.area_stock for s in area_ships)
        pk = sum(s.spec.area.p_kill * s.spec.area.channels for s in area_ships) / channels
        first = area_ships[0].spec.area
        shots, look = first.shots, first.doctrine == "shoot-look-shoot"
        if look:
            engaged = int(min(len(targets), manned, stock))
        else:
            engaged = int(min(len(targets), manned, stock // shots))
        order = rand.sample(range(len(targets)), engaged)  # which missiles are engaged
        killed = set()
        if look:
            misses = []
            for m in order:  # everyone engaged gets a first shot
                used += 1
                (killed.add if rand.random() < pk else misses.append)(m)
            for _ in range(shots - 1):  # then the misses, in turn, while interceptors last
                again = []
                for m in misses:
                    if used >= stock:
                        break
                    used += 1
                    (killed.add if rand.random() < pk else again.append)(m)
                misses = again
        else:
            for m in order:
                used += shots
                if any(rand.random() < pk for _ in range(shots)):
                    killed.add(m)
        intercepted_area = len(killed)
        targets = [t for m, t in enumerate(targets) if m not in killed]
        left = used
        for s in area_ships:  # interceptors come from the area ships in order
            take = min(left, s.area_stock)
            s.area_stock -= take
            left -= take

    # Point layer, soft kill and hits, ship by ship.
    intercepted_point = seduced = leakers = hits = 0
    for index, ship in enumerate(ships):
        incoming = sum(1 for t in targets if t == index)
        if incoming == 0:
            continue
        layer = ship.spec.point_layer
        if layer is not None and layer.channels > 0:
            engaged = min(incoming, _count_manned(rand, layer.channels, readiness))
            for _ in range(engaged):
                if any(rand.random() < layer.p_kill for _ in range(layer.shots)):
                    intercepted_point += 1
                    incoming -= 1
        for _ in range(incoming):
            if rand.random() < ship.spec.softkill_p:
                seduced += 1
                continue
            leakers += 1
            if rand.random() < attacker.p_hit:
                hits += 1
                ship.hits += 1
    return {
        "launched": launched,
        "flown": flown,
        "aimed": aimed,
        "intercepted_area": intercepted_area,
        "intercepted_point": intercepted_point,
        "seduced": seduced,
        "leakers": leakers,
        "hits": hits,
        "interceptors_used": int(used),
    }


def _launch(rand: random.Random, ships: list[Ship]) -> int:
    total = 0
    for ship in ships:
        if ship.alive:
            fire = int(min(_round_random(rand, ship.spec.missiles), ship.magazine))
            ship.magazine -= fire
            total += fire
    return total


def reference_exchange(
    rand: random.Random, a: Side, b: Side, rounds: int = 1, order: str = "simultaneous"
) -> dict[str, dict[str, int]]:
    """One replication of a ``rounds``-round exchange; per side what it fired and took."""
    sides = (a, b)
    fleets = [new_ships(rand, side.ships) for side in sides]
    took = [dict.fromkeys(("hits", "intercepted_area", "intercepted_point", "seduced",
                           "leakers", "interceptors_used"), 0) for _ in sides]  # fmt: skip
    fired = [0, 0]
    fought = 0

    def salvo(k: int, launched: int) -> None:
        if launched == 0:
            return
        fired[k] += launched
        result = reference_salvo(rand, fleets[1 - k], launched, sides[k], sides[1 - k].readiness)
        for name in took[1 - k]:
            took[1 - k][name] += result[name]

    for _ in range(rounds):
        alive = [any(ship.alive for ship in fleet) for fleet in fleets]
        armed = [
            any(s.alive and s.magazine > 0 and s.spec.missiles > 0 for s in fleet)
            for fleet in fleets
        ]
        if not (alive[0] and alive[1] and (armed[0] or armed[1])):
            break
        fought += 1
        if order == "simultaneous":
            launches = [_launch(rand, fleets[0]), _launch(rand, fleets[1])]
            salvo(0, launches[0])
            salvo(1, launches[1])
        else:
            first = 0 if order == a.name else 1
            for k in (first, 1 - first):
                if any(ship.alive for ship in fleets[k]):
                    salvo(k, _launch(rand, fleets[k]))
    out = {}
    for k, side in enumerate(sides):
        out[side.name] = {
            "out_of_action": sum(not ship.alive for ship in fleets[k]),
            "hits_received": took[k]["hits"],
            "missiles_launched": fired[k],
            **{name: took[k][name] for name in took[k] if name != "hits"},
            "rounds_fought": fought,
        }
    return out
