"""Why this path (``Result.explain``, ``routing explain``): hand-worked cases of the rules' base network
pin each reason, and on the bundled example every reason given for a JIT, a bonded, a late, an
unassigned and an unroutable shipment is checked against the written plan's own files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from routing import cli

from .helpers import FIXTURES, plan, write_instance
from .test_rules import network, ship

NO_BONDED = {"lane_sea": None, "lane_blm": None, "node_B": None}


def _why(result, sid: str) -> dict[str, str]:
    """Reason code per alternative route+dispatch of ``sid``'s explanation."""
    return {f"{a.option.route}@{a.option.dispatch_date}": a.reason for a in result.explain(sid).alternatives}


def test_full_departure_is_the_reason_with_its_price(tmp_path):
    """Air 2 kg per departure, two 1.5 kg parcels: the late one lost Thursday's flight because it is full."""
    inst = write_instance(tmp_path, network(lane_air={"capacity_kg_per_departure": 2.0}, lane_express=None,
                                            **NO_BONDED), [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    result = plan(inst)
    late = next(r["shipment_id"] for r in result.plan.to_pylist() if r["days_late"])
    e = result.explain(late)
    assert e.chosen is not None and e.chosen.days_late == 4 and str(e.chosen.delivery_date) == "2026-12-10"
    first = e.alternatives[0]
    assert first.reason == "full_departure" and first.cost_difference == pytest.approx(-4.0)
    lim = first.limit
    assert (lim.kind, lim.id, lim.at, lim.used, lim.capacity, lim.need) == ("lane", "air", "2026-12-03", 1.5, 2.0, 1.5)
    assert lim.shadow_price == pytest.approx(4.0 / 1.5, abs=1e-4)
    # the on-time one: the next flight is simply dearer (4 days late at 1.0)
    on_time = next(r["shipment_id"] for r in result.plan.to_pylist() if not r["days_late"])
    assert result.explain(on_time).alternatives[0].reason == "dearer"


def test_late_while_the_target_binds(tmp_path):
    """Target 50% of 4: the two express parcels (on time, 21.8) beat air (late, 4.3) only because of the
    target, whose price (17.5 per on-time parcel) covers the 17.5 air would save."""
    net = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 0.5}, **NO_BONDED)
    result = plan(write_instance(tmp_path, net, [ship(f"s{i}") for i in range(4)]))
    rows = result.plan.to_pylist()
    fast = next(r["shipment_id"] for r in rows if r["on_time"])
    alt = result.explain(fast).alternatives[0]
    assert alt.reason == "late_target" and alt.option.days_late == 1
    assert alt.cost_difference == pytest.approx(-17.5)
    slow = next(r["shipment_id"] for r in rows if not r["on_time"])
    e = result.explain(slow)
    assert e.note.startswith("late: M's on-time target binds")
    assert e.alternatives[0].reason == "dearer" and e.alternatives[0].cost_difference == pytest.approx(17.5)


def test_no_stock_and_not_stocked_and_channel(tmp_path):
    """B holds 1 unit of X and none of Y: a bonded path for the second X parcel meets used-up stock, for
    the Y parcel a warehouse without its sku; a JIT-only parcel may not go bonded at all."""
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None)
    inst = write_instance(tmp_path, net, [ship("a", sku="X"), ship("b", sku="X"), ship("c", sku="Y"),
                                          ship("d", sku="X", channel="jit")],
                          [{"node": "B", "sku": "X", "units": 1}, {"node": "B", "sku": "Z", "units": 5}])
    result = plan(inst)
    by_channel = {r["shipment_id"]: r["channel"] for r in result.plan.to_pylist()}
    jit_x = next(s for s in ("a", "b") if by_channel[s] == "jit")
    bonded = [a for a in result.explain(jit_x).alternatives if a.option.channel == "bonded"]
    assert bonded and bonded[0].reason == "no_stock" and bonded[0].limit.kind == "stock"
    assert (bonded[0].limit.id, bonded[0].limit.at, bonded[0].limit.capacity) == ("B", "X", 1.0)
    assert bonded[0].cost_difference == pytest.approx(-0.9)  # bonded 3.9 against JIT 4.8
    assert {a.reason for a in result.explain("c").alternatives if a.option.channel == "bonded"} == {"not_stocked"}
    assert {a.reason for a in result.explain("d").alternatives if a.option.channel == "bonded"} == {"channel"}


def test_duty_over_de_minimis(tmp_path):
    """Value 50 at or under M's de minimis 100: duty-free by JIT (4.8), 25 duty on the bonded path (3.9 + 25)."""
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None, node_M={"duty_rate": 0.5, "de_minimis": 100})
    result = plan(write_instance(tmp_path, net, [ship("a", value=50)]))
    e = result.explain("a")
    assert e.chosen.channel == "jit" and e.chosen.costs["duty"] == 0.0
    bonded = next(a for a in e.alternatives if a.option.channel == "bonded")
    assert bonded.reason == "duty" and bonded.option.costs["duty"] == pytest.approx(25.0)
    assert bonded.cost_difference == pytest.approx(24.1)


