"""Scenario sweeps through a real Dask LocalCluster: the comparison table agrees with solving each
scenario on its own; a failing scenario is a row, not an abort; compare() reports what moved."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import yaml

import routing
from routing import PlanSettings
from routing.compare import compare
from routing.sweep import Scenario, apply_edits, load_scenarios, run_sweep, write_sweep

from .helpers import FIXTURES, write_instance
from .test_rules import network, ship
from .validator import validate_plan

FIXTURE_NETWORK = FIXTURES / "network.yaml"
SCENARIOS = {"scenarios": [
    {"name": "bonded-closes", "edits": [{"close_node": {"node": "B"}}]},
    {"name": "air-half", "edits": [{"scale_capacity": {"factor": 0.5, "mode": "air"}}]},
    {"name": "fuel-30", "edits": [{"fuel_surcharge": {"share": 0.3}}]},
    {"name": "promise-4", "edits": [{"set_market": {"market": "M", "promise_days": 4}}]},
    {"name": "demand-x2", "edits": [{"scale_demand": {"factor": 2.0, "market": "M", "seed": 1}}]},
    {"name": "broken", "edits": [{"close_lane": {"lane": "no-such-lane"}}]},
]}


@pytest.fixture(scope="module")
def sweep_inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    net = network(lane_air={"capacity_kg_per_departure": 3.0}, node_B={"capacity_parcels_per_day": 2},
                  node_M={"on_time_target": 0.5})
    ships = [ship(f"s{i}", weight_kg=0.4 + 0.3 * (i % 4), order_date=f"2026-12-0{1 + i % 3}", sku="X")
             for i in range(9)]
    inst = write_instance(tmp, net, ships)
    (tmp / "scenarios.yaml").write_text(yaml.safe_dump(SCENARIOS))
    return inst, tmp / "scenarios.yaml"


@pytest.fixture(scope="module")
def loaded(sweep_inputs):
    """The sweep instance read back: (network, shipments, scenarios by name)."""
    inst, scenario_file = sweep_inputs
    net = routing.load_network(inst.network)
    return net, routing.load_shipments(inst.shipments, net), {s.name: s for s in load_scenarios(scenario_file)}


@pytest.mark.parametrize(("warm", "keep"), [(False, True), (True, False)], ids=["cold-results", "warm-summaries"])
def test_sweep_on_local_cluster_matches_individual_solves(loaded, tmp_path, warm, keep):
    """Rows worked out on the client from whole results, or on the workers (only plan tables and
    summaries come back): either way they agree with solving each scenario on its own."""
    net, ships, by_name = loaded
    scenarios = list(by_name.values())
    exact = routing.SolveOptions(gap=0.0)  # optima on both sides, so warm and cold plans cost the same
    base, results, table = run_sweep(net, ships, None, scenarios, options=exact, workers=2, warm=warm,
                                     keep_results=keep)
    assert all(isinstance(r, routing.Result) == keep for r in [base, *results.values()])
    assert all(("warm" in r.summary_data) == warm for r in results.values())
    rows = {r["scenario"]: r for r in table.to_pylist()}
    assert list(rows) == [s.name for s in scenarios]
    assert rows["broken"]["error"] and "unknown lane" in rows["broken"]["error"]
    assert base.objective == pytest.approx(routing.solve(net, ships, options=exact).objective)
    for s in scenarios[:-1]:
        alone = routing.solve(*apply_edits(net, ships, None, s.edits)[:2], options=exact)
        assert rows[s.name]["error"] is None
        assert rows[s.name]["objective"] == pytest.approx(alone.objective, rel=1e-9), s.name
        assert rows[s.name]["delta_cost_total"] == pytest.approx(alone.objective - base.objective, abs=1e-6)
        if not keep:  # what comes back without the whole result reads as the result would
            got, want = results[s.name].summary().splitlines(), alone.summary().splitlines()
            assert got[0].split()[:2] == want[0].split()[:2]  # the status (the strategy may differ: warm, auto)
            assert got[1:3] == want[1:3]
    assert rows["fuel-30"]["delta_cost_total"] > 0
    assert rows["demand-x2"]["n_only_other"] == len(ships)
    paths = write_sweep(tmp_path, base, results, table)
    assert paths["comparison"].exists() and (tmp_path / "summaries" / "fuel-30.json").exists()


def test_compare_reports_moves_and_capacity(loaded):
    net, ships, _ = loaded
    base = routing.solve(net, ships, settings=PlanSettings())
    closed = routing.solve(*apply_edits(net, ships, None, (("close_node", {"node": "B"}),))[:2])
    cmp = compare(base, closed)
    assert cmp.totals["cost_total"]["delta"] == pytest.approx(closed.objective - base.objective)
    moved = cmp.changed.to_pylist()
    assert moved and all(r["channel_base"] == "bonded" and r["channel_other"] == "jit" for r in moved)
    assert cmp.counts["changed_channel"] == len(moved)
    assert "objective" in cmp.summary()


def test_scenario_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"scenarios": [{"name": "x", "edits": [{"teleport": {}}]}]}))
    with pytest.raises(routing.InputError, match="unknown edit 'teleport'"):
        load_scenarios(bad)
    bad.write_text(yaml.safe_dump({"scenarios": [{"name": "x"}, {"name": "x"}]}))
    with pytest.raises(routing.InputError, match="duplicate name"):
        load_scenarios(bad)
    for edit, message in (({"close_node": {"nod": "B"}}, r"close_node: unknown argument 'nod' \(takes node\)"),
                          ({"close_lane": {}}, "close_lane: missing argument 'lane'"),
                          ({"scale_demand": {"factor": 2, "markets": "M"}}, "scale_demand: unknown argument 'markets'"),
                          ({"set_market": {"promise_days": 3}}, "set_market: missing argument 'market'")):
        bad.write_text(yaml.safe_dump({"scenarios": [{"name": "x", "edits": [edit]}]}))
        with pytest.raises(routing.InputError, match="scenario 'x': edits\\[1\\]: " + message):
            load_scenarios(bad)
    for name in ("../x", "a/b", ".hidden", "tab\there"):  # a name becomes summaries/<name>.json
        bad.write_text(yaml.safe_dump({"scenarios": [{"name": name}]}))
        with pytest.raises(routing.InputError, match="a name holds letters, digits"):
            load_scenarios(bad)
    bad.write_text(yaml.safe_dump({"scenarios": [{"name": "DE promise 4d, +10% air=ok@v2"}]}))
    assert [s.name for s in load_scenarios(bad)] == ["DE promise 4d, +10% air=ok@v2"]
    assert Scenario("x").edits == ()
    net = routing.load_network(FIXTURE_NETWORK)
    with pytest.raises(routing.InputError, match="scenario: unknown edit 'teleport'"):
        apply_edits(net, None, None, (("teleport", {}),))
    with pytest.raises(routing.InputError, match="scenario: close_node: unknown argument 'nod'"):
        apply_edits(net, None, None, (("close_node", {"nod": "X"}),))


def test_a_sweep_whose_scenarios_all_fail_still_has_every_column(loaded):
    net, ships, by_name = loaded
    _, _, table = run_sweep(net, ships, None, [by_name["broken"]], workers=1, keep_results=False)
    row = table.to_pylist()[0]
    assert row["error"] and row["objective"] is None and "delta_cost_total" in row and "n_changed_route" in row


def test_sweep_command_reports_a_failed_scenario_in_one_line(sweep_inputs, tmp_path):
    """`routing sweep` with a scenario that cannot be applied: every output written, the failure a row
    of the table and one line on stderr, exit status 1 — and no worker traceback on stderr."""
    inst, scenario_file = sweep_inputs
    picked = tmp_path / "two.yaml"
    picked.write_text(yaml.safe_dump({"scenarios": [s for s in SCENARIOS["scenarios"]
                                                    if s["name"] in ("air-half", "broken")]}))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "routing.cli", "sweep", "--network", str(inst.network),
                           "--shipments", str(inst.shipments), "--scenarios", str(picked), "--out", str(out),
                           "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [f"routing: 1 of 2 scenarios failed (see {out / 'comparison.csv'})"]
    assert "broken" in done.stdout and "unknown lane" in done.stdout
    rows = {r["scenario"]: r for r in csv.DictReader((out / "comparison.csv").open())}
    assert rows["broken"]["error"] and not rows["air-half"]["error"]
    assert sorted(p.name for p in (out / "summaries").iterdir()) == ["air-half.json", "base.json"]


def test_a_sweep_task_returns_its_failure_instead_of_raising(loaded, monkeypatch):
    """What a worker runs: an edit that cannot apply, a bug, a base that failed — each a Failed value
    naming what went wrong (a raising task would make the worker log a traceback)."""
    import routing.sweep as sweep

    net, ships, by_name = loaded
    args = (net, ships, None, by_name["broken"], PlanSettings(), routing.SolveOptions())
    assert sweep.plan_task(*args) == sweep.Failed("scenario: lane 'no-such-lane': unknown lane")
    assert sweep.plan_task(*args, sweep.Failed("x")) == sweep.Failed("the base plan failed: x")

    def bug(*_a, **_k):
        raise KeyError("lane")

    monkeypatch.setattr(sweep, "plan_scenario", bug)
    assert sweep.plan_task(*args) == sweep.Failed("KeyError: 'lane'")
    assert sweep.failure(MemoryError()) == sweep.Failed("MemoryError")


def test_a_sweep_needs_a_worker_or_a_reachable_scheduler(loaded):
    net, ships, by_name = loaded
    with pytest.raises(routing.InputError, match="sweep: workers: must be >= 1, got 0"):
        run_sweep(net, ships, None, list(by_name.values()), workers=0)
    with pytest.raises(routing.InputError, match="scheduler: no-port: cannot connect: .*port"):
        run_sweep(net, ships, None, list(by_name.values()), scheduler="no-port")


def test_a_sweep_on_an_existing_cluster_leaves_it_running(loaded):
    """--scheduler ADDRESS: the scenarios run on that cluster's workers, which are still there afterwards."""
    from dask.distributed import Client, LocalCluster

    net, ships, by_name = loaded
    scenarios = [by_name["air-half"], by_name["broken"]]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        base, _, table = run_sweep(net, ships, None, scenarios, scheduler=cluster.scheduler_address,
                                   keep_results=False)
        rows = {r["scenario"]: r for r in table.to_pylist()}
        alone = routing.solve(*apply_edits(net, ships, None, scenarios[0].edits)[:2])
        assert rows["air-half"]["objective"] == pytest.approx(alone.objective, rel=1e-9)
        assert "unknown lane" in rows["broken"]["error"]
        with Client(cluster.scheduler_address) as client:
            assert len(client.scheduler_info()["workers"]) == 1
            assert client.submit(sum, [1, 2]).result() == 3


