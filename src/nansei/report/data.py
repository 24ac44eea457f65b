"""What a report is made from: a run's results (fresh or read back from an ``--out``
directory), sensitivity results, and the catalog and scenario that produced them.

This is the report's input edge: it reads files and checks that they are nansei
results, raising :class:`ReportInputError` with one readable message otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nansei.problems import NanseiError

SUMMARY_FILE = "summary.json"
REPLICATIONS_FILE = "replications.parquet"
SCENARIO_FILE = "scenario.yaml"
SENSITIVITY_GLOB = "sensitivity*.json"


class ReportInputError(NanseiError, ValueError):
    """An input the report cannot use; the message names it and what is expected."""


@dataclass
class RunData:
    """One campaign or comparison: the summary JSON as written, and per-replication columns.

    ``summary`` keeps the shape it was written in (``nansei campaign --json`` or
    ``nansei compare --json``); :meth:`years` and :meth:`year_record` read both.
    """

    summary: dict[str, Any]
    columns: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # year → col → values
    source_dir: Path | None = None

    @property
    def kind(self) -> str:
        return "compare" if "years" in self.summary else "campaign"

    def years(self) -> list[str]:
        if self.kind == "compare":
            return list(self.summary["years"])
        return [str(self.summary.get("year"))]

    def year_record(self, year: str) -> dict[str, Any]:
        return self.summary["years"][year] if self.kind == "compare" else self.summary

    def path(self, year: str, *keys: str | int) -> str:
        """A slash path into ``summary`` (what the report's numbers are tagged with)."""
        prefix = ["years", year] if self.kind == "compare" else []
        return "/".join(str(k) for k in (*prefix, *keys))

    def metric_names(self) -> list[str]:
        """Every metric the run's JSON reports, in its order (never a fixed list)."""
        names: list[str] = []
        for year in self.years():
            for name in self.year_record(year).get("metrics", {}):
                if name not in names:
                    names.append(name)
        return names


def columns_by_year(table: Mapping[str, np.ndarray], years: list[str]) -> dict[str, dict]:
    """Split stacked per-replication columns (with a ``year`` column) by year label."""
    if "year" not in table:
        return {years[0]: {k: np.asarray(v) for k, v in table.items()}} if years else {}
    year_column = np.asarray(table["year"])
    result = {}
    for year in years:
        try:
            wanted = int(year)
        except ValueError:
            wanted = -1
        mask = year_column == wanted
        result[year] = {k: np.asarray(v)[mask] for k, v in table.items()}
    return result


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ReportInputError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None


def _is_run_summary(payload: Any) -> bool:
    if not isinstance(payload, dict) or "scenario" not in payload:
        return False
    if "years" in payload:
        years = payload["years"]
        return isinstance(years, dict) and all(
            isinstance(v, dict) and isinstance(v.get("metrics"), dict) for v in years.values()
        )
    return isinstance(payload.get("metrics"), dict)


def _is_sensitivity(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("parameters"), list)
        and "metric" in payload
        and "method" in payload
    )


def load_sensitivity(path: Path) -> dict[str, Any]:
    payload = _read_json(path)
    if not _is_sensitivity(payload):
        raise ReportInputError(
            f"{path}: not a nansei sensitivity result "
            "(expected a JSON object with 'metric', 'method' and a 'parameters' list)"
        )
    return payload


def load_run_dir(directory: Path) -> tuple[RunData | None, list[dict[str, Any]]]:
    """Read a ``campaign``/``compare`` (or ``sensitivity``) ``--out`` directory.

    Returns the run (``None`` when the directory holds only sensitivity results) and
    any sensitivity results found (``sensitivity*.json``).
    """
    if not directory.exists():
        raise ReportInputError(f"--from {directory}: no such directory")
    if not directory.is_dir():
        raise ReportInputError(f"--from {directory}: is a file, not a result directory")
    sensitivity = [load_sensitivity(p) for p in sorted(directory.glob(SENSITIVITY_GLOB))]
    summary_path = directory / SUMMARY_FILE
    if not summary_path.exists():
        if sensitivity:
            return None, sensitivity
        raise ReportInputError(
            f"--from {directory}: not a nansei result directory (no {SUMMARY_FILE}; "
            "write one with `nansei compare SCENARIO --out DIR`)"
        )
    summary = _read_json(summary_path)
    if not _is_run_summary(summary):
        raise ReportInputError(
            f"--from {directory}: {SUMMARY_FILE} is not a nansei campaign or compare summary "
            "(expected 'scenario' and 'metrics', or 'years' with 'metrics' per year)"
        )
    run = RunData(summary=summary, source_dir=directory)
    parquet = directory / REPLICATIONS_FILE
    if parquet.exists():
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(parquet)
        except Exception as error:  # pyarrow raises several types for a damaged file
            raise ReportInputError(f"--from {directory}: {REPLICATIONS_FILE}: {error}") from None
        columns = {name: table.column(name).to_numpy() for name in table.column_names}
        run.columns = columns_by_year(columns, run.years())
    return run, sensitivity


def get_path(payload: Any, path: str) -> Any:
    """The value at a slash path (``years/2025/metrics/x/ci95/0``)."""
    value = payload
    for key in path.split("/"):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value
