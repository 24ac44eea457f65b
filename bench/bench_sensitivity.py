"""Scale-out and sensitivity figures, measured in one run.

* ``scaleout`` — the same :data:`SWEEP_TASKS`-task sweep (points × years × chunks of
  :data:`SWEEP_CHUNK` replications of ``miyako-transit``) on a Dask ``LocalCluster`` of
  1 worker process and of 2, timed from submission to the last result (cluster start-up
  excluded, each cluster warmed with one task); the ratio is the speed-up. Both
  summaries must be identical.
* ``studies`` — for 2025 and 2026, one-at-a-time (the tornado) at :data:`OAT_REPS`
  replications, and Sobol (Saltelli design, S1/ST with 95% bootstrap intervals) of mean
  ``red_ships_out_of_action`` over the default parameters at N = :data:`SOBOL_N` and
  :data:`SOBOL_REPS` replications per evaluation on 2 worker processes — the settings of
  ``nansei sensitivity miyako-transit --method sobol --workers 2`` — with wall time, the
  load average, interval widths and the ranking check of
  :func:`nansei.uncertainty.sensitivity.total_order_ranking` (ranks 1–5, each against
  the next, the 5th against the 6th).
* ``reps`` — how interval width depends on N and on the replications per evaluation:
  one Saltelli design at N = :data:`REPS_N` evaluated with :data:`REPS_MAX`
  replications, keeping the mean over the first R of them for each R in
  :data:`REPS_PREFIXES` (common random numbers: the first R replications of a longer run
  are exactly an R-replication run), then analysed at N/4, N/2 and N (the first base
  samples of a Saltelli design are the smaller design).

* ``rowcost`` — CPU ms per design row of a Sobol study (64 replications, the default
  parameters, :data:`ROWCOST_ROWS` rows of a Saltelli design): the whole evaluation
  (resolve the point, compile the tables, run the kernel) and the kernel alone on
  tables built beforehand; the difference is the per-row overhead. Measured on this
  tree and on :data:`ROWCOST_BASELINE` (before the overhead was cut) in the same run,
  medians of :data:`ROWCOST_RUNS`.

``python bench/bench_sensitivity.py [scaleout] [studies] [reps] [rowcost]`` (default: all); a
part not run keeps its figures from the existing results file. ``… tables`` prints the
markdown tables of docs/sensitivity.md from the results file (runs nothing). Writes
bench/results/sensitivity.json. The machine is shared: compare ratios within this run,
not with other runs, and read each time with its load average.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nansei.campaign import build_setup
from nansei.campaign.engine import run_replications
from nansei.campaign.scenario import load_scenario
from nansei.catalog import default_catalog
from nansei.cli.sensitivity import DEFAULTS as SENSITIVITY_DEFAULTS
from nansei.cli.sensitivity import task_batch
from nansei.results import write_json
from nansei.sweep import store
from nansei.sweep.runner import run_tasks, task_client
from nansei.sweep.tasks import CampaignModel, CampaignPoint, chunks, point_setup, run_point
from nansei.uncertainty.sampling import default_factors
from nansei.uncertainty.sensitivity import (
    RANKED,
    RESAMPLES,
    analyse,
    design_rows,
    total_order_ranking,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import run_at  # noqa: E402

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
SOBOL_N = int(os.environ.get("NANSEI_BENCH_SOBOL_N", str(SENSITIVITY_DEFAULTS["sobol"][0])))
SOBOL_REPS = int(os.environ.get("NANSEI_BENCH_SOBOL_REPS", str(SENSITIVITY_DEFAULTS["sobol"][1])))
OAT_REPS = 2000
WORKERS = 2
REPS_N = 256
REPS_MAX = 200
REPS_PREFIXES = (25, 50, 100, 200)
ROWCOST_ROWS = 150
ROWCOST_RUNS = 5
ROWCOST_BASELINE = "d0f267e"

#: Run as a script against this tree or the baseline's: prints one JSON object per year.
ROWCOST_SCRIPT = f"""
import json, statistics, time
from nansei.campaign import engine
from nansei.campaign.scenario import load_scenario
from nansei.campaign.setup import build_setup
from nansei.catalog import default_catalog
from nansei.sweep.tasks import CampaignModel, CampaignPoint, point_setup
from nansei.uncertainty.sampling import default_factors
from nansei.uncertainty.sensitivity import design_rows, _values

