"""``nansei report``: the answer an analyst can paste into a paper.

Runs the posture comparison (or reads one back with ``--from``) and writes
``DIR/report.html`` — one offline file — with the figures (SVG, PNG) and tables (CSV)
beside it. Everything a user can get wrong is checked before anything runs or is
written: one message, exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nansei.cli import common

DEFAULT_SCENARIO = "miyako-transit"
DEFAULT_YEARS = "2022,2025,2026,2027"


def _fail(message: str) -> None:
    common.fail(message)


def report_files(out: Path) -> frozenset[str]:
    """What a report directory holds (so ``--out`` only ever replaces an earlier result or
    report): the run's files, the report's, and any sensitivity results."""
    from nansei.report import REPORT_FILES

    found = {p.name for p in out.glob("sensitivity*.json")} if out.is_dir() else set()
    return REPORT_FILES | found


def check_out(out: Path) -> None:
    """Before any work: ``--out`` must be a new directory or an earlier result/report."""
    from nansei.io import OutputError, check_output_directory

    try:
        check_output_directory(out, "--out", report_files(out))
    except OutputError as error:
        _fail(str(error))


def check_dpi(dpi: int) -> None:
    """The library's resolution check (one message for every command), before any work."""
    from nansei.figure_files import FigureFormatError
    from nansei.figure_files import check_dpi as check

    try:
        check(dpi)
    except FigureFormatError as error:
        _fail(str(error))


def command_line() -> str:
    """The command as typed (for the reproducibility section)."""
    from nansei.provenance import command_line as typed

    return typed()


def fresh_run(
    scenario_name: str,
    years: str,
    reps: int | None,
    seed: int | None,
    sets: list[str] | None,
    workers: int,
    force: bool = False,
) -> tuple[Any, Any, Any]:
    """Run the comparison with progress bars; returns (RunData, scenario, catalog).
    Workers and the work estimate are checked first, as for ``nansei compare``."""
    from nansei.campaign import comparison_record
    from nansei.cli.campaign import (
        _check_run,
        _load,
        _provenance,
        parse_sets,
        parse_years,
        run_comparison,
    )
    from nansei.provenance import assumption_parameters
    from nansei.report import RunData

    catalog = common.catalog()
    scenario = _load(scenario_name)
    year_list = parse_years(years)
    overrides = parse_sets(sets)
    _check_run(scenario, reps, len(year_list), None, workers, force)
    runs = run_comparison(
        scenario, catalog, year_list, reps, seed, overrides, workers, scenario_name
    )
    record = comparison_record(runs)
    # The same provenance block as `nansei compare` writes.
    record["provenance"] = _provenance(next(iter(runs.values())), catalog)
    record["provenance"]["assumption_parameters_used"] = assumption_parameters(
        catalog, {pid for run in runs.values() for pid in run.setup.params}
    )
    columns = {str(year): run.table() for year, run in runs.items()}
    return RunData(summary=record, columns=columns), scenario, catalog


def render(
    run: Any,
    scenario: Any,
    scenario_source: str,
    catalog: Any,
    out: Path,
    *,
    dpi: int,
    sensitivity: list[dict[str, Any]] | None = None,
    write_run: bool,
    command: str,
) -> Path:
    """Build the report, translating write failures into one message."""
    import yaml

    from nansei.figure_files import FigureFormatError
    from nansei.report import ReportInputs, build_report

    scenario_yaml = None
    if scenario is not None and write_run:
        scenario_yaml = yaml.safe_dump(
            scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True
        )
    labels = run.years() if run else [str(r.get("year")) for r in sensitivity or []]
    years = sorted({int(y) for y in labels if y.isdigit() and int(y) in catalog.postures})
    inputs = ReportInputs(
        catalog=catalog,
        run=run,
        scenario=scenario,
        scenario_source=scenario_source,
        sensitivity=sensitivity or [],
        reach_years=years,
        command=command,
        dpi=dpi,
        write_run=write_run,
        scenario_yaml=scenario_yaml,
    )
    from nansei.io import OutputError, output_directory

    try:
        # The whole directory or nothing: built beside --out, swapped in when complete.
        with output_directory(out, "--out", report_files(out)) as staging:
            with common.err_console.status("writing the report", spinner="dots") as status:
                outputs = build_report(inputs, staging, log=lambda m: status.update(f"report: {m}"))
    except FigureFormatError as error:
        _fail(str(error))
    except OutputError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"--out {out}: cannot write: {error.strerror or error}")
    common.err_console.print(
        f"wrote {len(outputs.figures)} figures (SVG, PNG) to {out / 'figures'} and "
        f"{len(outputs.tables)} tables (CSV) to {out / 'tables'}",
        highlight=False,
    )
    return out / outputs.report.name


