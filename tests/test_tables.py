"""The plan's tables that answer questions (docs/outputs.md): the plan's descriptive columns, the
lanes / nodes / stock tables with their shadow prices, and the price of each market's on-time target,
pinned on hand-worked cases of the rules' base network (tests/test_rules.py)."""

from __future__ import annotations

import csv

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.report.plan_tables import to_cent_summing

from .helpers import plan, read_plan, read_summary, write_instance
from .test_rules import network, no_bonded, ship


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("strategy", ["exact", "aggregate"])
def test_target_price_is_the_cheapest_upgrade(tmp_path, strategy):
    """Four Monday orders, promise 5: air is 1 day late (3.8 + 0.5 penalty), express on time at 21.8.
    A 50% target needs 2 on time: each costs 21.8 - 4.3 = 17.5 more, so one more on-time parcel required
    adds 17.5 (per percentage point: 17.5 × 4 / 100 = 0.70)."""
    net = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 0.5},
                  lane_sea=None, lane_blm=None, node_B=None)
    inst = write_instance(tmp_path, net, [ship(f"s{i}") for i in range(4)])
    result = plan(inst, strategy=strategy)
    m = read_summary(inst.dir / "out")["markets"]["M"]
    assert m["target_price"] == pytest.approx(17.5)
    assert m["target_price_per_point"] == pytest.approx(0.70)
    assert result.figures.markets["M"].target_price == pytest.approx(17.5)
    assert "0.70" in result.summary()
    # raising the target by 25 points (one parcel) costs exactly one more upgrade
    raised = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 0.75},
                     lane_sea=None, lane_blm=None, node_B=None)
    inst2 = write_instance(tmp_path, raised, [ship(f"s{i}") for i in range(4)], name="raised")
    assert plan(inst2, strategy=strategy).objective - result.objective == pytest.approx(17.5)


def test_target_that_does_not_bind_is_free_and_no_target_has_no_price(tmp_path):
    net = network(node_M={"promise_days": 6, "on_time_target": 0.5}, lane_sea=None, lane_blm=None, node_B=None)
    inst = write_instance(tmp_path, net, [ship("a"), ship("b", destination="X")])
    plan(inst)
    markets = read_summary(inst.dir / "out")["markets"]
    assert markets["M"]["target_price"] == 0.0 and markets["M"]["target_price_per_point"] == 0.0
    assert markets["X"]["target_price"] is None and markets["X"]["target_price_per_point"] is None


def test_full_flight_shows_in_the_lanes_table_with_its_price(tmp_path):
    """Air capacity 2 kg, two 1.5 kg Monday orders: one flies Thursday (on time), the other the next
    Monday, 4 days late at 1.0 a day. A kg more on Thursday's flight moves 1/1.5 of a parcel off the late
    flight: the shadow price is 4.0 / 1.5 per kg."""
    inst = write_instance(tmp_path, network(lane_air={"capacity_kg_per_departure": 2.0}, lane_express=None,
                                            lane_sea=None, lane_blm=None, node_B=None),
                          [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    result = plan(inst)
    lanes = {(r["lane_id"], r["departure_date"]): r for r in _rows(inst.dir / "out" / "lanes.csv")}
    thu, mon = lanes["air", "2026-12-03"], lanes["air", "2026-12-07"]
    assert (float(thu["used_kg"]), float(thu["capacity_kg"]), float(thu["share"])) == (1.5, 2.0, 0.75)
    assert float(thu["shadow_price"]) == pytest.approx(4.0 / 1.5, abs=1e-4) and thu["binding"] == "true"
    assert (float(mon["used_kg"]), float(mon["shadow_price"]), mon["binding"]) == (1.5, 0.0, "false")
    assert (thu["from"], thu["to"], thu["mode"]) == ("H", "G", "air")
    # every capacitated departure of the planning window is listed, used or not (Mon/Thu over two weeks+)
    assert {d for (lane, d) in lanes if lane == "air"} >= {"2026-11-30", "2026-12-03", "2026-12-07", "2026-12-10"}
    assert result.lanes.num_rows == len(lanes)
    # the late parcel's plan row says so
    late = next(r for r in read_plan(inst.dir / "out").values() if r["on_time"] == "false")
    assert (late["delivery_date"], late["promise_date"], late["days_late"]) == ("2026-12-10", "2026-12-06", "4")
    assert late["lanes"] == "truck|air|lm" and late["origin"] == "F" and late["destination"] == "M"


def test_full_node_day_and_used_up_stock(tmp_path):
    """Bonded B holds 1 unit of X; two orders of X: one goes bonded (3.9), the other JIT by air (4.8)."""
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None, node_H={"capacity_parcels_per_day": 5})
    inst = write_instance(tmp_path, net, [ship("a", sku="X"), ship("b", sku="X")],
                          [{"node": "B", "sku": "X", "units": 1}])
    plan(inst)
    stock = _rows(inst.dir / "out" / "stock.csv")
    assert stock == [{"node": "B", "sku": "X", "units": "1", "used_units": "1", "share": "1",
                      "shadow_price": "0.9", "binding": "true"}]
    nodes = {(r["node"], r["date"]): r for r in _rows(inst.dir / "out" / "nodes.csv")}
    assert nodes["H", "2026-12-02"]["used_parcels"] == "1" and nodes["H", "2026-12-02"]["kind"] == "hub"


def test_without_inventory_stock_lists_what_the_plan_draws(tmp_path):
    """No inventory file: bonded stock is unlimited, and the stock table is the forward-positioning answer."""
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None)
    inst = write_instance(tmp_path, net, [ship("a", sku="X", quantity=2), ship("b", sku="X"), ship("c", sku="Y")])
    result = plan(inst)
    stock = {(r["node"], r["sku"]): r for r in _rows(inst.dir / "out" / "stock.csv")}
    assert {k: v["used_units"] for k, v in stock.items()} == {("B", "X"): "3", ("B", "Y"): "1"}
    assert all(v["units"] == "" and v["share"] == "" and v["binding"] == "false" for v in stock.values())
    assert result.stock["units"].null_count == 2


