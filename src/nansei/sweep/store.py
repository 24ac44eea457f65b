"""A sweep's output directory: Parquet parts, a summary, a manifest and DuckDB views.

Layout of ``DIR``::

    sweep.yaml         the sweep file as given
    manifest.json      what the sweep is (spec, scenario, catalog digest), task count, state
    parts/*.parquet    one part per task (year × point × replication chunk)
    summary.parquet    one row per year × point: mean, 95% interval, p05/p50/p95 per column
    sweep.duckdb       views ``results`` (the parts) and ``summary`` over the files above

Every file is written under a temporary name and renamed into place
(:func:`nansei.io.write_file`), so a part that exists is finished: a sweep killed
at any moment (Ctrl-C, SIGKILL) resumes by skipping the parts that exist, and leftover
temporary files (``.*.tmp``) are never read as parts. :func:`connect` builds the views
afresh over whatever directory it is given, so a moved store still answers queries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nansei.campaign.engine import COLUMNS
from nansei.io import write_file
from nansei.problems import NanseiError
from nansei.results import write_json, write_parquet
from nansei.stats import BAND_PERCENTILES, percentiles, summarize
from nansei.sweep.tasks import CampaignPoint, run_point

__all__ = [
    "PARTS",
    "StoreError",
    "SweepTask",
    "connect",
    "part_name",
    "run_task",
    "summary_table",
    "write_database",
    "write_summary",
]

PARTS = "parts"
MANIFEST = "manifest.json"
SUMMARY = "summary.parquet"
DATABASE = "sweep.duckdb"
SWEEP_FILE = "sweep.yaml"

#: Summary statistics per column, in column order ``{column}_{statistic}``.
STATISTICS = ("mean", "ci95_low", "ci95_high", "p05", "p50", "p95")


class StoreError(NanseiError, ValueError):
    """A directory that is not (or not this) sweep store; one line for the CLI."""


def part_name(year: int | None, point: int, first: int) -> str:
    year_text = "x" if year is None else str(year)
    return f"y{year_text}-p{point:06d}-r{first:09d}.parquet"


@dataclass(frozen=True)
class SweepTask:
    """One task: a point for one year and one replication chunk, and where its part goes."""

    point: CampaignPoint
    index: int  # the point's number in the sweep
    keys: tuple[str, ...]
    path: str


def run_task(task: SweepTask) -> str:
    """Run the task and write its part atomically; returns the part's file name."""
    columns = run_point(task.point)
    n = task.point.replications
    table: dict[str, Any] = {
        "year": np.full(n, -1 if task.point.year is None else task.point.year, dtype=np.int64),
        "point": np.full(n, task.index, dtype=np.int64),
        "replication": np.arange(task.point.first, task.point.first + n, dtype=np.int64),
    }
    for key in task.keys:
        table[key] = np.full(n, float(task.point.values[key]))
    table.update(columns)
    write_parquet(task.path, table)
    return Path(task.path).name


def clean_temporary(directory: Path) -> int:
    """Remove temporary files a killed writer left (never a finished part)."""
    removed = 0
    for leftover in directory.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def _describe(values: np.ndarray) -> list[float | None]:
    """mean, 95% interval of the mean (:func:`nansei.stats.summarize`),
    p05, p50, p95 of the finite values."""
    summary = summarize(values)
    ci = summary["ci95"] or [None, None]
    return [summary["mean"], ci[0], ci[1], *percentiles(values, BAND_PERCENTILES).values()]


def summary_table(results: Mapping[str, np.ndarray], keys: Sequence[str]) -> dict[str, list]:
    """One row per year × point (sorted) from the per-replication ``results``."""
    year = np.asarray(results["year"])
    point = np.asarray(results["point"])
    order = np.lexsort((np.asarray(results["replication"]), point, year))
    year, point = year[order], point[order]
    groups = sorted(set(zip(year.tolist(), point.tolist(), strict=True)))
    table: dict[str, list] = {"year": [], "point": [], **{k: [] for k in keys}, "n": []}
    for column in COLUMNS:
        for statistic in STATISTICS:
            table[f"{column}_{statistic}"] = []
    for y, p in groups:
        rows = order[(year == y) & (point == p)]
        table["year"].append(y)
        table["point"].append(p)
        for key in keys:
            table[key].append(float(np.asarray(results[key])[rows[0]]))
        table["n"].append(int(rows.size))
        for column in COLUMNS:
            for statistic, value in zip(
                STATISTICS, _describe(np.asarray(results[column])[rows]), strict=True
            ):
                table[f"{column}_{statistic}"].append(value)
    return table


def read_results(directory: Path) -> dict[str, np.ndarray]:
    """Every part, concatenated (the ``results`` table) as numpy columns."""
    parts = sorted((directory / PARTS).glob("*.parquet"))
    if not parts:
        raise StoreError(f"{directory}: no finished parts")
    tables = [pq.read_table(part) for part in parts]
    names = tables[0].column_names
    return {
        name: np.concatenate(
            [table.column(name).to_numpy(zero_copy_only=False) for table in tables]
        )
        for name in names
    }


def write_summary(directory: Path, keys: Sequence[str]) -> Path:
    """``summary.parquet`` from the parts (values depend only on the parts' contents)."""
    table = summary_table(read_results(directory), keys)
    built = pa.table({name: pa.array(values) for name, values in table.items()})
    return write_file(directory / SUMMARY, lambda tmp: pq.write_table(built, tmp))


def _views(connection, directory: Path) -> None:
    base = directory.resolve()
    parts = str(base / PARTS / "*.parquet").replace("'", "''")
    connection.execute(f"CREATE OR REPLACE VIEW results AS SELECT * FROM read_parquet('{parts}')")
    if (base / SUMMARY).exists():
        summary = str(base / SUMMARY).replace("'", "''")
        connection.execute(
            f"CREATE OR REPLACE VIEW summary AS SELECT * FROM read_parquet('{summary}')"
        )


def write_database(directory: Path) -> Path:
    """``sweep.duckdb`` holding the views (paths absolute: a moved store is still read by
    :func:`connect`, which builds the views afresh)."""
    import duckdb

    def build(tmp: Path) -> None:
        tmp.unlink()  # DuckDB makes its own file; an empty one is not a database
        with duckdb.connect(str(tmp)) as connection:
            _views(connection, directory)

    return write_file(directory / DATABASE, build)


def connect(directory: Path):
    """An in-memory DuckDB connection with ``results`` and ``summary`` views over the store."""
    import duckdb

    if not (directory / MANIFEST).is_file():
        raise StoreError(f"{directory}: not a sweep store (no {MANIFEST}; run nansei sweep first)")
    if not any((directory / PARTS).glob("*.parquet")):
        raise StoreError(f"{directory}: the sweep has no finished parts yet")
    connection = duckdb.connect()
    _views(connection, directory)
    return connection


def read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise StoreError(f"{path}: unreadable manifest; use another --out") from None


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> Path:
    return write_json(directory / MANIFEST, dict(manifest))


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ between two sweep identities."""
    return [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
