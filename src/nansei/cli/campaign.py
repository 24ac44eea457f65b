"""``nansei campaign`` and ``nansei compare``: campaign runs and posture comparisons.

Everything a user can get wrong (a scenario that is not YAML or not a mapping, a missing
field, an unknown year, gate, class or catalog id, a value outside its range) ends in
one message naming the field and exit code 2, before anything is run or written.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from rich.table import Table

from nansei.campaign import (
    METRICS,
    CampaignRun,
    compare_postures,
    comparison_record,
    run_campaign,
)
from nansei.campaign.scenario import Scenario, load_scenario
from nansei.catalog import Catalog
from nansei.cli import common
from nansei.io import OutputError, check_output_directory, output_directory
from nansei.problems import MAX_REPLICATIONS, MAX_SEED, ScenarioError
from nansei.provenance import assumption_parameters, build_provenance, parquet_metadata
from nansei.results import RESULT_FILES, write_json, write_parquet
from nansei.sweep.runner import run_tasks, task_client
from nansei.uncertainty.epistemic import attach, epistemic_band
from nansei.workload import WorkloadError, campaign_workload, check_workload

#: How each metric is labelled in tables.
LABELS = {
    "red_ships_out_of_action": "red ships out of action",
    "groups_transited_fraction": "groups transited (fraction)",
    "blue_missiles_fired": "blue missiles fired",
    "blue_launchers_lost": "blue launchers lost",
    "magazine_exhausted_day": "magazine exhausted (day)",
    "red_combatants_out_of_action": "  of which combatants",
    "red_auxiliaries_out_of_action": "  of which auxiliaries",
    "groups_transited_undamaged_fraction": "groups transited undamaged (fraction)",
    "blue_launchers_lost_counterforce": "  of which to counter-force strikes",
    "blue_missiles_lost_in_depots": "blue missiles lost in depots",
    "blue_ships_lost": "blue ships lost",
}


#: The order of the table rows: each breakdown under its total.
DISPLAY = (
    "red_ships_out_of_action",
    "red_combatants_out_of_action",
    "red_auxiliaries_out_of_action",
    "groups_transited_fraction",
    "groups_transited_undamaged_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "blue_launchers_lost_counterforce",
    "blue_missiles_lost_in_depots",
    "blue_ships_lost",
    "magazine_exhausted_day",
)


def _red_line(red: Mapping[str, Any]) -> str:
    """One line saying which red model ran, and any maritime-strike assumption."""
    if not red["counterforce"]:
        return "red: passive (no counter-force; every weapon engages ships alike)"
    line = f"red: counter-force on, {red['warning_h']:g} h warning"
    if red["maritime_strike_assumed"]:
        line += "; ASSUMED maritime-strike variant of " + ", ".join(red["maritime_strike_assumed"])
    else:
        line += "; land-attack missiles do not engage ships"
    if red.get("ships_at_sea_hunted"):
        line += "; ships at sea are hunted"
    return line


ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A scenario YAML file, or the name of a bundled scenario "
        "(miyako-transit, east-china-sea-approach, yonaguni-gap).",
        show_default=False,
    ),
]
RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        min=1,
        max=MAX_REPLICATIONS,
        help="Replications (default: the scenario's); 1..10,000,000.",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", min=0, max=MAX_SEED, help="Seed (default: the scenario's); >= 0."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a catalog parameter, ID=VALUE (repeatable), e.g. survival.p_detect=0.7.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
OutOpt = Annotated[
    str | None,
    typer.Option(
        "--out",
        help="Directory for replications.parquet (one row per replication) and summary.json; "
        "written whole or not at all, replacing only a previous result.",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        help=f"Processes, 1..{common.MAX_WORKERS} (4 per core); the numbers do not depend on it.",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Run even if the work or memory estimate is over its limit (docs/limits.md).",
    ),
]
UncertaintyOpt = Annotated[
    int | None,
    typer.Option(
        "--uncertainty",
        min=2,
        help="Also draw N outer samples of every parameter the run reads (low..high) and "
        "report the epistemic band (p05/p50/p95 of the per-sample mean).",
    ),
]
UncertaintyRepsOpt = Annotated[
    int | None,
    typer.Option(
        "--uncertainty-reps",
        min=1,
        help="Inner replications per outer sample (default: --reps, at most 500).",
    ),
]


# -- input checks ------------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    common.fail(message)


def _load(name: str) -> Scenario:
    try:
        return load_scenario(name)
    except ScenarioError as error:
        _fail(str(error))


def parse_sets(items: list[str] | None) -> dict[str, float]:
    """``ID=VALUE`` pairs as numbers. Whether an id exists, its range and whether the run
    reads it are the library's checks; :func:`_explain` names their ``--set`` option."""
    overrides: dict[str, float] = {}
    for item in items or []:
        param_id, sep, text = item.partition("=")
        param_id = param_id.strip()
        if not sep or not param_id:
            _fail(f"--set {item!r}: expected ID=VALUE, e.g. survival.p_detect=0.7")
        try:
            value = float(text)
        except ValueError:
            _fail(f"--set {param_id}: {text.strip()!r} is not a number")
        if not math.isfinite(value):
            _fail(f"--set {param_id}: the value must be a finite number")
        if param_id in overrides:
            _fail(f"--set {param_id}: given twice; give each parameter once")
        overrides[param_id] = value
    return overrides


