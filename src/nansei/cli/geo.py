"""``nansei distance | reach | coverage``: geodesic reach on real coastlines (docs/model.md §2)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperCommand

from nansei.cli import common

# The catalog, pydantic, the provenance and the writers load inside the commands that use
# them: `nansei distance` needs none of them and starts in well under 0.5 s.

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
RangeOption = Annotated[
    str,
    typer.Option(
        "--range", help="Which range to use for each system: value (central), low or high."
    ),
]

# Negative coordinates such as -20 look like options to click; let unknown "options"
# through as arguments so `nansei distance -20 120 -21 121` works (`--` works too).
_NUMBERS_OK = {"ignore_unknown_options": True}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class NumbersCommand(TyperCommand):
    """A command whose arguments may be negative numbers: anything else that starts with
    ``-`` and is not one of its options is reported as an unknown option (instead of
    shifting the arguments and blaming the last one)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        known = {name for param in self.params for name in (*param.opts, *param.secondary_opts)}
        known |= set(ctx.help_option_names)
        for arg in args:
            if arg == "--":
                break
            if arg.startswith("-") and not _is_number(arg) and arg.split("=")[0] not in known:
                common.fail(
                    f"no such option {arg.split('=')[0]} (see nansei {ctx.info_name} --help)"
                )
        return super().parse_args(ctx, args)


def _number(text: str, name: str) -> float:
    """Parse a coordinate argument, or fail with one clear message (exit 2)."""
    try:
        value = float(text)
    except ValueError:
        common.fail(f"{name} must be a number in decimal degrees, got {text!r}")
    if not math.isfinite(value):
        common.fail(f"{name} must be a finite number, got {text!r}")
    return value


def _latlon(
    lat_text: str, lon_text: str, lat_name: str = "LAT", lon_name: str = "LON"
) -> tuple[float, float]:
    lat, lon = _number(lat_text, lat_name), _number(lon_text, lon_name)
    if not -90.0 <= lat <= 90.0:
        common.fail(f"{lat_name} {lat:g} is outside [-90, 90] (latitude, degrees north)")
    if not -180.0 <= lon <= 180.0:
        common.fail(f"{lon_name} {lon:g} is outside [-180, 180] (longitude, degrees east)")
    return lat, lon


def distance(
    lat1: Annotated[str, typer.Argument(metavar="LAT1", help="Latitude of point 1, degrees.")],
    lon1: Annotated[str, typer.Argument(metavar="LON1", help="Longitude of point 1, degrees.")],
    lat2: Annotated[str, typer.Argument(metavar="LAT2", help="Latitude of point 2, degrees.")],
    lon2: Annotated[str, typer.Argument(metavar="LON2", help="Longitude of point 2, degrees.")],
    json_out: JsonFlag = False,
) -> None:
    """Geodesic distance (km) and initial azimuth (degrees from north) on WGS84."""
    from nansei.geo import point_inverse

    a_lat, a_lon = _latlon(lat1, lon1, "LAT1", "LON1")
    b_lat, b_lon = _latlon(lat2, lon2, "LAT2", "LON2")
    km, azimuth = point_inverse(a_lat, a_lon, b_lat, b_lon)
    record = {"distance_km": round(float(km), 6), "azimuth_deg": round(float(azimuth), 6)}
    if json_out:
        common.emit_json(record)
        return
    common.console.print(
        f"{record['distance_km']:.3f} km ({record['distance_km'] / 1.852:.1f} "
        f"nmi), initial azimuth {record['azimuth_deg']:.2f}°",
        highlight=False,
    )


def reach(
    lat: Annotated[str, typer.Argument(metavar="LAT", help="Latitude, degrees north.")],
    lon: Annotated[str, typer.Argument(metavar="LON", help="Longitude, degrees east.")],
    year: Annotated[str, typer.Option("--year", help="Posture year, e.g. 2022, 2025, 2026.")],
    range_case: RangeOption = "value",
    json_out: JsonFlag = False,
) -> None:
    """Which units of a posture year reach a point, with distance and margin (km)."""
    from nansei.catalog import UnknownIdError
    from nansei.geo import ReachIndex, reach_record
    from nansei.provenance import build_provenance, recording_reads

    point_lat, point_lon = _latlon(lat, lon)
    catalog = common.catalog()
    year_number = common.parse_year(year, known=catalog.postures)
    try:
        with recording_reads() as reads:
            index = ReachIndex.for_posture(catalog, year_number, range_case)
    except UnknownIdError as error:
        common.unknown(error)
    record = reach_record(index, point_lat, point_lon)
    record["provenance"] = build_provenance(catalog, reads=reads)
    if json_out:
        common.emit_json(record)
        return
    where = f"{point_lat:g} N, {point_lon:g} E"
    if not record["reached_by"]:
        common.console.print(
            f"No unit of the {record['year']} posture reaches {where}.", highlight=False
        )
        return
    table = Table(
        "unit",
        "system",
        "site",
        "distance km",
        "margin km",
        title=f"Units of the {record['year']} posture reaching {where}",
    )
    for row in record["reached_by"]:
        table.add_row(
            row["unit"],
            row["system"],
            row["site"],
            f"{row['distance_km']:.1f}",
            f"{row['margin_km']:.1f}",
        )
    common.console.print(table)


