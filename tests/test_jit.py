"""Compiled kernels' cache entries are stale when any kernel module changes (nansei.jit):
numba alone checks only the module a kernel is defined in, while the entry also holds
the code of what the kernel calls from other modules."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from numba.core.dispatcher import Dispatcher

import nansei
from nansei import jit

PACKAGE = Path(nansei.__file__).resolve().parent


def _package_kernels() -> list[Dispatcher]:
    kernels = []
    for name in ("streams", "combat.kernels", "combat.engine", "campaign.phases",
                 "campaign.kernels"):  # fmt: skip
        module = importlib.import_module(f"nansei.{name}")
        kernels += [v for v in vars(module).values() if isinstance(v, Dispatcher)]
    return kernels


def test_every_cached_kernel_is_stamped_with_all_kernel_modules():
    kernels = [k for k in _package_kernels() if getattr(k, "_cache", None) is not None]
    assert len(kernels) > 40
    for kernel in kernels:
        module = Path(kernel.py_func.__code__.co_filename).resolve().relative_to(PACKAGE)
        assert str(module.with_suffix("")) in jit.KERNEL_MODULES, kernel
        stamp = getattr(kernel._cache, "_cache_file", None)
        if stamp is not None:  # a disk cache (not numba's null cache)
            assert stamp._source_stamp[1] == jit.SOURCE_STAMP, kernel


_KERNEL_DECORATOR = re.compile(
    r"^\s*@(?:numba\.)?(?:njit|jit|entry|internal|borrowing|hot|hot_inline|cached|inline)\b"
    r"(?!_)",
    re.MULTILINE,
)


def test_no_module_outside_the_list_compiles_a_cached_kernel():
    for name in jit.KERNEL_MODULES[1:]:  # the pattern sees the kernels where they are
        assert _KERNEL_DECORATOR.search((PACKAGE / f"{name}.py").read_text()), name
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(PACKAGE).with_suffix(""))
        if name in jit.KERNEL_MODULES or name == "campaign/warm":
            continue
        assert not _KERNEL_DECORATOR.search(path.read_text()), name


def test_the_stamp_moves_with_any_kernel_module(tmp_path):
    copy = tmp_path / "nansei"
    for name in jit.KERNEL_MODULES:
        target = copy / f"{name}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PACKAGE / f"{name}.py", target)
    assert jit._source_stamp(copy) == jit.SOURCE_STAMP
    for name in jit.KERNEL_MODULES:
        path = copy / f"{name}.py"
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        assert jit._source_stamp(copy) != jit.SOURCE_STAMP, name
        path.write_bytes(original)


_CALL = r"""
import json, numpy as np
from nansei.combat.kernels import fire_salvo, pack_attack, pack_fleet
from nansei.combat.forces import ShipType
stream = np.array([1, 0x9E3779B97F4A7C15], dtype=np.uint64)
ship_f, ship_i, fleet = pack_fleet([ShipType(name="t", count=2)], 1.0)
state = np.zeros((2, 4), dtype=np.int64); state[:, 1] = 2
hits = fire_salvo(stream, 6, pack_attack(1.0, 1.0, 0.5, "uniform"), ship_f, fleet, state,
                  np.zeros(9, dtype=np.int64))
print(json.dumps({"hits": int(hits), "hits_cached": sum(fire_salvo.stats.cache_hits.values()),
                  "misses": sum(fire_salvo.stats.cache_misses.values())}))
"""


def test_an_edit_of_a_callees_module_makes_the_callers_entry_stale(tmp_path):
    """fire_salvo (combat/kernels.py) compiles the streams' draws (streams.py) into its
    entry: after an edit of streams.py alone, its entry is compiled again, not loaded."""
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source / "nansei", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(source), "NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def call() -> dict:
        done = subprocess.run([sys.executable, "-c", _CALL], capture_output=True, text=True,
                              env=env, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    first, again = call(), call()
    assert (first["misses"], again["hits_cached"], again["misses"]) == (1, 1, 0)
    streams = source / "nansei" / "streams.py"
    streams.write_text(streams.read_text() + "\n# an edit that changes no kernel\n")
    edited = call()
    assert (edited["hits_cached"], edited["misses"]) == (0, 1)
    assert edited["hits"] == first["hits"] == again["hits"]
