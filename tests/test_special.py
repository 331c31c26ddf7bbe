"""sim.core.special, the numpy stand-ins for scipy.special on the run path, held to scipy's
own functions on dense grids, tails and special values (tests/test_startup.py checks that a
plain run does not import scipy at all)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special as scipy_special

from sim.core import special

EPS = np.finfo(float).eps
ULPS = 8  # both ndtri are within 4 units in the last place of the exact quantile


def units_apart(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """|ours − theirs| in units in the last place of ``theirs`` (exact zeros: 0 apart)."""
    with np.errstate(invalid="ignore"):  # equal infinities, which are 0 apart
        spacing = np.spacing(np.abs(theirs))
        return np.where(ours == theirs, 0.0, np.abs(ours - theirs) / spacing)


def probabilities() -> np.ndarray:
    """A dense grid of (0, 1): even steps, every power of two down to 2⁻¹⁰⁷⁴ and its
    complement down to 2⁻⁵³, the pieces' borders, and random numbers, log-spread too."""
    rng = np.random.default_rng(20240601)
    powers = 2.0 ** -np.arange(1, 1075)
    borders = np.array([0.075, 0.925, np.exp(-25.0), 1 - np.exp(-25.0)])  # |u − ½| = 0.425, r = 5
    borders = np.concatenate([np.nextafter(borders, 0), borders, np.nextafter(borders, 1)])
    grid = [
        np.linspace(0, 1, 200_001)[1:-1],
        powers,
        1.0 - powers[powers >= EPS / 2],
        borders,
        rng.random(200_000),
        2.0 ** -rng.uniform(1, 54, 100_000),
        1.0 - 2.0 ** -rng.uniform(1, 53, 100_000),
    ]
    return np.concatenate(grid)


def test_ndtri_is_scipys_to_a_few_units_in_the_last_place():
    u = probabilities()
    ours, theirs = special.ndtri(u), scipy_special.ndtri(u)
    apart = units_apart(ours, theirs)
    worst = int(np.argmax(apart))
    assert apart[worst] <= ULPS, (u[worst], ours[worst], theirs[worst])


def test_ndtri_at_the_engines_extreme_uniforms_and_the_ends():
    u = np.array([2.0**-54, 1 - 2.0**-53, 5e-324, 0.0, 1.0, 0.5])
    with np.errstate(all="raise"):  # no warning either
        ours = special.ndtri(u)
    assert units_apart(ours[:3], scipy_special.ndtri(u[:3])).max() <= ULPS
    assert ours[3:].tolist() == [-np.inf, np.inf, 0.0]


def test_ndtri_outside_zero_one_is_nan_without_a_warning():
    with np.errstate(all="raise"):
        values = special.ndtri(np.array([-1.0, -1e-300, 1 + EPS, 2.0, np.nan, -np.inf, np.inf]))
    assert np.isnan(values).all()


def test_ndtri_is_odd_about_one_half():
    u = np.linspace(0.5, 1, 10_001)[1:-1]  # 1 − u is exact here
    assert special.ndtri(1 - u) == pytest.approx(-special.ndtri(u), rel=4 * EPS, abs=0)


def test_ndtri_keeps_shapes_and_gives_a_number_for_a_number():
    grid = np.random.default_rng(1).random((3, 4))
    assert special.ndtri(grid).shape == (3, 4)
    assert special.ndtri(grid).tolist() == special.ndtri(grid.ravel()).reshape(3, 4).tolist()
    assert isinstance(special.ndtri(0.3), np.floating)
    assert special.ndtri(0.975) == pytest.approx(1.959963984540054, rel=4 * EPS)
    assert special.ndtri([]).shape == (0,)


def test_ndtr_is_scipys_within_the_rounding_of_x_over_root_two():
    # Both compute erfc(−x/√2); rounding x/√2 costs about x² units in the last place in the
    # tail, so the tolerance grows with x² (scipy is no closer to the exact value there).
    x = np.concatenate([np.linspace(-37, 37, 200_001), -np.geomspace(1e-300, 37, 2000)])
    ours, theirs = special.ndtr(x), scipy_special.ndtr(x)
    assert np.all(np.abs(ours - theirs) <= 4 * EPS * (1 + x**2) * theirs)
    assert special.ndtr(np.array([-np.inf, 0.0, np.inf])).tolist() == [0.0, 0.5, 1.0]
    assert np.isnan(special.ndtr(np.nan))


def test_expit_and_logit_are_scipys():
    x = np.linspace(-800, 800, 400_001)
    with np.errstate(all="raise"):
        ours = special.expit(x)
    assert units_apart(ours, scipy_special.expit(x)).max() <= 2
    p = np.concatenate(
        [np.linspace(0, 1, 400_001), np.geomspace(1e-300, 0.5, 2000), 1 - np.geomspace(EPS, 0.5)]
    )
    with np.errstate(all="raise"):
        ours = special.logit(p)
    theirs = scipy_special.logit(p)
    assert units_apart(ours, theirs).max() <= 2
    assert special.logit(np.array([0.0, 1.0])).tolist() == [-np.inf, np.inf]
    assert np.isnan(special.logit(np.array([-0.1, 1.1, np.nan]))).all()


def test_logsumexp_is_scipys_without_overflow():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        a = rng.normal(0, 10 ** rng.uniform(-3, 3), rng.integers(1, 50))
        assert special.logsumexp(a) == pytest.approx(scipy_special.logsumexp(a), rel=4 * EPS)
    assert special.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2))
    assert special.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert special.logsumexp(np.array([-np.inf, 0.0])) == 0.0
