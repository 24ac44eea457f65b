"""Writing results: per-replication Parquet tables and summary JSON, all-or-nothing.

Each file goes through :func:`nansei.io.write_file` (a temporary beside the target, then
one rename), so a reader sees the old file or the new one, never half of one.
:data:`RESULT_FILES` names what a result directory holds, so that ``--out DIR`` (built
whole by :func:`nansei.io.output_directory`) only ever replaces a previous result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nansei.io import write_file

__all__ = ["RESULT_FILES", "write_json", "write_parquet"]

#: The files a result directory (``--out``) holds.
RESULT_FILES = frozenset({"replications.parquet", "summary.json"})


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Pretty JSON (UTF-8, no NaN: a NaN is a bug upstream and raises before writing)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet(
    path: str | os.PathLike[str],
    columns: Mapping[str, Any],
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """A Parquet table from equal-length columns (numpy arrays or lists), with key-value
    ``metadata`` stored in the schema (e.g. the scenario hash)."""
    arrays = {name: pa.array(np.asarray(values)) for name, values in columns.items()}
    lengths = {len(array) for array in arrays.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns differ in length: {sorted(lengths)}")
    table = pa.table(arrays)
    if metadata:
        table = table.replace_schema_metadata({str(k): str(v) for k, v in metadata.items()})
    return write_file(path, lambda tmp: pq.write_table(table, tmp))