def _explain(error: ScenarioError, sets: Mapping[str, float], year_option: str | None) -> str:
    """The library's error with the problems the command line caused named by their
    options (``--set ID``, ``--year``/``--years``); the rest keep their scenario paths."""
    from_options, from_file = [], []
    for problem in error.problems:
        path = problem.path
        param_id = path.removeprefix("overrides.")
        if path.startswith("overrides.") and param_id in sets:
            from_options.append(f"--set {param_id}: {problem.message}")
        elif path == "posture.year" and year_option:
            from_options.append(f"{year_option}: {problem.message}")
        else:
            from_file.append(problem)
    if not from_file and len(from_options) == 1:
        return from_options[0]
    if not from_options:
        return str(ScenarioError(error.source, from_file))
    lines = [*from_options, *(str(problem) for problem in from_file)]
    return f"{len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines)


def parse_years(text: str) -> list[int]:
    """``--years`` as whole numbers, each once. Whether the catalog has each year is the
    library's check (every year before any runs); :func:`_explain` names ``--years``."""
    years = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            year = int(part)
        except ValueError:
            _fail(f"--years: {part!r} is not a year (e.g. --years 2022,2025,2026,2027)")
        if year not in years:
            years.append(year)
    if not years:
        _fail("--years: give at least one year, e.g. --years 2022,2025,2026,2027")
    return years


def _check_run(
    scenario: Scenario,
    reps: int | None,
    years: int,
    out_text: str | None,
    workers: int,
    force: bool,
) -> Path | None:
    """Everything about the run itself, before any work: workers, the output directory
    (writable, free space) and the work and memory estimate (``--force`` skips it).
    Returns the ``--out`` path."""
    common.check_workers(workers)
    if out_text is not None and not out_text.strip():
        _fail("--out '': give a directory name")
    out = None if out_text is None else Path(out_text)
    groups = [(g.arrivals_per_day, sum(g.composition.values())) for g in scenario.threat.groups]
    replications = reps if reps is not None else scenario.replications
    workload = campaign_workload(
        groups, scenario.days, replications, years, writes_table=out is not None
    )
    try:
        if out is not None:
            check_output_directory(out, "--out", RESULT_FILES, workload.output_bytes)
        check_workload(workload, force)
    except (OutputError, WorkloadError) as error:
        _fail(str(error))
    return out


# -- progress ------------------------------------------------------------------------------


# -- output --------------------------------------------------------------------------------


def _fmt(value: Any, metric: str) -> str:
    if value is None:
        return "—"
    digits = 3 if metric.endswith("_fraction") else 2
    return f"{value:.{digits}f}"


def _cell(summary: Mapping[str, Any], metric: str) -> str:
    mean = _fmt(summary["mean"], metric)
    if summary["ci95"] is None:
        return mean
    lo, hi = summary["ci95"]
    return f"{mean} [{_fmt(lo, metric)}, {_fmt(hi, metric)}]"


def _footnote(metrics_by_year: Mapping[Any, Mapping[str, Any]]) -> str:
    censored = [
        f"{year}: {m['magazine_exhausted_day']['censored']:.0%}"
        for year, m in metrics_by_year.items()
        if m["magazine_exhausted_day"].get("censored")
    ]
    lines = ["mean [95% interval of the mean]; catalog values and overrides, aleatory only."]
    if censored:
        lines.append(
            "magazine exhausted (day): runs that never ran out count as the last day "
            f"(a lower bound) — never ran out in {', '.join(censored)}."
        )
    return "\n".join(lines)


