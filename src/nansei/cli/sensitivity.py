"""``nansei sensitivity``: which catalog parameters and decisions decide a campaign's answer.

Bad input (an unknown parameter or scenario path, a range outside the catalog's, a
metric that is not a column, a Sobol sample size that is not a power of two, a scheduler
that cannot be reached) ends in one message and exit code 2, before anything runs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nansei.campaign import COLUMNS, build_setup
from nansei.cli import common
from nansei.cli.campaign import ScenarioArg, _explain, _fail, _load
from nansei.io import write_file
from nansei.problems import ScenarioError
from nansei.results import write_json
from nansei.sweep.runner import SchedulerError, run_tasks
from nansei.sweep.tasks import CampaignModel
from nansei.uncertainty.sampling import FactorError, check_read, default_factors, parse_factor
from nansei.uncertainty.sensitivity import METHODS, analyse

#: Defaults per method: (samples, replications per evaluation). Sobol's N = 4096 is what
#: ranks the top five of miyako-transit within 10 minutes on 2 cores (docs/sensitivity.md).
DEFAULTS = {"oat": (0, 1000), "morris": (20, 200), "sobol": (4096, 64)}

#: Without ``--workers``, a design of more evaluations than this runs on one worker per
#: CPU core (a local Dask cluster); a smaller one in this process, where a cluster's
#: start-up would cost more than it saves.
AUTO_WORKERS_EVALUATIONS = 2000

#: Task sizing for designs (see :func:`task_batch`).
TASKS_PER_WORKER = 32
MAX_BATCH = 256

WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Local processes (a Dask LocalCluster if > 1). Default: one per CPU core for "
        f"designs of more than {AUTO_WORKERS_EVALUATIONS} evaluations, else 1.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Address of an existing Dask scheduler, tcp://host:port."),
]


def parse_params(text: str | None, catalog, scenario, setup) -> list:
    """``--params``: ids, ``ID=LOW..HIGH`` or ``scenario.PATH=LOW..HIGH``, comma-separated;
    ``default`` stands for every parameter the run reads with ``low < high``."""
    if not text:
        return default_factors(setup, catalog)
    factors, seen = [], set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        found = (
            default_factors(setup, catalog)
            if item == "default"
            else [_factor(item, catalog, scenario)]
        )
        for factor in found:
            if factor.id in seen:
                _fail(f"--params {factor.id}: given twice; give each parameter once")
            seen.add(factor.id)
            factors.append(factor)
    if not factors:
        _fail("--params: give at least one parameter id, or leave it out for the defaults")
    return factors


def _factor(item: str, catalog, scenario):
    try:
        return parse_factor(item, catalog, scenario)
    except FactorError as error:
        _fail(f"--params {error}")


def sensitivity(
    scenario: ScenarioArg,
    year: Annotated[
        int | None, typer.Option("--year", help="Posture year (default: the scenario's).")
    ] = None,
    method: Annotated[str, typer.Option("--method", help="oat, morris or sobol.")] = "oat",
    params: Annotated[
        str | None,
        typer.Option(
            "--params",
            help="Comma-separated ids (ID, ID=LOW..HIGH, scenario.PATH=LOW..HIGH); "
            "'default' = every parameter the run reads with low < high.",
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=1,
            help=f"Morris trajectories ({DEFAULTS['morris'][0]}) or Sobol base samples "
            f"({DEFAULTS['sobol'][0]}; a power of two).",
        ),
    ] = None,
    reps: Annotated[
        int | None, typer.Option("--reps", min=1, help="Replications per evaluation.")
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="A per-replication column; its mean is analysed.")
    ] = "red_ships_out_of_action",
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: the scenario's).")
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for sensitivity.json.", file_okay=False)
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Write the chart (tornado, μ*/σ or S1/ST).")
    ] = None,
) -> None:
    """Which inputs move a campaign metric: one at a time, Morris screening or Sobol."""
    if workers is not None:
        common.check_workers(workers)
    if method not in METHODS:
        _fail(f"--method {method!r}: allowed: {', '.join(METHODS)}")
    if metric not in COLUMNS:
        _fail(f"--metric {metric!r}: not a campaign column; allowed: {', '.join(COLUMNS)}")
    samples = samples if samples is not None else DEFAULTS[method][0]
    reps = reps if reps is not None else DEFAULTS[method][1]
    if method == "sobol" and samples & (samples - 1):
        _fail(f"--samples {samples}: Sobol (Saltelli) designs need a power of two, e.g. 64")
    if out is not None and out.exists() and not out.is_dir():
        _fail(f"--out {out}: exists and is not a directory")
    catalog = common.catalog()
    loaded = _load(scenario)
    try:
        prepared = loaded.with_year(year) if year is not None else loaded
        setup = build_setup(prepared, catalog, scenario)
    except ScenarioError as error:
        _fail(_explain(error, {}, "--year" if year is not None else None))
    factors = parse_params(params, catalog, prepared, setup)
    try:
        check_read(factors, [setup], scenario)
    except ScenarioError as error:
        _fail(f"--params: {error}")
    run_seed = seed if seed is not None else loaded.seed
    model = CampaignModel(prepared, catalog, setup.year, tuple(factors), reps, run_seed, (metric,))
    rows = 1 + 2 * len(factors) if method == "oat" else None
    if method == "morris":
        rows = samples * (len(factors) + 1)
    elif method == "sobol":
        rows = samples * (len(factors) + 2)
    if workers is None:
        workers = default_workers(rows, scheduler)
    batch = task_batch(rows, workers)
    try:
        with common.progress_bar() as bar:
            task = bar.add_task(f"{method} · {rows} evaluations", total=-(-rows // batch))
            run = functools.partial(
                run_tasks,
                workers=workers,
                scheduler=scheduler,
                progress=lambda n: bar.advance(task, n),
            )
            result = analyse(
                model, factors, method, samples=samples, seed=run_seed, run=run, batch=batch
            )
    except SchedulerError as error:
        _fail(str(error))
    except (ScenarioError, FactorError) as error:
        _fail(str(error))
    record = {
        "scenario": loaded.name,
        "year": setup.year,
        "metric": metric,
        "method": method,
        "samples": samples if method != "oat" else None,
        "replications": reps,
        "seed": run_seed,
        "evaluations": result["evaluations"],
        "baseline": result["baseline"],
        "parameters": result["parameters"],
        "ranking": result.get("ranking"),
    }
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            write_json(out / "sensitivity.json", record)
        except OSError as error:
            _fail(f"--out {out}: cannot write: {error.strerror or error}")
    if png is not None:
        try:
            write_chart(png, record)
        except OSError as error:
            _fail(f"--png {png}: cannot write: {error.strerror or error}")
    if json_:
        common.emit_json(record)
        return
    print_sensitivity(record)


def default_workers(evaluations: int, scheduler: str | None) -> int:
    """Local workers when ``--workers`` is not given (see
    :data:`AUTO_WORKERS_EVALUATIONS`); an existing cluster (``scheduler``) needs none."""
    if scheduler or evaluations <= AUTO_WORKERS_EVALUATIONS:
        return 1
    return common.cpu_cores()


def task_batch(rows: int, workers: int) -> int:
    """Design rows per task: about :data:`TASKS_PER_WORKER` tasks per worker (enough to
    balance the load and move the progress bar), at most :data:`MAX_BATCH` rows, so a
    large design is not thousands of tiny tasks whose scheduling competes with the
    campaign for the same cores."""
    return max(1, min(MAX_BATCH, rows // (TASKS_PER_WORKER * max(1, workers))))


def ranked(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Parameters, most influential first (swing, μ* or ST by method)."""

    def key(p: dict[str, Any]) -> float:
        if record["method"] == "oat":
            return abs((p["oat"]["high"] or 0.0) - (p["oat"]["low"] or 0.0))
        return (p["mu_star"] if record["method"] == "morris" else p["ST"]) or 0.0

    return sorted(record["parameters"], key=key, reverse=True)


