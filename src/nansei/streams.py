"""Random streams for common random numbers: one small independent stream per purpose.

Every compiled engine draws from *streams* named by what they are for — a purpose
(arrivals, cueing, a salvo, exposure, search, …) and the integers that identify the
thing drawn for (replication, unit, group, salvo ordinal) — never by parameter values or
the posture year. Two runs that differ only in a parameter therefore see the same random
numbers wherever the same thing happens (common random numbers, Law & Kelton,
*Simulation Modeling and Analysis*, ch. 11), and results do not depend on how
replications are cut into chunks or spread over workers.

The generator is SplitMix64 with a per-stream seed and odd increment ("gamma"), the
splittable generator of G. L. Steele, D. Lea and C. H. Flood, "Fast splittable
pseudorandom number generators", *OOPSLA 2014*, 453–472 (Java's ``SplittableRandom``):
``state += gamma``; output ``mix64(state)``. A stream's seed and gamma are hashes of its
name; different gammas keep two streams' sequences apart even where their seeds are
close. The run's key per purpose comes from :class:`numpy.random.SeedSequence`, keyed by
the run's seed and the purpose's number (:func:`purpose_key`).

A stream is a ``uint64[2]`` array ``(state, gamma)``; the draw functions are compiled
kernels (:data:`nansei.jit.borrowing`: LLVM inlines them into their callers) that update
it in place, and :func:`seed_stream` re-seeds one in place.
Pure: no files, no printing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import uint64

from nansei.jit import borrowing, entry

__all__ = [
    "PURPOSES",
    "exponential",
    "mix64",
    "new_stream",
    "normal",
    "poisson",
    "purpose_key",
    "seed_from",
    "seed_stream",
    "skip",
    "stream_prefix",
    "uniform",
    "unit",
]

#: Purposes and their numbers: the numbers are part of every result's identity, so a
#: purpose keeps its number forever (append new ones).
PURPOSES = {
    "arrivals": 1,
    "cueing": 2,
    "salvo": 3,
    "exposure": 4,
    "search": 5,
    "staying-power": 6,
    "exchange": 7,
    "dispersal": 8,
    "counterforce": 9,
    "auto-salvo": 10,
    "adaptation": 11,
    "ship-hunt": 12,
}

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_G1 = uint64(0xFF51AFD7ED558CCD)
_G2 = uint64(0xC4CEB9FE1A85EC53)
_ALTERNATE = uint64(0xAAAAAAAAAAAAAAAA)
_ONE = uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def purpose_key(seed: int, purpose: str) -> np.uint64:
    """The run's 64-bit key for one purpose, from ``SeedSequence(seed, spawn_key=(n,))``."""
    sequence = np.random.SeedSequence(int(seed), spawn_key=(PURPOSES[purpose],))
    return sequence.generate_state(1, dtype=np.uint64)[0]


@borrowing
def mix64(z):
    """Stafford's variant 13 finaliser, the output function of SplitMix64 (Steele et al.)."""
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@borrowing
def _mix_gamma(z):
    """An odd increment with enough bit transitions (Steele et al., ``mixGamma``)."""
    z = (z ^ (z >> uint64(33))) * _G1
    z = (z ^ (z >> uint64(33))) * _G2
    z = (z ^ (z >> uint64(33))) | _ONE
    if _popcount(z ^ (z >> _ONE)) < 24:
        z ^= _ALTERNATE
    return z


@borrowing
def _popcount(x):
    """Set bits of a 64-bit word (the SWAR count, Hacker's Delight §5-1)."""
    x = x - ((x >> _ONE) & uint64(0x5555555555555555))
    x = (x & uint64(0x3333333333333333)) + ((x >> uint64(2)) & uint64(0x3333333333333333))
    x = (x + (x >> uint64(4))) & uint64(0x0F0F0F0F0F0F0F0F)
    return (x * uint64(0x0101010101010101)) >> uint64(56)


