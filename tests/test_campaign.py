"""Campaign engine: no-shot limits, closed forms inside a campaign, accounting identities,
monotonicity, determinism and agreement with the plain-Python reference.

Statistical checks compare means with their standard errors. Tolerances: "agree" uses
five standard errors of the difference (false alarm ~6e-7 per check), "never lower"
allows three (the one-sided check of a direction, ~1e-3); seeds are fixed, so every
outcome is reproducible.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from nansei.campaign import (
    CHUNK_REPS,
    build_setup,
    compare_postures,
    comparison_record,
    run_campaign,
)
from nansei.campaign.engine import run_replications
from nansei.campaign.reference import run_reference
from nansei.campaign.scenario import load_scenario, scenario_from_mapping
from nansei.catalog import default_catalog
from nansei.survival import p_hidden_survives

CATALOG = default_catalog()

BASE = {
    "name": "test",
    "posture": {
        "units": [
            {"id": "miyako", "system": "type12-original", "site": "miyako", "launchers": 4,
             "missiles_per_launcher": 6, "reload_stock": 24},
        ]
    },
    "threat": {
        "groups": [
            {"id": "sag", "composition": {"type-052d": 2, "type-054a": 1, "oiler-903a": 1},
             "arrivals_per_day": 0.5, "origin": [29.0, 123.5], "gate": "miyako-strait",
             "destination": [23.5, 129.5], "turn_back_at": 0.5},
        ]
    },
    "isr": {"cue_rate_per_h": 0.231049},  # a 50% chance of a cue in 3 hours in reach
    "doctrine": {"salvo_size": 8, "coordination": "coordinated", "max_salvos_per_group": 4},
    "days": 10,
    "replications": 1000,
    "seed": 1,
}  # fmt: skip


def scenario(**changes):
    """BASE with changes; keys are dotted paths (``doctrine.salvo_size``)."""
    document = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        target = document
        *parents, leaf = dotted.split(".")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[leaf] = value
    return scenario_from_mapping(document)


def run(s, reps=1000, seed=1, **kwargs):
    return run_campaign(s, CATALOG, replications=reps, seed=seed, **kwargs).columns


def mean_se(values):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return values.mean(), values.std(ddof=1) / math.sqrt(values.size)


def assert_agree(a, b, z=5.0):
    (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
    assert abs(ma - mb) <= z * math.hypot(sa, sb) + 1e-12, (ma, mb, sa, sb)


def assert_not_lower(high, low, z=3.0):
    (mh, sh), (ml, sl) = mean_se(high), mean_se(low)
    assert mh >= ml - z * math.hypot(sh, sl), (mh, ml, sh, sl)


# -- no shots -----------------------------------------------------------------------------


def assert_no_shots(columns):
    assert not columns["blue_missiles_fired"].any()
    assert not columns["blue_salvos"].any()
    assert not columns["red_ships_out_of_action"].any()
    assert not columns["blue_launchers_lost_firing"].any()
    arrived = columns["groups_arrived"] > 0
    assert np.all(columns["groups_transited_fraction"][arrived] == 1.0)


def test_no_cues_means_no_shots():
    assert_no_shots(run(scenario(**{"isr.cue_rate_per_h": 0.0}), reps=500))


def test_no_cues_with_the_joint_hq_factor_too():
    # Catalog isr.cue_rate_per_h has a positive low, so zero comes only from the scenario;
    # with the joint HQ factor the product of zero is still zero.
    assert_no_shots(run(scenario(isr={"cue_rate_per_h": 0.0, "joint_hq": True}), reps=300))


def test_no_unit_in_range_means_no_shots():
    far = scenario(**{"posture.units.0.site": "kamifurano"})  # Hokkaido, 200 km range
    columns = run(far, reps=300)
    assert_no_shots(columns)
    assert np.all(np.isnan(columns["magazine_exhausted_day"]))  # nobody to run out
    assert not columns["blue_launchers_lost"].any()  # out of reach means out of the campaign
    columns = run(load_scenario("yonaguni-gap").with_year(2022), reps=300)
    assert_no_shots(columns)


def test_max_salvos_zero_means_no_shots():
    assert_no_shots(run(scenario(**{"doctrine.max_salvos_per_group": 0}), reps=300))


# -- closed forms inside a campaign ----------------------------------------------------------


def test_arrivals_are_poisson():
    columns = run(scenario(), reps=4000)
    expected = 0.5 * 10  # rate · days
    mean, se = mean_se(columns["groups_arrived"])
    assert mean == pytest.approx(expected, abs=5 * se)
    assert columns["groups_arrived"].var(ddof=1) == pytest.approx(expected, rel=0.1)


def test_hidden_search_alone_follows_koopman():
    # No firing (p_cue = 0): every launcher lost was found while hidden, so the expected
    # loss is launchers · (1 − exp(−λ T / (1 + d))) over the run's T hours.
    s = scenario(**{"isr.cue_rate_per_h": 0.0}, overrides={"survival.search_rate_per_day": 0.1})
    setup = build_setup(s, CATALOG)
    columns = run(s, reps=4000)
    days = setup.horizon_h / 24.0
    p_lost = 1.0 - p_hidden_survives(days, 0.1, CATALOG.value("survival.decoys_per_launcher"))
    expected = 4 * p_lost
    mean, se = mean_se(columns["blue_launchers_lost_hidden"])
    assert mean == pytest.approx(expected, abs=5 * se)
    assert np.array_equal(columns["blue_launchers_lost"], columns["blue_launchers_lost_hidden"])


def test_firing_losses_follow_loss_per_shot():
    # With salvo size equal to one launcher's load, every salvo exposes exactly one
    # launcher, so by Wald's identity E[launchers lost firing] = q · E[salvos], with q
    # the closed form p_detect · P(K < D) · p_kill (no hidden search here).
    s = scenario(
        **{"doctrine.salvo_size": 6, "isr.cue_rate_per_h": 0.536},
        overrides={"survival.search_rate_per_day": 0.002, "survival.p_detect": 0.9,
                   "survival.dwell_h": 1.5, "survival.p_kill": 0.95},
    )  # fmt: skip
    setup = build_setup(s, CATALOG)
    q = setup.survival.loss_per_shot
    columns = run(s, reps=4000)
    difference = columns["blue_launchers_lost_firing"] - q * columns["blue_salvos"]
    mean, se = mean_se(difference)
    assert abs(mean) <= 5 * se


def test_accounting_identities():
    s = scenario(**{"isr.cue_rate_per_h": 0.77, "threat.groups.0.arrivals_per_day": 1.0})
    columns = run(s, reps=1000)
    parts = columns["groups_transited"] + columns["groups_turned_back"] + columns["groups_all_out"]
    assert np.array_equal(parts, columns["groups_arrived"])
    assert np.all(columns["blue_missiles_fired"] <= 4 * 6 + 24)  # ready + depot
    assert np.all(columns["blue_launchers_lost"] <= 4)
    assert np.all(columns["red_ships_out_of_action"] <= 4 * columns["groups_arrived"])
    assert np.all(columns["blue_salvos"] <= 4 * columns["groups_arrived"])  # max salvos
    exhausted = columns["magazine_exhausted"]
    assert exhausted.any() and not exhausted.all()


def test_no_depot_no_reload_and_reserve_respected():
    s = scenario(**{"posture.units.0.reload_stock": 0, "isr.cue_rate_per_h": 5.0,
                    "threat.groups.0.arrivals_per_day": 2.0})  # fmt: skip
    assert run(s, reps=300)["blue_missiles_fired"].max() <= 24
    kept = scenario(**{"doctrine.reserve_missiles": 40, "isr.cue_rate_per_h": 5.0,
                       "threat.groups.0.arrivals_per_day": 2.0})  # fmt: skip
    fired = run(kept, reps=300)["blue_missiles_fired"]
    assert fired.max() <= 48 - 40 and fired.max() > 0


def test_exhaustion_is_censored_at_the_horizon():
    s = scenario(**{"isr.cue_rate_per_h": 0.0}, overrides={"survival.search_rate_per_day": 0.002})
    setup = build_setup(s, CATALOG)
    result = run_campaign(s, CATALOG, replications=200)
    day = result.columns["magazine_exhausted_day"]
    never = ~result.columns["magazine_exhausted"]
    assert np.all(day[never] == setup.horizon_h / 24.0)
    assert result.metrics()["magazine_exhausted_day"]["censored"] == pytest.approx(never.mean())


# -- monotonicity -------------------------------------------------------------------------


@pytest.mark.parametrize("launchers", [(1, 2), (2, 4), (4, 8)])
def test_more_launchers_never_fewer_red_losses(launchers):
    few, many = (
        run(
            scenario(**{"posture.units.0.launchers": n, "posture.units.0.reload_stock": 6 * n}),
            reps=1500,
        )  # fmt: skip
        for n in launchers
    )
    assert_not_lower(many["red_ships_out_of_action"], few["red_ships_out_of_action"])
    assert_not_lower(many["blue_missiles_fired"], few["blue_missiles_fired"])


@pytest.mark.parametrize("p_hit", [(0.6, 0.8), (0.8, 0.95)])
def test_higher_p_hit_never_fewer_red_losses(p_hit):
    low, high = (run(scenario(overrides={"type12-original.p_hit": p}), reps=1500) for p in p_hit)
    assert_not_lower(high["red_ships_out_of_action"], low["red_ships_out_of_action"])
    assert_not_lower(low["groups_transited_fraction"], high["groups_transited_fraction"])


@pytest.mark.parametrize("reach", [(100, 150), (150, 200)])
def test_longer_range_never_fewer_red_losses(reach):
    short, long = (
        run(scenario(overrides={"type12-original.range_km": r}), reps=1500) for r in reach
    )
    assert_not_lower(long["red_ships_out_of_action"], short["red_ships_out_of_action"])


def test_the_direction_is_visible_not_just_allowed():
    # The checks above would pass for a model that ignores its inputs; this one would not.
    low = run(scenario(overrides={"type12-original.p_hit": 0.6}), reps=1500)
    high = run(scenario(overrides={"type12-original.p_hit": 0.95}), reps=1500)
    (mh, sh), (ml, sl) = (
        mean_se(high["red_ships_out_of_action"]),
        mean_se(low["red_ships_out_of_action"]),
    )
    assert mh > ml + 5 * math.hypot(sh, sl)


# -- determinism -------------------------------------------------------------------------


def test_same_seed_same_json_and_worker_count_does_not_matter():
    s = load_scenario("miyako-transit")
    first = run_campaign(s, CATALOG, replications=2 * CHUNK_REPS + 10, seed=3)
    for workers in (2, 4):
        other = run_campaign(s, CATALOG, replications=2 * CHUNK_REPS + 10, seed=3,
                             workers=workers)  # fmt: skip
        assert json.dumps(first.record()) == json.dumps(other.record())
        for name, column in first.columns.items():
            np.testing.assert_array_equal(column, other.columns[name])


def test_more_replications_extend_a_run():
    s = scenario()
    short = run(s, reps=CHUNK_REPS, seed=8)
    longer = run(s, reps=2 * CHUNK_REPS, seed=8)
    for name, column in short.items():
        np.testing.assert_array_equal(column, longer[name][:CHUNK_REPS])


def test_different_seeds_agree_within_intervals():
    s = scenario()
    a, b = run(s, reps=2000, seed=1), run(s, reps=2000, seed=2)
    assert not np.array_equal(a["red_ships_out_of_action"], b["red_ships_out_of_action"])
    for name in ("red_ships_out_of_action", "groups_transited_fraction", "blue_missiles_fired",
                 "blue_launchers_lost", "magazine_exhausted_day"):  # fmt: skip
        assert_agree(a[name], b[name])


def test_compare_runs_every_year_on_the_same_threat():
    runs = compare_postures(load_scenario("yonaguni-gap"), CATALOG, [2022, 2025], replications=300)
    record = comparison_record(runs)
    assert list(record["years"]) == ["2022", "2025"]
    assert record["years"]["2022"]["units_engaged"] == []
    assert record["years"]["2022"]["metrics"]["blue_missiles_fired"]["mean"] == 0
    assert record["years"]["2025"]["units_engaged"] == ["ishigaki-type12"]
    # Same threat, same random numbers: every replication sees the same arrivals.
    np.testing.assert_array_equal(
        runs[2022].columns["groups_arrived"], runs[2025].columns["groups_arrived"]
    )


# -- engine versus the scalar reference ------------------------------------------------------


def _binned(engine: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Two-row contingency table of a column: whole numbers by value (tail pooled so
    each bin expects >= 5), other values by the pooled deciles; NaN as its own bin."""
    both = np.concatenate([engine, reference]).astype(float)
    finite = both[np.isfinite(both)]
    if finite.size and np.all(finite == np.round(finite)) and np.unique(finite).size <= 30:
        edges = np.unique(finite)
    else:
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, 11))) if finite.size else []
    rows = []
    for column in (engine, reference):
        column = np.asarray(column, dtype=float)
        codes = np.where(np.isfinite(column), np.searchsorted(edges, column, side="right"), 0)
        rows.append(np.bincount(codes.astype(int), minlength=len(edges) + 1))
    table = np.array(rows)
    table = table[:, table.sum(axis=0) > 0]
    # Pool sparse bins from the right into their neighbour (chi-square needs counts).
    expected_small = table.sum(axis=0) * min(table.sum(axis=1)) / table.sum() < 5
    while table.shape[1] > 2 and expected_small[-1]:
        table[:, -2] += table[:, -1]
        table = table[:, :-1]
        expected_small = table.sum(axis=0) * min(table.sum(axis=1)) / table.sum() < 5
    return table


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"doctrine.coordination": "independent", "doctrine.max_salvos_per_group": None},
        {
            "posture.units": [
                {
                    "id": "miyako",
                    "system": "type12-original",
                    "site": "miyako",
                    "launchers": 2,
                    "missiles_per_launcher": 6,
                    "reload_stock": 6,
                },
                {
                    "id": "katsuren",
                    "system": "type12-original",
                    "site": "katsuren",
                    "launchers": 4,
                    "missiles_per_launcher": 6,
                    "reload_stock": 12,
                    "platform": "fixed",
                },
                {
                    "id": "chokai",
                    "system": "tomahawk-block-v",
                    "site": "sasebo",
                    "launchers": 1,
                    "missiles_per_launcher": 8,
                    "platform": "ship",
                },
            ],
            "doctrine.reserve_missiles": 2,
            "threat.groups.0.turn_back_at": None,
        },
    ],
    ids=["coordinated", "independent", "mixed-units"],
)
def test_engine_agrees_with_reference(changes):
    from scipy.stats import chi2_contingency

    s = scenario(**changes, overrides={"survival.search_rate_per_day": 0.05})
    setup = build_setup(s, CATALOG)
    engine = run_replications(setup, 4000, seed=11)
    reference = run_reference(setup, 600, seed=12)
    # Every per-replication column: means within five standard errors, and the whole
    # distribution by a chi-square test of homogeneity (p > 1e-4 each).
    for name in engine:
        assert_agree(engine[name].astype(float), reference[name].astype(float))
        table = _binned(engine[name], reference[name])
        if table.shape[1] > 1:
            assert chi2_contingency(table).pvalue > 1e-4, name


