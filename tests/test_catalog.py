"""The bundled catalog and every validation rule (each with a failing fixture)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nansei.catalog import CatalogError, UnknownIdError, load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, name: str, text: str) -> list[str]:
    write(tmp_path, name, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    return [str(p) for p in info.value.problems]


# -- the bundled catalog -------------------------------------------------------


def test_bundled_catalog_validates_with_enough_sourced_parameters(catalog):
    params = list(catalog.iter_params())
    assert len(params) >= 40
    assert all(len(p.sources) >= 1 for _, p in params)
    assert all(p.low <= p.value <= p.high for _, p in params)


def test_every_publication_is_findable_and_every_parameter_states_its_basis(catalog):
    for source in catalog.sources.values():
        assert source.evidence_problems() == [], source.id
        if source.kind == "publication":
            assert source.url or source.identifier
    for param_id, param in catalog.iter_params():
        kinds = {catalog.sources[s].kind for s in param.sources}
        if param.basis == "sourced":
            assert "publication" in kinds, param_id
        elif param.basis == "assumption":
            assert "assumption" in kinds and param.note, param_id
        else:
            assert param.formula and all(i in catalog.param_ids() for i in param.inputs)


@pytest.mark.parametrize(
    ("param_id", "value", "source"),
    [
        ("type12-original.range_km", 200, "ap-2026-03-09"),
        ("type12-improved.range_km", 1000, "jiji-2026-03-09"),
        ("force-structure.f35a_ordered", 105, "unb-2025-08-07"),
        ("force-structure.f35b_ordered", 42, "unb-2025-08-07"),
        ("force-structure.tomahawks_ordered", 400, "jiji-2023-11-18"),
        ("force-structure.counterstrike_policy_year", 2022, "jiji-2023-11-18"),
        ("force-structure.long_range_missiles_kyushu_year", 2026, "jiji-2026-03-09"),
        ("force-structure.defence_gdp_target", 2, "nyt-2025-06-08"),
        ("force-structure.new_missile_regiments_sw_islands", 2, "nyt-2025-06-08"),
        ("force-structure.joint_hq_with_us_planned", 1, "nyt-2025-06-08"),
        ("force-structure.laser_antidrone_programmes", 1, "nyt-2025-06-08"),
        ("force-structure.fighter_partner_nations", 3, "nyt-2025-06-08"),
        ("pla-sag.transits_2024", 68, "yomiuri-2025-02-16"),
    ],
)
def test_published_facts_cite_a_source_that_states_them(catalog, param_id, value, source):
    param = catalog.param(param_id)
    assert param.value == value
    assert param.basis == "sourced"
    assert source in param.sources


@pytest.mark.parametrize(
    "param_id",
    [
        "engagement.scouting_sigma",
        "engagement.readiness_tau",
        "isr.joint_hq_cue_factor",
        "type-055.interceptors",
        "pla-sag.area_air_defence_range_km",
        "type12-improved.p_hit",
    ],
)
def test_values_no_source_states_are_assumptions_with_reasoning(catalog, param_id):
    param = catalog.param(param_id)
    assert param.basis == "assumption"
    assert param.sources == ["nansei-assumption"]
    assert len(param.note) > 30


def test_derived_values_match_their_formula(catalog):
    company = catalog.value("ssm-company.launchers") * catalog.value(
        "ssm-company.missiles_per_launcher"
    )
    assert catalog.value("ssm-company.ready_missiles") == company
    p = catalog.value("engagement.layer_p_kill_nominal")
    assert catalog.value("engagement.layered_defence_nominal") == pytest.approx(1 - (1 - p) ** 3)


def test_corrected_facts(catalog):
    assert "maritime" not in catalog.entity("tomahawk-block-v").name.lower()
    assert "nyt-2025-06-08" not in catalog.param("force-structure.f35b_ordered").sources
    assert "nyt-2025-06-08" not in catalog.param("force-structure.tomahawks_ordered").sources
    # JS Chokai is in the United States until September 2026
    assert not any(u.platform == "ship" for u in catalog.posture(2026).units)
    assert "seeds" not in catalog.posture(2025).label


def test_type12_improved_range_spans_900_to_1500_km(catalog):
    reach = catalog.range_km("type12-improved")
    assert (reach.low, reach.high) == (900, 1500)


def test_2025_posture_has_the_7th_regiment_companies(catalog):
    sites = {u.site for u in catalog.posture(2025).units}
    assert {"katsuren", "miyako", "ishigaki", "amami-setouchi"} <= sites
    katsuren = next(u for u in catalog.posture(2025).units if u.site == "katsuren")
    assert "kyodo-2024-03-30" in katsuren.sources


def test_2026_posture_has_improved_type12_at_kengun(catalog):
    assert any(
        u.system == "type12-improved" and u.site == "kengun" for u in catalog.posture(2026).units
    )
    assert not any(u.system == "type12-improved" for u in catalog.posture(2025).units)


def test_postures_cover_2022_to_2027(catalog):
    assert {2022, 2025, 2026, 2027} <= set(catalog.postures)
    assert catalog.posture(2027).status == "planned"


def test_budget_series_keep_definitions_apart(catalog):
    mod = catalog.budget_series["mod-initial"]
    assert mod.unit == "¥ trillion"
    assert [p.year for p in mod.points] == list(range(2023, 2027))
    assert mod.points[-1].value == pytest.approx(9.04)
    gdp = catalog.budget_series["sipri-gdp"]
    assert gdp.unit == "% of GDP"
    assert {s.unit for s in catalog.budget_series.values()} == {
        "¥ trillion",
        "% of GDP",
        "USD billion",
    }


def test_unknown_ids_suggest_close_matches(catalog):
    with pytest.raises(UnknownIdError) as info:
        catalog.param("type12-improved.rang_km")
    assert "type12-improved.range_km" in info.value.suggestions
    with pytest.raises(UnknownIdError):
        catalog.posture(2024)


def test_overrides_are_checked_against_the_range(catalog):
    changed = catalog.with_overrides({"type12-improved.range_km": 1500})
    assert changed.value("type12-improved.range_km") == 1500
    assert catalog.value("type12-improved.range_km") == 1000
    with pytest.raises(CatalogError, match="outside"):
        catalog.with_overrides({"type12-improved.range_km": 2000})


# -- layering ----------------------------------------------------------------


def test_overlay_changes_one_value_and_keeps_the_rest(tmp_path):
    write(
        tmp_path,
        "mine.yaml",
        """
        entities:
          - id: type12-improved
            params:
              range_km: {value: 1400}
    """,
    )
    catalog = load_catalog(tmp_path)
    reach = catalog.range_km("type12-improved")
    assert reach.value == 1400 and reach.high == 1500 and reach.unit == "km"
    assert catalog.entity("type12-improved").name.startswith("Type 12")


def test_overlay_from_environment(tmp_path, monkeypatch):
    write(
        tmp_path,
        "sites.yaml",
        """
        sites:
          - {id: test-camp, name: Test, kind: garrison, lat: 25.0, lon: 125.0, sources: [gazetteer]}
    """,
    )
    monkeypatch.setenv("NANSEI_CATALOG", str(tmp_path))
    assert "test-camp" in load_catalog().sites


# -- every validation rule has a failing fixture ---------------------------------


def test_rule_wrong_unit(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: type12-original
            params:
              range_km: {unit: miles}
    """,
    )
    assert any(
        "x.yaml" in p and "params.range_km.unit" in p and "unknown unit 'miles'" in p for p in found
    ), found


