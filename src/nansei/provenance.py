"""Provenance: what produced a result, carried in every output nansei writes.

One block, built here and nowhere else, goes into JSON summaries (top-level
``"provenance"``), Parquet schema metadata (key ``nansei_provenance``), GeoJSON
properties and map footers::

    {"nansei_version": "0.1.0",
     "catalog_digest": "<sha-256 of the resolved catalog>",
     "overlays": [{"path": "mine", "digest": "<sha-256 of its YAML files>"}],
     "overrides": {"isr.cue_rate_per_h": 0.2} | null,
     "seed": 1 | null, "replications": 2000 | null,
     "command": "nansei campaign miyako-transit --year 2026",
     "assumption_parameters_used": ["isr.cue_rate_per_h", ...] | null}

``catalog_digest`` is taken of the catalog the run actually read — after overlays and
``--set`` overrides — so two results with the same digest were computed from the same
numbers. ``assumption_parameters_used`` lists the parameters with ``basis: assumption``
that the run read through :meth:`nansei.catalog.Catalog.param` (recorded with
:func:`recording_reads`); ``null`` for outputs that read no parameter on purpose.

Pure helpers except :func:`overlay_digest`, which reads the overlay's files (the CLI
calls it; models never do).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nansei
from nansei.catalog import _READS, Catalog

__all__ = [
    "PARQUET_KEY",
    "assumption_parameters",
    "build_provenance",
    "command_line",
    "footer_text",
    "overlay_digest",
    "parquet_metadata",
    "recording_reads",
]

#: The Parquet schema-metadata key that holds the provenance block as JSON.
PARQUET_KEY = "nansei_provenance"


def overlay_digest(directory: str | Path) -> str:
    """SHA-256 (hex) of an overlay directory's YAML files: names and bytes, in name order."""
    digest = hashlib.sha256()
    root = Path(directory)
    for path in sorted(root.glob("*.y*ml")) if root.is_dir() else []:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@contextmanager
def recording_reads() -> Iterator[set[str]]:
    """Collect the parameter ids read through ``Catalog.param``/``value`` inside the block."""
    reads: set[str] = set()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def assumption_parameters(catalog: Catalog, param_ids: Iterable[str]) -> list[str]:
    """The ids among ``param_ids`` whose basis is ``assumption``, sorted."""
    out = set()
    for param_id in param_ids:
        entity_id, _, name = param_id.partition(".")
        entity = catalog.entities.get(entity_id)
        if entity is not None and name in entity.params:
            if entity.params[name].basis == "assumption":
                out.add(param_id)
    return sorted(out)


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed, program name normalised to ``nansei``."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join(["nansei", *args])


def build_provenance(
    catalog: Catalog,
    *,
    overrides: Mapping[str, float] | None = None,
    seed: int | None = None,
    replications: int | None = None,
    reads: Iterable[str] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """The provenance block for a result computed from ``catalog`` (already overlaid and
    overridden). ``None`` marks a field that does not apply to the output."""
    return {
        "nansei_version": nansei.__version__,
        "catalog_digest": catalog.digest(),
        "overlays": [{"path": path, "digest": overlay_digest(path)} for path in catalog.origin[1:]],
        "overrides": None if overrides is None else {k: float(v) for k, v in overrides.items()},
        "seed": None if seed is None else int(seed),
        "replications": None if replications is None else int(replications),
        "command": command_line() if command is None else command,
        "assumption_parameters_used": (
            None if reads is None else assumption_parameters(catalog, reads)
        ),
    }


def parquet_metadata(provenance: Mapping[str, Any]) -> dict[str, str]:
    """Parquet schema metadata carrying the block as JSON."""
    return {PARQUET_KEY: json.dumps(provenance, sort_keys=True, ensure_ascii=False)}


def footer_text(provenance: Mapping[str, Any]) -> str:
    """One line for a map or figure footer."""
    parts = [
        f"nansei {provenance['nansei_version']}",
        f"catalog {provenance['catalog_digest'][:12]}",
    ]
    for overlay in provenance.get("overlays") or []:
        parts.append(f"overlay {overlay['path']} ({overlay['digest'][:12]})")
    if provenance.get("overrides"):
        parts.append(
            "overrides " + ", ".join(f"{k}={v:g}" for k, v in provenance["overrides"].items())
        )
    if provenance.get("seed") is not None:
        parts.append(f"seed {provenance['seed']}")
    parts.append(provenance["command"])
    return " · ".join(parts)
