"""The command line end to end: generate → plan → files that validate; help; determinism."""

from __future__ import annotations

import csv
import json
import logging
import subprocess
import sys

import pytest

import routing
from routing.cli import main

from .helpers import FIXTURES
from .validator import validate_plan


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "routing.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    code = main(["generate", "--network", str(FIXTURES / "network.yaml"), "--shipments", "1500", "--seed", "3",
                 "--days", "14", "--inventory", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_plan_generated_instance_end_to_end(generated, tmp_path):
    out = tmp_path / "plan"
    proc = run("plan", "--network", str(FIXTURES / "network.yaml"), "--shipments", str(generated / "shipments.csv"),
               "--inventory", str(generated / "inventory.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    # progress lines on stderr for every phase, the summary on stdout
    for phase in ("load:", "routes:", "build:", "solve:", "write:"):
        assert phase in proc.stderr
    assert "objective" in proc.stdout and str(out / "plan.csv") in proc.stdout
    validate_plan(FIXTURES / "network.yaml", generated / "shipments.csv", out, generated / "inventory.csv")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["gap"] <= summary["gap_target"] == 1e-4  # the default target
    assert set(summary["seconds"]) >= {"load", "routes", "build", "solve", "write", "total"}
    # the instance really has binding capacities: some shadow prices are positive
    assert any(e["shadow_price"] > 0 for e in summary["lanes"] + summary["nodes"] + summary["stock"])
    assert not list(out.glob(".*.tmp"))  # no temp files left behind


def test_quiet_silences_progress(generated, tmp_path):
    proc = run("plan", "--network", str(FIXTURES / "network.yaml"), "--shipments", str(generated / "shipments.csv"),
               "--out", str(tmp_path / "q"), "--quiet", "--format", "parquet", "--solver", "highs")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    validate_plan(FIXTURES / "network.yaml", generated / "shipments.csv", tmp_path / "q", fmt="parquet")


def test_progress_reaches_logging_for_library_use(generated, caplog):
    """solve() in a program: quiet on stderr, every phase line on the ``routing`` logger at INFO."""
    net = routing.load_network(FIXTURES / "network.yaml")
    ships = routing.load_shipments(generated / "shipments.csv", net)
    with caplog.at_level(logging.INFO, logger="routing"):
        routing.solve(net, ships)
    lines = [r.getMessage() for r in caplog.records if r.name == "routing"]
    for phase in ("routes:", "build:", "solve:"):
        assert any(phase in line for line in lines), phase
    assert any("class LP" in line for line in lines)  # the solve's own steps, not only the phases


@pytest.mark.parametrize("command", [[], ["plan"], ["generate"]])
def test_help_is_useful(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "usage: routing" in text
    if command == ["plan"]:
        for flag in ("--network", "--shipments", "--inventory", "--out", "--solver", "--time-limit", "--format",
                     "--quiet", "--waiting-days"):
            assert flag in text


def test_generate_is_deterministic_and_realistic(tmp_path):
    net = str(FIXTURES / "network.yaml")
    for name in ("a", "b"):
        assert main(["generate", "--network", net, "--shipments", "3000", "--seed", "5", "--inventory",
                     "--out", str(tmp_path / name), "--quiet"]) == 0
    for f in ("shipments.csv", "inventory.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert main(["generate", "--network", net, "--shipments", "3000", "--seed", "6", "--out", str(tmp_path / "c"),
                 "--quiet"]) == 0
    assert (tmp_path / "a" / "shipments.csv").read_bytes() != (tmp_path / "c" / "shipments.csv").read_bytes()
    rows = list(csv.DictReader((tmp_path / "a" / "shipments.csv").read_text().splitlines()))
    assert len(rows) == 3000 and len({r["shipment_id"] for r in rows}) == 3000
    weights = sorted(float(r["weight_kg"]) for r in rows)
    assert weights[0] > 0 and weights[-1] > 5 * weights[len(weights) // 2]  # long tail
    by_market: dict[str, int] = {}
    for r in rows:
        by_market[r["destination"]] = by_market.get(r["destination"], 0) + 1
    assert max(by_market.values()) > 4 * min(by_market.values())  # skewed demand
    skus: dict[str, int] = {}
    for r in rows:
        skus[r["sku"]] = skus.get(r["sku"], 0) + 1
    top = sorted(skus.values(), reverse=True)
    assert top[0] > 10 * top[len(top) // 2]  # Zipf popularity
    assert {r["channel"] for r in rows} == {"", "jit", "bonded"}
    assert len({r["order_date"] for r in rows}) == 7


def test_solver_choice_and_time_limit_are_validated(generated, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--network", str(FIXTURES / "network.yaml"), "--shipments", str(generated / "shipments.csv"),
              "--out", str(tmp_path / "x"), "--solver", "gurobi"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--network", str(FIXTURES / "network.yaml"), "--shipments", str(generated / "shipments.csv"),
              "--out", str(tmp_path / "x"), "--time-limit", "-3"])
    assert exc.value.code == 2
    assert not (tmp_path / "x").exists()
    capsys.readouterr()
    for command, flag in (("plan", "--threads"), ("sweep", "--workers")):  # 0 workers: a sweep would wait forever
        extra = ["--scenarios", str(FIXTURES / "scenarios.yaml")] if command == "sweep" else []
        with pytest.raises(SystemExit) as exc:
            main([command, "--network", str(FIXTURES / "network.yaml"), "--shipments",
                  str(generated / "shipments.csv"), "--out", str(tmp_path / "x"), *extra, flag, "0"])
        assert exc.value.code == 2
        assert f"argument {flag}: must be a whole number >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    with pytest.raises(routing.InputError, match="threads: must be a whole number >= 1, got 0"):
        routing.SolveOptions(threads=0)
    (tmp_path / "a-file").write_text("")
    assert main(["sweep", "--network", str(FIXTURES / "network.yaml"), "--shipments", str(generated / "shipments.csv"),
                 "--scenarios", str(FIXTURES / "scenarios.yaml"), "--out", str(tmp_path / "a-file")]) == 2
    assert capsys.readouterr().err.strip().endswith("a-file: exists and is not a directory")  # before any planning
