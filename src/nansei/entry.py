"""The ``nansei`` console script, kept tiny so that Ctrl-C is handled from the first
instant: the signal handlers are installed before the command line (typer, pydantic,
numpy) is imported.

Ctrl-C (SIGINT) and SIGTERM raise :class:`Interrupted`, which is not an ``Exception``,
so no ``except Exception`` swallows it and every ``finally`` (temporary files and
directories of :mod:`nansei.io`) runs on the way out. The command then prints one line,
"interrupted", and exits 130 (SIGINT) or 143 (SIGTERM), the shell's convention.
"""

from __future__ import annotations

import gc
import signal
import sys

#: Python's cyclic collector runs a young collection every 10,000 container allocations
#: instead of 700. The first run compiles the numba kernels, and numba's compiler makes
#: millions of long-lived objects: at the default thresholds the collector ran about 100
#: full collections over them, ~2 s of CPU (a tenth) of a cold ``nansei demo``; at these
#: none (bench/bench_compile.py). Garbage is still collected, in larger, rarer batches.
GC_THRESHOLDS = (10_000, 10, 10)


class Interrupted(BaseException):  # noqa: N818 — named for what the user did
    """The user pressed Ctrl-C or the process was asked to terminate."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def install_handlers() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(signum, _raise)
        except (ValueError, OSError):  # not the main thread, or not allowed here
            pass


def interrupted_exit(signum: int = signal.SIGINT) -> int:
    """Say so in one line; the exit code the shell uses for a signal (128 + number)."""
    try:
        sys.stderr.write("\ninterrupted\n" if signum == signal.SIGINT else "\nterminated\n")
        sys.stderr.flush()
    except Exception:  # noqa: S110 — nothing left to report on
        pass
    return 128 + int(signum)


def main() -> None:
    install_handlers()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        from nansei.cli import run

        code = run()
    except (Interrupted, KeyboardInterrupt) as stop:
        code = interrupted_exit(getattr(stop, "signum", signal.SIGINT))
    sys.exit(code)
