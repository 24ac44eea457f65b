"""Scenario schema, YAML loading, catalog references and the canonical hash."""

from __future__ import annotations

import copy

import pytest
import yaml

from nansei.campaign.scenario import (
    Scenario,
    ScenarioError,
    bundled_scenarios,
    check_against_catalog,
    load_scenario,
    parse_scenario,
    resolve_scenario_path,
    scenario_from_mapping,
    scenario_hash,
)
from nansei.campaign.setup import build_setup
from nansei.catalog import default_catalog

CATALOG = default_catalog()

MINIMAL = {
    "name": "t",
    "posture": {"year": 2025},
    "threat": {
        "groups": [
            {
                "id": "g",
                "composition": {"type-052d": 1},
                "arrivals_per_day": 0.5,
                "origin": [29.0, 123.5],
                "gate": "miyako-strait",
                "destination": [23.5, 129.5],
            }
        ]
    },
    "doctrine": {"salvo_size": 4},
    "days": 10,
}


def doc(**changes):
    document = copy.deepcopy(MINIMAL)
    for dotted, value in changes.items():
        target = document
        *parents, leaf = dotted.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return document


DELETE = object()


def problem_text(excinfo) -> str:
    return str(excinfo.value)


# -- bundled -----------------------------------------------------------------------------


def test_bundled_scenarios_load_and_resolve():
    names = set(bundled_scenarios())
    assert {"miyako-transit", "east-china-sea-approach", "yonaguni-gap"} <= names
    for name in names:
        scenario = load_scenario(name)
        check_against_catalog(scenario, CATALOG, name)
        assert scenario.name == name
        assert scenario.days == 30


def test_bundled_name_with_or_without_suffix():
    assert resolve_scenario_path("miyako-transit") == resolve_scenario_path("miyako-transit.yaml")


def test_unknown_scenario_name_suggests():
    with pytest.raises(ScenarioError, match="did you mean miyako-transit"):
        resolve_scenario_path("miyako-transt")


def test_a_file_path_wins(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(MINIMAL))
    assert load_scenario(path).name == "t"
    assert load_scenario(str(path)).doctrine.salvo_size == 4


# -- defaults ----------------------------------------------------------------------------


def test_defaults():
    scenario = scenario_from_mapping(MINIMAL)
    assert scenario.isr.cue_rate_per_h is None and scenario.isr.joint_hq is False
    assert scenario.doctrine.coordination == "independent"
    assert scenario.doctrine.max_salvos_per_group is None
    assert scenario.threat.groups[0].crossing == 0.5
    assert scenario.threat.groups[0].speed_kn is None


# -- bad input: one message per problem, each naming its field path --------------------


def test_not_yaml():
    with pytest.raises(ScenarioError, match="not valid YAML"):
        parse_scenario("name: [unclosed", "x.yaml")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", ""])
def test_not_a_mapping(text):
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        parse_scenario(text, "x.yaml")


def test_missing_required_field_names_its_path():
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(threat__groups__0__gate=DELETE))
    assert "threat.groups[0].gate: required field is missing" in problem_text(excinfo)


def test_missing_top_level_field():
    with pytest.raises(ScenarioError, match="doctrine: required field is missing"):
        scenario_from_mapping(doc(doctrine=DELETE))


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"threat__groups__0__turn_back_at": 2}, "threat.groups[0].turn_back_at"),
        ({"threat__groups__0__crossing": -1}, "threat.groups[0].crossing"),
    ],
)
def test_probability_outside_unit_interval(changes, path):
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(**changes))
    text = problem_text(excinfo)
    assert f"{path}: must be a probability in [0, 1]" in text


def test_unknown_field_and_wrong_types():
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(dayz=3, doctrine={"salvo_size": "many"}))
    text = problem_text(excinfo)
    assert "dayz: unknown field" in text
    assert "doctrine.salvo_size" in text


def test_bad_place():
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(threat__groups__0__origin=[95, 0]))
    assert "threat.groups[0].origin" in problem_text(excinfo)
    assert "outside lat" in problem_text(excinfo)


def test_year_or_units_not_both():
    units = [
        {"id": "u", "system": "type12-original", "site": "miyako", "launchers": 4,
         "missiles_per_launcher": 6}
    ]  # fmt: skip
    with pytest.raises(ScenarioError, match="exactly one of year"):
        scenario_from_mapping(doc(posture={"year": 2025, "units": units}))
    scenario = scenario_from_mapping(doc(posture={"units": units}))
    check_against_catalog(scenario, CATALOG)


