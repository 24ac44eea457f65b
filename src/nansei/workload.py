"""How much a run will cost before it starts: work, memory and output size.

A run that would exhaust memory or take unreasonably long is refused up front (exit 2,
with the numbers and how to make it smaller) rather than killed or abandoned later;
``--force`` runs it anyway. The estimates are deliberately simple closed forms in the
run's inputs; ``docs/limits.md`` states each constant and where it comes from.

Campaign work is counted in ship arrivals: replications × posture years × Σ over
groups of (arrivals_per_day × days × ships per group) — every arriving ship is
tracked, cued and possibly engaged. Salvo work is counted in ship-rounds:
replications × rounds × ships on both sides × shots per engaged missile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from nansei.problems import NanseiError

__all__ = [
    "MAX_CAMPAIGN_WORK",
    "MAX_SALVO_WORK",
    "Workload",
    "WorkloadError",
    "available_memory_bytes",
    "campaign_workload",
    "check_workload",
    "salvo_workload",
]

#: Ship arrivals one campaign command may simulate: about 2.5 hours at the 2026-11
#: engine's ~110,000 per second on one core (miyako-transit, 48 ship arrivals per
#: replication at ~2,400 replications/s); minutes once the compiled kernels land.
MAX_CAMPAIGN_WORK = 1e9
#: Ship-rounds one salvo command may simulate: about 1 hour at ~3×10^6 ship-rounds/s
#: (the 2026-11 stochastic engine, 16,384-replication chunks).
MAX_SALVO_WORK = 1e10
#: Bytes per replication per posture year held while a campaign runs: 15 eight-byte
#: columns, kept ~3 times over (engine output, stacked table, Parquet buffers).
CAMPAIGN_BYTES_PER_REPLICATION = 15 * 8 * 3
#: Bytes per replication per posture year in replications.parquet (uncompressed bound).
CAMPAIGN_OUTPUT_BYTES_PER_REPLICATION = 15 * 8
#: Working arrays per ship in the salvo engine's chunk (hits, thresholds, inventories,
#: magazines, allocations and per-salvo tallies), eight bytes each.
SALVO_ARRAYS_PER_SHIP = 24
#: Replications the salvo engine holds at once (nansei.combat.engine.CHUNK_REPS).
SALVO_CHUNK = 16_384
#: Interpreter, numpy, catalog and land data before any replication.
BASE_BYTES = 300 * 1024 * 1024
#: Share of the available memory a run may plan to use.
MEMORY_SHARE = 0.8


class WorkloadError(NanseiError):
    """A run larger than the machine or a sane time allows (``--force`` overrides)."""


@dataclass(frozen=True)
class Workload:
    """What a run will cost: ``work`` in ``unit`` against ``work_limit``, the memory it
    needs and the bytes it will write, and what to change to make it smaller."""

    work: float
    unit: str
    work_limit: float
    memory_bytes: int
    output_bytes: int
    reduce: str


def available_memory_bytes() -> int | None:
    """Memory the kernel says a new allocation can get (``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def campaign_workload(
    arrivals: list[tuple[float, int]],
    days: float,
    replications: int,
    years: int = 1,
    writes_table: bool = False,
) -> Workload:
    """A campaign of ``replications`` per posture year over ``years`` years, where
    ``arrivals`` lists each group's (arrivals_per_day, ships)."""
    ships_per_replication = sum(rate * days * ships for rate, ships in arrivals)
    runs = replications * years
    return Workload(
        work=runs * max(ships_per_replication, 1.0),
        unit="ship arrivals",
        work_limit=MAX_CAMPAIGN_WORK,
        memory_bytes=BASE_BYTES + runs * CAMPAIGN_BYTES_PER_REPLICATION,
        output_bytes=runs * CAMPAIGN_OUTPUT_BYTES_PER_REPLICATION if writes_table else 0,
        reduce="lower --reps, the number of --years, arrivals_per_day or days",
    )


def salvo_workload(ships: int, replications: int, rounds: int, shots: int = 1) -> Workload:
    """A stochastic salvo exchange of ``ships`` (both sides) over ``rounds``."""
    chunk = min(replications, SALVO_CHUNK)
    return Workload(
        work=float(replications) * rounds * ships * max(shots, 1),
        unit="ship-rounds",
        work_limit=MAX_SALVO_WORK,
        memory_bytes=BASE_BYTES + chunk * ships * SALVO_ARRAYS_PER_SHIP * 8,
        output_bytes=0,
        reduce="lower --reps, --rounds, ship counts or shots",
    )


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


def check_workload(workload: Workload, force: bool = False) -> None:
    """Raise :class:`WorkloadError` (one line: the numbers and how to reduce them) if
    ``workload`` exceeds its work limit or the memory available, unless ``force``."""
    if force:
        return
    if workload.work > workload.work_limit:
        raise WorkloadError(
            f"this run is about {workload.work:,.3g} {workload.unit}, over the limit of "
            f"{workload.work_limit:,.3g} (docs/limits.md); {workload.reduce}, "
            "or add --force to run it anyway"
        )
    available = available_memory_bytes()
    if available is not None and workload.memory_bytes > MEMORY_SHARE * available:
        raise WorkloadError(
            f"this run needs about {_size(workload.memory_bytes)} of memory and "
            f"{_size(available)} is available; {workload.reduce}, "
            "or add --force to run it anyway"
        )
