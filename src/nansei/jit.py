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

Small functions (the random streams' draws, a table lookup) are separate kernels, not
numba's ``inline="always"``: LLVM inlines them into their callers all the same when it
optimises a kernel with its callees linked in, whereas numba's own inlining re-types the
callee's code at every call site — about 8 s of a 30 s cold start when the streams'
draws were inlined that way into every phase.
"""

from __future__ import annotations

import numba.core.options as _numba_options
from numba import njit

__all__ = ["HOT", "borrowing", "entry", "internal"]

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
entry = njit(cache=True, no_cfunc_wrapper=True)

#: Kernels only other kernels call (they may allocate).
internal = njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)

#: Internal kernels that never own an array. A kernel that allocated an array would not
#: compile; it must not call one that does either: linked into it, the callee's arrays
#: were never freed (a test counts them).
borrowing = njit(**{**HOT, "no_cpython_wrapper": True})
