"""The compiled phases one at a time, against closed forms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nansei.campaign.engine import compile_tables, stream_keys
from nansei.campaign.phases import arrivals, cueing, time_order
from nansei.campaign.scenario import load_scenario
from nansei.campaign.setup import build_setup
from nansei.catalog import default_catalog

CATALOG = default_catalog()


@pytest.mark.parametrize("coordination", ["independent", "coordinated"])
def test_cues_are_poisson_in_time_in_reach(coordination):
    # Cues on a group are a Poisson process at rate λ per hour it spends in reach, so
    # their count is Poisson(λ·T) with T the hours in reach (per unit, or of the union
    # of the units' stretches when cues are shared) — whatever any clock step would be.
    scenario = load_scenario("miyako-transit").with_year(2025)
    doctrine = scenario.doctrine.model_copy(update={"coordination": coordination})
    scenario = scenario.model_copy(update={"doctrine": doctrine})
    setup = build_setup(scenario, CATALOG)
    units, threat, _, rules = compile_tables(setup)
    keys = stream_keys(9)
    per_group = {}  # expected cues per group of each kind
    for k, group in enumerate(setup.groups):
        if coordination == "coordinated":
            windows_km = threat.union[k, : threat.union_count[k]]
            hours = float(np.sum(windows_km[:, 1] - windows_km[:, 0])) / group.speed_kmh
        else:
            hours = sum(
                (b - a) / group.speed_kmh for i in setup.engaged() for a, b in group.stretches_km[i]
            )
        per_group[k] = setup.cue_rate_per_h * hours
    counts, expected = [], []
    stream = np.empty(2, dtype=np.uint64)  # scratch, re-seeded per group and unit
    for rep in range(4000):
        groups = arrivals(keys, rep, threat, setup.days)
        times, which, _ = cueing(keys, rep, threat, groups, units, rules, stream)
        assert np.all(np.diff(times) >= 0)
        for g in range(groups.kind.size):
            counts.append(int(np.sum(which == g)))
            expected.append(per_group[int(groups.kind[g])])
    counts, expected = np.array(counts), np.array(expected)
    # Mean: Σ counts vs Σ λT (Poisson: variance of the sum = its mean).
    assert counts.sum() == pytest.approx(expected.sum(), abs=5 * math.sqrt(expected.sum()))
    # Dispersion: Poisson counts have variance equal to the mean, per kind.
    for mean in per_group.values():
        mine = counts[expected == mean]
        assert mine.var(ddof=1) == pytest.approx(mean, rel=0.15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=300))
def test_time_order_is_a_stable_sort(values):
    times = np.array(values, dtype=np.float64)
    np.testing.assert_array_equal(time_order(times), np.argsort(times, kind="stable"))


@pytest.mark.parametrize(
    ("name", "counterforce", "coordination"),
    [
        ("miyako-transit", False, "coordinated"),
        ("miyako-transit", True, "independent"),
        ("examples/campaign/miyako-ships-at-sea.yaml", True, "coordinated"),
    ],
)
def test_a_chunk_frees_every_array_it_allocates(name, counterforce, coordination):
    # Kernels compiled without reference counting (nansei.jit.borrowing) must not call one that
    # allocates: numba links the callee in with its counting compiled out and its arrays
    # are never freed (a launcher's exposure stream leaked once per firing that way).
    # numba's own allocation counters must balance over a chunk (the leak showed when the
    # kernels compiled from an empty cache, as on a fresh clone).
    from numba.core.runtime import _nrt_python, rtsys

    from nansei.campaign.kernels import run_chunk

    path = Path(__file__).resolve().parent.parent / name
    scenario = load_scenario(path if path.suffix == ".yaml" else name).with_year(2027)
    red = scenario.red.model_copy(update={"counterforce": counterforce})
    doctrine = scenario.doctrine.model_copy(update={"coordination": coordination})
    scenario = scenario.model_copy(update={"red": red, "doctrine": doctrine})
    tables = compile_tables(build_setup(scenario, CATALOG))
    keys = stream_keys(3)
    run_chunk(keys, 0, 2, *tables)  # compiled (or loaded) before counting
    counting = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()
    try:
        before = rtsys.get_allocation_stats()
        out = run_chunk(keys, 0, 300, *tables)
        assert out[:, 2].sum() > 0  # missiles were fired: exposure and reloads ran
        del out
        after = rtsys.get_allocation_stats()
    finally:
        if not counting:
            _nrt_python.memsys_disable_stats()
    allocated, freed = after.alloc - before.alloc, after.free - before.free
    assert allocated > 10  # the counters run (a chunk allocates its working arrays once)
    assert freed == allocated
