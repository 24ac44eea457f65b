"""``nansei demo``: the main job on the bundled default scenario.

Compares the 2022, 2025, 2026 and 2027 postures on ``miyako-transit`` (surface action
groups transiting the Miyako Strait over 30 days) and prints the table.
"""

from __future__ import annotations

import typer

from nansei.campaign import comparison_record
from nansei.cli import common
from nansei.cli.campaign import print_comparison, run_comparison
from nansei.scenario import ScenarioError, load_scenario

DEMO_SCENARIO = "miyako-transit"
DEMO_YEARS = [2022, 2025, 2026, 2027]
#: Enough for intervals that separate the postures, small enough to finish in seconds.
DEMO_REPLICATIONS = 2000


def demo() -> None:
    """Compare the 2022-2027 postures on the default scenario (what `make demo` shows)."""
    catalog = common.catalog()
    try:
        scenario = load_scenario(DEMO_SCENARIO)
    except ScenarioError as error:
        common.fail(str(error))
    common.console.print(
        f"nansei demo: `nansei compare {DEMO_SCENARIO} --years "
        f"{','.join(map(str, DEMO_YEARS))} --reps {DEMO_REPLICATIONS}`\n"
        f"{scenario.description}",
        highlight=False,
    )
    runs = run_comparison(
        scenario, catalog, DEMO_YEARS, DEMO_REPLICATIONS, None, {}, 1, DEMO_SCENARIO
    )
    print_comparison(comparison_record(runs))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
