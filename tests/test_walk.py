"""The walk plus noise as one Gaussian vector (sim.engine.walk): its factor is exact, its draws have
the law of SPEC 3–4."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.walk import factor, fixed_factor, increments

SIGMAS = 4.5  # tolerance in Monte Carlo standard errors


def increments_covariance(sigma: float, nu: float, months: int) -> np.ndarray:
    """Cov(D_j, D_k) of D_k = X_k − X_{k−1}, X_k = σ Σ_{i≤k} ε_i + ν η_k, X_{−1} = 0:
    σ² + ν² for k = 0, σ² + 2ν² after, −ν² between neighbours."""
    variances = np.full(months, sigma**2 + 2 * nu**2)
    variances[0] = sigma**2 + nu**2
    return np.diag(variances) - nu**2 * (np.eye(months, k=1) + np.eye(months, k=-1))


def test_increments_covariance_is_that_of_differenced_walk_plus_noise():
    months, sigma, nu = 6, 0.3, 0.5
    x = sigma**2 * (np.minimum.outer(np.arange(months), np.arange(months)) + 1)
    x += nu**2 * np.eye(months)
    to_increments = np.eye(months) - np.eye(months, k=-1)
    expected = to_increments @ x @ to_increments.T
    assert increments_covariance(sigma, nu, months) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("months", [1, 2, 48])
def test_factor_times_its_transpose_is_the_increments_covariance(months):
    sigma = np.array([0.1, 0.0, 0.3, 0.0, 1e-6, 2.0])
    nu = np.array([0.2, 0.4, 0.0, 0.0, 0.5, 1e-6])
    diag, sub = factor(sigma, nu, months)
    assert diag.shape == sub.shape == (months, len(sigma))
    for path in range(len(sigma)):
        lower = np.diag(diag[:, path]) + np.diag(sub[1:, path], k=-1)
        expected = increments_covariance(sigma[path], nu[path], months)
        assert lower @ lower.T == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert np.all(sub[0] == 0.0) and np.all(np.isfinite(diag)) and np.all(np.isfinite(sub))


def test_factor_reduces_to_the_walk_or_the_noise_alone():
    diag, sub = factor(np.array([0.3]), np.array([0.0]), 12)
    assert np.all(diag == 0.3) and np.all(sub == 0.0)
    diag, sub = factor(np.array([0.0]), np.array([0.4]), 12)
    assert diag == pytest.approx(np.full((12, 1), 0.4), rel=1e-14)
    assert sub[1:] == pytest.approx(np.full((11, 1), -0.4), rel=1e-14)


def test_fixed_factor_is_the_factor_of_one_path_and_read_only():
    diag, sub = fixed_factor(0.07, 0.15, 24)
    expected = factor(np.array([0.07]), np.array([0.15]), 24)
    assert np.array_equal(diag, expected[0]) and np.array_equal(sub, expected[1])
    with pytest.raises(ValueError):
        diag[0, 0] = 1.0


def test_antithetic_increments_mirror_each_path_with_its_own_factor():
    paths, half = 64, 32
    shared = fixed_factor(0.07, 0.15, 6)
    out = np.empty((6, paths))
    increments(np.random.default_rng(3), *shared, out, True)
    assert np.array_equal(out[:, half:], -out[:, :half])
    # per-path factors that happen to be equal give the same numbers as the shared one
    per_path = np.empty((6, paths))
    diag, sub = (np.repeat(a, paths, axis=1) for a in shared)
    increments(np.random.default_rng(3), diag, sub, per_path, True)
    assert np.array_equal(per_path, out)
    # and each half uses its own columns
    diag[:, half:] *= 2.0
    sub[:, half:] *= 2.0
    increments(np.random.default_rng(3), diag, sub, per_path, True)
    assert np.array_equal(per_path[:, half:], -2.0 * out[:, :half])


def test_cumulated_increments_have_the_covariance_of_walk_plus_noise():
    # X = cumsum(D) must have Cov(X_j, X_k) = σ² (min(j, k) + 1) + ν² [j = k]
    sigma, nu, months, paths = 0.3, 0.5, 5, 400_000
    diag, sub = fixed_factor(sigma, nu, months)
    out = np.empty((months, paths))
    increments(np.random.default_rng(11), diag, sub, out, False)
    x = np.cumsum(out, axis=0)
    expected = sigma**2 * (np.minimum.outer(np.arange(months), np.arange(months)) + 1)
    expected += nu**2 * np.eye(months)
    observed = x @ x.T / paths  # the mean is 0
    # Var(X_j X_k) = C_jj C_kk + C_jk² for a centred Gaussian pair
    se = np.sqrt((np.outer(np.diag(expected), np.diag(expected)) + expected**2) / paths)
    assert np.all(np.abs(observed - expected) <= SIGMAS * se), (observed - expected) / se
    assert abs(x.mean()) <= SIGMAS * math.sqrt(expected.max() / paths)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_factor_is_exact_for_absurdly_small_and_large_inputs(scale):
    # computed for (σ, ν) / max(σ, ν) and scaled back: ν⁴ neither overflows nor underflows
    sigma = np.array([1.0, 0.3, 0.0, 1e-90]) * scale
    nu = np.array([0.5, 1.0, 2.0, 1.0]) * scale
    diag, sub = factor(sigma, nu, 12)
    for path in range(len(sigma)):
        lower = (np.diag(diag[:, path]) + np.diag(sub[1:, path], k=-1)) / scale
        expected = increments_covariance(sigma[path] / scale, nu[path] / scale, 12)
        assert lower @ lower.T == pytest.approx(expected, rel=1e-12, abs=1e-15)
