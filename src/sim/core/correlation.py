"""Correlation between countries' trend growth: the matrix a file's pairs make, whether it can
be a correlation matrix, and the factor that draws correlated normal numbers from it.

A file writes correlations as pairs (``kazakhstan: {uzbekistan: 0.5}``); every pair it leaves
out is 0. The countries it names form one group, in the file's order of countries; their
growth inputs are drawn through a Gaussian copula with this matrix (docs/model.md,
"Correlated growth"). A set of pairs is usable when the matrix is positive semi-definite:
0.9 between a and b and between b and c, with -0.5 between a and c, cannot all hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

# How far below 0 rounding may push the smallest eigenvalue of a matrix that is positive
# semi-definite in exact arithmetic (correlations of 1 between countries, say).
EIGEN_TOLERANCE = 1e-10
# The inputs that correlation.growth couples, one copula each (a country's own rate and
# long-run rate stay independent of each other, as without correlation).
GROWTH_INPUTS = ("rate", "long_run")

Pairs = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Correlation:
    """The compiled ``correlation.growth`` section: the countries it names (ids, in the file's
    order of countries), their correlation matrix and its lower-triangular factor."""

    countries: tuple[str, ...]
    matrix: np.ndarray  # (k, k), unit diagonal
    factor: np.ndarray  # (k, k) lower triangular: factor @ factor.T == matrix
    source: str | None = None
    inputs: tuple[str, ...] = GROWTH_INPUTS
    _rows: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._rows.update({country: row for row, country in enumerate(self.countries)})

    def row(self, country: str, name: str) -> int | None:
        """The copula row that draws the country's input ``name``; None when that input is
        drawn from its own stream (not a growth input, or the country is not in the group)."""
        return self._rows.get(country) if name in self.inputs else None

    def pairs(self) -> list[tuple[str, str, float]]:
        """Every pair of the group with its correlation (zeros included), in order."""
        return [
            (a, b, float(self.matrix[i, j]))
            for (i, a), (j, b) in combinations(enumerate(self.countries), 2)
        ]


def group(order: list[str], pairs: Pairs) -> list[str]:
    """The countries named in a pair of ``pairs``, in ``order`` (the file's order of
    countries)."""
    named = {name for a, inner in pairs.items() for b in inner for name in (a, b)}
    return [country for country in order if country in named]


def correlation_matrix(countries: list[str], pairs: Pairs) -> np.ndarray:
    """The symmetric matrix of ``pairs`` over ``countries``: 1 on the diagonal, 0 where no
    pair is given."""
    index = {country: i for i, country in enumerate(countries)}
    matrix = np.eye(len(countries))
    for a, inner in pairs.items():
        for b, value in inner.items():
            if a in index and b in index and a != b:
                matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(matrix)[0]) if len(matrix) else 1.0


def is_correlation_matrix(matrix: np.ndarray) -> bool:
    """Whether ``matrix`` (symmetric, unit diagonal) is positive semi-definite, up to rounding."""
    return smallest_eigenvalue(matrix) >= -EIGEN_TOLERANCE


def factor(matrix: np.ndarray) -> np.ndarray:
    """A lower-triangular L with L Lᵀ = ``matrix``, for a positive semi-definite matrix
    (Cholesky's algorithm, a zero column where a pivot vanishes: a country wholly determined by
    earlier ones). Each row is scaled to unit length, so that every country's normal number has
    variance 1 exactly, whatever the rounding: its marginal distribution is kept."""
    size = len(matrix)
    lower = np.zeros((size, size))
    for j in range(size):
        pivot = matrix[j, j] - lower[j, :j] @ lower[j, :j]
        if pivot <= 1e-12:
            continue  # semi-definite: this column is (numerically) zero
        lower[j, j] = math.sqrt(pivot)
        below = slice(j + 1, size)
        lower[below, j] = (matrix[below, j] - lower[below, :j] @ lower[j, :j]) / lower[j, j]
    norms = np.linalg.norm(lower, axis=1)
    return lower / np.where(norms > 0, norms, 1.0)[:, None]


def conflict(countries: list[str], matrix: np.ndarray) -> str | None:
    """Words for three countries whose pairs cannot all hold (a 3×3 block that is not positive
    semi-definite): given two of the pairs, the range the third must lie in. None when every
    triple is consistent (the conflict then involves four countries or more)."""
    for i, j, k in combinations(range(len(countries)), 3):
        block = matrix[np.ix_((i, j, k), (i, j, k))]
        if is_correlation_matrix(block):
            continue
        # the pair to move: the one furthest outside the range the other two allow
        worst = None
        for (a, b), c in (((i, j), k), ((i, k), j), ((j, k), i)):
            low, high = bounds(matrix[a, c], matrix[b, c])
            gap = max(low - matrix[a, b], matrix[a, b] - high)
            if worst is None or gap > worst[0]:
                worst = (gap, a, b, c, low, high)
        assert worst is not None
        _, a, b, c, low, high = worst
        name = countries.__getitem__
        return (
            f"with {name(a)}–{name(c)} {matrix[a, c]:g} and {name(b)}–{name(c)} "
            f"{matrix[b, c]:g}, {name(a)}–{name(b)} must lie between {low:.2f} and {high:.2f}, "
            f"not {matrix[a, b]:g}"
        )
    return None


def bounds(first: float, second: float) -> tuple[float, float]:
    """The range of corr(a, b) that corr(a, c) = ``first`` and corr(b, c) = ``second`` allow."""
    spread = math.sqrt(max(0.0, (1 - first**2) * (1 - second**2)))
    return first * second - spread, first * second + spread
