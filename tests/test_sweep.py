"""`nansei sweep` and `nansei query`: a real LocalCluster, identical summaries for any
worker count and after SIGKILL + resume, the store's tables, and clean failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from nansei.campaign import run_campaign
from nansei.campaign.scenario import load_scenario
from nansei.catalog import default_catalog
from nansei.cli import app
from nansei.sweep import store

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def sweep_file(tmp_path: Path, name: str = "s.yaml", **fields) -> Path:
    document = {
        "scenario": "miyako-transit",
        "years": [2025],
        "replications": 40,
        "seed": 7,
        "chunk": 20,
        "grid": {"survival.p_detect": [0.3, 0.7], "scenario.doctrine.salvo_size": [8]},
    }
    document.update(fields)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture(scope="module")
def two_worker_store(tmp_path_factory):
    """The sweep on a real LocalCluster of 2 worker processes."""
    tmp = tmp_path_factory.mktemp("dask")
    path = sweep_file(tmp)
    result = run("sweep", path, "--workers", "2", "--out", tmp / "two", "--json")
    assert result.exit_code == 0, result.output
    return path, tmp / "two", json.loads(result.stdout)


def test_two_workers_and_one_give_identical_summaries(two_worker_store, tmp_path):
    path, two, manifest = two_worker_store
    assert manifest["tasks"] == 4 and manifest["complete"] and manifest["ran"] == 4
    result = run("sweep", path, "--workers", "1", "--out", tmp_path / "one")
    assert result.exit_code == 0, result.output
    one = tmp_path / "one"
    assert (one / "summary.parquet").read_bytes() == (two / "summary.parquet").read_bytes()
    assert pq.read_table(one / "summary.parquet").equals(pq.read_table(two / "summary.parquet"))
    assert sorted(p.name for p in (one / "parts").iterdir()) == sorted(
        p.name for p in (two / "parts").iterdir()
    )


def test_results_are_the_campaign_at_each_point(two_worker_store):
    """The store's rows for a point are a plain campaign run with those values."""
    _, two, _ = two_worker_store
    connection = store.connect(two)
    rows = connection.execute(
        "SELECT replication, red_ships_out_of_action FROM results "
        'WHERE "survival.p_detect" = 0.7 ORDER BY replication'
    ).fetchall()
    summary = connection.execute(
        "SELECT year, point, n, red_ships_out_of_action_mean FROM summary ORDER BY point"
    ).fetchall()
    connection.close()
    direct = run_campaign(
        load_scenario("miyako-transit"),
        default_catalog(),
        year=2025,
        replications=40,
        seed=7,
        overrides={"survival.p_detect": 0.7},
    )
    assert [r[0] for r in rows] == list(range(40))
    np.testing.assert_array_equal([r[1] for r in rows], direct.columns["red_ships_out_of_action"])
    assert [(y, p, n) for y, p, n, _ in summary] == [(2025, 0, 40), (2025, 1, 40)]
    assert summary[1][3] == pytest.approx(direct.columns["red_ships_out_of_action"].mean())


def test_rerun_skips_finished_parts(two_worker_store):
    path, two, _ = two_worker_store
    before = (two / "summary.parquet").read_bytes()
    result = run("sweep", path, "--workers", "1", "--out", two, "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert (manifest["ran"], manifest["skipped"]) == (0, 4)
    assert (two / "summary.parquet").read_bytes() == before


def test_query_json_csv_and_errors(two_worker_store):
    _, two, _ = two_worker_store
    result = run("query", two, "SELECT year, count(*) AS n FROM results GROUP BY year", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"year": 2025, "n": 80}]
    result = run("query", two, "SELECT point FROM summary ORDER BY point", "--csv")
    assert result.stdout.splitlines() == ["point", "0", "1"]
    bad = run("query", two, "SELECT nope FROM summary")
    assert bad.exit_code == 2 and "SQL:" in bad.output and "Traceback" not in bad.output
    assert run("query", two.parent, "SELECT 1").exit_code == 2


