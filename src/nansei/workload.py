"""How much a run will cost before it starts: work, memory and output size.

A run that would exhaust memory or take unreasonably long is refused up front (exit 2,
with the numbers and how to make it smaller) rather than killed or abandoned later;
``--force`` runs it anyway. The estimates are deliberately simple closed forms in the
run's inputs; ``docs/limits.md`` states each constant and where it comes from.

Campaign work is counted in ship arrivals: replications × posture years × Σ over
groups of (arrivals_per_day × days × ships per group) — every arriving ship is
tracked, cued and possibly engaged. Salvo work is counted in draws: replications ×
rounds × (ships on both sides + missiles they fire per round × shots per engaged
missile), since the salvo kernel draws per ship and per missile.
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

#: Ship arrivals one campaign command may simulate: about an hour at the compiled
#: event engine's ~2.4×10^6 a second on one core (miyako-transit, 48 ship arrivals per
#: replication at ~50,000 replications/s; a 2026-11 measurement).
MAX_CAMPAIGN_WORK = 1e10
#: Draws one salvo command may make: about 20 minutes at the compiled salvo kernel's
#: ~8×10^6 a second on one core (company-vs-sag: 8 ships and 24 missiles per
#: replication at ~250,000 replications/s; a 2026-11 measurement).
MAX_SALVO_WORK = 1e10
#: Bytes per replication per posture year held while a campaign runs: 17 eight-byte
#: columns (15 per-replication results, year, replication index), kept ~3 times over
#: (engine output, stacked table, Parquet buffers).
CAMPAIGN_BYTES_PER_REPLICATION = 17 * 8 * 3
#: Bytes per replication per posture year in replications.parquet (uncompressed bound).
CAMPAIGN_OUTPUT_BYTES_PER_REPLICATION = 17 * 8
#: Counts kept per replication and side by the salvo engine (its SIDE_METRICS and
#: rounds fought), eight bytes each, for one chunk.
SALVO_COUNTS_PER_REPLICATION = 2 * 16
#: Replications the salvo engine holds at once (nansei.combat.engine.CHUNK_REPS).
SALVO_CHUNK = 65_536
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


def salvo_workload(
    ships: int, missiles: float, replications: int, rounds: int, shots: int = 1
) -> Workload:
    """A stochastic salvo exchange of ``ships`` (both sides) firing ``missiles`` a round
    (both sides) over ``rounds``, with up to ``shots`` per engaged missile."""
    chunk = min(replications, SALVO_CHUNK)
    per_round = ships + missiles * max(shots, 1)
    return Workload(
        work=float(replications) * rounds * max(per_round, 1.0),
        unit="draws",
        work_limit=MAX_SALVO_WORK,
        memory_bytes=BASE_BYTES + chunk * SALVO_COUNTS_PER_REPLICATION * 8,
        output_bytes=0,
        reduce="lower --reps, --rounds, ship counts, missiles or shots",
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
