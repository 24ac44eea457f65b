"""Speed and memory of the stochastic salvo engine (issue 4 targets), one run.

Reference case: a company of 4 launchers × 6 missiles (catalog Type 12 factors:
reliability 0.9, σ 0.8, p_hit 0.5) against 1 × Type 055 + 2 × Type 052D + 1 × Type 054A
with their catalog area and point layers and readiness τ 0.9 — a single salvo, and
four rounds from a 24-missile magazine per launcher. Recorded, all in this run:

* engine replications per second (median of RUNS timings);
* the scalar reference's rate (``nansei.combat.reference``, one replication at a time)
  and the ratio engine / reference;
* the numpy-vectorised engine as it was at :data:`BASELINE` (a temporary git worktree,
  run in a subprocess) and the ratio engine / baseline;
* 10^7 replications in a child process: wall time and its maximum resident set size
  (target < 1 GB).

Writes bench/results/salvo.json.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import run_at  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "salvo.json"
REPLICATIONS = 1_000_000
REFERENCE_REPLICATIONS = 3_000
BIG = 10_000_000
RUNS = 5
#: The last commit with the numpy-vectorised salvo engine (before the numba kernels).
BASELINE = "3bbbe09"
BASELINE_REPLICATIONS = 300_000


def sides(rounds: int):
    from nansei.catalog import default_catalog
    from nansei.combat.forces import ShipType, Side, ship_type_from_class

    catalog = default_catalog()
    red_ships = tuple(
        # The group's anti-ship missiles cannot strike trucks ashore: it only defends.
        dataclasses.replace(ship_type_from_class(catalog, cls, n), missiles=0, magazine=0)
        for cls, n in (("type-055", 1), ("type-052d", 2), ("type-054a", 1))
    )
    red = Side("red", red_ships, readiness=catalog.value("engagement.readiness_tau"))
    blue = Side(
        "blue",
        (ShipType("launcher", 4, missiles=6, magazine=6 * rounds),),
        reliability=catalog.value("type12-improved.reliability"),
        scouting=catalog.value("engagement.scouting_sigma"),
        p_hit=catalog.value("type12-improved.p_hit"),
    )
    return blue, red


_BASELINE_SCRIPT = """
import json, statistics, sys, time
sys.path.insert(0, {bench!r})
from bench_salvo import sides
from nansei.combat.engine import simulate_exchange
blue, red = sides({rounds})
simulate_exchange((blue, red), replications=10_000, seed=0, rounds={rounds})
times = []
for seed in range(1, {runs} + 1):
    start = time.perf_counter()
    simulate_exchange((blue, red), replications={reps}, seed=seed, rounds={rounds})
    times.append(time.perf_counter() - start)
print(json.dumps({reps} / statistics.median(times)))
"""


def baseline_rate(rounds: int) -> float | None:
    """The baseline engine's replications per second on the same case."""
    script = _BASELINE_SCRIPT.format(
        bench=str(ROOT / "bench"), rounds=rounds, runs=RUNS, reps=BASELINE_REPLICATIONS
    )
    try:
        return float(run_at(BASELINE, script).strip().splitlines()[-1])
    except (RuntimeError, subprocess.CalledProcessError):
        return None


def case(rounds: int) -> dict:
    from nansei.combat.engine import CHUNK_REPS, simulate_exchange
    from nansei.combat.reference import reference_exchange

    blue, red = sides(rounds)

    def engine_run(seed: int) -> float:
        start = time.perf_counter()
        simulate_exchange((blue, red), replications=REPLICATIONS, seed=seed, rounds=rounds)
        return time.perf_counter() - start

    engine_run(0)  # warm-up (compiles or loads the kernels)
    engine_s = statistics.median(engine_run(seed) for seed in range(1, RUNS + 1))

    rand = random.Random(1)
    start = time.perf_counter()
    for _ in range(REFERENCE_REPLICATIONS):
        reference_exchange(rand, blue, red, rounds=rounds)
    reference_s = time.perf_counter() - start

    engine_rate = REPLICATIONS / engine_s
    reference_rate = REFERENCE_REPLICATIONS / reference_s
    baseline = baseline_rate(rounds)
    return {
        "rounds": rounds,
        "replications": REPLICATIONS,
        "chunk_reps": CHUNK_REPS,
        "engine_median_s": round(engine_s, 3),
        "engine_reps_per_s": round(engine_rate),
        "reference_reps_per_s": round(reference_rate, 1),
        "engine_over_reference": round(engine_rate / reference_rate, 1),
        "baseline_commit": BASELINE,
        "baseline_reps_per_s": None if baseline is None else round(baseline),
        "engine_over_baseline": None if baseline is None else round(engine_rate / baseline, 2),
    }


BIG_SCRIPT = """
import json, sys, time
sys.path.insert(0, {bench!r})
from bench_salvo import sides
from nansei.combat.engine import simulate_exchange
blue, red = sides(1)
start = time.perf_counter()
result = simulate_exchange((blue, red), replications={big}, seed=1)
elapsed = time.perf_counter() - start
out = result.record()["sides"]["red"]["out_of_action"]
# VmHWM: this process's peak resident set (ru_maxrss would carry the parent's over exec).
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({{"seconds": elapsed, "max_rss_mib": peak_kib / 1024,
                  "mean_out_of_action": out["mean"], "ci95": out["ci95"]}}))
"""


def big_run() -> dict:
    script = BIG_SCRIPT.format(bench=str(ROOT / "bench"), big=BIG)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "replications": BIG,
        "seconds": round(figures["seconds"], 2),
        "max_rss_mib": round(figures["max_rss_mib"], 1),
        "red_out_of_action_mean": figures["mean_out_of_action"],
        "red_out_of_action_ci95": figures["ci95"],
    }


def main() -> int:
    from nansei.results import write_json

    big = big_run()
    single = case(1)
    multi = case(4)
    figures = {
        "benchmark": "salvo",
        "case": "4 launchers x 6 missiles vs 1 x type-055 + 2 x type-052d + 1 x type-054a",
        "single_salvo": single,
        "four_rounds": multi,
        "ten_million": big,
        "targets": {"ten_million_max_rss_mib": 1024},
        "meets": {"ten_million_memory": big["max_rss_mib"] < 1024},
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    write_json(RESULTS, figures)
    for name, row in (("single salvo", single), ("four rounds", multi)):
        print(
            f"salvo {name}: {row['engine_reps_per_s']:,} reps/s (median of {RUNS}); "
            f"{row['engine_over_reference']}x the scalar reference "
            f"({row['reference_reps_per_s']} reps/s); "
            f"{row['engine_over_baseline']}x the {BASELINE} engine"
        )
    print(
        f"salvo 10^7 replications: {big['seconds']} s, max RSS {big['max_rss_mib']} MiB; "
        f"meets {figures['meets']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