def test_rule_low_above_high(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {low: 0.9, high: 0.1, value: 0.5}
    """,
    )
    assert any(
        "entities[0].params.p_detect" in p and "low (0.9) is greater than high" in p for p in found
    ), found


def test_rule_value_outside_range(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {value: 0.95}
    """,
    )
    assert any("p_detect" in p and "outside [low, high]" in p for p in found), found


def test_rule_probability_outside_unit_interval(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {value: 1.2, low: 0.5, high: 1.5}
    """,
    )
    assert any("p_detect" in p and "probability must lie in [0, 1]" in p for p in found), found


def test_rule_non_numeric_value(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {value: lots}
    """,
    )
    assert any("params.p_detect.value" in p for p in found), found


def test_rule_unknown_source_id(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {sources: [seed-999]}
    """,
    )
    assert any(
        "params.p_detect.sources[0]" in p and "unknown source id 'seed-999'" in p for p in found
    ), found


def test_rule_missing_sources(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: new-thing
            kind: missile
            name: New
            params:
              range_km: {value: 1, low: 1, high: 1, unit: km, sources: []}
    """,
    )
    assert any("params.range_km.sources" in p for p in found), found


def test_rule_unknown_site_in_posture(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        postures:
          - year: 2030
            label: test
            units:
              - {id: u1, system: type12-original, site: katsurenn, launchers: 4,
                 missiles_per_launcher: 6, sources: [nyt-2025-06-08]}
    """,
    )
    assert any(
        "postures[0].units[0].site" in p and "unknown site 'katsurenn'" in p and "katsuren" in p
        for p in found
    ), found


def test_rule_unknown_system_in_posture(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        postures:
          - year: 2030
            label: test
            units:
              - {id: u1, system: type99, site: katsuren, launchers: 4,
                 missiles_per_launcher: 6, sources: [nyt-2025-06-08]}
    """,
    )
    assert any("units[0].system" in p and "unknown system 'type99'" in p for p in found), found


