"""Fuzzing every input a user controls: scenario, salvo and catalog files and CLI options.

The contract (issue 14): every generated input either runs or exits 2 with one line
per problem, never exit 1, a traceback or a hang (each case has a deadline), and a run's
``--json`` is finite and self-consistent (counts non-negative, out of action <= ships,
launched <= what the side carries, quantiles ordered, intervals around the mean).

Cases come from two kinds of strategy: *mutations* of a bundled, valid document (a
field set to a nasty value, removed, or joined by an unknown field), which probe the
schema's edges, and *plausible* documents drawn inside the documented ranges, which
run end to end. The examples are derandomized, so CI sees the same 2,470 cases
every time; ``NANSEI_FUZZ_RANDOM=1`` draws fresh ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nansei.campaign.scenario import check_against_catalog, parse_scenario, resolve_scenario_path
from nansei.catalog import CatalogError, default_catalog, load_catalog
from nansei.cli import run
from nansei.combat.spec import load_salvo_spec
from nansei.problems import NanseiError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "salvo"
SCENARIO = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
SALVO = yaml.safe_load((EXAMPLES / "company-vs-sag.yaml").read_text())
CASE_SECONDS = 20

BASE = settings(
    deadline=None,
    derandomize=not os.environ.get("NANSEI_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=examples)


class CaseTimedOut(BaseException):  # noqa: N818 — a BaseException so no handler swallows it
    pass


@contextlib.contextmanager
def deadline(seconds: int = CASE_SECONDS) -> Iterator[None]:
    """Fail a case that runs longer than ``seconds`` (a hang), from inside the process."""

    def expire(_signum, _frame):
        raise CaseTimedOut(f"case ran over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="nansei-fuzz-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def cli(*args: Any) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``nansei ARGS`` in this process, under a deadline."""
    out, err = io.StringIO(), io.StringIO()
    with deadline(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def assert_clean_failure(code: int, err: str) -> None:
    """Exit 2 with ``error: …`` on the first line and only ``  - problem`` lines after."""
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), err
    assert all(line.startswith("  - ") for line in lines[1:]), err


def assert_runs_or_fails_cleanly(code: int, err: str) -> bool:
    """True if it ran (exit 0), after checking a failure is a clean one."""
    if code == 0:
        return True
    assert_clean_failure(code, err)
    return False


# -- values a user might type ------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
NASTY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, 1, -1, 2, 2**31, 2**63, 10**7 + 1, 10**9, 100_000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-9, 0.05, 0.5, 1.5, 1e19, -0.0, float("nan"), float("inf")]),
    TEXT,
    st.sampled_from(["[/]", "[red]x[/red]", "30", "yes", "", "type-052d", "2025", "nan"]),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(-100, 100), st.booleans()), max_size=3),
    st.dictionaries(TEXT, st.integers(-3, 3), max_size=2),
)


def paths_of(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a document (mapping keys and list indexes), the root excluded."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found.extend(paths_of(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found.extend(paths_of(value, (*prefix, index)))
    return found


@st.composite
def mutated(draw, base: dict) -> dict:
    """``base`` with one to three fields set to a nasty value, removed or added to."""
    document = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["set", "set", "set", "delete", "extra"]))
        if action == "set":
            parent[key] = draw(NASTY)
        elif action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif action == "extra" and isinstance(
            parent.get(key) if isinstance(parent, dict) else None, dict
        ):
            parent[key][draw(TEXT) or "extra"] = draw(NASTY)
    return document


def dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# -- run checks -------------------------------------------------------------------------------


def finite_tree(value: Any) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), value
    elif isinstance(value, dict):
        for item in value.values():
            finite_tree(item)
    elif isinstance(value, list):
        for item in value:
            finite_tree(item)


def check_summary(summary: dict, upper: float | None = None) -> None:
    """A summary of a non-negative quantity: ordered quantiles, mean inside its interval."""
    values = [summary[k] for k in ("mean", "p10", "p50", "p90") if summary.get(k) is not None]
    assert all(v >= 0 for v in values), summary
    if upper is not None:
        assert all(v <= upper + 1e-9 for v in values), (summary, upper)
    if all(summary.get(k) is not None for k in ("p10", "p50", "p90")):
        assert summary["p10"] <= summary["p50"] <= summary["p90"], summary
    if summary.get("ci95") and summary.get("mean") is not None:
        low, high = summary["ci95"]
        assert low - 1e-9 <= summary["mean"] <= high + 1e-9, summary


