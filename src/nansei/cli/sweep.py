"""``nansei sweep`` (points × years × replication chunks on Dask, resumable) and
``nansei query`` (SQL on a sweep's store).

Bad input — a sweep file that is not YAML or lacks a field, an unknown parameter or
scenario path (closest names suggested), a value outside its range, an empty grid, more
than 10^5 tasks without ``--force``, an unreachable scheduler, an ``--out`` that holds a
different sweep — ends in one message and exit code 2, before anything is written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nansei.cli import common
from nansei.cli.campaign import _fail, _load
from nansei.io import InputError, OutputError, parse_yaml, read_input, write_text
from nansei.problems import ScenarioError
from nansei.sweep import store
from nansei.sweep.runner import SchedulerError, run_tasks
from nansei.sweep.spec import SweepError, SweepPlan, check_size, parse_spec, resolve
from nansei.sweep.tasks import CampaignPoint, chunks


def _identity(spec_document: dict[str, Any], plan: SweepPlan, catalog) -> dict[str, Any]:
    """What makes two sweeps the same sweep (an ``--out`` holding another is refused)."""
    return {
        "scenario": plan.scenario.name,
        "scenario_hash": {str(y): s.scenario_hash for y, s in plan.setups.items()},
        "years": [y for y in plan.years],
        "replications": plan.replications,
        "seed": plan.seed,
        "chunk": plan.chunk,
        "keys": list(plan.keys),
        "points_hash": hashlib.sha256(
            json.dumps(plan.points, sort_keys=True).encode("ascii")
        ).hexdigest(),
        "catalog_digest": catalog.digest(),
    }


def _tasks(plan: SweepPlan, catalog, parts: Path) -> list[store.SweepTask]:
    tasks = []
    for year in plan.years:
        for index, values in enumerate(plan.points):
            for first, count in chunks(plan.replications, plan.chunk):
                point = CampaignPoint(plan.scenario, catalog, year, values, count, plan.seed, first)
                path = parts / store.part_name(year, index, first)
                tasks.append(store.SweepTask(point, index, plan.keys, str(path)))
    return tasks


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("tasks"),
        TimeElapsedColumn(),
        console=common.err_console,
        transient=True,
    )


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="The sweep YAML file.", show_default=False)],
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes on a local Dask cluster.")
    ] = 2,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="An existing Dask scheduler, tcp://host:port."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", file_okay=False, help="Store directory (default: SWEEP.sweep)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Allow more than 10^5 tasks.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Run a sweep on Dask, one Parquet part per task; re-running resumes."""
    common.check_workers(workers)
    try:
        text = read_input(sweep_file)
        document = parse_yaml(text, str(sweep_file))
    except InputError as error:
        _fail(str(error))
    out = out if out is not None else sweep_file.with_suffix(".sweep")
    if out.exists() and not out.is_dir():
        _fail(f"--out {out}: exists and is not a directory")
    catalog = common.catalog()
    try:
        spec = parse_spec(document)
        scenario = _load(_scenario_path(spec.scenario, sweep_file))
        plan = resolve(spec, scenario, catalog, spec.scenario)
        check_size(plan, force)
    except SweepError as error:
        _fail(f"{sweep_file}: {error}")
    except ScenarioError as error:
        _fail(str(error))
    identity = _identity(document, plan, catalog)
    try:
        old = store.read_manifest(out)
    except store.StoreError as error:
        _fail(str(error))
    if old is not None and old.get("identity") != identity:
        changed = ", ".join(store.differences(old.get("identity") or {}, identity))
        _fail(f"--out {out}: holds a different sweep (differs in: {changed}); use another --out")
    if old is None and out.is_dir() and any(out.iterdir()):
        _fail(f"--out {out}: not empty and not a sweep store; use another --out")
    parts = out / store.PARTS
    tasks = _tasks(plan, catalog, parts)
    try:
        parts.mkdir(parents=True, exist_ok=True)
        store.clean_temporary(parts)
        if old is None:
            write_text(out / store.SWEEP_FILE, text, "--out")
        manifest = {
            "identity": identity,
            "sweep_file": str(sweep_file),
            "tasks": len(tasks),
            "points": len(plan.points),
            "complete": False,
        }
        store.write_manifest(out, manifest)
    except OutputError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"--out {out}: cannot write: {error.strerror or error}")
    pending = [task for task in tasks if not Path(task.path).exists()]
    try:
        with _progress() as bar:
            task_id = bar.add_task(f"sweep {sweep_file.stem}", total=len(tasks))
            bar.advance(task_id, len(tasks) - len(pending))
            if pending:
                run_tasks(
                    store.run_task,
                    pending,
                    workers=workers,
                    scheduler=scheduler,
                    progress=lambda n: bar.advance(task_id, n),
                )
    except SchedulerError as error:
        _fail(str(error))
    try:
        store.write_summary(out, plan.keys)
        store.write_database(out)
        manifest.update(complete=True, skipped=len(tasks) - len(pending), ran=len(pending))
        store.write_manifest(out, manifest)
    except OutputError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"--out {out}: cannot write: {error.strerror or error}")
    if json_:
        common.emit_json(manifest)
        return
    common.console.print(
        f"{len(tasks)} tasks ({len(tasks) - len(pending)} already done) → {out}; "
        f'query with: nansei query {out} "SELECT * FROM summary"'
    )


def _scenario_path(name: str, sweep_file: Path) -> str:
    """A scenario file named relative to the sweep file, else a bundled name or path."""
    beside = sweep_file.parent / name
    return str(beside) if beside.suffix in (".yaml", ".yml") and beside.is_file() else name


def query(
    directory: Annotated[Path, typer.Argument(help="A sweep store.", show_default=False)],
    sql: Annotated[
        str,
        typer.Argument(help='SQL over tables results and summary, e.g. "SELECT * FROM summary".'),
    ],
    json_: Annotated[bool, typer.Option("--json", help="Rows as a JSON list.")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="Rows as CSV.")] = False,
) -> None:
    """Run SQL (DuckDB) on a sweep's store: tables results and summary."""
    import duckdb

    if json_ and csv_:
        _fail("--json and --csv: choose one")
    try:
        connection = store.connect(directory)
    except store.StoreError as error:
        _fail(str(error))
    try:
        cursor = connection.execute(sql)
        names = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall()
    except duckdb.Error as error:
        _fail(f"SQL: {str(error).splitlines()[0]}")
    finally:
        connection.close()
    if json_:
        common.emit_json([dict(zip(names, row, strict=True)) for row in rows])
    elif csv_:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    else:
        table = Table(title_justify="left")
        for name in names:
            table.add_column(escape(name))
        for row in rows:
            table.add_row(*(escape(_text(value)) for value in row))
        common.console.print(table)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
    app.command("query")(query)
