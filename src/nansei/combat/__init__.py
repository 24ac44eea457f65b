"""Salvo exchanges between missile forces (docs/model.md §3).

* :mod:`nansei.combat.forces` — what a side is: ship types, defence layers, attack
  factors; catalog ship classes as ship types.
* :mod:`nansei.combat.hughes` — Hughes' (1995) deterministic salvo equations.
* :mod:`nansei.combat.kernels` — the stochastic salvo (after Armstrong 2005), one
  missile at a time, compiled with numba; shared by exchanges and campaigns.
* :mod:`nansei.combat.engine` — multi-round exchanges between two sides on those
  kernels, chunked, with streaming histograms.
* :mod:`nansei.combat.reference` — the same stochastic model, one replication and one
  missile at a time: the readable definition and the engine's test oracle.
* :mod:`nansei.combat.spec` — salvo files (YAML) into two sides and run settings; the
  only module here that reads files.

``docs/salvo.md`` describes the method, the checks and the speed.
"""

from nansei.combat.engine import ExchangeResult, exchange_counts, simulate_exchange
from nansei.combat.forces import Layer, ShipType, Side, ship_type_from_class
from nansei.combat.hughes import HughesResult, hughes_exchange, hughes_salvo

__all__ = [
    "ExchangeResult",
    "HughesResult",
    "Layer",
    "ShipType",
    "Side",
    "exchange_counts",
    "hughes_exchange",
    "hughes_salvo",
    "ship_type_from_class",
    "simulate_exchange",
]
