"""Provenance in every output: a --catalog overlay shows in every result, and changes the
scenario hash; result files get ordinary permissions."""

from __future__ import annotations

import json
import os
import stat

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from nansei.catalog import load_catalog
from nansei.cli import app
from nansei.provenance import (
    PARQUET_KEY,
    assumption_parameters,
    build_provenance,
    footer_text,
    overlay_digest,
    recording_reads,
)

runner = CliRunner()
KEYS = {
    "nansei_version",
    "catalog_digest",
    "overlays",
    "overrides",
    "seed",
    "replications",
    "command",
    "assumption_parameters_used",
}


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture()
def overlay(tmp_path):
    directory = tmp_path / "mine"
    directory.mkdir()
    (directory / "ranges.yaml").write_text(
        "entities:\n  - id: type12-improved\n    params:\n      range_km: {value: 1500}\n"
    )
    return directory


def check_block(block: dict, overlay=None) -> None:
    assert set(block) == KEYS
    assert len(block["catalog_digest"]) == 64
    if overlay is None:
        assert block["overlays"] == []
    else:
        assert block["overlays"] == [{"path": str(overlay), "digest": overlay_digest(overlay)}]


def test_builder_reads_and_assumptions():
    catalog = load_catalog()
    with recording_reads() as reads:
        catalog.value("isr.cue_rate_per_h")
        catalog.range_km("type12-original")
    assert reads == {"isr.cue_rate_per_h", "type12-original.range_km"}
    assert assumption_parameters(catalog, reads) == ["isr.cue_rate_per_h"]
    catalog.value("isr.cue_rate_per_h")  # nothing records outside the block
    block = build_provenance(catalog, seed=3, replications=10, reads=reads, command="nansei x")
    check_block(block)
    assert (block["seed"], block["replications"], block["overrides"]) == (3, 10, None)
    assert "catalog " + block["catalog_digest"][:12] in footer_text(block)


def test_overlay_digest_changes_with_the_files(overlay):
    before = overlay_digest(overlay)
    (overlay / "ranges.yaml").write_text(
        "entities:\n  - id: type12-improved\n    params:\n      range_km: {value: 1400}\n"
    )
    assert overlay_digest(overlay) != before


def test_campaign_overlay_changes_hash_and_shows_in_json_and_parquet(overlay, tmp_path):
    args = ("campaign", "yonaguni-gap", "--year", "2026", "--reps", "60", "--json")
    plain = json.loads(run(*args).stdout)
    out = tmp_path / "out"
    mine = json.loads(run("--catalog", str(overlay), *args, "--out", str(out)).stdout)
    check_block(plain["provenance"])
    check_block(mine["provenance"], overlay)
    assert mine["scenario_hash"] != plain["scenario_hash"]
    assert mine["provenance"]["catalog_digest"] != plain["provenance"]["catalog_digest"]
    assert (mine["provenance"]["seed"], mine["provenance"]["replications"]) == (
        plain["seed"],
        60,
    )
    assert "isr.cue_rate_per_h" in mine["provenance"]["assumption_parameters_used"]
    metadata = pq.read_schema(out / "replications.parquet").metadata
    stored = json.loads(metadata[PARQUET_KEY.encode()])
    assert stored == mine["provenance"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"] == mine["provenance"]
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("replications.parquet", "summary.json"):
        mode = stat.S_IMODE((out / name).stat().st_mode)
        assert mode == 0o666 & ~umask


def test_compare_and_set_show_in_provenance():
    record = json.loads(
        run(
            "compare",
            "yonaguni-gap",
            "--years",
            "2022,2026",
            "--reps",
            "40",
            "--set",
            "isr.cue_rate_per_h=0.2",
            "--json",
        ).stdout
    )
    check_block(record["provenance"])
    assert record["provenance"]["overrides"] == {"isr.cue_rate_per_h": 0.2}


def test_salvo_provenance_stochastic_and_hughes(overlay):
    stochastic = json.loads(
        run(
            "--catalog",
            str(overlay),
            "salvo",
            "examples/salvo/company-vs-sag.yaml",
            "--reps",
            "500",
            "--json",
        ).stdout
    )
    check_block(stochastic["provenance"], overlay)
    assert stochastic["provenance"]["replications"] == 500
    assert "type-055.area_p_kill" in stochastic["provenance"]["assumption_parameters_used"]
    hughes = json.loads(
        run("salvo", "examples/salvo/hughes-example.yaml", "--model", "hughes", "--json").stdout
    )
    assert hughes["provenance"]["seed"] is None and hughes["provenance"]["replications"] is None


def test_reach_coverage_geojson_and_data_show(overlay, tmp_path):
    reach = json.loads(
        run("--catalog", str(overlay), "reach", "25.5", "126.0", "--year", "2026", "--json").stdout
    )
    check_block(reach["provenance"], overlay)
    geojson = tmp_path / "c.geojson"
    coverage = json.loads(
        run(
            "--catalog",
            str(overlay),
            "coverage",
            "--year",
            "2022",
            "--json",
            "--geojson",
            str(geojson),
        ).stdout
    )
    check_block(coverage["provenance"], overlay)
    collection = json.loads(geojson.read_text())
    assert collection["nansei"]["provenance"] == coverage["provenance"]
    html = tmp_path / "c.html"
    run("--catalog", str(overlay), "coverage", "--year", "2022", "--html", str(html))
    page = html.read_text(encoding="utf-8")
    assert "catalog " + coverage["provenance"]["catalog_digest"][:12] in page
    assert overlay_digest(overlay)[:12] in page
    shown = json.loads(
        run("--catalog", str(overlay), "data", "show", "type12-improved", "--json").stdout
    )
    check_block(shown["provenance"], overlay)
    assert shown["params"]["range_km"]["overridden_by"] == str(overlay / "ranges.yaml")
    assert shown["params"]["reliability"]["overridden_by"] is None
    table = run("--catalog", str(overlay), "data", "show", "type12-improved").stdout
    assert f"type12-improved.range_km is overridden by {overlay / 'ranges.yaml'}" in table
