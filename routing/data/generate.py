"""Deterministic generator of realistic shipments (and bonded stock) for a network.

Order dates spread over ``days`` from the epoch with a weekly rhythm, skewed (Zipf) demand over
markets and factories, lognormal weights with a long tail, volumes that sometimes make the
volumetric weight decide, lognormal declared values with a high-value tail, Zipf sku popularity,
some channel restrictions and express promises. Same network, size and seed: same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..settings import check_whole
from .network import Network
from .tables import write_table


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


MAX_SHIPMENTS, MAX_DAYS, MAX_SEED = 10_000_000, 366, 2**32 - 1  # the generator's seed: numpy takes 32 bits


def check_generate(n: int, seed: int, days: int) -> None:
    """Refuse a generator call outside its limits (before any work)."""
    for name, value, lo, hi in (("shipments", n, 1, MAX_SHIPMENTS), ("days", days, 1, MAX_DAYS),
                                ("seed", seed, 0, MAX_SEED)):
        check_whole("generate", name, value, lo, hi)


def generate_shipments(network: Network, n: int, seed: int = 0, days: int = 7) -> pa.Table:
    """``n`` shipments with order dates over ``days`` days from the network's epoch (the columns of docs/inputs.md)."""
    check_generate(n, seed, days)
    factories = network.ids_of_kind("factory")
    markets = network.ids_of_kind("market")
    if not factories or not markets:
        raise InputError(network.source, None, "needs at least one factory and one market to generate shipments")
    rng = np.random.default_rng(seed)
    epoch = network.epoch or dt.date(2026, 11, 30)
    weekday_rhythm = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.8, 0.9])  # Mon..Sun order intensity
    day_w = weekday_rhythm[[(epoch.weekday() + d) % 7 for d in range(days)]]
    day = rng.choice(days, size=n, p=day_w / day_w.sum())
    market = rng.choice(len(markets), size=n, p=_zipf_weights(len(markets), 1.0))
    factory = rng.choice(len(factories), size=n, p=_zipf_weights(len(factories), 0.7))
    weight = np.clip(rng.lognormal(np.log(0.55), 0.75, n), 0.05, 30.0)
    density = rng.uniform(1500.0, 9000.0, n)  # cm³ per kg: above 6000 the volumetric weight decides
    volume = np.round(weight * density, 0)
    value = np.round(np.clip(rng.lognormal(np.log(22.0), 0.9, n), 1.0, 2000.0), 2)
    n_skus = max(20, n // 25)
    sku = rng.choice(n_skus, size=n, p=_zipf_weights(n_skus, 1.1))
    quantity = np.where(rng.random(n) < 0.9, 1, rng.integers(2, 4, n))
    u = rng.random(n)
    channel = np.where(u < 0.04, "jit", np.where(u < 0.08, "bonded", ""))
    promise = np.where(rng.random(n) < 0.02, "3", "")
    order = np.lexsort((factory, day))  # order dates ascending, like a nightly extract
    dates = np.array([str(epoch + dt.timedelta(days=int(d))) for d in range(days)])
    width = len(str(n))
    ids = [f"S{i:0{width}d}" for i in range(1, n + 1)]
    return pa.table({
        "shipment_id": ids,
        "origin": np.array(factories)[factory[order]],
        "destination": np.array(markets)[market[order]],
        "order_date": dates[day[order]],
        "weight_kg": np.round(weight[order], 3),
        "volume_cm3": volume[order],
        "value": value[order],
        "sku": np.char.add("SKU-", np.char.zfill(sku[order].astype(str), 6)),
        "quantity": quantity[order],
        "channel": channel[order],
        "promise_days": promise[order],
    })


def generate_inventory(network: Network, shipments: pa.Table, cover: float = 0.7, top_share: float = 0.6) -> pa.Table:
    """Stock per bonded warehouse: for the skus most ordered in the markets it serves directly,
    ``cover`` × that demand in units (so popular items can run out)."""
    market_of = {}
    for ln in network.lanes:
        a, b = network.node(ln.origin), network.node(ln.dest)
        if a.kind == "bonded" and b.kind == "market":
            market_of.setdefault(a.id, set()).add(b.id)
    dest = np.asarray(shipments.column("destination").to_pylist(), dtype=object)
    sku = np.asarray(shipments.column("sku").to_pylist(), dtype=object)
    qty = np.asarray(shipments.column("quantity").to_pylist(), dtype=np.int64)
    rows_node, rows_sku, rows_units = [], [], []
    for node in network.ids_of_kind("bonded"):
        served = np.isin(dest, sorted(market_of.get(node, ())))
        if not served.any():
            continue
        names, inv = np.unique(sku[served].astype(str), return_inverse=True)
        demand = np.bincount(inv, weights=qty[served])
        top = np.argsort(-demand, kind="stable")[: max(1, int(len(names) * top_share))]
        for k in sorted(top.tolist()):
            rows_node.append(node)
            rows_sku.append(names[k])
            rows_units.append(int(np.ceil(cover * demand[k])))
    return pa.table({"node": rows_node, "sku": rows_sku, "units": pa.array(rows_units, pa.int64())})


def write_generated(network: Network, n: int, seed: int, out_dir: str | Path, *, inventory: bool = False,
                    days: int = 7, fmt: str = "csv") -> dict[str, Path]:
    """Generate and write ``shipments.<fmt>`` (and ``inventory.<fmt>``) into ``out_dir``."""
    out = Path(out_dir)
    table = generate_shipments(network, n, seed, days)
    paths = {"shipments": out / f"shipments.{fmt}"}
    write_table(table, paths["shipments"], fmt)
    if inventory:
        paths["inventory"] = out / f"inventory.{fmt}"
        write_table(generate_inventory(network, table), paths["inventory"], fmt)
    return paths