catalog = default_catalog()
for year in (2025, 2026):
    scenario = load_scenario("{SCENARIO}").with_year(year)
    setup = build_setup(scenario, catalog)
    factors = tuple(default_factors(setup, catalog))
    model = CampaignModel(scenario, catalog, year, factors, 64, scenario.seed, ("{METRIC}",))
    rows = _values(factors, design_rows(factors, "sobol", 8, 1))[:{ROWCOST_ROWS}]
    points = [
        CampaignPoint(scenario, catalog, year, dict(zip([f.id for f in factors], map(float, r))),
                      64, scenario.seed)
        for r in rows
    ]
    tables = [engine.compile_tables(point_setup(p)) for p in points]
    keys = engine.stream_keys(scenario.seed)
    model(rows[:2])
    whole, kernel = [], []
    for _ in range({ROWCOST_RUNS}):
        start = time.process_time()
        model(rows)
        whole.append((time.process_time() - start) / len(rows) * 1e3)
        start = time.process_time()
        for table in tables:
            engine.run_chunk(keys, 0, 64, *table)
        kernel.append((time.process_time() - start) / len(rows) * 1e3)
    w, k = statistics.median(whole), statistics.median(kernel)
    print(json.dumps({{"year": year, "parameters": len(factors), "row_cpu_ms": round(w, 3),
                      "kernel_cpu_ms": round(k, 3), "overhead_cpu_ms": round(w - k, 3)}}))
