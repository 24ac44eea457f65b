"""nansei's salvo engine against the open peer jaesparza/lanchester-sim, on one matched case.

The case is bench/peer/lanchester-sim-matched.yaml (4 launchers x 6 missiles against
one Type 055, two Type 052D and one Type 054A); its comments map each of the peer's
rules onto nansei's fields and say where they cannot match. Two workloads:

* one salvo — nansei ``rounds=1``; the peer's maximum rounds set to 1;
* to a decision — rounds until a side is out of action, at most 50 (the peer's
  ``DEFAULT_MAX_ROUNDS``; the file's ``rounds``).

Both workloads also run on nansei's engine at :data:`BASELINE` (the numpy engine before
the compiled kernels, a temporary git worktree) in the same run: the ratio to it is the
"≥ 5× today's engine on the matched case" target.

nansei runs its public API, ``nansei.combat.engine.simulate_exchange`` (one process,
one core); the peer runs its own ``SalvoCombatModel.run_monte_carlo_analysis``. Each
rate is battles (replications) per second, the median of RUNS timings after a warm-up,
both programs timed in this one run; the ratio is nansei / peer. Both programs' answers
(P(every red ship out of action), mean rounds fought) are recorded side by side: they
sample nearly the same model (not the same random numbers), and differ where the file's
notes say the rules cannot match.

The peer is never copied into this repository. Point NANSEI_PEER_LANCHESTER at a checkout
of it (its directory holding ``models/salvo.py``) to measure it; without it only nansei
is measured and the JSON says the peer was not. Writes bench/results/peer.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import run_at  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "bench" / "peer" / "lanchester-sim-matched.yaml"
RESULTS = ROOT / "bench" / "results" / "peer.json"
PEER_ENV = "NANSEI_PEER_LANCHESTER"
PEER_REPOSITORY = "https://github.com/jaesparza/lanchester-sim"
RUNS = 5
NANSEI_REPLICATIONS = 300_000
PEER_BATTLES = 20_000


def load_case():
    from nansei.combat.spec import load_salvo_spec

    return load_salvo_spec(CASE)


# -- nansei -----------------------------------------------------------------------------


def time_nansei(spec, rounds: int) -> dict:
    from nansei.combat.engine import simulate_exchange

    def run(seed: int, replications: int):
        start = time.perf_counter()
        result = simulate_exchange(
            spec.sides, replications=replications, seed=seed, rounds=rounds, order=spec.order
        )
        return time.perf_counter() - start, result

    run(0, 20_000)  # warm-up
    timings, result = [], None
    for seed in range(1, RUNS + 1):
        seconds, result = run(seed, NANSEI_REPLICATIONS)
        timings.append(seconds)
    record = result.record()
    red = spec.sides[1]
    out = record["sides"][red.name]["out_of_action"]["distribution"]
    return {
        "replications": NANSEI_REPLICATIONS,
        "runs_s": [round(t, 4) for t in timings],
        "battles_per_s": round(NANSEI_REPLICATIONS / statistics.median(timings)),
        "p_all_red_out": out.get(str(red.ship_count), 0.0),
        "mean_rounds": record["rounds_fought"]["mean"],
    }


# -- nansei's engine before the compiled kernels --------------------------------------

#: The numpy engine the issue's "≥ 5× today's engine" was set against.
BASELINE = "3bbbe09"
BASELINE_REPLICATIONS = 100_000

_BASELINE_SCRIPT = r"""
import json, statistics, sys, time
from nansei.combat.engine import simulate_exchange
from nansei.combat.spec import load_salvo_spec
spec = load_salvo_spec(CASE)
out = {}
for name, rounds in WORKLOADS.items():
    run = lambda seed, reps: simulate_exchange(spec.sides, replications=reps, seed=seed,
                                               rounds=rounds, order=spec.order)
    run(0, 20_000)
    timings = []
    for seed in range(1, RUNS + 1):
        start = time.perf_counter()
        run(seed, REPS)
        timings.append(time.perf_counter() - start)
    out[name] = {"replications": REPS, "runs_s": [round(t, 4) for t in timings],
                 "battles_per_s": round(REPS / statistics.median(timings))}
