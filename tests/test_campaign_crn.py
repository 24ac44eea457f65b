"""Common random numbers and "every parameter live".

Random streams depend only on the seed, the purpose and the thing drawn for, never on
parameter values or the posture year; so a setting equal to the catalog value changes
nothing at all, every posture year sees the same arrivals, and the difference between
two settings has far less variance than with independent streams. And every parameter
a campaign accepts as an override moves at least one per-replication column when it
goes from its ``low`` to its ``high`` — or is refused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nansei.campaign import compare_postures, run_campaign
from nansei.campaign.scenario import ScenarioError, load_scenario, scenario_from_mapping
from nansei.catalog import default_catalog

CATALOG = default_catalog()


def test_setting_the_catalog_value_changes_nothing():
    scenario = load_scenario("miyako-transit")
    plain = run_campaign(scenario, CATALOG, year=2026, replications=1500)
    # (2026 has no Tomahawk ship: JS Chokai is in the United States until September 2026)
    value = CATALOG.value("type12-original.p_hit")
    same = run_campaign(
        scenario, CATALOG, year=2026, replications=1500,
        overrides={"type12-original.p_hit": value},
    )  # fmt: skip
    assert json.dumps(same.metrics()) == json.dumps(plain.metrics())
    assert same.setup.scenario_hash != "" and same.setup.params == plain.setup.params


def test_every_year_sees_the_same_arrivals():
    runs = compare_postures(
        load_scenario("east-china-sea-approach"), CATALOG, [2022, 2025, 2026, 2027],
        replications=800,
    )  # fmt: skip
    arrived = [run.columns["groups_arrived"] for run in runs.values()]
    for other in arrived[1:]:
        np.testing.assert_array_equal(arrived[0], other)


def test_a_unit_out_of_reach_changes_nothing():
    # Fuji's HVGP (2026) does not reach the Miyako track: its missile's factors are read
    # (the unit is in the posture) but cannot move any replication.
    scenario = load_scenario("miyako-transit")
    param = CATALOG.param("hvgp-block1.p_hit")
    low, high = (
        run_campaign(
            scenario,
            CATALOG,
            year=2026,
            replications=1000,
            overrides={"hvgp-block1.p_hit": bound},
        )  # fmt: skip
        for bound in (param.low, param.high)
    )
    assert "fuji-hvgp" not in low.units_engaged()
    for name, column in low.columns.items():
        np.testing.assert_array_equal(column, high.columns[name])


def test_common_numbers_shrink_the_variance_of_a_difference():
    # The difference between two p_hit settings, replication by replication: with the
    # same streams it varies far less than with independent streams (different seeds).
    scenario = load_scenario("miyako-transit")
    reps = 3000

    def out(p_hit, seed):
        run = run_campaign(
            scenario, CATALOG, year=2025, replications=reps, seed=seed,
            overrides={"type12-original.p_hit": p_hit},
        )  # fmt: skip
        return run.columns["red_ships_out_of_action"].astype(float)

    base = out(0.7, 1)
    common = out(0.8, 1) - base
    independent = out(0.8, 2) - base
    factor = independent.var() / common.var()
    assert factor > 3, factor  # measured about 5-6 (docs/campaign.md)
    # The mean difference agrees either way (both are unbiased).
    se = np.sqrt(common.var() / reps + independent.var() / reps)
    assert abs(common.mean() - independent.mean()) < 5 * se


# -- every parameter live ---------------------------------------------------------------

#: A scenario where every missile system of the catalog has a unit in reach of a group
#: (the long-range ones placed so that the track lies between their low and high ranges)
#: holding every ship class, cued often and firing enough to empty the group's area
#: magazines, so that each parameter can show its effect.
EVERYTHING = {
    "name": "every-parameter",
    "posture": {
        "units": [
            {"id": "t12", "system": "type12-original", "site": "miyako", "launchers": 16,
             "missiles_per_launcher": 6, "reload_stock": 192},
            {"id": "t12i", "system": "type12-improved", "site": "kengun", "launchers": 2,
             "missiles_per_launcher": 6, "reload_stock": 12, "platform": "fixed"},
            {"id": "tla4", "system": "tomahawk-block-iv", "site": "fuji",
             "launchers": 1, "missiles_per_launcher": 8, "platform": "ship"},
            {"id": "tla5", "system": "tomahawk-block-v", "site": "fuji",
             "launchers": 1, "missiles_per_launcher": 8, "platform": "ship"},
            {"id": "hvgp", "system": "hvgp-block1", "site": "katsuren", "launchers": 2,
             "missiles_per_launcher": 2, "reload_stock": 4},
        ]
    },
    "threat": {
        "groups": [
            {"id": "all", "composition": {"type-055": 1, "type-052d": 1, "type-054a": 1,
                                          "oiler-903a": 1},
             "arrivals_per_day": 0.5, "origin": [29.0, 123.5], "gate": "miyako-strait",
             "destination": [23.5, 129.5]},
        ]
    },
    "isr": {"cue_rate_per_h": 1.0},
    "doctrine": {"salvo_size": 12, "coordination": "independent"},
    "days": 10,
    "replications": 300,
    "seed": 3,
}  # fmt: skip


def _company_scenario():
    """The same threat against the 2025 posture, whose units are built from companies."""
    document = json.loads(json.dumps(EVERYTHING))
    document["posture"] = {"year": 2025}
    return scenario_from_mapping(document)


def _hard_target_scenario():
    """Every system at its lowest p_hit against the toughest ships: the group lives long
    enough to empty its area magazines (the interceptor parameters need that)."""
    document = json.loads(json.dumps(EVERYTHING))
    overrides = {}
    for entity_id, entity in CATALOG.entities.items():
        if entity.kind == "missile" and "p_hit" in entity.params:
            overrides[f"{entity_id}.p_hit"] = entity.params["p_hit"].low
        if (
            entity.kind == "ship-class"
            and entity_id in document["threat"]["groups"][0]["composition"]
        ):
            overrides[f"{entity_id}.staying_power_hits"] = entity.params["staying_power_hits"].high
    document["overrides"] = overrides
    return scenario_from_mapping(document)


def _active_red_scenario():
    """Red fights back: counter-force strikes on the sites (Chu-SAM at Miyako, PAC-3 at
    Katsuren defend them), weapon-specific engagement, and a ship that sails to a firing
    station and is hunted there — so the parameters only active red reads are walked too."""
    document = json.loads(json.dumps(EVERYTHING))
    document["posture"]["units"][1]["platform"] = "truck"  # survives the first wave
    document["red"] = {"counterforce": True, "warning_h": 6,
                       "maritime_strike": ["tomahawk-block-v"]}  # fmt: skip
    document["stations"] = [{"unit": "tla5", "position": [27.0, 127.0]}]
    # Small seekers make the missiles' flight time matter (a large one finds the group
    # however far it has moved), and a small counter-force share makes red's inventory
    # run out within the campaign (so the inventory's size shows).
    overrides = {"red-counterforce.counterforce_share": 0.02}
    for entity_id, entity in CATALOG.entities.items():
        if entity.kind == "missile" and entity.params.get("seeker_area_km2"):
            seeker = entity.params["seeker_area_km2"]
            if seeker.low > 0:
                overrides[f"{entity_id}.seeker_area_km2"] = seeker.low
    document["overrides"] = overrides
    return scenario_from_mapping(document)


def _attrition_scenario():
    """Active red at its longest: frequent small waves of weak warheads, which the
    sites survive long enough to empty their interceptors; a ship at sea survives
    strike after strike until its own interceptors run out, the
    Block V engages ships only by its catalog ``anti_ship`` flag, and a glide-weapon unit
    fires from near the edge of its range (a long flight, so its seeker's size shows)."""
    document = json.loads(json.dumps(EVERYTHING))
    document["posture"]["units"].append(
        {"id": "hvgp-far", "system": "hvgp-block1", "position": [20.5, 135.0],
         "launchers": 2, "missiles_per_launcher": 2, "reload_stock": 4, "platform": "fixed"}
    )  # fmt: skip
    document["red"] = {"counterforce": True, "warning_h": 6}
    document["stations"] = [{"unit": "tla5", "position": [27.0, 127.0]}]
    document["overrides"] = {
        "red-counterforce.counterforce_share": 0.3,
        "red-counterforce.warheads_per_site": 2,
        "red-counterforce.p_kill": 0.3,
        "red-counterforce.wave_interval_h": 12,
        "red-antiship.missiles_per_strike": 12,
        "red-antiship.p_hit": 0.1,
        "jmsdf-aegis-destroyer.staying_power_hits": 2,
        "jmsdf-aegis-destroyer.area_p_kill": 0.8,
        "hvgp-block1.speed_kmh": 3000,
    }
    return scenario_from_mapping(document)


def _outcome(scenario, param_id, value):
    try:
        run = run_campaign(scenario, CATALOG, overrides={param_id: value})
    except ScenarioError:
        return None
    return run


def test_every_parameter_moves_an_answer_or_is_refused():
    scenarios = [
        scenario_from_mapping(EVERYTHING),
        _company_scenario(),
        _hard_target_scenario(),
        _active_red_scenario(),
        _attrition_scenario(),
    ]
    for scenario in scenarios:  # each runs as it is, with every unit in reach
        run = run_campaign(scenario, CATALOG)
        assert run.columns["blue_missiles_fired"].mean() > 0
    read_somewhere, still, refused = set(), [], []
    for param_id, param in CATALOG.iter_params():
        outcomes = []
        for scenario in scenarios:
            low, high = _outcome(scenario, param_id, param.low), None
            if low is None:
                outcomes.append(None)
                continue
            read_somewhere.add(param_id)
            high = _outcome(scenario, param_id, param.high)
            moved = any(
                not np.array_equal(low.columns[name], high.columns[name], equal_nan=True)
                for name in low.columns
            )
            outcomes.append(moved)
        if all(outcome is None for outcome in outcomes):
            refused.append(param_id)
        elif not any(outcomes) and param.low < param.high:
            still.append(param_id)
    assert not still, f"accepted but moved nothing from low to high: {still}"
    # The campaign reads the engagement, survival and cueing priors, missile factors,
    # ship-class defences and company counts; facts such as budgets are refused.
    assert {"survival.p_detect", "isr.cue_rate_per_h", "type-055.staying_power_hits",
            "ssm-company.reload_stock", "type12-improved.p_hit"} <= read_somewhere  # fmt: skip
    # ... and, with red fighting back, its strikes, the sites' air defence, the weapons'
    # flight and seekers, and the hunt for ships at sea.
    assert {"red-counterforce.warheads_per_site", "red-counterforce.dispersal_mean_h",
            "chu-sam.p_kill", "pac3.units_at_katsuren", "type12-original.seeker_area_km2",
            "red-antiship.detection_rate_per_h",
            "red-antiship.p_hit"} <= read_somewhere  # fmt: skip
    assert "force-structure.f35b_ordered" in refused
    assert "type-055.anti_ship_missiles" in refused  # groups do not fire back


@pytest.mark.parametrize(
    "param_id", ["force-structure.tomahawks_ordered", "type-052d.anti_ship_missiles"]
)
def test_an_unread_parameter_is_refused_with_who_reads_it(param_id):
    with pytest.raises(ScenarioError) as excinfo:
        run_campaign(load_scenario("miyako-transit"), CATALOG, replications=10,
                     overrides={param_id: CATALOG.value(param_id)})  # fmt: skip
    message = str(excinfo.value)
    assert f"overrides.{param_id}: not read by this run" in message
    assert "read by:" in message
