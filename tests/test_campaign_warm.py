"""The cold start's helper process (nansei.campaign.warm): it compiles exactly the
signatures run_chunk needs, hands them over through numba's cache, changes no number,
and never holds a run up when it fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from nansei.campaign import warm
from nansei.campaign.engine import compile_tables, stream_keys
from nansei.campaign.kernels import run_chunk

_COLD_RUN = r"""
import io, json, contextlib, sys
from nansei.cli import run
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = run(["campaign", "miyako-transit", "--year", "2026", "--reps", "300", "--json"])
from nansei.campaign import warm
stats = {k.py_func.__name__: [sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values())]
         for k in warm.SHARE}
print(json.dumps({"code": code, "record": json.loads(out.getvalue()), "share": stats}))
"""


def _run(cache_dir, parallel: bool) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"}
    env[warm.SWITCH] = "1" if parallel else "0"
    done = subprocess.run(
        [sys.executable, "-c", _COLD_RUN], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_cold_run_loads_the_helpers_share_and_gives_the_same_numbers(tmp_path):
    """With an empty cache the helper compiles strike_wave, salvo and _fire with
    run_chunk's own signatures: the run loads each from the cache (a hit, no compile
    in-process). A second run in the now warm cache, without the helper, gives the
    same record."""
    cold = _run(tmp_path / "cache", parallel=True)
    assert cold["code"] == 0
    for name, (hits, misses) in cold["share"].items():
        assert (hits, misses) == (1, 0), (name, hits, misses)
    warm_run = _run(tmp_path / "cache", parallel=False)
    assert warm_run["share"] == {name: [0, 0] for name in cold["share"]}  # run_chunk cached
    for record in (cold["record"], warm_run["record"]):
        record.pop("provenance", None)
    assert cold["record"] == warm_run["record"]


class _Cache:
    """A stand-in for numba's cache: misses until ``ready_at`` (monotonic seconds)."""

    def __init__(self, ready_at: float):
        self.ready_at = ready_at
        self.looks = 0
        self.index_path = "elsewhere"

    def load_overload(self, sig, target_context):
        self.looks += 1
        return "compiled" if time.monotonic() >= self.ready_at else None


def _sleeper(seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])


def test_awaiting_waits_for_the_helper_to_save_the_entry():
    helper = _sleeper(30)
    try:
        cache = _Cache(time.monotonic() + 0.3)
        started = time.monotonic()
        assert warm._Awaiting(cache, helper).load_overload(None, None) == "compiled"
        assert time.monotonic() - started >= 0.3 and cache.looks > 1
    finally:
        helper.kill()
        helper.wait()


def test_awaiting_gives_up_when_the_helper_has_ended():
    """A helper that ended without saving the entry (it failed, or compiled another
    signature): one last look, then a miss — the caller compiles it itself."""
    helper = _sleeper(0.2)
    cache = _Cache(float("inf"))
    started = time.monotonic()
    assert warm._Awaiting(cache, helper).load_overload(None, None) is None
    assert time.monotonic() - started < 10
    assert cache.index_path == warm._Awaiting(cache, helper).index_path  # the rest passes


def test_a_helper_given_nothing_exits_at_once():
    helper = warm._spawn()
    assert helper is not None
    helper.stdin.close()
    assert helper.wait(timeout=60) == 0


def _tables():
    return compile_tables(_setup())


@pytest.mark.parametrize("why", ["switched off", "compiled already"])
def test_no_helper_where_it_cannot_help(monkeypatch, why):
    units, threat, red, rules = _tables()
    keys = stream_keys(1)
    if why == "switched off":
        monkeypatch.setenv(warm.SWITCH, "0")
    else:  # compiled (or loaded) in this process: nothing left to compile
        run_chunk(keys, 0, 1, units, threat, red, rules)
    spawned = []
    monkeypatch.setattr(warm, "_spawn", lambda: spawned.append(1))
    with warm.compiling_alongside(keys, units, threat, red, rules) as helping:
        assert helping is False
    assert spawned == []
    assert all(not isinstance(k._cache, warm._Awaiting) for k in warm.SHARE)


