"""Closed-form models with known sensitivity indices, run through the same design and
task code as the campaign to validate it (``tests/test_sensitivity.py``).

- Ishigami & Homma, "An importance quantification technique in uncertainty analysis
  for computer models", *Proc. ISUMA '90* (1990) 398–403:
  ``f = sin x1 + a sin² x2 + b x3⁴ sin x1`` on ``x_i ~ U(−π, π)``, whose variance and
  partial variances are known in closed form (:func:`ishigami_indices`).
- A linear model ``f = Σ c_i x_i`` on ``x_i ~ U(0, 1)``: every elementary effect of
  ``x_i`` is ``c_i``, so Morris μ* ranks the factors by ``|c_i|``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nansei.uncertainty.sampling import Factor

__all__ = ["Ishigami", "Linear", "ishigami_factors", "ishigami_indices", "unit_factors"]


@dataclass(frozen=True)
class Ishigami:
    a: float = 7.0
    b: float = 0.1

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(rows)
        y = (
            np.sin(x[:, 0])
            + self.a * np.sin(x[:, 1]) ** 2
            + self.b * x[:, 2] ** 4 * np.sin(x[:, 0])
        )
        return y[:, None]


def ishigami_factors() -> list[Factor]:
    return [Factor(f"x{i}", 0.0, -math.pi, math.pi, "uniform") for i in (1, 2, 3)]


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, ...]]:
    """Analytic S1 and ST of the Ishigami function: ``V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2``,
    ``V1 = (1 + bπ⁴/5)²/2``, ``V2 = a²/8``, ``V3 = 0``, ``V13 = b²π⁸ (1/18 − 1/50)``."""
    pi4, pi8 = math.pi**4, math.pi**8
    v = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a * a / 8
    v13 = b * b * pi8 * (1 / 18 - 1 / 50)
    return {"S1": (v1 / v, v2 / v, 0.0), "ST": ((v1 + v13) / v, v2 / v, v13 / v)}


@dataclass(frozen=True)
class Linear:
    coefficients: tuple[float, ...]

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(rows) @ np.asarray(self.coefficients))[:, None]


def unit_factors(count: int) -> list[Factor]:
    return [Factor(f"x{i + 1}", 0.5, 0.0, 1.0, "uniform") for i in range(count)]