def check_campaign_record(record: dict) -> None:
    finite_tree(record)
    metrics = record["metrics"]
    for name, summary in metrics.items():
        # (magazine_exhausted_day is not bounded by days: groups still arriving on the
        # last day are engaged until they pass, and a far origin makes that later)
        check_summary(summary, 1.0 if name == "groups_transited_fraction" else None)


def check_salvo_record(record: dict, path: str) -> None:
    finite_tree(record)
    spec = load_salvo_spec(path, default_catalog())
    carried = {
        side.name: sum(
            ship.count
            # a fractional α fires ⌊α⌋ or ⌈α⌉ missiles per salvo
            * (
                min(math.ceil(ship.missiles) * record["rounds"], ship.magazine)
                if ship.magazine is not None
                else math.ceil(ship.missiles) * record["rounds"]
            )
            for ship in side.ships
        )
        for side in spec.sides
    }
    for name, entry in record["sides"].items():
        ships = float(entry["ships"])
        if record["model"] == "hughes":
            assert 0 <= entry["out_of_action"] <= ships + 1e-9, entry
            continue
        check_summary(entry["out_of_action"], ships)
        check_summary(entry["missiles_launched"], carried[name] + 1e-9)
        for metric in ("hits_received", "missiles_flown", "missiles_aimed", "leakers"):
            if metric in entry:
                check_summary(entry[metric])
        assert entry["missiles_flown"]["mean"] <= entry["missiles_launched"]["mean"] + 1e-9
        assert entry["missiles_aimed"]["mean"] <= entry["missiles_flown"]["mean"] + 1e-9


# -- the scenario schema ------------------------------------------------------------------------


@fuzz(800)
@given(document=mutated(SCENARIO))
def test_scenario_schema_accepts_or_names_the_problem(document):
    catalog = default_catalog()
    with deadline():
        try:
            scenario = parse_scenario(dump(document), "fuzz.yaml")
            check_against_catalog(scenario, catalog, "fuzz.yaml")
        except NanseiError as error:
            assert error.problems and all(p.message for p in error.problems)
            assert "Traceback" not in str(error)


CLASSES = ["type-055", "type-052d", "type-054a", "oiler-903a"]


@st.composite
def plausible_scenario(draw) -> dict:
    document = json.loads(json.dumps(SCENARIO))
    for group in document["threat"]["groups"]:
        group["arrivals_per_day"] = draw(st.floats(0, 2))
        group["composition"] = draw(
            st.dictionaries(st.sampled_from(CLASSES), st.integers(1, 4), min_size=1, max_size=3)
        )
        group["turn_back_at"] = draw(st.none() | st.floats(0, 1))
        group["crossing"] = draw(st.floats(0, 1))
    document["days"] = draw(st.floats(0.5, 40))
    document["posture"] = {"year": draw(st.sampled_from([2022, 2025, 2026, 2027]))}
    document["isr"] = {
        "joint_hq": draw(st.booleans()),
        "cue_rate_per_h": draw(st.none() | st.floats(0, 5)),
    }
    document["doctrine"] = {
        "salvo_size": draw(st.integers(1, 24)),
        "coordination": draw(st.sampled_from(["independent", "coordinated"])),
        "max_salvos_per_group": draw(st.none() | st.integers(0, 10)),
        "reserve_missiles": draw(st.integers(0, 20)),
    }
    document["seed"] = draw(st.integers(0, 2**63 - 1))
    return document


@fuzz(120)
@given(document=plausible_scenario(), reps=st.integers(1, 25))
def test_plausible_campaigns_run_and_their_json_is_consistent(workdir, document, reps):
    path = workdir / "campaign.yaml"
    path.write_text(dump(document))
    code, out, err = cli("campaign", path, "--reps", reps, "--json")
    if assert_runs_or_fails_cleanly(code, err):
        record = json.loads(out)
        assert record["replications"] == reps
        check_campaign_record(record)


@fuzz(100)
@given(document=mutated(SCENARIO), reps=st.integers(1, 10))
def test_mutated_campaigns_run_or_fail_cleanly(workdir, document, reps):
    path = workdir / "mutated.yaml"
    path.write_text(dump(document))
    code, out, err = cli("campaign", path, "--reps", reps, "--json")
    if assert_runs_or_fails_cleanly(code, err):
        check_campaign_record(json.loads(out))


# -- the salvo schema ---------------------------------------------------------------------------


