"""Nightly-job citizenship: honest exit statuses (0 within the gap target, 3 time limit, 4 not proven,
5 --strict), summary.json's run metadata, and JSON logs for job runners."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from routing import __version__, cli

from .helpers import FIXTURES, expected_exit, read_summary, write_instance
from .test_rules import network, ship
from .validator import validate_plan

NO_BONDED = {"lane_sea": None, "lane_blm": None, "node_B": None}


def _run(argv: list, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _plan_argv(inst, out, *extra) -> list:
    return ["plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out, *extra]


def test_exit_0_within_the_gap_target_with_run_metadata(tmp_path, capsys):
    net = {**network(**NO_BONDED), "currency": "EUR"}
    inst = write_instance(tmp_path, net, [ship("a"), ship("b")])
    before = dt.datetime.now(dt.UTC)
    code, _, err = _run(_plan_argv(inst, tmp_path / "out", "--seed", "7"), capsys)
    s = read_summary(tmp_path / "out")
    assert code == 0 and s["status"] == "optimal", err
    assert s["version"] == __version__ and s["currency"] == "EUR"
    started, finished = (dt.datetime.fromisoformat(s[k].replace("Z", "+00:00")) for k in ("started_at", "finished_at"))
    assert before - dt.timedelta(seconds=1) <= started <= finished <= dt.datetime.now(dt.UTC)
    assert s["options"]["seed"] == 7 and s["options"]["gap"] == 1e-4 and s["options"]["strategy"] == "auto"
    assert s["settings"]["horizon_days"] == 14 and s["settings"]["max_legs"] == 6
    assert set(s["inputs"]) == {"network", "shipments"} and all(len(v["sha256"]) == 64 for v in s["inputs"].values())


def test_exit_3_when_the_time_limit_cuts_the_search(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(["plan", "--network", FIXTURES / "network.yaml", "--shipments",
                         FIXTURES / "example" / "shipments.csv", "--out", out, "--time-limit", "0.3"], capsys)
    s = read_summary(out)
    assert s["status"] == "time_limit" and code == 3
    assert err.strip().splitlines()[-1].startswith("routing: the time limit cut the search: plan written")
    validate_plan(FIXTURES / "network.yaml", FIXTURES / "example" / "shipments.csv", out)


def test_exit_4_when_not_proven_and_quiet_says_nothing(tmp_path, capsys):
    """A leg limit that cuts routes makes the plan a heuristic one: never `optimal`, so not 0."""
    inst = write_instance(tmp_path, network(**NO_BONDED), [ship("a"), ship("b")])
    code, _, err = _run(_plan_argv(inst, tmp_path / "out", "--max-legs", "2"), capsys)
    s = read_summary(tmp_path / "out")
    assert s["status"] == "feasible" or s["counts"]["assigned"] == 0
    assert code == 4 == expected_exit(s) and "not proven within the gap target" in err
    code, _, err = _run(_plan_argv(inst, tmp_path / "quiet", "--max-legs", "2", "--quiet"), capsys)
    assert code == 4 and err == ""


def test_strict_exit_5_for_a_missed_target_or_a_parcel_left_out(tmp_path, capsys):
    net = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 1.0},
                  lane_express={"capacity_kg_per_departure": 1.0}, **NO_BONDED)
    inst = write_instance(tmp_path, net, [ship(f"s{i}") for i in range(4)])
    assert _run(_plan_argv(inst, tmp_path / "lax"), capsys)[0] == 0  # the plan is optimal: target unmeetable
    code, _, err = _run(_plan_argv(inst, tmp_path / "strict", "--strict"), capsys)
    assert code == 5 and "on-time target missed in M" in err
    validate_plan(inst.network, inst.shipments, tmp_path / "strict")  # the plan is written all the same
    left = write_instance(tmp_path, network(**NO_BONDED), [ship("a")], name="left")
    code, _, err = _run(_plan_argv(left, tmp_path / "left", "--strict", "--unassigned-penalty", "2"), capsys)
    assert code == 5 and "1 parcel(s) unassigned" in err
    code, _, _ = _run(_plan_argv(left, tmp_path / "fine", "--strict"), capsys)
    assert code == 0


def test_json_logs_for_job_runners(tmp_path):
    inst = write_instance(tmp_path, network(**NO_BONDED), [ship("a"), ship("b")])
    proc = subprocess.run([sys.executable, "-m", "routing.cli", *map(str, _plan_argv(inst, tmp_path / "out")),
                           "--log-format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stderr.splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert {r["message"].split("] ", 1)[1].split(":")[0] for r in records} >= {"load", "routes", "build", "solve",
                                                                              "write"}
    assert all(r["level"] == "info" and isinstance(r["elapsed_s"], float) for r in records)
    # a refusal is one JSON line too
    bad = subprocess.run([sys.executable, "-m", "routing.cli", "plan", "--network", str(tmp_path / "nope.yaml"),
                          "--shipments", str(inst.shipments), "--out", str(tmp_path / "x"), "--log-format", "json"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    (line,) = bad.stderr.splitlines()
    rec = json.loads(line)
    assert rec["level"] == "error" and rec["exit"] == 2 and "nope.yaml" in rec["message"]


@pytest.mark.parametrize("bad", ["", 12, "x" * 40])
def test_currency_label_checked(tmp_path, capsys, bad):
    inst = write_instance(tmp_path, {**network(**NO_BONDED), "currency": bad}, [ship("a")])
    code, _, err = _run(_plan_argv(inst, tmp_path / "out"), capsys)
    assert code == 2 and "currency" in err


def test_validate_a_plan_and_a_hand_edited_one(tmp_path, capsys):
    """`routing validate` passes a written plan; a planner's override that breaks a rule is caught (exit 7,
    each violation on stdout), and one that keeps the rules passes though the summary no longer matches."""
    inst = write_instance(tmp_path, network(lane_air={"capacity_kg_per_departure": 2.0}, **NO_BONDED),
                          [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    out = tmp_path / "out"
    assert _run(_plan_argv(inst, out), capsys)[0] == 0
    code, text, _ = _run(["validate", out], capsys)
    assert code == 0 and text.startswith("valid: 2 shipments, 6 legs checked against every rule")
    # the override: put the late parcel on Thursday's full flight too (dates and costs made consistent)
    legs = (out / "legs.csv").read_text().replace("2026-12-07,2026-12-08", "2026-12-03,2026-12-04")
    (out / "legs.csv").write_text(legs)
    code, text, _ = _run(["validate", out], capsys)
    assert code == 7, text
    assert "changed since the plan was written" in text and "INVALID" in text.splitlines()[-1]
    assert any("lane air on 2026-12-03 carries 3.0 kg > 2.0" in line for line in text.splitlines())
    # nothing to check: one line, exit 2
    code, _, err = _run(["validate", tmp_path / "nowhere"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_validate_takes_inputs_given_when_none_are_recorded(tmp_path, capsys):
    import routing

    inst = write_instance(tmp_path, network(**NO_BONDED), [ship("a")])
    net = routing.load_network(inst.network)
    routing.solve(net, routing.load_shipments(inst.shipments, net)).write(tmp_path / "py")  # no inputs recorded
    code, _, err = _run(["validate", tmp_path / "py"], capsys)
    assert code == 2 and "records no network file" in err
    code, text, _ = _run(["validate", tmp_path / "py", "--network", inst.network, "--shipments", inst.shipments],
                         capsys)
    assert code == 0 and text.startswith("valid: 1 shipments")


def test_orders_before_the_epoch_are_reported(tmp_path, capsys):
    inst = write_instance(tmp_path, network(**NO_BONDED), [ship("a", order_date="2026-11-28"), ship("b")])
    code, _, err = _run(_plan_argv(inst, tmp_path / "out"), capsys)
    assert code == 0 and "1 shipment(s) ordered before the network's epoch 2026-11-30" in err
    assert read_summary(tmp_path / "out")["orders_before_epoch"] == 1
    validate_plan(inst.network, inst.shipments, tmp_path / "out")
