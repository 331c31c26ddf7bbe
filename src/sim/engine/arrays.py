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
