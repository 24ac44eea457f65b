"""`nansei distance | reach | coverage`: JSON contracts, negative numbers, clean failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nansei.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def nansei(*args: str) -> subprocess.CompletedProcess:
    """The real entry point, in a subprocess (exit codes and stderr as a user sees them)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NANSEI_CATALOG", "NANSEI_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "nansei", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_distance_json_contract():
    result = run("distance", "24.449", "122.934", "24.59", "121.87", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {"distance_km", "azimuth_deg"}
    assert 107 <= record["distance_km"] <= 111
    assert 270 < record["azimuth_deg"] < 290  # Taiwan lies west of Yonaguni


def test_distance_human_output():
    result = run("distance", "26.355", "127.768", "31.23", "121.47")
    assert result.exit_code == 0 and "km" in result.stdout and "nmi" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("-20", "120", "-21", "121", "--json"),
        ("--json", "--", "-20", "120", "-21", "121"),
        ("-20.5", "-120.25", "-21", "-121.5", "--json"),
    ],
)
def test_negative_coordinates(args):
    result = run("distance", *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["distance_km"] > 100


def test_negative_coordinates_through_the_real_entry_point():
    completed = nansei("distance", "-20", "120", "-21", "121", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["distance_km"] == pytest.approx(152.11, abs=0.01)


@pytest.mark.parametrize(
    "args,message",
    [
        (("91", "0", "0", "0"), "LAT1 91 is outside [-90, 90]"),
        (("0", "0", "0", "-180.5"), "LON2 -180.5 is outside [-180, 180]"),
        (("abc", "0", "0", "0"), "LAT1 must be a number"),
        (("0", "0", "nan", "0"), "LAT2 must be a finite number"),
    ],
)
def test_distance_bad_input(args, message):
    completed = nansei("distance", *args)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


def test_reach_json_contract():
    result = run("reach", "25.5", "126.0", "--year", "2026", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {"lat", "lon", "year", "reached_by"} <= set(record)
    assert (record["lat"], record["lon"], record["year"]) == (25.5, 126.0, 2026)
    units = [r["unit"] for r in record["reached_by"]]
    assert "miyako-type12" in units and "kengun-type12-improved" in units
    for row in record["reached_by"]:
        assert set(row) == {"unit", "system", "site", "distance_km", "margin_km"}
        assert row["margin_km"] >= 0


def test_reach_human_output_and_nothing_reached():
    result = run("reach", "25.5", "126.0", "--year", "2025")
    assert result.exit_code == 0 and "miyako-type12" in result.stdout
    result = run("reach", "-33.9", "151.2", "--year", "2025")  # Sydney
    assert result.exit_code == 0 and "No unit" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (("reach", "25", "126", "--year", "2019"), "unknown year '2019'"),
        (("reach", "25", "126", "--year", "soon"), "known: 2022, 2025, 2026, 2027"),
        (("reach", "95", "126", "--year", "2025"), "LAT 95 is outside"),
        (("reach", "25", "x", "--year", "2025"), "LON must be a number"),
        (("reach", "25", "126", "--year", "2025", "--range", "mid"), "unknown range case"),
        (("coverage", "--year", "1999"), "known: 2022, 2025, 2026, 2027"),
        (("coverage",), "exactly one of --year"),
        (("coverage", "--year", "2025", "--compare", "2022,2026"), "exactly one of --year"),
        (("coverage", "--compare", "2022"), "two or more years"),
        (("coverage", "--compare", "2022,2026", "--png", "map.jpg"), ".jpg is not a figure"),
        (("coverage", "--year", "2022", "--png", "map"), "no extension is not a figure"),
        (("coverage", "--year", "2022", "--png", "m.png", "--dpi", "49"), "outside [50, 1200]"),
        (("coverage", "--year", "2022", "--png", "m.png", "--dpi", "1201"), "outside [50, 1200]"),
        (("coverage", "--compare", "2022,2026", "--geojson", "x.json"), "use --year Y"),
        (("coverage", "--compare", "2022,2031", "--json"), "unknown year '2031'"),
    ],
)
def test_bad_input_is_one_clear_message(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_coverage_json_contract():
    result = run("coverage", "--year", "2025", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["year"] == 2025
    assert {"year", "units", "union", "gates", "places"} <= set(record)
    assert {
        "id",
        "system",
        "site",
        "range_km",
        "disc_area_km2",
        "sea_area_km2",
        "land_area_km2",
    } <= set(record["units"][0])
    assert {"sea_area_km2", "land_area_km2"} <= set(record["union"])
    assert {"id", "name", "length_km", "covered_fraction", "covered_fraction_2plus"} <= set(
        record["gates"][0]
    )
    assert {"id", "name", "nearest_unit", "distance_km", "reached_by"} <= set(record["places"][0])


def test_coverage_human_output_and_compare_json():
    result = run("coverage", "--year", "2022")
    assert result.exit_code == 0 and "Miyako Strait" in result.stdout and "GSHHG" in result.stdout
    result = run("coverage", "--compare", "2022,2026", "--json")
    assert result.exit_code == 0
    years = [r["year"] for r in json.loads(result.stdout)["years"]]
    assert years == [2022, 2026]


def test_coverage_writes_maps(tmp_path):
    paths = {kind: tmp_path / f"map.{kind}" for kind in ("geojson", "png", "html")}
    result = run(
        "coverage",
        "--year",
        "2025",
        "--geojson",
        str(paths["geojson"]),
        "--png",
        str(paths["png"]),
        "--html",
        str(paths["html"]),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(paths["geojson"].read_text())["type"] == "FeatureCollection"
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plotly" in paths["html"].read_text(encoding="utf-8")[:200000].lower()
    compare = tmp_path / "compare.png"
    result = run("coverage", "--compare", "2022,2026", "--png", str(compare))
    assert result.exit_code == 0 and compare.stat().st_size > 10_000
    assert "Coverage compared" in result.stdout


def test_compare_alone_prints_its_table_and_counts_threat_places_only():
    result = run("coverage", "--compare", "2022,2026")
    assert result.exit_code == 0, result.output
    assert "Coverage compared" in result.stdout
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    records = json.loads(run("coverage", "--compare", "2022,2026", "--json").stdout)["years"]
    for record in records:
        # Tokyo, Kadena and Naha are Japan's own: never counted as "reached".
        threat = [p for p in record["places"] if p["side"] == "threat"]
        reached = sum(bool(p["reached_by"]) for p in threat)
        assert record["places_reached"]["threat"] == {"reached": reached, "of": len(threat)}
        assert f"{reached} of {len(threat)}" in rows["threat-side places reached"]
    assert {p["id"] for p in records[0]["places"] if p["side"] == "own"} >= {"tokyo", "naha"}
    assert "own places in reach" in rows


def test_compare_writes_svg_pdf_and_html(tmp_path):
    svg, pdf, html = tmp_path / "c.svg", tmp_path / "c.pdf", tmp_path / "c.html"
    for path in (svg, pdf):
        result = run("coverage", "--compare", "2022,2026", "--png", str(path), "--dpi", "60")
        assert result.exit_code == 0, result.output
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    result = run("coverage", "--compare", "2022,2026", "--html", str(html))
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert 'id="nansei-coverage-2022"' in page and 'id="nansei-coverage-2026"' in page
    assert page.count("Plotly.newPlot") == 2  # two maps, one inlined plotly.js


def test_unwritable_map_path_is_a_clear_error(tmp_path):
    result = run("coverage", "--year", "2022", "--geojson", str(tmp_path / "no" / "such.json"))
    assert result.exit_code == 2 and "cannot write" in result.output
