"""Issue 14's reproducers: every bad input ends in one line and exit 2, or a correct answer.

Each test names the audit item it covers (1 wrong answer, 2 --out all-or-nothing, 3 a
finished run kept, 4 tracebacks, 5 internal errors, 6 hangs, 7 silent acceptance,
8 writers, 9 smaller). Commands run in-process through :func:`nansei.cli.run` (the
console script's own handler) unless a signal or a real process is the point.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from nansei.campaign.scenario import resolve_scenario_path
from nansei.cli import run

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "salvo" / "company-vs-sag.yaml"


def nansei(capsys, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``nansei ARGS`` run in this process."""
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


def scenario_doc() -> dict:
    return yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())


def write_scenario(tmp_path: Path, document: dict | str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return str(path)


def salvo_doc() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def write_salvo(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


# -- 1. a wrong answer with exit 0 -----------------------------------------------------


@pytest.mark.parametrize("missiles", [1.0e19, 1.0e9, 1.0e8])
def test_1_huge_missile_counts_are_refused(tmp_path, capsys, missiles):
    document = salvo_doc()
    unit = document["sides"]["blue"]["units"][0]
    unit.update(missiles=missiles, magazine=None)
    code, out, err = nansei(capsys, "salvo", write_salvo(tmp_path, document), "--reps", "200")
    one_line_error(code, err, "sides.blue.units[0].missiles", "<= 1000")
    assert out == ""


def test_1_counts_in_bounds_give_a_consistent_answer(tmp_path, capsys):
    document = salvo_doc()
    document["sides"]["blue"]["units"][0].update(missiles=1000, magazine=None)
    code, out, err = nansei(
        capsys, "salvo", write_salvo(tmp_path, document), "--reps", "200", "--json"
    )
    assert code == 0, err
    red = json.loads(out)["sides"]["red"]
    assert red["missiles_launched"]["mean"] == 0  # red has no missiles
    blue_fired = json.loads(out)["sides"]["blue"]["missiles_launched"]["mean"]
    assert blue_fired == 4 * 1000  # every one of the battery's missiles is launched
    assert red["out_of_action"]["mean"] == pytest.approx(red["ships"], rel=0.05)


# -- 2. --out is all-or-nothing ------------------------------------------------------------


def summary_of(directory: Path) -> dict:
    return json.loads((directory / "summary.json").read_text())


def test_2_a_failed_write_keeps_the_previous_result_whole(tmp_path, capsys, monkeypatch):
    out = tmp_path / "k"
    code, _, err = nansei(capsys, "campaign", "miyako-transit", "--reps", "30", "--out", out)
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import nansei.cli.campaign as campaign_cli

    def broken_json(path, payload):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(campaign_cli, "write_json", broken_json)
    code, out_text, err = nansei(
        capsys, "campaign", "miyako-transit", "--reps", "40", "--out", out, "--json"
    )
    one_line_error(code, err, "--out", "No space left", "not written")
    assert json.loads(out_text)["replications"] == 40  # the finished run is still printed
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["k"]  # no temporary left beside it


def test_2_a_new_result_replaces_the_old_one_as_a_whole(tmp_path, capsys):
    out = tmp_path / "k"
    for reps in ("30", "45"):
        code, _, err = nansei(capsys, "campaign", "miyako-transit", "--reps", reps, "--out", out)
        assert code == 0, err
    assert summary_of(out)["replications"] == 45
    assert pq.read_table(out / "replications.parquet").num_rows == 45
    assert sorted(os.listdir(tmp_path)) == ["k"]


def test_2_leftovers_of_a_killed_writer_are_swept(tmp_path):
    from nansei.io import write_text

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    leftover = tmp_path / f".summary.json.nansei-tmp-{pid}-abc.tmp"
    leftover.write_bytes(b"")
    write_text(tmp_path / "summary.json", "{}")
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]


def test_2_sigkill_mid_run_leaves_the_old_result(tmp_path):
    out = tmp_path / "k"
    first = subprocess.run(
        [
            sys.executable,
            "-m",
            "nansei",
            "campaign",
            "miyako-transit",
            "--reps",
            "30",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nansei",
            "campaign",
            "miyako-transit",
            "--reps",
            "200000",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2.5)
    proc.kill()
    proc.wait()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_2_out_refuses_a_directory_holding_other_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = nansei(capsys, "campaign", "miyako-transit", "--reps", "20", "--out", tmp_path)
    one_line_error(code, err, "--out", "notes.txt", "not a nansei result")
    assert (tmp_path / "notes.txt").read_text() == "mine"


# -- 3. the output target is checked before the run ------------------------------------------


@pytest.mark.parametrize("target", ["/proc/x", "parent-is-a-file/k", "a-file"])
def test_3_a_bad_out_fails_before_any_work(tmp_path, capsys, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parent-is-a-file").write_text("x")
    (tmp_path / "a-file").write_text("x")
    import nansei.cli.campaign as campaign_cli

    def no_run(*_args, **_kwargs):
        raise AssertionError("the campaign ran before --out was checked")

    monkeypatch.setattr(campaign_cli, "run_campaign", no_run)
    code, out, err = nansei(
        capsys, "campaign", "miyako-transit", "--reps", "200000", "--json", "--out", target
    )
    one_line_error(code, err, "--out")
    assert out == ""


def test_3_map_targets_are_checked_before_the_coverage_is_computed(capsys, monkeypatch):
    import nansei.geo as geo

    monkeypatch.setattr(geo, "compute_coverage", lambda *a, **k: pytest.fail("computed"))
    code, _, err = nansei(capsys, "coverage", "--year", "2022", "--png", "/nonexistent/x.png")
    one_line_error(code, err, "--png", "/nonexistent/x.png", "does not exist")
    assert ".tmp" not in err  # item 9: no temporary name in the message


# -- 4. tracebacks, markup, Ctrl-C ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("data", "show", "[/]"),
        ("data", "list", "--kind", "[/]"),
        ("data", "posture", "[/]"),
        ("reach", "24", "125", "--year", "[/]"),
        ("coverage", "--year", "[/]"),
        ("distance", "[/]", "1", "2", "3"),
    ],
)
def test_4_user_text_never_reaches_markup(capsys, args):
    code, _, err = nansei(capsys, *args)
    one_line_error(code, err, "[/]")


def test_4_markup_in_an_id_is_shown_as_written(capsys):
    code, _, err = nansei(capsys, "data", "show", "[red]x[/red]")
    one_line_error(code, err, "unknown id '[red]x[/red]'")


def test_4_an_internal_error_is_one_line_and_never_crashes_itself(capsys, monkeypatch):
    import nansei.cli.data as data_cli

    def bug(*_args, **_kwargs):
        raise RuntimeError("[/] went wrong")

    monkeypatch.setattr(data_cli, "show_record", bug)
    code, _, err = nansei(capsys, "data", "show", "type-055")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "[/] went wrong" in lines[0]
    assert "--debug" in lines[0]
    with pytest.raises(RuntimeError):
        run(["--debug", "data", "show", "type-055"])


@pytest.mark.parametrize("delay", [0.4, 2.5])  # during start-up imports; mid-run
def test_4_ctrl_c_at_any_point_is_one_line_and_130(tmp_path, delay):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nansei",
            "campaign",
            "miyako-transit",
            "--reps",
            "200000",
            "--out",
            str(tmp_path / "k"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    visible = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    assert visible[-1] == "interrupted", err
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []  # nothing half-written


# -- 5. internal errors for input the user controls --------------------------------------------


def test_5_replications_over_the_limit(capsys):
    code, _, err = nansei(capsys, "campaign", "miyako-transit", "--reps", "10000001")
    one_line_error(code, err, "--reps", "10000000")


def test_5_deeply_nested_yaml(tmp_path, capsys):
    path = write_scenario(tmp_path, "name: " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = nansei(capsys, "campaign", path)
    one_line_error(code, err, "nested deeper than")


@pytest.mark.parametrize("kind", ["directory", "dangling"])
def test_5_non_files_named_yaml_in_a_catalog_directory(tmp_path, capsys, kind):
    if kind == "directory":
        (tmp_path / "x.yaml").mkdir()
    else:
        (tmp_path / "x.yaml").symlink_to(tmp_path / "missing")
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2 and "Traceback" not in err
    assert "x.yaml" in err and ("directory" in err or "dangling" in err)


def test_5_rates_times_days_over_the_limit(tmp_path, capsys):
    document = scenario_doc()
    document["threat"]["groups"][0]["arrivals_per_day"] = 100
    document["days"] = 365
    code, _, err = nansei(capsys, "campaign", write_scenario(tmp_path, document))
    one_line_error(code, err, "expected group arrivals", "at most 1,000")


def test_5_salvo_count_over_the_limit(tmp_path, capsys):
    document = salvo_doc()
    document["sides"]["red"]["units"][0]["count"] = 10_000_000
    code, _, err = nansei(capsys, "salvo", write_salvo(tmp_path, document))
    one_line_error(code, err, "count", "<= 500")


# -- 6. hangs -------------------------------------------------------------------------------


def test_6_huge_composition(tmp_path, capsys):
    document = scenario_doc()
    document["threat"]["groups"][0]["composition"] = {"type-052d": 100000}
    code, _, err = nansei(capsys, "campaign", write_scenario(tmp_path, document))
    one_line_error(code, err, "composition", "<= 100")


def test_6_a_billion_shots_under_shoot_look_shoot(tmp_path, capsys):
    document = salvo_doc()
    document["sides"]["red"]["units"][0]["layers"] = {
        "point": {
            "channels": 2,
            "p_kill": 0.5,
            "shots": 1_000_000_000,
            "doctrine": "shoot-look-shoot",
        }
    }
    code, _, err = nansei(capsys, "salvo", write_salvo(tmp_path, document))
    one_line_error(code, err, "shots", "<= 10")


def test_6_a_huge_yaml_is_refused_before_parsing(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    with open(path, "w") as stream:
        for index in range(1_500_000):
            stream.write(f"k{index}: {index}\n")
    started = time.perf_counter()
    code, _, err = nansei(capsys, "campaign", str(path))
    assert time.perf_counter() - started < 5
    one_line_error(code, err, "bytes")


def test_6_a_campaign_over_the_work_limit_is_refused_with_the_numbers(tmp_path, capsys):
    document = scenario_doc()
    for group in document["threat"]["groups"]:
        group["arrivals_per_day"] = 1.0
        group["composition"] = {"type-052d": 50}
    document["days"] = 300
    code, _, err = nansei(
        capsys, "campaign", write_scenario(tmp_path, document), "--reps", "10000000"
    )
    one_line_error(code, err, "ship arrivals", "--force")


def test_6_force_skips_the_estimate():
    from nansei.workload import WorkloadError, campaign_workload, check_workload

    workload = campaign_workload([(3.0, 100)], 300, 10_000_000)
    with pytest.raises(WorkloadError):
        check_workload(workload)
    check_workload(workload, force=True)


# -- 7. silent acceptance ------------------------------------------------------------------


def test_7_duplicate_keys_in_a_scenario(tmp_path, capsys):
    text = resolve_scenario_path("miyako-transit").read_text() + "days: 5\n"
    code, _, err = nansei(capsys, "campaign", write_scenario(tmp_path, text))
    one_line_error(code, err, "duplicate key 'days'", "first on line")


def test_7_duplicate_keys_in_a_salvo_file(tmp_path, capsys):
    path = tmp_path / "m.yaml"
    path.write_text(EXAMPLE.read_text() + "seed: 3\n")
    code, _, err = nansei(capsys, "salvo", path)
    one_line_error(code, err, "duplicate key 'seed'")


def test_7_duplicate_keys_in_a_catalog_file(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("sites:\n  - {id: x, id: y}\n")
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2 and "duplicate key 'id'" in err and "line 2" in err


def test_7_the_same_set_twice(capsys):
    code, _, err = nansei(
        capsys,
        "campaign",
        "miyako-transit",
        "--reps",
        "20",
        "--set",
        "survival.p_detect=0.7",
        "--set",
        "survival.p_detect=0.6",
    )
    one_line_error(code, err, "survival.p_detect", "twice")


def test_7_an_overlay_parameter_typo_is_an_error_with_a_suggestion(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(
        "entities:\n  - id: type12-improved\n    params:\n      rnage_km: {value: 1500}\n"
    )
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2 and "rnage_km" in err and "did you mean range_km" in err


def test_7_an_overlay_may_add_a_parameter_it_declares_new(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(
        "entities:\n  - id: type12-improved\n    params:\n"
        "      speed_kn: {value: 500, low: 400, high: 600, unit: kn, sources: [nansei-assumption],"
        " basis: assumption, note: a what-if speed for the test, new: true}\n"
    )
    code, out, err = nansei(
        capsys, "--catalog", tmp_path, "data", "show", "type12-improved", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["params"]["speed_kn"]["value"] == 500


def test_7_upper_case_yaml_suffix_is_read(tmp_path, capsys):
    (tmp_path / "A.YAML").write_text(
        "entities:\n  - id: type12-improved\n    params:\n      range_km: {value: 1400}\n"
    )
    code, out, err = nansei(
        capsys, "--catalog", tmp_path, "data", "show", "type12-improved.range_km", "--json"
    )
    assert code == 0, err
    assert "1400" in out


def test_7_an_overlay_cannot_change_a_kind(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("entities:\n  - id: type12-improved\n    kind: company\n")
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2 and "cannot change 'type12-improved' from kind 'missile'" in err


@pytest.mark.parametrize(
    "change, field, fragment",
    [
        (lambda d: d.update(days=True), "days", "must be a number, got true"),
        (lambda d: d.update(days="30"), "days", "must be a number, got '30'"),
        (lambda d: d["threat"]["groups"][0].update(origin=[True, 123.5]), "origin", "two finite"),
        (lambda d: d["isr"].update(joint_hq="yes"), "joint_hq", "true or false"),
        (
            lambda d: d["threat"]["groups"][0]["composition"].update({"type-052d": True}),
            "type-052d",
            "whole number",
        ),
        (lambda d: d["doctrine"].update(salvo_size=8.0), "salvo_size", "whole number"),
        (lambda d: d.update(days=float("nan")), "days", "finite"),  # item 9: not "≤ 365"
    ],
)
def test_7_no_lax_coercion_in_scenarios(tmp_path, capsys, change, field, fragment):
    document = scenario_doc()
    change(document)
    code, _, err = nansei(capsys, "campaign", write_scenario(tmp_path, document))
    one_line_error(code, err, field, fragment)


def test_7_count_true_is_not_one_ship(tmp_path, capsys):
    document = salvo_doc()
    document["sides"]["red"]["units"][0]["count"] = True
    code, _, err = nansei(capsys, "salvo", write_salvo(tmp_path, document))
    one_line_error(code, err, "count", "whole number, got true")


@pytest.mark.parametrize(
    "args",
    [
        ("reach", "24.5", "125", "--year", "2025.0"),
        ("coverage", "--year", "2025.0", "--json"),
        ("data", "posture", "2025.0"),
        ("campaign", "miyako-transit", "--year", "2025.0"),
    ],
)
def test_7_years_are_whole_numbers_everywhere(capsys, args):
    code, _, err = nansei(capsys, *args)
    one_line_error(code, err, "2025.0")


def test_7_workers_are_bounded(capsys):
    code, _, err = nansei(capsys, "campaign", "miyako-transit", "--workers", "10000")
    one_line_error(code, err, "--workers", "4 per CPU")


# -- 8. writers ------------------------------------------------------------------------------


def test_8_a_device_is_never_replaced(capsys):
    code, _, err = nansei(capsys, "coverage", "--year", "2022", "--html", "/dev/null")
    one_line_error(code, err, "--html", "device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_8_a_symlinked_target_is_written_through(tmp_path):
    from nansei.io import write_text

    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_8_new_files_get_the_umask_mode(tmp_path, umask, mode):
    from nansei.io import output_directory, write_text

    old = os.umask(umask)
    try:
        write_text(tmp_path / "a.json", "{}")
        with output_directory(tmp_path / "k", "--out") as staging:
            write_text(staging / "summary.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "k" / "summary.json").st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == mode | (mode & 0o444) >> 2


def test_8_empty_out_is_refused(capsys):
    code, _, err = nansei(capsys, "campaign", "miyako-transit", "--out", "")
    one_line_error(code, err, "--out ''")


# -- 9. smaller --------------------------------------------------------------------------------


def test_9_one_bad_catalog_field_is_one_problem(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(
        "entities:\n  - id: type12-improved\n    params:\n      range_km: {value: abc}\n"
    )
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2
    assert "1 problem" in err and "range_km.value" in err and "must be a number" in err


def test_9_an_unknown_option_among_numbers_is_named(capsys):
    code, _, err = nansei(capsys, "distance", "--frob", "24", "125", "26", "127")
    one_line_error(code, err, "--frob")
    assert "127" not in err


def test_9_negative_numbers_still_work(capsys):
    code, out, err = nansei(capsys, "distance", "-20", "120", "-21", "121", "--json")
    assert code == 0, err
    assert json.loads(out)["distance_km"] > 100


def test_3_coverage_json_is_printed_when_a_map_cannot_be_written(tmp_path, capsys, monkeypatch):
    from nansei.geo import maps  # where the CLI draws maps (nansei.maps re-exports it)
    from nansei.io import OutputError

    def full_disk(*_args, **_kwargs):
        raise OutputError("cannot write x.json: No space left on device")

    monkeypatch.setattr(maps, "write_geojson", full_disk)
    code, out, err = nansei(
        capsys, "coverage", "--year", "2022", "--json", "--geojson", tmp_path / "x.json"
    )
    one_line_error(code, err, "No space left")
    assert json.loads(out)["year"] == 2022


def test_9_a_bad_site_or_system_adds_no_follow_on_problems(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(
        "sites:\n  - id: kengun\n    lat: abc\n"
        "entities:\n  - id: type12-original\n    params:\n      range_km: {value: nope}\n"
    )
    code, _, err = nansei(capsys, "--catalog", tmp_path, "data", "validate")
    assert code == 2 and "2 problem" in err, err
    assert "unknown" not in err


def test_fuzz_found_a_subnormal_arrival_rate(tmp_path, capsys):
    document = scenario_doc()
    document["threat"]["groups"][0]["arrivals_per_day"] = 5e-324
    code, _, err = nansei(capsys, "campaign", write_scenario(tmp_path, document), "--reps", "1")
    one_line_error(code, err, "arrivals_per_day", "use 0")
