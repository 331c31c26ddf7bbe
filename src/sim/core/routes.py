"""The route factor of a country's trade (SPEC 6): what gets through, with rerouting."""

from __future__ import annotations

import functools

import numpy as np


def route_factor(
    shares: tuple[tuple[int, float], ...],
    reroute: tuple[float, ...],
    availability: list[np.ndarray],
) -> np.ndarray:
    """``F(t) = Σ_r share_r · [A_r + (1 − A_r) · reroute_r · max_{r' ≠ r} A_r']``.

    ``availability`` holds each route's A_r(t), (months, paths) or (months, 1) when it is the
    same on every path; ``shares`` pairs a route index with its share; ``reroute`` is indexed
    by route. The max runs over the country's other routes (0 if it has none).
    """
    if len(shares) == 2:  # the common case, in fewer passes over the arrays
        (r1, s1), (r2, s2) = shares
        a, b = availability[r1], availability[r2]
        c1, c2 = s1 * reroute[r1], s2 * reroute[r2]
        # s1·a + s2·b + c1·(1 − a)·b + c2·(1 − b)·a = (s1 + c2)·a + (s2 + c1)·b − (c1 + c2)·a·b
        pair = a * (s1 + c2) + b * (s2 + c1)
        both = a * b
        both *= c1 + c2
        pair -= both
        return pair
    used = [route for route, _ in shares]
    factor: np.ndarray | float = 0.0
    for route, share in shares:
        own = availability[route]
        others = [availability[r] for r in used if r != route]
        if not others or reroute[route] == 0:
            factor = factor + share * own
            continue
        # share·[A + (1 − A)·ρ·M] = share·[A·(1 − ρ·M) + ρ·M], with M the best other route
        moved = functools.reduce(np.maximum, others) * reroute[route]
        kept = own * (1.0 - moved)
        kept += moved
        kept *= share
        factor = factor + kept  # not +=: factor may still be a (months, 1) column
    return np.asarray(factor)


def seasonal_open_share(
    shares: tuple[tuple[int, float], ...],
    reroute: tuple[float, ...],
    closed_months: tuple[tuple[int, ...], ...],
    months: range,
) -> float:
    """The mean route factor over ``months`` (month indices) under the routes' seasonal
    closures alone: the share of its open-road trade a country moves in those months.

    A baseline observed over them is divided by this share to give the open-road run-rate the
    trend starts from, because the model applies the closures again to every simulated month
    (docs/model.md, "Baseline under seasonal closures"). 1 for a country without routes.
    """
    if not shares or not months:
        return 1.0
    from sim.core.periods import month_of_year

    calendar = np.array([month_of_year(m) for m in months])
    availability = [
        np.where(np.isin(calendar, closed), 0.0, 1.0)[:, None] if closed else np.ones((1, 1))
        for closed in closed_months
    ]
    return float(np.mean(route_factor(shares, reroute, availability)))
