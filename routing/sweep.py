"""Scenario files and sweeps, on Dask distributed or in this process.

A scenario file (YAML) lists named scenarios, each a list of edits from :mod:`routing.scenario`::

    scenarios:
      - name: liege-closes
        edits:
          - close_node: {node: BE-LGG-BW}
      - name: szx-air-minus-30
        edits:
          - scale_capacity: {factor: 0.7, mode: air, lane_from: CN-SZX-HUB}

:func:`run_sweep` plans the base and every scenario as independent Dask tasks (a LocalCluster
unless a scheduler address is given), or one after another in this process (``in_process``, and
whenever Dask is not installed: it is the optional extra ``routing[dask]``). The base inputs are
scattered to the workers once; each task receives only its scenario's edits. A failed scenario
becomes a row with its error. Without whole results (``keep_results=False``, the CLI's way) each
comparison row is worked out where its scenario was planned and only the plan's tables and summary
come back (all five tables with ``tables=True``, for writing each scenario's plan).
"""

from __future__ import annotations

import inspect
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from .data import edits as scenario_edits
from .data.network import Network
from .data.shipments import Inventory, Shipments
from .data.tables import table_writer
from .errors import InputError, RoutingError
from .progress import Progress
from .report.compare import compare
from .report.output import OutputDir, claimed
from .report.result import PlanSummary, Result
from .settings import PlanSettings, SolveOptions
from .solve import solve

NETWORK_EDITS: dict[str, Callable[..., Network]] = {
    "close_node": lambda net, node: scenario_edits.close_node(net, node),
    "reopen_node": lambda net, node: scenario_edits.reopen_node(net, node),
    "close_lane": lambda net, lane: scenario_edits.close_lane(net, lane),
    "reopen_lane": lambda net, lane: scenario_edits.reopen_lane(net, lane),
    "scale_capacity": scenario_edits.scale_capacity,
    "scale_cost": scenario_edits.scale_cost,
    "fuel_surcharge": scenario_edits.fuel_surcharge,
    "scale_all_costs": scenario_edits.scale_all_costs,
    "set_market": lambda net, market, **kw: scenario_edits.set_market(net, market, **kw),
    "add_lane": lambda net, **kw: scenario_edits.add_lane(net, **kw),
}
_EDIT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **NETWORK_EDITS, "scale_demand": scenario_edits.scale_demand, "set_stock": scenario_edits.set_stock,
    "scale_stock": scenario_edits.scale_stock}
EDITS = sorted(_EDIT_FUNCTIONS)
WORKERS = 2  # LocalCluster worker processes of a sweep, one thread each


def _edit_problem(kind: str, args: dict[str, Any]) -> str | None:
    """What is wrong with an edit before it is applied (None if nothing): an unknown kind, or argument
    names it does not take or misses (the inputs it edits are passed by the sweep; an edit taking
    free-form fields, set_market or add_lane, checks those itself)."""
    if kind not in _EDIT_FUNCTIONS:
        return f"unknown edit {kind!r} (use {', '.join(EDITS)})"
    params = [p for p in inspect.signature(_EDIT_FUNCTIONS[kind]).parameters.values()
              if p.name not in ("net", "shipments", "inventory")]
    named = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        for key in args:
            if key not in named:
                return f"{kind}: unknown argument {key!r} (takes {', '.join(named) or 'none'})"
    for p in params:
        if p.default is p.empty and p.kind is not p.VAR_KEYWORD and p.name not in args:
            return f"{kind}: missing argument {p.name!r}"
    return None


@dataclass(frozen=True)
class Scenario:
    name: str
    edits: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)


_SAFE_NAME = re.compile(r"[^\W_][\w .+=@,%-]*")


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read and check a scenario file: names unique and fit for a file name, every edit known with
    the argument names it takes (their values are checked when the edit is applied)."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), None, "file not found")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(str(path), None, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("scenarios"), list) or not doc["scenarios"]:
        raise InputError(str(path), None, "must be a mapping with a non-empty list 'scenarios'")
    out, names = [], set()
    for k, raw in enumerate(doc["scenarios"]):
        where = f"scenarios[{k + 1}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
            raise InputError(str(path), where, "needs a non-empty 'name'")
        name = raw["name"].strip()
        if not _SAFE_NAME.fullmatch(name):  # it names the file summaries/<name>.json
            raise InputError(str(path), f"scenario '{name}'",
                             "a name holds letters, digits, spaces and . _ - + = @ , % only, and starts with a letter "
                             "or digit")
        if name in names or name == "base":
            raise InputError(str(path), f"scenario '{name}'", "duplicate name (or the reserved name 'base')")
        names.add(name)
        edits = []
        for j, edit in enumerate(raw.get("edits") or []):
            if not isinstance(edit, dict) or len(edit) != 1:
                raise InputError(str(path), f"scenario '{name}': edits[{j + 1}]", "must be {edit_name: {arguments}}")
            (kind, args), = edit.items()
            where = f"scenario '{name}': edits[{j + 1}]"
            if args is not None and not isinstance(args, dict):
                raise InputError(str(path), where, "arguments must be a mapping")
            if (wrong := _edit_problem(kind, dict(args or {}))) is not None:
                raise InputError(str(path), where, wrong)
            edits.append((kind, dict(args or {})))
        out.append(Scenario(name, tuple(edits)))
    return out


