"""The ``nansei`` command line.

Start-up stays fast (target ≤ 0.5 s for ``nansei --help``, ``distance`` and ``reach``;
bench/bench_start.py) because no subcommand module is imported until that subcommand
runs: the top-level group knows each command only by name, the module that defines it and
its one-line help. Each domain module keeps its own ``register(app)``, which adds its
commands to a Typer app. Keep heavy imports (scipy.stats, matplotlib, pyarrow, numba, the
catalog) out of this module and of ``common`` (tests/test_cli_start.py checks).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

import nansei
from nansei.cli import common
from nansei.entry import Interrupted, interrupted_exit

try:  # typer vendors click in recent releases
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - typer with click as a dependency
    from click.exceptions import ClickException, NoArgsIsHelpError

#: Every subcommand, in the order ``nansei --help`` lists them:
#: name -> (module whose ``register(app)`` defines it, its one-line help).
#: Adding a command is this one line (plus ``register`` in its module); the help line must
#: match the command's own first docstring line (a test checks).
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("nansei.cli.data", "Inspect and validate the sourced parameter catalog."),
    "demo": (
        "nansei.cli.demo",
        "Compare the 2022-2027 postures on the default scenario and write the report.",
    ),
    "distance": (
        "nansei.cli.geo",
        "Geodesic distance (km) and initial azimuth (degrees from north) on WGS84.",
    ),
    "reach": (
        "nansei.cli.geo",
        "Which units of a posture year reach a point, with distance and margin (km).",
    ),
    "coverage": (
        "nansei.cli.geo",
        "Sea and land reached by a posture year, per unit and in union, gates and places.",
    ),
    "salvo": (
        "nansei.cli.salvo",
        "A salvo exchange between two sides: Hughes' equations or the stochastic engine.",
    ),
    "campaign": (
        "nansei.cli.campaign",
        "Run a campaign: groups transit, cued units fire, trucks scoot, magazines run down.",
    ),
    "compare": (
        "nansei.cli.campaign",
        "Compare posture years on the same threat (same scenario, seed and replications).",
    ),
    "report": (
        "nansei.cli.report",
        "Write the offline HTML report with its figures (SVG, PNG) and tables (CSV).",
    ),
    "sensitivity": (
        "nansei.cli.sensitivity",
        "Which inputs move a campaign metric: one at a time, Morris screening or Sobol.",
    ),
    "sweep": (
        "nansei.cli.sweep",
        "Run a sweep on Dask, one Parquet part per task; re-running resumes.",
    ),
    "query": (
        "nansei.cli.sweep",
        "Run SQL (DuckDB) on a sweep's store: tables results and summary.",
    ),
}

#: Commands that compile the campaign in this process: with an empty numba cache their
#: first run starts the helper that compiles part of it alongside, as soon as the command
#: is known (:mod:`nansei.campaign.warm`), while the command's own modules import. (On
#: several workers too: the main process compiles first, then the workers load it.)
RUNS_CAMPAIGN = frozenset({"campaign", "compare", "demo", "report", "sensitivity", "sweep"})

#: Commands that print no table (``query`` prints its own, with ``--csv``/``--json``),
#: so take no --csv / --markdown.
NO_TABLE = frozenset({"report", "distance", "validate", "sweep", "query"})


def _runs_campaign_here(args: list[str]) -> bool:
    """Whether ``args`` (a command and its options) compile a campaign in this process: a
    :data:`RUNS_CAMPAIGN` command, not ``--help``, not ``report --from`` (which only
    renders), not on a remote ``--scheduler`` (whose workers compile for themselves)."""
    if not args or args[0] not in RUNS_CAMPAIGN:
        return False
    stops = ("--help", "--from", "--scheduler")
    return not any(arg in stops or arg.startswith(("--from=", "--scheduler=")) for arg in args)


class LazyGroup(TyperGroup):
    """A Typer group that imports a subcommand's module only when the subcommand is used.

    While the group's own help is drawn, commands not yet loaded are stand-ins carrying
    the one-line help from :data:`COMMANDS`; anything else (running, completion, a
    subcommand's ``--help``) gets the real command.
    """

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests only among loaded commands; suggest among all of them.
        name = args[0] if args else ""
        known = self.list_commands(ctx)
        if name and not name.startswith("-") and name not in known:
            from nansei.problems import suggest  # the one "did you mean"; only on a typo

            close = suggest(name, known)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        if _runs_campaign_here(args):
            import_module("nansei.campaign.warm").prestart()
        return super().resolve_command(ctx, args)

    @contextmanager
    def _drawing_help(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._drawing_help():
            super().format_help(ctx, formatter)


_loaded_groups: dict[str, Any] = {}


def load_command(name: str) -> Any:
    """The real (click) command ``name``, built from its module's ``register(app)``."""
    module_name = COMMANDS[name][0]
    if module_name not in _loaded_groups:
        module_app = typer.Typer(add_completion=False)
        import_module(module_name).register(module_app)
        # Every command that prints a table takes --csv FILE and --markdown.
        common.add_table_options(module_app, skip=NO_TABLE)
        _loaded_groups[module_name] = typer.main.get_group(module_app)
    return _loaded_groups[module_name].commands[name]


app = typer.Typer(
    name="nansei",
    cls=LazyGroup,
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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="NANSEI_DEBUG", help="Show the traceback of an internal error."
        ),
    ] = False,
) -> None:
    common.STATE.catalog_dir = catalog
    common.STATE.debug = debug


