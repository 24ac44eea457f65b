"""The geodesic inverse problem for one pair of points on WGS84, in plain Python.

A point query (``nansei distance``, ``nansei reach``) needs one or a few geodesics;
loading numpy and PROJ for them costs more than 0.2 s of start-up, this module none.

Method: C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55 (2013).
On the auxiliary sphere (reduced latitude β, tan β = (1 − f) tan φ) a geodesic with
equatorial azimuth α0 (Clairaut: sin α0 = sin α cos β, eq. 5) has arc length σ and
spherical longitude ω with tan σ = tan β / cos α and tan ω = sin α0 tan σ (eqs. 11-12);
on the ellipsoid

* distance  s = b ∫ √(1 + k² sin² σ) dσ                                  (eq. 7)
* longitude λ = ω − f sin α0 ∫ (2 − f) / (1 + (1 − f) √(1 + k² sin² σ)) dσ  (eq. 8)

with k = e′ cos α0 (eq. 9). Karney evaluates the integrals by series to sixth order in
the third flattening; here they are evaluated by Gauss-Legendre quadrature, which for
these analytic integrands (branch points ≥ 3 radians off the real axis) reaches
machine precision with :data:`NODES` nodes (tests: agreement with GeographicLib to
1 µm). The azimuth α1 solving λ12(α1) = λ12 is found by Newton's method with
dλ12/dα1 = m12 / (a cos α2 cos β2) (eq. 46; m12 the reduced length, eq. 38), kept
inside a bracket on which λ12(α1) is monotonic (§4: the points are first put in the
canonical order φ1 ≤ 0, |φ2| ≤ |φ1|, 0 ≤ λ12 ≤ π).

Cases that need special treatment — coincident or nearly coincident points (< 1 m,
where the azimuth is ill-conditioned in this form), a pole, both points on the equator,
a meridian (λ12 = 0 or π) or nearly antipodal points — :func:`inverse_m` returns
``None`` for, and :func:`point_inverse` hands them to PROJ
(:func:`nansei.geo.geodesy.inverse`).

Units: degrees in; metres (:func:`inverse_m`) or km (:func:`point_inverse`) and degrees out.
"""

from __future__ import annotations

import functools
import math

#: WGS84 semi-major axis (m) and flattening (NIMA TR8350.2).
A_M = 6_378_137.0
FLATTENING = 1.0 / 298.257223563
B_M = A_M * (1.0 - FLATTENING)
#: Second eccentricity squared, e′² = (a² − b²) / b².
E2_PRIME = (A_M * A_M - B_M * B_M) / (B_M * B_M)

#: Gauss-Legendre nodes per integral by arc length σ12 (radians): the fewest that keep
#: the relative error of the distance and longitude integrals at ~1e-13 or below
#: (measured against 64 nodes: 6 nodes give 5e-13 up to 0.5 rad, 8 give 2e-13 up to
#: 1 rad, 12 give 4e-14 up to π; a study-region arc is < 0.3 rad).
NODES_BY_ARC = ((0.5, 6), (1.0, 8), (2.5, 12), (math.inf, 16))
#: Largest λ12 solved here: beyond it the points are nearly antipodal, where λ12(α1) is
#: steep and PROJ's dedicated start is used instead (radians).
MAX_LAMBDA = math.pi - 0.05
_TOLERANCE = 1e-15  # on λ12, radians: ~6 nm on the ground
_MAX_STEPS = 60
#: Shortest geodesic solved here, m (shorter ones go to PROJ; see the module doc).
MIN_DISTANCE_M = 1.0


