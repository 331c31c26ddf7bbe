"""The special functions a run needs, in numpy: the standard normal quantile and CDF, the
logistic function and its inverse, and log-sum-exp.

scipy.special has them all, but importing it takes about 0.2 s — most of a short run's
start-up. scipy stays where only some scenarios go: beta quantiles (``pert``) and the normal
CDF of correlated and importance-sampled draws, which need its speed on whole chunks.
``tests/test_special.py`` holds every function here to scipy's on dense grids and tails.
"""

from __future__ import annotations

import math

import numpy as np

# Wichura's AS 241 (PPND16, Applied Statistics 37, 1988): Φ⁻¹ as a ratio of degree-7
# polynomials in three pieces, good to about 1e-16 relative. The coefficients are those of
# CPython's statistics.NormalDist.inv_cdf, highest power first.
_CENTRAL = (  # |u − 1/2| <= 0.425, in r = 0.180625 − (u − 1/2)²; times (u − 1/2)
    (
        2.5090809287301226727e3,
        3.3430575583588128105e4,
        6.7265770927008700853e4,
        4.5921953931549871457e4,
        1.3731693765509461125e4,
        1.9715909503065514427e3,
        1.3314166789178437745e2,
        3.3871328727963666080e0,
    ),
    (
        5.2264952788528545610e3,
        2.8729085735721942674e4,
        3.9307895800092710610e4,
        2.1213794301586595867e4,
        5.3941960214247511077e3,
        6.8718700749205790830e2,
        4.2313330701600911252e1,
        1.0,
    ),
)
_NEAR_TAIL = (  # r = √(−ln min(u, 1 − u)) <= 5, in r − 1.6
    (
        7.74545014278341407640e-4,
        2.27238449892691845833e-2,
        2.41780725177450611770e-1,
        1.27045825245236838258e0,
        3.64784832476320460504e0,
        5.76949722146069140550e0,
        4.63033784615654529590e0,
        1.42343711074968357734e0,
    ),
    (
        1.05075007164441684324e-9,
        5.47593808499534494600e-4,
        1.51986665636164571966e-2,
        1.48103976427480074590e-1,
        6.89767334985100004550e-1,
        1.67638483018380384940e0,
        2.05319162663775882187e0,
        1.0,
    ),
)
_FAR_TAIL = (  # r > 5 (min(u, 1 − u) < 1.4e-11), in r − 5
    (
        2.01033439929228813265e-7,
        2.71155556874348757815e-5,
        1.24266094738807843860e-3,
        2.65321895265761230930e-2,
        2.96560571828504891230e-1,
        1.78482653991729133580e0,
        5.46378491116411436990e0,
        6.65790464350110377720e0,
    ),
    (
        2.04426310338993978564e-15,
        1.42151175831644588870e-7,
        1.84631831751005468180e-5,
        7.86869131145613259100e-4,
        1.48753612908506148525e-2,
        1.36929880922735805310e-1,
        5.99832206555887937690e-1,
        1.0,
    ),
)


def _ratio(coefficients: tuple[tuple[float, ...], tuple[float, ...]], r: np.ndarray) -> np.ndarray:
    """numerator(r) / denominator(r), both by Horner's rule, in place where it can."""
    numerator, denominator = coefficients
    top = numerator[0] * r
    top += numerator[1]
    for c in numerator[2:]:
        top *= r
        top += c
    bottom = denominator[0] * r
    bottom += denominator[1]
    for c in denominator[2:]:
        bottom *= r
        bottom += c
    top /= bottom
    return top


def ndtri(u: np.ndarray | float) -> np.ndarray:
    """Φ⁻¹(u), the standard normal quantile: −inf at 0, inf at 1, nan outside [0, 1]. Within
    a few units in the last place of scipy.special.ndtri (both are within 4 of the exact value)
    and, in a run (``sim.engine.memory`` keeps freed memory), about as fast."""
    shape = np.shape(u)
    u = np.asarray(u, dtype=float).reshape(-1)  # an array even for a number: filled in place
    q = u - 0.5
    # The central piece on every value (most of them), then the tails over it by index: cheaper
    # than splitting the array in two. Quietly: 0, 1, values outside [0, 1] and, in the central
    # piece, the tails' values meet logs of 0 and negative numbers or infinite ratios.
    with np.errstate(all="ignore"):
        # In place, not as 0.180625 - q * q: numpy 2.4 spends 0.6 ms on a number minus a
        # temporary array of more than 256 kB.
        r = q * q
        np.subtract(0.180625, r, out=r)
        x = _ratio(_CENTRAL, r)
        x *= q
        tails = np.flatnonzero(np.abs(q) > 0.425)  # not nan, which the central piece keeps
        if tails.size:
            below = q[tails] < 0
            nearer_end = u[tails]
            np.subtract(1.0, nearer_end, out=nearer_end, where=~below)  # exact for u >= 1/2
            r = np.sqrt(-np.log(nearer_end))
            ends = _ratio(_NEAR_TAIL, r - 1.6)
            far = np.flatnonzero(r > 5.0)  # u or 1 − u below 1.4e-11: rare
            if far.size:
                ends[far] = _ratio(_FAR_TAIL, r[far] - 5.0)
                ends[far[r[far] == np.inf]] = np.inf  # u = 0 or 1
            np.negative(ends, out=ends, where=below)
            x[tails] = ends
    return x.reshape(shape)[()]  # a number for a number, as a ufunc gives


_SQRT_HALF = math.sqrt(0.5)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def ndtr(x: np.ndarray | float) -> np.ndarray:
    """Φ(x), the standard normal CDF, as ½ erfc(−x/√2) (accurate in the lower tail too).

    numpy has no erfc, so this calls math.erfc value by value (about 0.1 µs each): for the
    few values of a check, not a chunk's draws (those use scipy.special.ndtr)."""
    erfc = np.asarray(_erfc(-_SQRT_HALF * np.asarray(x, dtype=float)), dtype=float)
    return (0.5 * erfc)[()]


def expit(x: np.ndarray | float) -> np.ndarray:
    """The logistic function 1 / (1 + e⁻ˣ): 0 far below, 1 far above, without a warning."""
    with np.errstate(over="ignore", under="ignore"):  # e⁻ˣ = inf for x < −709: 1/inf = 0
        return np.reciprocal(1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p: np.ndarray | float) -> np.ndarray:
    """ln(p / (1 − p)): −inf at 0, inf at 1, nan outside [0, 1]. Near p = 1/2, where that
    ratio loses digits, as ln(1 + s) − ln(1 − s) for s = 2p − 1 (as scipy.special.logit)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 2.0 * (p - 0.5)
        middle = np.log1p(s) - np.log1p(-s)
        return np.where((p < 0.3) | (p > 0.65), np.log(p / (1.0 - p)), middle)[()]


def logsumexp(a: np.ndarray) -> float:
    """ln Σ exp(a), without overflow: the largest term is taken out first."""
    top = float(np.max(a))
    if not math.isfinite(top):
        return top
    return top + math.log(float(np.sum(np.exp(a - top))))
