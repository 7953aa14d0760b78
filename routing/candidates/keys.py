"""Capacity rows as packed keys: a kind (lane departure, node-day, bonded stock), an id (lane or node
index) and a day (days since the epoch) or sku index, in one int64 that sorts as the triple does."""

from __future__ import annotations

import numpy as np

from ..arrays import dense_rank

RES_LANE, RES_NODE, RES_STOCK = 0, 1, 2  # kinds of capacity row
_DAY_BIAS = 1 << 23
_KEY_KIND, _KEY_ID = 56, 24  # bit offsets of the kind and the id


def resource_key(kind: int | np.ndarray, ident: int | np.ndarray, value: int | np.ndarray) -> np.ndarray:
    """Pack (kind, id, day or sku) into one int64 key; days are biased to stay positive."""
    kind = np.asarray(kind, dtype=np.int64)
    value = np.asarray(value, dtype=np.int64)
    value = np.where(kind == RES_STOCK, value, value + _DAY_BIAS)
    return (kind << _KEY_KIND) | (np.asarray(ident, dtype=np.int64) << _KEY_ID) | value


def unpack_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kind, id, day or sku) of packed keys, the inverse of :func:`resource_key`."""
    kind = key >> _KEY_KIND
    ident = (key >> _KEY_ID) & ((1 << (_KEY_KIND - _KEY_ID)) - 1)
    value = key & ((1 << _KEY_ID) - 1)
    value = np.where(kind == RES_STOCK, value, value - _DAY_BIAS)
    return kind, ident, value


def factorize_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for packed resource keys (:func:`resource_key`), by
    counting: kind, id and day/sku span small ranges, so a dense code per key orders them as the keys
    do (:func:`~routing.arrays.dense_rank` sorts when the ranges are wide)."""
    if not len(keys):
        return keys[:0], np.zeros(0, dtype=np.int64)
    kind, ident, value = keys >> _KEY_KIND, (keys >> _KEY_ID) & ((1 << (_KEY_KIND - _KEY_ID)) - 1), \
        keys & ((1 << _KEY_ID) - 1)
    k0, i0, v0 = int(kind.min()), int(ident.min()), int(value.min())
    n_i, n_v = int(ident.max()) - i0 + 1, int(value.max()) - v0 + 1
    if (int(kind.max()) - k0 + 1) * n_i * n_v > max(4 * len(keys), 1 << 20):
        inverse, distinct = dense_rank(keys)
        return distinct, inverse
    inverse, c = dense_rank(((kind - k0) * n_i + (ident - i0)) * n_v + (value - v0))
    out = ((c // (n_i * n_v) + k0) << _KEY_KIND) | ((c // n_v % n_i + i0) << _KEY_ID) | (c % n_v + v0)
    return out.astype(keys.dtype), inverse