def test_a_started_helper_is_let_go_when_the_run_is_warm(monkeypatch):
    units, threat, red, rules = _tables()
    keys = stream_keys(1)
    run_chunk(keys, 0, 1, units, threat, red, rules)
    helper = _sleeper(30)
    monkeypatch.setattr(warm, "_started", helper)
    with warm.compiling_alongside(keys, units, threat, red, rules) as helping:
        assert helping is False
    assert helper.poll() is not None and warm._started is None


def test_the_share_is_what_run_chunk_calls():
    """The share's kernels are callees of run_chunk (a renamed phase would leave the
    helper compiling something no run needs)."""
    names = set(run_chunk.py_func.__code__.co_names)
    assert {k.py_func.__name__ for k in warm.SHARE} <= names


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (["compare", "miyako-transit", "--reps", "2000"], True),
        (["campaign", "miyako-transit", "--workers", "1"], True),
        (["demo"], True),
        (["report", "miyako-transit", "--out", "r"], True),
        (["report", "--from", "run", "--out", "r"], False),  # renders a finished run
        (["report", "--from=run", "--out", "r"], False),
        (["campaign", "miyako-transit", "--workers", "2"], True),  # compiled here first
        (["sensitivity", "miyako-transit", "--method", "sobol"], True),
        (["sweep", "s.yaml", "--workers", "2"], True),
        (["sweep", "s.yaml", "--scheduler", "tcp://h:8786"], False),  # remote workers
        (["sensitivity", "miyako-transit", "--scheduler=tcp://h:8786"], False),
        (["compare", "--help"], False),
        (["salvo", "examples/salvo/company-vs-sag.yaml"], False),
        (["data", "list"], False),
    ],
)
def test_the_command_line_starts_the_helper_only_for_a_campaign_run_here(args, starts):
    from nansei.cli import _runs_campaign_here

    assert _runs_campaign_here(args) is starts


def test_a_pool_run_compiles_once_here_first(monkeypatch):
    """``--workers`` above 1 with an empty cache: run_chunk compiles in this process
    before the pool starts (the workers then load it), instead of in every worker."""
    from nansei.campaign import engine

    units, threat, red, rules = _tables()
    keys = stream_keys(1)
    compiled = []
    monkeypatch.setattr(warm, "_cold", lambda args: True)
    monkeypatch.setattr(warm, "_spawn", lambda: None)  # no helper: this test is not cold
    monkeypatch.setattr(warm, "run_chunk", _Recording(run_chunk, compiled))
    warm.compile_here_first(keys, units, threat, red, rules)
    assert len(compiled) == 1 and len(compiled[0]) == 7
    monkeypatch.setattr(warm, "_cold", lambda args: False)
    warm.compile_here_first(keys, units, threat, red, rules)
    assert len(compiled) == 1  # cached already: nothing compiled here
    seen = []
    monkeypatch.setattr(engine, "compile_here_first", lambda *tables: seen.append(len(tables)))
    setup = _setup()
    one = engine.run_replications(setup, 2_000, seed=3, workers=1)
    two = engine.run_replications(setup, 2_000, seed=3, workers=2)
    assert seen == [5]
    assert all(np.array_equal(one[name], two[name], equal_nan=True) for name in one)


class _Recording:
    """run_chunk, with its ``compile`` calls recorded."""

    def __init__(self, kernel, calls):
        self._kernel, self._calls = kernel, calls

    def compile(self, signature):
        self._calls.append(signature)
        return self._kernel.compile(signature)

    def __getattr__(self, name):
        return getattr(self._kernel, name)


def test_a_local_cluster_gets_the_first_task_run_here_when_nothing_is_cached(monkeypatch):
    from nansei.sweep import runner

    monkeypatch.setattr(runner, "_compile_cache_empty", lambda: True)
    done = []
    results = runner.run_tasks(_where, [1, 2, 3], workers=2, progress=done.append)
    assert [task for task, _ in results] == [1, 2, 3]
    assert results[0][1] == os.getpid() and {pid for _, pid in results[1:]} != {os.getpid()}
    assert sum(done) == 3


def _where(task):
    return task, os.getpid()


def _setup():
    from nansei.campaign import build_setup
    from nansei.campaign.scenario import load_scenario
    from nansei.catalog import load_catalog

    return build_setup(load_scenario("miyako-transit").with_year(2026), load_catalog())
