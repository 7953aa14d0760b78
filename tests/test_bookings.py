"""Yesterday's bookings (docs/rules.md#bookings): committed legs kept with their capacity taken off, and
the change penalty against a previous plan — hand-worked cases on the rules network of test_rules, the
refusals, and the optimum against brute force with bookings.

The rules network: an order on Monday 2026-11-30 trucks on 12-01 to H; air (2/kg, Mon/Thu) leaves
Thursday 12-03 (M on 12-06, on time for promise 6) or Monday 12-07 (M on 12-10, 4 days late at 1 per
day); express (20/kg) daily; last mile 1 per parcel; handling 0.1 + 0.2 + 0.5. So a 1.5 kg parcel costs
3 + 1 + 0.8 = 4.8 on Thursday's air, 8.8 on Monday's, 30 + 1.8 = 31.8 by express on 12-02.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

import routing
from routing import Bookings, InputError, SolveOptions, load_booked_legs
from routing.cli import main

from .helpers import read_plan, read_summary, write_instance
from .test_rules import network, ship
from .validator import validate_plan

LEG_HEADER = ["shipment_id", "seq", "lane_id", "departure_date"]
THURSDAY = [("truck", "2026-12-01"), ("air", "2026-12-03"), ("lm", "2026-12-05")]
MONDAY = [("truck", "2026-12-01"), ("air", "2026-12-07"), ("lm", "2026-12-09")]
EXPRESS = [("truck", "2026-12-01"), ("express", "2026-12-02"), ("lm", "2026-12-04")]
BONDED = [("truck", ""), ("sea", ""), ("blm", "2026-12-01")]  # replenishment legs have no date


def jit_only(**edits) -> dict:
    return network(lane_sea=None, lane_blm=None, node_B=None, **edits)


def legs_file(path: Path, booked: dict[str, list[tuple[str, str]]]) -> Path:
    """A legs table: each shipment's (lane, departure date) in route order."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LEG_HEADER)
        for sid, legs in booked.items():
            for seq, (lane, day) in enumerate(legs, 1):
                w.writerow([sid, seq, lane, day])
    return path