def test_sweep_in_process_gives_the_dask_rows_with_markets_seconds_and_plans(loaded, sweep_inputs, tmp_path):
    """Without Dask (``in_process``): the same objectives and deltas as on a LocalCluster; each row carries
    its own planning seconds and per-market cost, delta and on-time columns; --plans writes each
    scenario's plan directory-like set, which the validator accepts."""
    net, ships, by_name = loaded
    scenarios = [by_name[n] for n in ("bonded-closes", "air-half", "promise-4", "broken")]
    exact = routing.SolveOptions(gap=0.0)
    base, results, table = run_sweep(net, ships, None, scenarios, options=exact, in_process=True,
                                     keep_results=False, tables=True)
    _, _, on_dask = run_sweep(net, ships, None, scenarios, options=exact, workers=1, keep_results=False)
    here, there = ({r["scenario"]: r for r in t.to_pylist()} for t in (table, on_dask))
    for name in ("bonded-closes", "air-half", "promise-4"):
        assert here[name]["objective"] == pytest.approx(there[name]["objective"], rel=1e-9)
        assert here[name]["delta_cost_total"] == pytest.approx(there[name]["delta_cost_total"], abs=0.011)
        summary = results[name].summary_data
        assert here[name]["seconds"] == summary["seconds"]["plan"] and here[name]["finished_after_s"] > 0
        assert here[name]["cost_M"] == pytest.approx(summary["markets"]["M"]["cost"])
        assert here[name]["on_time_M"] == pytest.approx(summary["markets"]["M"]["on_time_rate"])
        assert here[name]["delta_cost_M"] == pytest.approx(summary["markets"]["M"]["cost"]
                                                           - base.summary_data["markets"]["M"]["cost"])
    assert here["broken"]["error"] and here["broken"]["seconds"] is None
    paths = write_sweep(tmp_path / "out", base, results, table, plans=True)
    assert "comparison" in paths
    for name in ("base", "air-half"):
        d = tmp_path / "out" / "plans" / name
        assert sorted(p.name for p in d.iterdir()) == ["lanes.csv", "legs.csv", "nodes.csv", "plan.csv", "stock.csv"]
    # the scenario's plan is valid against the scenario's inputs
    edited_net, edited_ships, _ = apply_edits(net, ships, None, by_name["air-half"].edits)
    routing.save_network(edited_net, tmp_path / "air-half.yaml")
    d = tmp_path / "out" / "plans" / "air-half"
    (d / "summary.json").write_text((tmp_path / "out" / "summaries" / "air-half.json").read_text())
    validate_plan(tmp_path / "air-half.yaml", sweep_inputs[0].shipments, d)


