"""The report: one self-contained offline HTML page with figures and tables beside it.

:func:`build_report` writes ``report.html`` (plotly.js inlined once, images embedded,
no network request), the figures as SVG and PNG and the tables as CSV;
:func:`load_run_dir` reads a ``campaign``/``compare --out`` directory back so a report
can be rendered without re-running.
"""

from nansei.report.builder import (
    COVERAGE_FILE,
    REPORT_FILE,
    REPORT_FILES,
    ReportInputs,
    ReportOutputs,
    build_report,
    catalog_digest,
    metric_label,
)
from nansei.report.data import (
    ReportInputError,
    RunData,
    columns_by_year,
    get_path,
    load_run_dir,
    load_sensitivity,
)

__all__ = [
    "COVERAGE_FILE",
    "REPORT_FILE",
    "REPORT_FILES",
    "ReportInputError",
    "ReportInputs",
    "ReportOutputs",
    "RunData",
    "build_report",
    "catalog_digest",
    "columns_by_year",
    "get_path",
    "load_run_dir",
    "load_sensitivity",
    "metric_label",
]