def plan_legs(out: Path) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    with open(out / "legs.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            found.setdefault(r["shipment_id"], []).append((r["lane_id"], r["departure_date"]))
    return found


def solve_booked(inst, committed: Path | None = None, previous: Path | None = None, change_penalty: float = 0.0,
                 strategy: str = "exact", out: str = "out") -> tuple[routing.Result, Path]:
    """Plan ``inst`` with the bookings to optimality, write it and validate it (committed legs kept)."""
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    inv = routing.load_inventory(inst.inventory, net) if inst.inventory else None
    bookings = Bookings(committed=load_booked_legs(committed, net) if committed else None,
                        previous=load_booked_legs(previous, net, known_lanes=False) if previous else None,
                        change_penalty=change_penalty)
    result = routing.solve(net, ships, inv, options=SolveOptions(gap=0.0, strategy=strategy), bookings=bookings)
    out_dir = inst.dir / out
    result.write(out_dir)
    validate_plan(inst.network, inst.shipments, out_dir, inst.inventory, committed=committed)
    return result, out_dir


# -- committed legs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["exact", "aggregate", "auto"])
def test_a_committed_shipment_keeps_its_dearer_legs(tmp_path, strategy):
    # free, 'b' would fly Thursday (4.8); booked by express it stays there (31.8), whatever the strategy
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": EXPRESS})
    result, out = solve_booked(inst, committed=booked, strategy=strategy)
    assert plan_legs(out) == {"a": THURSDAY, "b": EXPRESS}
    rows = read_plan(out)
    assert float(rows["b"]["cost_total"]) == pytest.approx(31.8)
    assert result.objective == pytest.approx(4.8 + 31.8)
    b = read_summary(out)["bookings"]
    assert (b["committed"], b["committed_shipments"], b["previous"]) == (str(booked), 1, None)


def test_committed_capacity_is_taken_off_the_flight(tmp_path):
    # Thursday's air takes 2 kg: 'b' booked on it with 1.5 kg leaves 0.5, so 'a' (1 kg) waits for
    # Monday's flight: 2 + 1 + 0.8 + 4 late = 7.8 (express would cost 20 + 1.8 = 21.8)
    inst = write_instance(tmp_path, jit_only(lane_air={"capacity_kg_per_departure": 2.0}),
                          [ship("a", weight_kg=1.0), ship("b", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": THURSDAY})
    result, out = solve_booked(inst, committed=booked)
    assert plan_legs(out) == {"a": MONDAY, "b": THURSDAY}
    assert float(read_plan(out)["a"]["cost_total"]) == pytest.approx(7.8)
    with open(out / "lanes.csv", newline="") as fh:
        lanes = {(r["lane_id"], r["departure_date"]): r for r in csv.DictReader(fh)}
    thursday = lanes["air", "2026-12-03"]
    assert (float(thursday["used_kg"]), float(thursday["capacity_kg"])) == (1.5, 2.0)
    assert float(lanes["air", "2026-12-07"]["used_kg"]) == 1.0


def test_a_booked_departure_enumeration_drops_is_kept_as_booked(tmp_path):
    # the truck runs daily and is uncapacitated: enumeration keeps only its first departure (12-01); a
    # booking on the 12-02 truck, then Thursday's air and a last mile a day later (12-06: M on 12-07, one
    # day late at 1) is an option all the same: 3 + 1 + 0.8 + 1 = 5.8
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    late = [("truck", "2026-12-02"), ("air", "2026-12-03"), ("lm", "2026-12-06")]
    booked = legs_file(tmp_path / "committed.csv", {"b": late})
    result, out = solve_booked(inst, committed=booked)
    assert plan_legs(out) == {"a": THURSDAY, "b": late}
    row = read_plan(out)["b"]
    assert (row["delivery_date"], row["days_late"], float(row["cost_total"])) == ("2026-12-07", "1", 5.8)
    # as a previous plan's option too: kept at a penalty of 2 (staying costs 1 more than moving)
    previous = legs_file(tmp_path / "previous.csv", {"b": late})
    result, out = solve_booked(inst, previous=previous, change_penalty=2.0, out="previous")
    assert plan_legs(out)["b"] == late and result.objective == pytest.approx(4.8 + 5.8)
    result, out = solve_booked(inst, previous=previous, change_penalty=0.5, out="cheap")
    assert plan_legs(out)["b"] == THURSDAY and result.objective == pytest.approx(4.8 + 4.8 + 0.5)


def test_committed_stock_counts_against_the_warehouse(tmp_path):
    # one unit of X at B: 'b' booked bonded draws it, so 'a' flies (bonded 3.9 < air 4.8 with air at 3/kg)
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None)
    inst = write_instance(tmp_path, net, [ship("a", sku="X"), ship("b", sku="X")], [{"node": "B", "sku": "X",
                                                                                   "units": 1}])
    booked = legs_file(tmp_path / "committed.csv", {"b": BONDED})
    _, out = solve_booked(inst, committed=booked)
    rows = read_plan(out)
    assert (rows["a"]["channel"], rows["b"]["channel"]) == ("jit", "bonded")
    with open(out / "stock.csv", newline="") as fh:
        stock = list(csv.DictReader(fh))
    assert [(r["node"], r["sku"], r["used_units"], r["units"]) for r in stock] == [("B", "X", "1", "1")]


# -- the change penalty ------------------------------------------------------------------------------

@pytest.mark.parametrize(("penalty", "moves"), [(3.0, True), (5.0, False)])
def test_the_change_penalty_decides_whether_a_planned_shipment_moves(tmp_path, penalty, moves):
    # yesterday 'a' (1.5 kg, promise 10) took Thursday's 2 kg flight alone. Tonight 'e' (1 kg, promise 6)
    # comes: moving 'a' to Monday (on time for it) frees Thursday for 'e': 4.8 + 3.8 = 8.6 + the penalty;
    # keeping 'a' makes 'e' late: 4.8 + 7.8 = 12.6. The move saves 4: worth it at 3, not at 5.
    net = jit_only(lane_air={"capacity_kg_per_departure": 2.0})
    inst = write_instance(tmp_path, net, [ship("a", weight_kg=1.5, promise_days=10), ship("e", weight_kg=1.0)])
    previous = legs_file(tmp_path / "yesterday.csv", {"a": THURSDAY})
    result, out = solve_booked(inst, previous=previous, change_penalty=penalty)
    rows = read_plan(out)
    assert plan_legs(out)["a"] == (MONDAY if moves else THURSDAY)
    assert result.objective == pytest.approx(8.6 + penalty if moves else 12.6)
    assert rows["a"]["changed"] == ("true" if moves else "false")
    assert float(rows["a"]["cost_change"]) == (penalty if moves else 0.0)
    assert rows["e"]["changed"] == ""  # not in the previous plan: neither changed nor kept
    b = read_summary(out)["bookings"]
    assert (b["changed"], b["change_cost"], b["change_penalty"]) == (int(moves), penalty * moves, penalty)


def test_without_a_penalty_changes_are_only_marked(tmp_path):
    net = jit_only(lane_air={"capacity_kg_per_departure": 2.0})
    inst = write_instance(tmp_path, net, [ship("a", weight_kg=1.5, promise_days=10), ship("e", weight_kg=1.0)])
    previous = legs_file(tmp_path / "yesterday.csv", {"a": THURSDAY, "gone": THURSDAY})  # 'gone' left the table
    result, out = solve_booked(inst, previous=previous)
    assert result.objective == pytest.approx(8.6)
    assert read_plan(out)["a"]["changed"] == "true"


def test_a_previous_option_gone_tonight_changes_at_any_cost(tmp_path):
    # yesterday 'a' flew Thursday; tonight the air lane is gone: every option is a change, the penalty is paid
    net = jit_only(lane_air=None)
    inst = write_instance(tmp_path, net, [ship("a", weight_kg=1.5)])
    previous = legs_file(tmp_path / "yesterday.csv", {"a": THURSDAY})
    result, out = solve_booked(inst, previous=previous, change_penalty=2.0)
    assert plan_legs(out)["a"] == EXPRESS
    assert result.objective == pytest.approx(31.8 + 2.0)


def test_replanning_against_its_own_plan_changes_nothing(tmp_path):
    # the example's optimum is tonight's too: any change costs the penalty more
    fx = Path(__file__).resolve().parent.parent / "fixtures"
    net = routing.load_network(fx / "network.yaml")
    ships = routing.load_shipments(fx / "example" / "shipments.csv", net)
    first = routing.solve(net, ships, None, options=SolveOptions(gap=0.0))
    first.write(tmp_path / "first")
    again = routing.solve(net, ships, None, options=SolveOptions(gap=0.0), bookings=Bookings(
        previous=load_booked_legs(tmp_path / "first" / "legs.csv", net), change_penalty=0.5))
    assert again.summary_data["bookings"]["changed"] == 0
    assert again.objective == pytest.approx(first.objective, abs=0.01)


# -- refusals ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("booked", "message"), [
    ({"b": THURSDAY, "c": THURSDAY}, "committed legs take 3 chargeable kg of lane air departing 2026-12-03, "
                                     "more than its limit 2"),
    ({"z": THURSDAY}, "row 1: shipment 'z' is not in the shipments"),
    ({"b": [("truck", "2026-12-01"), ("lm", "2026-12-02")]}, "row 1: shipment 'b': its lanes are no route"),
    ({"b": [("truck", "2026-12-01"), ("air", "2026-12-04"), ("lm", "2026-12-06")]},
     "its departures break the timing rules for an order of 2026-11-30 on route F>H>G>M: lane air does not "
     "depart on 2026-12-04 (Fri)"),
    ({"b": [("truck", "2026-11-30"), ("air", "2026-12-03"), ("lm", "2026-12-05")]},
     "lane truck departs 2026-11-30 (Mon), before the parcel is ready for it on 2026-12-01 (Tue)"),
    ({"b": [("truck", "2026-12-01"), ("air", "2026-12-17"), ("lm", "2026-12-19")]},
     "lane air departs 2026-12-17 (Thu), beyond the horizon (14 days after the order)"),
    ({"b": [("truck", "2026-12-01"), ("air", ""), ("lm", "2026-12-05")]},
     "row 1: shipment 'b': leg 2 (air) of route F>H>G>M has no departure date"),
    ({"b": [("truck", "2026-11-30"), ("sea", ""), ("blm", "2026-12-01")]},
     "leg 1 (truck) is a replenishment leg of route F>H>B>M: it has no departure date"),
    ({"b": [("truck", "2026-12-01"), ("truck", "2026-12-01")]}, "shipment 'b' has lane 'truck' twice"),
    ({"b": BONDED}, "row 1: shipment 'b': its channel is jit, the booked route is bonded"),
    ({"a": BONDED}, "row 1: shipment 'a': its sku has no stock at the booked bonded warehouse"),
])
def test_bookings_that_cannot_hold_are_refused(tmp_path, booked, message):
    net = network(lane_air={"capacity_kg_per_departure": 2.0})
    inst = write_instance(tmp_path, net, [ship("a", sku="Y"), ship("b", weight_kg=1.5, channel="jit"),
                                          ship("c", weight_kg=1.5)], [{"node": "B", "sku": "X", "units": 1}])
    path = legs_file(tmp_path / "committed.csv", booked)
    with pytest.raises(InputError, match="^" + str(path).replace(".", r"\.") + ": ") as err:
        solve_booked(inst, committed=path)
    assert message in str(err.value)


@pytest.mark.parametrize(("rows", "message"), [
    ([["b", "1", "air", "2026-12-03"], ["b", "1", "lm", "2026-12-05"]], "row 2: column 'seq': shipment 'b' has two "
                                                                        "legs with seq 1"),
    ([["b", "1", "rail", "2026-12-03"]], "row 1: column 'lane_id': is not a lane of the network, got 'rail'"),
    ([["b", "1", "air", "12/03/2026"]], "row 1: column 'departure_date'"),
    ([["", "1", "air", "2026-12-03"]], "row 1: column 'shipment_id': is empty"),
])
def test_a_malformed_legs_table_is_refused_with_its_row(tmp_path, rows, message):
    path = tmp_path / "legs.csv"
    path.write_text("\n".join(",".join(r) for r in [LEG_HEADER, *rows]) + "\n")
    net = routing.load_network(write_instance(tmp_path, jit_only(), [ship("b")]).network)
    with pytest.raises(InputError) as err:
        load_booked_legs(path, net)
    assert str(err.value).startswith(f"{path}: {message}"), str(err.value)


def test_cli_refusals_are_one_line_and_exit_2(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(lane_air={"capacity_kg_per_departure": 2.0}),
                          [ship("b", weight_kg=1.5), ship("c", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": THURSDAY, "c": THURSDAY})
    base = ["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet"]
    for extra, message in (
            (["--committed", str(booked)], "more than its limit 2"),
            (["--change-penalty", "3"], "--change-penalty: needs --previous PLAN_DIR|RUN"),
            (["--previous", str(tmp_path / "nowhere")], "is no plan directory (and no --history"),
    ):
        out = tmp_path / f"out{len(message)}"
        capsys.readouterr()
        assert main([*base, "--out", str(out), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and message in err, err
        assert not out.exists()  # nothing half-written


def test_a_plan_dir_as_previous_and_validate_checks_the_committed_legs(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(lane_air={"capacity_kg_per_departure": 2.0}),
                          [ship("a", weight_kg=1.5, promise_days=10), ship("e", weight_kg=1.0)])
    booked = legs_file(tmp_path / "committed.csv", {"e": MONDAY})
    base = ["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet", "--gap", "0"]
    assert main([*base, "--out", str(tmp_path / "night1")]) == 0
    assert main([*base, "--out", str(tmp_path / "night2"), "--previous", str(tmp_path / "night1"),
                 "--change-penalty", "1", "--committed", str(booked)]) == 0
    summary = read_summary(tmp_path / "night2")
    assert set(summary["inputs"]) == {"network", "shipments", "committed", "previous"}
    assert summary["inputs"]["previous"]["path"] == str(tmp_path / "night1" / "legs.csv")
    assert plan_legs(tmp_path / "night2")["e"] == MONDAY
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "night2")]) == 0  # the recorded committed file is checked too
    assert "committed" in capsys.readouterr().out
    # a hand edit that moves a committed shipment off its booked flight is caught
    legs = tmp_path / "night2" / "legs.csv"
    legs.write_text(legs.read_text().replace('"e",2,"air","H","G",2026-12-07,2026-12-08',
                                             '"e",2,"air","H","G",2026-12-03,2026-12-04'))
    assert main(["validate", str(tmp_path / "night2"), "--quiet"]) == 7
    assert "committed legs not kept" in capsys.readouterr().out


def test_bookings_are_validated_in_python_too():
    with pytest.raises(InputError, match="change_penalty"):
        Bookings(change_penalty=-1.0)
    assert Bookings().empty


# -- explain -----------------------------------------------------------------------------------------

def test_explain_names_a_commitment_and_the_change_penalty(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(lane_air={"capacity_kg_per_departure": 2.0}),
                          [ship("a", weight_kg=1.5, promise_days=10), ship("e", weight_kg=1.0),
                           ship("b", weight_kg=0.5)])
    late = [("truck", "2026-12-02"), ("air", "2026-12-03"), ("lm", "2026-12-06")]  # no enumerated option
    booked = legs_file(tmp_path / "committed.csv", {"b": late})
    previous = legs_file(tmp_path / "yesterday.csv", {"a": THURSDAY})
    result, _ = solve_booked(inst, committed=booked, previous=previous, change_penalty=5.0)
    b = result.explain("b")
    assert b.note.startswith("committed: its legs were booked") and b.chosen.legs[0][1].isoformat() == "2026-12-02"
    assert b.alternatives and {x.reason for x in b.alternatives} == {"committed"}
    # 'a' keeps Thursday (1.5 of the 2 kg, 'b' takes 0.5): Monday is on time for it too and costs the same
    # to run, but leaving yesterday's flight costs the penalty of 5
    a = result.explain("a")
    assert a.chosen.legs == tuple((lane, dt.date.fromisoformat(d)) for lane, d in THURSDAY)
    monday = next(x for x in a.alternatives if x.option.legs[1][1].isoformat() == "2026-12-07")
    assert (monday.reason, monday.cost_difference) == ("change_penalty", pytest.approx(5.0))
    assert "change penalty 5.00" in monday.detail and monday.option.costs["change"] == 5.0
    # the same from the plan directory, the command line reading the recorded committed and previous files
    base = ["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet", "--gap", "0"]
    assert main([*base, "--out", str(tmp_path / "y"), "--committed", str(booked)]) == 0
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "t"), "--committed", str(booked), "--previous", str(tmp_path / "y"),
                 "--change-penalty", "5"]) == 0
    capsys.readouterr()
    assert main(["explain", str(tmp_path / "t"), "a", "b", "--format", "json"]) == 0
    found = {d["shipment_id"]: d for d in json.loads(capsys.readouterr().out)}
    assert found["b"]["note"].startswith("committed") and found["a"]["chosen"]["cost_change"] == 0.0
    assert {x["reason"] for x in found["a"]["alternatives"]} >= {"change_penalty"}


