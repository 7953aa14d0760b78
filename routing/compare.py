"""Side-by-side comparison of two plans (a base and a what-if): cost, markets, moved shipments,
capacities that became binding or were freed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .result import Result

COST_COLUMNS = ("cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty", "cost_total")


@dataclass(frozen=True, eq=False)
class Comparison:
    """``totals``: per cost component {base, other, delta}; ``markets``, ``changed`` and
    ``capacities`` are pyarrow tables (``to_pandas()`` for DataFrames)."""

    totals: dict[str, dict[str, float]]
    markets: pa.Table
    changed: pa.Table
    capacities: pa.Table
    counts: dict[str, Any]

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


def _capacity_rows(result: Result) -> dict[tuple[str, str, str], dict[str, float]]:
    s = result.summary_data
    out = {("lane", e["lane_id"], e["departure_date"]): {"load": e["load_kg"], "cap": e["capacity_kg"],
                                                          "price": e["shadow_price"]} for e in s["lanes"]}
    out.update({("node", e["node"], e["date"]): {"load": float(e["parcels"]), "cap": float(e["capacity"]),
                                                 "price": e["shadow_price"]} for e in s["nodes"]})
    out.update({("stock", f"{e['node']}/{e['sku']}", ""): {"load": float(e["units_used"]), "cap": float(e["units"]),
                                                          "price": e["shadow_price"]} for e in s["stock"]})
    return out


def _binding(entry: dict[str, float]) -> bool:
    return entry["price"] > 1e-9 or entry["load"] >= entry["cap"] - 1e-9


def compare(base: Result, other: Result) -> Comparison:
    """What changed from ``base`` to ``other`` (shipments matched by shipment_id)."""
    b_plan, o_plan = base.plan.to_pydict(), other.plan.to_pydict()
    totals = {c: {"base": float(sum(b_plan[c])), "other": float(sum(o_plan[c]))} for c in COST_COLUMNS}
    for v in totals.values():
        v["delta"] = v["other"] - v["base"]
    b_index = {sid: i for i, sid in enumerate(b_plan["shipment_id"])}
    rows: dict[str, list[Any]] = {k: [] for k in ("shipment_id", "status_base", "status_other", "channel_base",
                                                  "channel_other", "route_base", "route_other", "cost_delta")}
    counts = {"changed_channel": 0, "changed_route": 0, "changed_status": 0, "only_base": 0, "only_other": 0}
    seen = set()
    for j, sid in enumerate(o_plan["shipment_id"]):
        i = b_index.get(sid)
        if i is None:
            counts["only_other"] += 1
            continue
        seen.add(sid)
        moved = (b_plan["route"][i] != o_plan["route"][j] or b_plan["status"][i] != o_plan["status"][j])
        if not moved:
            continue
        counts["changed_channel"] += b_plan["channel"][i] != o_plan["channel"][j]
        counts["changed_route"] += b_plan["route"][i] != o_plan["route"][j]
        counts["changed_status"] += b_plan["status"][i] != o_plan["status"][j]
        for key, col in (("status", "status"), ("channel", "channel"), ("route", "route")):
            rows[f"{key}_base"].append(b_plan[col][i])
            rows[f"{key}_other"].append(o_plan[col][j])
        rows["shipment_id"].append(sid)
        rows["cost_delta"].append(o_plan["cost_total"][j] - b_plan["cost_total"][i])
    counts["only_base"] = len(b_index) - len(seen)
    bm, om = base.summary_data["markets"], other.summary_data["markets"]
    markets = sorted(set(bm) | set(om))
    zero = {"cost": 0.0, "on_time_rate": 0.0}
    market_table = pa.table({
        "market": markets,
        "cost_base": [bm.get(m, zero)["cost"] for m in markets],
        "cost_other": [om.get(m, zero)["cost"] for m in markets],
        "cost_delta": [om.get(m, zero)["cost"] - bm.get(m, zero)["cost"] for m in markets],
        "on_time_base": [bm.get(m, zero)["on_time_rate"] for m in markets],
        "on_time_other": [om.get(m, zero)["on_time_rate"] for m in markets],
        "on_time_delta": [om.get(m, zero)["on_time_rate"] - bm.get(m, zero)["on_time_rate"] for m in markets],
    })
    bc, oc = _capacity_rows(base), _capacity_rows(other)
    none = {"load": 0.0, "cap": 0.0, "price": 0.0}
    caps: dict[str, list[Any]] = {k: [] for k in ("change", "kind", "id", "date", "load_base", "load_other",
                                                  "capacity", "price_base", "price_other")}
    for key in sorted(set(bc) | set(oc)):
        before, after = bc.get(key, none), oc.get(key, none)
        was, now = _binding(before) if key in bc else False, _binding(after) if key in oc else False
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
    return Comparison(totals=totals, markets=market_table, changed=pa.table(rows), capacities=pa.table(caps),
                      counts=counts)
