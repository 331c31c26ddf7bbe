"""Statistics of per-path values: means and their standard errors, for independent or
antithetic paths, and quantiles.

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

from sim.engine.streams import CHUNK

Z_95 = 1.959963984540054  # two-sided 95% standard normal quantile
HALF = CHUNK // 2
MIN_COUNT = 10  # below this many hits or misses, pair variances are too rough to use
MAX_GAIN = 100.0  # never claim more than this factor of paths from pairing
_SAMPLE = 20_000  # values sampled to bracket a quantile
_BLOCK = 1 << 16  # values compared at once (half a megabyte: they stay in the cache)


def unit_sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums of small-integer ``values`` (flags, or differences of flags) over each
    independent unit: the antithetic pairs, then the paths whose partner was cut off."""
    values = _small_integers(values)
    paths = len(values)
    full = paths // CHUNK
    pairs = values[: full * CHUNK].reshape(full, 2, HALF).sum(axis=1, dtype=np.int8).ravel()
    rest = values[full * CHUNK :]
    paired = max(0, len(rest) - HALF)  # in the last chunk, paths j and j + HALF, j < paired
    tail_pairs = rest[:paired] + rest[HALF : HALF + paired]
    return np.concatenate([pairs, tail_pairs]), rest[paired:HALF]


def _small_integers(values: np.ndarray) -> np.ndarray:
    """``values`` as int8, without a copy when they are flags."""
    values = np.asarray(values)
    return values.view(np.int8) if values.dtype == bool else values.astype(np.int8, copy=False)


def _sum_of_squares(sums: np.ndarray, centre: float) -> float:
    """Σ (s − centre)² over small-integer ``sums``, from the count of each value (no float
    copies of a run's paths)."""
    if len(sums) == 0:
        return 0.0
    low, high = int(sums.min()), int(sums.max())
    return math.fsum(
        np.count_nonzero(sums == value) * (value - centre) ** 2 for value in range(low, high + 1)
    )


def variance_of_mean(values: np.ndarray, antithetic: bool) -> float:
    """The estimated variance of the mean of small-integer ``values`` (paths in run order)."""
    values = _small_integers(values)
    paths = len(values)
    mean = float(np.sum(values, dtype=np.int64)) / paths
    if not antithetic:
        return _sum_of_squares(values, mean) / paths**2
    pairs, singles = unit_sums(values)
    return (_sum_of_squares(pairs, 2 * mean) + _sum_of_squares(singles, mean)) / paths**2


