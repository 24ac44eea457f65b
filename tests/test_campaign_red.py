"""Red fights back (active red): counter-force strikes, island air defence, weapon-specific
engagement — each against a closed form or a hand-enumerated case, monotonicity, and the
passive-red switch reproducing the earlier numbers exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy.stats import binom

from nansei.campaign import compare_postures, phases, run_campaign
from nansei.campaign.engine import compile_tables, stream_keys
from nansei.campaign.phases import RedTable, UnitTable
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

# Python-callable twins of the internal kernels these tests drive one call at a time
# (an internal kernel has no Python entry point; the twins are compiled here, uncached).
new_blue = njit(phases.new_blue.py_func)
strike_wave = njit(phases.strike_wave.py_func)
ship_hunt_start = njit(phases.ship_hunt_start.py_func)
strike_ship = njit(phases.strike_ship.py_func)


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
              reliability=0.9, p_kill=0.5, platform="truck", pac_channels=0.0, p_pac=0.0,
              pac_shots=1, pac_interceptors=0):  # fmt: skip
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
    pac_f = np.zeros((1, 1, len(SHIP_FLOAT_COLUMNS)))
    pac_i = np.zeros((1, 1, len(SHIP_INT_COLUMNS)), np.int64)
    pac_f[0, 0, STAYING] = 1.0
    pac_f[0, 0, AREA_CHANNELS] = pac_channels
    pac_f[0, 0, AREA_P] = p_pac
    pac_f[0, 0, AREA_SHOTS] = pac_shots
    pac_i[0, 0, 0] = pac_interceptors
    nothing = np.zeros(4)
    red = RedTable(
        site_f, site_i, np.array([[1.0 if channels > 0 else 0.0, readiness]]),
        pack_attack(reliability, 1.0, p_kill, "uniform"),
        pac_f, pac_i, np.array([[1.0 if pac_channels > 0 else 0.0, readiness]]),
        pack_attack(reliability, 1.0, 1.0, "uniform"), pack_attack(1.0, 1.0, p_kill, "uniform"),
        np.zeros((1, 1, len(SHIP_FLOAT_COLUMNS))),
        np.zeros((1, 1, len(SHIP_INT_COLUMNS)), np.int64), np.zeros((1, 2)), nothing,
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
        pac = np.zeros((1, 4), np.int64)
        pac[0, THRESHOLD] = UNLIMITED
        pac[0, INVENTORY] = red.pac_i[0, 0, 0]
        pac[0, 3] = UNLIMITED
        closed = np.zeros(1, np.bool_)
        dispersed = np.full(blue.alive.shape, dispersed_all)
        lost = np.zeros(4, np.int64)
        left = np.int64(10_000)
        for wave in range(waves):
            left = strike_wave(keys, rep, units, blue, red, state, pac, closed, np.int64(wave),
                               left, np.int64(warheads), dispersed, lost, 24.0 * wave)  # fmt: skip
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


def _layered_survival(n, rel, p_kill, layers):
    """P(site survives n warheads) through binomial area layers in turn, each
    ``(channels, q)``: F ~ Bin(n, rel) fly; a layer engages min(arriving, c) of those
    that reach it and kills each with q; each warhead left closes the site with p_kill.
    Enumerated exactly over every count."""

    def after(arriving, rest):
        if not rest:
            return (1 - p_kill) ** arriving
        c, q = rest[0]
        engaged = min(arriving, c)
        return sum(binom.pmf(k, engaged, q) * after(arriving - k, rest[1:])
                   for k in range(engaged + 1))  # fmt: skip

    return sum(binom.pmf(f, n, rel) * after(f, list(layers)) for f in range(n + 1))


@pytest.mark.parametrize("n", [2, 6])
def test_a_pac3_and_chu_sam_site_matches_the_layered_binomial_closed_form(n):
    # PAC-3 (3 channels, 2 shots of 0.6) engages the warheads first, the Chu-SAM (2
    # channels, 2 shots of 0.3) those that leaked: the salvo kernel's binomial area
    # layer twice, against the exact enumeration.
    rel, p_kill = 0.9, 0.5
    q_pac, q_sam = 1 - (1 - 0.6) ** 2, 1 - (1 - 0.3) ** 2
    survive = _layered_survival(n, rel, p_kill, [(3, q_pac), (2, q_sam)])
    units, red = _one_site(channels=2, p_sam=0.3, shots=2, interceptors=100, pac_channels=3,
                           p_pac=0.6, pac_shots=2, pac_interceptors=100)  # fmt: skip
    reps = 6000
    out = _strike(units, red, n, reps)
    se = math.sqrt(survive * (1 - survive) / reps)
    assert 1 - out[:, 0].mean() == pytest.approx(survive, abs=4 * se)
    # PAC-3 alone (no Chu-SAM) is the one-layer form; the second layer helps further.
    alone = _layered_survival(n, rel, p_kill, [(3, q_pac)])
    units, red = _one_site(pac_channels=3, p_pac=0.6, pac_shots=2, pac_interceptors=100)
    out = _strike(units, red, n, reps)
    se_alone = math.sqrt(alone * (1 - alone) / reps)
    assert 1 - out[:, 0].mean() == pytest.approx(alone, abs=4 * se_alone)
    assert survive > alone > (1 - rel * p_kill) ** n


def test_pac3_interceptors_run_out_over_waves():
    # Three PAC-3 rounds, one shot each, certain kills: three warheads shot down in all.
    units, red = _one_site(pac_channels=4, p_pac=1.0, pac_shots=1, pac_interceptors=3,
                           p_kill=0.0)  # fmt: skip
    out = _strike(units, red, 4, 50, waves=3)
    assert set(out[:, 3]) == {3} and out[:, 0].sum() == 0


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
    lost_in_port = sailed["blue_ships_lost"] - sailed["blue_ships_lost_at_sea"]
    # The Aegis ships stay in Yokosuka (3 lost when it closes); Chokai has sailed, and
    # is lost, if at all, at sea.
    assert in_port.max() == 4 and lost_in_port.max() == 3
    assert set(sailed["blue_ships_lost_at_sea"]) <= {0, 1}
    # Unseen at sea (detection rate 0) it is never lost.
    unseen = run_campaign(_stationed(scenario, ship_detection_rate_per_h=0.0), CATALOG,
                          replications=200).columns  # fmt: skip
    assert run_campaign(_stationed(scenario), CATALOG, replications=5).record()["red_model"][
        "ships_at_sea_hunted"
    ]
    assert unseen["blue_ships_lost"].max() == 3 and unseen["blue_ships_lost_at_sea"].sum() == 0
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


# -- ships at sea: red finds and strikes them -------------------------------------------


def _one_ship(rate=0.05, depart_h=-6.0, per_strike=4, reliability=0.9, p_hit=0.5, channels=0,
              p_area=0.0, interceptors=0, launchers=1):  # fmt: skip
    """One ship unit (``launchers`` ships) at sea from ``depart_h``, its class a single
    area layer (all manned), staying power one hit."""
    from nansei.campaign.phases import RULES

    units, red = _one_site(platform="ship")
    units = units._replace(
        launchers=np.array([launchers], np.int64),
        depart_h=np.array([depart_h]),
        depot=np.array([0], np.int64),
    )
    sea_f = np.zeros((1, 1, len(SHIP_FLOAT_COLUMNS)))
    sea_i = np.zeros((1, 1, len(SHIP_INT_COLUMNS)), np.int64)
    sea_f[0, 0, STAYING] = 1.0
    sea_f[0, 0, AREA_CHANNELS] = channels
    sea_f[0, 0, AREA_P] = p_area
    sea_f[0, 0, AREA_SHOTS] = 1
    sea_i[0, 0, 0] = interceptors
    red = red._replace(sea_f=sea_f, sea_i=sea_i,
                       sea_fleet=np.array([[1.0 if channels > 0 else 0.0, 1.0]]),
                       sea_attack=pack_attack(reliability, 1.0, p_hit, "uniform"))  # fmt: skip
    rules = np.zeros(len(RULES))
    rules[RULES.index("ship_detection_rate_per_h")] = rate
    rules[RULES.index("asbm_per_strike")] = per_strike
    return units, red, rules


def test_time_to_first_detection_is_exponential_with_the_rate():
    from scipy.stats import kstest

    keys = stream_keys(7)
    for rate, depart_h in ((0.05, -6.0), (0.2, 10.0)):
        units, red, rules = _one_ship(rate=rate, depart_h=depart_h)
        firsts = []
        for rep in range(3000):
            detect = np.full((1, 1), np.inf)
            ship_hunt_start(keys, rep, units, red, rules, np.zeros((1, 1, 4), np.int64), detect)
            firsts.append(detect[0, 0])
        # Hunted from max(departure, 0): the start of the war or when it sails later.
        waits = np.array(firsts) - max(depart_h, 0.0)
        assert kstest(waits, "expon", args=(0, 1 / rate)).pvalue > 1e-3
        assert waits.mean() == pytest.approx(1 / rate, rel=0.08)


@pytest.mark.parametrize("per_strike", [1, 4])
def test_survival_of_one_strike_is_the_layered_closed_form(per_strike):
    # k missiles fly with 0.9; the ship's area layer (2 channels, all manned, ample
    # interceptors, one shot of 0.5) engages min(F, 2); each leaker hits with 0.5 and one
    # hit puts it out of action — the same enumeration as the layered site defence.
    units, red, rules = _one_ship(per_strike=per_strike, channels=2, p_area=0.5,
                                  interceptors=100)  # fmt: skip
    survive = _layered_survival(per_strike, 0.9, 0.5, [(2, 0.5)])
    keys = stream_keys(9)
    reps = 6000
    lost = np.zeros(6, np.int64)
    for rep in range(reps):
        blue = new_blue(units)
        sea = np.zeros((1, 1, 4), np.int64)
        sea[0, 0, THRESHOLD] = 1
        sea[0, 0, INVENTORY] = 100
        left = strike_ship(keys, rep, units, blue, red, rules, sea, np.zeros((1, 1)),
                           np.zeros((1, 1), np.int64), 0, 0, 5.0, np.int64(50), lost)  # fmt: skip
        assert left == 50 - per_strike
    se = math.sqrt(survive * (1 - survive) / reps)
    assert 1 - lost[4] / reps == pytest.approx(survive, abs=4 * se)
    # A ship lost at sea counts as a ship lost and a launcher lost; the missiles spent.
    assert lost[2] == lost[4] == lost[0] and lost[5] == per_strike * reps


def test_a_ship_is_struck_again_until_lost_and_red_runs_out():
    # Undefended, every leaker misses (p_hit 0): never lost; red re-finds it after each
    # strike, and stops when its missiles are spent.
    units, red, rules = _one_ship(p_hit=0.0)
    keys = stream_keys(3)
    blue = new_blue(units)
    sea = np.zeros((1, 1, 4), np.int64)
    sea[0, 0, THRESHOLD] = 1
    detect = np.zeros((1, 1))
    strikes = np.zeros((1, 1), np.int64)
    lost = np.zeros(6, np.int64)
    left, t_h = np.int64(10), 0.0
    while detect[0, 0] < np.inf:
        t_h = detect[0, 0]
        left = strike_ship(keys, 0, units, blue, red, rules, sea, detect, strikes, 0, 0, t_h,
                           left, lost)  # fmt: skip
    assert left == 0 and lost[5] == 10 and strikes[0, 0] == 3  # 4 + 4 + 2
    assert lost[4] == 0 and blue.alive[0, 0]


def _ships_at_sea(rate, days=None):
    scenario = load_scenario("miyako-transit").with_year(2027)
    if days is not None:
        scenario = scenario.model_copy(update={"days": days})
    return _with_red(scenario, ship_detection_rate_per_h=rate).model_copy(
        update={"stations": [
            Station(unit="chokai-tomahawk", position=(27.0, 126.5), speed_kn=20.0),
            Station(unit="aegis-tomahawk", position=(27.0, 128.5), speed_kn=20.0),
        ]}
    )  # fmt: skip


def test_a_higher_detection_rate_loses_more_ships_at_sea():
    lost = [
        run_campaign(_ships_at_sea(rate, days=10.0), CATALOG, replications=400).columns
        for rate in (0.0, 0.002, 0.01, 0.05)
    ]
    at_sea = [run["blue_ships_lost_at_sea"].mean() for run in lost]
    assert at_sea[0] == 0 and at_sea[0] < at_sea[1] < at_sea[2] < at_sea[3]
    # Missiles spent on ships come out of the same allocation: fewer for the sites.
    spent = [run["red_antiship_missiles"].mean() for run in lost]
    assert spent[0] == 0 and spent[3] > spent[1]
    for run in lost:
        assert np.all(run["blue_ships_lost"] >= run["blue_ships_lost_at_sea"])


def test_ships_at_sea_change_nothing_with_passive_red_or_without_stations():
    # Counter-force off: the stationed passive-red numbers recorded before ships could be
    # hunted (the bundled seed, 2000 replications), exactly; and with active red but no
    # ship at sea and no PAC-3 site, the active-red numbers recorded before, exactly.
    passive = _ships_at_sea(0.05).model_copy(
        update={"stations": [Station(unit="chokai-tomahawk", position=(27.0, 126.5),
                                     speed_kn=20.0)]}
    )  # fmt: skip
    passive = _with_red(passive, counterforce=False)
    run = run_campaign(passive, CATALOG, replications=2000)
    assert tuple(run.metrics()[m]["mean"] for m in HEADLINE) == (
        7.7525, 0.765138, 146.494, 5.0195, 20.796219)  # fmt: skip
    assert not [p for p in run.setup.params if p.startswith(("red-", "pac3", "jmsdf"))]
    runs = compare_postures(load_scenario("yonaguni-gap"), CATALOG, [2025, 2027])
    recorded = {2025: (0.744, 0.983272, 19.652, 1.637, 9.938468),
                2027: (0.744, 0.983272, 19.652, 5.637, 9.938468)}  # fmt: skip
    for year, means in recorded.items():
        assert tuple(runs[year].metrics()[m]["mean"] for m in HEADLINE) == means
        assert runs[year].metrics()["blue_ships_lost"]["mean"] == (4.0 if year == 2027 else 0.0)
        assert not [p for p in runs[year].setup.params if p.startswith(("red-antiship", "jmsdf"))]
    # The hunt has its own purpose, appended (never renumbered).
    from nansei.streams import PURPOSES

    assert PURPOSES["ship-hunt"] == max(PURPOSES.values()) == 12


def test_a_pac3_deployment_is_a_scenario_choice_that_saves_depots():
    # No PAC-3 on the Sakishima islands by default (temporary deployments only); a
    # scenario that assumes one in the crisis sets it, and the Miyako depot survives
    # more often.
    scenario = _with_red(load_scenario("miyako-transit").with_year(2025), warning_h=12.0)
    setup = build_setup(scenario, CATALOG)
    assert "miyako" not in setup.red.pac3_channels and "katsuren" in setup.red.pac3_channels
    base = run_campaign(scenario, CATALOG, replications=600).columns
    forward = run_campaign(scenario, CATALOG, replications=600,
                           overrides={"pac3.units_at_miyako": 1}).columns  # fmt: skip
    changes = (("red_counterforce_intercepted", 1), ("blue_missiles_lost_in_depots", -1))
    for metric, better in changes:
        assert better * (forward[metric].mean() - base[metric].mean()) > 0, metric


# -- bad input ---------------------------------------------------------------------------


def _cli(capsys, *args):
    from nansei.cli import run

    code = run([str(a) for a in args])
    return code, capsys.readouterr().err


def _write(tmp_path, document):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _document():
    import yaml

    from nansei.campaign.scenario import resolve_scenario_path

    document = yaml.safe_load(resolve_scenario_path("miyako-transit").read_text())
    document["posture"] = {"year": 2027}
    document["stations"] = [{"unit": "chokai-tomahawk", "position": [27.0, 126.5]}]
    return document


@pytest.mark.parametrize(
    "change, fragments",
    [
        (
            lambda d: d["red"].update(ship_detection_rate_per_h=-0.1),
            ["red.ship_detection_rate_per_h", "must be >= 0"],
        ),
        (
            lambda d: d["stations"][0].update(ship_class="kongo"),
            ["stations[0].ship_class", "unknown ship class"],
        ),
        (
            lambda d: d["stations"][0].update(position=[10.0, 170.0], speed_kn=1.0),
            ["stations[0].position", "outside the ship's reach"],
        ),
        (
            lambda d: d.update(overrides={"red-antiship.p_hit": 1.5}),
            ["red-antiship.p_hit", "outside"],
        ),
    ],
    ids=["negative-rate", "unknown-class", "out-of-reach", "probability"],
)
def test_bad_ships_at_sea_input_is_one_line_naming_the_field(tmp_path, capsys, change, fragments):
    document = _document()
    change(document)
    code, err = _cli(capsys, "campaign", _write(tmp_path, document), "--reps", "5")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


def test_a_set_probability_outside_its_range_is_refused(capsys):
    code, err = _cli(capsys, "campaign", "miyako-transit", "--year", "2027", "--reps", "5",
                     "--set", "pac3.p_kill=1.2")  # fmt: skip
    assert code == 2 and "pac3.p_kill" in err and "Traceback" not in err


def test_every_new_parameter_moves_an_answer():
    # PAC-3 (defending Katsuren, and Miyako when deployed), the hunt for ships at sea and
    # the stationed ships' class defences: each from its low to its high moves a column.
    scenario = _ships_at_sea(None, days=10.0).model_copy(
        update={"overrides": {"pac3.units_at_miyako": 1}}
    )
    prefixes = ("pac3.", "red-antiship.", "jmsdf-aegis-destroyer.")
    setup = build_setup(scenario, CATALOG)
    read = [p for p in setup.params if p.startswith(prefixes)]
    assert len(read) == 5 + 2 + 4 + 7  # pac3 units (Katsuren, Miyako) and factors; hunt; class
    still = []
    for param_id in read:
        param = CATALOG.param(param_id)
        if param.low == param.high:
            continue
        runs = [
            run_campaign(scenario, CATALOG, replications=150, overrides={param_id: v}).columns
            for v in (param.low, param.high)
        ]
        if all(np.array_equal(runs[0][k], runs[1][k], equal_nan=True) for k in runs[0]):
            still.append(param_id)
    assert not still, still
