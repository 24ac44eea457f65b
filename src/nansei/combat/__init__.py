"""Salvo exchanges between missile forces (docs/model.md §3).

* :mod:`nansei.combat.forces` — what a side is: ship types, defence layers, attack
  factors; catalog ship classes as ship types.
* :mod:`nansei.combat.hughes` — Hughes' (1995) deterministic salvo equations.
* :mod:`nansei.combat.engine` — the stochastic salvo engine (after Armstrong 2005),
  vectorised over replications, and multi-round exchanges.
* :mod:`nansei.combat.reference` — the same stochastic model, one replication and one
  missile at a time: the readable definition and the engine's test oracle.
* :mod:`nansei.combat.spec` — salvo files (YAML) into two sides and run settings; the
  only module here that reads files.

``docs/salvo.md`` describes the method, the checks and the speed.
"""

from nansei.combat.engine import Attack, ExchangeResult, Fleet, fire_salvo, simulate_exchange
from nansei.combat.forces import Layer, ShipType, Side, ship_type_from_class
from nansei.combat.hughes import HughesResult, hughes_exchange, hughes_salvo

__all__ = [
    "Attack",
    "ExchangeResult",
    "Fleet",
    "HughesResult",
    "Layer",
    "ShipType",
    "Side",
    "fire_salvo",
    "hughes_exchange",
    "hughes_salvo",
    "ship_type_from_class",
    "simulate_exchange",
]
