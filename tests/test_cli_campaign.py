"""`nansei campaign` / `nansei compare` / `nansei demo`: JSON contracts, files, clean failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from nansei.campaign.scenario import load_scenario, resolve_scenario_path
from nansei.cli import app

runner = CliRunner()
METRIC_KEYS = {"mean", "ci95", "p10", "p50", "p90"}
METRICS = {
    "red_ships_out_of_action",
    "groups_transited_fraction",
    "blue_missiles_fired",
    "blue_launchers_lost",
    "magazine_exhausted_day",
    "red_combatants_out_of_action",
    "red_auxiliaries_out_of_action",
    "groups_transited_undamaged_fraction",
    "blue_launchers_lost_counterforce",
    "blue_missiles_lost_in_depots",
    "blue_ships_lost",
}


def run(*args: str):
    return runner.invoke(app, list(args))


def small_scenario(tmp_path, **changes) -> str:
    document = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
    document.update(changes)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


# -- contracts -------------------------------------------------------------------------------


def test_campaign_json_contract():
    result = run("campaign", "miyako-transit", "--reps", "300", "--seed", "4", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert {"scenario", "scenario_hash", "year", "replications", "seed", "metrics"} <= set(record)
    assert record["scenario"] == "miyako-transit"
    assert (record["year"], record["replications"], record["seed"]) == (2025, 300, 4)
    assert set(record["metrics"]) == METRICS
    for summary in record["metrics"].values():
        assert METRIC_KEYS <= set(summary)
        lo, hi = summary["ci95"]
        assert lo <= summary["mean"] <= hi
        assert summary["p10"] <= summary["p50"] <= summary["p90"]
        assert summary["n"] <= 300


def test_campaign_same_seed_same_json_and_year_option():
    args = ("campaign", "yonaguni-gap", "--reps", "200", "--seed", "9", "--year", "2026", "--json")
    first, second = run(*args), run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert json.loads(first.stdout)["year"] == 2026


def test_set_changes_the_hash_and_is_reported():
    base = json.loads(run("campaign", "miyako-transit", "--reps", "100", "--json").stdout)
    changed = run(
        "campaign", "miyako-transit", "--reps", "100", "--set", "survival.p_detect=0.9", "--json"
    )
    assert changed.exit_code == 0, changed.output
    record = json.loads(changed.stdout)
    assert record["overrides"] == {"survival.p_detect": 0.9}
    assert record["scenario_hash"] != base["scenario_hash"]


def test_compare_json_contract():
    result = run("compare", "miyako-transit", "--years", "2022,2026", "--reps", "200", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["scenario"] == "miyako-transit"
    assert list(record["years"]) == ["2022", "2026"]
    for year in record["years"].values():
        assert set(year["metrics"]) == METRICS


def test_tables_print():
    result = run("campaign", "miyako-transit", "--reps", "100")
    assert result.exit_code == 0, result.output
    assert "red ships out of action" in result.stdout
    result = run("compare", "yonaguni-gap", "--years", "2022,2025", "--reps", "100")
    assert result.exit_code == 0, result.output
    assert "2022" in result.stdout and "2025" in result.stdout


def test_out_writes_parquet_and_summary(tmp_path):
    out = tmp_path / "run"
    result = run("campaign", "miyako-transit", "--reps", "150", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pq.read_table(out / "replications.parquet")
    assert table.num_rows == 150
    assert METRICS <= set(table.column_names)
    assert table.schema.metadata[b"scenario"] == b"miyako-transit"
    assert json.loads((out / "summary.json").read_text()) == json.loads(result.stdout)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no temp files left

    compared = tmp_path / "cmp"
    result = run("compare", "yonaguni-gap", "--years", "2022,2025", "--reps", "120",
                 "--out", str(compared))  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pq.read_table(compared / "replications.parquet").to_pydict()
    assert sorted(set(table["year"])) == [2022, 2025] and len(table["year"]) == 240
    assert set(json.loads((compared / "summary.json").read_text())["years"]) == {"2022", "2025"}


# -- bad input: exit 2, one message naming the field, no traceback ---------------------------


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output
    assert "Traceback" not in text
    for fragment in fragments:
        assert fragment in text, text


def test_unknown_set_id_suggests_the_closest():
    result = run("campaign", "miyako-transit", "--set", "survival.p_detct=0.5")
    assert_clean_failure(result, "survival.p_detct", "did you mean", "survival.p_detect")


def test_set_value_outside_its_range():
    result = run("campaign", "miyako-transit", "--set", "survival.p_detect=1.5")
    assert_clean_failure(result, "--set survival.p_detect", "1.5", "outside [low, high]")


@pytest.mark.parametrize("item", ["survival.p_detect", "survival.p_detect=abc", "=3"])
def test_set_malformed(item):
    assert_clean_failure(run("campaign", "miyako-transit", "--set", item), "--set")


def test_unknown_year():
    assert_clean_failure(run("campaign", "miyako-transit", "--year", "2023"), "2023", "2022")
    assert_clean_failure(run("compare", "miyako-transit", "--years", "2022,1999"), "1999")
    assert_clean_failure(run("compare", "miyako-transit", "--years", "soon"), "--years")


def test_unknown_scenario():
    assert_clean_failure(run("campaign", "miyako-trnsit"), "did you mean miyako-transit")


def test_scenario_file_problems(tmp_path):
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- 1\n- 2\n")
    assert_clean_failure(run("campaign", str(not_mapping)), "top level must be a mapping")
    not_yaml = tmp_path / "bad.yaml"
    not_yaml.write_text("name: [unclosed\n")
    assert_clean_failure(run("campaign", str(not_yaml)), "not valid YAML")
    document = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
    del document["threat"]["groups"][1]["gate"]
    document["isr"]["cue_rate_per_h"] = -1
    document["threat"]["groups"][0]["composition"] = {"type-05d": 2}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document))
    assert_clean_failure(
        run("campaign", str(broken)),
        "threat.groups[1].gate: required field is missing",
        "isr.cue_rate_per_h",
    )
    del document["threat"]["groups"][1]
    document["isr"]["cue_rate_per_h"] = 0.2
    broken.write_text(yaml.safe_dump(document))
    assert_clean_failure(
        run("campaign", str(broken)), "threat.groups[0].composition.type-05d", "did you mean"
    )
    document["threat"]["groups"][0]["composition"] = {"type-052d": 2}
    document["threat"]["groups"][0]["gate"] = "miyako-straits"
    broken.write_text(yaml.safe_dump(document))
    assert_clean_failure(run("campaign", str(broken)), "threat.groups[0].gate", "miyako-strait")


def test_out_that_is_a_file_is_refused_and_kept(tmp_path):
    keep = tmp_path / "keep.txt"
    keep.write_text("precious")
    assert_clean_failure(run("campaign", "miyako-transit", "--reps", "10", "--out", str(keep)))
    assert keep.read_text() == "precious"


def test_a_failed_run_leaves_earlier_results_whole(tmp_path):
    out = tmp_path / "run"
    assert run("campaign", "yonaguni-gap", "--reps", "50", "--out", str(out)).exit_code == 0
    before = (out / "summary.json").read_text(), (out / "replications.parquet").read_bytes()
    bad = "isr.cue_rate_per_h=9"
    failed = run("campaign", "yonaguni-gap", "--reps", "50", "--set", bad, "--out", str(out))
    assert failed.exit_code == 2
    assert ((out / "summary.json").read_text(), (out / "replications.parquet").read_bytes()) == (
        before
    )


def test_console_script_exits_2_without_traceback():
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NANSEI_CATALOG", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nansei",
            "campaign",
            "miyako-transit",
            "--set",
            "isr.cue_rate_per=0.5",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "isr.cue_rate_per_h" in done.stderr


def test_demo_runs_the_comparison(monkeypatch):
    from nansei.cli import demo

    monkeypatch.setattr(demo, "DEMO_REPLICATIONS", 100)
    result = run("demo")
    assert result.exit_code == 0, result.output
    for year in ("2022", "2025", "2026", "2027"):
        assert year in result.stdout
    assert "miyako-transit" in result.stdout


def test_bundled_default_scenario_exists():
    assert load_scenario("miyako-transit").posture.year == 2025


@pytest.mark.parametrize(
    ("red", "fragments"),
    [
        ({"counterforce": True, "warning_h": -3}, ("red.warning_h", "must be >= 0")),
        ({"counterforce": True, "maritime_strike": ["tomahawk-blok-v"]},
         ("red.maritime_strike[0]", "tomahawk-block-v")),
        ({"counterforce": "perhaps"}, ("red.counterforce",)),
    ],
)  # fmt: skip
def test_bad_red_section(tmp_path, red, fragments):
    document = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
    document["red"] = red
    path = tmp_path / "red.yaml"
    path.write_text(yaml.safe_dump(document))
    assert_clean_failure(run("campaign", str(path)), *fragments)


def test_tables_say_which_red_model_ran():
    result = run("campaign", "miyako-transit", "--reps", "50", "--year", "2027")
    assert result.exit_code == 0, result.output
    assert "counter-force on, 12 h warning" in result.stdout
    assert "land-attack missiles do not engage ships" in result.stdout


def test_every_metric_has_a_row_and_a_label():
    from nansei.campaign import METRICS as ENGINE_METRICS
    from nansei.cli.campaign import DISPLAY, LABELS

    assert sorted(DISPLAY) == sorted(ENGINE_METRICS) == sorted(LABELS)


def test_auto_salvo_example_runs():
    example = (
        Path(__file__).resolve().parents[1] / "examples" / "campaign" / "miyako-auto-salvo.yaml"
    )
    result = run("campaign", str(example), "--reps", "50", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["red_ships_out_of_action"]["mean"] > 0


@pytest.mark.parametrize(
    ("stations", "fragments"),
    [
        ([{"unit": "chokai", "position": [27.0, 126.5]}], ("stations[0].unit", "posture unit")),
        ([{"unit": "miyako-type12", "position": [27.0, 126.5]}],
         ("stations[0].unit", "only ships sail")),
        ([{"unit": "chokai-tomahawk", "position": [-40.0, 10.0], "speed_kn": 5}],
         ("stations[0].position", "outside the ship's reach")),
        ([{"unit": "chokai-tomahawk", "position": "nowhere"}], ("stations[0].position",)),
    ],
)  # fmt: skip
def test_bad_station(tmp_path, stations, fragments):
    document = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
    document["posture"] = {"year": 2027}
    document["stations"] = stations
    path = tmp_path / "stations.yaml"
    path.write_text(yaml.safe_dump(document))
    assert_clean_failure(run("campaign", str(path)), *fragments)
