"""What a side in a salvo exchange is: ship types, defence layers, attack factors.

One description of a ship's defence serves both salvo models (docs/model.md §3):

* The **layers** are the description: an **area** layer (channels that engage missiles
  aimed at any ship of the side, a kill probability per shot, shots per engaged missile
  and a finite interceptor inventory), a **point** layer per ship (the same, without an
  inventory limit) and a soft-kill seduction probability ``softkill_p``.
* The stochastic engine plays the layers out missile by missile.
* Hughes' per-ship defensive power b3 — missiles one ship defeats per salvo — is
  *derived* from the same layers (:func:`layered_b3`): every channel busy, each engaged
  missile killed with ``1 − (1 − p_kill)^shots``, area channels capped by what the
  inventory can feed, so ``b3 = c_area·P_area + c_point·P_point``. Soft kill enters
  Hughes as the factor ``(1 − softkill_p)`` on the missiles that get through.
* ``p_hit`` (a :class:`Side` factor) is the probability that a missile that reached its
  ship unengaged and unseduced hits it; both models apply it once, after the defences.

A ship type given only Hughes' ``interceptors`` b3 (no layers) defends itself in the
stochastic engine with a point layer of b3 channels, kill probability 1 and one shot
per missile (:func:`hughes_point_layer`), whose derived b3 is b3 again.

When the two models agree: ``b3`` is a capacity (every channel busy). Against a small
salvo spread over several ships some channels idle, so for a layered defender Hughes'
equations subtract the defence the salvo actually meets, the closed form of
:mod:`nansei.combat.defence`; the first salvo's mean hits then agree with the engine's
whether the layers are saturated or not. See docs/salvo.md.

Catalog ship classes (``type-055`` …) fill every field from the catalog:
``missiles`` = ``anti_ship_missiles``, ``staying_power`` = ``staying_power_hits``, the
area layer from ``area_channels``, ``area_p_kill`` and the ``interceptors`` inventory,
the point layer from ``point_channels`` and ``point_p_kill``, soft kill from
``softkill_p``; ``interceptors`` (b3) is then :func:`layered_b3` of those layers.

Units: counts of ships, missiles, channels and hits; probabilities in [0, 1].
Pure data: nothing here reads files or prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from nansei.catalog import Catalog

__all__ = [
    "ALLOCATIONS",
    "DOCTRINES",
    "Layer",
    "ShipType",
    "Side",
    "class_defence",
    "hughes_point_layer",
    "layered_b3",
    "ship_type_from_class",
]

#: How aimed missiles pick their targets among the live ships of the other side.
ALLOCATIONS = ("uniform", "concentrated", "value")
#: How a defence layer fires at a missile it engages.
DOCTRINES = ("salvo", "shoot-look-shoot")

Allocation = Literal["uniform", "concentrated", "value"]
Doctrine = Literal["salvo", "shoot-look-shoot"]


@dataclass(frozen=True)
class Layer:
    """One defence layer.

    ``channels``: missiles it can engage per salvo (a fractional value f is ⌊f⌋ or ⌈f⌉
    channels at random with mean f). ``p_kill``: kill probability of one shot.
    ``shots``: shots per engaged missile; ``doctrine`` ``salvo`` fires them all at once,
    ``shoot-look-shoot`` fires the next only after a miss. ``inventory``: interceptors
    it holds, ``None`` for unlimited (guns, or a magazine that never binds).
    """

    channels: float
    p_kill: float
    shots: int = 1
    doctrine: Doctrine = "salvo"
    inventory: int | None = None

    def __post_init__(self) -> None:
        if not (self.channels >= 0 and math.isfinite(self.channels)):
            raise ValueError(f"channels must be a finite number >= 0, got {self.channels}")
        if not 0.0 <= self.p_kill <= 1.0:
            raise ValueError(f"p_kill must be a probability in [0, 1], got {self.p_kill}")
        if self.shots < 1:
            raise ValueError(f"shots must be >= 1, got {self.shots}")
        if self.doctrine not in DOCTRINES:
            raise ValueError(f"doctrine must be one of {', '.join(DOCTRINES)}")
        if self.inventory is not None and self.inventory < 0:
            raise ValueError(f"inventory must be >= 0, got {self.inventory}")

    @property
    def p_kill_engaged(self) -> float:
        """Probability that an engaged missile is killed: 1 − (1 − p_kill)^shots (either
        doctrine; they differ only in interceptors used)."""
        return 1.0 - (1.0 - self.p_kill) ** self.shots


def layered_b3(area: Layer | None, point: Layer | None) -> float:
    """Hughes' b3 [missiles/ship/salvo] of one ship with these layers: the missiles its
    channels defeat when all are busy, ``c_area·P_area + c_point·P_point`` with
    ``P = 1 − (1 − p_kill)^shots``. The area channels count only as far as the ship's
    inventory can feed them in one salvo (``inventory // shots``)."""
    total = 0.0
    if area is not None and area.channels > 0:
        channels = area.channels
        if area.inventory is not None:
            channels = min(channels, area.inventory // area.shots)
        total += channels * area.p_kill_engaged
    if point is not None and point.channels > 0:
        total += point.channels * point.p_kill_engaged
    return total


def hughes_point_layer(interceptors: float) -> Layer:
    """Hughes' b3 as a stochastic layer: b3 channels, sure kill, one shot, no inventory."""
    return Layer(channels=float(interceptors), p_kill=1.0, shots=1)


@dataclass(frozen=True)
class ShipType:
    """``count`` identical ships.

    ``missiles``: offensive missiles each ship fires per salvo (Hughes' α);
    ``magazine``: offensive missiles each ship carries (``None``: never runs out).
    ``interceptors``: Hughes' b3 of a ship given without layers (with layers, b3 is
    derived from them: :attr:`b3`). ``staying_power``: hits that put a ship out of action
    (Hughes' b1; a fractional value s makes each ship's threshold ⌊s⌋ or ⌈s⌉ hits at
    random with mean s); ``staying_power_range`` ``(lo, hi)`` instead draws each ship's
    threshold uniformly from the whole numbers lo … hi. ``value``: weight under the
    ``value`` allocation. ``area`` / ``point`` / ``softkill_p``: stochastic defences;
    ``layers_given`` says they were given (possibly as none at all); otherwise the ship
    defends with ``hughes_point_layer(interceptors)`` in the stochastic engine.
    """

    name: str
    count: int
    missiles: float = 0.0
    magazine: int | None = None
    interceptors: float = 0.0
    staying_power: float = 1.0
    staying_power_range: tuple[int, int] | None = None
    value: float = 1.0
    area: Layer | None = None
    point: Layer | None = None
    softkill_p: float = 0.0
    layers_given: bool = False
    class_id: str | None = None

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count}")
        for name in ("missiles", "interceptors", "value"):
            number = getattr(self, name)
            if not (number >= 0 and math.isfinite(number)):
                raise ValueError(f"{name} must be a finite number >= 0, got {number}")
        if not self.staying_power > 0:
            raise ValueError(f"staying_power must be > 0, got {self.staying_power}")
        if self.staying_power_range is not None:
            low, high = self.staying_power_range
            if not 1 <= low <= high:
                raise ValueError(f"staying_power_range must be 1 <= lo <= hi, got {low}, {high}")
        if self.magazine is not None and self.magazine < 0:
            raise ValueError(f"magazine must be >= 0, got {self.magazine}")
        if not 0.0 <= self.softkill_p <= 1.0:
            raise ValueError(f"softkill_p must be a probability in [0, 1], got {self.softkill_p}")

    @property
    def point_layer(self) -> Layer | None:
        """The point layer the stochastic engine uses (Hughes' b3 if no layer is given)."""
        if not self.layers_given:
            return hughes_point_layer(self.interceptors) if self.interceptors > 0 else None
        return self.point

    @property
    def b3(self) -> float:
        """Hughes' defensive power per ship [missiles/salvo]: derived from the layers
        when they are given (:func:`layered_b3`), else ``interceptors``."""
        if self.layers_given:
            return layered_b3(self.area, self.point)
        return self.interceptors

    @property
    def mean_staying_power(self) -> float:
        if self.staying_power_range is not None:
            return (self.staying_power_range[0] + self.staying_power_range[1]) / 2.0
        return self.staying_power


@dataclass(frozen=True)
class Side:
    """One side: its ship types and the factors Hughes and Armstrong put on a salvo.

    ``scouting`` σ: share of launched missiles aimed at real targets (the rest are
    wasted). ``readiness`` τ: defensive alertness; each defence channel is manned for a
    salvo with probability τ (Hughes multiplies b3 by τ). ``reliability``: a launched
    missile flies to its target area. ``p_hit``: a missile that reached its ship
    unengaged and unseduced hits it (applied once, after every defence).
    ``allocation``: ``uniform``, ``concentrated`` or ``value`` (see the engine).
    """

    name: str
    ships: tuple[ShipType, ...]
    scouting: float = 1.0
    readiness: float = 1.0
    reliability: float = 1.0
    p_hit: float = 1.0
    allocation: Allocation = "uniform"

    def __post_init__(self) -> None:
        for name in ("scouting", "readiness", "reliability", "p_hit"):
            number = getattr(self, name)
            if not 0.0 <= number <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {number}")
        if self.allocation not in ALLOCATIONS:
            raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}")

    @property
    def ship_count(self) -> int:
        return sum(ship.count for ship in self.ships)

    def with_(self, **changes) -> Side:
        return replace(self, **changes)


