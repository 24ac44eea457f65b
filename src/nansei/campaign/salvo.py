"""The campaign's bridge to the salvo engine (docs/model.md §3 inside §5).

A threat group is a :class:`nansei.combat.engine.Fleet` of catalog ship classes whose
state (hits, area interceptors) carries from salvo to salvo over the group's passage;
a posture unit's salvo is an :class:`nansei.combat.engine.Attack` with its missile's
catalog ``reliability`` and ``p_hit``, the catalog scouting σ
(``engagement.scouting_sigma``), and uniform allocation over the group's live ships.
The group's defences are manned with the catalog readiness τ
(``engagement.readiness_tau``). Groups do not fire back at land launchers: their
counter-battery threat is the kill chain of :mod:`nansei.survival`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nansei.catalog import Catalog
from nansei.combat.engine import Attack, Fleet, FleetState, fire_salvo
from nansei.combat.forces import ship_type_from_class

__all__ = ["GroupSalvo", "attack_for"]


def attack_for(catalog: Catalog, system: str) -> Attack:
    """The salvo factors of missile ``system`` from the catalog."""
    return Attack(
        reliability=catalog.value(f"{system}.reliability"),
        scouting=catalog.value("engagement.scouting_sigma"),
        p_hit=catalog.value(f"{system}.p_hit"),
        allocation="uniform",
    )


class GroupSalvo:
    """One kind of group (ships in composition order) as a target of salvos."""

    def __init__(self, catalog: Catalog, class_ids: Sequence[str]):
        ships = [ship_type_from_class(catalog, class_id, 1) for class_id in class_ids]
        self.fleet = Fleet(ships, readiness=catalog.value("engagement.readiness_tau"))

    def initial_state(self, rng: np.random.Generator, rows: int) -> FleetState:
        return self.fleet.new_state(rng, rows)

    def engage(
        self,
        rng: np.random.Generator,
        state: FleetState,
        rows: np.ndarray,
        missiles: np.ndarray,
        attack: Attack,
    ) -> None:
        """Salvos of ``missiles[i]`` at the group in state row ``rows[i]`` (rows unique)."""
        fire_salvo(rng, self.fleet, state, rows, missiles, attack)

    def ships_alive(self, state: FleetState, rows: np.ndarray) -> np.ndarray:
        return state.alive_count(rows)
