"""The sparse model and the key arithmetic it rests on, against plain reference constructions: the
matrix built by columns equals the one assembled entry by entry from the candidates (COO), and the
counting factorisations of capacity-row keys and of class rows equal ``np.unique``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import routing
from routing import PlanSettings
from routing.arrays import factorize
from routing.candidates import build_candidates
from routing.candidates.keys import RES_LANE, RES_NODE, RES_STOCK, factorize_keys, resource_key
from routing.data.synth import large_network
from routing.model import build_model

from .helpers import FIXTURES


@pytest.mark.parametrize("seed", range(4))
def test_class_factorisation_equals_unique_rows(seed):
    """Dense ids of distinct rows, in lexicographic row order: small ranges (counted), wide and
    negative ones (sorted), and enough columns that the packed key must be re-ranked on the way."""
    rng = np.random.default_rng(seed)
    pool = [lambda n: rng.integers(-3, 4, n), lambda n: rng.integers(0, 2, n) * 10**15,
            lambda n: rng.integers(-(10**17), 10**17, n), lambda n: rng.integers(0, 50_000, n)]
    for trial in range(40):
        n = int(rng.integers(1, 600))
        kinds = rng.integers(0, len(pool), int(rng.integers(1, 9))) if trial % 4 else np.full(8, 2)  # 8 wide
        cols = [pool[int(k)](n) for k in kinds]
        _, want = np.unique(np.stack(cols, axis=1), axis=0, return_inverse=True)
        assert np.array_equal(factorize(cols), want.ravel())


@pytest.mark.parametrize("seed", range(4))
def test_factorize_keys_equals_unique(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        n = int(rng.integers(0, 400))
        kind = rng.choice([RES_LANE, RES_NODE, RES_STOCK], n)
        ident = rng.integers(0, int(rng.integers(1, 60)), n)
        value = rng.integers(-30, int(rng.integers(-29, 500)), n)
        keys = resource_key(kind, ident, value)
        got, inverse = factorize_keys(keys)
        want, want_inverse = np.unique(keys, return_inverse=True)
        assert got.dtype == want.dtype and np.array_equal(got, want)
        assert np.array_equal(inverse, want_inverse.ravel())
        assert np.array_equal(got[inverse], keys)


def test_factorize_keys_wide_ranges_fall_back_to_sorting():
    keys = resource_key(np.array([RES_STOCK, RES_LANE, RES_STOCK, RES_LANE]), np.array([5, 1 << 20, 5, 3]),
                        np.array([1 << 22, 0, 7, 0]))
    got, inverse = factorize_keys(keys)
    want, want_inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(got, want) and np.array_equal(inverse, want_inverse.ravel())


def _reference_matrix(cand, model, shipments) -> sp.csr_matrix:
    """The constraint matrix entry by entry: assignment, capacity and target rows (docs/rules.md)."""
    n_x, n_u = cand.n_vars, len(model.u_ship)
    ship_row = np.full(len(shipments), -1)
    ship_row[model.u_ship] = np.arange(n_u)
    res_row = {int(k): i for i, k in enumerate(np.unique(cand.inc_key).tolist())}
    t_row = {int(m): i for i, m in enumerate(model.target_markets.tolist())}
    rows, cols, vals = [], [], []
    for j in range(n_x):
        rows.append(ship_row[cand.var_ship[j]])
        cols.append(j)
        vals.append(1.0)
        market = int(shipments.destination[cand.var_ship[j]])
        if cand.var_ontime[j] and market in t_row:
            rows.append(n_u + len(res_row) + t_row[market])
            cols.append(j)
            vals.append(1.0)
    for v, k, c in zip(cand.inc_var.tolist(), cand.inc_key.tolist(), cand.inc_coef.tolist(), strict=True):
        rows.append(n_u + res_row[k])
        cols.append(v)
        vals.append(c)
    for i in range(n_u):
        rows.append(i)
        cols.append(n_x + i)
        vals.append(1.0)
    for i in range(len(t_row)):
        rows.append(n_u + len(res_row) + i)
        cols.append(n_x + n_u + i)
        vals.append(1.0)
    shape = (n_u + len(res_row) + len(t_row), n_x + n_u + len(t_row))
    return sp.coo_matrix((vals, (rows, cols)), shape=shape).tocsr()


@pytest.mark.parametrize("case", ["example", "large"])
def test_matrix_by_columns_equals_entrywise_build(case, tmp_path):
    if case == "example":
        net = routing.load_network(FIXTURES / "network.yaml")
        ships = routing.load_shipments(FIXTURES / "example" / "shipments.csv", net)
        inv = routing.load_inventory(FIXTURES / "example" / "inventory.csv", net)
    else:
        import yaml

        from routing.cli import main

        (tmp_path / "network.yaml").write_text(yaml.safe_dump(large_network(factories=6, shipments=800)))
        assert main(["generate", "--network", str(tmp_path / "network.yaml"), "--shipments", "800", "--seed", "3",
                     "--days", "7", "--out", str(tmp_path), "--quiet"]) == 0
        net = routing.load_network(tmp_path / "network.yaml")
        ships = routing.load_shipments(tmp_path / "shipments.csv", net)
        inv = None
    cand = build_candidates(net, ships, inv, PlanSettings())
    model = build_model(net, ships, inv, cand, 1000.0)
    ref = _reference_matrix(cand, model, ships)
    assert model.A.shape == ref.shape and abs(model.A - ref).max() == 0
    assert model.A.has_sorted_indices and abs(model.A_csc - ref.tocsc()).max() == 0
    csc = model.A_csc  # rows ascend within every column, as its canonical flag claims
    within = np.repeat(np.arange(csc.shape[1]), np.diff(csc.indptr))
    assert np.all((np.diff(csc.indices) > 0) | (np.diff(within) > 0))
    assert np.array_equal(model.res_keys, np.unique(cand.inc_key))
    assert np.array_equal(model.col_assign_row, model.A_csc.indices[model.A_csc.indptr[:-1]][:model.n_x + model.n_u])
