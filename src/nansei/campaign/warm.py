"""A cold start on two cores: the campaign kernel's heaviest callees compiled by a helper
process while this one compiles the rest.

With an empty numba cache the first campaign compiles :func:`run_chunk` and everything
it calls, one kernel after another, about 18 s of CPU (bench/bench_compile.py). numba
compiles a caller's callees as it types the caller, in the caller's order, and saves
each one to the on-disk cache as soon as it is compiled; it loads a callee from that
cache when it finds it there. So a second process that compiles the three heaviest
callees — red's counter-force wave (:func:`~nansei.campaign.phases.strike_wave`, with
the island air defence and the salvo kernel under it), blue's salvo and a unit's firing
(exposure, reloads), about 6 s of the 18 — while this one types everything before them
hands them over through the cache: this process waits for each of them (if it gets to
it first) and loads it instead of compiling it again. (Which three, and in which order,
balances the two processes: this one reaches the counter-force wave after about 6 s of
its own compiling, about when the helper has it.)

What runs is the same machine code either way: a kernel loaded from the cache carries
its LLVM bitcode for linking into its callers, exactly as one compiled in-process.
Nothing here can change a number: whatever the helper does not deliver — it failed, it
compiled another signature, it was slow — this process compiles itself, as before.

It runs only where it can help: a cold cache, at least two CPU cores, the main process
(not a worker of a pool or a Dask cluster, each of which compiles on its own), and
``NANSEI_PARALLEL_COMPILE`` not ``0``. The command line starts the helper as soon as a
command that runs a campaign begins (:func:`prestart`), so that it imports numba while
this process reads the catalog and scenario; :func:`compiling_alongside` hands it the
tables. It uses numba's cache object of a dispatcher (``Dispatcher._cache``:
``load_overload``, ``save_overload``, ``_index_key``, ``_cache_file``), internal to
numba 0.68: if a release changes it, the first run compiles in one process as before.
Measured in bench/bench_compile.py (docs/campaign.md, "Cold and warm start").
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nansei.campaign.kernels import _fire, run_chunk
from nansei.campaign.phases import (
    ACTIVE,
    RED_INVENTORY,
    WARHEADS,
    Blue,
    Groups,
    salvo,
    strike_wave,
)
from nansei.combat.kernels import SalvoWork

__all__ = [
    "SHARE",
    "SWITCH",
    "compile_here_first",
    "compiling_alongside",
    "nothing_cached",
    "prestart",
    "release",
]

#: The callees the helper compiles, in the order run_chunk's typing reaches them.
SHARE = (strike_wave, salvo, _fire)

#: Environment switch: ``0`` compiles in one process.
SWITCH = "NANSEI_PARALLEL_COMPILE"

#: Longest wait for one kernel from the helper (s): past it this process compiles it.
_PATIENCE_S = 120.0
_POLL_S = 0.02


def _share(keys, units, threat, red, rules, blue, groups, work):  # pragma: no cover
    """The helper's typing: :data:`SHARE` called with arguments of the types run_chunk
    passes them, so that numba compiles (and caches) exactly run_chunk's signatures of
    them. It is compiled, never run."""
    rep = np.int64(0)
    sites = red.site_f.shape[0]
    site_state = np.zeros((sites, 4), dtype=np.int64)
    pac_state = np.zeros((sites, 4), dtype=np.int64)
    closed = np.zeros(sites, dtype=np.bool_)
    dispersed = np.zeros(blue.alive.shape, dtype=np.bool_)
    cf_lost = np.zeros(6, dtype=np.int64)
    red_left = np.int64(rules[RED_INVENTORY]) if rules[ACTIVE] > 0 else np.int64(0)
    per_site = np.int64(rules[WARHEADS])
    wave = np.int64(0)
    t_h = 0.0
    red_left = strike_wave(keys, rep, units, blue, red, site_state, pac_state, closed, wave,
                           red_left, per_site, dispersed, cf_lost, t_h)  # fmt: skip
    attack = np.empty(units.attack.shape[1], dtype=np.float64)
    ship_f = threat.ship_f[groups.kind[0]]
    tally = np.zeros(9, dtype=np.int64)
    stream = np.empty(2, dtype=np.uint64)
    g, missiles, u = groups.kind[0], np.int64(0), np.int64(0)
    salvo(keys, rep, threat, groups, g, missiles, attack, ship_f, tally, stream, work)
    counts = np.zeros(2, dtype=np.int64)
    _fire(keys, rep, units, blue, u, missiles, t_h, rules, counts, stream)
    return red_left


def _working_state(units, threat) -> tuple:
    """A :class:`Blue`, :class:`Groups` and :class:`SalvoWork` of the types run_chunk's
    (``new_blue``, ``new_groups``, ``new_salvo_work``) make — built here, as compiling
    those constructors in the helper too would only delay it."""
    two_d = (1, 1)
    blue = Blue(
        np.zeros(two_d, dtype=np.bool_),
        np.zeros(two_d, dtype=np.int64),
        np.zeros(two_d, dtype=np.int64),
        np.zeros(two_d, dtype=np.float64),
        np.zeros(two_d, dtype=np.float64),
        units.depot.copy(),
        np.zeros(1, dtype=np.int64),
    )
    ships = threat.ship_f.shape[1]
    groups = Groups(
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.float64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros((1, ships, 4), dtype=np.int64),
    )
    ints = np.zeros(3, dtype=np.int64)
    work = SalvoWork(ints[:1], ints[1:2], ints[2:], np.zeros(1, dtype=np.float64))
    return blue, groups, work


def _helper_main() -> None:  # pragma: no cover - runs in the helper process
    from numba import njit

    try:
        keys, units, threat, red, rules = pickle.load(sys.stdin.buffer)
    except (EOFError, pickle.UnpicklingError):  # let go: this process compiles alone
        return
    args = (keys, units, threat, red, rules, *_working_state(units, threat))
    saved = set()

    class Saving:
        """Exits the helper once the last kernel of its share is saved (compiling the
        share's own function after that would only take a core from the main process)."""

        def __init__(self, kernel):
            self.kernel, self.cache = kernel, kernel._cache

        def save_overload(self, sig, data):
            self.cache.save_overload(sig, data)
            saved.add(self.kernel)
            if len(saved) == len(SHARE):
                os._exit(0)

        def __getattr__(self, name):
            return getattr(self.cache, name)

    for kernel in SHARE:
        kernel._cache = Saving(kernel)
    share = njit(no_cpython_wrapper=True, no_cfunc_wrapper=True)(_share)
    share.compile(tuple(share.typeof_pyval(a) for a in args))


def _may_help() -> bool:
    """Switch on, the main process, at least two CPU cores."""
    if os.environ.get(SWITCH, "1") == "0" or multiprocessing.parent_process() is not None:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores >= 2


def _signature(keys, units, threat, red, rules) -> tuple:
    """run_chunk's argument types for these tables (any first replication and count:
    the engine passes them as Python ints, int64 to numba)."""
    args = (keys, np.int64(0), np.int64(1), units, threat, red, rules)
    return tuple(run_chunk.typeof_pyval(a) for a in args)


def _cold(signature: tuple) -> bool:
    """Whether run_chunk has neither compiled nor cached code for ``signature``."""
    if run_chunk.signatures:
        return False
    try:
        cache = run_chunk._cache
        key = cache._index_key(signature, run_chunk.targetctx.codegen())
        return key not in cache._cache_file._load_index()
    except Exception:  # numba's internals changed: compile in one process
        return False


def nothing_cached() -> bool:
    """run_chunk has no cache index at all (a first run after installing or upgrading) —
    a quick look, before the tables exist, that :func:`_cold` then makes sure of."""
    try:
        return not run_chunk.signatures and not os.path.exists(
            run_chunk._cache._cache_file._index_path
        )
    except Exception:
        return False


def _spawn() -> subprocess.Popen | None:
    source = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    try:
        return subprocess.Popen(
            [sys.executable, "-c", "from nansei.campaign.warm import _helper_main; _helper_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    except OSError:
        return None


def _stop(helper: subprocess.Popen) -> None:
    if helper.stdin is not None:
        with contextlib.suppress(OSError):
            helper.stdin.close()
    if helper.poll() is None:
        helper.kill()
    helper.wait()


#: A helper started by :func:`prestart`, waiting for its tables.
_started: subprocess.Popen | None = None


def prestart() -> None:
    """Start the helper now, if the campaign about to run will compile run_chunk from
    nothing: it imports numba while this process loads its inputs. Unused, it is let go
    by the next :func:`compiling_alongside`, by :func:`release` or at exit."""
    global _started
    if _started is None and _may_help() and nothing_cached():
        _started = _spawn()


@atexit.register
def release() -> None:
    """Let a started helper go unused (the command compiled nothing after all: its
    cache was filled meanwhile, or its work went elsewhere)."""
    global _started
    if _started is not None:
        _stop(_started)
        _started = None


class _Awaiting:
    """A dispatcher's cache that, on a miss, waits for the helper to save the entry."""

    def __init__(self, cache, helper: subprocess.Popen):
        self._cache = cache
        self._helper = helper

    def load_overload(self, sig, target_context):
        deadline = time.monotonic() + _PATIENCE_S
        while True:
            found = self._cache.load_overload(sig, target_context)
            if found is not None:
                return found
            if self._helper.poll() is not None:
                # it has ended: one more look (it may have saved the entry just before)
                return self._cache.load_overload(sig, target_context)
            if time.monotonic() > deadline:
                return None
            time.sleep(_POLL_S)

    def __getattr__(self, name):
        return getattr(self._cache, name)


@contextlib.contextmanager
def compiling_alongside(keys, units, threat, red, rules) -> Iterator[bool]:
    """Within: run_chunk compiles with a helper process, when that can help (yields
    whether it does). On leaving, the helper is stopped and the caches are as before."""
    global _started
    helper, _started = _started, None
    if not (_may_help() and _cold(_signature(keys, units, threat, red, rules))):
        if helper is not None:
            _stop(helper)
        yield False
        return
    if helper is None:
        helper = _spawn()
    if helper is None:
        yield False
        return
    originals = {}
    try:
        with contextlib.suppress(OSError):  # a helper that died at once: compile alone
            pickle.dump((keys, units, threat, red, rules), helper.stdin)
            helper.stdin.close()
        for kernel in SHARE:
            originals[kernel] = kernel._cache
            kernel._cache = _Awaiting(kernel._cache, helper)
        yield True
    finally:
        for kernel, cache in originals.items():
            kernel._cache = cache
        _stop(helper)


def compile_here_first(keys, units, threat, red, rules) -> None:
    """Before a pool of worker processes runs chunks: if run_chunk is not cached for
    these tables, compile it here (with the helper, :func:`compiling_alongside`), so
    that the workers load it from the cache instead of each compiling all of it at
    once — as many copies of the same 18 s of CPU as there are workers."""
    signature = _signature(keys, units, threat, red, rules)
    if not _cold(signature):
        return
    with compiling_alongside(keys, units, threat, red, rules):
        run_chunk.compile(signature)