@functools.cache
def _gauss_legendre(n: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Nodes and weights on [-1, 1]: roots of the Legendre polynomial P_n by Newton's
    method from Chebyshev starting points (Abramowitz & Stegun 25.4.29)."""
    nodes, weights = [], []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for j in range(2, n + 1):
                p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
            derivative = n * (x * p1 - p0) / (x * x - 1.0)
            step = p1 / derivative
            x -= step
            if abs(step) < 1e-16:
                break
        p0, p1 = 1.0, x
        for j in range(2, n + 1):
            p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
        derivative = n * (x * p1 - p0) / (x * x - 1.0)
        nodes.append(x)
        weights.append(2.0 / ((1.0 - x * x) * derivative * derivative))
    return tuple(nodes), tuple(weights)


def _integrals(k2: float, sigma1: float, sigma2: float) -> tuple[float, float, float]:
    """∫ √(1 + k² sin²σ), ∫ (2 − f)/(1 + (1 − f)√(…)) and ∫ (√(…) − 1/√(…)) over
    [σ1, σ2] (the distance, longitude and reduced-length integrals, eqs. 7, 8, 40)."""
    arc = abs(sigma2 - sigma1)
    nodes, weights = _gauss_legendre(next(n for limit, n in NODES_BY_ARC if arc <= limit))
    half = 0.5 * (sigma2 - sigma1)
    middle = 0.5 * (sigma2 + sigma1)
    distance = longitude = reduced = 0.0
    one_minus_f = 1.0 - FLATTENING
    two_minus_f = 2.0 - FLATTENING
    for x, w in zip(nodes, weights, strict=True):
        s = math.sin(middle + half * x)
        root = math.sqrt(1.0 + k2 * s * s)
        distance += w * root
        longitude += w * two_minus_f / (1.0 + one_minus_f * root)
        reduced += w * (root - 1.0 / root)
    return distance * half, longitude * half, reduced * half


def _solve(
    sin_b1: float, cos_b1: float, sin_b2: float, cos_b2: float, lam12: float
) -> tuple[float, float, float] | None:
    """Canonical points (β1 ≤ 0, |β2| ≤ |β1|, 0 < λ12 < π): (s12 m, α1, α2) radians."""
    low, high = 0.0, math.pi  # λ12(α1) rises from 0 at α1 = 0 to π at α1 = π
    # Start (Karney 2013, eq. 48): the great-circle azimuth for ω12 = λ12 / w̄, with
    # w̄ = √(1 − e² cos² β̄) and cos β̄ taken as the mean of the two cosines.
    w = math.sqrt(1.0 - (2.0 * FLATTENING - FLATTENING**2) * (0.5 * (cos_b1 + cos_b2)) ** 2)
    omega = lam12 / w
    alpha1 = math.atan2(
        cos_b2 * math.sin(omega),
        cos_b1 * sin_b2 - sin_b1 * cos_b2 * math.cos(omega),
    )
    if not low < alpha1 < high:
        alpha1 = 0.5 * (low + high)
    for _ in range(_MAX_STEPS):
        result = _at(sin_b1, cos_b1, sin_b2, cos_b2, alpha1)
        if result is None:
            return None
        lam, slope, s12, alpha2 = result
        error = lam - lam12
        if abs(error) <= _TOLERANCE:
            return s12, alpha1, alpha2
        if error > 0.0:
            high = alpha1
        else:
            low = alpha1
        if high - low <= 1e-16:  # the bracket is one rounding wide: as close as it gets
            return s12, alpha1, alpha2
        step = alpha1 - error / slope if slope > 0.0 else math.nan
        alpha1 = step if low < step < high else 0.5 * (low + high)
    return None


def _at(
    sin_b1: float, cos_b1: float, sin_b2: float, cos_b2: float, alpha1: float
) -> tuple[float, float, float, float] | None:
    """Leaving point 1 at azimuth α1: (λ12, dλ12/dα1, s12 m, α2) at latitude β2."""
    sin_a1, cos_a1 = math.sin(alpha1), math.cos(alpha1)
    sin_a0 = sin_a1 * cos_b1
    cos_a0_sq = 1.0 - sin_a0 * sin_a0
    # cos α2 ≥ 0: in canonical order point 2 is met going north (eq. 45).
    cos_a2_sq = (cos_a1 * cos_b1) ** 2 + (cos_b2 * cos_b2 - cos_b1 * cos_b1)
    if cos_a2_sq < 0.0:
        return None
    cos_a2 = math.sqrt(cos_a2_sq) / cos_b2
    sin_a2 = sin_a0 / cos_b2
    sigma1 = math.atan2(sin_b1, cos_a1 * cos_b1)
    sigma2 = math.atan2(sin_b2, cos_a2 * cos_b2)
    omega1 = math.atan2(sin_a0 * sin_b1, cos_a1 * cos_b1)
    omega2 = math.atan2(sin_a0 * sin_b2, cos_a2 * cos_b2)
    k2 = E2_PRIME * cos_a0_sq
    distance, longitude, reduced = _integrals(k2, sigma1, sigma2)
    lam12 = (omega2 - omega1) - FLATTENING * sin_a0 * longitude
    root1 = math.sqrt(1.0 + k2 * math.sin(sigma1) ** 2)
    root2 = math.sqrt(1.0 + k2 * math.sin(sigma2) ** 2)
    m12 = B_M * (
        root2 * math.cos(sigma1) * math.sin(sigma2)
        - root1 * math.sin(sigma1) * math.cos(sigma2)
        - math.cos(sigma1) * math.cos(sigma2) * reduced
    )
    slope = m12 / (A_M * cos_a2 * cos_b2) if cos_a2 > 0.0 else 0.0
    return lam12, slope, B_M * distance, math.atan2(sin_a2, cos_a2)


def inverse_m(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float] | None:
    """(distance m, forward azimuth at point 1 in degrees from north, in (−180, 180]) of
    the shortest geodesic, or ``None`` for a case left to PROJ (see the module doc)."""
    lam12 = math.remainder(lon2 - lon1, 360.0)
    if lam12 == -180.0:
        lam12 = 180.0
    swap = abs(lat1) < abs(lat2)
    if swap:  # solve from point 2 back to point 1
        lat1, lat2, lam12 = lat2, lat1, -lam12
    lat_flip = lat1 > 0.0
    if lat_flip:
        lat1, lat2 = -lat1, -lat2
    lon_flip = lam12 < 0.0
    lam12 = abs(lam12)
    if lat1 == -90.0 or lam12 == 0.0 or lam12 == 180.0 or (lat1 == 0.0 and lat2 == 0.0):
        return None
    lam = math.radians(lam12)
    if lam > MAX_LAMBDA:
        return None
    b1 = math.atan((1.0 - FLATTENING) * math.tan(math.radians(lat1)))
    b2 = math.atan((1.0 - FLATTENING) * math.tan(math.radians(lat2)))
    solved = _solve(math.sin(b1), math.cos(b1), math.sin(b2), math.cos(b2), lam)
    if solved is None:
        return None
    s12, alpha1, alpha2 = solved
    if s12 < MIN_DISTANCE_M:
        return None
    if lon_flip:
        alpha1, alpha2 = -alpha1, -alpha2
    if lat_flip:
        alpha1, alpha2 = math.pi - alpha1, math.pi - alpha2
    azimuth = alpha2 + math.pi if swap else alpha1  # forward azimuth at the original point 1
    return s12, math.degrees(math.remainder(azimuth, 2.0 * math.pi))


def check_point(lat: float, lon: float, what: str = "point") -> None:
    """Raise ``ValueError`` unless ``lat`` is in [-90, 90] and ``lon`` in [-180, 180]
    (finite numbers, degrees); ``what`` names the point in the message. The one-point
    form of :func:`nansei.geo.geodesy.check_latlon`, with the same messages."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"{what}: latitude and longitude must be finite numbers")
    if abs(lat) > 90.0:
        raise ValueError(f"{what}: latitude {lat:g} is outside [-90, 90]")
    if abs(lon) > 180.0:
        raise ValueError(f"{what}: longitude {lon:g} is outside [-180, 180]")


def point_inverse(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Geodesic inverse problem for one pair of points on WGS84: (distance km, forward
    azimuth at point 1 in degrees clockwise from north, in [0, 360)).

    Plain Python (see the module doc); the special cases go to PROJ through
    :func:`nansei.geo.geodesy.inverse`, which loads numpy and pyproj. Agrees with
    GeographicLib to 1 µm in distance and 1e-9° in azimuth (tested).
    """
    lat1, lon1, lat2, lon2 = (float(v) for v in (lat1, lon1, lat2, lon2))
    check_point(lat1, lon1, "first point")
    check_point(lat2, lon2, "second point")
    solved = inverse_m(lat1, lon1, lat2, lon2)
    if solved is None:
        from nansei.geo.geodesy import inverse

        km, azimuth = inverse(lat1, lon1, lat2, lon2)
        return float(km), float(azimuth)
    metres, azimuth = solved
    azimuth %= 360.0
    # % can return 360.0 for tiny negative values; fold it back onto 0 (as geodesy does).
    return metres / 1000.0, 0.0 if azimuth >= 360.0 else azimuth
