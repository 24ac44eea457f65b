"""Plain-dict views of the catalog: the JSON contracts of `nansei data ...`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nansei.catalog import Catalog, Entity, Param, UnknownIdError
from nansei.posture import resolve_posture


def param_record(param: Param, overridden_by: str | None = None) -> dict[str, Any]:
    """One parameter. ``overridden_by``: the overlay file that set it (``None`` when the
    bundled value stands); its ``sources`` are then whatever that overlay left in place."""
    return {
        "value": param.value,
        "low": param.low,
        "high": param.high,
        "unit": param.unit,
        "basis": param.basis,
        "formula": param.formula,
        "inputs": list(param.inputs),
        "sources": list(param.sources),
        "note": param.note,
        "overridden_by": overridden_by,
    }


def entity_record(entity: Entity, overlaid: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Contract of ``nansei data show ID --json``."""
    overlaid = overlaid or {}
    return {
        "id": entity.id,
        "kind": entity.kind,
        "name": entity.name,
        "note": entity.note,
        "sources": list(entity.sources),
        "params": {
            name: param_record(p, overlaid.get(f"{entity.id}.{name}"))
            for name, p in entity.params.items()
        },
    }


def show_record(catalog: Catalog, item_id: str) -> dict[str, Any]:
    """Any catalog item by id: an entity, a dotted parameter id, a site or a gate."""
    if item_id in catalog.entities:
        return entity_record(catalog.entities[item_id], catalog.overlaid)
    if "." in item_id:
        entity_id, _, name = item_id.partition(".")
        entity = catalog.entities.get(entity_id)
        if entity is not None and name in entity.params:
            record = entity_record(entity, catalog.overlaid)
            record["params"] = {name: record["params"][name]}
            return record
    if item_id in catalog.sites:
        site = catalog.sites[item_id]
        return {
            "id": site.id,
            "kind": "site",
            "name": site.name,
            "site_kind": site.kind,
            "lat": site.lat,
            "lon": site.lon,
            "sources": list(site.sources),
            "note": site.note,
            "params": {},
        }
    if item_id in catalog.gates:
        gate = catalog.gates[item_id]
        return {
            "id": gate.id,
            "kind": "gate",
            "name": gate.name,
            "points": [list(p) for p in gate.points],
            "sources": list(gate.sources),
            "note": gate.note,
            "params": {},
        }
    known = sorted([*catalog.entities, *catalog.sites, *catalog.gates, *catalog.param_ids()])
    raise UnknownIdError("id", item_id, known)


def posture_record(catalog: Catalog, year: int | str) -> dict[str, Any]:
    """Contract of ``nansei data posture YEAR --json``."""
    posture = catalog.posture(year)
    units = [
        {
            "id": unit.id,
            "system": unit.system,
            "system_name": unit.system_name,
            "site": unit.site,
            "site_name": unit.site_name,
            "lat": unit.lat,
            "lon": unit.lon,
            "platform": unit.platform,
            "launchers": unit.launchers,
            "missiles_per_launcher": unit.missiles_per_launcher,
            "ready_missiles": unit.ready_missiles,
            "reload_stock": unit.reload_stock,
            "company": unit.company,
            "companies": unit.companies,
            "range_km": {
                "value": unit.range_km,
                "low": unit.range_low_km,
                "high": unit.range_high_km,
            },
            "sources": list(unit.sources),
            "note": unit.note,
        }
        for unit in resolve_posture(catalog, year)
    ]
    return {
        "year": posture.year,
        "label": posture.label,
        "status": posture.status,
        "note": posture.note,
        "units": units,
    }


def budget_record(catalog: Catalog) -> dict[str, Any]:
    """Contract of ``nansei data budget --json``: one series per definition."""
    return {
        "series": [
            {
                "id": s.id,
                "definition": s.definition,
                "unit": s.unit,
                "points": [
                    {"year": p.year, "value": p.value, "sources": list(p.sources)} for p in s.points
                ],
            }
            for s in catalog.budget_series.values()
        ]
    }


def sources_record(catalog: Catalog) -> dict[str, Any]:
    return {"sources": [s.model_dump() for s in catalog.sources.values()]}