def ship_type_from_class(
    catalog: Catalog, class_id: str, count: int = 1, name: str | None = None
) -> ShipType:
    """A catalog ship class (kind ``ship-class``) as a ship type; see the module doc for
    which catalog parameter fills which field. Raises ``UnknownIdError`` for an
    unknown class."""
    catalog.entity(class_id)
    defence = class_defence(catalog.value, class_id)
    missiles = catalog.value(f"{class_id}.anti_ship_missiles")
    return ShipType(
        name=name or class_id,
        count=int(count),
        missiles=missiles,
        magazine=int(round(missiles)),
        interceptors=layered_b3(defence.area, defence.point),
        staying_power=defence.staying_power,
        area=defence.area,
        point=defence.point,
        softkill_p=defence.softkill_p,
        layers_given=True,
        class_id=class_id,
    )


def class_defence(read: Callable[[str], float], class_id: str) -> ShipType:
    """One ship of a catalog class as a target only: its area and point layers, soft kill
    and staying power, read with ``read(param_id)`` (no offensive missiles; the area
    interceptors are read only when the class has area channels). The campaign uses this
    directly, so it reads — and ``--set`` accepts — only what a target needs."""

    def value(param: str) -> float:
        return read(f"{class_id}.{param}")

    area_channels = value("area_channels")
    area = None
    if area_channels > 0:
        inventory = int(round(value("interceptors")))
        area = Layer(channels=area_channels, p_kill=value("area_p_kill"), inventory=inventory)
    point_channels = value("point_channels")
    point = (
        Layer(channels=point_channels, p_kill=value("point_p_kill")) if point_channels > 0 else None
    )
    return ShipType(
        name=class_id,
        count=1,
        staying_power=value("staying_power_hits"),
        area=area,
        point=point,
        softkill_p=value("softkill_p"),
        layers_given=True,
        class_id=class_id,
    )
