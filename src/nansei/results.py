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

__all__ = [
    "DPI_RANGE",
    "FIGURE_FORMATS",
    "FigureFormatError",
    "atomic_write",
    "check_dpi",
    "figure_format",
    "write_figure",
    "write_json",
    "write_parquet",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and rename the result onto ``path``; clean up on failure."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


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


# -- figures ---------------------------------------------------------------------------

#: Figure formats a path's extension may ask for (matplotlib writes each natively).
FIGURE_FORMATS = ("png", "svg", "pdf")

#: Resolution bounds for raster output, dots per inch: below 50 text is unreadable,
#: above 1200 a map is hundreds of megapixels for no visible gain.
DPI_RANGE = (50, 1200)


class FigureFormatError(ValueError):
    """A figure path or resolution nansei cannot write; the message names what is allowed."""


def figure_format(path: str | os.PathLike[str]) -> str:
    """``png``, ``svg`` or ``pdf`` from the file's extension (case-insensitive)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        allowed = ", ".join(f".{f}" for f in FIGURE_FORMATS)
        shown = f".{suffix}" if suffix else "no extension"
        raise FigureFormatError(f"{path}: {shown} is not a figure format nansei writes ({allowed})")
    return suffix


def check_dpi(dpi: int) -> int:
    low, high = DPI_RANGE
    if not low <= dpi <= high:
        raise FigureFormatError(f"--dpi {dpi} is outside [{low}, {high}] (dots per inch)")
    return dpi


def figure_bytes(figure: Any, fmt: str, dpi: int) -> bytes:
    """A matplotlib figure rendered to ``fmt`` bytes. SVG keeps text as text (searchable,
    editable, small); PDF and SVG carry no creation date, so equal figures are equal files."""
    import io

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt in ("svg", "pdf") else None
    kwargs: dict[str, Any] = {"format": fmt, "dpi": dpi, "metadata": metadata}
    if fmt == "png":
        kwargs.pop("metadata")  # (PIL's optimize pass would triple the time for ~10% smaller)
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "nansei"}):
        figure.savefig(buffer, **kwargs)
    return buffer.getvalue()


def write_figure(path: str | os.PathLike[str], figure: Any, dpi: int = 150) -> Path:
    """Write a matplotlib figure in the format its extension names, atomically."""
    fmt = figure_format(path)
    check_dpi(dpi)
    data = figure_bytes(figure, fmt, dpi)
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
