"""Speed of reach and coverage (issue 3 targets), medians over repeated runs.

Targets: `nansei coverage --year 2025 --json` < 3 s cold (empty land cache) and < 1 s
warm (cache on disk); a warm reach point query < 1 ms. Cold and warm CLI runs are
whole processes (interpreter start-up, imports, catalog load included); the cache is
made cold by pointing XDG_CACHE_HOME at a fresh directory. Writes bench/results/geo.json.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "geo.json"
COMMAND = [sys.executable, "-m", "nansei", "coverage", "--year", "2025", "--json"]
TARGETS_S = {"coverage_cli_cold_s": 3.0, "coverage_cli_warm_s": 1.0, "reach_query_s": 1e-3}
RUNS = 7


def _run_cli(cache_home: str) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": cache_home}
    env.pop("NANSEI_CATALOG", None)
    start = time.perf_counter()
    subprocess.run(COMMAND, check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def cli_cold() -> list[float]:
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="nansei-bench-") as fresh:
            times.append(_run_cli(fresh))
    return times


def cli_warm() -> list[float]:
    with tempfile.TemporaryDirectory(prefix="nansei-bench-") as home:
        _run_cli(home)  # fills the cache
        return [_run_cli(home) for _ in range(RUNS)]


def in_process() -> dict[str, float]:
    from nansei.catalog import default_catalog
    from nansei.geo import ReachIndex, compute_coverage, load_land
    from nansei.geo.land import DEFAULT_REGION, read_gshhg

    catalog = default_catalog()
    index = ReachIndex.for_posture(catalog, 2027)
    calls = 2000
    reach = [
        t / calls
        for t in timeit.repeat(lambda: index.reach(25.5, 126.0), number=calls, repeat=RUNS)
    ]
    load_land()  # warm the memo for the coverage timings
    figures = {
        "reach_query_s": statistics.median(reach),
        "land_build_from_gshhg_s": statistics.median(
            timeit.repeat(lambda: read_gshhg(DEFAULT_REGION), number=1, repeat=3)
        ),
    }
    for year in (2022, 2025, 2026, 2027):
        compute_coverage(catalog, year)  # first call may build a grown region's land
        figures[f"coverage_{year}_in_process_s"] = statistics.median(
            timeit.repeat(lambda y=year: compute_coverage(catalog, y).record(), number=1, repeat=5)
        )
    return figures


def main() -> int:
    load_start = os.getloadavg()[0]
    cold, warm = cli_cold(), cli_warm()
    medians = {
        "coverage_cli_cold_s": statistics.median(cold),
        "coverage_cli_warm_s": statistics.median(warm),
        **in_process(),
    }
    verdict = {name: medians[name] < limit for name, limit in TARGETS_S.items()}
    payload = {
        "benchmark": "geo",
        "command": " ".join(["nansei", *COMMAND[3:]]),
        "runs": RUNS,
        "medians": {k: round(v, 6) for k, v in medians.items()},
        "cli_cold_runs_s": [round(t, 4) for t in cold],
        "cli_warm_runs_s": [round(t, 4) for t in warm],
        "targets_s": TARGETS_S,
        "meets_target": verdict,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        # Other work on the shared machine stretches every timing: say how busy it was.
        "load_average_at_start": round(load_start, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }
    from nansei.results import write_json

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS, payload)
    for name, value in medians.items():
        limit = TARGETS_S.get(name)
        note = (
            ""
            if limit is None
            else f"  (target < {limit:g} s: {'ok' if verdict[name] else 'MISSED'})"
        )
        print(f"{name:32s} {value * 1e3:10.3f} ms{note}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