# -- what a review found -----------------------------------------------------------------------------

LATE_TRUCK = [("truck", "2026-12-02"), ("air", "2026-12-03"), ("lm", "2026-12-06")]  # no enumerated option


def test_a_committed_shipment_on_an_added_departure_still_counts_its_change(tmp_path):
    # 'b' was on express last night; now committed to the late truck (an option added for it): a change
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": LATE_TRUCK})
    previous = legs_file(tmp_path / "previous.csv", {"b": EXPRESS})
    result, out = solve_booked(inst, committed=booked, previous=previous, change_penalty=5.0)
    row = read_plan(out)["b"]
    assert plan_legs(out)["b"] == LATE_TRUCK and (row["changed"], float(row["cost_change"])) == ("true", 5.0)
    assert result.summary_data["bookings"]["changed"] == 1
    # and committed to its previous option, added all the same: no change
    same = legs_file(tmp_path / "same.csv", {"b": LATE_TRUCK})
    result, out = solve_booked(inst, committed=booked, previous=same, change_penalty=5.0, out="same")
    assert read_plan(out)["b"]["changed"] == "false" and result.summary_data["bookings"]["changed"] == 0


def test_a_shipment_kept_on_its_previous_added_departure_is_explained(tmp_path):
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    previous = legs_file(tmp_path / "previous.csv", {"a": THURSDAY, "b": LATE_TRUCK})
    result, out = solve_booked(inst, previous=previous, change_penalty=2.0)  # staying (+1 late) beats moving (+2)
    assert plan_legs(out)["b"] == LATE_TRUCK and read_plan(out)["b"]["changed"] == "false"
    b = result.explain("b")
    assert b.chosen.legs[0][1] == dt.date(2026, 12, 2) and b.chosen.costs["change"] == 0.0
    thursday = next(x for x in b.alternatives if x.option.legs[0][1] == dt.date(2026, 12, 1))
    assert thursday.reason == "change_penalty" and thursday.cost_difference == pytest.approx(1.0)