def _years(text: str) -> list[int]:
    known = common.catalog().postures
    years = [common.parse_year(y, "--compare", known) for y in text.split(",") if y.strip()]
    if len(years) < 2:
        common.fail(f"--compare needs two or more years separated by commas, got {text!r}")
    return years


def coverage(
    year: Annotated[
        str | None, typer.Option("--year", help="Posture year, e.g. 2022, 2025, 2026, 2027.")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="Y1,Y2",
            help="Compare posture years: a table, and maps side by side with --png/--html.",
        ),
    ] = None,
    range_case: RangeOption = "value",
    json_out: JsonFlag = False,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write the coverage as GeoJSON to this file.")
    ] = None,
    png: Annotated[
        Path | None,
        typer.Option(
            "--png",
            help="Write a static map; the extension picks the format (.png, .svg, .pdf).",
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write an interactive offline map (HTML) to this file."),
    ] = None,
    dpi: Annotated[
        int, typer.Option("--dpi", help="Resolution of a raster map, 50..1200 dots per inch.")
    ] = 150,
) -> None:
    """Sea and land reached by a posture year, per unit and in union, gates and places."""
    from nansei.catalog import UnknownIdError
    from nansei.geo import LandDataError, compute_coverage, compute_coverages
    from nansei.io import OutputError, check_output_file
    from nansei.provenance import build_provenance, recording_reads

    if (year is None) == (compare is None):
        common.fail("give exactly one of --year Y or --compare Y1,Y2")
    catalog = common.catalog()
    if year is not None:
        years = [common.parse_year(year, known=catalog.postures)]
    else:
        years = _years(compare or "")
    if compare is not None and geojson:
        common.fail("--geojson holds one posture: use --year Y with --geojson")
    _check_figure_options(png, dpi)
    try:  # before the work: a map that cannot be written is known now, not in a minute
        for option, target in (("--geojson", geojson), ("--png", png), ("--html", html)):
            if target is not None:
                check_output_file(target, option)
    except OutputError as error:
        common.fail(str(error))
    try:
        with recording_reads() as reads:
            if compare is None:
                results = [compute_coverage(catalog, years[0], range_case)]
            else:
                results = compute_coverages(catalog, years, range_case)
    except UnknownIdError as error:
        common.unknown(error)
    except (LandDataError, ValueError) as error:  # missing coastline data; a disc over a pole
        common.fail(str(error))
    provenance = build_provenance(catalog, reads=reads)
    failed = _write_maps(results, catalog, geojson, png, html, dpi, provenance)
    records = [r.record() for r in results]
    payload = records[0] if compare is None else {"years": records}
    if failed:  # the coverage was computed: still print --json, then say what failed
        if json_out:
            common.emit_json({**payload, "provenance": provenance})
        common.fail(failed)
    if json_out:
        common.emit_json({**payload, "provenance": provenance})
        return
    if compare is None:
        _print_coverage(records[0])
    else:
        _print_comparison(records)
    for label, path in (("GeoJSON", geojson), ("map", png), ("HTML", html)):
        if path is not None:
            common.err_console.print(f"wrote {label}: {path}", highlight=False)


def _check_figure_options(path: Path | None, dpi: int) -> None:
    """Extension and resolution checked before any work: one message, exit 2."""
    from nansei.figure_files import FigureFormatError, check_dpi, figure_format

    try:
        check_dpi(dpi)
        if path is not None:
            figure_format(path)
    except FigureFormatError as error:
        common.fail(str(error))
    if path is not None and path.is_dir():
        common.fail(f"--png {path}: is a directory; give a file name ending .png, .svg or .pdf")