def wilson_interval(hits: float, paths: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (counts may be effective, not whole;
    a weighted estimate a little above 1 or below 0 is taken at that end)."""
    p = min(1.0, max(0.0, hits / paths))
    z2n = z * z / paths
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / paths + z2n / (4 * paths))
    # Rounding must not push the interval past the estimate (0 hits: the interval starts at 0).
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def share(met: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The estimate of P from per-path flags: the share of paths flagged, or, with importance
    sampling's ``weight``, the mean of weight × flag."""
    if weight is None:
        return int(np.count_nonzero(met)) / len(met)
    return float(weight[met].sum()) / len(met)


def weighted_variance(met: np.ndarray, weight: np.ndarray) -> float:
    """The estimated variance of ``share(met, weight)``: paths are independent (importance
    sampling draws no antithetic pairs)."""
    paths = len(met)
    if paths < 2:
        return 0.0
    values = np.where(met, weight, 0.0)
    return float(np.var(values, ddof=1)) / paths


def effective_paths(met: np.ndarray, antithetic: bool, weight: np.ndarray | None = None) -> float:
    """How many independent paths the estimate of P(target) is worth: with importance
    sampling's ``weight``, the number of plain paths whose share would have the estimate's
    variance (it can be far above the number of paths: that is the point)."""
    paths = len(met)
    hits = int(np.count_nonzero(met))
    if weight is not None:
        p = share(met, weight)
        variance = weighted_variance(met, weight)
        if hits < MIN_COUNT or not 0 < p < 1 or variance <= 0:
            return float(paths)
        return p * (1 - p) / variance
    if not antithetic or min(hits, paths - hits) < MIN_COUNT:
        return float(paths)
    p = hits / paths
    variance = variance_of_mean(met, antithetic=True)
    if variance <= 0:
        return paths * MAX_GAIN
    return min(paths * MAX_GAIN, p * (1 - p) / variance)


def proportion_interval(
    met: np.ndarray, antithetic: bool, weight: np.ndarray | None = None
) -> tuple[float, float]:
    """The 95% interval of the share of paths in ``met`` (with ``weight``, of importance
    sampling's estimate): Wilson's, at the effective paths."""
    paths = len(met)
    p = share(met, weight)
    n = effective_paths(met, antithetic, weight)
    if n == paths and weight is None:
        return wilson_interval(int(np.count_nonzero(met)), paths)
    return wilson_interval(p * n, n)


def weighted_quantiles(
    values: np.ndarray, weight: np.ndarray, probabilities: tuple[float, ...]
) -> list[float]:
    """Quantiles of the law that importance-sampled ``values`` stand for: the least value
    whose share of the total weight at or below it reaches each probability."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order])
    total = cumulative[-1]
    if not total > 0:
        return [math.nan] * len(probabilities)
    ranks = np.searchsorted(cumulative, np.array(probabilities) * total, side="left")
    return [float(values[order[min(r, len(values) - 1)]]) for r in ranks]


def standard_error(values: np.ndarray, antithetic: bool) -> float:
    return math.sqrt(max(variance_of_mean(values, antithetic), 0.0))


def quantiles(values: np.ndarray, probabilities: tuple[float, ...]) -> list[float]:
    """``np.quantile(values, probabilities)`` (linear interpolation), without partitioning or
    copying the whole of a long run's values.

    Each quantile needs two order statistics. A strided sample brackets them; one pass over
    the values, a cache-sized block at a time, counts those below each bracket and picks out
    those inside it, so only these small sets are partitioned. When a bracket misses (rare),
    or for short runs or NaN values, numpy's quantile is used on everything. The result is
    numpy's to the bit either way (but for the sign of a zero among signed zeros, which window
    totals never hold).
    """
    n = len(values)
    stride = max(1, n // _SAMPLE)
    if stride < 16 or values.dtype != np.float64:
        return _numpy_quantiles(values, probabilities)
    sample = np.sort(values[::stride])
    margin = 4 * math.isqrt(len(sample)) + 2  # many standard deviations of a sample rank
    positions = [probability * (n - 1) for probability in probabilities]
    ranks = [round(math.floor(position) / n * len(sample)) for position in positions]
    brackets = [
        (sample[max(0, rank - margin)], sample[min(len(sample) - 1, rank + margin)])
        for rank in ranks
    ]
    below = [0] * len(brackets)
    ties = [0] * len(brackets)
    inside: list[list[np.ndarray]] = [[] for _ in brackets]
    for start in range(0, n, _BLOCK):
        part = values[start : start + _BLOCK]
        if np.isnan(part).any():
            return _numpy_quantiles(values, probabilities)
        for i, (low, high) in enumerate(brackets):
            below[i] += int(np.count_nonzero(part < low))
            if low == high:  # ties (a fixed input): count them, do not copy them
                ties[i] += int(np.count_nonzero(part == low))
            else:
                inside[i].append(part[(part >= low) & (part <= high)])
    result = []
    for i, position in enumerate(positions):
        k = math.floor(position)
        low, high = brackets[i]
        candidates = np.concatenate(inside[i]) if inside[i] else np.empty(0, values.dtype)
        if not below[i] <= k < k + 1 < below[i] + ties[i] + len(candidates):
            return _numpy_quantiles(values, probabilities)
        if low == high:  # both order statistics are that value
            pair = np.full(2, low, dtype=values.dtype)
        else:
            wanted = [k - below[i], k + 1 - below[i]]
            pair = np.partition(candidates, wanted)[wanted]
        result.append(_lerp(float(pair[0]), float(pair[1]), position - k))
    return result


def _numpy_quantiles(values: np.ndarray, probabilities: tuple[float, ...]) -> list[float]:
    """``np.quantile(values, probabilities)``: the order statistics by one partition, then
    numpy's interpolation (``np.quantile`` itself imports numpy.ma, a tenth of a short
    run's time). NaN values, none at all or values other than float64 are left to numpy."""
    n = len(values)
    if n == 0 or values.dtype != np.float64 or np.isnan(values).any():
        return [float(q) for q in np.quantile(values, probabilities)]
    positions = [probability * (n - 1) for probability in probabilities]
    lows = [min(math.floor(position), n - 1) for position in positions]
    ranks = sorted({rank for low in lows for rank in (low, min(low + 1, n - 1))})
    ordered = np.partition(values, ranks)
    return [
        _lerp(float(ordered[low]), float(ordered[min(low + 1, n - 1)]), position - low)
        for position, low in zip(positions, lows, strict=True)
    ]


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation between order statistics ``a`` and ``b`` (from the
    nearer end, so that t = 1 gives b exactly)."""
    if t >= 0.5:
        return b - (b - a) * (1 - t)
    return a + (b - a) * t


MIN_PLAN_HITS = 10  # a relative precision is planned only from a pilot with this many hits


def planned_paths(
    estimate: float,
    hits: int,
    paths: int,
    effective: float,
    precision: float,
    relative: bool = False,
) -> float | None:
    """How many paths a 95% half-width of ``precision`` (or ``relative``: ``precision``
    times P) needs, planned from a pilot of ``paths`` paths that estimated P as ``estimate``
    from ``hits`` paths meeting the target (worth ``effective`` independent paths),
    conservatively: at the end of the pilot's own interval that needs the most. None when a
    relative precision cannot be planned yet (too few hits).

    Planning the run's length once from a pilot, rather than stopping as soon as the interval
    happens to be narrow, keeps the estimate unbiased: a rule that stops on a narrow interval
    stops early on low estimates of a small P (their intervals are narrower) and so biases P
    low (0.24 to 0.30 of a standard error at P = 0.02; tests/test_precision.py)."""
    low, high = wilson_interval(estimate * effective, effective)
    gain = effective / paths  # independent paths per path (antithetic pairs: above 1)
    if relative:
        if hits < MIN_PLAN_HITS or low <= 0:
            return None
        return Z_95**2 * (1 - low) / (low * precision**2) / gain
    p = min(max(0.5, low), high)  # the end nearest 1/2: the widest interval
    return Z_95**2 * p * (1 - p) / precision**2 / gain
