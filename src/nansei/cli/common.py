"""What every CLI command shares: the catalog option, JSON output, and clean failures.

Errors a user can cause end in one readable message and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # the catalog (and pydantic) load when a command first asks for them
    from nansei.catalog import Catalog, CatalogError, UnknownIdError

# Piped output (CI logs, `| less`) gets a wide fixed width instead of rich's 80 columns,
# so tables of ids and ranges are not cut to ellipses.
_PIPED_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True, width=_PIPED_WIDTH)


class _State:
    catalog_dir: Path | None = None


STATE = _State()


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report_catalog_error(error: CatalogError) -> NoReturn:
    err_console.print(
        f"[bold red]error:[/] the catalog has {len(error.problems)} problem(s):", highlight=False
    )
    for problem in error.problems:
        err_console.print(f"  - {problem}", highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(2)


def catalog() -> Catalog:
    """The catalog for this invocation: bundled, with ``--catalog``/``NANSEI_CATALOG`` over it."""
    from nansei.catalog import CatalogError, default_catalog

    try:
        return default_catalog(STATE.catalog_dir)
    except CatalogError as error:
        report_catalog_error(error)


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def unknown(error: UnknownIdError) -> NoReturn:
    fail(str(error))


def progress_bar() -> Progress:
    """A replications progress bar on stderr (stdout stays clean for ``--json``); it
    disappears when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
