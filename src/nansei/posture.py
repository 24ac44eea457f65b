"""The one posture resolver: what is where in a year, as numbers.

A posture unit in the catalog names its system, site and — for formations the
government describes only as companies — a ``company`` entity and how many
``companies`` it has; the company entity's parameters (``launchers``,
``missiles_per_launcher``, ``reload_stock``, each per company) then give its numbers,
so a change to ``ssm-company.reload_stock`` (``--set`` or an overlay) reaches every
unit built from it. A unit may still give any of those numbers explicitly, which wins.

Used by the ``data posture`` records, the coverage maps and the campaign set-up: there
is no other place that turns a posture into launchers and ranges. Pure: no files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nansei.catalog import COMPANY_PARAMS, Catalog, PostureUnit

__all__ = ["ResolvedUnit", "resolve_posture", "resolve_unit"]


@dataclass(frozen=True)
class ResolvedUnit:
    """One posture unit with its site's position, its system's range and its counts."""

    id: str
    system: str
    system_name: str
    site: str
    site_name: str
    lat: float  # degrees, WGS84
    lon: float  # degrees, WGS84
    platform: str  # truck | fixed | ship
    launchers: int
    missiles_per_launcher: int
    reload_stock: int  # missiles in the unit's depot for reloads
    range_km: float  # the system's range (the catalog value, after overrides)
    range_low_km: float
    range_high_km: float
    company: str | None
    companies: int
    sources: tuple[str, ...]
    note: str

    @property
    def ready_missiles(self) -> int:
        return self.launchers * self.missiles_per_launcher


def _counts(catalog: Catalog, unit: PostureUnit, read: Callable[[str], float]) -> dict[str, int]:
    """Launchers, missiles per launcher and reload stock of ``unit``: explicit values win,
    else the company's per-company values (launchers and stock times ``companies``)."""
    counts = {}
    for name in COMPANY_PARAMS:
        explicit = getattr(unit, name)
        if explicit is not None:
            counts[name] = int(explicit)
            continue
        per_company = read(f"{unit.company}.{name}")
        scale = 1 if name == "missiles_per_launcher" else unit.companies
        counts[name] = int(round(per_company)) * scale
    return counts


def resolve_unit(
    catalog: Catalog, unit: PostureUnit, read: Callable[[str], float] | None = None
) -> ResolvedUnit:
    """``unit`` as numbers. ``read(param_id)`` reads a catalog value (default
    ``catalog.value``); pass a recording reader to learn which parameters were used."""
    read = read or catalog.value
    site = catalog.site(unit.site)
    reach = catalog.range_km(unit.system)
    counts = _counts(catalog, unit, read)
    return ResolvedUnit(
        id=unit.id,
        system=unit.system,
        system_name=catalog.entity(unit.system).name,
        site=unit.site,
        site_name=site.name,
        lat=site.lat,
        lon=site.lon,
        platform=unit.platform,
        range_km=float(read(f"{unit.system}.range_km")),
        range_low_km=float(reach.low),
        range_high_km=float(reach.high),
        company=unit.company,
        companies=unit.companies,
        sources=tuple(unit.sources),
        note=unit.note,
        **counts,
    )


def resolve_posture(
    catalog: Catalog, year: int | str, read: Callable[[str], float] | None = None
) -> list[ResolvedUnit]:
    """Every unit of the posture of ``year`` (raises ``UnknownIdError`` for a bad year)."""
    return [resolve_unit(catalog, unit, read) for unit in catalog.posture(year).units]
