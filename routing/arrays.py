"""Index arithmetic on numpy arrays, without Python loops: concatenated ranges (the CSR layout: a start
and a length per item), dense ranks and ids of integer keys, lookups and grouped orders."""

from __future__ import annotations

import numpy as np


def concat_ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``start[i], start[i] + 1, …, start[i] + count[i] - 1`` for every i, one range after the other."""
    count = np.asarray(count, dtype=np.int64)
    return np.arange(int(count.sum())) + np.repeat(np.asarray(start, dtype=np.int64) - (np.cumsum(count) - count),
                                                   count)


def dense_rank(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` the other way round — (each value's rank among the
    distinct values, the distinct values ascending) — by counting when the integer values span a small
    range (at most max(4n, 2^20)), by sorting otherwise."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), values[:0]
    lo, hi = int(values.min()), int(values.max())
    if hi - lo + 1 > max(4 * len(values), 1 << 20):
        distinct, inverse = np.unique(values, return_inverse=True)
        return inverse.ravel().astype(np.int64), distinct
    present = np.bincount(values - lo, minlength=hi - lo + 1) > 0
    rank = np.cumsum(present) - 1
    return rank[values - lo], (np.flatnonzero(present) + lo).astype(values.dtype)


def index_in(keys: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Position in ``keys`` of each of ``want`` (the first, if repeated), -1 where absent."""
    if not len(keys):
        return np.full(len(want), -1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    pos = np.minimum(np.searchsorted(keys[order], want), len(keys) - 1)
    return np.where(keys[order][pos] == want, order[pos], -1).astype(np.int64)


def factorize(columns: list[np.ndarray]) -> np.ndarray:
    """Dense ids 0..k-1 of the distinct rows of integer ``columns``, in lexicographic order of the rows
    (first column most significant): each column ranked, the ranks packed in one key, one sort."""
    n = len(columns[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    code, span = np.zeros(n, dtype=np.int64), 1
    for col in columns:
        rank, distinct = dense_rank(col)
        if span * len(distinct) >= 2**62:  # the packed key would overflow: re-rank what is packed so far
            code, packed = dense_rank(code)
            span = len(packed)
        code, span = code * len(distinct) + rank, span * len(distinct)
    return dense_rank(code)[0]


def by_group_then(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """``np.lexsort((key, group))`` for non-negative integer groups: by group, then ``key``, ties in
    index order. Two stable sorts, the group one a radix sort when groups fit 16 bits (250k entries in
    20k groups: 36 ms against 62 for lexsort)."""
    by_key = np.argsort(key, kind="stable")
    groups = group[by_key]
    if len(groups) and groups.max() < 2**15:
        groups = groups.astype(np.int16)
    return by_key[np.argsort(groups, kind="stable")]


def new_of_base(base_of: np.ndarray, n_base: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The inverse of a row map: ``base_of`` gives each new row's base row (-1: none); returns each of
    the ``n_base`` base rows' new row (-1 if gone), from ``rows`` of the new table only if given."""
    rows = np.flatnonzero(base_of >= 0) if rows is None else rows
    out = np.full(n_base, -1, dtype=np.int64)
    out[base_of[rows]] = rows
    return out


def index_by_content(old: list, new: list) -> np.ndarray:
    """Index in ``new`` of each of ``old`` (equal, hashable content; the first if repeated), -1 where
    absent, and a trailing -1 (so that index -1 maps to -1)."""
    first: dict = {}
    for i, s in enumerate(new):
        first.setdefault(s, i)
    return np.array([first.get(s, -1) for s in old] + [-1], dtype=np.int64)


def segment_min(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The least of each segment ``values[starts[i]:starts[i + 1]]`` (the last one to the end), inf for an
    empty segment (``np.minimum.reduceat`` would give the next value there)."""
    out = np.full(len(starts), np.inf)
    has = np.r_[starts[1:], len(values)] > starts
    if has.any():
        out[has] = np.minimum.reduceat(values, starts[has])
    return out


def segment_argmin(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Positions in ``values`` of the first least finite value of each segment (as :func:`segment_min`);
    segments holding only inf have none, so the result may be shorter than ``starts``."""
    lengths = np.diff(np.r_[starts, len(values)])
    best = np.repeat(segment_min(values, starts), lengths)
    hit = np.flatnonzero(np.isfinite(values) & (values == best))
    if not len(hit):
        return hit
    seg_of = np.repeat(np.arange(len(starts)), lengths)[hit]
    return hit[np.r_[True, seg_of[1:] != seg_of[:-1]]]