def _ci(pair: list | None) -> str:
    return "—" if pair is None else f"[{pair[0]:.3f}, {pair[1]:.3f}]"


def print_sensitivity(record: dict[str, Any], limit: int = 20) -> None:
    method = record["method"]
    sizing = (
        f"{record['samples']} samples × " if record["samples"] else ""
    ) + f"{record['replications']} replications"
    table = Table(
        title=f"{record['scenario']} — posture {record['year']} — {method} on mean "
        f"{record['metric']} ({sizing}, {record['evaluations']} evaluations)",
        title_justify="left",
    )
    table.add_column("parameter")
    table.add_column("basis")
    table.add_column("range", justify="right")
    columns = {
        "oat": ("at low", "at high", "swing"),
        "morris": ("μ*", "μ* 95% CI", "σ"),
        "sobol": ("S1", "S1 95% CI", "ST", "ST 95% CI"),
    }[method]
    for column in columns:
        table.add_column(column, justify="right")
    for p in ranked(record)[:limit]:
        span = f"{p['low']:g}..{p['high']:g}"
        if method == "oat":
            low, high = p["oat"]["low"], p["oat"]["high"]
            cells = (f"{low:.2f}", f"{high:.2f}", f"{high - low:+.2f}")
        elif method == "morris":
            cells = (f"{p['mu_star']:.3f}", _ci(p["mu_star_ci95"]), f"{p['sigma']:.3f}")
        else:
            cells = (f"{p['S1']:.3f}", _ci(p["S1_ci95"]), f"{p['ST']:.3f}", _ci(p["ST_ci95"]))
        table.add_row(p["id"], p["basis"], span, *cells)
    common.console.print(table)
    if method == "oat":
        common.console.print(f"all parameters at their values: {record['baseline']:.2f}")
    if record.get("ranking"):
        common.console.print(ranking_line(record["ranking"]))
    hidden = len(record["parameters"]) - limit
    if hidden > 0:
        common.console.print(f"… and {hidden} more (--json for all)", style="dim")


