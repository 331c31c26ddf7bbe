"""The route factor of a country's trade (SPEC 6): what gets through, with rerouting."""

from __future__ import annotations

import numpy as np


def route_factor(
    shares: tuple[tuple[int, float], ...], reroute: tuple[float, ...], availability: np.ndarray
) -> np.ndarray:
    """``F(t) = Σ_r share_r · [A_r + (1 − A_r) · reroute_r · max_{r' ≠ r} A_r']``.

    ``availability`` is (routes, months, paths); ``shares`` pairs a route index with its share;
    ``reroute`` is indexed by route. The max runs over the country's other routes (0 if none).
    """
    used = [route for route, _ in shares]
    factor = np.zeros(availability.shape[1:])
    for route, share in shares:
        own = availability[route]
        others = [availability[r] for r in used if r != route]
        best_other = np.maximum.reduce(others) if others else 0.0
        factor += share * (own + (1.0 - own) * reroute[route] * best_other)
    return factor
