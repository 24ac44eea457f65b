"""Campaign set-up: geodesic tracks, reach, cueing probability and Poisson arrivals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nansei.campaign.engine import compile_tables, engaged_units, stream_keys
from nansei.campaign.phases import arrivals
from nansei.campaign.scenario import load_scenario
from nansei.campaign.setup import KM_PER_NMI, build_setup, in_range_stretches_km
from nansei.catalog import default_catalog
from nansei.geo import distance_km, polyline_track

CATALOG = default_catalog()


@pytest.fixture(scope="module")
def miyako():
    return load_scenario("miyako-transit")


def test_track_runs_origin_gate_destination(miyako):
    setup = build_setup(miyako, CATALOG)
    group, spec = setup.groups[0], miyako.threat.groups[0]
    assert (group.track_lats[0], group.track_lons[0]) == pytest.approx(spec.origin)
    assert (group.track_lats[-1], group.track_lons[-1]) == pytest.approx(spec.destination)
    # The crossing point is halfway along the Miyako Strait gate (crossing: 0.5).
    gate_lats, gate_lons, gate_km = polyline_track(CATALOG.gate("miyako-strait").points, 0.1)
    half = int(np.searchsorted(gate_km, gate_km[-1] / 2))
    to_crossing = distance_km(gate_lats[half], gate_lons[half], group.track_lats, group.track_lons)
    assert to_crossing.min() < 0.2  # within the 0.1 km gate sampling
    # Length is the sum of the two geodesic legs (WGS84 via nansei.geo).
    legs = distance_km(spec.origin[0], spec.origin[1], gate_lats[half], gate_lons[half])
    legs += distance_km(gate_lats[half], gate_lons[half], *spec.destination)
    assert group.length_km == pytest.approx(legs, abs=0.2)
    assert np.all(np.diff(group.track_km) <= 1.0 + 1e-9)  # TRACK_SPACING_KM


def test_speed_defaults_to_catalog(miyako):
    setup = build_setup(miyako, CATALOG)
    assert setup.groups[0].speed_kmh == pytest.approx(15 * 1.852)
    assert KM_PER_NMI == 1.852
    faster = miyako.model_copy(
        update={
            "threat": miyako.threat.model_copy(
                update={"groups": [miyako.threat.groups[0].model_copy(update={"speed_kn": 20})]}
            )
        }
    )
    assert build_setup(faster, CATALOG).groups[0].speed_kmh == pytest.approx(37.04)


def _inside(stretches, km):
    return np.array([any(a <= x <= b for a, b in stretches) for x in km])


def test_reach_is_distance_within_range(miyako):
    setup = build_setup(miyako.with_year(2026), CATALOG)
    group = setup.groups[0]
    for index, unit in enumerate(setup.units):
        d = distance_km(unit.lat, unit.lon, group.track_lats, group.track_lons)
        inside = _inside(group.stretches_km[index], group.track_km)
        # Every track sample agrees with the stretches, except within metres of an end.
        assert np.all((inside == (d <= unit.range_km)) | (np.abs(d - unit.range_km) < 0.05))
    ids = [setup.units[i].id for i in engaged_units(setup)]
    # The 200 km island companies on Miyako and Okinawa reach the strait; 2026 adds the
    # ~1,000 km improved Type 12 at Kengun and the Tomahawk ship.
    assert {"miyako-type12", "katsuren-type12", "kengun-type12-improved"} <= set(ids)
    assert "fuji-hvgp" not in ids  # ~1,600 km away with a 700 km range


def test_stretch_of_a_meridian_track_is_the_closed_form_chord():
    # A track along a meridian is a geodesic, so a unit on it at along-track distance s
    # reaches exactly [s - R, s + R] of it; the ends are found to well under the 1 km
    # sampling by interpolation.
    lats, lons, km = polyline_track([(20.0, 125.0), (30.0, 125.0)], 1.0)
    unit_at = distance_km(20.0, 125.0, 25.0, 125.0)
    d = distance_km(25.0, 125.0, lats, lons)
    ((begin, end),) = in_range_stretches_km(km, d, 111.0)
    assert begin == pytest.approx(unit_at - 111.0, abs=0.01)
    assert end == pytest.approx(unit_at + 111.0, abs=0.01)
    assert in_range_stretches_km(km, d + 500.0, 111.0) == ()
    assert in_range_stretches_km(km, np.zeros_like(km), 1.0) == ((0.0, km[-1]),)


def test_longer_range_reaches_more_track(miyako):
    def reached_km(setup):
        index = [u.id for u in setup.units].index("miyako-type12")
        return sum(b - a for a, b in setup.groups[0].stretches_km[index])

    base = build_setup(miyako.with_year(2025), CATALOG)
    longer = build_setup(
        miyako.with_year(2025).with_overrides({"type12-original.range_km": 200}), CATALOG
    )
    shorter = build_setup(
        miyako.with_year(2025).with_overrides({"type12-original.range_km": 150}), CATALOG
    )
    assert base.groups[0].stretches_km == longer.groups[0].stretches_km
    # The track bends at the gate near Miyako, so the chord has no simple closed form
    # here (the meridian test above checks the geometry); a shorter range reaches less.
    assert 0 < reached_km(shorter) < reached_km(longer)


def test_yonaguni_2022_nobody_reaches():
    setup = build_setup(load_scenario("yonaguni-gap").with_year(2022), CATALOG)
    assert engaged_units(setup) == []


def test_cue_rate(miyako):
    catalog_rate = CATALOG.value("isr.cue_rate_per_h")
    factor = CATALOG.value("isr.joint_hq_cue_factor")
    assert build_setup(miyako, CATALOG).cue_rate_per_h == catalog_rate
    joint = miyako.model_copy(update={"isr": miyako.isr.model_copy(update={"joint_hq": True})})
    assert build_setup(joint, CATALOG).cue_rate_per_h == pytest.approx(catalog_rate * factor)
    explicit = miyako.model_copy(
        update={"isr": joint.isr.model_copy(update={"cue_rate_per_h": 0.9})}
    )
    assert build_setup(explicit, CATALOG).cue_rate_per_h == pytest.approx(0.9 * factor)
    # An override of isr.cue_rate_per_h (e.g. --set) wins over the scenario's own value.
    overridden = explicit.with_overrides({"isr.cue_rate_per_h": 0.1})
    setup = build_setup(overridden, CATALOG)
    assert setup.cue_rate_per_h == pytest.approx(0.1 * factor)
    # The earlier per-3-hour convention, reported beside it: 1 - exp(-3 h * rate).
    assert setup.p_cue == pytest.approx(1 - math.exp(-0.3 * factor))


def test_horizon_covers_the_last_passage(miyako):
    setup = build_setup(miyako, CATALOG)
    longest = max(group.length_km / group.speed_kmh for group in setup.groups)
    assert setup.horizon_h == pytest.approx(30 * 24 + longest)


def test_setup_records_every_value_it_reads(miyako):
    setup = build_setup(miyako, CATALOG)
    assert setup.params["isr.cue_rate_per_h"] == CATALOG.value("isr.cue_rate_per_h")
    assert setup.params["ssm-company.reload_stock"] == CATALOG.value("ssm-company.reload_stock")
    assert "type-052d.anti_ship_missiles" not in setup.params  # groups do not fire back
    # A changed input changes the hash; the same value does not.
    same = build_setup(
        miyako.with_overrides({"survival.p_detect": setup.params["survival.p_detect"]}), CATALOG
    )
    other = build_setup(miyako.with_overrides({"survival.p_detect": 0.8}), CATALOG)
    assert same.scenario_hash != setup.scenario_hash or same.params == setup.params
    assert other.scenario_hash != setup.scenario_hash


def test_company_facts_reach_every_unit_built_from_them(miyako):
    setup = build_setup(miyako.with_overrides({"ssm-company.reload_stock": 48}), CATALOG)
    yufuin = next(u for u in setup.units if u.id == "yufuin-type12")
    miyako_unit = next(u for u in setup.units if u.id == "miyako-type12")
    assert miyako_unit.reload_stock == 48 and yufuin.reload_stock == 3 * 48
    assert yufuin.launchers == 3 * CATALOG.value("ssm-company.launchers")


# -- Poisson arrivals ----------------------------------------------------------------------


def _arrival_draws(rate, days, reps):
    scenario = load_scenario("miyako-transit")
    group = scenario.threat.groups[0].model_copy(update={"arrivals_per_day": rate})
    scenario = scenario.model_copy(
        update={"threat": scenario.threat.model_copy(update={"groups": [group]})}
    )
    _, threat, _, _ = compile_tables(build_setup(scenario, CATALOG))
    keys = stream_keys(5)
    return [arrivals(keys, rep, threat, days).arrival_h for rep in range(reps)]


def test_arrivals_are_a_poisson_process():
    rate, days, reps = 0.4, 30.0, 20_000
    draws = _arrival_draws(rate, days, reps)
    counts = np.array([d.size for d in draws])
    mean = rate * days  # 12
    # Count mean within five standard errors; Poisson dispersion (variance = mean).
    assert counts.mean() == pytest.approx(mean, abs=5 * math.sqrt(mean / reps))
    assert counts.var(ddof=1) == pytest.approx(mean, rel=0.05)  # se of s² ≈ 1% here
    # Given the count, times are uniform on [0, days·24) h: KS test on every arrival.
    times = np.concatenate(draws)
    assert times.min() >= 0 and times.max() < days * 24
    assert stats.kstest(times, stats.uniform(0, days * 24).cdf).pvalue > 1e-3


def test_no_arrivals():
    assert all(d.size == 0 for d in _arrival_draws(0.0, 30.0, 10))


def test_geometry_reused_across_setups_equals_geometry_solved_afresh(miyako):
    """Tracks and unit-to-track distances are solved once per process; a setup built from
    the cache equals one built with the caches emptied, and the shared arrays are
    read-only (no caller can change what the next setup sees)."""
    from nansei.campaign import setup as setup_module

    scenario = miyako.with_year(2026).with_overrides(
        {"pla-sag.speed_kn": 14.0, "type12-original.range_km": 150.0}
    )
    warm = build_setup(scenario, CATALOG)
    for cached in (
        setup_module._point_along,
        setup_module._route_track,
        setup_module._track_distances_km,
        setup_module._station_distances_km,
    ):
        cached.cache_clear()
    fresh = build_setup(scenario, CATALOG)
    for a, b in zip(warm.groups, fresh.groups, strict=True):
        assert a.stretches_km == b.stretches_km
        np.testing.assert_array_equal(a.track_km, b.track_km)
        for x, y in zip(a.acquisition, b.acquisition, strict=True):
            np.testing.assert_array_equal(x, y)
        with pytest.raises(ValueError):
            a.track_lats[0] = 0.0
    assert warm.scenario_hash == fresh.scenario_hash