def print_run(run: CampaignRun, record: Mapping[str, Any] | None = None) -> None:
    record = run.record() if record is None else record
    table = Table(
        title=f"{record['scenario']} — posture {record['year']} — "
        f"{record['replications']} replications, seed {record['seed']}",
        title_justify="left",
    )
    epistemic = record.get("epistemic")
    columns = ["metric", "mean", "95% CI of mean", "p10", "p50", "p90"]
    if epistemic:
        columns.append("epistemic p05 · p50 · p95")
    for column in columns:
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name in DISPLAY:
        summary = record["metrics"][name]
        ci = summary["ci95"]
        cells = [
            LABELS[name],
            _fmt(summary["mean"], name),
            "—" if ci is None else f"[{_fmt(ci[0], name)}, {_fmt(ci[1], name)}]",
            _fmt(summary["p10"], name),
            _fmt(summary["p50"], name),
            _fmt(summary["p90"], name),
        ]
        if epistemic:
            cells.append(_band(epistemic[name], name))
        table.add_row(*cells)
    common.console.print(table)
    common.console.print(f"units in reach: {', '.join(record['units_engaged']) or 'none'}")
    common.console.print(_red_line(record["red_model"]))
    common.console.print(_footnote({record["year"]: record["metrics"]}), style="dim")
    if epistemic:
        common.console.print(_epistemic_note(epistemic), style="dim")


def _band(band: Mapping[str, Any], metric: str) -> str:
    return " · ".join(_fmt(band[key], metric) for key in ("p05", "p50", "p95"))


def _epistemic_note(epistemic: Mapping[str, Any]) -> str:
    samples = next(iter(epistemic.values()))["samples"]
    return (
        f"epistemic: 5th/50th/95th percentile of the mean over {samples} samples of every "
        "parameter the run reads (catalog low..high; --set values fixed), same inner "
        "random numbers for each."
    )


def print_comparison(record: Mapping[str, Any]) -> None:
    years = record["years"]
    table = Table(
        title=f"{record['scenario']} — {record['replications']} replications per posture, "
        f"seed {record['seed']}",
        title_justify="left",
    )
    table.add_column("metric")
    for year in years:
        table.add_column(year, justify="right")
    for name in DISPLAY:
        table.add_row(LABELS[name], *(_cell(years[y]["metrics"][name], name) for y in years))
        if all("epistemic" in years[y] for y in years):
            table.add_row(
                "  epistemic p05 · p50 · p95",
                *(_band(years[y]["epistemic"][name], name) for y in years),
                style="dim",
            )
    table.add_row(
        "units in reach", *(str(len(years[y]["units_engaged"])) for y in years), style="dim"
    )
    common.console.print(table)
    common.console.print(_red_line(record["red_model"]))
    common.console.print(_footnote({y: v["metrics"] for y, v in years.items()}), style="dim")
    first = next(iter(years.values()))
    if "epistemic" in first:
        common.console.print(_epistemic_note(first["epistemic"]), style="dim")


def _write(out: Path, table: Mapping[str, np.ndarray], summary: Mapping[str, Any], meta) -> None:
    """The result directory, whole or not at all (:func:`nansei.io.output_directory`)."""
    with output_directory(out, "--out", RESULT_FILES) as staging:
        write_parquet(staging / "replications.parquet", table, metadata=meta)
        write_json(staging / "summary.json", summary)


# -- commands --------------------------------------------------------------------------


def campaign(
    scenario: ScenarioArg,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    year: Annotated[
        str | None, typer.Option("--year", help="Posture year (default: the scenario's).")
    ] = None,
    set_: SetOpt = None,
    json_: JsonOpt = False,
    out: OutOpt = None,
    workers: WorkersOpt = 1,
    force: ForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    uncertainty_reps: UncertaintyRepsOpt = None,
) -> None:
    """Run a campaign: groups transit, cued units fire, trucks scoot, magazines run down."""
    catalog = common.catalog()
    loaded = _load(scenario)
    overrides = parse_sets(set_)
    year_number = None if year is None else common.parse_year(year, known=catalog.postures)
    out_path = _check_run(loaded, reps, 1, out, workers, force)
    total = reps if reps is not None else loaded.replications
    try:
        with common.progress_bar() as progress:
            shown = year_number if year_number is not None else loaded.posture.year
            label = f"posture {shown or 'units'}"
            task = progress.add_task(label, total=total)
            run = run_campaign(
                loaded,
                catalog,
                year=year_number,
                replications=reps,
                seed=seed,
                overrides=overrides,
                progress=lambda n: progress.advance(task, n),
                workers=workers,
                source=scenario,
            )
    except ScenarioError as error:
        _fail(_explain(error, overrides, "--year" if year is not None else None))
    record = run.record()
    if uncertainty:
        record = attach(
            record, epistemic_bands([run], catalog, uncertainty, uncertainty_reps, workers)[0]
        )
    record["provenance"] = _provenance(run, catalog)
    meta = {"scenario": record["scenario"], "scenario_hash": record["scenario_hash"]}
    meta.update(parquet_metadata(record["provenance"]))
    _finish(record, json_, out_path, run.table, meta, lambda: print_run(run, record))


