"""The salvo case matched to lanchester-sim stays matched (no peer code needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

from nansei.combat.engine import simulate_exchange

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_peer.py"


@pytest.fixture(scope="module")
def bench_peer():
    spec = importlib.util.spec_from_file_location("bench_peer", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_case_uses_only_rules_the_peer_has(bench_peer):
    blue, red = bench_peer.peer_forces(bench_peer.load_case(), SimpleNamespace)
    assert [(s.offensive_power, s.defensive_power, s.staying_power) for s in blue] == [
        (6.0, 0.0, 1)
    ] * 4
    assert [s.staying_power for s in red] == [3, 2, 2, 2]
    assert {s.defensive_power for s in red} == {0.7} and {s.offensive_power for s in red} == {0}


def test_one_salvo_leaks_the_peers_closed_form(bench_peer):
    # Peer rule: each of 24 missiles gets through with 1 − 0.7, so leakers ~ Binomial(24, 0.3).
    case = bench_peer.load_case()
    result = simulate_exchange(case.sides, replications=20_000, seed=3, rounds=1, order="blue")
    leakers = result.record()["sides"]["red"]["leakers"]
    half = (leakers["ci95"][1] - leakers["ci95"][0]) / 2
    assert abs(leakers["mean"] - 24 * 0.3) < 2.5 * half  # ~5 standard errors
