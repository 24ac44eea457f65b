"""``nansei data …``: inspect and validate the sourced catalog."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from nansei.catalog import ENTITY_KINDS, CatalogError, UnknownIdError, load_catalog
from nansei.cli import common
from nansei.provenance import build_provenance
from nansei.views import budget_record, posture_record, show_record, sources_record

data_app = typer.Typer(
    help="Inspect and validate the sourced parameter catalog.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LIST_KINDS = sorted(ENTITY_KINDS | {"site", "gate", "parameter"})


@data_app.command()
def validate(json_out: JsonFlag = False) -> None:
    """Load the catalog (bundled + --catalog) and check every rule; exit 2 listing problems."""
    try:
        catalog = load_catalog(common.STATE.catalog_dir)
    except CatalogError as error:
        if json_out:
            common.emit_json(
                {
                    "valid": False,
                    "problems": [
                        {"file": p.file, "path": p.path, "message": p.message}
                        for p in error.problems
                    ],
                }
            )
            raise typer.Exit(2) from None
        common.report_catalog_error(error)
    counts = catalog.counts()
    if json_out:
        common.emit_json({"valid": True, "counts": counts, "layers": list(catalog.origin)})
        return
    common.console.print(
        Text.assemble(
            ("catalog valid", "green"),
            " — " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()),
        ),
        highlight=False,
    )


@data_app.command("list")
def list_items(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only this kind: {', '.join(LIST_KINDS)}.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List catalog entries (systems, ship classes, priors, sites, gates or parameters)."""
    catalog = common.catalog()
    if kind is not None and kind not in LIST_KINDS:
        common.unknown(UnknownIdError("kind", kind, LIST_KINDS))
    rows: list[dict] = []
    if kind == "parameter":
        for pid, p in catalog.iter_params():
            rows.append(
                {
                    "id": pid,
                    "kind": "parameter",
                    "name": p.note or pid,
                    "value": p.value,
                    "low": p.low,
                    "high": p.high,
                    "unit": p.unit,
                    "basis": p.basis,
                }
            )
    else:
        for e in catalog.entities.values():
            if kind in (None, e.kind):
                rows.append(
                    {"id": e.id, "kind": e.kind, "name": e.name, "parameters": len(e.params)}
                )
        if kind in (None, "site"):
            rows += [{"id": s.id, "kind": "site", "name": s.name} for s in catalog.sites.values()]
        if kind in (None, "gate"):
            rows += [{"id": g.id, "kind": "gate", "name": g.name} for g in catalog.gates.values()]
    if json_out:
        common.emit_json({"items": rows})
        return
    if kind == "parameter":
        table = Table("id", "value [low, high] unit", "basis")
        for row in rows:
            detail = f"{row['value']:g} [{row['low']:g}, {row['high']:g}] {row['unit']}"
            table.add_row(row["id"], detail, row["basis"])
        common.console.print(table)
        return
    table = Table("id", "kind", "name")
    for row in rows:
        table.add_row(row["id"], row["kind"], row["name"])
    common.console.print(table)


@data_app.command()
def show(
    item_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="An entity (type12-improved), parameter (type-055.staying_power_hits), "
            "site or gate id.",
        ),
    ],
    json_out: JsonFlag = False,
) -> None:
    """Show one catalog entry with every parameter's value, range, unit and sources."""
    catalog = common.catalog()
    try:
        record = show_record(catalog, item_id)
    except UnknownIdError as error:
        common.unknown(error)
    if json_out:
        common.emit_json({**record, "provenance": build_provenance(catalog)})
        return
    common.console.print(
        Text.assemble((record["id"], "bold"), f" ({record['kind']}): {record['name']}"),
        highlight=False,
    )
    if record.get("note"):
        common.console.print(record["note"], highlight=False)
    if "lat" in record:
        common.console.print(
            f"{record['lat']:.3f} N, {record['lon']:.3f} E — sources: "
            + ", ".join(record["sources"]),
            highlight=False,
        )
    if "points" in record:
        common.console.print(
            "points (lat, lon): " + "; ".join(f"{a:.3f}, {b:.3f}" for a, b in record["points"]),
            highlight=False,
        )
    if record["params"]:
        table = Table("parameter", "value", "low", "high", "unit", "basis", "sources", "note")
        for name, p in record["params"].items():
            sources = ", ".join(p["sources"])
            if p["overridden_by"]:
                sources = f"OVERRIDDEN by {p['overridden_by']} (was: {sources})"
            note = p["note"]
            if p["basis"] == "derived":
                note = f"{p['formula']} [{', '.join(p['inputs'])}]" + (f"; {note}" if note else "")
            table.add_row(
                name,
                f"{p['value']:g}",
                f"{p['low']:g}",
                f"{p['high']:g}",
                p["unit"],
                p["basis"],
                sources,
                note,
            )
        common.console.print(table)
        for name, p in record["params"].items():
            if p["overridden_by"]:
                common.console.print(
                    f"{record['id']}.{name} is overridden by {p['overridden_by']}",
                    style="bold",
                    highlight=False,
                    soft_wrap=True,
                )


@data_app.command()
def sources(json_out: JsonFlag = False) -> None:
    """List every public source the catalog cites."""
    record = sources_record(common.catalog())
    if json_out:
        common.emit_json(record)
        return
    # One entry per source, not a table: URLs and titles are long and must never be cut.
    for s in record["sources"]:
        if s["kind"] == "assumption":
            common.console.print(
                Text.assemble((s["id"], "bold"), f" (assumption) {s['title']}: {s['reasoning']}"),
                highlight=False,
                soft_wrap=True,
            )
            continue
        by = f"{s['author']}, " if s["author"] else ""
        where = s["url"] or s["identifier"]
        common.console.print(
            Text.assemble(
                (s["id"], "bold"), f' {by}"{s["title"]}", {s["publisher"]}, {s["date"]}. {where}'
            ),
            highlight=False,
            soft_wrap=True,
        )


@data_app.command()
def posture(
    year: Annotated[str, typer.Argument(help="Posture year, e.g. 2022, 2025, 2026, 2027.")],
    json_out: JsonFlag = False,
) -> None:
    """Show what is where in one posture year: units, launchers, missiles and reach."""
    catalog = common.catalog()
    try:
        record = posture_record(catalog, common.parse_year(year, "YEAR", catalog.postures))
    except UnknownIdError as error:
        common.unknown(error)
    if json_out:
        common.emit_json(record)
        return
    print_posture(record)


def print_posture(record: dict) -> None:
    table = Table(
        "unit",
        "system",
        "site",
        "lat",
        "lon",
        "launchers",
        "ready",
        "range km",
        title=f"Posture {record['year']} ({record['status']}): {record['label']}",
    )
    for u in record["units"]:
        r = u["range_km"]
        table.add_row(
            u["id"],
            u["system"],
            u["site"],
            f"{u['lat']:.2f}",
            f"{u['lon']:.2f}",
            str(u["launchers"]),
            str(u["ready_missiles"]),
            f"{r['value']:g} ({r['low']:g}–{r['high']:g})",
        )
    common.console.print(table)


@data_app.command()
def budget(json_out: JsonFlag = False) -> None:
    """Defence spending series, one definition each (never mixed)."""
    record = budget_record(common.catalog())
    if json_out:
        common.emit_json(record)
        return
    for series in record["series"]:
        table = Table(
            "year", series["unit"], "sources", title=f"{series['id']}: {series['definition']}"
        )
        for p in series["points"]:
            table.add_row(str(p["year"]), f"{p['value']:g}", ", ".join(p["sources"]))
        common.console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