def apply_edits(network: Network, shipments: Shipments, inventory: Inventory | None,
                edits: tuple[tuple[str, dict[str, Any]], ...]) -> tuple[Network, Shipments, Inventory | None]:
    """The inputs after ``edits`` in order (the arguments are as in the scenario file)."""
    for kind, args in edits:
        if (wrong := _edit_problem(kind, args)) is not None:
            raise InputError("scenario", None, wrong)
        try:
            if kind in NETWORK_EDITS:
                network = NETWORK_EDITS[kind](network, **args)
            elif kind == "scale_demand":
                shipments = scenario_edits.scale_demand(shipments, network, **args)
            elif kind in ("set_stock", "scale_stock"):
                if inventory is None:
                    raise InputError("scenario", kind, "needs an inventory table (--inventory)")
                inventory = (scenario_edits.set_stock(inventory, network, **args) if kind == "set_stock"
                             else scenario_edits.scale_stock(inventory, net=network, **args))
        except TypeError as exc:
            raise InputError("scenario", kind, f"bad arguments: {exc}") from None
    return network, shipments, inventory


def plan_scenario(network: Network, shipments: Shipments, inventory: Inventory | None, scenario: Scenario,
                  settings: PlanSettings, options: SolveOptions, base: Result | None = None) -> Result:
    """Apply a scenario's edits and plan (a warm re-plan of ``base`` if given)."""
    net, ships, inv = apply_edits(network, shipments, inventory, scenario.edits)
    return solve(net, ships, inv, settings=settings, options=options, base=base)


@dataclass(frozen=True)
class Failed:
    """What a sweep task returns instead of raising (a raising task makes the worker log a traceback):
    the error's first line, its type named unless it is a :class:`RoutingError`."""

    error: str