@borrowing
def seed_stream(stream, key, a, b, c):
    """Set ``stream`` (a ``uint64[2]``) to the start of the stream named by a purpose
    ``key`` and three non-negative integers. In place: hot loops keep one stream array
    and re-seed it, so naming a stream allocates nothing."""
    seed_from(stream, stream_prefix(key, a), b, c)


@borrowing
def stream_prefix(key, a):
    """The hash of a purpose ``key`` and first integer ``a`` that every stream named
    ``(key, a, ·, ·)`` starts from: a loop naming many streams of one replication hashes
    it once and names each with :func:`seed_from` (the same streams as
    :func:`seed_stream`)."""
    return mix64(uint64(key) ^ mix64(uint64(a) + _GOLDEN))


@borrowing
def seed_from(stream, prefix, b, c):
    """Set ``stream`` to the stream named ``(key, a, b, c)``, given the
    :func:`stream_prefix` of ``(key, a)``."""
    h = mix64(prefix ^ mix64(uint64(b) + _GOLDEN + _GOLDEN))
    h = mix64(h ^ mix64(uint64(c) + _GOLDEN + _GOLDEN + _GOLDEN))
    stream[0] = h
    stream[1] = _mix_gamma(h + _GOLDEN)


@entry
def new_stream(key, a, b, c):
    """The stream named by a purpose ``key`` and three non-negative integers (a new
    array; :func:`seed_stream` re-seeds an existing one to the same numbers)."""
    out = np.empty(2, dtype=np.uint64)
    seed_stream(out, key, a, b, c)
    return out


@borrowing
def unit(state):
    """The uniform draw of one generator state: its top 53 output bits ``k``, centred,
    ``(k + ½)·2⁻⁵³``. Never 0; the sum rounds to even, so for the largest ``k`` (chance
    2⁻⁵³) it is exactly 1."""
    return (float(mix64(state) >> uint64(11)) + 0.5) * _TO_UNIT


@borrowing
def uniform(stream):
    """A uniform draw on (0, 1]: 53 random bits, centred (exactly 1 with chance 2⁻⁵³;
    :func:`unit`).

    A hot loop may instead hold the state in a local (``state = stream[0]``; per draw
    ``state += stream[1]`` and :func:`unit` of it; ``stream[0] = state`` after): the same
    numbers, without a store and reload of the state per draw wherever the loop also
    writes to an array that might share its memory."""
    stream[0] += stream[1]
    return unit(stream[0])


@borrowing
def skip(stream, n):
    """Pass over the next ``n`` draws without computing them, for draws whose value
    cannot change a result (rounding a whole number, say).
    SplitMix64's state after ``n`` draws is ``state + n·gamma``, so every later draw is
    the one it would have been: skipping changes no number, only saves the mixing."""
    stream[0] += uint64(n) * stream[1]


@borrowing
def exponential(stream):
    """A unit-rate exponential draw, by inversion (one uniform)."""
    return -math.log(uniform(stream))


@borrowing
def normal(stream):
    """A standard normal draw (Box–Muller, two uniforms, the cosine branch)."""
    u1 = uniform(stream)
    u2 = uniform(stream)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


#: Poisson means above this are split into equal parts (the sum of independent Poisson
#: counts is Poisson), so inversion never starts from an underflowing exp(−mean).
_POISSON_PART = 500.0


@borrowing
def _poisson_inversion(stream, mean):
    u = uniform(stream)
    k = 0
    p = math.exp(-mean)
    cdf = p
    while u > cdf:
        k += 1
        p *= mean / k
        cdf += p
        if p == 0.0 and k > mean:  # the tail's rounding: u beyond the summed CDF
            break
    return k


@borrowing
def poisson(stream, mean):
    """A Poisson(``mean``) count by inversion (Devroye 1986, §X.3), one uniform per part
    of at most 500 in mean."""
    if mean <= 0.0:
        return 0
    parts = int(math.ceil(mean / _POISSON_PART))
    each = mean / parts
    total = 0
    for _ in range(parts):
        total += _poisson_inversion(stream, each)
    return total
