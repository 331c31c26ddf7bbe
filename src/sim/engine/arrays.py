"""Small array operations the engine shares."""

from __future__ import annotations

import numpy as np


def cumulate(rows: np.ndarray) -> None:
    """Cumulative sum down the first (month) axis, in place.

    A Python loop over months of whole-row additions: numpy's cumsum along axis 0 of a
    (months, paths) array walks memory with a stride and is several times slower.
    """
    for t in range(1, len(rows)):
        np.add(rows[t], rows[t - 1], out=rows[t])


def sum_rows(rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The sum down the first (month) axis into ``out``, a row at a time: what numpy's sum
    along axis 0 gives for two columns or more, and the same for one (which numpy would sum
    pairwise, rounding otherwise), so that a path's totals do not depend on how many paths
    are simulated with it. No rows sum to 0."""
    if not len(rows):
        out[...] = 0.0
        return out
    np.copyto(out, rows[0])
    for row in rows[1:]:
        out += row
    return out
