"""`nansei salvo`: JSON contracts for both models, overrides, tables, clean failures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nansei.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "salvo"
COMPANY = str(EXAMPLES / "company-vs-sag.yaml")
HUGHES = str(EXAMPLES / "hughes-example.yaml")
TOP_KEYS = {
    "model",
    "replications",
    "seed",
    "rounds",
    "order",
    "rounds_fought",
    "sides",
    "provenance",
}
STATS_KEYS = {"mean", "ci95", "p10", "p50", "p90", "n", "distribution"}
HUGHES_KEYS = {
    "ships",
    "out_of_action",
    "raw_loss",
    "hits_received",
    "missiles_launched",
    "remaining",
    "losses_by_type",
}

SMALL = {
    "replications": 5000,
    "seed": 3,
    "sides": {
        "blue": {
            "units": [
                {"name": "ddg", "count": 2, "missiles": 4, "interceptors": 4, "staying_power": 1}
            ]
        },
        "red": {
            "scouting": 0.5,
            "units": [{"name": "fac", "count": 5, "missiles": 8, "staying_power": 2}],
        },
    },
}


def run(*args: str):
    return runner.invoke(app, list(args))


def write(tmp_path, document, name: str = "salvo.yaml") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return str(path)


def small(**changes):
    document = yaml.safe_load(yaml.safe_dump(SMALL))
    document.update(changes)
    return document


# -- contracts -------------------------------------------------------------------------------


def test_stochastic_json_contract():
    result = run("salvo", COMPANY, "--reps", "4000", "--seed", "2", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == TOP_KEYS
    assert record["model"] == "stochastic"
    assert (record["replications"], record["seed"], record["rounds"], record["order"]) == (
        4000,
        2,
        1,
        "simultaneous",
    )
    assert list(record["sides"]) == ["blue", "red"]
    assert record["sides"]["blue"]["ships"] == 4 and record["sides"]["red"]["ships"] == 4
    for entry in record["sides"].values():
        for metric in ("out_of_action", "hits_received", "missiles_launched"):
            stats = entry[metric]
            assert set(stats) == STATS_KEYS
            lo, hi = stats["ci95"]
            assert lo <= stats["mean"] <= hi
            assert stats["p10"] <= stats["p50"] <= stats["p90"]
            assert stats["n"] == 4000
            assert sum(stats["distribution"].values()) == pytest.approx(1.0, abs=1e-4)
    # 4 launchers x 6 missiles, all fired; red cannot fire back
    assert record["sides"]["blue"]["missiles_launched"]["mean"] == 24
    assert record["sides"]["red"]["missiles_launched"]["mean"] == 0
    assert record["sides"]["blue"]["out_of_action"]["mean"] == 0
    assert 0 < record["sides"]["red"]["out_of_action"]["mean"] < 4


def test_hughes_json_contract_is_exact():
    result = run("salvo", HUGHES, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == TOP_KEYS
    assert record["model"] == "hughes"
    assert record["replications"] is None and record["seed"] is None
    assert (record["rounds"], record["order"], record["rounds_fought"]) == (1, "simultaneous", 1)
    blue, red = record["sides"]["blue"], record["sides"]["red"]
    assert set(blue) == HUGHES_KEYS and set(red) == HUGHES_KEYS
    for entry in (blue, red):
        for key in ("out_of_action", "raw_loss", "hits_received", "missiles_launched"):
            assert isinstance(entry[key], (int, float)) and not isinstance(entry[key], bool)
    # red: 0.5 x (16 + 5 x 8) missiles against 2 x 4 interceptors -> 20 hits on b1 = 1
    assert blue["hits_received"] == pytest.approx(20.0)
    assert blue["raw_loss"] == pytest.approx(20.0)
    assert blue["out_of_action"] == pytest.approx(2.0)  # clipped to the 2 ships

    # blue: 8 sure missiles at red's 6 ships. The type-055's 6 area channels (p 0.7)
    # engage 6 of them for the whole group; the 8 − K survivors spread over the 6 ships,
    # and only the 055's 2 point channels (p 0.5) can engage the n ~ Bin(8 − K, 1/6)
    # that reach it; its soft kill is 0.1. Enumerated by hand here:
    def binom(n, k, p):
        return math.comb(n, k) * p**k * (1 - p) ** (n - k)

    survivors = {8 - k: binom(6, k, 0.7) for k in range(7)}
    mean_survivors = sum(s * p for s, p in survivors.items())
    engaged = sum(  # E[min(n, 2)] = P(n >= 1) + P(n >= 2)
        p * (1 - binom(s, 0, 1 / 6) + 1 - binom(s, 0, 1 / 6) - binom(s, 1, 1 / 6))
        for s, p in survivors.items()
    )
    on_055 = mean_survivors / 6 - 0.5 * engaged
    hits = 5 * mean_survivors / 6 + 0.9 * on_055
    assert red["hits_received"] == pytest.approx(hits)
    assert red["out_of_action"] == pytest.approx(hits / (13 / 6))
    assert (blue["ships"], red["ships"]) == (2, 6)


def test_same_seed_same_json():
    args = ("salvo", COMPANY, "--reps", "3000", "--seed", "11", "--json")
    first, second = run(*args), run(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    other = run("salvo", COMPANY, "--reps", "3000", "--seed", "12", "--json")
    assert other.stdout != first.stdout


def test_reps_and_seed_override_the_file(tmp_path):
    path = write(tmp_path, small())
    from_file = json.loads(run("salvo", path, "--json").stdout)
    assert (from_file["replications"], from_file["seed"]) == (5000, 3)
    overridden = run("salvo", path, "--reps", "700", "--seed", "5", "--json")
    assert overridden.exit_code == 0, overridden.output
    record = json.loads(overridden.stdout)
    assert (record["replications"], record["seed"]) == (700, 5)
    assert record["sides"]["blue"]["out_of_action"]["n"] == 700


def test_rounds_order_and_model_options(tmp_path):
    path = write(tmp_path, small(order="red"))
    result = run("salvo", path, "--rounds", "3", "--reps", "500", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["rounds"], record["order"]) == (3, "red")
    assert record["rounds_fought"]["p90"] <= 3
    hughes = json.loads(run("salvo", path, "--model", "hughes", "--json").stdout)
    assert hughes["model"] == "hughes" and hughes["replications"] is None


def test_file_model_hughes_can_be_run_stochastic(tmp_path):
    path = write(tmp_path, small(model="hughes"))
    result = run("salvo", path, "--model", "stochastic", "--reps", "300", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == "stochastic"


def test_hughes_example_runs_stochastic():
    # red mixes a catalog class (finite magazine) with an unlimited unit: missiles_left
    # counts the finite magazines only (16 Type 055 missiles, all fired in round 1).
    result = run("salvo", HUGHES, "--model", "stochastic", "--reps", "200", "--json")
    assert result.exit_code == 0, result.output
    red = json.loads(result.stdout)["sides"]["red"]
    assert red["missiles_left"]["p90"] <= 16


def test_catalog_class_fields_are_applied_and_overridable(tmp_path):
    base = small(model="hughes")
    base["sides"]["red"]["units"] = [{"class": "type-055", "count": 1}]
    record = json.loads(run("salvo", write(tmp_path, base, "a.yaml"), "--json").stdout)
    # catalog: 16 missiles (anti_ship_missiles), staying power 3 (staying_power_hits)
    assert record["sides"]["red"]["missiles_launched"] == pytest.approx(16.0)
    base["sides"]["red"]["units"][0].update(missiles=2, layers={}, softkill_p=0, staying_power=4)
    record = json.loads(run("salvo", write(tmp_path, base, "b.yaml"), "--json").stdout)
    red = record["sides"]["red"]
    assert red["missiles_launched"] == pytest.approx(2.0)
    assert red["hits_received"] == pytest.approx(8.0)  # 2 ddg x 4, no defence layers
    assert red["raw_loss"] == pytest.approx(2.0)  # 8 hits / staying power 4
    # b3 comes from the layers: a class unit may not also give Hughes' interceptors
    base["sides"]["red"]["units"][0] = {"class": "type-055", "interceptors": 3}
    result = run("salvo", write(tmp_path, base, "c.yaml"), "--json")
    assert result.exit_code == 2 and "interceptors" in result.output
    assert "Traceback" not in result.output


def test_tables_without_json():
    result = run("salvo", COMPANY, "--reps", "2000")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for fragment in ("blue", "red", "ships out of action", "95% CI", "p10", "p50", "p90"):
        assert fragment in out
    hughes = run("salvo", HUGHES)
    assert hughes.exit_code == 0, hughes.output
    assert "raw loss" in hughes.stdout and "hits received" in hughes.stdout


# -- bad input: exit 2, one message naming the field, no traceback ---------------------------


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output
    assert "Traceback" not in text
    for fragment in fragments:
        assert fragment in text, text


def _with_unit(**fields):
    document = small()
    document["sides"]["red"]["units"][0].update(fields)
    return document


@pytest.mark.parametrize(
    "document, fragments",
    [
        (_with_unit(count=-1), ["sides.red.units[0].count"]),
        (_with_unit(softkill_p=1.5), ["sides.red.units[0].softkill_p", "[0, 1]"]),
        (
            _with_unit(layers={"point": {"channels": 1, "p_kill": -0.2}}),
            ["sides.red.units[0].layers.point.p_kill"],
        ),
        (
            _with_unit(layers={"point": {"channels": 1, "p_kill": 0.5, "doctrine": "spray"}}),
            ["sides.red.units[0].layers.point.doctrine", "shoot-look-shoot"],
        ),
        (_with_unit(**{"class": "type-0555"}), ["sides.red.units[0].class", "type-055"]),
        (_with_unit(staying_power=[3, 1]), ["sides.red.units[0].staying_power"]),
        (_with_unit(speed=30), ["sides.red.units[0].speed", "unknown field"]),
    ],
)
def test_bad_units(tmp_path, document, fragments):
    assert_clean_failure(run("salvo", write(tmp_path, document)), *fragments)


def test_bad_side_fields(tmp_path):
    document = small()
    document["sides"]["blue"]["scouting"] = 2
    document["sides"]["red"]["allocation"] = "random"
    result = run("salvo", write(tmp_path, document))
    assert_clean_failure(
        result, "2 problems", "sides.blue.scouting", "sides.red.allocation", "concentrated"
    )


def test_side_with_no_ships(tmp_path):
    document = small()
    document["sides"]["red"]["units"] = []
    assert_clean_failure(run("salvo", write(tmp_path, document)), "sides.red.units")


def test_not_two_sides(tmp_path):
    document = small()
    document["sides"]["green"] = document["sides"]["red"]
    assert_clean_failure(run("salvo", write(tmp_path, document)), "sides", "exactly two sides")


def test_bad_order(tmp_path):
    assert_clean_failure(
        run("salvo", write(tmp_path, small(order="purple"))), "order", "simultaneous"
    )


@pytest.mark.parametrize(
    "text, fragment",
    [("- a\n- b\n", "mapping"), ("sides: [1, 2\n", "not valid YAML"), ("", "mapping")],
)
def test_not_a_mapping_or_not_yaml(tmp_path, text, fragment):
    assert_clean_failure(run("salvo", write(tmp_path, text)), fragment)


def test_run_settings_out_of_range(tmp_path):
    result = run("salvo", write(tmp_path, small(replications=0, rounds=5000, model="lanch")))
    assert_clean_failure(result, "replications", "rounds", "model")


@pytest.mark.parametrize(
    "option",
    [("--reps", "0"), ("--seed", "-1"), ("--rounds", "0"), ("--model", "lanchester")],
)
def test_bad_options(option):
    assert_clean_failure(run("salvo", HUGHES, *option), option[0])


def test_missing_file(tmp_path):
    assert_clean_failure(run("salvo", str(tmp_path / "nope.yaml")), "nope.yaml", "no such file")


def test_console_script_exits_2_without_traceback(tmp_path):
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NANSEI_CATALOG", None)
    path = write(tmp_path, _with_unit(count=-3))
    done = subprocess.run(
        [sys.executable, "-m", "nansei", "salvo", path],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "sides.red.units[0].count" in done.stderr
