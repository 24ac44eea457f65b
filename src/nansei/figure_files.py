"""Output files of figures and reports: the format from a path's extension, resolution
bounds, and every write all-or-nothing through the project's one atomic writer
(:func:`nansei.io.write_file`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nansei.io import write_file  # the one atomic writer
from nansei.problems import NanseiError

__all__ = [
    "DPI_RANGE",
    "FIGURE_FORMATS",
    "FigureFormatError",
    "check_dpi",
    "figure_bytes",
    "figure_format",
    "write_bytes_file",
    "write_figure",
    "write_file",
    "write_text_file",
]


def write_bytes_file(path: str | os.PathLike[str], data: bytes) -> Path:
    return write_file(path, lambda tmp: Path(tmp).write_bytes(data))


def write_text_file(path: str | os.PathLike[str], text: str) -> Path:
    return write_file(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


#: Figure formats a path's extension may ask for (matplotlib writes each natively).
FIGURE_FORMATS = ("png", "svg", "pdf")

#: Resolution bounds for raster output, dots per inch: below 50 text is unreadable,
#: above 1200 a map is hundreds of megapixels for no visible gain.
DPI_RANGE = (50, 1200)


class FigureFormatError(NanseiError, ValueError):
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
    return write_bytes_file(path, data)
