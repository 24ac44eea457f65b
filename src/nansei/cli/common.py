"""What every CLI command shares: the catalog option, JSON output, and clean failures.

Errors a user can cause end in one readable message and exit code 2, never a traceback.
Both consoles print with rich markup switched off, so text a user typed (ids, file
names, catalog notes) is shown as written and can never be read as markup; styling is
given explicitly (``style=``, :class:`rich.text.Text`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from nansei.catalog import Catalog, CatalogError, UnknownIdError, default_catalog
from nansei.problems import NanseiError

# Piped output (CI logs, `| less`) gets a wide fixed width instead of rich's 80 columns,
# so tables of ids and ranges are not cut to ellipses.
_PIPED_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(width=_PIPED_WIDTH, markup=False)
err_console = Console(stderr=True, width=_PIPED_WIDTH, markup=False)

#: Most worker processes a run may ask for: more than a few per core only adds overhead.
MAX_WORKERS = (os.cpu_count() or 1) * 4


class _State:
    catalog_dir: Path | None = None
    debug: bool = False


STATE = _State()


def print_error(message: str, label: str = "error:") -> None:
    """``error: message`` on stderr, the message exactly as given (no markup)."""
    err_console.print(
        Text.assemble((label, "bold red"), " ", str(message)), highlight=False, soft_wrap=True
    )


def fail(message: str, code: int = 2) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def report(error: NanseiError) -> NoReturn:
    """Any library error about the user's input: its lines, exit 2."""
    if isinstance(error, CatalogError):
        report_catalog_error(error)
    fail(str(error), error.exit_code)


def report_catalog_error(error: CatalogError) -> NoReturn:
    print_error(f"the catalog has {len(error.problems)} problem(s):")
    for problem in error.problems:
        err_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def parse_year(text: str | int, option: str = "--year", known: Any = None) -> int:
    """A posture year as typed: whole digits only (``2025``, not ``2025.0``); ``known``
    (the catalog's years) is listed in the message."""
    value = str(text).strip()
    if not value.isdigit() or len(value) > 4:
        listed = f" (known: {', '.join(str(y) for y in known)})" if known else ""
        fail(f"{option} {text}: a posture year is a whole number such as 2025{listed}")
    return int(value)


def check_workers(workers: int) -> int:
    if not 1 <= workers <= MAX_WORKERS:
        fail(
            f"--workers {workers}: must be 1..{MAX_WORKERS} "
            f"(4 per CPU core; this machine has {os.cpu_count() or 1})"
        )
    return workers


def catalog() -> Catalog:
    """The catalog for this invocation: bundled, with ``--catalog``/``NANSEI_CATALOG`` over it."""
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
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        # Off the terminal a transient bar shows nothing; skipping it also skips the
        # refresh thread (up to 0.1 s to stop per bar).
        disable=not err_console.is_terminal,
    )