def _write_maps(
    results: list[Any],
    catalog: Any,
    geojson: Path | None,
    png: Path | None,
    html: Path | None,
    dpi: int,
    provenance: dict[str, Any],
) -> str | None:
    """Write the maps asked for; the error message if one could not be written."""
    if not (geojson or png or html):
        return None
    from nansei.geo import maps  # matplotlib and plotly load only when a map is asked for
    from nansei.io import OutputError

    try:
        if geojson:
            maps.write_geojson(results[0], catalog, geojson, provenance)
        if png:
            maps.write_map(results, catalog, png, dpi=dpi, provenance=provenance)
        if html:
            maps.write_html(results, catalog, html, provenance)
    except OutputError as error:
        return str(error)
    except OSError as error:
        return f"cannot write the map: {error.strerror or error}"
    return None


def _print_coverage(record: dict[str, Any]) -> None:
    units = Table(
        "unit",
        "system",
        "site",
        "range km",
        "disc km²",
        "sea km²",
        "land km²",
        title=f"Coverage {record['year']} ({record['status']}, {record['range_case']} "
        f"ranges): {record['label']}",
    )
    for u in record["units"]:
        units.add_row(
            u["id"],
            u["system"],
            u["site"],
            f"{u['range_km']:g}",
            f"{u['disc_area_km2']:,.0f}",
            f"{u['sea_area_km2']:,.0f}",
            f"{u['land_area_km2']:,.0f}",
        )
    for d in record["union"]["depth"]:
        units.add_row(
            f"union, ≥{d['min_units']} unit(s)",
            "",
            "",
            "",
            f"{d['area_km2']:,.0f}",
            f"{d['sea_area_km2']:,.0f}",
            f"{d['land_area_km2']:,.0f}",
            style="bold" if d["min_units"] == 1 else None,
        )
    common.console.print(units)
    gates = Table("gate", "length km", "reached ≥1", "reached ≥2", title="Gates")
    for g in record["gates"]:
        gates.add_row(
            g["name"],
            f"{g['length_km']:.1f}",
            f"{g['covered_fraction']:.0%}",
            f"{g['covered_fraction_2plus']:.0%}",
        )
    common.console.print(gates)
    threat = record["places_reached"]["threat"]
    places = Table(
        "place",
        "side",
        "nearest unit",
        "km",
        "reached by",
        title=f"Reference places: threat-side reached {threat['reached']} of {threat['of']} "
        "(own and third-party places are not counted)",
    )
    for p in record["places"]:
        km = "" if p["distance_km"] is None else f"{p['distance_km']:.0f}"
        places.add_row(
            p["name"], p["side"], p["nearest_unit"] or "—", km, ", ".join(p["reached_by"]) or "—"
        )
    common.console.print(places)
    common.console.print(record["land"]["source"], style="dim", highlight=False)


def _print_comparison(records: list[dict[str, Any]]) -> None:
    """One column per year: the headline numbers side by side."""
    table = Table(
        "",
        *(f"{r['year']} ({r['status']})" for r in records),
        title=f"Coverage compared ({records[0]['range_case']} ranges)",
    )
    rows: list[tuple[str, list[str]]] = [("units", [str(len(r["units"])) for r in records])]
    for label, key in (("sea reached km²", "sea_area_km2"), ("land reached km²", "land_area_km2")):
        rows.append((label, [f"{r['union'][key]:,.0f}" for r in records]))
    for level in (2, 3):
        rows.append(
            (
                f"sea reached by ≥{level} units km²",
                [
                    f"{d['sea_area_km2']:,.0f}"
                    for r in records
                    for d in r["union"]["depth"]
                    if d["min_units"] == level
                ],
            )
        )
    for gate in records[0]["gates"]:
        rows.append(
            (
                f"{gate['name']} ≥1 / ≥2",
                [
                    "{covered_fraction:.0%} / {covered_fraction_2plus:.0%}".format(
                        **next(g for g in r["gates"] if g["id"] == gate["id"])
                    )
                    for r in records
                ],
            )
        )
    for side, label in (("threat", "threat-side places reached"), ("own", "own places in reach")):
        rows.append(
            (
                label,
                ["{reached} of {of}".format(**r["places_reached"][side]) for r in records],
            )
        )
    for label, values in rows:
        table.add_row(label, *values)
    common.console.print(table)
    common.console.print(records[0]["land"]["source"], style="dim", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("distance", cls=NumbersCommand, context_settings=_NUMBERS_OK)(distance)
    app.command("reach", cls=NumbersCommand, context_settings=_NUMBERS_OK)(reach)
    app.command("coverage")(coverage)
