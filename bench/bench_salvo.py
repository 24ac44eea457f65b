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
  (target < 1 GB);
* each rate also in CPU seconds (``time.process_time``), which other work on a shared
  machine disturbs less than wall time, and the cost per replication: uniform draws
  per replication (counted in a child with numba's JIT off: stream positions, and those
  actually computed — a draw whose value cannot matter is skipped, not mixed), CPU ns
  per replication and per draw, against the ns of one compiled uniform draw in a tight
  loop.

Writes bench/results/salvo.json.
"""

from __future__ import annotations

import dataclasses
import json
import os
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
wall, cpu = [], []
for seed in range(1, {runs} + 1):
    start, start_cpu = time.perf_counter(), time.process_time()
    simulate_exchange((blue, red), replications={reps}, seed=seed, rounds={rounds})
    wall.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
# Random values drawn per replication: the baseline draws each layer's counts as one
# vectorised binomial (or hypergeometric) per replication, per ship where per ship.
import numpy as np
import nansei.combat.engine as engine
drawn = [0]
class Counting:
    def __init__(self, rng):
        self.rng = rng
    def __getattr__(self, name):
        method = getattr(self.rng, name)
        def counted(*args, **kwargs):
            out = method(*args, **kwargs)
            drawn[0] += np.size(out)
            return out
        return counted
simulate_exchange((blue, red), replications=65536, seed=1, rounds={rounds},
                  rng_factory=lambda *a: Counting(engine.chunk_rng(*a)))
print(json.dumps([{reps} / statistics.median(wall), {reps} / statistics.median(cpu),
                  drawn[0] / 65536]))
"""


def baseline_rate(rounds: int) -> tuple[float, float, float] | None:
    """The baseline engine's replications per second (wall, CPU) on the same case, and
    the random values it draws per replication."""
    script = _BASELINE_SCRIPT.format(
        bench=str(ROOT / "bench"), rounds=rounds, runs=RUNS, reps=BASELINE_REPLICATIONS
    )
    try:
        wall, cpu, drawn = json.loads(run_at(BASELINE, script).strip().splitlines()[-1])
    except (RuntimeError, subprocess.CalledProcessError):
        return None
    return wall, cpu, drawn


_COUNT_SCRIPT = """
import json, sys, warnings
warnings.filterwarnings("ignore")  # uint64 wrap-around warns in plain Python
sys.path.insert(0, {bench!r})
import nansei.combat.engine as engine
import nansei.combat.kernels as kernels
import nansei.streams as streams
from bench_salvo import sides
drawn, mixed = [0], [0]
plain_uniform, plain_unit, plain_skip = streams.uniform, streams.unit, streams.skip
def counted_uniform(stream):
    drawn[0] += 1
    mixed[0] += 1
    return plain_uniform(stream)
def counted_unit(state):
    drawn[0] += 1
    mixed[0] += 1
    return plain_unit(state)
def counted_skip(stream, n):
    drawn[0] += n
    return plain_skip(stream, n)
kernels.uniform, kernels.unit, kernels.skip = counted_uniform, counted_unit, counted_skip
blue, red = sides({rounds})
engine.exchange_counts((blue, red), {reps}, 1, {rounds})
print(json.dumps([drawn[0] / {reps}, mixed[0] / {reps}]))
"""
DRAW_COUNT_REPLICATIONS = 1_000