def failure(exc: BaseException) -> Failed:
    """The :class:`Failed` of an exception."""
    text = (str(exc).splitlines() or [""])[0]
    if isinstance(exc, RoutingError):
        return Failed(text)
    return Failed(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def plan_task(network: Network, shipments: Shipments, inventory: Inventory | None, scenario: Scenario,
              settings: PlanSettings, options: SolveOptions, base: Result | Failed | None = None) -> Result | Failed:
    """One task of a sweep: :func:`plan_scenario`, a failure returned as :class:`Failed`."""
    if isinstance(base, Failed):
        return Failed(f"the base plan failed: {base.error}")
    try:
        return plan_scenario(network, shipments, inventory, scenario, settings, options, base)
    except Exception as exc:  # any failure is this scenario's row, never the sweep's end
        return failure(exc)


def _summary_of(result: Result | Failed, tables: bool = False) -> PlanSummary | Failed:
    """What comes back of a plan without its result: its plan table and summary (``tables``: and the legs,
    lanes, nodes and stock tables, to write the plan)."""
    if isinstance(result, Failed):
        return result
    return PlanSummary(result.plan, result.figures, kept=result.tables() if tables else None)


def _row(name: str, base: Result | PlanSummary, result: Result | PlanSummary | None, error: str | None,
         seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name, "error": error, "seconds": None, "finished_after_s": seconds}
    if result is None:
        return row
    s = result.summary_data
    row["seconds"] = s["seconds"].get("plan")  # this scenario's own planning time
    row.update({"status": s["status"], "objective": s["objective"], "lower_bound": s["lower_bound"], "gap": s["gap"],
                "assigned": s["counts"]["assigned"], "unassigned": s["counts"]["unassigned"],
                "unroutable": s["counts"]["unroutable"]})
    cmp = compare(base, result)
    for key, v in cmp.totals.items():
        row[f"delta_{key}"] = v["delta"]
    row.update({f"n_{k}": v for k, v in cmp.counts.items()})
    row["targets_missed"] = ",".join(m for m, d in s["markets"].items() if not d["target_met"])
    row["newly_binding"] = sum(1 for c in cmp.capacities.to_pylist() if c["change"] == "newly_binding")
    row["freed"] = sum(1 for c in cmp.capacities.to_pylist() if c["change"] == "freed")
    for m in cmp.markets.to_pylist():  # per market: its cost, the change, its on-time share
        key = m["market"]
        row[f"cost_{key}"], row[f"delta_cost_{key}"] = m["cost_other"], m["cost_delta"]
        row[f"on_time_{key}"] = m["on_time_other"]
    return row


def _outcome(name: str, base: Result | PlanSummary | Failed, result: Result | Failed, tables: bool = False,
             keep: bool = False) -> tuple[Result | PlanSummary, dict[str, Any]] | Failed:
    """A scenario's plan as the sweep keeps it — the whole result (``keep``) or its summary (``tables``: with
    its tables) — and its comparison row (without the times); on Dask, worked out on the worker holding
    ``result``. A failure is returned, not raised."""
    if isinstance(result, Failed) or isinstance(base, Failed):
        return result if isinstance(result, Failed) else Failed("the base plan failed")
    try:
        return result if keep else _summary_of(result, tables), _row(name, base, result, None, 0.0)
    except Exception as exc:
        return failure(exc)


def run_sweep(network: Network, shipments: Shipments, inventory: Inventory | None, scenarios: list[Scenario],
              *, settings: PlanSettings | None = None, options: SolveOptions | None = None,
              scheduler: str | None = None, workers: int = WORKERS, progress: Progress | None = None,
              warm: bool = False, keep_results: bool = True, tables: bool = False, in_process: bool = False,
              ) -> tuple[Result | PlanSummary, dict[str, Result | PlanSummary], pa.Table]:
    """Plan the base and every scenario on Dask; returns (base result, scenario results, comparison table).

    ``warm``: every scenario is a warm re-plan of the base (the base result goes to each worker once,
    straight from the worker that planned it); otherwise all plans run from scratch side by side.
    ``keep_results=False``: each comparison row is worked out on the worker that planned the scenario
    and only plan tables and summaries (:class:`PlanSummary`) come back — a whole result, with the
    options and model a re-plan reuses, is ~130 MB at 100,000 shipments; ``tables``: with each plan's
    five tables (to write it). ``in_process``: plan one after another here, without Dask (also what
    happens when Dask is not installed and no scheduler is given)."""
    if scheduler is None and workers < 1:  # a LocalCluster without workers would wait forever
        raise InputError("sweep", "workers", f"must be >= 1, got {workers!r}")
    settings = settings or PlanSettings()
    options = options or SolveOptions()
    progress = progress or Progress(quiet=True)
    if not in_process and not dask_installed():
        if scheduler:
            raise InputError("scheduler", scheduler, 'needs Dask, which is not installed: pip install "routing[dask]"')
        in_process = True
    if in_process:
        return _sweep_here(network, shipments, inventory, scenarios, settings, options, progress, warm,
                           keep_results, tables)
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler)
        except (OSError, TimeoutError, ValueError) as exc:  # refused, timed out, not an address
            raise InputError("scheduler", scheduler, f"cannot connect: {str(exc).splitlines()[0]}") from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        inputs = client.scatter([network, shipments, inventory], broadcast=True)
        t0 = time.perf_counter()
        base_future = client.submit(plan_task, *inputs, Scenario("base"), settings, options, key="plan-base",
                                    pure=False)
        # without whole results: the base's plan table and summary, for the rows worked out on the workers
        base_view = None if keep_results else client.submit(_summary_of, base_future, key="summary-base",
                                                            pure=False)
        warm_from = [base_future] if warm else []
        futures = {}
        for s in scenarios:
            planned = client.submit(plan_task, *inputs, s, settings, options, *warm_from, key=f"plan-{s.name}",
                                    pure=False)
            if not keep_results:
                planned = client.submit(_outcome, s.name, base_view, planned, tables, key=f"row-{s.name}",
                                        pure=False)
            futures[planned] = s
        base = base_future.result() if base_view is None else base_view.result()
        if isinstance(base, Failed):  # nothing to compare with
            raise RoutingError(f"the base plan failed: {base.error}")
        progress.say(f"sweep: base planned, objective {base.objective:,.2f} ({time.perf_counter() - t0:.1f}s)")
        results: dict[str, Result | PlanSummary] = {}
        rows: dict[str, dict[str, Any]] = {}
        for fut in as_completed(list(futures)):
            s = futures[fut]
            took = time.perf_counter() - t0
            try:  # a result (its row made here) or a summary and its row (made on the worker)
                value = fut.result()
                outcome = _outcome(s.name, base, value, keep=True) if keep_results else value
            except Exception as exc:  # the task's worker died, the task was cancelled
                outcome = failure(exc)
            _settle(s.name, outcome, took, base, rows, results, progress)
            fut.release()  # the worker may drop the result now
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return base, results, _table(base, rows, scenarios)


