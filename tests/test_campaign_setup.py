"""Campaign set-up: geodesic tracks, reach, cueing probability and Poisson arrivals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nansei.campaign.engine import engaged_units, sample_arrivals_h
from nansei.campaign.setup import KM_PER_NMI, build_setup, effective_p_cue
from nansei.catalog import default_catalog
from nansei.geo import distance_km, polyline_track
from nansei.scenario import load_scenario

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


def test_reach_is_distance_within_range(miyako):
    setup = build_setup(miyako.with_year(2026), CATALOG)
    group = setup.groups[0]
    for index, unit in enumerate(setup.units):
        d = distance_km(unit.lat, unit.lon, group.track_lats, group.track_lons)
        assert np.array_equal(group.in_range[index], d <= unit.range_km)
    ids = [setup.units[i].id for i in engaged_units(setup)]
    # The 200 km island companies on Miyako and Okinawa reach the strait; 2026 adds the
    # ~1,000 km improved Type 12 at Kengun and the Tomahawk ship.
    assert {"miyako-type12", "katsuren-type12", "kengun-type12-improved"} <= set(ids)
    assert "fuji-hvgp" not in ids  # ~1,600 km away with a 700 km range


def test_longer_range_reaches_more_track(miyako):
    base = build_setup(miyako.with_year(2025), CATALOG)
    longer = build_setup(
        miyako.with_year(2025).with_overrides({"type12-original.range_km": 200}), CATALOG
    )
    shorter = build_setup(
        miyako.with_year(2025).with_overrides({"type12-original.range_km": 150}), CATALOG
    )
    assert np.array_equal(base.groups[0].in_range, longer.groups[0].in_range)
    assert np.all(shorter.groups[0].in_range <= longer.groups[0].in_range)
    assert shorter.groups[0].in_range.sum() < longer.groups[0].in_range.sum()


def test_yonaguni_2022_nobody_reaches():
    setup = build_setup(load_scenario("yonaguni-gap").with_year(2022), CATALOG)
    assert engaged_units(setup) == []


def test_effective_p_cue(miyako):
    catalog_p = CATALOG.value("isr.p_cue")
    factor = CATALOG.value("isr.joint_hq_cue_factor")
    assert effective_p_cue(miyako, CATALOG) == catalog_p
    joint = miyako.model_copy(update={"isr": miyako.isr.model_copy(update={"joint_hq": True})})
    assert effective_p_cue(joint, CATALOG) == pytest.approx(min(1.0, catalog_p * factor))
    explicit = miyako.model_copy(update={"isr": joint.isr.model_copy(update={"p_cue": 0.9})})
    assert effective_p_cue(explicit, CATALOG) == 1.0  # capped
    # An override of isr.p_cue (e.g. --set) wins over the scenario's own value.
    overridden = explicit.with_overrides({"isr.p_cue": 0.1})
    setup = build_setup(overridden, CATALOG)
    assert setup.p_cue == pytest.approx(0.1 * factor)


def test_horizon_covers_the_last_passage(miyako):
    setup = build_setup(miyako, CATALOG)
    longest = max(group.length_km / group.speed_kmh for group in setup.groups)
    assert setup.horizon_h == pytest.approx(30 * 24 + longest)
    assert (setup.steps - 1) * setup.time_step_h >= setup.horizon_h


# -- Poisson arrivals ----------------------------------------------------------------------


def test_arrivals_are_a_poisson_process():
    rng = np.random.default_rng(5)
    rate, days, reps = 0.4, 30.0, 20_000
    arrival = sample_arrivals_h(rng, rate, days, reps)
    counts = np.isfinite(arrival).sum(axis=1)
    mean = rate * days  # 12
    # Count mean within five standard errors; Poisson dispersion (variance = mean).
    assert counts.mean() == pytest.approx(mean, abs=5 * math.sqrt(mean / reps))
    assert counts.var(ddof=1) == pytest.approx(mean, rel=0.05)  # se of s² ≈ 1% here
    # Given the count, times are uniform on [0, days·24) h: KS test on every arrival.
    times = arrival[np.isfinite(arrival)]
    assert times.min() >= 0 and times.max() < days * 24
    assert stats.kstest(times, stats.uniform(0, days * 24).cdf).pvalue > 1e-3
    # And so is the first arrival of a one-group replication (the sorting bug check:
    # sorting before padding would bias early times).
    single = arrival[counts == 1, 0]
    assert stats.kstest(single, stats.uniform(0, days * 24).cdf).pvalue > 1e-3
    assert np.all(arrival[:, 1:] >= arrival[:, :-1])  # sorted, padding (inf) last


def test_no_arrivals():
    arrival = sample_arrivals_h(np.random.default_rng(1), 0.0, 30, 10)
    assert arrival.shape == (10, 0)
