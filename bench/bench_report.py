"""Speed of the demo and the report (issue 13 targets).

Targets on 2 cores: `nansei demo --quick` <= 30 s and `nansei demo` <= 3 minutes, whole
processes (interpreter start-up, imports, campaign runs, report). Also times
`nansei report --from DIR` (rendering alone, no runs). Wall and CPU (user + sys of the
child) are both recorded: the machine is shared, so wall time alone over-states the cost
when others are busy; the load average at the start is recorded too.
Writes bench/results/report.json.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "report.json"
TARGETS_S = {"demo_quick_wall_s": 30.0, "demo_full_wall_s": 180.0}
RUNS = {"demo_quick": 3, "demo_full": 1, "report_from": 3}


def _timed(args: list[str], cwd: Path) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k != "NANSEI_CATALOG"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nansei", *args],
        check=True,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    load = os.getloadavg()
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="nansei-bench-") as scratch:
        work = Path(scratch)
        runs["demo_quick"] = [_timed(["demo", "--quick"], work) for _ in range(RUNS["demo_quick"])]
        runs["demo_full"] = [_timed(["demo"], work) for _ in range(RUNS["demo_full"])]
        runs["report_from"] = [
            _timed(["report", "--from", "nansei-demo", "--out", f"again-{i}"], work)
            for i in range(RUNS["report_from"])
        ]
    medians = {}
    for name, pairs in runs.items():
        medians[f"{name}_wall_s"] = statistics.median(w for w, _ in pairs)
        medians[f"{name}_cpu_s"] = statistics.median(c for _, c in pairs)
    verdict = {name: medians[name] <= limit for name, limit in TARGETS_S.items()}
    payload = {
        "benchmark": "report",
        "runs": RUNS,
        "medians": {k: round(v, 3) for k, v in medians.items()},
        "all_runs_wall_cpu_s": {
            k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in runs.items()
        },
        "load_average_at_start": [round(x, 2) for x in load],
        "targets_s": TARGETS_S,
        "meets_target": verdict,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    from nansei.results import write_json

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS, payload)
    for name, value in medians.items():
        limit = TARGETS_S.get(name)
        note = (
            ""
            if limit is None
            else f"  (target <= {limit:g} s: {'ok' if verdict[name] else 'MISSED'})"
        )
        print(f"{name:24s} {value:8.2f} s{note}")
    print(f"load average at start: {load}; wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
