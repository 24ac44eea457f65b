"""Start-up time of the quick commands (issue 9, item 7): target ≤ 0.5 s warm.

Each command is a whole process, as a user runs it: interpreter start-up, imports,
catalog load (for ``reach``) and output. "Warm" means the operating system's file cache
and Python's byte-code cache are filled by one discarded run first. Recorded per
command: the median and every run of RUNS (≥ 7) timings, the target and whether the
median meets it. For scale, the same machine's bare ``python -c pass`` and
``import nansei.cli`` are timed alongside, and the heavy modules the entry point and
each command load are listed (the point commands need neither numpy, pyproj nor
shapely). Writes bench/results/start.json.

``--src DIR`` times another checkout's ``src`` (e.g. main before this change) with this
virtualenv, by putting it first on PYTHONPATH; the result is printed, not written.
``--baseline DIR`` times DIR's ``src`` alternately with this checkout's in the same run
and records both medians and their ratio (``against_baseline``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "start.json"
RUNS = 7
TARGET_S = 0.5
COMMANDS = {
    "help": ["--help"],
    "distance": ["distance", "24", "125", "26", "127"],
    "reach": ["reach", "25.5", "126", "--year", "2025"],
}
#: Libraries the entry point must not import (each costs 0.1-1 s).
HEAVY = ("scipy.stats", "matplotlib", "pyarrow", "numba", "pydantic", "nansei.catalog")
#: Libraries the point commands (distance, reach) do without (~0.1 s each).
HEAVY_FOR_COMMANDS = ("numpy", "pyproj", "shapely")


def _entry() -> list[str]:
    """The ``nansei`` console script of this interpreter's environment, else ``-m nansei``."""
    script = Path(sys.executable).with_name("nansei")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nansei"]


def _env(src: Path | None) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    env.pop("NANSEI_CATALOG", None)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def _time(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s) of one run; CPU time (user + system) is less disturbed by other
    work on a shared machine, and is recorded beside the wall time the target is about."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _timings(argv: list[str], env: dict[str, str]) -> tuple[list[float], list[float]]:
    _time(argv, env)  # warm-up: file and byte-code caches
    runs = [_time(argv, env) for _ in range(RUNS)]
    return [round(w, 4) for w, _ in runs], [round(c, 4) for _, c in runs]


def _heavy_imports(env: dict[str, str], args: list[str] | None = None) -> list[str]:
    """Which :data:`HEAVY` (and, for a command, :data:`HEAVY_FOR_COMMANDS`) modules are
    loaded after ``import nansei.cli``, or after running the command ``args``."""
    run = "" if args is None else f"from nansei.cli import run; run({args!r}); "
    code = f"import sys, json, io, nansei.cli; sys.stdout = io.StringIO(); {run}"
    code += "sys.__stdout__.write(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    loaded = set(json.loads(done.stdout))
    names = HEAVY if args is None else (*HEAVY_FOR_COMMANDS, *HEAVY)
    return [name for name in names if name in loaded]


def measure(src: Path | None) -> dict:
    load_before = os.getloadavg()[0]
    env = _env(src)
    entry = [sys.executable, "-m", "nansei"] if src is not None else _entry()
    commands = {}
    for name, args in COMMANDS.items():
        runs, cpu = _timings([*entry, *args], env)
        median = statistics.median(runs)
        commands[name] = {
            "command": "nansei " + " ".join(args),
            "median_s": round(median, 3),
            # The fastest run: the best estimate of the cost on an otherwise idle machine.
            "min_s": round(min(runs), 3),
            "runs_s": runs,
            "cpu_median_s": round(statistics.median(cpu), 3),
            "cpu_runs_s": cpu,
            "meets_target": median <= TARGET_S,
            # typer builds its option parsers with pydantic, so every command loads it.
            "heavy_modules": _heavy_imports(env, args),
        }
    scale = {
        "python_bare_median_s": statistics.median(_timings([sys.executable, "-c", "pass"], env)[0]),
        "import_nansei_cli_median_s": statistics.median(
            _timings([sys.executable, "-c", "import nansei.cli"], env)[0]
        ),
    }
    return {
        "benchmark": "start",
        "runs": RUNS,
        "target_s": TARGET_S,
        "entry": " ".join(Path(part).name for part in entry),
        "commands": commands,
        "scale": scale,
        "heavy_modules_at_import": _heavy_imports(env),
        "meets_target": all(c["meets_target"] for c in commands.values()),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # Other work on the machine stretches wall times; the 1-minute load average
        # before and after says how busy it was.
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def compare(baseline: Path) -> dict:
    """This checkout against ``baseline`` (another checkout's ``src``), both as
    ``python -m nansei`` with their ``src`` first on PYTHONPATH, runs alternating so
    both see the same machine load: medians and the ratio baseline / this."""
    sides = {"this": _env(ROOT / "src"), "baseline": _env(baseline)}
    entry = [sys.executable, "-m", "nansei"]
    rows = {}
    for name, args in COMMANDS.items():
        for env in sides.values():
            _time([*entry, *args], env)  # warm-up
        wall: dict[str, list[float]] = {side: [] for side in sides}
        cpu: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(RUNS):
            for side, env in sides.items():
                w, c = _time([*entry, *args], env)
                wall[side].append(w)
                cpu[side].append(c)
        medians = {
            side: {
                "median_s": round(statistics.median(wall[side]), 3),
                "cpu_median_s": round(statistics.median(cpu[side]), 3),
            }
            for side in sides
        }
        rows[name] = {
            **medians,
            "speedup_wall": round(medians["baseline"]["median_s"] / medians["this"]["median_s"], 2),
            "speedup_cpu": round(
                medians["baseline"]["cpu_median_s"] / medians["this"]["cpu_median_s"], 2
            ),
        }
    return {"baseline_src": str(baseline), "entry": "python -m nansei", "commands": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, help="time this checkout's src/ instead")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also time this checkout's src/ (e.g. main before a change) in the same run, "
        "alternating with this one; medians and ratios go into start.json",
    )
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures = measure(options.src.resolve() if options.src else None)
    if options.baseline is not None:
        figures["against_baseline"] = compare(options.baseline.resolve())
        figures["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        for name, row in figures["against_baseline"]["commands"].items():
            print(
                f"against baseline {name:8s} {row['baseline']['median_s']:.3f} -> "
                f"{row['this']['median_s']:.3f} s wall ({row['speedup_wall']}x), "
                f"{row['baseline']['cpu_median_s']:.3f} -> {row['this']['cpu_median_s']:.3f} s "
                f"CPU ({row['speedup_cpu']}x)"
            )
    for name, row in figures["commands"].items():
        print(
            f"start {name:8s} {row['median_s']:.3f} s median of {RUNS} "
            f"(fastest {row['min_s']:.3f} s, CPU {row['cpu_median_s']:.3f} s) "
            f"(target ≤ {TARGET_S} s: {'met' if row['meets_target'] else 'NOT met'})"
        )
    print(
        f"python -c pass {figures['scale']['python_bare_median_s']:.3f} s; "
        f"import nansei.cli {figures['scale']['import_nansei_cli_median_s']:.3f} s; "
        f"heavy modules at import: {figures['heavy_modules_at_import'] or 'none'}"
    )
    if options.src is None:
        from nansei.results import write_json

        write_json(RESULTS, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
