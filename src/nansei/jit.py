"""numba compile options shared by every compiled kernel (one home for them).

Every kernel is cached on disk (``cache=True``); what differs is what numba generates
besides the kernel's own code, and that is most of a cold start's cost (the first run
with an empty cache compiles every kernel; bench/bench_compile.py measures each one):

* :data:`entry` — kernels called from Python: a Python wrapper, but no C-callable
  wrapper (that one serves numba's first-class function types, which nothing here uses).
* :data:`internal` — kernels only other kernels call: no wrapper at all. The Python
  wrapper unboxes every array of every table argument (and boxes a table it returns):
  for a kernel that takes the campaign's tables, about half a second of compilation.
  Tests that call one directly compile a Python-callable twin, ``njit(kernel.py_func)``
  (not cached: the twin would share the kernel's cache files).
* :data:`borrowing` — internal kernels that never own an array (they read and write
  their arguments in place and return numbers), compiled with :data:`HOT`.

Every kernel's cache entry is valid only for the sources of all the kernel modules
together (:data:`SOURCE_STAMP`): numba checks only the module a kernel is defined in,
but an entry holds the code it calls and inlines from other modules too.

Small functions (the random streams' draws, a table lookup) are separate kernels, not
numba's ``inline="always"``: LLVM inlines them into their callers all the same when it
optimises a kernel with its callees linked in, whereas numba's own inlining re-types the
callee's code at every call site — about 8 s of a 30 s cold start when the streams'
draws were inlined that way into every phase.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba.core.options as _numba_options
from numba import njit

__all__ = [
    "HOT",
    "KERNEL_MODULES",
    "SOURCE_STAMP",
    "borrowing",
    "cached",
    "entry",
    "hot",
    "hot_inline",
    "inline",
    "internal",
]

#: Every module that defines a cached kernel (relative to the package, without ``.py``).
#: A kernel's cache entry holds the code of what it calls and inlines, from other
#: modules too, but numba checks only the source of the module the kernel is defined in
#: (a SHA-256 of it, numba 0.68): after an edit of ``combat/kernels.py`` the campaign's
#: cached chunk kernel would still run the salvo code it was compiled with. So every
#: kernel here is stamped with :data:`SOURCE_STAMP`, the hash of all of these modules
#: together, and a cache entry made from other sources is stale. A test checks that
#: every cached kernel of the package is defined in one of these modules.
KERNEL_MODULES = (
    "jit",
    "streams",
    "combat/kernels",
    "combat/engine",
    "campaign/phases",
    "campaign/kernels",
)


def _source_stamp(package: Path = Path(__file__).resolve().parent) -> bytes:
    """SHA-256 of the :data:`KERNEL_MODULES` of the package in ``package``, in order."""
    digest = hashlib.sha256()
    for name in KERNEL_MODULES:
        digest.update(name.encode() + b"\0" + (package / f"{name}.py").read_bytes())
    return digest.digest()


#: SHA-256 of every module in :data:`KERNEL_MODULES`, in order (this installation's).
SOURCE_STAMP = _source_stamp()


def _stamped(decorator):
    """``decorator`` (numba's ``njit`` with options), whose kernels' cache entries are
    valid only for this :data:`SOURCE_STAMP` (numba's own stamp of the defining module,
    paired with it). numba's cache file object is internal (``Dispatcher._cache``,
    ``_cache_file._source_stamp``); without it a kernel is cached as numba alone does."""

    def stamp(function):
        kernel = decorator(function)
        cache_file = getattr(getattr(kernel, "_cache", None), "_cache_file", None)
        if cache_file is not None and hasattr(cache_file, "_source_stamp"):
            cache_file._source_stamp = (cache_file._source_stamp, SOURCE_STAMP)
        return kernel

    return stamp


#: numba options of the per-replication functions (salvo, exchange and campaign kernels).
#: ``_nrt=False`` compiles without numba's reference counting, for code that never owns
#: an array: with it, every array argument of a compiled call is counted on entry and exit
#: with atomic operations — about 85 per replication of the benchmark exchange
#: (bench/bench_salvo.py), a quarter of its time — and a kernel that tried to allocate
#: would not compile, so the flag cannot hide a leak. ``error_model="numpy"`` drops the
#: zero-division checks (no divisor here can be zero: channels, shots and live ships are
#: tested first). ``_nrt`` is an internal numba option (``numba.core.options.DefaultOptions``,
#: numba 0.68): if a numba release drops it, the kernels compile with reference counting
#: again — slower, same numbers — instead of failing to import.
HOT = {"cache": True, "error_model": "numpy", "no_cfunc_wrapper": True}
if hasattr(_numba_options.DefaultOptions, "_nrt"):
    HOT["_nrt"] = False

#: Kernels called from Python.
entry = _stamped(njit(cache=True, no_cfunc_wrapper=True))

#: Kernels only other kernels call (they may allocate).
internal = _stamped(njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True))

#: Small functions numba inlines into their callers (its ``inline="always"``: typed
#: again at every call site, so only for a few lines).
inline = _stamped(njit(cache=True, inline="always"))

#: Compiled with :data:`HOT`; inlined by numba at every call site.
hot_inline = _stamped(njit(**HOT, inline="always"))

#: Compiled with :data:`HOT`, called from Python (the salvo and exchange loops).
hot = _stamped(njit(**HOT))

#: Called from Python, compiled with numba's defaults (allocating chunk drivers).
cached = _stamped(njit(cache=True))

#: Internal kernels that never own an array. A kernel that allocated an array would not
#: compile; it must not call one that does either: linked into it, the callee's arrays
#: were never freed (a test counts them).
borrowing = _stamped(njit(**{**HOT, "no_cpython_wrapper": True}))
