"""Index arithmetic on concatenated ranges (the CSR layout: a start and a length per item), without
Python loops."""

from __future__ import annotations

import numpy as np


def concat_ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``start[i], start[i] + 1, …, start[i] + count[i] - 1`` for every i, one range after the other."""
    count = np.asarray(count, dtype=np.int64)
    return np.arange(int(count.sum())) + np.repeat(np.asarray(start, dtype=np.int64) - (np.cumsum(count) - count),
                                                   count)


__all__ = ["concat_ranges"]
