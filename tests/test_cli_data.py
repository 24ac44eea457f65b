"""`nansei data …` commands: the JSON contracts and clean failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nansei.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "nansei 0." in result.stdout


def test_validate_prints_counts():
    result = run("data", "validate")
    assert result.exit_code == 0
    assert "catalog valid" in result.stdout and "parameters" in result.stdout


def test_validate_names_every_evidence_problem_with_file_and_path(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "sources:\n"
        "  - {id: rumour, title: Heard it somewhere, publisher: Someone, date: '2024'}\n"
        "entities:\n"
        "  - id: survival\n"
        "    params:\n"
        "      guess: {new: true, value: 1, low: 0, high: 2, unit: h,\n"
        "              sources: [nansei-assumption]}\n"
        "      sum: {new: true, value: 1, low: 0, high: 2, unit: h, basis: derived,\n"
        "            formula: a + b,\n"
        "            inputs: [survival.nothing], sources: [nansei-assumption]}\n"
        "  - id: type12-improved\n"
        "    params:\n"
        "      range_km: {unit: h}\n"
    )
    result = run("--catalog", str(tmp_path), "data", "validate", "--json")
    assert result.exit_code == 2
    problems = {(p["path"], p["message"][:25]) for p in json.loads(result.stdout)["problems"]}
    paths = {path for path, _ in problems}
    assert "sources[0].url" in paths and "sources[0].date" in paths
    assert "entities[0].params.guess.basis" in paths
    assert "entities[0].params.sum.inputs[0]" in paths
    assert "entities[1].params.range_km.unit" in paths
    human = run("--catalog", str(tmp_path), "data", "validate")
    assert human.exit_code == 2 and "bad.yaml" in human.output
    assert "Traceback" not in human.output


def test_show_json_contract():
    result = run("data", "show", "type12-improved", "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert {"id", "kind", "name", "params"} <= set(record)
    assert record["kind"] == "missile"
    reach = record["params"]["range_km"]
    assert {"value", "low", "high", "unit", "sources"} <= set(reach)
    assert (reach["value"], reach["low"], reach["high"], reach["unit"]) == (1000, 900, 1500, "km")


def test_show_a_dotted_parameter_and_a_site():
    record = json.loads(run("data", "show", "type-055.staying_power_hits", "--json").stdout)
    assert list(record["params"]) == ["staying_power_hits"]
    site = json.loads(run("data", "show", "miyako", "--json").stdout)
    assert site["kind"] == "site" and site["lat"] == pytest.approx(24.758)


def test_posture_json_contract():
    result = run("data", "posture", "2025", "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["year"] == 2025
    unit = record["units"][0]
    assert {
        "id",
        "system",
        "site",
        "lat",
        "lon",
        "launchers",
        "missiles_per_launcher",
        "range_km",
        "sources",
    } <= set(unit)
    assert set(unit["range_km"]) >= {"value", "low", "high"}


def test_budget_json_contract():
    record = json.loads(run("data", "budget", "--json").stdout)
    series = {s["id"]: s for s in record["series"]}
    assert {"id", "definition", "unit", "points"} <= set(series["mod-initial"])
    point = series["mod-initial"]["points"][0]
    assert {"year", "value", "sources"} <= set(point)


def test_list_and_sources():
    result = run("data", "list", "--kind", "ship-class", "--json")
    ids = {item["id"] for item in json.loads(result.stdout)["items"]}
    assert {"type-055", "type-052d", "type-054a"} <= ids
    table = run("data", "sources").stdout
    assert "nyt-2025-06-08" in table and "https://dnyuz.com" in table  # URLs are shown
    params = json.loads(run("data", "list", "--kind", "parameter", "--json").stdout)["items"]
    assert len(params) >= 40
    assert {p["basis"] for p in params} == {"sourced", "derived", "assumption"}
    sources = json.loads(run("data", "sources", "--json").stdout)["sources"]
    assert all(s["url"] or s["identifier"] for s in sources if s["kind"] == "publication")


def test_unknown_year_lists_known_years():
    result = run("data", "posture", "2024")
    assert result.exit_code == 2
    assert "unknown year '2024'" in result.stderr and "2025" in result.stderr


def test_unknown_id_suggests_close_matches():
    result = run("data", "show", "type-55")
    assert result.exit_code == 2
    assert "did you mean" in result.stderr and "type-055" in result.stderr


def test_unknown_list_kind():
    result = run("data", "list", "--kind", "spaceship")
    assert result.exit_code == 2 and "unknown kind" in result.stderr


def test_broken_overlay_lists_every_problem_exit_2(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text(
        "entities:\n  - id: survival\n    params:\n      p_detect: {unit: miles}\n"
        "      dwell_h: {low: 5, high: 1}\n",
        encoding="utf-8",
    )
    result = run("--catalog", str(tmp_path), "data", "validate")
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "params.p_detect.unit" in result.stderr
    assert "params.dwell_h" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_console_script_has_no_traceback_on_bad_catalog(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text(": : not yaml [", encoding="utf-8")
    env = {**os.environ, "NANSEI_CATALOG": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "nansei", "data", "posture", "2025"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
