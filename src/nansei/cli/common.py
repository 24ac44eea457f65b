"""What every CLI command shares: the catalog option, JSON output, and clean failures.

Errors a user can cause end in one readable message and exit code 2, never a traceback.
Both consoles print with rich markup switched off, so text a user typed (ids, file
names, catalog notes) is shown as written and can never be read as markup; styling is
given explicitly (``style=``, :class:`rich.text.Text`).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the catalog and pydantic load when a command first asks for them
    from rich.progress import Progress

    from nansei.catalog import Catalog, CatalogError, UnknownIdError
    from nansei.problems import NanseiError

# Piped output (CI logs, `| less`) gets a wide fixed width instead of rich's 80 columns,
# so tables of ids and ranges are not cut to ellipses.
_PIPED_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
#: Most worker processes a run may ask for: more than a few per core only adds overhead.
MAX_WORKERS = (os.cpu_count() or 1) * 4


class _State:
    catalog_dir: Path | None = None
    table_csv: Path | None = None  # --csv FILE of the running command
    table_markdown: bool = False  # --markdown of the running command
    tables_written: int = 0
    debug: bool = False


STATE = _State()


class TableConsole(Console):
    """stdout for every command: a rich :class:`~rich.table.Table` printed here also goes
    to ``--csv FILE`` (one file per table: FILE, then FILE-2, FILE-3 … with the same
    extension) and, with ``--markdown``, is printed as a GitHub-flavoured markdown table
    instead. So every command that prints a table gets both options without its own code.
    """

    def print(self, *objects: Any, **kwargs: Any) -> None:
        tables = [o for o in objects if isinstance(o, Table)]
        if not tables or not (STATE.table_csv or STATE.table_markdown):
            super().print(*objects, **kwargs)
            return
        for table in tables:
            if STATE.table_csv is not None:
                write_table_csv(table)
        if STATE.table_markdown:
            rest = [o for o in objects if not isinstance(o, Table)]
            if rest:
                super().print(*rest, **kwargs)
            for table in tables:
                self.file.write(table_markdown(table) + "\n")
            self.file.flush()
        else:
            super().print(*objects, **kwargs)


console = TableConsole(width=_PIPED_WIDTH, markup=False)
err_console = Console(stderr=True, width=_PIPED_WIDTH, markup=False)


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return str(cell)  # strings print as given (markup is off)


def table_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """A rich table as plain text: the header and the rows."""
    header = [_plain(column.header) for column in table.columns]
    columns = [[_plain(cell) for cell in column.cells] for column in table.columns]
    return header, [list(row) for row in zip(*columns, strict=True)]


def table_markdown(table: Table) -> str:
    header, rows = table_rows(table)
    header = [h or " " for h in header]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    aligns = ["---:" if column.justify == "right" else "---" for column in table.columns]
    parts = []
    if table.title:
        parts.append(f"**{_plain(table.title)}**\n")
    parts += [line(header), "| " + " | ".join(aligns) + " |", *(line(r) for r in rows)]
    return "\n".join(parts) + "\n"


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def write_table_csv(table: Table) -> Path:
    """Write one printed table to ``--csv`` (FILE, then FILE-2 …), atomically."""
    import csv
    import io

    from nansei.figure_files import write_text_file

    base = STATE.table_csv
    assert base is not None
    STATE.tables_written += 1
    n = STATE.tables_written
    path = base if n == 1 else base.with_name(f"{base.stem}-{n}{base.suffix}")
    header, rows = table_rows(table)
    # "125,652" is one number to a reader and two fields to a spreadsheet.
    rows = [[_THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), c) for c in r] for r in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    try:
        write_text_file(path, text)
    except OSError as error:
        fail(f"--csv {path}: cannot write: {error.strerror or error}")
    err_console.print(f"wrote table: {path}", highlight=False)
    return path


TableCsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv",
        help="Also write each table to this CSV file (FILE, FILE-2, ... for several tables).",
        dir_okay=False,
    ),
]
MarkdownOpt = Annotated[
    bool, typer.Option("--markdown", help="Print tables as markdown (for papers and issues).")
]


def with_table_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as a command with ``--csv FILE`` and ``--markdown`` added to its options."""
    signature = inspect.signature(func, eval_str=True)
    if "table_csv" in signature.parameters:
        return func

    @functools.wraps(func)
    def command(*args: Any, table_csv: Path | None = None, table_markdown: bool = False, **kw):
        if table_csv is not None and table_csv.is_dir():
            fail(f"--csv {table_csv}: is a directory; give a file name")
        STATE.table_csv, STATE.table_markdown, STATE.tables_written = table_csv, table_markdown, 0
        try:
            return func(*args, **kw)
        finally:
            STATE.table_csv, STATE.table_markdown, STATE.tables_written = None, False, 0

    keyword = inspect.Parameter.KEYWORD_ONLY
    extra = [
        inspect.Parameter("table_csv", keyword, default=None, annotation=TableCsvOpt),
        inspect.Parameter("table_markdown", keyword, default=False, annotation=MarkdownOpt),
    ]
    parameters = list(signature.parameters.values()) + extra
    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


def add_table_options(app: typer.Typer, skip: frozenset[str] = frozenset()) -> None:
    """Give every command of ``app`` (and its sub-apps) ``--csv`` and ``--markdown``,
    except those named in ``skip`` (commands that print no table)."""
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if info.callback is not None and name not in skip:
            info.callback = with_table_options(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            add_table_options(group.typer_instance, skip)


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
    from nansei.catalog import CatalogError

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


def cpu_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int) -> int:
    if not 1 <= workers <= MAX_WORKERS:
        fail(
            f"--workers {workers}: must be 1..{MAX_WORKERS} "
            f"(4 per CPU core; this machine has {os.cpu_count() or 1})"
        )
    return workers


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
