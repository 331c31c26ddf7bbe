"""Means of per-path values and their standard errors, for independent or antithetic paths.

With antithetic sampling the second half of each chunk's paths mirrors the first (path j and
j + CHUNK/2 are a pair), so paths are not independent: the pairs are. The variance of a mean
is then estimated from the pairs' sums (a path whose partner was cut off by the run's length
stands alone), and a proportion's interval is the Wilson interval at the effective number of
paths — the number of independent paths that would give the same variance (Kish's design
effect), which is larger than the number of paths when the pairing helps.
"""

from __future__ import annotations

import math

import numpy as np

from sim.streams import CHUNK

HALF = CHUNK // 2
MIN_COUNT = 10  # below this many hits or misses, pair variances are too rough to use
MAX_GAIN = 100.0  # never claim more than this factor of paths from pairing


def unit_sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums of ``values`` over each independent unit (an antithetic pair, or a lone path),
    and each unit's size."""
    values = np.asarray(values, dtype=float)
    paths = len(values)
    full = paths // CHUNK
    pairs = values[: full * CHUNK].reshape(full, 2, HALF).sum(axis=1).ravel()
    rest = values[full * CHUNK :]
    paired = max(0, len(rest) - HALF)  # in the last chunk, paths j and j + HALF, j < paired
    sums = np.concatenate([pairs, rest[:paired] + rest[HALF : HALF + paired], rest[paired:HALF]])
    sizes = np.concatenate([np.full(full * HALF + paired, 2.0), np.ones(len(rest[paired:HALF]))])
    return sums, sizes


def variance_of_mean(values: np.ndarray, antithetic: bool) -> float:
    """The estimated variance of the mean of ``values`` (paths in run order)."""
    values = np.asarray(values, dtype=float)
    paths = len(values)
    mean = float(values.mean())
    if not antithetic:
        return float(np.mean((values - mean) ** 2)) / paths
    sums, sizes = unit_sums(values)
    return float(np.sum((sums - sizes * mean) ** 2)) / paths**2


def effective_paths(met: np.ndarray, antithetic: bool) -> float:
    """How many independent paths the estimate of P(target) is worth."""
    paths = len(met)
    hits = int(np.count_nonzero(met))
    if not antithetic or min(hits, paths - hits) < MIN_COUNT:
        return float(paths)
    p = hits / paths
    variance = variance_of_mean(met, antithetic=True)
    if variance <= 0:
        return paths * MAX_GAIN
    return min(paths * MAX_GAIN, p * (1 - p) / variance)


def proportion_interval(met: np.ndarray, antithetic: bool) -> tuple[float, float]:
    """The 95% interval of the share of paths in ``met``: Wilson's, at the effective paths."""
    from sim.summarise import wilson_interval

    paths = len(met)
    hits = int(np.count_nonzero(met))
    n = effective_paths(met, antithetic)
    if n == paths:
        return wilson_interval(hits, paths)
    return wilson_interval(hits / paths * n, n)


def standard_error(values: np.ndarray, antithetic: bool) -> float:
    return math.sqrt(max(variance_of_mean(values, antithetic), 0.0))