def ranking_line(ranking: dict[str, Any]) -> str:
    """One line: is the top of the ST order resolved, and which neighbours are tied."""
    places = ranking["places"]
    ties = [
        f"{row['rank']}–{row['rank'] + 1} ({row['id']} vs {row['next']}: ST difference "
        f"{row['difference']:.3f} {_ci(row['difference_ci95'])})"
        for row in ranking["order"]
        if row["above_next"] is False
    ]
    if not ties:
        return (
            f"top {places} ranked: each ST above the next by a 95% paired interval clear "
            f"of zero (ranks 1–{places + 1})"
        )
    return f"top {places} not fully ranked at this N; tied: " + "; ".join(ties)


def write_chart(path: Path, record: dict[str, Any], limit: int = 15) -> None:
    """A tornado (oat), μ*/σ bars (morris) or S1/ST bars with 95% intervals (sobol)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = ranked(record)[:limit][::-1]
    names = [p["id"] for p in top]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(top) + 1.5))
    y = range(len(top))
    method = record["method"]
    if method == "oat":
        base = record["baseline"]
        lows = [p["oat"]["low"] - base for p in top]
        highs = [p["oat"]["high"] - base for p in top]
        ax.barh(y, lows, left=base, color="#4c72b0", label="parameter at low")
        ax.barh(y, highs, left=base, color="#dd8452", label="parameter at high")
        ax.axvline(base, color="black", linewidth=0.8)
        ax.set_xlabel(f"mean {record['metric']}")
    else:
        first, total = ("mu_star", "sigma") if method == "morris" else ("S1", "ST")
        width = 0.4
        for shift, name, colour in ((-width / 2, first, "#4c72b0"), (width / 2, total, "#dd8452")):
            values = [p[name] or 0.0 for p in top]
            errors = None
            if f"{name}_ci95" in top[0] and all(p[f"{name}_ci95"] for p in top):
                errors = [(p[f"{name}_ci95"][1] - p[f"{name}_ci95"][0]) / 2 for p in top]
            ax.barh(
                [i + shift for i in y], values, height=width, xerr=errors, color=colour, label=name
            )
        ax.set_xlabel("index" if method == "sobol" else f"effect on mean {record['metric']}")
    ax.set_yticks(list(y), names)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"{record['scenario']} {record['year']}: {method}", fontsize=10)
    fig.tight_layout()
    write_file(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110), "--png")
    plt.close(fig)


def register(app: typer.Typer) -> None:
    app.command("sensitivity")(sensitivity)
