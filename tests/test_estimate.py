"""Means and their variances for independent paths and antithetic pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.estimate import (
    HALF,
    effective_paths,
    proportion_interval,
    quantiles,
    variance_of_mean,
    wilson_interval,
)
from sim.engine.streams import CHUNK


def direct(values: np.ndarray, antithetic: bool) -> float:
    """The same variance, computed the obvious way in floating point."""
    values = values.astype(float)
    n, mean = len(values), values.mean()
    if not antithetic:
        return float(np.sum((values - mean) ** 2)) / n**2
    units = []
    for start in range(0, n, CHUNK):
        chunk = values[start : start + CHUNK]
        for j in range(min(HALF, len(chunk))):
            if j + HALF < len(chunk):
                units.append((chunk[j] + chunk[j + HALF], 2))
            else:
                units.append((chunk[j], 1))
    return sum((s - size * mean) ** 2 for s, size in units) / n**2


@settings(max_examples=30, deadline=None)
@given(
    paths=st.sampled_from([1, 100, HALF, HALF + 7, CHUNK, CHUNK + 5000, 3 * CHUNK - 1]),
    p=st.floats(0, 1),
    difference=st.booleans(),
    seed=st.integers(0, 100),
)
def test_variance_from_counts_equals_the_direct_sum(paths, p, difference, seed):
    rng = np.random.default_rng(seed)
    values = (rng.random(paths) < p).astype(np.int8)
    if difference:  # differences of flags, as in paired comparisons
        values = values - (rng.random(paths) < p).astype(np.int8)
    for antithetic in (False, True):
        assert variance_of_mean(values, antithetic) == pytest.approx(
            direct(values, antithetic), rel=1e-9, abs=1e-15
        )


def test_plain_interval_is_wilson_and_pairs_can_narrow_it():
    rng = np.random.default_rng(1)
    met = rng.random(2 * CHUNK) < 0.3
    assert proportion_interval(met, antithetic=False) == wilson_interval(int(met.sum()), len(met))
    # perfectly mirrored flags (one of each pair meets): the pairs carry no variance at all
    half = rng.random((2, HALF)) < 0.5
    mirrored = np.concatenate([half[0], ~half[0], half[1], ~half[1]])
    assert effective_paths(mirrored, antithetic=True) == 100 * len(mirrored)
    low, high = proportion_interval(mirrored, antithetic=True)
    assert low < 0.5 < high and high - low < 0.002
    # too few hits to trust the pairs: Wilson at the plain number of paths
    rare = np.zeros(2 * CHUNK, dtype=bool)
    rare[:5] = True
    assert effective_paths(rare, antithetic=True) == len(rare)


def _totals(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.lognormal(5, 1, n).astype(np.float32)
    if kind == "ties":
        x = rng.integers(0, 5, n).astype(np.float32)
    elif kind == "constant":
        x[:] = 145.4184
    elif kind == "infinite":  # absurd inputs overflow: a tenth at +inf, a tenth at -inf
        x[: n // 10], x[n // 10 : n // 5] = np.inf, -np.inf
        rng.shuffle(x)
    elif kind == "nan":
        x[rng.integers(0, n, 3)] = np.nan
    return x


@pytest.mark.parametrize("kind", ["lognormal", "ties", "constant", "infinite", "nan"])
@pytest.mark.parametrize("n", [7, 1000, 400_001, 1_000_000])
def test_quantiles_are_numpys_exactly(kind, n):
    # the bracketing shortcut (runs of 320,000 paths or more) must not change a single bit
    x = _totals(kind, n, np.random.default_rng(n))
    for probabilities in [(0.05, 0.5, 0.95), (0.0, 1.0), (0.3,), (0.99,)]:
        with np.errstate(invalid="ignore"):  # inf - inf between infinite neighbours
            expected = np.quantile(x, list(probabilities))
            got = quantiles(x, probabilities)
        assert np.array_equal(np.array(got), expected.astype(float), equal_nan=True)