def test_left_out_and_unroutable(tmp_path):
    """A penalty of 2 is below every path (3.8 by air): the parcel is left out, each option dearer than
    the penalty; a parcel to X (no lane reaches it) has no option at all."""
    inst = write_instance(tmp_path, network(**NO_BONDED), [ship("a"), ship("x", destination="X")])
    result = plan(inst, unassigned_penalty=2.0)
    e = result.explain("a")
    assert e.status == "unassigned" and e.chosen is None and e.reason == "penalty_cheaper"
    assert e.alternatives and all(a.reason == "penalty_cheaper" and a.cost_difference > 0 for a in e.alternatives)
    assert e.alternatives[0].cost_difference == pytest.approx(3.8 - 2.0)
    x = result.explain("x")
    assert (x.status, x.reason, x.chosen, x.alternatives) == ("unroutable", "no_route", None, ())
    assert "no route" in x.note
    with pytest.raises(Exception, match="no such shipment"):
        result.explain("nope")


# --------------------------------------------------------------------------- the bundled example, by CLI


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example planned twice: as is, and with an unassigned penalty of 6 (some parcels left out)."""
    root = tmp_path_factory.mktemp("explain")
    inputs = {}
    for name in ("network.yaml", "example/shipments.csv", "example/inventory.csv"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, root / name)
        inputs[name] = root / name
    out = {}
    for tag, extra in (("base", []), ("penalty", ["--unassigned-penalty", "6"])):
        argv = ["plan", "--network", inputs["network.yaml"], "--shipments", inputs["example/shipments.csv"],
                "--inventory", inputs["example/inventory.csv"], "--out", root / tag, "--gap", "1e-3", "--quiet", *extra]
        assert cli.main([str(a) for a in argv]) == 0
        out[tag] = root / tag
    out["shipments"] = inputs["example/shipments.csv"]
    return out


def _explain(capsys, plan_dir: Path, *ids: str) -> list[dict]:
    capsys.readouterr()
    assert cli.main(["explain", str(plan_dir), *ids, "--format", "json", "--alternatives", "4"]) == 0
    return json.loads(capsys.readouterr().out)


def _check_against_files(e: dict, plan_dir: Path, shipments: dict[str, dict[str, str]]) -> set[str]:
    """Every fact an explanation states, read back from the plan directory's own files."""
    summary = json.loads((plan_dir / "summary.json").read_text())
    row = next(r for r in _read(plan_dir / "plan.csv") if r["shipment_id"] == e["shipment_id"])
    legs = [g for g in _read(plan_dir / "legs.csv") if g["shipment_id"] == e["shipment_id"]]
    lanes = {(r["lane_id"], r["departure_date"]): r for r in _read(plan_dir / "lanes.csv")}
    nodes = {(r["node"], r["date"]): r for r in _read(plan_dir / "nodes.csv")}
    stock = {(r["node"], r["sku"]): r for r in _read(plan_dir / "stock.csv")}
    ship = shipments[e["shipment_id"]]
    assert e["status"] == row["status"] and (e["reason"] or "") == row["reason"]
    c = e["chosen"]
    if row["status"] == "assigned":
        assert (c["route"], c["lanes"], c["channel"]) == (row["route"], row["lanes"], row["channel"])
        assert (c["dispatch_date"], c["delivery_date"], str(c["days_late"])) == (
            row["dispatch_date"], row["delivery_date"], row["days_late"])
        assert c["cost_total"] == pytest.approx(float(row["cost_total"]), abs=0.011)
        assert [(d["lane_id"], d["date"] or "") for d in c["departures"]] == [
            (g["lane_id"], g["departure_date"]) for g in legs]
        base = float(row["cost_total"])
    else:
        assert c is None and not legs
        base = float(row["cost_penalty"])
    seen = set()
    for a in e["alternatives"]:
        seen.add(a["reason"])
        assert a["cost_difference"] == pytest.approx(a["cost_total"] - base, abs=0.011)
        lim = a["limit"]
        if a["reason"] == "full_departure":
            r = lanes[lim["id"], lim["at"]]
            own = sum(float(g["chargeable_kg"]) for g in legs
                      if (g["lane_id"], g["departure_date"]) == (lim["id"], lim["at"]))
            assert float(r["used_kg"]) - own == pytest.approx(lim["used"])
            assert lim["used"] + lim["need"] > float(r["capacity_kg"]) == lim["capacity"]
            assert (lim["id"], lim["at"]) in {(d["lane_id"], d["date"]) for d in a["departures"]}
        elif a["reason"] == "full_node_day":
            r = nodes[lim["id"], lim["at"]]
            assert float(r["used_parcels"]) - lim["used"] in (0.0, 1.0)
            assert lim["used"] + lim["need"] > float(r["capacity_parcels"]) == lim["capacity"]
            assert lim["id"] in a["route"].split(">")
        elif a["reason"] == "no_stock":
            r = stock[lim["id"], lim["at"]]
            assert lim["at"] == (ship["sku"] or ship["shipment_id"]) and lim["id"] in a["route"].split(">")
            assert lim["used"] + lim["need"] > float(r["units"])
        elif a["reason"] == "not_stocked":
            bonded = [n for n in a["route"].split(">") if n.endswith("-BW")]
            assert bonded and (bonded[0], ship["sku"]) not in stock or stock[bonded[0], ship["sku"]]["units"] == "0"
        elif a["reason"] == "channel":
            assert ship["channel"] in ("jit", "bonded") and a["channel"] != ship["channel"]
        elif a["reason"] == "late_target":
            assert a["days_late"] > 0 and a["delivery_date"] > row["promise_date"] and row["on_time"] == "true"
            assert summary["markets"][row["destination"]]["target_price"] > 0 and a["cost_difference"] <= 0.005
        elif a["reason"] == "dearer":
            assert a["cost_difference"] > 0
        elif a["reason"] == "duty":
            assert a["cost_duty"] > c["cost_duty"] and a["channel"] == "bonded"
        elif a["reason"] == "penalty_cheaper":
            assert row["status"] == "unassigned" and a["cost_total"] >= summary["unassigned_penalty"] - 0.005
        else:
            assert a["reason"] in ("equal_cost", "within_gap"), a["reason"]
    return seen


