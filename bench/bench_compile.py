"""Cold start, kernel by kernel: what the demo's job compiles with an empty numba cache.

The job is the demo's comparison, ``nansei compare miyako-transit --reps 2000 --json``
(four posture years, red active), run through the console script's entry point in a
fresh process whose numba cache is an empty temporary directory — once with this tree
and once with the tree at :data:`BASELINE` (a temporary git worktree), in the same run.

Per kernel and signature, numba's compile events (``numba.core.event``, kind
``"numba:compile"``) give when each compilation starts and ends; a kernel's own time is
its span less the compilations nested in it (a caller's typing compiles its callees),
in CPU seconds of the compiling thread (``time.thread_time``: on a shared machine the
load stretches wall time, not the work done). numba's own implementations (``np.zeros``
for one shape and dtype, ``min`` of two integers, …) are summed as one row. Also
recorded: the process's CPU and wall time, and the time Python's cyclic garbage
collector spent (``gc.callbacks``), which numba's many long-lived objects make large.
Before that, the job as the console script runs it, cold, with and without the helper
process that compiles part of it alongside (nansei.campaign.warm; the table above is
taken without it, so that it counts all the compilation): the cold-start figure. Beside,
the whole ``nansei demo`` (the comparison, then the report: figures, maps,
tables) as a fresh process with an empty cache and with the cache filled, this tree only.

Writes bench/results/compile.json.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import machine_record, run_at  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "compile.json"
#: main before the cold-start round (streams inlined, Python wrappers on every kernel).
BASELINE = "d0f267e"
JOB = ["compare", "miyako-transit", "--reps", "2000", "--json"]
TOP = 25
#: Cold runs of the job each way (with and without the compile helper), alternating.
PAIRS = 3

_PROFILE = r"""
import collections, gc, io, json, os, sys, tempfile, time, contextlib
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="nansei-cold-")
import numba.core.event as event

spans = []  # [kernel, start, nested]
own = collections.defaultdict(float)
total = collections.defaultdict(float)
signatures = collections.defaultdict(set)

class Compiles(event.Listener):
    def on_start(self, e):
        f = e.data["dispatcher"].py_func
        name = f.__module__ + "." + f.__qualname__
        signatures[name].add(str(e.data["args"]))
        spans.append([name, time.thread_time(), 0.0])

    def on_end(self, e):
        name, start, nested = spans.pop()
        spent = time.thread_time() - start
        own[name] += spent - nested
        total[name] += spent
        if spans:
            spans[-1][2] += spent

event.register("numba:compile", Compiles())
collected = [0.0, 0, 0.0]  # seconds, collections, start

def count(phase, info):
    if phase == "start":
        collected[2] = time.thread_time()
    else:
        collected[0] += time.thread_time() - collected[2]
        collected[1] += 1

gc.callbacks.append(count)
sys.argv = ["nansei", *JOB]
wall, cpu = time.perf_counter(), time.process_time()
from nansei.entry import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as stop:
        if stop.code:
            raise
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({
    "wall_s": wall, "cpu_s": cpu, "gc_s": collected[0], "gc_collections": collected[1],
    "kernels": {k: [len(signatures[k]), own[k], total[k]] for k in own},
}))
"""


def _profile(run) -> dict:
    """The profile script's figures, run by ``run(script)`` → its standard output."""
    raw = json.loads(run(_PROFILE.replace("JOB", repr(JOB))).strip().splitlines()[-1])
    ours, internals = [], [0, 0.0]
    for name, (signatures, own_s, _) in raw["kernels"].items():
        if name.startswith("nansei."):
            ours.append({"kernel": name[len("nansei.") :], "signatures": signatures,
                         "compile_cpu_s": round(own_s, 3)})  # fmt: skip
        else:
            internals[0] += signatures
            internals[1] += own_s
    ours.sort(key=lambda row: -row["compile_cpu_s"])
    compile_s = sum(row[1] for row in raw["kernels"].values())
    return {
        "wall_s": round(raw["wall_s"], 2),
        "cpu_s": round(raw["cpu_s"], 2),
        "compile_cpu_s": round(compile_s, 2),
        "gc_cpu_s": round(raw["gc_s"], 2),
        "gc_collections": raw["gc_collections"],
        "kernels_compiled": len(ours),
        "signatures_compiled": sum(row["signatures"] for row in ours) + internals[0],
        "numba_internals": {"signatures": internals[0], "compile_cpu_s": round(internals[1], 2)},
        "top_kernels": ours[:TOP],
    }