def report(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A scenario YAML file or bundled scenario name (default miyako-transit). "
            "With --from, only used to list the run's parameters.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Directory for report.html, figures/ and tables/.", show_default=False
        ),
    ] = ...,  # type: ignore[assignment]
    years: Annotated[
        str | None,
        typer.Option("--years", help="Posture years to compare (default 2022,2025,2026,2027)."),
    ] = None,
    reps: Annotated[
        int | None, typer.Option("--reps", min=1, help="Replications (default: the scenario's).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Seed (default: the scenario's).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a catalog parameter, ID=VALUE (repeatable)."),
    ] = None,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Render from an existing `campaign`/`compare --out` directory (summary.json, "
            "replications.parquet, sensitivity*.json) without re-running.",
        ),
    ] = None,
    sensitivity: Annotated[
        list[Path] | None,
        typer.Option("--sensitivity", help="A sensitivity JSON to show (repeatable)."),
    ] = None,
    dpi: Annotated[
        int, typer.Option("--dpi", help="Resolution of the PNG figures, 50..1200.")
    ] = 150,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes for the runs.")] = 1,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Run even if the work or memory estimate is over its limit (docs/limits.md).",
        ),
    ] = False,
) -> None:
    """Write the offline HTML report with its figures (SVG, PNG) and tables (CSV).

    Sections: answer, posture, reach, campaign, sensitivity, parameters, reproducibility.
    """
    from nansei.campaign.scenario import ScenarioError, load_scenario
    from nansei.report import ReportInputError, load_run_dir, load_sensitivity

    check_out(out)
    check_dpi(dpi)
    extra: list[dict[str, Any]] = []
    try:
        extra = [load_sensitivity(path) for path in sensitivity or []]
    except ReportInputError as error:
        _fail(f"--sensitivity {error}")
    if from_ is not None:
        given = [
            name
            for name, v in (("--years", years), ("--reps", reps), ("--seed", seed), ("--set", set_))
            if v
        ]
        if given:
            _fail(
                f"--from renders an existing run; {', '.join(given)} cannot change it "
                "(drop them, or run without --from)"
            )
        try:
            run, found = load_run_dir(from_)
        except ReportInputError as error:
            _fail(str(error))
        catalog = common.catalog()
        loaded = None
        source = ""
        candidates = [scenario] if scenario else []
        if (from_ / "scenario.yaml").exists():
            candidates.append(str(from_ / "scenario.yaml"))
        if run is not None:
            candidates.append(str(run.summary.get("scenario")))
        candidates += [str(result.get("scenario")) for result in found + extra]
        for candidate in candidates:
            try:
                loaded = load_scenario(candidate)
                source = candidate if candidate == scenario else loaded.name
                break
            except ScenarioError as error:
                if candidate == scenario:
                    _fail(str(error))
        path = render(
            run,
            loaded,
            source,
            catalog,
            out,
            dpi=dpi,
            sensitivity=found + extra,
            write_run=True,
            command=command_line(),
        )
    else:
        name = scenario or DEFAULT_SCENARIO
        run, loaded, catalog = fresh_run(
            name, years or DEFAULT_YEARS, reps, seed, set_, workers, force
        )
        path = render(
            run,
            loaded,
            name,
            catalog,
            out,
            dpi=dpi,
            sensitivity=extra,
            write_run=True,
            command=command_line(),
        )
    common.console.print(str(path), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