def test_duplicate_group_ids():
    document = doc()
    document["threat"]["groups"].append(copy.deepcopy(document["threat"]["groups"][0]))
    with pytest.raises(ScenarioError, match="duplicate group id"):
        scenario_from_mapping(document)


# -- references into the catalog ----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"posture": {"year": 2023}}, "posture.year: unknown posture year 2023"),
        ({"threat__groups__0__gate": "miyako"}, "threat.groups[0].gate: unknown gate 'miyako'"),
        (
            {"threat__groups__0__composition": {"type-05": 1}},
            "threat.groups[0].composition.type-05: unknown ship class 'type-05'; did you mean",
        ),
        ({"threat__groups__0__origin": "zhoushn"}, "did you mean zhoushan"),
        (
            {"overrides": {"survival.p_detct": 0.5}},
            "overrides.survival.p_detct: unknown catalog parameter; did you mean survival.p_detect",
        ),
        ({"overrides": {"survival.p_detect": 0.99}}, "overrides.survival.p_detect: value 0.99"),
    ],
)
def test_catalog_reference_problems(changes, expected):
    scenario = scenario_from_mapping(doc(**changes))
    with pytest.raises(ScenarioError) as excinfo:
        check_against_catalog(scenario, CATALOG, "x.yaml")
    assert expected in problem_text(excinfo)
    assert problem_text(excinfo).startswith("scenario x.yaml")


def test_explicit_unit_with_a_non_missile_system():
    units = [{"id": "u", "system": "type-055", "site": "miyako", "launchers": 1,
              "missiles_per_launcher": 1}]  # fmt: skip
    with pytest.raises(ScenarioError, match=r"posture.units\[0\].system"):
        check_against_catalog(scenario_from_mapping(doc(posture={"units": units})), CATALOG)


def test_overrides_are_applied():
    scenario = scenario_from_mapping(doc(overrides={"type12-original.p_hit": 0.7}))
    assert check_against_catalog(scenario, CATALOG) == {"type12-original.p_hit": 0.7}
    setup = build_setup(scenario, CATALOG)
    assert setup.params["type12-original.p_hit"] == 0.7
    assert {system.id: system.p_hit for system in setup.systems}["type12-original"] == 0.7
    assert CATALOG.value("type12-original.p_hit") == 0.8  # the bundled catalog is untouched


# -- hash ---------------------------------------------------------------------------------


def test_hash_is_canonical():
    scenario = scenario_from_mapping(MINIMAL)
    # Key order in the file, int vs float spellings and run settings do not matter ...
    shuffled = dict(reversed(list(copy.deepcopy(MINIMAL).items())))
    shuffled["days"] = 10.0
    assert scenario_hash(scenario_from_mapping(shuffled)) == scenario_hash(scenario)
    assert scenario_hash(scenario.with_run(replications=7, seed=3)) == scenario_hash(scenario)
    # ... but every modelled field does.
    assert scenario_hash(scenario.with_year(2026)) != scenario_hash(scenario)
    assert scenario_hash(scenario_from_mapping(doc(days=11))) != scenario_hash(scenario)
    assert scenario_hash(scenario.with_overrides({"isr.cue_rate_per_h": 0.5})) != scenario_hash(
        scenario
    )
    assert len(scenario_hash(scenario)) == 64


def test_with_helpers():
    scenario = scenario_from_mapping(MINIMAL)
    assert scenario.with_year(2027).posture.year == 2027
    assert scenario.with_overrides({"a.b": 1.0}).overrides == {"a.b": 1.0}
    with pytest.raises(ScenarioError):
        scenario_from_mapping({**scenario.model_dump(), "replications": 0})
    assert isinstance(scenario.with_run(replications=5), Scenario)


@pytest.mark.parametrize(
    ("changes", "path", "advice"),
    [
        ({"time_step_h": 3}, "time_step_h", "continuous time"),
        ({"isr": {"p_cue": 0.3}}, "isr.p_cue", "isr.cue_rate_per_h"),
    ],
)
def test_retired_fields_say_what_replaced_them(changes, path, advice):
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(**changes))
    text = problem_text(excinfo)
    assert path in text and advice in text


@pytest.mark.parametrize("rate", [-0.1, 101])
def test_cue_rate_out_of_range(rate):
    with pytest.raises(ScenarioError) as excinfo:
        scenario_from_mapping(doc(isr={"cue_rate_per_h": rate}))
    assert "isr.cue_rate_per_h" in problem_text(excinfo)
