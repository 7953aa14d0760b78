"""Side-by-side comparison of two plans (a base and a what-if): cost, markets, moved shipments,
capacities that became binding or were freed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .capacity_tables import LANE_TOLERANCE, is_binding
from .summary import Summary, html_table

COST_COLUMNS = ("cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty", "cost_total")


@dataclass(frozen=True, eq=False, repr=False)
class Comparison:
    """``totals``: per cost component {base, other, delta}; ``markets``, ``changed`` and
    ``capacities`` are pyarrow tables (``to_pandas()`` for DataFrames)."""

    totals: dict[str, dict[str, float]]
    markets: pa.Table
    changed: pa.Table
    capacities: pa.Table
    counts: dict[str, Any]

    def __repr__(self) -> str:
        t, c = self.totals["cost_total"], self.counts
        return (f"Comparison(objective {t['base']:,.2f} -> {t['other']:,.2f} ({t['delta']:+,.2f}), "
                f"{len(self.changed):,} shipments moved, {len(self.capacities):,} capacities changed binding, "
                f"{c['only_base']:,} only in base, {c['only_other']:,} only in the what-if)")

    def _repr_html_(self) -> str:
        """The headline table (cost by component) and the per-market table, for a notebook."""
        head = [[k[5:] if k != "cost_total" else "total", f"{v['base']:,.2f}", f"{v['other']:,.2f}",
                 f"{v['delta']:+,.2f}"] for k, v in self.totals.items()]
        markets = [[r["market"], f"{r['cost_base']:,.2f}", f"{r['cost_other']:,.2f}", f"{r['cost_delta']:+,.2f}",
                    f"{r['on_time_base']:.1%}", f"{r['on_time_other']:.1%}"] for r in self.markets.to_pylist()]
        return html_table(["cost", "base", "what-if", "delta"], head) + \
            f"<p>{len(self.changed):,} shipments moved; {len(self.capacities):,} capacities changed binding</p>" + \
            html_table(["market", "cost base", "cost what-if", "delta", "on time base", "on time what-if"], markets)

    def summary(self) -> str:
        t = self.totals["cost_total"]
        lines = [f"objective {t['base']:,.2f} -> {t['other']:,.2f} ({t['delta']:+,.2f})"]
        lines.append("components: " + ", ".join(
            f"{k[5:]} {v['delta']:+,.2f}" for k, v in self.totals.items() if k != "cost_total"))
        c = self.counts
        lines.append(f"shipments: {c['changed_channel']:,} changed channel, {c['changed_route']:,} changed route, "
                     f"{c['changed_status']:,} changed status, {c['only_base']:,} only in base, "
                     f"{c['only_other']:,} only in the what-if")
        for row in self.markets.to_pylist():
            if abs(row["cost_delta"]) > 1e-9 or abs(row["on_time_delta"]) > 1e-12:
                lines.append(f"  {row['market']:<6} cost {row['cost_delta']:+12,.2f}   on-time "
                             f"{row['on_time_base']:.1%} -> {row['on_time_other']:.1%}")
        for row in self.capacities.to_pylist():
            lines.append(f"  {row['change']:<14} {row['kind']} {row['id']} {row['date']}: load {row['load_base']:,.1f}"
                         f" -> {row['load_other']:,.1f} of {row['capacity']:,.1f}, price {row['price_base']:.3f}"
                         f" -> {row['price_other']:.3f}")
        return "\n".join(lines)


class PlanLike(Protocol):
    """What :func:`compare` reads of a plan: a :class:`~routing.report.result.Result` or a
    :class:`~routing.report.result.PlanSummary` (a sweep's)."""

    @property
    def plan(self) -> pa.Table: ...

    @property
    def figures(self) -> Summary: ...


def _capacity_rows(result: PlanLike) -> dict[tuple[str, str, str], dict[str, float]]:
    """Every capacity row of a plan's summary by (kind, id, date): load, capacity and shadow price."""
    s = result.figures
    out = {("lane", e.lane_id, e.departure_date): {"load": e.load_kg, "cap": e.capacity_kg, "price": e.shadow_price}
           for e in s.lanes}
    out.update({("node", e.node, e.date): {"load": float(e.parcels), "cap": float(e.capacity),
                                           "price": e.shadow_price} for e in s.nodes})
    out.update({("stock", f"{e.node}/{e.sku}", ""): {"load": float(e.units_used), "cap": float(e.units),
                                                   "price": e.shadow_price} for e in s.stock if e.units is not None})
    return out


def _differs(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    """Per row: ``a`` and ``b`` differ (a null equals only a null)."""
    same = pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))
    return ~pc.fill_null(same, False).to_numpy(zero_copy_only=False)


