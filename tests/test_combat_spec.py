"""Salvo files (nansei.combat.spec): schema, catalog classes, overrides, every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nansei.catalog import default_catalog
from nansei.combat.forces import Layer, ShipType, Side, ship_type_from_class
from nansei.combat.spec import (
    SalvoSpec,
    SalvoSpecError,
    load_salvo_spec,
    parse_salvo_spec,
    salvo_spec_from_mapping,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "salvo"

BASE = {
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
    }
}


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


def doc(**changes):
    document = yaml.safe_load(yaml.safe_dump(BASE))
    document.update(changes)
    return document


def problems_of(document, catalog) -> dict[str, str]:
    with pytest.raises(SalvoSpecError) as info:
        salvo_spec_from_mapping(document, catalog, "test.yaml")
    assert isinstance(info.value, ValueError)
    return {problem.path: problem.message for problem in info.value.problems}


# -- what a file gives -------------------------------------------------------------------


def test_defaults_and_named_units(catalog):
    spec = salvo_spec_from_mapping(doc(), catalog)
    assert isinstance(spec, SalvoSpec)
    assert (spec.model, spec.replications, spec.seed, spec.rounds, spec.order) == (
        "stochastic",
        10_000,
        0,
        1,
        "simultaneous",
    )
    blue, red = spec.sides
    assert isinstance(blue, Side) and (blue.name, red.name) == ("blue", "red")
    assert (blue.scouting, blue.readiness, blue.reliability, blue.p_hit) == (1, 1, 1, 1)
    assert blue.allocation == "uniform" and red.scouting == 0.5
    assert blue.ships == (
        ShipType(name="ddg", count=2, missiles=4.0, interceptors=4.0, staying_power=1.0),
    )
    fac = red.ships[0]
    assert (fac.count, fac.missiles, fac.interceptors, fac.magazine) == (5, 8.0, 0.0, None)
    assert not fac.layers_given and fac.value == 1.0


def test_spec_is_frozen(catalog):
    spec = salvo_spec_from_mapping(doc(), catalog)
    with pytest.raises(AttributeError):
        spec.seed = 3  # type: ignore[misc]


def test_run_settings_are_read(catalog):
    spec = salvo_spec_from_mapping(
        doc(model="hughes", replications=123, seed=7, rounds=4, order="red"), catalog
    )
    assert (spec.model, spec.replications, spec.seed, spec.rounds, spec.order) == (
        "hughes",
        123,
        7,
        4,
        "red",
    )


def test_catalog_class_fields_are_applied(catalog):
    document = doc()
    document["sides"]["red"]["units"] = [{"class": "type-055", "count": 2}]
    unit = salvo_spec_from_mapping(document, catalog).sides[1].ships[0]
    assert unit == ship_type_from_class(catalog, "type-055", 2)
    assert unit.missiles == catalog.value("type-055.anti_ship_missiles")
    value = catalog.value
    assert unit.b3 == pytest.approx(  # Hughes' b3 derived from the catalog's layers
        value("type-055.area_channels") * value("type-055.area_p_kill")
        + value("type-055.point_channels") * value("type-055.point_p_kill")
    )
    assert unit.staying_power == catalog.value("type-055.staying_power_hits")
    assert unit.area.inventory == catalog.value("type-055.interceptors")
    assert unit.layers_given and unit.class_id == "type-055"


def test_catalog_class_fields_are_overridable(catalog):
    document = doc()
    document["sides"]["red"]["units"] = [
        {
            "class": "type-052d",
            "name": "luyang",
            "count": 1,
            "missiles": 0,
            "staying_power": [1, 3],
            "value": 4,
            "softkill_p": 0.3,
            "magazine": None,
        },
        {"class": "type-054a", "layers": {"point": {"channels": 1, "p_kill": 0.9, "shots": 2}}},
    ]
    first, second = salvo_spec_from_mapping(document, catalog).sides[1].ships
    assert first.name == "luyang" and first.class_id == "type-052d"
    assert (first.missiles, first.value, first.softkill_p) == (0, 4, 0.3)
    assert first.staying_power_range == (1, 3) and first.mean_staying_power == 2
    assert first.magazine is None  # null given: unlimited
    catalog_052d = ship_type_from_class(catalog, "type-052d")
    assert (first.area, first.point) == (catalog_052d.area, catalog_052d.point)
    # count defaults to 1; giving layers replaces the catalog's (no area layer left)
    assert second.count == 1 and second.area is None and second.layers_given
    assert second.point == Layer(channels=1, p_kill=0.9, shots=2)


def test_magazine_not_given_keeps_the_catalog_value(catalog):
    document = doc()
    document["sides"]["red"]["units"] = [{"class": "type-055", "missiles": 0}]
    unit = salvo_spec_from_mapping(document, catalog).sides[1].ships[0]
    assert unit.missiles == 0 and unit.magazine == 16


def test_named_unit_layers(catalog):
    document = doc()
    del document["sides"]["blue"]["units"][0]["interceptors"]  # b3 comes from the layers
    document["sides"]["blue"]["units"][0]["layers"] = {
        "area": {"channels": 3, "p_kill": 0.6, "inventory": 20, "doctrine": "shoot-look-shoot"},
        "point": {"channels": 2, "p_kill": 0.5},
    }
    unit = salvo_spec_from_mapping(document, catalog).sides[0].ships[0]
    assert unit.layers_given
    assert unit.area == Layer(channels=3, p_kill=0.6, inventory=20, doctrine="shoot-look-shoot")
    assert unit.point_layer == Layer(channels=2, p_kill=0.5)


def test_interceptors_only_defend_with_hughes_point_layer(catalog):
    unit = salvo_spec_from_mapping(doc(), catalog).sides[0].ships[0]
    assert not unit.layers_given
    assert unit.point_layer == Layer(channels=4.0, p_kill=1.0, shots=1)


def test_with_run_overrides_and_checks(catalog):
    spec = salvo_spec_from_mapping(doc(), catalog)
    changed = spec.with_run(model="hughes", replications=5, seed=9, rounds=3)
    assert (changed.model, changed.replications, changed.seed, changed.rounds) == (
        "hughes",
        5,
        9,
        3,
    )
    assert changed.sides == spec.sides
    assert spec.with_run() == spec
    with pytest.raises(SalvoSpecError) as info:
        spec.with_run(replications=0, rounds=1001, seed=-1, model="lanchester")
    assert {p.path for p in info.value.problems} == {"replications", "rounds", "seed", "model"}


@pytest.mark.parametrize("name", ["company-vs-sag.yaml", "hughes-example.yaml"])
def test_examples_load(name, catalog):
    spec = load_salvo_spec(EXAMPLES / name, catalog)
    assert len(spec.sides) == 2 and spec.sides[0].ship_count > 0


def test_company_vs_sag_example_numbers(catalog):
    spec = load_salvo_spec(EXAMPLES / "company-vs-sag.yaml", catalog)
    blue, red = spec.sides
    battery = blue.ships[0]
    assert (battery.name, battery.count, battery.missiles, battery.magazine) == (
        "type12-battery",
        4,
        6,
        6,
    )
    assert blue.reliability == catalog.value("type12-improved.reliability")
    assert blue.p_hit == catalog.value("type12-improved.p_hit")
    assert blue.scouting == catalog.value("engagement.scouting_sigma")
    assert red.readiness == catalog.value("engagement.readiness_tau")
    assert [(s.class_id, s.count, s.missiles) for s in red.ships] == [
        ("type-055", 1, 0),
        ("type-052d", 2, 0),
        ("type-054a", 1, 0),
    ]


def test_hughes_example_is_the_documented_one(catalog):
    spec = load_salvo_spec(EXAMPLES / "hughes-example.yaml", catalog)
    assert spec.model == "hughes"
    blue, red = spec.sides
    assert blue.ships[0].count == 2 and red.scouting == 0.5
    assert [s.name for s in red.ships] == ["type-055", "fac"]


# -- problems ---------------------------------------------------------------------------


def test_negative_count(catalog):
    document = doc()
    document["sides"]["red"]["units"][0]["count"] = -1
    problems = problems_of(document, catalog)
    assert list(problems) == ["sides.red.units[0].count"]
    assert "must be >= 1, got -1" in problems["sides.red.units[0].count"]


@pytest.mark.parametrize("field", ["scouting", "readiness", "reliability", "p_hit"])
def test_side_probability_out_of_range(field, catalog):
    document = doc()
    document["sides"]["blue"][field] = 1.2
    problems = problems_of(document, catalog)
    assert "[0, 1]" in problems[f"sides.blue.{field}"]


def test_unit_and_layer_probabilities(catalog):
    document = doc()
    document["sides"]["blue"]["units"][0].update(
        softkill_p=-0.1, layers={"area": {"channels": 1, "p_kill": 1.5}}
    )
    problems = problems_of(document, catalog)
    assert set(problems) == {
        "sides.blue.units[0].softkill_p",
        "sides.blue.units[0].layers.area.p_kill",
    }


def test_unknown_class_suggests_closest(catalog):
    document = doc()
    document["sides"]["red"]["units"].append({"class": "type-05", "count": 1})
    problems = problems_of(document, catalog)
    message = problems["sides.red.units[1].class"]
    assert "unknown ship class 'type-05'" in message and "type-055" in message


def test_a_catalog_id_that_is_not_a_ship_class(catalog):
    document = doc()
    document["sides"]["red"]["units"].append({"class": "type12-improved"})
    assert "sides.red.units[1].class" in problems_of(document, catalog)


def test_unknown_allocation_and_doctrine(catalog):
    document = doc()
    document["sides"]["blue"]["allocation"] = "focused"
    document["sides"]["blue"]["units"][0]["layers"] = {
        "point": {"channels": 1, "p_kill": 0.5, "doctrine": "shoot-shoot-look"}
    }
    problems = problems_of(document, catalog)
    assert "uniform, concentrated, value" in problems["sides.blue.allocation"]
    assert "shoot-look-shoot" in problems["sides.blue.units[0].layers.point.doctrine"]


@pytest.mark.parametrize("units", [[], None])
def test_side_without_ships(units, catalog):
    document = doc()
    if units is None:
        del document["sides"]["red"]["units"]
    else:
        document["sides"]["red"]["units"] = units
    assert "sides.red.units" in problems_of(document, catalog)


def test_unit_zero_count(catalog):
    document = doc()
    document["sides"]["red"]["units"][0]["count"] = 0
    assert "sides.red.units[0].count" in problems_of(document, catalog)


@pytest.mark.parametrize("names", [["blue"], ["blue", "red", "green"]])
def test_not_exactly_two_sides(names, catalog):
    document = doc()
    document["sides"] = {name: BASE["sides"]["red"] for name in names}
    problems = problems_of(document, catalog)
    assert "exactly two sides" in problems["sides"]


def test_order_must_be_simultaneous_or_a_side(catalog):
    problems = problems_of(doc(order="green"), catalog)
    assert "simultaneous" in problems["order"] and "blue, red" in problems["order"]
    spec = salvo_spec_from_mapping(doc(order="blue"), catalog)
    assert spec.order == "blue"


def test_unit_needs_class_or_name(catalog):
    document = doc()
    document["sides"]["red"]["units"][0] = {"count": 2, "missiles": 1}
    assert "class" in problems_of(document, catalog)["sides.red.units[0]"]


@pytest.mark.parametrize(
    "value, fragment",
    [(0, "> 0"), (-1, "> 0"), ([2, 1], "lo <= hi"), ([1, 2.5], "whole"), ([1], "[lo, hi]")],
)
def test_staying_power(value, fragment, catalog):
    document = doc()
    document["sides"]["red"]["units"][0]["staying_power"] = value
    assert fragment in problems_of(document, catalog)["sides.red.units[0].staying_power"]


def test_run_setting_ranges_and_unknown_fields(catalog):
    problems = problems_of(
        doc(model="lanchester", replications=0, seed=-1, rounds=1001, extra=1), catalog
    )
    assert set(problems) == {"model", "replications", "seed", "rounds", "extra"}
    assert problems["extra"] == "unknown field"


def test_every_problem_is_reported_at_once(catalog):
    document = doc(order="nobody", seed=-3)
    document["sides"]["blue"]["units"][0]["missiles"] = -1
    document["sides"]["red"]["reliability"] = 2
    with pytest.raises(SalvoSpecError) as info:
        salvo_spec_from_mapping(document, catalog, "test.yaml")
    text = str(info.value)
    assert text.startswith("salvo file test.yaml: 4 problems")
    for path in ("order", "seed", "sides.blue.units[0].missiles", "sides.red.reliability"):
        assert f"  - {path}: " in text


def test_side_names_are_kept_in_paths(catalog):
    """A side called ``strike`` must not lose its name from the path."""
    document = doc()
    document["sides"] = {"strike": document["sides"]["blue"], "red": document["sides"]["red"]}
    document["sides"]["strike"]["units"][0]["count"] = -2
    assert "sides.strike.units[0].count" in problems_of(document, catalog)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("- 1\n- 2\n", "mapping"),
        ("", "mapping"),
        ("sides: {blue: [1, 2\n", "not valid YAML"),
        ("just a string", "mapping"),
    ],
)
def test_not_a_mapping_or_not_yaml(text, fragment, catalog):
    with pytest.raises(SalvoSpecError) as info:
        parse_salvo_spec(text, "x.yaml", catalog)
    assert fragment in str(info.value) and str(info.value).startswith("salvo file x.yaml")


def test_missing_file(tmp_path):
    with pytest.raises(SalvoSpecError) as info:
        load_salvo_spec(tmp_path / "nope.yaml")
    assert "no such file" in str(info.value)


def test_infinite_numbers_are_rejected(catalog):
    document = doc()
    document["sides"]["blue"]["units"][0]["missiles"] = float("inf")
    assert "finite" in problems_of(document, catalog)["sides.blue.units[0].missiles"]