def test_money_is_written_to_the_cent(tmp_path):
    net = network(node_M={"duty_rate": 0.0333}, lane_air={"cost_per_kg": 2.0071})
    inst = write_instance(tmp_path, net, [ship(f"s{i}", weight_kg=1.0 + i / 7, value=13.37 + i) for i in range(5)])
    result = plan(inst)
    for row in read_plan(inst.dir / "out").values():
        for col in ("cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty", "cost_total"):
            text = row[col]
            assert len(text.split(".")[1]) <= 2 if "." in text else True, (col, text)
    assert isinstance(result.plan, pa.Table) and abs(result.objective - sum(
        result.plan["cost_total"].to_pylist())) <= 0.005 + 1e-9


def test_tables_follow_the_format(tmp_path):
    inst = write_instance(tmp_path, no_bonded(), [ship("a")])
    plan(inst, fmt="parquet")
    out = inst.dir / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "lanes.parquet", "legs.parquet", "nodes.parquet", "plan.parquet", "stock.parquet", "summary.json"]
    files = read_summary(out)["files"]
    assert sorted(files) == ["lanes.parquet", "legs.parquet", "nodes.parquet", "plan.parquet", "stock.parquet"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False), max_size=300))
def test_cost_total_column_sums_to_the_objective_to_the_cent(amounts):
    money = np.array(amounts, dtype=np.float64)
    cents = to_cent_summing(money)
    assert np.all(np.abs(cents - money) < 0.01 + 1e-9)
    assert np.allclose(cents * 100, np.round(cents * 100))  # whole cents
    assert abs(cents.sum() - round(money.sum(), 2)) < 1e-6 * max(1.0, money.sum())


def test_notebook_displays_are_short(tmp_path):
    """repr of a result is one line whatever its size (it printed 245,000 characters for 300 shipments);
    notebooks get the headline and market tables as HTML."""
    from routing.report.compare import compare

    inst = write_instance(tmp_path, network(**{"lane_sea": None, "lane_blm": None, "node_B": None}),
                          [ship(f"s{i}", weight_kg=1 + i % 5) for i in range(300)])
    result = plan(inst, validate=False)
    text = repr(result)
    assert len(text) < 200 and "\\n" not in text and text.startswith("Result(status=")
    page = result._repr_html_()
    assert page.count("<table>") == 2 and "<td>M</td>" in page and "300" in page
    cmp = compare(result, result)
    assert len(repr(cmp)) < 200 and "0 shipments moved" in repr(cmp)
    assert cmp._repr_html_().count("<table>") == 2
    assert repr(result.explain("s0")).startswith("Explanation('s0', assigned")