print(json.dumps(out))
"""


def time_baseline(workloads: dict[str, int]) -> dict:
    """The same case and workloads on the engine at :data:`BASELINE` (a temporary git
    worktree, one process), for the ratio this engine / that one in the same run."""
    script = (
        _BASELINE_SCRIPT.replace("CASE", repr(str(CASE)))
        .replace("WORKLOADS", repr(workloads))
        .replace("RUNS", str(RUNS))
        .replace("REPS", str(BASELINE_REPLICATIONS))
    )
    try:
        return json.loads(run_at(BASELINE, script).strip().splitlines()[-1])
    except (RuntimeError, subprocess.CalledProcessError, ValueError, IndexError) as error:
        return {"error": str(error)[-300:]}


# -- the peer ---------------------------------------------------------------------------


def peer_forces(spec, ship_class):
    """The peer's two forces from the matched file: each nansei ship becomes a peer Ship
    with offensive_power = missiles, defensive_power = the area layer's p_kill (0 without
    one) and staying_power = the whole number of hits. Refuses a file using a rule the
    peer does not have, so the two programs cannot silently drift apart."""
    blue, red = spec.sides
    problems = []
    for side in spec.sides:
        for factor in ("scouting", "reliability", "p_hit", "readiness"):
            if getattr(side, factor) != 1.0:
                problems.append(f"{side.name}.{factor} must be 1 (the peer has no such factor)")
        for ship in side.ships:
            if ship.point_layer is not None or ship.softkill_p:
                problems.append(f"{ship.name}: the peer has no point layer or soft kill")
            if ship.staying_power_range or not float(ship.staying_power).is_integer():
                problems.append(f"{ship.name}: the peer takes whole staying power only")
            if ship.magazine is not None and ship.missiles > 0:
                problems.append(f"{ship.name}: the peer has no magazines")
    kills = {ship.area.p_kill if ship.area else 0.0 for ship in red.ships}
    if len(kills) != 1:
        problems.append("every red ship needs the same p_kill (the peer averages over live ships)")
    if problems:
        raise SystemExit(f"{CASE.name} does not match the peer: " + "; ".join(problems))

    def ships(side):
        return [
            ship_class(
                name=f"{ship.name}-{index}",
                offensive_power=float(ship.missiles),
                defensive_power=ship.area.p_kill if ship.area else 0.0,
                staying_power=int(ship.staying_power),
            )
            for ship in side.ships
            for index in range(ship.count)
        ]

    return ships(blue), ships(red)


def time_peer(spec, peer_dir: Path, rounds: int) -> dict:
    sys.path.insert(0, str(peer_dir))
    try:
        from models.salvo import SalvoCombatModel, Ship
    finally:
        sys.path.pop(0)

    def run(battles: int):
        model = SalvoCombatModel(*peer_forces(spec, Ship))
        model.DEFAULT_MAX_ROUNDS = rounds  # the peer's Monte Carlo loop reads this bound
        start = time.perf_counter()
        analysis = model.run_monte_carlo_analysis(iterations=battles, quiet=True)
        return time.perf_counter() - start, analysis

    run(500)  # warm-up
    timings, analysis = [], None
    for _ in range(RUNS):
        seconds, analysis = run(PEER_BATTLES)
        timings.append(seconds)
    return {
        "battles": PEER_BATTLES,
        "runs_s": [round(t, 4) for t in timings],
        "battles_per_s": round(PEER_BATTLES / statistics.median(timings)),
        # The peer's "Force A Victory": no red ship left in action.
        "p_all_red_out": round(analysis["outcome_counts"]["Force A Victory"] / PEER_BATTLES, 6),
        "mean_rounds": round(float(analysis["average_battle_duration"]), 6),
    }


def peer_commit(peer_dir: Path) -> str | None:
    """The checkout's commit, if ``peer_dir`` is the top of a git work tree."""
    done = subprocess.run(
        ["git", "-C", str(peer_dir), "rev-parse", "--show-toplevel", "HEAD"],
        capture_output=True,
        text=True,
    )
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or Path(lines[0]) != peer_dir.resolve():
        return None
    return lines[1]


# -- the run ----------------------------------------------------------------------------


def main() -> int:
    from nansei.results import write_json

    load_before = os.getloadavg()[0]
    spec = load_case()
    peer_dir = Path(os.environ[PEER_ENV]).expanduser() if os.environ.get(PEER_ENV) else None
    if peer_dir is not None and not (peer_dir / "models" / "salvo.py").is_file():
        raise SystemExit(f"{PEER_ENV}={peer_dir}: no models/salvo.py there")
    workloads = {"one_salvo": 1, "to_decision": spec.rounds}
    figures: dict = {
        "benchmark": "peer",
        "case": str(CASE.relative_to(ROOT)),
        "peer": {
            "repository": PEER_REPOSITORY,
            "measured": peer_dir is not None,
            "commit": peer_commit(peer_dir) if peer_dir else None,
            "api": "SalvoCombatModel.run_monte_carlo_analysis",
        },
        "nansei_api": "nansei.combat.engine.simulate_exchange",
        "runs": RUNS,
    }
    if peer_dir is None:
        figures["peer"]["note"] = (
            f"peer not measured: set {PEER_ENV} to a checkout of {PEER_REPOSITORY}"
        )
    before = time_baseline(workloads)
    for name, rounds in workloads.items():
        row: dict = {"rounds": rounds, "nansei": time_nansei(spec, rounds)}
        if name in before:
            row[f"engine_at_{BASELINE}"] = before[name]
            row[f"nansei_over_{BASELINE}"] = round(
                row["nansei"]["battles_per_s"] / before[name]["battles_per_s"], 2
            )
        elif "error" in before:
            row[f"engine_at_{BASELINE}"] = before
        if peer_dir is not None:
            row["peer"] = time_peer(spec, peer_dir, rounds)
            row["nansei_over_peer"] = round(
                row["nansei"]["battles_per_s"] / row["peer"]["battles_per_s"], 1
            )
        figures[name] = row
    figures.update(
        numpy=np.__version__,
        python=sys.version.split()[0],
        machine=platform.machine(),
        # Other work on the machine slows both programs; ratios within one run hold better.
        load_average_1min=[round(load_before, 2), round(os.getloadavg()[0], 2)],
    )
    write_json(RESULTS, figures)
    for name in workloads:
        row = figures[name]
        line = f"{name}: nansei {row['nansei']['battles_per_s']:,} battles/s"
        if f"nansei_over_{BASELINE}" in row:
            line += f" ({row[f'nansei_over_{BASELINE}']}x the engine at {BASELINE})"
        if "peer" in row:
            line += (
                f", peer {row['peer']['battles_per_s']:,} battles/s, "
                f"ratio {row['nansei_over_peer']}x; P(all red out) nansei "
                f"{row['nansei']['p_all_red_out']:.3f} / peer {row['peer']['p_all_red_out']:.3f}, "
                f"mean rounds {row['nansei']['mean_rounds']:.3f} / {row['peer']['mean_rounds']:.3f}"
            )
        print(line)
    if peer_dir is None:
        print(figures["peer"]["note"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