def test_example_explained_and_checked_against_its_files(example, capsys):
    rows = _read(example["base"] / "plan.csv")
    shipments = {r["shipment_id"]: r for r in _read(example["shipments"])}
    pick = {
        "jit": next(r for r in rows if r["channel"] == "jit" and r["on_time"] == "true"),
        "bonded": next(r for r in rows if r["channel"] == "bonded"),
        "late": next(r for r in rows if r["days_late"] not in ("", "0")),
        "unroutable": next(r for r in rows if r["status"] == "unroutable"),
    }
    # a late parcel in a market whose target binds, when the example has one
    summary = json.loads((example["base"] / "summary.json").read_text())
    priced = {m for m, v in summary["markets"].items() if v.get("target_price")}
    late_priced = [r for r in rows if r["days_late"] not in ("", "0") and r["destination"] in priced]
    ids = [r["shipment_id"] for r in pick.values()] + [r["shipment_id"] for r in late_priced[:5] + rows[:40]]
    found = _explain(capsys, example["base"], *ids)
    assert [e["shipment_id"] for e in found] == ids
    reasons = set()
    for e in found:
        assert e["alternatives"] or e["status"] == "unroutable"
        reasons |= _check_against_files(e, example["base"], shipments)
    assert found[2]["chosen"]["days_late"] > 0
    assert found[3]["status"] == "unroutable" and found[3]["note"].startswith("unroutable: ")
    assert {"dearer", "channel"} <= reasons and reasons & {"full_departure", "full_node_day", "no_stock"}, reasons
    # the penalty run: unassigned parcels, each option dearer than the penalty or blocked
    rows = _read(example["penalty"] / "plan.csv")
    out = [r["shipment_id"] for r in rows if r["status"] == "unassigned"][:5]
    assert out, "an unassigned penalty of 6 leaves some of the example out"
    for e in _explain(capsys, example["penalty"], *out):
        assert e["status"] == "unassigned" and e["chosen"] is None and e["alternatives"]
        _check_against_files(e, example["penalty"], shipments)


def test_explain_text_and_refusals(example, capsys, tmp_path):
    rows = _read(example["base"] / "plan.csv")
    sid = rows[0]["shipment_id"]
    capsys.readouterr()
    assert cli.main(["explain", str(example["base"]), sid]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{sid}: ") and "chosen" in text and "alternatives" in text
    assert cli.main(["explain", str(example["base"]), "NO-SUCH-ID"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NO-SUCH-ID" in err[0] and "no such shipment" in err[0]
    assert cli.main(["explain", str(tmp_path / "nowhere"), sid]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    # a changed input is refused: the plan no longer describes it
    copy = tmp_path / "copy"
    shutil.copytree(example["base"], copy)
    summary = json.loads((copy / "summary.json").read_text())
    changed = tmp_path / "shipments.csv"
    changed.write_text(Path(summary["inputs"]["shipments"]["path"]).read_text() + "\n")
    summary["inputs"]["shipments"]["path"] = str(changed)
    (copy / "summary.json").write_text(json.dumps(summary))
    assert cli.main(["explain", str(copy), sid]) == 2
    err = capsys.readouterr().err
    assert "changed since the plan" in err and "shipments" in err
    # a plan file edited after writing is refused too
    (copy / "plan.csv").write_text((copy / "plan.csv").read_text().replace(sid, sid + "x", 1))
    assert cli.main(["explain", str(copy), sid]) == 2
    assert "plan.csv" in capsys.readouterr().err