def dask_installed() -> bool:
    """Whether Dask distributed can be imported (the optional extra ``routing[dask]``)."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _table(base: Result | PlanSummary, rows: dict[str, dict[str, Any]], scenarios: list[Scenario]) -> pa.Table:
    """The comparison table, one row per scenario in file order."""
    ordered = [rows[s.name] for s in scenarios]
    # a planned scenario's row has every column; only if all failed is one made (base against itself)
    full = next((r for r in ordered if r["error"] is None), None) or _row("base", base, base, None, 0.0)
    columns = list(dict.fromkeys(k for r in [full, *ordered] for k in r))
    return pa.table({c: [r.get(c) for r in ordered] for c in columns})


def _sweep_here(network: Network, shipments: Shipments, inventory: Inventory | None, scenarios: list[Scenario],
                settings: PlanSettings, options: SolveOptions, progress: Progress, warm: bool, keep_results: bool,
                tables: bool) -> tuple[Result | PlanSummary, dict[str, Result | PlanSummary], pa.Table]:
    """The sweep in this process, one plan after another: the same rows as on Dask."""
    t0 = time.perf_counter()
    base_result = plan_task(network, shipments, inventory, Scenario("base"), settings, options)
    if isinstance(base_result, Failed):
        raise RoutingError(f"the base plan failed: {base_result.error}")
    base = base_result if keep_results else _summary_of(base_result, tables)
    progress.say(f"sweep: base planned, objective {base.objective:,.2f} ({time.perf_counter() - t0:.1f}s)")
    results: dict[str, Result | PlanSummary] = {}
    rows: dict[str, dict[str, Any]] = {}
    for s in scenarios:
        value = plan_task(network, shipments, inventory, s, settings, options, base_result if warm else None)
        _settle(s.name, _outcome(s.name, base, value, tables, keep_results), time.perf_counter() - t0, base, rows,
                results, progress)
    return base, results, _table(base, rows, scenarios)


def _settle(name: str, outcome: tuple[Result | PlanSummary, dict[str, Any]] | Failed, took: float,
            base: Result | PlanSummary, rows: dict[str, dict[str, Any]], results: dict[str, Result | PlanSummary],
            progress: Progress) -> None:
    """Record a scenario's outcome ``took`` seconds into the sweep: its row, and its plan unless it failed (a
    failed scenario is a row, not an abort)."""
    if isinstance(outcome, Failed):
        rows[name] = _row(name, base, None, outcome.error, took)
        progress.say(f"sweep: {name}: FAILED {outcome.error}")
        return
    result, row = outcome
    results[name], rows[name] = result, {**row, "finished_after_s": took}
    progress.say(f"sweep: {name}: {result.status}, objective {result.objective:,.2f} ({took:.1f}s)")


def write_sweep(out_dir: str | Path | OutputDir, base: Result | PlanSummary, results: dict[str, Result | PlanSummary],
                table: pa.Table, fmt: str = "csv", plans: bool = False) -> dict[str, Path]:
    """Publish each plan's summary JSON (``summaries/<name>.json``, base and scenarios), with ``plans``
    each plan's tables (``plans/<name>/plan.<fmt>``, legs, lanes, nodes, stock), and then the comparison
    table as one set: files of scenarios no longer in the sweep and the other format's are removed, the
    comparison is written last. Returns the comparison's path, each summary's by name, and ``plans``
    (the directory of the plans) when written."""
    files = {}
    for name, result in [("base", base), *results.items()]:
        text = json.dumps(result.summary_data, indent=2, allow_nan=False) + "\n"
        files[f"summaries/{name}.json"] = lambda path, text=text: path.write_text(text, encoding="utf-8")
        if plans:
            for kind, t in result.tables().items():
                files[f"plans/{name}/{kind}.{fmt}"] = table_writer(t, fmt)
    comparison = f"comparison.{fmt}"
    with claimed(out_dir) as out:
        paths = out.publish(files, (comparison, lambda _hashes: table_writer(table, fmt)),
                            stale=("comparison.csv", "comparison.parquet", "summaries/*.json", "plans/*/*.csv",
                                   "plans/*/*.parquet"))
    out_paths = {"comparison": paths[comparison], **{Path(name).stem: path for name, path in paths.items()
                                                     if name.startswith("summaries/")}}
    if plans:
        out_paths["plans"] = Path(paths[comparison]).parent / "plans"
    return out_paths
