"""Scale-out and sensitivity figures, measured in one run.

* Sweep scale-out: the same :data:`SWEEP_TASKS`-task sweep (points × years × chunks of
  :data:`SWEEP_CHUNK` replications of ``miyako-transit``) on a Dask ``LocalCluster`` of
  1 worker process and of 2, timed from submission to the last result (cluster start-up
  excluded, each cluster warmed with one task); the ratio is the speed-up. Both
  summaries must be identical.
* Sobol (Saltelli design, S1/ST with 95% bootstrap intervals) of mean
  ``red_ships_out_of_action`` over the default parameters for 2025 and 2026, on 2
  worker processes — N, replications per evaluation, wall time, the interval widths
  and whether the top five are ranked (each of the top five's ST interval clear of the
  sixth's).
* One-at-a-time (the tornado) for 2025 and 2026 at :data:`OAT_REPS` replications.

Writes bench/results/sensitivity.json. The machine is shared: compare ratios within
this run, not with other runs.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nansei.campaign import build_setup
from nansei.campaign.scenario import load_scenario
from nansei.catalog import default_catalog
from nansei.results import write_json
from nansei.sweep import store
from nansei.sweep.runner import run_tasks, task_client
from nansei.sweep.tasks import CampaignModel, CampaignPoint, chunks, run_point
from nansei.uncertainty.sampling import default_factors
from nansei.uncertainty.sensitivity import analyse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sensitivity.json"
SCENARIO = "miyako-transit"
METRIC = "red_ships_out_of_action"
SWEEP_CHUNK = 2000
SWEEP_REPS = 4000
SWEEP_GRID = {
    "isr.cue_rate_per_h": [0.05, 0.1, 0.2, 0.3, 0.4, 0.5],
    "scenario.doctrine.salvo_size": [4, 8],
}
SWEEP_YEARS = (2025, 2026)
SWEEP_TASKS = len(SWEEP_YEARS) * 12 * (SWEEP_REPS // SWEEP_CHUNK)
SOBOL_N = int(os.environ.get("NANSEI_BENCH_SOBOL_N", "128"))
SOBOL_REPS = int(os.environ.get("NANSEI_BENCH_SOBOL_REPS", "200"))
OAT_REPS = 2000
WORKERS = 2


def sweep_tasks(catalog, scenario, parts: Path) -> list[store.SweepTask]:
    keys = tuple(SWEEP_GRID)
    points = [{keys[0]: a, keys[1]: b} for a in SWEEP_GRID[keys[0]] for b in SWEEP_GRID[keys[1]]]
    tasks = []
    for year in SWEEP_YEARS:
        for index, values in enumerate(points):
            for first, count in chunks(SWEEP_REPS, SWEEP_CHUNK):
                point = CampaignPoint(scenario, catalog, year, values, count, 7, first)
                path = parts / store.part_name(year, index, first)
                tasks.append(store.SweepTask(point, index, keys, str(path)))
    return tasks


def time_sweep(workers: int, catalog, scenario) -> tuple[float, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / store.PARTS).mkdir()
        tasks = sweep_tasks(catalog, scenario, out / store.PARTS)
        with task_client(workers) as client:
            # Warm every worker (imports, compiled kernels loaded from the cache) outside
            # the timing: client.run calls the function on each worker.
            client.run(run_point, CampaignPoint(scenario, catalog, 2026, {}, 10, 1))
            start = time.perf_counter()
            run_tasks(store.run_task, tasks, client=client)
            elapsed = time.perf_counter() - start
        store.write_summary(out, tuple(SWEEP_GRID))
        return elapsed, (out / store.SUMMARY).read_bytes()


def ranked_top_five(parameters: list[dict]) -> dict:
    order = sorted(parameters, key=lambda p: p["ST"] or 0.0, reverse=True)
    sixth_high = order[5]["ST_ci95"][1] if len(order) > 5 else float("-inf")
    return {
        "top": [
            {
                "id": p["id"],
                "basis": p["basis"],
                "S1": p["S1"],
                "S1_ci95": p["S1_ci95"],
                "ST": p["ST"],
                "ST_ci95": p["ST_ci95"],
            }
            for p in order[:8]
        ],
        "top_five_clear_of_sixth": all(p["ST_ci95"][0] > sixth_high for p in order[:5]),
        # rank i's ST interval clear of rank i+1's, for the top five
        "ST_clear_of_next": [
            order[i]["ST_ci95"][0] > order[i + 1]["ST_ci95"][1]
            for i in range(min(5, len(order) - 1))
        ],
        "ST_ci95_width_top_five": [round(p["ST_ci95"][1] - p["ST_ci95"][0], 4) for p in order[:5]],
    }


def study(method: str, year: int, catalog, scenario, samples: int, reps: int, client) -> dict:
    prepared = scenario.with_year(year)
    setup = build_setup(prepared, catalog)
    factors = default_factors(setup, catalog)
    model = CampaignModel(prepared, catalog, year, tuple(factors), reps, scenario.seed, (METRIC,))
    run = functools.partial(run_tasks, client=client)
    start = time.perf_counter()
    result = analyse(model, factors, method, samples=samples, seed=scenario.seed, run=run, batch=16)
    elapsed = time.perf_counter() - start
    record = {
        "year": year,
        "method": method,
        "parameters_count": len(factors),
        "samples": samples if method != "oat" else None,
        "replications": reps,
        "evaluations": result["evaluations"],
        "seconds": round(elapsed, 1),
        "baseline": result["baseline"],
    }
    if method == "sobol":
        record.update(ranked_top_five(result["parameters"]))
        widths = [p["ST_ci95"][1] - p["ST_ci95"][0] for p in result["parameters"]]
        record["ST_ci95_width_median"] = round(float(np.median(widths)), 4)
    else:
        swings = sorted(
            result["parameters"],
            key=lambda p: abs(p["oat"]["high"] - p["oat"]["low"]),
            reverse=True,
        )
        record["tornado"] = [
            {
                "id": p["id"],
                "basis": p["basis"],
                "low": p["low"],
                "high": p["high"],
                "at_low": p["oat"]["low"],
                "at_high": p["oat"]["high"],
            }
            for p in swings[:12]
        ]
    record["parameters"] = result["parameters"]
    return record


def main() -> None:
    """``python bench/bench_sensitivity.py [scaleout] [studies]`` (default both); a part
    not run keeps its figures from the existing results file."""
    parts = set(sys.argv[1:]) or {"scaleout", "studies"}
    catalog, scenario = default_catalog(), load_scenario(SCENARIO)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    sweep = previous.get("sweep_scaleout")
    if "scaleout" in parts:
        load = os.getloadavg()[0]
        one, summary_one = time_sweep(1, catalog, scenario)
        two, summary_two = time_sweep(WORKERS, catalog, scenario)
        sweep = {
            "tasks": SWEEP_TASKS,
            "replications_per_task": SWEEP_CHUNK,
            "seconds_1_worker": round(one, 2),
            "seconds_2_workers": round(two, 2),
            "speedup": round(one / two, 2),
            "identical_summary": summary_one == summary_two,
            "load_average_1min_before": round(load, 2),
        }
        print(json.dumps(sweep))
    studies = previous.get("studies", [])
    if "studies" in parts:
        studies = run_studies(catalog, scenario)
    payload = {
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "note": "shared, loaded machine; ratios within this run only",
        },
        "scenario": SCENARIO,
        "metric": METRIC,
        "sweep_scaleout": sweep,
        "studies": studies,
    }
    write_json(RESULTS, payload)
    print(f"wrote {RESULTS}")


def run_studies(catalog, scenario) -> list[dict]:
    studies = []
    with task_client(WORKERS) as client:
        for year in (2025, 2026):
            studies.append(study("oat", year, catalog, scenario, 0, OAT_REPS, client))
            print(year, "oat", studies[-1]["seconds"], "s")
            studies.append(study("sobol", year, catalog, scenario, SOBOL_N, SOBOL_REPS, client))
            print(year, "sobol", studies[-1]["seconds"], "s", studies[-1]["ST_clear_of_next"])
    return studies


if __name__ == "__main__":
    main()
