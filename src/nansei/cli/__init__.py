"""The ``nansei`` command line. Each domain module registers its own commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

import nansei
from nansei.catalog import CatalogError, UnknownIdError
from nansei.cli import common

app = typer.Typer(
    name="nansei",
    help=(
        "Analytic wargaming of Japan's southwestern-islands (Nansei) defence posture, "
        "from public sources. Every number traces to the sourced catalog "
        "(`nansei data list`)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nansei {nansei.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            envvar="NANSEI_CATALOG",
            help="A directory of catalog YAML files layered over the bundled catalog.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    common.STATE.catalog_dir = catalog


def _register() -> None:
    from nansei.cli import data, demo

    data.register(app)
    demo.register(app)
    for name in ("geo", "salvo", "campaign", "report"):
        try:
            module = __import__(f"nansei.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"nansei.cli.{name}":
                raise
            continue
        module.register(app)
    # Every command that prints a table takes --csv FILE and --markdown (common.TableConsole).
    common.add_table_options(app, skip=frozenset({"report", "distance", "validate"}))


_register()


def main() -> None:
    """Console entry point: user errors exit 2 with one message, never a traceback."""
    try:
        app()
    except CatalogError as error:
        try:
            common.report_catalog_error(error)
        except typer.Exit as exit_:
            sys.exit(exit_.exit_code)
    except UnknownIdError as error:
        common.err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # a bug: say so plainly, keep the traceback for NANSEI_DEBUG
        if os.environ.get("NANSEI_DEBUG"):
            raise
        common.err_console.print(
            f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
            "This is a bug in nansei; rerun with NANSEI_DEBUG=1 for the traceback.",
            highlight=False,
        )
        sys.exit(1)