def _here(script: str) -> str:
    # The kernel table counts all the compilation, so it is taken in one process.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NANSEI_PARALLEL_COMPILE": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def _demo(cache_dir: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``nansei demo`` in a fresh process with ``cache_dir`` as
    numba's cache (the report written to a temporary directory)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "NO_COLOR": "1"}
    env["PYTHONPATH"] = str(ROOT / "src")
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nansei", "demo", "--out", str(Path(out) / "demo")],
            capture_output=True,
            env=env,
            check=True,
        )
        wall_s = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall_s, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cold_job(parallel: bool) -> tuple[float, float]:
    """Wall and CPU seconds (the helper's included) of the demo's job as a fresh console
    process with an empty numba cache, with or without the helper process that compiles
    part of it alongside (nansei.campaign.warm)."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT / "src")}
    env["NANSEI_PARALLEL_COMPILE"] = "1" if parallel else "0"
    with tempfile.TemporaryDirectory() as cache:
        env["NUMBA_CACHE_DIR"] = cache
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nansei", *JOB], capture_output=True, env=env,
                       check=True)  # fmt: skip
        wall_s = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall_s, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cold_pairs() -> dict:
    """The cold job :data:`PAIRS` times each way, alternating (one run's load hits both
    ways alike); medians and the ratio of medians."""
    runs = {True: [], False: []}
    loads = []
    for _ in range(PAIRS):
        for parallel in (True, False):
            loads.append(os.getloadavg()[0])
            runs[parallel].append(_cold_job(parallel))
    with_helper = statistics.median(w for w, _ in runs[True])
    alone = statistics.median(w for w, _ in runs[False])
    return {
        "command": "nansei " + " ".join(JOB),
        "runs_each": PAIRS,
        "with_helper_wall_s": [round(w, 2) for w, _ in runs[True]],
        "with_helper_cpu_s": [round(c, 2) for _, c in runs[True]],
        "one_process_wall_s": [round(w, 2) for w, _ in runs[False]],
        "one_process_cpu_s": [round(c, 2) for _, c in runs[False]],
        "median_with_helper_wall_s": round(with_helper, 2),
        "median_one_process_wall_s": round(alone, 2),
        "one_process_over_with_helper": round(alone / with_helper, 3),
        "load_averages": [round(x, 2) for x in loads],
    }


def main() -> int:
    from nansei.results import write_json

    load_start = os.getloadavg()[0]
    cold = _cold_pairs()
    current = _profile(_here)
    current["cold_job"] = cold
    with tempfile.TemporaryDirectory() as cache:
        load_demo = os.getloadavg()[0]
        cold_wall, cold_cpu = _demo(cache)
        warm_wall, warm_cpu = _demo(cache)
    current["demo_full"] = {
        "command": "nansei demo",
        "cold_wall_s": round(cold_wall, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "warm_wall_s": round(warm_wall, 2),
        "warm_cpu_s": round(warm_cpu, 2),
        "load_average_at_cold_start": round(load_demo, 2),
    }
    load_between = os.getloadavg()[0]
    try:
        baseline = {"commit": BASELINE, **_profile(lambda script: run_at(BASELINE, script))}
    except (RuntimeError, subprocess.CalledProcessError) as error:
        baseline = {"commit": BASELINE, "error": str(error)[-300:]}
    figures = {
        "benchmark": "compile",
        "job": "nansei " + " ".join(JOB),
        "current": current,
        "baseline": baseline,
        "compile_cpu_ratio": (
            round(current["compile_cpu_s"] / baseline["compile_cpu_s"], 3)
            if "compile_cpu_s" in baseline
            else None
        ),
        "load_average_at_start": round(load_start, 2),
        "load_average_between": round(load_between, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
        **machine_record(),
    }
    write_json(RESULTS, figures)
    base = baseline.get("compile_cpu_s", float("nan"))
    print(
        f"cold {figures['job']}: median {cold['median_with_helper_wall_s']:.1f} s wall with the "
        f"helper, {cold['median_one_process_wall_s']:.1f} s in one process ({PAIRS} each); "
        f"compile {current['compile_cpu_s']:.1f} s CPU "
        f"({current['kernels_compiled']} kernels, {current['signatures_compiled']} signatures), "
        f"process {current['cpu_s']:.1f} s CPU / {current['wall_s']:.1f} s wall, GC "
        f"{current['gc_cpu_s']:.1f} s; {BASELINE}: compile {base:.1f} s CPU, process "
        f"{baseline.get('cpu_s', float('nan')):.1f} s CPU; load average {load_start:.1f}; "
        f"whole nansei demo cold {cold_wall:.1f} s ({cold_cpu:.1f} s CPU), warm "
        f"{warm_wall:.1f} s ({warm_cpu:.1f} s CPU)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