def epistemic_bands(
    runs: list[CampaignRun], catalog: Catalog, samples: int, reps: int | None, workers: int
) -> list[dict[str, Any]]:
    """The epistemic band of each run's headline metrics, on the task runner (one local
    Dask cluster for all runs when ``workers`` > 1), with a bar per run."""
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(task_client(workers)) if workers > 1 else None
        progress = stack.enter_context(common.progress_bar())
        bands = []
        for run in runs:
            inner = reps if reps is not None else min(run.replications, 500)
            task = progress.add_task(f"posture {run.year} · epistemic samples", total=samples)
            runner = functools.partial(
                run_tasks, client=client, progress=lambda n, t=task: progress.advance(t, n)
            )
            band, _ = epistemic_band(run.setup, catalog, samples, inner, run.seed, METRICS, runner)
            for summary in band.values():
                summary["replications"] = inner
            bands.append(band)
    return bands


def _provenance(run: CampaignRun, catalog: Catalog) -> dict[str, Any]:
    """The provenance block of a run: the digest of the catalog it read (overlays and
    overrides applied), its overrides, seed and the assumption parameters it read."""
    overrides = dict(run.setup.scenario.overrides)
    return build_provenance(
        catalog.with_overrides(overrides) if overrides else catalog,
        overrides=overrides,
        seed=run.seed,
        replications=run.replications,
        reads=run.setup.params,
    )


def compare(
    scenario: ScenarioArg,
    years: Annotated[
        str, typer.Option("--years", help="Comma-separated posture years.")
    ] = "2022,2025,2026,2027",
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    json_: JsonOpt = False,
    out: OutOpt = None,
    workers: WorkersOpt = 1,
    force: ForceOpt = False,
    uncertainty: UncertaintyOpt = None,
    uncertainty_reps: UncertaintyRepsOpt = None,
) -> None:
    """Compare posture years on the same threat (same scenario, seed and replications)."""
    catalog = common.catalog()
    loaded = _load(scenario)
    year_list = parse_years(years)
    overrides = parse_sets(set_)
    out_path = _check_run(loaded, reps, len(year_list), out, workers, force)
    runs = run_comparison(loaded, catalog, year_list, reps, seed, overrides, workers, scenario)
    record = comparison_record(runs)
    if uncertainty:
        bands = epistemic_bands(
            list(runs.values()), catalog, uncertainty, uncertainty_reps, workers
        )
        for year, band in zip(runs, bands, strict=True):
            record["years"][str(year)] = attach(record["years"][str(year)], band)
    record["provenance"] = _provenance(next(iter(runs.values())), catalog)
    record["provenance"]["assumption_parameters_used"] = assumption_parameters(
        catalog, {pid for run in runs.values() for pid in run.setup.params}
    )

    def stacked() -> dict[str, np.ndarray]:
        tables = [run.table() for run in runs.values()]
        return {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}

    meta = {"scenario": record["scenario"], **parquet_metadata(record["provenance"])}
    _finish(record, json_, out_path, stacked, meta, lambda: print_comparison(record))


def _finish(record, json_: bool, out: Path | None, table, meta, show) -> None:
    """Write ``--out`` files (``table()`` builds the per-replication columns), then print
    the record as JSON or as tables (``show()``). If the files cannot be written, the
    ``--json`` record is still printed before the error: a finished run is not lost."""
    if out is not None:
        try:
            _write(out, table(), record, meta)
        except OutputError as error:
            if json_:
                common.emit_json(record)
            _fail(f"{error} (the run finished; its result was not written)")
    if json_:
        common.emit_json(record)
        return
    show()
    if out is not None:
        common.console.print(f"wrote {out / 'replications.parquet'} and {out / 'summary.json'}")


def run_comparison(
    loaded: Scenario,
    catalog: Catalog,
    years: list[int],
    reps: int | None,
    seed: int | None,
    overrides: Mapping[str, float],
    workers: int,
    source: str,
) -> dict[int, CampaignRun]:
    """:func:`compare_postures` with one progress bar per year (shared with ``demo``)."""
    total = reps if reps is not None else loaded.replications
    try:
        with common.progress_bar() as progress:
            tasks = {year: progress.add_task(f"posture {year}", total=total) for year in years}
            return compare_postures(
                loaded,
                catalog,
                years,
                replications=reps,
                seed=seed,
                overrides=overrides,
                progress=lambda year, n: progress.advance(tasks[year], n),
                workers=workers,
                source=source,
            )
    except ScenarioError as error:
        _fail(_explain(error, overrides, "--years"))


def register(app: typer.Typer) -> None:
    app.command("campaign")(campaign)
    app.command("compare")(compare)