def test_without_dask_the_sweep_runs_here_and_a_scheduler_is_refused(loaded, monkeypatch):
    import routing.sweep as sweep_module

    net, ships, by_name = loaded
    monkeypatch.setattr(sweep_module, "dask_installed", lambda: False)
    base, _, table = run_sweep(net, ships, None, [by_name["fuel-30"]], keep_results=False)
    assert table.to_pylist()[0]["error"] is None and base.objective > 0
    with pytest.raises(routing.InputError, match=r'needs Dask, which is not installed: pip install "routing\[dask\]"'):
        run_sweep(net, ships, None, [by_name["fuel-30"]], scheduler="tcp://127.0.0.1:1")


def test_sweep_command_takes_plans_options_and_writes_each_plan(sweep_inputs, tmp_path):
    inst, scenario_file = sweep_inputs
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "routing.cli", "sweep", "--network", str(inst.network),
                           "--shipments", str(inst.shipments), "--scenarios", str(scenario_file), "--out", str(out),
                           "--in-process", "--plans", "--gap", "0", "--strategy", "exact", "--max-legs", "4",
                           "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # the "broken" scenario fails; everything else is written
    assert "each plan in" in proc.stdout
    summary = json_of(out / "summaries" / "air-half.json")
    assert summary["options"]["gap"] == 0.0 and summary["options"]["strategy"] == "exact"
    assert summary["settings"]["max_legs"] == 4
    assert sorted(p.name for p in (out / "plans").iterdir()) == sorted(
        ["base", *[s["name"] for s in SCENARIOS["scenarios"] if s["name"] != "broken"]])
    with open(out / "comparison.csv", newline="") as fh:
        rows = {r["scenario"]: r for r in csv.DictReader(fh)}
    assert float(rows["air-half"]["seconds"]) == pytest.approx(summary["seconds"]["plan"])
    assert "on_time_M" in rows["air-half"] and "delta_cost_M" in rows["air-half"]


def json_of(path):
    import json

    return json.loads(path.read_text())