def moved_shipments(base: pa.Table, other: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """The shipments (matched by shipment_id) whose route or status changed, in ``other``'s order, and the
    counts of changes; one hash join and column-wise comparisons, no Python object per shipment."""
    b_ids, o_ids = base["shipment_id"], other["shipment_id"]
    if b_ids.equals(o_ids):  # the same shipments (a network edit): no join
        pos = np.arange(len(o_ids))
    else:
        pos = pc.fill_null(pc.index_in(o_ids, value_set=b_ids), -1).to_numpy()
    j = np.flatnonzero(pos >= 0)  # rows of ``other`` found in ``base``
    i = pos[j]
    take_b, take_o = pa.array(i, pa.int64()), pa.array(j, pa.int64())
    pair = {c: (base[c].take(take_b), other[c].take(take_o)) for c in ("status", "channel", "route")}
    diff = {c: _differs(*ab) for c, ab in pair.items()}
    moved = diff["route"] | diff["status"]
    counts = {"changed_channel": int((moved & diff["channel"]).sum()), "changed_route": int(diff["route"].sum()),
              "changed_status": int(diff["status"].sum()), "only_base": base.num_rows - len(j),
              "only_other": other.num_rows - len(j)}
    m = pa.array(np.flatnonzero(moved), pa.int64())
    columns: dict[str, Any] = {"shipment_id": o_ids.take(pa.array(j[moved], pa.int64()))}
    for c in ("status", "channel", "route"):
        columns[f"{c}_base"], columns[f"{c}_other"] = pair[c][0].take(m), pair[c][1].take(m)
    cost_b = base["cost_total"].to_numpy()[i[moved]]
    columns["cost_delta"] = pa.array(other["cost_total"].to_numpy()[j[moved]] - cost_b, pa.float64())
    return pa.table(columns), counts


def compare(base: PlanLike, other: PlanLike) -> Comparison:
    """What changed from ``base`` to ``other`` (shipments matched by shipment_id)."""
    for name, plan in (("base", base), ("other", other)):
        if not isinstance(getattr(plan, "plan", None), pa.Table) or not isinstance(getattr(plan, "figures", None),
                                                                                  Summary):
            raise InputError("compare", name, f"must be a Result of solve() or a sweep's PlanSummary, "
                                              f"got {type(plan).__name__}")
    b_plan, o_plan = base.plan, other.plan
    totals = {c: {"base": float(np.sum(b_plan[c].to_numpy())), "other": float(np.sum(o_plan[c].to_numpy()))}
              for c in COST_COLUMNS}
    for v in totals.values():
        v["delta"] = v["other"] - v["base"]
    changed, counts = moved_shipments(b_plan, o_plan)
    bm, om = base.figures.markets, other.figures.markets
    markets = sorted(set(bm) | set(om))

    def figure(of: dict, m: str, name: str) -> float:
        return getattr(of[m], name) if m in of else 0.0

    market_table = pa.table({
        "market": markets,
        "cost_base": [figure(bm, m, "cost") for m in markets],
        "cost_other": [figure(om, m, "cost") for m in markets],
        "cost_delta": [figure(om, m, "cost") - figure(bm, m, "cost") for m in markets],
        "on_time_base": [figure(bm, m, "on_time_rate") for m in markets],
        "on_time_other": [figure(om, m, "on_time_rate") for m in markets],
        "on_time_delta": [figure(om, m, "on_time_rate") - figure(bm, m, "on_time_rate") for m in markets],
    })
    bc, oc = _capacity_rows(base), _capacity_rows(other)
    none = {"load": 0.0, "cap": 0.0, "price": 0.0}
    caps: dict[str, list[Any]] = {k: [] for k in ("change", "kind", "id", "date", "load_base", "load_other",
                                                  "capacity", "price_base", "price_other")}
    for key in sorted(set(bc) | set(oc)):
        before, after = bc.get(key, none), oc.get(key, none)
        tolerance = LANE_TOLERANCE if key[0] == "lane" else 0.0
        was = key in bc and bool(is_binding(before["load"], before["cap"], before["price"], tolerance))
        now = key in oc and bool(is_binding(after["load"], after["cap"], after["price"], tolerance))
        if was == now:
            continue
        caps["change"].append("newly_binding" if now else "freed")
        caps["kind"].append(key[0])
        caps["id"].append(key[1])
        caps["date"].append(key[2])
        caps["load_base"].append(before["load"])
        caps["load_other"].append(after["load"])
        caps["capacity"].append(after["cap"] if key in oc else before["cap"])
        caps["price_base"].append(before["price"])
        caps["price_other"].append(after["price"])
    return Comparison(totals=totals, markets=market_table, changed=changed, capacities=pa.table(caps),
                      counts=counts)