def draws_per_replication(rounds: int) -> tuple[float, float]:
    """Uniform draws per replication (positions in the streams, skipped ones included),
    and those actually computed, counted with the kernels run as plain Python."""
    script = _COUNT_SCRIPT.format(
        bench=str(ROOT / "bench"), rounds=rounds, reps=DRAW_COUNT_REPLICATIONS
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    drawn, mixed = json.loads(done.stdout.strip().splitlines()[-1])
    return drawn, mixed


def ns_per_uniform() -> float:
    """CPU ns of one compiled uniform draw in a tight loop (median of RUNS)."""
    from numba import njit

    from nansei.streams import new_stream, uniform

    @njit
    def draw(stream, n):
        total = 0.0
        for _ in range(n):
            total += uniform(stream)
        return total

    n = 20_000_000
    stream = new_stream(np.uint64(1), 0, 0, 0)
    draw(stream, 10)
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        draw(stream, n)
        times.append(time.process_time() - start)
    return statistics.median(times) / n * 1e9


def case(rounds: int) -> dict:
    from nansei.combat.engine import CHUNK_REPS, simulate_exchange
    from nansei.combat.reference import reference_exchange

    blue, red = sides(rounds)

    def engine_run(seed: int) -> tuple[float, float]:
        start, start_cpu = time.perf_counter(), time.process_time()
        simulate_exchange((blue, red), replications=REPLICATIONS, seed=seed, rounds=rounds)
        return time.perf_counter() - start, time.process_time() - start_cpu

    engine_run(0)  # warm-up (compiles or loads the kernels)
    timings = [engine_run(seed) for seed in range(1, RUNS + 1)]
    engine_s = statistics.median(wall for wall, _ in timings)
    engine_cpu_s = statistics.median(cpu for _, cpu in timings)

    rand = random.Random(1)
    start = time.perf_counter()
    for _ in range(REFERENCE_REPLICATIONS):
        reference_exchange(rand, blue, red, rounds=rounds)
    reference_s = time.perf_counter() - start

    engine_rate = REPLICATIONS / engine_s
    engine_cpu_rate = REPLICATIONS / engine_cpu_s
    reference_rate = REFERENCE_REPLICATIONS / reference_s
    baseline = baseline_rate(rounds)
    draws, mixed = draws_per_replication(rounds)
    row = {
        "rounds": rounds,
        "replications": REPLICATIONS,
        "chunk_reps": CHUNK_REPS,
        "engine_median_s": round(engine_s, 3),
        "engine_reps_per_s": round(engine_rate),
        "engine_cpu_reps_per_s": round(engine_cpu_rate),
        "reference_reps_per_s": round(reference_rate, 1),
        "engine_over_reference": round(engine_rate / reference_rate, 1),
        "baseline_commit": BASELINE,
        "baseline_reps_per_s": None,
        "engine_over_baseline": None,
        "baseline_cpu_reps_per_s": None,
        "engine_over_baseline_cpu": None,
        "baseline_draws_per_replication": None,
        "baseline_cpu_ns_per_draw": None,
        "draws_per_replication": round(draws, 1),
        "mixed_draws_per_replication": round(mixed, 1),
        "engine_cpu_ns_per_replication": round(1e9 / engine_cpu_rate, 1),
        "engine_cpu_ns_per_draw": round(1e9 / engine_cpu_rate / draws, 2),
    }
    if baseline is not None:
        row.update(
            baseline_reps_per_s=round(baseline[0]),
            engine_over_baseline=round(engine_rate / baseline[0], 2),
            baseline_cpu_reps_per_s=round(baseline[1]),
            engine_over_baseline_cpu=round(engine_cpu_rate / baseline[1], 2),
            baseline_draws_per_replication=round(baseline[2], 1),
            baseline_cpu_ns_per_draw=round(1e9 / baseline[1] / baseline[2], 2),
        )
    return row


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

    load_before = os.getloadavg()[0]
    big = big_run()
    single = case(1)
    multi = case(4)
    uniform_ns = ns_per_uniform()
    figures = {
        "benchmark": "salvo",
        "case": "4 launchers x 6 missiles vs 1 x type-055 + 2 x type-052d + 1 x type-054a",
        "single_salvo": single,
        "four_rounds": multi,
        "ten_million": big,
        "ns_per_uniform_draw": round(uniform_ns, 2),
        "targets": {"ten_million_max_rss_mib": 1024},
        "meets": {"ten_million_memory": big["max_rss_mib"] < 1024},
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        # Other work on the machine slows every figure; ratios within one run hold better.
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    write_json(RESULTS, figures)
    for name, row in (("single salvo", single), ("four rounds", multi)):
        print(
            f"salvo {name}: {row['engine_reps_per_s']:,} reps/s (median of {RUNS}); "
            f"{row['engine_over_reference']}x the scalar reference "
            f"({row['reference_reps_per_s']} reps/s); "
            f"{row['engine_over_baseline']}x the {BASELINE} engine "
            f"({row['engine_over_baseline_cpu']}x in CPU time); "
            f"{row['draws_per_replication']} draws/rep, "
            f"{row['engine_cpu_ns_per_draw']} CPU ns per draw"
        )
    print(
        f"one compiled uniform draw: {figures['ns_per_uniform_draw']} ns; "
        f"load {figures['load_average_1min']}"
    )
    print(
        f"salvo 10^7 replications: {big['seconds']} s, max RSS {big['max_rss_mib']} MiB; "
        f"meets {figures['meets']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
