"""Run a script against the package as it was at an earlier commit, for before/after
figures measured in the same run: the commit is checked out into a temporary git
worktree and the script runs in a subprocess with that tree's ``src`` first on the path
(same interpreter, same dependencies). Used by the bench scripts; not a benchmark."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_at(commit: str, script: str) -> str:
    """``script``'s standard output when run against ``commit``'s ``src``; raises
    ``RuntimeError`` when the commit cannot be checked out (e.g. a shallow clone)."""
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "baseline"
        made = subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise RuntimeError(f"cannot check out {commit}: {made.stderr.strip()[-200:]}")
        try:
            env = {**os.environ, "PYTHONPATH": str(tree / "src")}
            done = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
            )
            return done.stdout
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )


def machine_record() -> dict:
    """Where a benchmark ran: Python version, machine type and CPU count (every result
    file ends with it, beside its load averages)."""
    return {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