def test_sigkill_mid_sweep_then_resume_gives_the_same_summary(two_worker_store, tmp_path):
    """A sweep killed with SIGKILL leaves only finished parts (and maybe temporary files);
    re-running finishes it with the summary of an uninterrupted run."""
    path = sweep_file(tmp_path, replications=400, chunk=10, grid={"survival.p_detect": [0.3, 0.7]})
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "nansei", "sweep", str(path), "--workers", "1", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if len(list((out / "parts").glob("*.parquet"))) >= 3 if (out / "parts").is_dir() else 0:
                break
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    done = len(list((out / "parts").glob("*.parquet")))
    assert 3 <= done < 80, done
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    (out / "parts" / ".y2025-p000000-r000000390.parquet.abc.tmp").write_bytes(b"half a file")
    result = run("sweep", path, "--workers", "1", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["skipped"] == done and manifest["ran"] == 80 - done
    assert not list((out / "parts").glob(".*.tmp"))
    whole = run("sweep", path, "--workers", "1", "--out", tmp_path / "whole")
    assert whole.exit_code == 0, whole.output
    assert (out / "summary.parquet").read_bytes() == (
        tmp_path / "whole" / "summary.parquet"
    ).read_bytes()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"grid": {"survival.p_detec": [0.5]}}, "did you mean survival.p_detect"),
        ({"grid": {"scenario.doctrine.salvo": [4]}}, "no field 'salvo'"),
        ({"grid": {"survival.p_detect": [1.5]}}, "outside survival.p_detect's range"),
        ({"grid": {"survival.p_detect": []}}, "grid: empty"),
        ({"grid": {}}, "grid: empty"),
        ({"grid": {"hvgp-block1.p_hit": [0.3]}}, "not read by these runs"),
        ({"grid": {"scenario.doctrine.salvo_size": [0]}}, "salvo_size"),
        ({"years": [1999]}, "unknown posture year 1999"),
        ({"points": [{"survival.p_detect": 0.5}]}, "exactly one of grid, points or sample"),
        ({"replications": 0}, "replications"),
        ({"replications": 200_001, "chunk": 1}, "--force"),
    ],
)
def test_bad_sweep_files_are_one_line_exit_2(tmp_path, fields, message):
    out = tmp_path / "out"
    result = run("sweep", sweep_file(tmp_path, **fields), "--workers", "1", "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()  # nothing written before the input is checked


def test_out_holding_another_sweep_is_refused_and_kept(two_worker_store, tmp_path):
    _, two, _ = two_worker_store
    before = (two / "manifest.json").read_text()
    other = sweep_file(tmp_path, seed=8)
    result = run("sweep", other, "--workers", "1", "--out", two)
    assert result.exit_code == 2 and "different sweep" in result.output
    assert "seed" in result.output
    assert (two / "manifest.json").read_text() == before


def test_points_and_sample_designs(tmp_path):
    points = sweep_file(
        tmp_path,
        "p.yaml",
        grid=None,
        replications=10,
        chunk=10,
        points=[{"survival.p_detect": 0.2}, {"survival.p_detect": 0.8}],
    )
    text = yaml.safe_load(points.read_text())
    del text["grid"]
    points.write_text(yaml.safe_dump(text))
    result = run("sweep", points, "--workers", "1", "--out", tmp_path / "p", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["points"] == 2
    sample = {
        "scenario": "miyako-transit",
        "replications": 10,
        "chunk": 10,
        "sample": {"method": "lhs", "n": 3, "params": ["survival.p_detect", "isr.cue_rate_per_h"]},
    }
    path = tmp_path / "lhs.yaml"
    path.write_text(yaml.safe_dump(sample))
    result = run("sweep", path, "--workers", "1", "--out", tmp_path / "l")
    assert result.exit_code == 0, result.output
    values = (
        store.connect(tmp_path / "l")
        .execute('SELECT "survival.p_detect" FROM summary ORDER BY point')
        .fetchall()
    )
    assert len(values) == 3 and all(0.1 <= v[0] <= 0.9 for v in values)


def test_unreachable_scheduler_is_a_clear_message_within_10_s(tmp_path):
    start = time.monotonic()
    result = run(
        "sweep", sweep_file(tmp_path), "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "o"
    )
    assert time.monotonic() - start < 10.5
    assert result.exit_code == 2 and "cannot reach a Dask scheduler" in result.output