@st.composite
def plausible_unit(draw) -> dict:
    unit: dict[str, Any] = {"count": draw(st.integers(1, 6))}
    if draw(st.booleans()):
        unit["class"] = draw(st.sampled_from(CLASSES))
    else:
        unit["name"] = draw(st.sampled_from(["battery", "ddg", "frigate"]))
        unit["staying_power"] = draw(
            st.floats(0.5, 5) | st.tuples(st.integers(1, 2), st.integers(2, 4)).map(list)
        )
    unit["missiles"] = draw(st.integers(0, 16) | st.floats(0, 16))
    unit["magazine"] = draw(st.none() | st.integers(0, 32))
    if draw(st.booleans()):
        unit["interceptors"] = draw(st.floats(0, 6))
    if draw(st.booleans()):
        layer = {
            "channels": draw(st.floats(0, 8)),
            "p_kill": draw(st.floats(0, 1)),
            "shots": draw(st.integers(1, 3)),
            "doctrine": draw(st.sampled_from(["salvo", "shoot-look-shoot"])),
        }
        area = dict(layer, inventory=draw(st.none() | st.integers(0, 40)))
        unit["layers"] = {"area": area, "point": layer}
    if draw(st.booleans()):
        unit["softkill_p"] = draw(st.floats(0, 1))
    return unit


@st.composite
def plausible_salvo(draw) -> dict:
    def side() -> dict:
        return {
            "scouting": draw(st.floats(0, 1)),
            "readiness": draw(st.floats(0, 1)),
            "reliability": draw(st.floats(0, 1)),
            "p_hit": draw(st.floats(0, 1)),
            "allocation": draw(st.sampled_from(["uniform", "concentrated", "value"])),
            "units": draw(st.lists(plausible_unit(), min_size=1, max_size=3)),
        }

    return {
        "model": draw(st.sampled_from(["stochastic", "hughes"])),
        "replications": draw(st.integers(1, 100)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "rounds": draw(st.integers(1, 4)),
        "order": draw(st.sampled_from(["simultaneous", "blue", "red"])),
        "sides": {"blue": side(), "red": side()},
    }


@fuzz(300)
@given(document=plausible_salvo())
def test_plausible_salvos_run_and_their_json_is_consistent(workdir, document):
    path = workdir / "salvo.yaml"
    path.write_text(dump(document))
    code, out, err = cli("salvo", path, "--json")
    if assert_runs_or_fails_cleanly(code, err):
        check_salvo_record(json.loads(out), str(path))


@fuzz(300)
@given(document=mutated(SALVO))
def test_mutated_salvo_files_run_or_fail_cleanly(workdir, document):
    if isinstance(document.get("replications"), int) and document["replications"] > 2000:
        document["replications"] = 2000  # the schema edges, not the engine's speed
    path = workdir / "mutated-salvo.yaml"
    path.write_text(dump(document))
    code, out, err = cli("salvo", path, "--json", "--reps", 200)
    if assert_runs_or_fails_cleanly(code, err):
        check_salvo_record(json.loads(out), str(path))


# -- the catalog --------------------------------------------------------------------------------

BUNDLED = load_catalog()
ENTITY_IDS = sorted(BUNDLED.entities)


@st.composite
def overlay(draw) -> dict:
    """A user's overlay: a change to an existing entity's parameter or fields, a new
    record, or garbage in a section."""
    kind = draw(st.sampled_from(["param", "param", "entity", "site", "section", "posture"]))
    if kind == "param":
        entity = BUNDLED.entities[draw(st.sampled_from(ENTITY_IDS))]
        name = draw(st.sampled_from(sorted(entity.params)) | TEXT)
        field = draw(st.sampled_from(["value", "low", "high", "unit", "sources", "note", "new"]))
        return {"entities": [{"id": entity.id, "params": {name: {field: draw(NASTY)}}}]}
    if kind == "entity":
        entity_id = draw(st.sampled_from(ENTITY_IDS) | TEXT)
        field = draw(st.sampled_from(["kind", "name", "note", "sources", "params", "colour"]))
        return {"entities": [{"id": entity_id, field: draw(NASTY)}]}
    if kind == "site":
        site = {
            "id": draw(TEXT) or "s",
            "name": "S",
            "kind": "place",
            "lat": 25,
            "lon": 125,
            "sources": ["gazetteer"],
        }
        site[draw(st.sampled_from(sorted(site)))] = draw(NASTY)
        return {"sites": [site]}
    if kind == "posture":
        return {"postures": [{"year": draw(NASTY), "label": "x", "units": draw(NASTY)}]}
    return {
        draw(st.sampled_from(["entities", "sites", "gates", "budget_series", "x"])): draw(NASTY)
    }


@fuzz(450)
@given(document=overlay(), suffix=st.sampled_from([".yaml", ".YAML", ".yml"]))
def test_catalog_overlays_load_or_name_every_problem(workdir, document, suffix):
    layer = workdir / "overlay"
    shutil.rmtree(layer, ignore_errors=True)
    layer.mkdir()
    (layer / f"a{suffix}").write_text(dump(document))
    with deadline():
        try:
            load_catalog(layer)
        except CatalogError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.message and "\n" not in str(problem)


# -- command-line options -----------------------------------------------------------------------

OPTION_VALUE = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "1",
            "3",
            "2025",
            "2025.0",
            "10000001",
            "1e3",
            "nan",
            "inf",
            "",
            "[/]",
            "[red]x[/red]",
            "--json",
            "x" * 50,
        ]
    ),
    st.integers(-5, 40).map(str),
    TEXT,
)


