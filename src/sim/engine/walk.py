"""The random part of a country's log level: persistent shocks plus transitory noise (SPEC 3–4).

Month k's log level carries ``X_k = σ Σ_{j≤k} ε_j + ν η_k`` (σ = volatility/√12, ν = noise,
ε and η independent standard normals, k = 0 the first simulated month). Only the sum X matters
to the model, and it is one Gaussian vector. Its monthly increments ``D_k = X_k − X_{k−1}``
have a tridiagonal covariance,

    Var D_0 = σ² + ν²,   Var D_k = σ² + 2ν² (k ≥ 1),   Cov(D_k, D_{k−1}) = −ν²,

whose Cholesky factor is lower bidiagonal: ``D_k = d_k w_k + l_k w_{k−1}`` for independent
standard normals w. So X — exactly, not approximately — needs one normal number per month
instead of two (drawing normals is most of a run's time), and its cumulative sum is taken once
with the trend's increments. The factor is continuous in σ and ν (ν = 0 gives diag = σ, sub = 0:
the walk alone; σ = 0 gives diag = ν, sub = −ν: the noise alone), so runs that differ in volatility
or noise still share their numbers smoothly.
"""

from __future__ import annotations

from functools import lru_cache
from typing import overload

import numpy as np


def factor(sigma: np.ndarray, nu: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """The bidiagonal factor: its diagonal d and its subdiagonal l (``l[0]`` is 0), each
    (months, k).

    ``sigma`` and ``nu`` hold one value per path (k paths) or one value for all (k = 1).
    Absurd inputs (beyond 10^±60) are divided by s = max(σ, ν) first and the factor scaled back
    by s, so that ν⁴ and σ² do not overflow to NaN paths (such paths get infinite trade, as
    they should) or underflow; only their own paths are (a path's numbers never depend on the
    other paths').
    """
    sigma, nu = np.broadcast_arrays(np.asarray(sigma, float), np.asarray(nu, float))
    peak = np.maximum(sigma, nu)
    idle = peak == 0.0  # neither shocks nor noise
    usual = idle | ((peak > 1e-60) & (peak < 1e60))
    rescale = not np.all(usual)
    if rescale:  # only the absurd paths: scaling by 1 changes no other path's numbers
        scale = np.where(usual, 1.0, peak)
        sigma, nu = sigma / scale, nu / scale
    s2, n2 = np.square(sigma), np.square(nu)
    diag = np.empty((months, len(s2)))
    sub = np.empty((months, len(s2)))
    diag[0] = s2 + n2  # d², until the square root below
    n4, c = n2 * n2, s2 + 2.0 * n2
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(1, months):  # d²_k = σ² + 2ν² − ν⁴ / d²_{k−1}
            np.divide(n4, diag[k - 1], out=diag[k])
            np.subtract(c, diag[k], out=diag[k])
        np.sqrt(diag, out=diag)
        sub[0] = 0.0
        np.divide(-n2, diag[:-1], out=sub[1:])  # l_k = −ν² / d_{k−1}
    if rescale:
        diag *= scale
        sub *= scale
    if idle.any():  # they divided 0 by 0 above
        diag[:, idle] = sub[:, idle] = 0.0
    return diag, sub


@lru_cache(maxsize=64)
def fixed_factor(sigma: float, nu: float, months: int) -> tuple[np.ndarray, np.ndarray]:
    """``factor`` for a σ and ν shared by every path, (months, 1) each; computed once per
    run and process, not per chunk. The arrays are read-only (they are shared)."""
    diag, sub = factor(np.array([sigma]), np.array([nu]), months)
    diag.flags.writeable = sub.flags.writeable = False
    return diag, sub


def increments(
    rng: np.random.Generator,
    diag: np.ndarray,
    sub: np.ndarray | None,
    out: np.ndarray,
    antithetic: bool,
    shift: np.ndarray | None = None,
    paths: int | None = None,
) -> np.ndarray | None:
    """``out[k] = d[k] w[k] + l[k] w[k−1]`` (``out[0] = d[0] w[0]``) for standard normals w
    from ``rng``, (months, paths), with d = ``diag`` and l = ``sub`` (None: no noise, l = 0).
    With ``antithetic``, path j + n/2 gets −w of path j (and its own d and l). With ``shift``
    (months, paths, or a column for all paths), w is drawn with those means instead of 0
    (importance sampling, ``sim.engine.tilt``). Returns the w drawn (None with
    ``antithetic``: their mirror images are drawn in place).

    The normals are drawn for ``paths`` paths (a whole chunk; default: ``out``'s), and ``out``
    gets the first of them: a path's numbers do not depend on how many are kept. The w
    returned are the whole chunk's (shifted in ``out``'s columns only), so that a product
    over them (a path's likelihood ratio) is worked out on arrays of one shape whatever the
    number of paths kept: a matrix product's rounding can depend on the shape.
    """
    width = out.shape[1]
    paths = width if paths is None else paths
    drawn = paths // 2 if antithetic else paths
    w = np.empty((len(out), drawn))
    rng.standard_normal(out=w)
    if not antithetic:
        kept = w[:, :width]
        if shift is not None:
            kept += shift
        _combine(kept, diag, sub, out)
        return w
    if shift is not None:
        w += shift
    first = min(width, drawn)
    _combine(w[:, :first], _columns(diag, 0, first), _columns(sub, 0, first), out[:, :first])
    if width <= drawn:
        return None
    if diag.shape[1] == 1 and (sub is None or sub.shape[1] == 1):  # the same factor: −D exactly
        np.negative(out[:, : width - drawn], out=out[:, drawn:])
        return None
    mirrored = np.negative(w[:, : width - drawn])
    _combine(mirrored, _columns(diag, drawn, width), _columns(sub, drawn, width), out[:, drawn:])
    return None


@overload
def _columns(coefficients: np.ndarray, first: int, last: int) -> np.ndarray: ...
@overload
def _columns(coefficients: np.ndarray | None, first: int, last: int) -> np.ndarray | None: ...
def _columns(coefficients: np.ndarray | None, first: int, last: int) -> np.ndarray | None:
    """Paths first..last of per-path coefficients; shared coefficients (one column) as they are."""
    if coefficients is None or coefficients.shape[1] == 1:
        return coefficients
    return coefficients[:, first:last]


def _combine(w: np.ndarray, diag: np.ndarray, sub: np.ndarray | None, out: np.ndarray) -> None:
    np.multiply(w, diag, out=out)
    if sub is not None and len(out) > 1:
        out[1:] += w[:-1] * sub[1:]