def run(args: list[str] | None = None) -> int:
    """Run the command line on ``args`` and return the exit code, never raising:
    input errors print their lines and give 2, Ctrl-C gives one line "interrupted" and
    130, and anything else (a bug) one line plus how to see the traceback, and 1."""
    try:
        result = app(args=args, prog_name="nansei", standalone_mode=False)
    except SystemExit as done:
        return _code(done.code)
    except NoArgsIsHelpError as error:  # `nansei` or `nansei data` alone: the help
        return _say(error.show, error.exit_code)
    except ClickException as error:  # a usage error: one line, how to get help
        where = error.ctx.command_path if getattr(error, "ctx", None) else "nansei"
        return _say(
            lambda e=error: common.print_error(f"{e.format_message()} (see {where} --help)"),
            error.exit_code,
        )
    except typer.Abort:
        return interrupted_exit()
    except Interrupted as signal_:
        return interrupted_exit(signal_.signum)
    except KeyboardInterrupt:
        return interrupted_exit()
    except Exception as error:
        if _is_input_error(error):
            return _say(lambda e=error: common.report(e))
        # a bug: one line, the traceback only on request
        if common.STATE.debug or os.environ.get("NANSEI_DEBUG"):
            raise
        text = f"{type(error).__name__}: {error}"
        return _say(
            lambda: common.print_error(
                f"{text} — this is a bug in nansei; run with --debug for the traceback",
                "internal error:",
            ),
            1,
        )
    return result if isinstance(result, int) else 0


def _is_input_error(error: Exception) -> bool:
    """Whether ``error`` is a :class:`nansei.problems.NanseiError` (input nansei cannot
    use). That module (and pydantic) loads only with a command that reads input, and an
    error of its kind can only come after it did; importing it here would slow start-up."""
    problems = sys.modules.get("nansei.problems")
    return problems is not None and isinstance(error, problems.NanseiError)


def _code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _say(show, code: int = 2) -> int:
    """Print through rich; if that fails too, plain text; never raise."""
    try:
        show()
    except typer.Exit as exit_:
        return exit_.exit_code
    except Exception as failure:
        try:
            sys.stderr.write(f"error: {type(failure).__name__} while reporting an error\n")
        except Exception:  # stderr itself is gone: the exit code is all that is left
            pass
    return code


def main() -> None:
    """Console entry point (see :mod:`nansei.entry`)."""
    sys.exit(run())