@st.composite
def command_line(draw, workdir: Path) -> list[str]:
    command = draw(
        st.sampled_from(
            [
                "campaign",
                "compare",
                "salvo",
                "show",
                "list",
                "posture",
                "reach",
                "distance",
                "coverage",
            ]
        )
    )
    value = lambda: draw(OPTION_VALUE)  # noqa: E731
    if command in ("campaign", "compare"):
        args = [command, draw(st.sampled_from(["miyako-transit", "yonaguni-gap", "nope"]) | TEXT)]
        reps = draw(st.integers(1, 15).map(str) | OPTION_VALUE)
        args += ["--reps", reps] + (["--json"] if draw(st.booleans()) else [])
        if draw(st.booleans()):
            args += ["--seed", value()]
        if command == "campaign" and draw(st.booleans()):
            args += ["--year", draw(st.sampled_from(["2022", "2026"]) | OPTION_VALUE)]
        if command == "compare":
            args += ["--years", draw(st.sampled_from(["2022,2025", "2025,,2027"]) | OPTION_VALUE)]
        if draw(st.booleans()):
            name = draw(
                st.sampled_from(["survival.p_detect", "type-055.staying_power_hits"]) | TEXT
            )
            args += ["--set", f"{name}={value()}"]
        if draw(st.booleans()):
            args += ["--workers", draw(st.sampled_from(["0", "1", "9999", "x"]))]
        if draw(st.booleans()):
            target = draw(st.sampled_from(["out", "", "/proc/x", "/dev/null", "file"]))
            args += ["--out", str(workdir / target) if target in ("out", "file") else target]
        return args
    if command == "salvo":
        args = [
            "salvo",
            str(EXAMPLES / draw(st.sampled_from(["company-vs-sag.yaml", "hughes-example.yaml"]))),
        ]
        args += ["--reps", draw(st.integers(1, 300).map(str) | OPTION_VALUE)]
        args += ["--json"] if draw(st.booleans()) else []  # tables print user text too
        for option in ("--seed", "--rounds", "--model"):
            if draw(st.booleans()):
                args += [
                    option,
                    draw(st.sampled_from(["1", "2", "hughes", "stochastic"]) | OPTION_VALUE),
                ]
        return args
    if command in ("show", "list", "posture"):
        args = ["data", command]
        if command == "list":
            return args + ["--kind", value(), "--json"]
        shown = draw(st.sampled_from(["type-055", "2025"]) | OPTION_VALUE)
        return args + [shown] + (["--json"] if draw(st.booleans()) else [])
    if command in ("reach", "distance"):
        count = 2 if command == "reach" else 4
        numbers = [draw(st.floats(-200, 200).map(str) | OPTION_VALUE) for _ in range(count)]
        args = [command, *numbers, "--json"]
        if command == "reach":
            args += ["--year", draw(st.sampled_from(["2025"]) | OPTION_VALUE)]
        return args
    # coverage is slow to compute: fuzz its option checking, not the geometry
    year = draw(OPTION_VALUE.filter(lambda y: y.strip() not in ("2022", "2025", "2026", "2027")))
    return ["coverage", "--year", year, "--json"]


@pytest.fixture(scope="module")
def file_in_workdir(workdir: Path) -> Path:
    (workdir / "file").write_text("not a directory")
    return workdir


@fuzz(400)
@given(data=st.data())
def test_command_lines_run_or_fail_in_one_line(file_in_workdir, data):
    args = data.draw(command_line(file_in_workdir))
    code, out, err = cli(*args)
    if assert_runs_or_fails_cleanly(code, err) and "--json" in args:
        finite_tree(json.loads(out))
