"""Speed of the campaign engine (issue 5 target), medians over repeated runs.

Target: `miyako-transit.yaml` (30 days), 10,000 replications in ≤ 20 s on this 2-core
machine. Also recorded: the same run with two worker processes, the peak memory
(tracemalloc peak of Python and numpy allocations during one run, and the process's
maximum resident set size), and the speed-up over the plain-Python scalar reference
(replications per second of each, measured in this run). Writes
bench/results/campaign.json.
"""

from __future__ import annotations

import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "campaign.json"
SCENARIO = "miyako-transit"
REPLICATIONS = 10_000
REFERENCE_REPLICATIONS = 200
TARGET_S = 20.0
RUNS = 3


def main() -> int:
    from nansei.campaign import build_setup, run_campaign
    from nansei.campaign.reference import run_reference
    from nansei.catalog import default_catalog
    from nansei.results import write_json
    from nansei.scenario import load_scenario

    catalog = default_catalog()
    scenario = load_scenario(SCENARIO)
    run_campaign(scenario, catalog, replications=200)  # warm imports and caches

    def timed(workers: int) -> float:
        start = time.perf_counter()
        run_campaign(scenario, catalog, replications=REPLICATIONS, workers=workers)
        return time.perf_counter() - start

    one = [timed(1) for _ in range(RUNS)]
    two = [timed(2) for _ in range(RUNS)]

    tracemalloc.start()
    run_campaign(scenario, catalog, replications=REPLICATIONS)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    setup = build_setup(scenario, catalog)
    start = time.perf_counter()
    run_reference(setup, REFERENCE_REPLICATIONS, scenario.seed)
    reference_s = time.perf_counter() - start
    reference_rate = REFERENCE_REPLICATIONS / reference_s
    engine_s = statistics.median(one)
    engine_rate = REPLICATIONS / engine_s

    figures = {
        "benchmark": "campaign",
        "scenario": SCENARIO,
        "year": scenario.posture.year,
        "days": scenario.days,
        "replications": REPLICATIONS,
        "runs": RUNS,
        "target_s": TARGET_S,
        "median_s_1_worker": round(engine_s, 3),
        "median_s_2_workers": round(statistics.median(two), 3),
        "runs_s_1_worker": [round(t, 3) for t in one],
        "runs_s_2_workers": [round(t, 3) for t in two],
        "peak_traced_mib": round(peak_bytes / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "engine_reps_per_s": round(engine_rate, 1),
        "reference_reps_per_s": round(reference_rate, 2),
        "reference_replications": REFERENCE_REPLICATIONS,
        "speedup_over_reference": round(engine_rate / reference_rate, 1),
        "meets_target": min(engine_s, statistics.median(two)) <= TARGET_S,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    write_json(RESULTS, figures)
    print(
        f"campaign {SCENARIO}: {REPLICATIONS} reps median {engine_s:.2f} s (1 worker), "
        f"{statistics.median(two):.2f} s (2 workers), target {TARGET_S:.0f} s; "
        f"peak {figures['peak_traced_mib']} MiB traced, {figures['max_rss_mib']} MiB RSS; "
        f"{figures['speedup_over_reference']}x the scalar reference"
    )
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
