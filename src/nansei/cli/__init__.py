"""The ``nansei`` command line. Each domain module registers its own commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

import nansei
from nansei.cli import common
from nansei.entry import Interrupted, interrupted_exit
from nansei.problems import NanseiError

try:  # typer vendors click in recent releases
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - typer with click as a dependency
    from click.exceptions import ClickException, NoArgsIsHelpError

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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="NANSEI_DEBUG", help="Show the traceback of an internal error."
        ),
    ] = False,
) -> None:
    common.STATE.catalog_dir = catalog
    common.STATE.debug = debug


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
    except NanseiError as error:
        return _say(lambda e=error: common.report(e))
    except Interrupted as signal_:
        return interrupted_exit(signal_.signum)
    except KeyboardInterrupt:
        return interrupted_exit()
    except Exception as error:  # a bug: one line, the traceback only on request
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