@pytest.mark.parametrize("strategy", ["exact", "aggregate", "auto"])
def test_a_committed_shipment_dearer_than_the_penalty_is_proven_optimal(tmp_path, strategy):
    # 'b' booked by express (31.8) costs more than leaving a parcel out (10): kept all the same, and the bound
    # knows it cannot be left out
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": EXPRESS})
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    result = routing.solve(net, ships, None, settings=routing.PlanSettings(unassigned_penalty=10.0),
                           options=SolveOptions(gap=0.0, strategy=strategy),
                           bookings=Bookings(committed=load_booked_legs(booked, net)))
    s = result.summary_data
    assert (s["status"], s["objective"], s["lower_bound"]) == ("optimal", pytest.approx(4.8 + 31.8),
                                                               pytest.approx(4.8 + 31.8))


def test_a_committed_shipment_the_enumeration_never_reached_is_refused_saying_so(tmp_path):
    inst = write_instance(tmp_path, jit_only(), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    booked = legs_file(tmp_path / "committed.csv", {"b": THURSDAY})
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    with pytest.raises(InputError, match="the enumeration stopped before its order group"):
        routing.solve(net, ships, None, options=SolveOptions(time_limit=0.001),
                      bookings=Bookings(committed=load_booked_legs(booked, net)))


@pytest.mark.parametrize(("column", "message"), [
    (pa.array([dt.datetime(2026, 12, 3, 2), None], pa.timestamp("ns")), None),
    (pa.array([dt.date(2026, 12, 3), None], pa.date32()), None),
    (pa.array(["2026-12-03T02:00:00", ""]), None),
    (pa.array([dt.datetime(2026, 12, 3, 2), None], pa.timestamp("ns", tz="UTC")),
     "row 1: column 'departure_date': must be the departure's date, not a time with a time zone"),
    (pa.array(["2026-12-03T02:00:00+08:00", ""]), "row 1: column 'departure_date': must be a date YYYY-MM-DD"),
])
def test_departure_dates_are_dates_whatever_the_column_type(tmp_path, column, message):
    net = routing.load_network(write_instance(tmp_path, jit_only(), [ship("b")]).network)
    table = pa.table({"shipment_id": ["b", "b"], "seq": [1, 2], "lane_id": ["air", "lm"], "departure_date": column})
    if message is None:
        assert load_booked_legs(table, net, known_lanes=False).departure.tolist() == [
            (dt.date(2026, 12, 3) - dt.date(1970, 1, 1)).days, -1]
    else:
        with pytest.raises(InputError, match=message):
            load_booked_legs(table, net)


def test_validate_names_the_committed_file_it_cannot_read(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(), [ship("a")])
    assert main(["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet",
                 "--out", str(tmp_path / "out")]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("shipment_id,seq,lane_id,departure_date\na,1,truck,garbage\n")
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "out"), "--committed", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"routing: error: {bad}: row 1: ") and "garbage" in err, err