"""


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


def top_of(parameters: list[dict], count: int = 8) -> list[dict]:
    order = sorted(parameters, key=lambda p: p["ST"] or 0.0, reverse=True)
    return [
        {
            "id": p["id"],
            "basis": p["basis"],
            "low": p["low"],
            "high": p["high"],
            "S1": p["S1"],
            "S1_ci95": p["S1_ci95"],
            "ST": p["ST"],
            "ST_ci95": p["ST_ci95"],
        }
        for p in order[:count]
    ]


def study(method: str, year: int, catalog, scenario, samples: int, reps: int, client) -> dict:
    prepared = scenario.with_year(year)
    setup = build_setup(prepared, catalog)
    factors = default_factors(setup, catalog)
    model = CampaignModel(prepared, catalog, year, tuple(factors), reps, scenario.seed, (METRIC,))
    run = functools.partial(run_tasks, client=client)
    rows = samples * (len(factors) + 2) if method == "sobol" else 1 + 2 * len(factors)
    batch = task_batch(rows, WORKERS)  # as the CLI cuts it
    load_before = os.getloadavg()
    start = time.perf_counter()
    result = analyse(
        model, factors, method, samples=samples, seed=scenario.seed, run=run, batch=batch
    )
    elapsed = time.perf_counter() - start
    load_after = os.getloadavg()
    record = {
        "year": year,
        "method": method,
        "parameters_count": len(factors),
        "samples": samples if method != "oat" else None,
        "replications": reps,
        "evaluations": result["evaluations"],
        "rows_per_task": batch,
        "seconds": round(elapsed, 1),
        "load_average_1min_before": round(load_before[0], 2),
        "load_average_1min_after": round(load_after[0], 2),
        "load_average_5min_after": round(load_after[1], 2),
        "baseline": result["baseline"],
    }
    if method == "sobol":
        record["top"] = top_of(result["parameters"])
        record["ranking"] = result["ranking"]
        widths = [p["ST_ci95"][1] - p["ST_ci95"][0] for p in result["parameters"]]
        record["ST_ci95_width_top_five"] = [
            round(p["ST_ci95"][1] - p["ST_ci95"][0], 4) for p in record["top"][:5]
        ]
        record["ST_ci95_width_median"] = round(float(np.median(widths)), 4)
        record["S1_sum"] = round(sum(p["S1"] for p in result["parameters"]), 3)
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


def prefix_means(job: tuple) -> np.ndarray:
    """One task of the ``reps`` part: per design row, the mean of the metric over the
    first R replications for each R in :data:`REPS_PREFIXES`."""
    scenario, catalog, year, ids, seed, rows = job
    out = np.empty((len(rows), len(REPS_PREFIXES)))
    for i, row in enumerate(rows):
        values = dict(zip(ids, map(float, row), strict=True))
        setup = point_setup(CampaignPoint(scenario, catalog, year, values, REPS_MAX, seed))
        column = np.asarray(run_replications(setup, REPS_MAX, seed)[METRIC], dtype=float)
        out[i] = [column[:r].mean() for r in REPS_PREFIXES]
    return out


def reps_study(year: int, catalog, scenario, client) -> dict:
    from SALib.analyze import sobol

    prepared = scenario.with_year(year)
    factors = default_factors(build_setup(prepared, catalog), catalog)
    ids = [f.id for f in factors]
    unit = design_rows(factors, "sobol", REPS_N, scenario.seed)
    values = np.column_stack([f.ppf(unit[:, j]) for j, f in enumerate(factors)])
    size = task_batch(len(values), WORKERS)
    jobs = [
        (prepared, catalog, year, ids, scenario.seed, values[i : i + size])
        for i in range(0, len(values), size)
    ]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    outputs = np.concatenate(run_tasks(prefix_means, jobs, client=client))
    elapsed = time.perf_counter() - start
    problem = {"num_vars": len(ids), "names": ids, "bounds": [[0.0, 1.0]] * len(ids)}
    cells = []
    for n in (REPS_N // 4, REPS_N // 2, REPS_N):
        for column, reps in enumerate(REPS_PREFIXES):
            result = sobol.analyze(
                problem,
                outputs[: n * (len(ids) + 2), column],
                calc_second_order=False,
                num_resamples=RESAMPLES,
                keep_resamples=True,
                seed=scenario.seed,
            )
            ranking = total_order_ranking(ids, result["ST"], result["ST_conf_all"], RANKED)
            order = ranking["order"]
            cells.append(
                {
                    "samples": n,
                    "replications": reps,
                    "ranked": ranking["ranked"],
                    "above_next": [row["above_next"] for row in order],
                    "top": [[row["id"], row["ST"]] for row in order],
                    "ST_ci95_half_width_top_five": [
                        round((row["ST_ci95"][1] - row["ST_ci95"][0]) / 2, 4) for row in order
                    ],
                    "difference_ci95_half_width": [
                        round((row["difference_ci95"][1] - row["difference_ci95"][0]) / 2, 4)
                        for row in order
                    ],
                }
            )
    return {
        "year": year,
        "parameters_count": len(ids),
        "design_samples": REPS_N,
        "replications": REPS_MAX,
        "seconds": round(elapsed, 1),
        "load_average_1min_before": round(load, 2),
        "cells": cells,
    }


def _ci(pair) -> str:
    return "—" if pair is None else f"[{pair[0]:.3f}, {pair[1]:.3f}]"


def markdown_tables(payload: dict) -> str:
    """The tornado and Sobol tables of docs/sensitivity.md, from the results file."""
    out = []
    for entry in payload.get("studies", []):
        year = entry["year"]
        load = (
            f"load average {entry['load_average_1min_before']:.1f} before, "
            f"{entry['load_average_1min_after']:.1f} after"
        )
        if entry["method"] == "oat":
            out.append(
                f"#### {year}: one at a time ({entry['replications']} replications per end, "
                f"all others at `value`; baseline {entry['baseline']:.2f}; "
                f"{entry['evaluations']} evaluations, {entry['seconds']:.0f} s, {load})\n"
            )
            out.append("| parameter | basis | range | at low | at high | swing |")
            out.append("|---|---|---|---:|---:|---:|")
            for row in entry["tornado"][:10]:
                swing = row["at_high"] - row["at_low"]
                out.append(
                    f"| `{row['id']}` | {row['basis']} | {row['low']:g}..{row['high']:g} | "
                    f"{row['at_low']:.2f} | {row['at_high']:.2f} | {swing:+.2f} |"
                )
            out.append("")
            continue
        out.append(
            f"#### {year}: Sobol (N = {entry['samples']}, {entry['replications']} replications "
            f"per evaluation, {entry['evaluations']} evaluations, {entry['parameters_count']} "
            f"parameters, {entry['seconds']:.0f} s on {WORKERS} worker processes, {load})\n"
        )
        out.append(
            "| rank | parameter | basis | S1 [95% CI] | ST [95% CI] | ST − next [paired 95% CI] |"
        )
        out.append("|---:|---|---|---|---|---|")
        order = {row["id"]: row for row in entry["ranking"]["order"]}
        for rank, row in enumerate(entry["top"], start=1):
            step = order.get(row["id"])
            if step is not None and step["difference"] is not None:
                verdict = "above" if step["above_next"] else "**tied**"
                gap = f"{step['difference']:.3f} {_ci(step['difference_ci95'])} {verdict}"
            else:
                gap = ""
            out.append(
                f"| {rank} | `{row['id']}` | {row['basis']} | {row['S1']:.3f} "
                f"{_ci(row['S1_ci95'])} | {row['ST']:.3f} {_ci(row['ST_ci95'])} | {gap} |"
            )
        widths = ", ".join(f"{w:.3f}" for w in entry["ST_ci95_width_top_five"])
        out.append(
            f"\nST interval widths, top five: {widths}; median over all parameters "
            f"{entry['ST_ci95_width_median']:.4f}. Top five ranked (paired): "
            f"{'yes' if entry['ranking']['ranked'] else 'no'}; ST intervals of neighbours "
            f"disjoint: {'yes' if entry['ranking']['intervals_apart'] else 'no'}. "
            f"Sum of S1: {entry['S1_sum']:.2f}.\n"
        )
    for entry in payload.get("reps_vs_samples", []):
        out.append(
            f"#### {entry['year']}: interval half-widths against N and R (one design of "
            f"N = {entry['design_samples']} × {entry['replications']} replications, "
            f"{entry['seconds']:.0f} s, load average {entry['load_average_1min_before']:.1f})\n"
        )
        out.append("| N | R | ST half-width, places 1–5 | paired half-width, 1–2 … 5–6 | above |")
        out.append("|---:|---:|---|---|---|")
        for cell in entry["cells"]:
            st = ", ".join(f"{w:.3f}" for w in cell["ST_ci95_half_width_top_five"])
            paired = ", ".join(f"{w:.3f}" for w in cell["difference_ci95_half_width"])
            marks = "".join("✓" if flag else "·" for flag in cell["above_next"])
            out.append(
                f"| {cell['samples']} | {cell['replications']} | {st} | {paired} | {marks} |"
            )
        out.append("")
    return "\n".join(out)


def main() -> None:
    """Run the parts named on the command line (see the module doc)."""
    parts = set(sys.argv[1:]) or {"scaleout", "studies", "reps"}
    if parts == {"tables"}:
        print(markdown_tables(json.loads(RESULTS.read_text())))
        return
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
    reps = previous.get("reps_vs_samples", [])
    if "reps" in parts:
        with task_client(WORKERS) as client:
            reps = [reps_study(year, catalog, scenario, client) for year in (2025, 2026)]
            for entry in reps:
                print(entry["year"], "reps", entry["seconds"], "s")
    rowcost = previous.get("row_cost")
    if "rowcost" in parts:
        rowcost = row_cost()
        print(json.dumps(rowcost))
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
        "reps_vs_samples": reps,
        "row_cost": rowcost,
    }
    write_json(RESULTS, payload)
    print(f"wrote {RESULTS}")


def row_cost() -> dict:
    """The ``rowcost`` part: this tree and the baseline, one after the other."""
    load = os.getloadavg()[0]
    here = subprocess.run(
        [sys.executable, "-c", ROWCOST_SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    before = run_at(ROWCOST_BASELINE, ROWCOST_SCRIPT)
    now = [json.loads(line) for line in here.splitlines() if line.startswith("{")]
    then = [json.loads(line) for line in before.splitlines() if line.startswith("{")]
    for entry, old in zip(now, then, strict=True):
        entry["baseline"] = {"commit": ROWCOST_BASELINE, **{k: old[k] for k in old if k != "year"}}
        entry["overhead_ratio"] = round(old["overhead_cpu_ms"] / entry["overhead_cpu_ms"], 2)
        entry["row_ratio"] = round(old["row_cpu_ms"] / entry["row_cpu_ms"], 2)
    return {
        "rows": ROWCOST_ROWS,
        "replications": 64,
        "runs": ROWCOST_RUNS,
        "load_average_1min_before": round(load, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "years": now,
    }


def run_studies(catalog, scenario) -> list[dict]:
    studies = []
    with task_client(WORKERS) as client:
        for year in (2025, 2026):
            studies.append(study("oat", year, catalog, scenario, 0, OAT_REPS, client))
            print(year, "oat", studies[-1]["seconds"], "s")
            studies.append(study("sobol", year, catalog, scenario, SOBOL_N, SOBOL_REPS, client))
            ranking = studies[-1]["ranking"]
            print(year, "sobol", studies[-1]["seconds"], "s", "ranked", ranking["ranked"])
    return studies


if __name__ == "__main__":
    main()
