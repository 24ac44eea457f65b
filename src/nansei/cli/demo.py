"""``nansei demo``: the main job on the bundled default scenario, ending in the report.

Compares the 2022, 2025, 2026 and 2027 postures on ``miyako-transit`` (surface action
groups transiting the Miyako Strait over 30 days), prints the table, writes the report
to ``./nansei-demo/report.html`` and prints its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nansei.cli import common

DEMO_SCENARIO = "miyako-transit"
DEMO_YEARS = [2022, 2025, 2026, 2027]
#: Enough for intervals that separate the postures, small enough to finish in seconds.
DEMO_REPLICATIONS = 2000
#: ``--quick``: the same comparison at a tenth of the replications (wider intervals).
QUICK_REPLICATIONS = 200
DEMO_OUT = Path("nansei-demo")


def demo(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help=f"{QUICK_REPLICATIONS} replications per posture instead of "
            f"{DEMO_REPLICATIONS} (seconds, wider intervals).",
        ),
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Directory for the report.")] = DEMO_OUT,
) -> None:
    """Compare the 2022-2027 postures on the default scenario and write the report."""
    from nansei.cli.campaign import print_comparison
    from nansei.cli.report import check_out, command_line, fresh_run, render

    check_out(out)
    reps = QUICK_REPLICATIONS if quick else DEMO_REPLICATIONS
    years = ",".join(map(str, DEMO_YEARS))
    common.console.print(
        f"nansei demo: `nansei report {DEMO_SCENARIO} --years {years} --reps {reps} --out {out}`",
        highlight=False,
    )
    run, scenario, catalog = fresh_run(DEMO_SCENARIO, years, reps, None, None, 1)
    common.console.print(scenario.description, highlight=False)
    print_comparison(run.summary)
    path = render(
        run,
        scenario,
        DEMO_SCENARIO,
        catalog,
        out,
        dpi=150,
        write_run=True,
        command=command_line(),
    )
    common.console.print(f"report: {path.resolve()}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