def test_rule_duplicate_ids(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        sites:
          - {id: a-camp, name: A, kind: garrison, lat: 25, lon: 125, sources: [gazetteer]}
          - {id: a-camp, name: B, kind: garrison, lat: 26, lon: 126, sources: [gazetteer]}
    """,
    )
    assert any("sites[1].id" in p and "duplicate id 'a-camp'" in p for p in found), found


def test_rule_duplicate_unit_ids_in_a_posture(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        postures:
          - year: 2030
            label: test
            units:
              - {id: u1, system: type12-original, site: katsuren, launchers: 4,
                 missiles_per_launcher: 6, sources: [nyt-2025-06-08]}
              - {id: u1, system: type12-original, site: miyako, launchers: 4,
                 missiles_per_launcher: 6, sources: [nyt-2025-06-08]}
    """,
    )
    assert any("units[1].id" in p and "duplicate unit id" in p for p in found), found


def test_rule_not_yaml(tmp_path):
    found = problems_for(tmp_path, "broken.yaml", "entities: [\n  - {id: x\n")
    assert any("broken.yaml" in p and "not valid YAML" in p for p in found), found


def test_rule_top_level_not_a_mapping(tmp_path):
    found = problems_for(tmp_path, "list.yaml", "- 1\n- 2\n")
    assert any("list.yaml" in p and "must be a mapping" in p for p in found), found


def test_rule_unknown_section(tmp_path):
    found = problems_for(tmp_path, "x.yaml", "weapons: []\n")
    assert any("x.yaml: weapons" in p and "unknown section" in p for p in found), found


def test_rule_coordinates_in_range(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        sites:
          - {id: nowhere, name: N, kind: place, lat: 95, lon: 200, sources: [gazetteer]}
        gates:
          - {id: bad-gate, name: G, points: [[24, 125], [24, 190]], sources: [gazetteer]}
    """,
    )
    assert any("sites[0].lat" in p for p in found), found
    assert any("sites[0].lon" in p for p in found), found
    assert any("gates[0].points" in p and "outside" in p for p in found), found


def test_rule_unknown_field_and_missing_field(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        sites:
          - {id: s1, name: S, kind: place, lat: 25, lon: 125, sources: [gazetteer], colour: red}
          - {id: s2, kind: place, lat: 25, lon: 125, sources: [gazetteer]}
    """,
    )
    assert any("sites[0].colour" in p and "unknown field" in p for p in found), found
    assert any("sites[1].name" in p and "required field is missing" in p for p in found), found