def test_validate_checks_changed_against_the_previous_plan(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(lane_air={"capacity_kg_per_departure": 2.0}),
                          [ship("a", weight_kg=1.5, promise_days=10), ship("e", weight_kg=1.0)])
    base = ["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet", "--gap", "0"]
    assert main([*base, "--out", str(tmp_path / "y")]) == 0
    assert main([*base, "--out", str(tmp_path / "t"), "--previous", str(tmp_path / "y"), "--change-penalty", "3"]) == 0
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "t"), "--quiet"]) == 0
    plan = tmp_path / "t" / "plan.csv"
    rows = plan.read_text().splitlines()
    edited = [rows[0]] + [r.replace(",false", ",true") if r.startswith('"a"') else r for r in rows[1:]]
    plan.write_text("\n".join(edited) + "\n")
    assert main(["validate", str(tmp_path / "t"), "--quiet"]) == 7
    assert "a: changed=True expected False against the previous plan legs.csv" in capsys.readouterr().out
    # last night's directory replaced since: the changed column is then not checked, and a note says so
    (tmp_path / "y" / "legs.csv").write_text("shipment_id,seq,lane_id,departure_date\n")
    assert main(["validate", str(tmp_path / "t")]) == 7  # the hand edit of plan.csv is still caught by costs
    assert "note: the previous plan's legs" in capsys.readouterr().out


def test_the_change_penalty_is_bounded_like_the_unassigned_penalty(tmp_path, capsys):
    inst = write_instance(tmp_path, jit_only(), [ship("a")])
    assert main(["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet",
                 "--out", str(tmp_path / "y")]) == 0
    for bad in ("1e300", "-1", "abc"):
        with pytest.raises(SystemExit) as exc:
            main(["plan", "--network", str(inst.network), "--shipments", str(inst.shipments), "--quiet",
                  "--out", str(tmp_path / "t"), "--previous", str(tmp_path / "y"), "--change-penalty", bad])
        assert exc.value.code == 2
        assert "--change-penalty: must be a finite number >= 0 and <= 10,000,000" in capsys.readouterr().err
