"""Red fights back (active red): counter-force strikes, island air defence, weapon-specific
engagement — each against a closed form or a hand-enumerated case, monotonicity, and the
passive-red switch reproducing the earlier numbers exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from nansei.campaign import compare_postures, run_campaign
from nansei.campaign.engine import compile_tables, stream_keys
from nansei.campaign.phases import RedTable, UnitTable, new_blue, strike_wave
from nansei.campaign.scenario import (
    Red,
    Station,
    load_scenario,
    scenario_from_mapping,
    scenario_hash,
)
from nansei.campaign.setup import acquisition_probability, build_setup
from nansei.catalog import default_catalog
from nansei.combat.kernels import (
    AREA_CHANNELS,
    AREA_P,
    AREA_SHOTS,
    INVENTORY,
    SHIP_FLOAT_COLUMNS,
    SHIP_INT_COLUMNS,
    STAYING,
    THRESHOLD,
    UNLIMITED,
    pack_attack,
)

CATALOG = default_catalog()


def _with_red(scenario, **red):
    return scenario.model_copy(update={"red": scenario.red.model_copy(update=red)})


# -- weapon-specific engagement ----------------------------------------------------------


def test_acquisition_is_koopman_random_search_over_the_motion_area():
    # A = π r²: 1 − e^−1. No flight time or an unlimited seeker: certain.
    r = 20.0 * 1.5
    assert acquisition_probability(math.pi * r**2, 20.0, 1.5) == pytest.approx(1 - math.exp(-1))
    assert acquisition_probability(500.0, 30.0, 0.0) == 1.0
    assert acquisition_probability(math.inf, 30.0, 2.0) == 1.0
    # Falls with flight time (the group has longer to move), rises with seeker area.
    flights = [0.1, 0.5, 1.0, 2.0, 4.0]
    chances = [acquisition_probability(1500.0, 28.0, t) for t in flights]
    assert all(a > b for a, b in zip(chances, chances[1:], strict=False))
    assert acquisition_probability(3000.0, 28.0, 1.0) > acquisition_probability(1500.0, 28.0, 1.0)


def test_land_attack_tomahawks_do_not_engage_ships_unless_assumed():
    scenario = load_scenario("miyako-transit").with_year(2027)
    passive = build_setup(_with_red(scenario, counterforce=False), CATALOG)
    active = build_setup(scenario, CATALOG)
    assumed = build_setup(
        _with_red(scenario, maritime_strike=["tomahawk-block-iv", "tomahawk-block-v"]), CATALOG
    )
    ids = {name: {setup.units[i].id for i in setup.engaged()} for name, setup in
           (("passive", passive), ("active", active), ("assumed", assumed))}  # fmt: skip
    assert "chokai-tomahawk" in ids["passive"]  # the earlier model, unchanged
    assert not {"chokai-tomahawk", "aegis-tomahawk"} & ids["active"]
    assert ids["assumed"] == ids["passive"]  # the assumed maritime variant engages again
    # The ships stay in the run as counter-force targets (in port).
    targets = {active.units[i].id for i in active.targets()}
    assert {"chokai-tomahawk", "aegis-tomahawk"} <= targets
    run = run_campaign(
        _with_red(scenario, maritime_strike=["tomahawk-block-v"]), CATALOG, replications=20
    )
    assert run.record()["red_model"]["maritime_strike_assumed"] == ["tomahawk-block-v"]


def test_defence_factor_scales_the_ships_kill_probabilities_per_system():
    setup = build_setup(load_scenario("miyako-transit").with_year(2026), CATALOG)
    _, threat, _, _ = compile_tables(setup)
    for index, system in enumerate(setup.systems):
        assert np.allclose(
            threat.ship_f_system[index, :, :, AREA_P],
            threat.ship_f[:, :, AREA_P] * system.defence_factor,
        )
    hvgp = [s.id for s in setup.systems].index("hvgp-block1")
    assert setup.systems[hvgp].defence_factor < 1.0


# -- counter-force strikes on one site, against closed forms ---------------------------


def _one_site(channels=0.0, p_sam=0.0, shots=1, interceptors=0, readiness=1.0,
              reliability=0.9, p_kill=0.5, platform="truck"):  # fmt: skip
    units = UnitTable(
        launchers=np.array([4], np.int64),
        load=np.array([6], np.int64),
        depot=np.array([24], np.int64),
        truck=np.array([platform == "truck"]),
        fixed=np.array([platform == "fixed"]),
        system=np.array([0], np.int64),
        attack=np.zeros((1, 4)),
        engages=np.array([True]),
        site=np.array([0], np.int64),
        ship=np.array([platform == "ship"]),
        depart_h=np.array([math.inf]),
        on_station_h=np.array([-math.inf]),
    )
    site_f = np.zeros((1, 1, len(SHIP_FLOAT_COLUMNS)))
    site_i = np.zeros((1, 1, len(SHIP_INT_COLUMNS)), np.int64)
    site_f[0, 0, STAYING] = 1.0
    site_f[0, 0, AREA_CHANNELS] = channels
    site_f[0, 0, AREA_P] = p_sam
    site_f[0, 0, AREA_SHOTS] = shots
    site_i[0, 0, 0] = interceptors
    red = RedTable(
        site_f, site_i, np.array([[1.0 if channels > 0 else 0.0, readiness]]),
        pack_attack(reliability, 1.0, p_kill, "uniform"),
    )  # fmt: skip
    return units, red


def _strike(units, red, warheads, reps, dispersed_all=True, waves=1, seed=5):
    """Per replication: (site closed, launchers lost, missiles lost in the depot)."""
    keys = stream_keys(seed)
    out = np.zeros((reps, 4), np.int64)
    for rep in range(reps):
        blue = new_blue(units)
        state = np.zeros((1, 4), np.int64)
        state[0, THRESHOLD] = 1
        state[0, INVENTORY] = red.site_i[0, 0, 0]
        state[0, 3] = UNLIMITED
        closed = np.zeros(1, np.bool_)
        dispersed = np.full(blue.alive.shape, dispersed_all)
        lost = np.zeros(4, np.int64)
        left = np.int64(10_000)
        for wave in range(waves):
            left = strike_wave(keys, rep, units, blue, red, state, closed, np.int64(wave), left,
                               np.int64(warheads), dispersed, lost, 24.0 * wave)  # fmt: skip
        out[rep] = closed[0], lost[0], lost[1], lost[3]
    return out


@pytest.mark.parametrize("warheads", [1, 2, 4])
def test_an_undefended_depot_survives_k_warheads_with_one_minus_p_to_the_k(warheads):
    # Each warhead flies (0.9) and closes the site (0.5) independently: survival (1 − 0.45)^k.
    units, red = _one_site()
    reps = 4000
    out = _strike(units, red, warheads, reps)
    survive = (1 - 0.9 * 0.5) ** warheads
    se = math.sqrt(survive * (1 - survive) / reps)
    assert 1 - out[:, 0].mean() == pytest.approx(survive, abs=4 * se)
    # A closed depot loses all its 24 missiles; dispersed trucks are not lost.
    assert set(out[out[:, 0] == 1, 2]) == {24} and out[:, 1].sum() == 0


def test_a_defended_site_matches_the_binomial_layer_of_the_salvo_kernel():
    # n warheads; F ~ Bin(n, rel) fly; the site's area layer (c channels, all manned,
    # ample interceptors, 2 shots each) engages min(F, c), killing each with
    # q = 1 − (1 − p)^2; the site survives the rest with (1 − p_kill) each.
    n, rel, p_kill, c, p_sam = 6, 0.9, 0.5, 2, 0.4
    q = 1 - (1 - p_sam) ** 2
    survive = sum(
        binom.pmf(f, n, rel) * binom.pmf(k, min(f, c), q) * (1 - p_kill) ** (f - k)
        for f in range(n + 1)
        for k in range(min(f, c) + 1)
    )
    units, red = _one_site(channels=c, p_sam=p_sam, shots=2, interceptors=100)
    reps = 6000
    out = _strike(units, red, n, reps)
    se = math.sqrt(survive * (1 - survive) / reps)
    assert 1 - out[:, 0].mean() == pytest.approx(survive, abs=4 * se)
    # And the air defence helps: the undefended site survives only (1 − 0.45)^6.
    assert survive > (1 - rel * p_kill) ** n


def test_finite_interceptors_run_out_over_waves():
    # Two interceptors, one shot each: at most two warheads shot down over any waves.
    units, red = _one_site(channels=4, p_sam=1.0, shots=1, interceptors=2, p_kill=0.0)
    out = _strike(units, red, 4, 50, waves=3)
    assert out[:, 3].max() == 2 and out[:, 0].sum() == 0


def test_undispersed_trucks_are_lost_with_their_site_dispersed_ones_are_not():
    units, red = _one_site(reliability=1.0, p_kill=1.0)  # the site surely closes
    assert set(_strike(units, red, 1, 20, dispersed_all=False)[:, 1]) == {4}
    assert set(_strike(units, red, 1, 20, dispersed_all=True)[:, 1]) == {0}
    ships, red = _one_site(reliability=1.0, p_kill=1.0, platform="ship")
    assert set(_strike(ships, red, 1, 5)[:, 1]) == {4}  # ships in port cannot disperse


# -- whole campaigns: monotonicity and the passive-red switch ---------------------------


def _mean(scenario, metric, reps=600, **kwargs):
    return float(
        run_campaign(scenario, CATALOG, replications=reps, **kwargs).columns[metric].mean()
    )


def test_more_red_missiles_lose_more_blue_launchers_and_depot_missiles():
    scenario = _with_red(load_scenario("miyako-transit").with_year(2025), warning_h=0.0)
    per_site = [
        _mean(scenario, "blue_launchers_lost", overrides={"red-counterforce.warheads_per_site": w})
        for w in (2, 4, 8)
    ]
    assert per_site[0] < per_site[1] < per_site[2]
    # A binding allocation (2% of the MRBMs: 26 missiles for 7 sites) saves depots.
    scenario = _with_red(load_scenario("east-china-sea-approach").with_year(2027), warning_h=0.0)
    share = [
        _mean(
            scenario,
            "blue_missiles_lost_in_depots",
            overrides={"red-counterforce.counterforce_share": f},
        )
        for f in (0.02, 0.1)
    ]
    assert share[0] < share[1]


def test_longer_warning_loses_fewer_trucks_in_garrison():
    scenario = load_scenario("miyako-transit").with_year(2025)
    lost = [
        _mean(_with_red(scenario, warning_h=w), "blue_launchers_lost_counterforce")
        for w in (0.0, 6.0, 24.0)
    ]
    assert lost[0] > lost[1] > lost[2]


def test_active_red_keeps_the_arrivals_common():
    scenario = load_scenario("east-china-sea-approach").with_year(2026)
    passive = run_campaign(_with_red(scenario, counterforce=False), CATALOG, replications=300)
    active = run_campaign(scenario, CATALOG, replications=300)
    assert np.array_equal(passive.columns["groups_arrived"], active.columns["groups_arrived"])
    assert active.columns["blue_launchers_lost_counterforce"].sum() > 0
    assert passive.columns["blue_launchers_lost_counterforce"].sum() == 0


#: The passive-red means recorded before active red existed (commit c9d6a20, the
#: bundled scenarios' seed and 2000 replications): the switch must reproduce them exactly.
PASSIVE_2026 = {
    "east-china-sea-approach": (3.854, 0.891039, 90.392, 3.357, 14.272473),
    "miyako-transit": (7.496, 0.773632, 130.828, 5.0135, 20.399354),
    "yonaguni-gap": (1.643, 0.962135, 42.086, 1.625, 18.972796),
}
PASSIVE_2027_MIYAKO = (7.7385, 0.765642, 146.477, 5.0145, 20.75648)
HEADLINE = ("red_ships_out_of_action", "groups_transited_fraction", "blue_missiles_fired",
            "blue_launchers_lost", "magazine_exhausted_day")  # fmt: skip


@pytest.mark.parametrize("name", sorted(PASSIVE_2026))
def test_counterforce_off_reproduces_the_passive_numbers_exactly(name):
    scenario = _with_red(load_scenario(name), counterforce=False)
    runs = compare_postures(scenario, CATALOG, [2026, 2027])
    means = tuple(runs[2026].metrics()[m]["mean"] for m in HEADLINE)
    assert means == PASSIVE_2026[name]
    if name == "miyako-transit":
        assert tuple(runs[2027].metrics()[m]["mean"] for m in HEADLINE) == PASSIVE_2027_MIYAKO
    for metric in ("blue_launchers_lost_counterforce", "blue_missiles_lost_in_depots",
                   "blue_ships_lost"):  # fmt: skip
        assert runs[2026].metrics()[metric]["mean"] == 0.0
    # Passive red reads no new parameter, and a scenario without the section keeps its hash.
    assert not [p for p in runs[2026].setup.params if p.startswith(("red-", "chu-sam"))]
    data = scenario.model_dump(mode="json", exclude={"red"})
    assert scenario_hash(scenario_from_mapping(data)) == scenario_hash(
        scenario.model_copy(update={"red": Red()})
    )


# -- salvo doctrine auto ------------------------------------------------------------------


def test_out_per_missile_against_one_undefended_ship_is_the_closed_form():
    # One ship, no defences, staying power 1: out with 1 − (1 − r·σ·p)^n; per missile /n.
    from nansei.campaign.phases import out_per_missile
    from nansei.combat.forces import ShipType
    from nansei.combat.kernels import VALUE, pack_fleet
    from nansei.streams import new_stream, purpose_key

    ship_f, ship_i, fleet = pack_fleet([ShipType(name="x", count=1, staying_power=1.0)], 1.0)
    ship_f[0, VALUE] = 1.0
    attack = pack_attack(0.9, 0.8, 0.5, "uniform")
    key = np.uint64(purpose_key(3, "auto-salvo"))
    reps = 20000
    for n in (1, 2, 4):
        stream = new_stream(key, np.int64(0), np.int64(0), np.int64(n))
        value = out_per_missile(stream, np.int64(n), attack, ship_f, fleet, ship_i, np.int64(reps))
        exact = (1 - (1 - 0.9 * 0.8 * 0.5) ** n) / n
        assert value == pytest.approx(
            exact, abs=4 * math.sqrt(exact * n * (1 - exact * n) / reps) / n
        )


def test_auto_salvo_fires_small_at_the_undefended_and_large_into_defences():
    from nansei.campaign.engine import AUTO_SALVO_SIZES

    scenario = load_scenario("miyako-transit").with_year(2025)
    auto = scenario.model_copy(
        update={"doctrine": scenario.doctrine.model_copy(update={"salvo_size": "auto"})}
    )
    _, threat, _, _ = compile_tables(build_setup(auto, CATALOG))
    # A defended group saturates: more than the smallest size, and the Type 055 group
    # (more area channels) needs at least as large a salvo as the 052D group.
    assert threat.auto_salvo.min() > AUTO_SALVO_SIZES[0]
    assert threat.auto_salvo[1, 0] >= threat.auto_salvo[0, 0]
    lone = auto.model_copy(
        update={"threat": auto.threat.model_copy(update={"groups": [
            auto.threat.groups[0].model_copy(update={"composition": {"oiler-903a": 1}})
        ]})}
    )  # fmt: skip
    _, threat, _, _ = compile_tables(build_setup(lone, CATALOG))
    assert threat.auto_salvo[0, 0] <= 4  # one oiler: a few missiles are the most efficient
    run = run_campaign(auto, CATALOG, replications=200)
    assert run.metrics()["red_ships_out_of_action"]["mean"] > 0


# -- red adaptation ---------------------------------------------------------------------


def test_red_adaptation_thins_arrivals_after_losses_only():
    scenario = load_scenario("miyako-transit").with_year(2026)
    base = run_campaign(scenario, CATALOG, replications=400).columns
    half = run_campaign(
        _with_red(scenario, arrivals_factor_per_loss=0.5), CATALOG, replications=400
    )
    none = run_campaign(
        _with_red(scenario, arrivals_factor_per_loss=0.0), CATALOG, replications=400
    )
    # Until red's first loss nothing differs (common random numbers): a replication with
    # no group put out of action has the same arrivals whatever the factor.
    calm = (base["groups_turned_back"] + base["groups_all_out"]) == 0
    assert calm.any() and (~calm).any()
    for run in (half, none):
        arrived = run.columns["groups_arrived"]
        assert np.array_equal(arrived[calm], base["groups_arrived"][calm])
        assert np.all(arrived <= base["groups_arrived"])
    # With factor 0 no group sails after the first loss, so at most the groups that had
    # arrived by then plus none: fewer on average than with 0.5, fewer than with 1.
    assert none.columns["groups_arrived"].mean() < half.columns["groups_arrived"].mean()
    assert half.columns["groups_arrived"].mean() < base["groups_arrived"].mean()
    # Factor 1 is no adaptation at all: identical columns.
    same = run_campaign(
        _with_red(scenario, arrivals_factor_per_loss=1.0), CATALOG, replications=400
    )
    assert all(np.array_equal(same.columns[k], base[k], equal_nan=True) for k in base)


# -- ships at sea: stations ---------------------------------------------------------------


def _stationed(scenario, **red):
    return _with_red(scenario, **red).model_copy(
        update={
            "stations": [Station(unit="chokai-tomahawk", position=(27.0, 126.5), speed_kn=20.0)]
        }
    )


def test_a_station_is_reached_after_distance_over_speed():
    from nansei.geo import distance_km

    scenario = _stationed(load_scenario("miyako-transit").with_year(2027), warning_h=6.0)
    setup = build_setup(scenario, CATALOG)
    chokai = next(u for u in setup.units if u.id == "chokai-tomahawk")
    sasebo = CATALOG.site("sasebo")
    hours = float(distance_km(sasebo.lat, sasebo.lon, 27.0, 126.5)) / (20.0 * 1.852)
    assert (chokai.lat, chokai.lon) == (27.0, 126.5)
    assert chokai.depart_h == -6.0  # leaves on warning
    assert chokai.on_station_h == pytest.approx(-6.0 + hours)


def test_a_ship_that_sailed_on_warning_is_not_lost_in_port():
    scenario = load_scenario("miyako-transit").with_year(2027)
    in_port = run_campaign(scenario, CATALOG, replications=200).columns["blue_ships_lost"]
    sailed = run_campaign(_stationed(scenario), CATALOG, replications=200).columns
    # The Aegis ships stay in Yokosuka (3 lost when it closes); Chokai has sailed.
    assert in_port.max() == 4 and sailed["blue_ships_lost"].max() == 3
    assert sailed["blue_ships_lost"].mean() < in_port.mean()
    # With no warning it is still in port at the first strike.
    caught = run_campaign(_stationed(scenario, warning_h=0.0), CATALOG, replications=200)
    assert caught.columns["blue_ships_lost"].max() == 4


def test_a_stationed_maritime_ship_fires_only_once_on_station():
    from nansei.geo import distance_km

    scenario = load_scenario("miyako-transit").with_year(2027).model_copy(update={"days": 10.0})
    assumed = _stationed(scenario, maritime_strike=["tomahawk-block-iv"])
    setup = build_setup(assumed, CATALOG)
    assert "chokai-tomahawk" in {setup.units[i].id for i in setup.engaged()}
    # A ship so slow that it reaches its station only at 90% of the arrival window.
    sasebo = CATALOG.site("sasebo")
    km = float(distance_km(sasebo.lat, sasebo.lon, 27.0, 126.5))
    slow_kn = km / (0.9 * 10 * 24.0 - 12.0) / 1.852  # sails 12 h before the start
    late = assumed.model_copy(
        update={
            "stations": [Station(unit="chokai-tomahawk", position=(27.0, 126.5), speed_kn=slow_kn)]
        }  # fmt: skip
    )
    fired = run_campaign(assumed, CATALOG, replications=300).columns["blue_missiles_fired"]
    slow = run_campaign(late, CATALOG, replications=300).columns["blue_missiles_fired"]
    assert fired.mean() > slow.mean() + 2  # common random numbers: a systematic gap