def test_rule_unknown_entity_kind(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - {id: e1, kind: spaceship, name: E, params: {}}
    """,
    )
    assert any("entities[0].kind" in p and "unknown kind 'spaceship'" in p for p in found), found


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems_for(
        tmp_path,
        "x.yaml",
        """
        entities:
          - id: survival
            params:
              p_detect: {unit: miles}
              dwell_h: {sources: [nope]}
        sites:
          - {id: z, name: Z, kind: place, lat: 100, lon: 0, sources: [gazetteer]}
    """,
    )
    assert len(found) >= 3


# -- evidence rules (sources, basis, overlays) ----------------------------------


def test_rule_source_without_url_or_identifier_or_full_date(tmp_path):
    found = problems_for(
        tmp_path,
        "s.yaml",
        """
        sources:
          - {id: vague, title: "Some report", publisher: "Some paper", date: "2024"}
          - {id: guess, kind: assumption, title: "A guess"}
    """,
    )
    assert any("s.yaml: sources[0].url" in p and "URL or a stable identifier" in p for p in found)
    assert any("s.yaml: sources[0].date" in p and "full date" in p for p in found), found
    assert any("s.yaml: sources[1].reasoning" in p for p in found), found


def test_rule_year_only_date_is_allowed_with_an_identifier(tmp_path):
    write(
        tmp_path,
        "s.yaml",
        """
        sources:
          - {id: paper, title: "A paper", publisher: "A journal", date: "1999",
             identifier: "Journal 1(2):3-4"}
    """,
    )
    assert "paper" in load_catalog(tmp_path).sources


def test_rule_parameter_without_basis(tmp_path):
    found = problems_for(
        tmp_path,
        "p.yaml",
        """
        entities:
          - id: survival
            params:
              new_thing: {new: true, value: 1, low: 0, high: 2, unit: h,
                          sources: [nansei-assumption]}
    """,
    )
    assert any("p.yaml: entities[0].params.new_thing.basis" in p for p in found), found


def test_rule_basis_must_be_backed(tmp_path):
    found = problems_for(
        tmp_path,
        "p.yaml",
        """
        entities:
          - id: survival
            params:
              a: {new: true, value: 1, low: 0, high: 2, unit: h, basis: sourced,
                  sources: [nansei-assumption]}
              b: {new: true, value: 1, low: 0, high: 2, unit: h, basis: assumption,
                  sources: [nansei-assumption]}
              c: {new: true, value: 1, low: 0, high: 2, unit: h, basis: derived, formula: "x * y",
                  inputs: [survival.dwell_h, survival.no_such], sources: [nansei-assumption]}
    """,
    )
    assert any("params.a.basis" in p and "publication" in p for p in found), found
    assert any("params.b.note" in p and "reasoning" in p for p in found), found
    assert any("params.c.inputs[1]" in p and "survival.no_such" in p for p in found), found


def test_rule_overlay_may_not_change_a_unit(tmp_path):
    found = problems_for(
        tmp_path,
        "u.yaml",
        """
        entities:
          - id: type12-improved
            params:
              range_km: {value: 1000, unit: h}
    """,
    )
    assert any(
        "u.yaml: entities[0].params.range_km.unit" in p and "may not change" in p for p in found
    ), found


def test_overlay_records_what_it_set_and_changes_the_digest(tmp_path, catalog):
    write(
        tmp_path,
        "mine.yaml",
        """
        entities:
          - id: type12-improved
            params:
              range_km: {value: 1500}
    """,
    )
    overlaid = load_catalog(tmp_path)
    assert overlaid.overlaid == {"type12-improved.range_km": str(tmp_path / "mine.yaml")}
    assert catalog.overlaid == {}
    assert overlaid.digest() != catalog.digest()
    assert catalog.digest() == load_catalog().digest()  # content, not identity
    assert catalog.with_overrides({"isr.cue_rate_per_h": 0.2}).digest() != catalog.digest()
