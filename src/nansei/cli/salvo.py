"""``nansei salvo``: one salvo exchange between two sides, from a salvo file.

The file (``docs/salvo.md``, "Salvo files") gives the model, the run settings and the
two sides; ``--reps``, ``--seed``, ``--rounds`` and ``--model`` override the file.
``stochastic`` runs the vectorised engine (:mod:`nansei.combat.engine`) and reports, per
side, the mean, 95% interval of the mean, p10/p50/p90 and distribution of each count;
``hughes`` evaluates Hughes' equations (:mod:`nansei.combat.hughes`) and reports exact
numbers. Everything a user can get wrong ends in one message naming the field and exit
code 2, before anything is run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from nansei.cli import common
from nansei.combat.engine import SIDE_METRICS, simulate_exchange
from nansei.combat.hughes import hughes_exchange
from nansei.combat.spec import MAX_ROUNDS, SalvoSpec, SalvoSpecError, load_salvo_spec
from nansei.problems import MAX_REPLICATIONS, MAX_SEED
from nansei.provenance import build_provenance, recording_reads
from nansei.workload import WorkloadError, check_workload, salvo_workload

__all__ = ["register", "salvo", "salvo_record"]

#: Row labels of the per-side tables.
LABELS = {
    "ships": "ships",
    "out_of_action": "ships out of action",
    "raw_loss": "raw loss (unclipped)",
    "hits_received": "hits received",
    "missiles_launched": "missiles launched",
    "missiles_flown": "missiles flown",
    "missiles_aimed": "missiles aimed at real targets",
    "intercepted_area": "killed by area defence",
    "intercepted_point": "killed by point defence",
    "seduced": "seduced (soft kill)",
    "leakers": "leakers",
    "interceptors_used": "interceptors used",
    "missiles_left": "missiles left",
    "interceptors_left": "interceptors left",
    "remaining": "ships remaining",
}
HUGHES_ROWS = (
    "ships",
    "out_of_action",
    "raw_loss",
    "hits_received",
    "missiles_launched",
    "remaining",
)


class Model(StrEnum):
    stochastic = "stochastic"
    hughes = "hughes"


def _fail(message: str) -> NoReturn:
    common.fail(message)


# -- running ---------------------------------------------------------------------------


def salvo_record(spec: SalvoSpec, progress: Callable[[int], None] | None = None) -> dict:
    """The JSON record of a run of ``spec``: ``model``, ``replications``, ``seed``,
    ``rounds``, ``order``, ``rounds_fought`` and ``sides`` (the engine's record; for
    ``hughes`` exact numbers and ``replications``/``seed`` null)."""
    head: dict[str, Any] = {
        "model": spec.model,
        "replications": None,
        "seed": None,
        "rounds": spec.rounds,
        "order": spec.order,
    }
    if spec.model == "hughes":
        result = hughes_exchange(spec.sides[0], spec.sides[1], order=spec.order, rounds=spec.rounds)
        record = result.record()
        sides = {}
        for name, entry in record["sides"].items():
            entry = dict(entry)
            if float(entry["ships"]).is_integer():
                entry["ships"] = int(entry["ships"])
            sides[name] = entry
        return {**head, "rounds_fought": record["rounds_fought"], "sides": sides}
    result = simulate_exchange(
        spec.sides,
        replications=spec.replications,
        seed=spec.seed,
        rounds=spec.rounds,
        order=spec.order,
        progress=progress,
    )
    record = result.record()
    head.update(replications=spec.replications, seed=spec.seed)
    return {**head, "rounds_fought": record["rounds_fought"], "sides": record["sides"]}


# -- output ----------------------------------------------------------------------------


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.{digits}f}"


def _title(record: Mapping[str, Any], spec: SalvoSpec) -> str:
    order = "simultaneous" if record["order"] == "simultaneous" else f"{record['order']} first"
    rounds = f"{record['rounds']} round{'s' if record['rounds'] != 1 else ''}, {order}"
    if record["model"] == "hughes":
        return f"Hughes salvo equations — {rounds}"
    return (
        f"stochastic salvo — {record['replications']:,} replications, seed {record['seed']}, "
        f"{rounds}"
    )


def _print_stochastic_side(name: str, entry: Mapping[str, Any]) -> None:
    table = Table(title=f"{name} — {entry['ships']} ships", title_justify="left")
    for column in ("per replication", "mean", "95% CI of mean", "p10", "p50", "p90"):
        table.add_column(column, justify="left" if column == "per replication" else "right")
    for metric in SIDE_METRICS:
        stats = entry.get(metric)
        if stats is None:
            continue
        ci = stats["ci95"]
        table.add_row(
            LABELS.get(metric, metric),
            _num(stats["mean"]),
            "—" if ci is None else f"[{_num(ci[0])}, {_num(ci[1])}]",
            _num(stats["p10"]),
            _num(stats["p50"]),
            _num(stats["p90"]),
        )
    common.console.print(table)
    distribution = entry["out_of_action"].get("distribution") or {}
    dist = Table(title=f"{name} — ships out of action", title_justify="left")
    dist.add_column("ships", justify="right")
    dist.add_column("probability", justify="right")
    dist.add_column("P(at least)", justify="right")
    dist.add_column("")
    at_least = 1.0
    for k in range(int(entry["ships"]) + 1):
        p = float(distribution.get(str(k), 0.0))
        dist.add_row(str(k), f"{p:.4f}", f"{max(at_least, 0.0):.4f}", "█" * round(p * 40))
        at_least -= p
    common.console.print(dist)


def _print_hughes_side(name: str, entry: Mapping[str, Any]) -> None:
    table = Table(title=f"{name} — {_num(entry['ships'])} ships", title_justify="left")
    table.add_column("Hughes")
    table.add_column("value", justify="right")
    for key in HUGHES_ROWS:
        table.add_row(LABELS[key], _num(entry[key], 3))
    for ship_name, loss in entry.get("losses_by_type", {}).items():
        table.add_row(f"  out of action: {ship_name}", _num(loss, 3), style="dim")
    common.console.print(table)


def print_record(record: Mapping[str, Any], spec: SalvoSpec) -> None:
    common.console.print(_title(record, spec), style="bold", highlight=False)
    if spec.description:
        common.console.print(spec.description.strip(), style="dim", highlight=False)
    for name, entry in record["sides"].items():
        if record["model"] == "hughes":
            _print_hughes_side(name, entry)
        else:
            _print_stochastic_side(name, entry)
    if record["model"] == "hughes":
        note = (
            "Hughes (1995): expected values, fractional ships; raw loss is the unclipped "
            "ΔB (negative when the defence has capacity to spare)."
        )
    else:
        note = (
            "mean [95% interval of the mean]; aleatory only: the file's parameters are "
            "taken as exact. Each side's counts are what it received, except missiles "
            "launched, flown and aimed, which it fired."
        )
    common.console.print(note, style="dim", highlight=False)


# -- the command -----------------------------------------------------------------------


def salvo(
    file: Annotated[
        Path,
        typer.Argument(
            help="A salvo YAML file (see docs/salvo.md).", metavar="FILE", show_default=False
        ),
    ],
    reps: Annotated[
        int | None,
        typer.Option(
            "--reps",
            min=1,
            max=MAX_REPLICATIONS,
            help="Replications (default: the file's); 1..10,000,000.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Seed (default: the file's); >= 0."),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            min=1,
            max=MAX_ROUNDS,
            help="Salvo exchanges (default: the file's); 1..1000.",
        ),
    ] = None,
    model: Annotated[
        Model | None,
        typer.Option("--model", help="Salvo model (default: the file's, else stochastic)."),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Run even if the work or memory estimate is over its limit (docs/limits.md).",
        ),
    ] = False,
) -> None:
    """A salvo exchange between two sides: Hughes' equations or the stochastic engine."""
    catalog = common.catalog()
    with recording_reads() as reads:  # the catalog values the file and the run read
        record, spec = _run(file, catalog, model, reps, seed, rounds, force)
    record["provenance"] = build_provenance(
        catalog, seed=record["seed"], replications=record["replications"], reads=reads
    )
    if json_:
        common.emit_json(record)
    else:
        print_record(record, spec)


