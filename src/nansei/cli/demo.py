"""``nansei demo``: the main job on the bundled default scenario."""

from __future__ import annotations

import typer

from nansei.cli import common
from nansei.cli.data import print_posture
from nansei.views import posture_record


def demo() -> None:
    """Run the main job on the bundled default scenario (what `make demo` shows)."""
    catalog = common.catalog()
    print_posture(posture_record(catalog, 2025))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
