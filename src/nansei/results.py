"""Writing results: per-replication Parquet tables and summary JSON, atomically.

Every file is written to a temporary file in the destination directory and then moved
into place with :func:`os.replace`, which is atomic on POSIX and Windows within one
file system: a reader sees the old file or the new one, never half of one, and a
crash or a bad value leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["atomic_write", "write_json", "write_parquet"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and rename the result onto ``path``; clean up on failure."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates the file private (0600); a result file gets the permissions
        # any new file would get here (0666 less the umask).
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    """The process umask (reading it means setting it; it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Pretty JSON (UTF-8, no NaN: a NaN is a bug upstream and raises before writing)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