def _run(file: Path, catalog, model, reps, seed, rounds, force) -> tuple[dict, SalvoSpec]:
    try:
        spec = load_salvo_spec(file, catalog).with_run(
            model=model.value if model is not None else None,
            replications=reps,
            seed=seed,
            rounds=rounds,
        )
    except SalvoSpecError as error:
        _fail(str(error))
    if spec.model == "stochastic":
        try:
            check_workload(_workload(spec), force)
        except WorkloadError as error:
            _fail(str(error))
    if spec.model == "hughes":
        return salvo_record(spec), spec
    with common.progress_bar() as progress:
        task = progress.add_task(f"salvo {file.name}", total=spec.replications)
        return salvo_record(spec, progress=lambda n: progress.advance(task, n)), spec


def _workload(spec: SalvoSpec):
    ships = sum(side.ship_count for side in spec.sides)
    layers = [
        layer
        for side in spec.sides
        for ship in side.ships
        for layer in (ship.area, ship.point_layer)
        if layer is not None
    ]
    shots = max((layer.shots for layer in layers), default=1)
    missiles = sum(
        ship.count * math.ceil(ship.missiles) for side in spec.sides for ship in side.ships
    )
    return salvo_workload(int(ships), missiles, spec.replications, spec.rounds, shots)


def register(app: typer.Typer) -> None:
    app.command("salvo")(salvo)