@pytest.mark.parametrize(
    "changes",
    [
        {
            "red": {"counterforce": True, "warning_h": 6},
            "posture.units": [
                {
                    "id": "miyako",
                    "system": "type12-original",
                    "site": "miyako",
                    "launchers": 4,
                    "missiles_per_launcher": 6,
                    "reload_stock": 24,
                },
                {
                    "id": "kengun",
                    "system": "type12-improved",
                    "site": "kengun",
                    "launchers": 2,
                    "missiles_per_launcher": 6,
                    "reload_stock": 12,
                },
                {
                    "id": "ebino",
                    "system": "hvgp-block1",
                    "site": "ebino",
                    "launchers": 2,
                    "missiles_per_launcher": 2,
                    "reload_stock": 4,
                    "platform": "fixed",
                },
                {
                    "id": "chokai",
                    "system": "tomahawk-block-iv",
                    "site": "sasebo",
                    "launchers": 1,
                    "missiles_per_launcher": 8,
                    "platform": "ship",
                },
            ],
        },
        {
            "red": {"counterforce": True, "warning_h": 3, "maritime_strike": ["tomahawk-block-iv"]},
            "stations": [{"unit": "chokai", "position": [27.5, 126.0], "speed_kn": 20}],
            "posture.units": [
                {
                    "id": "miyako",
                    "system": "type12-original",
                    "site": "miyako",
                    "launchers": 4,
                    "missiles_per_launcher": 6,
                    "reload_stock": 24,
                },
                {
                    "id": "chokai",
                    "system": "tomahawk-block-iv",
                    "site": "sasebo",
                    "launchers": 1,
                    "missiles_per_launcher": 16,
                    "platform": "ship",
                },
                {
                    "id": "aegis",
                    "system": "tomahawk-block-iv",
                    "site": "sasebo",
                    "launchers": 1,
                    "missiles_per_launcher": 16,
                    "platform": "ship",
                },
            ],
        },
        {
            "red": {"counterforce": True, "warning_h": 0},
            "doctrine.coordination": "independent",
            "doctrine.max_salvos_per_group": None,
        },
        {
            # Ships at sea found and struck (a rate that sinks some, not all), PAC-3 over
            # the Katsuren site before its (absent) Chu-SAM, Chu-SAM alone at Miyako.
            "red": {
                "counterforce": True,
                "warning_h": 6,
                "maritime_strike": ["tomahawk-block-iv"],
                "ship_detection_rate_per_h": 0.01,
            },
            "stations": [
                {"unit": "chokai", "position": [27.5, 126.0], "speed_kn": 20},
                {
                    "unit": "aegis",
                    "position": [26.0, 128.5],
                    "speed_kn": 18,
                    "ship_class": "jmsdf-aegis-destroyer",
                },
            ],
            "posture.units": [
                {
                    "id": "miyako",
                    "system": "type12-original",
                    "site": "miyako",
                    "launchers": 4,
                    "missiles_per_launcher": 6,
                    "reload_stock": 24,
                },
                {
                    "id": "katsuren",
                    "system": "type12-original",
                    "site": "katsuren",
                    "launchers": 4,
                    "missiles_per_launcher": 6,
                    "reload_stock": 24,
                },
                {
                    "id": "chokai",
                    "system": "tomahawk-block-iv",
                    "site": "sasebo",
                    "launchers": 1,
                    "missiles_per_launcher": 16,
                    "platform": "ship",
                },
                {
                    "id": "aegis",
                    "system": "tomahawk-block-iv",
                    "site": "yokosuka",
                    "launchers": 2,
                    "missiles_per_launcher": 16,
                    "platform": "ship",
                },
            ],
        },
    ],
    ids=["active-mixed-coordinated", "active-station", "active-independent", "active-at-sea"],
)
def test_engine_agrees_with_reference_under_active_red(changes):
    # The same check for active red: counter-force waves through island air defence,
    # dispersal, acquisition against a moving group and per-system defences.
    from scipy.stats import chi2_contingency

    s = scenario(**changes, overrides={"survival.search_rate_per_day": 0.05})
    setup = build_setup(s, CATALOG)
    assert setup.red is not None
    engine = run_replications(setup, 4000, seed=11)
    reference = run_reference(setup, 600, seed=12)
    assert engine["blue_launchers_lost_counterforce"].mean() > 0
    if changes.get("stations"):  # ships at sea are found and struck, some lost, not all
        assert 0 < engine["blue_ships_lost_at_sea"].mean() < len(changes["stations"]) + 1
        assert engine["red_antiship_missiles"].mean() > 0
    for name in engine:
        assert_agree(engine[name].astype(float), reference[name].astype(float))
        table = _binned(engine[name], reference[name])
        if table.shape[1] > 1:
            assert chi2_contingency(table).pvalue > 1e-4, name
