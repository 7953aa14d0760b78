"""A solved plan (:class:`Result`): the plan and legs tables, its summary, and optionally what a
what-if re-plan reuses; and writing the files of a plan atomically."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ..candidates.candidates import Candidates
from ..data.bookings import Bookings
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..data.tables import table_writer
from ..errors import InputError, InternalError
from ..logs import utc_text
from ..model import Model
from ..settings import PlanSettings, SolveOptions
from ..strategies.solution import Solution
from ..strategies.warm import WarmReport, WarmStart
from .capacity_tables import lanes_table, nodes_table, stock_table
from .explain import Explanation, PlanFacts, explain
from .output import OutputDir, claimed, sha256
from .plan_tables import legs_table, plan_table
from .summary import Summary, SummaryView, build_summary


@dataclass(frozen=True, eq=False, repr=False)
class Result(SummaryView):
    """A solved plan: the ``plan`` table (one row per shipment), the ``legs`` table (one row per leg,
    built on first use: a what-if answer often needs only the plan and summary), the summary
    (``figures``; ``summary_data`` is the summary.json dict, ``summary()`` the text report), and
    ``warm_start``, what ``solve(..., base=result)`` reuses (None once dropped by
    :meth:`without_warm_start`)."""

    plan: pa.Table
    figures: Summary
    lanes: pa.Table = field(repr=False)  # every capacitated lane departure: capacity, used, share, shadow price
    nodes: pa.Table = field(repr=False)  # every capacitated node-day
    stock: pa.Table = field(repr=False)  # every (bonded warehouse, sku) with stock, or drawn from without an inventory
    warm_start: WarmStart | None = field(default=None, repr=False)
    kept_legs: pa.Table | None = field(default=None, repr=False)  # the legs, where no warm start can build them
    _facts: PlanFacts | None = field(default=None, repr=False, compare=False, init=False)  # explain()'s, built once

    @cached_property
    def legs(self) -> pa.Table:
        """One row per leg of every assigned shipment (docs/outputs.md)."""
        if self.kept_legs is not None:
            return self.kept_legs
        w = self.warm_start
        if w is None:  # solve() always attaches a warm start, without_warm_start() keeps the legs
            raise InternalError("this result keeps neither its legs nor its warm start")
        chosen = np.flatnonzero(w.solution.values[:w.model.n_x] > 0.5)
        return legs_table(w.network, w.shipments, w.candidates, w.candidates.var_ship[chosen], chosen)

    def without_warm_start(self) -> Result:
        """The same plan without what a re-plan reuses (options, model, solution: ~130 MB at 100,000
        shipments), its legs table built."""
        return Result(plan=self.plan, figures=self.figures, lanes=self.lanes, nodes=self.nodes, stock=self.stock,
                      kept_legs=self.legs)

    def to_pandas(self) -> tuple[Any, Any]:
        """(plan, legs) as pandas DataFrames (needs pandas)."""
        return self.plan.to_pandas(), self.legs.to_pandas()

    def explain(self, shipment_id: str, alternatives: int = 3) -> Explanation:
        """Why ``shipment_id`` is where the plan put it: the chosen option with its costs and dates, and the
        ``alternatives`` best others with the reason each lost (:mod:`routing.report.explain`)."""
        w = self.warm_start
        if w is None:
            raise InputError("explain", "result", "this result no longer keeps its inputs (without_warm_start)")
        if self._facts is None:
            markets = {m: dict(vars(v)) for m, v in self.figures.markets.items()}
            object.__setattr__(self, "_facts", PlanFacts.of(
                w.network, w.shipments, w.inventory, w.settings, dt.date.fromisoformat(self.figures.epoch),
                self.tables(), markets, self.figures.gap_target, w.bookings))
        return explain(self._facts, shipment_id, alternatives)

    def tables(self) -> dict[str, pa.Table]:
        """The plan's tables by name, as written: plan, legs, lanes, nodes, stock."""
        return {"plan": self.plan, "legs": self.legs, "lanes": self.lanes, "nodes": self.nodes, "stock": self.stock}

    def charts(self) -> dict[str, Figure]:
        """The charts of the plan's report (``routing report``) as matplotlib Figures by name: markets,
        costs, lanes, nodes, stock, flows (:func:`routing.report.charts.figures`; needs matplotlib)."""
        from .charts import figures  # matplotlib is imported only when charts are asked for

        return figures(self)

    def write(self, out_dir: str | Path, fmt: str = "csv",
              inputs: dict[str, str | Path] | None = None) -> dict[str, Path]:
        """Publish the tables (``fmt`` csv or parquet) and summary.json in ``out_dir`` as one set
        (:func:`write_result`; ``inputs``: the files the plan was made from by kind — network,
        shipments, inventory —, recorded with their SHA-256); the result itself is not changed.
        Returns the paths by kind."""
        return write_result(self, out_dir, fmt, inputs).paths


@dataclass(frozen=True)
class WrittenPlan:
    """The files :func:`write_result` wrote, and the summary as written (with the write seconds and the
    files' SHA-256)."""

    paths: dict[str, Path]
    figures: Summary


TABLES = ("plan", "legs", "lanes", "nodes", "stock")  # a plan's tables, one file each
PLAN_FILES = tuple(f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet"))  # in either format
DERIVED = ("report.html",)  # made from a plan's files (`routing report`): stale once they are replaced


def input_record(inputs: dict[str, str | Path] | None) -> dict[str, dict[str, str]]:
    """The input files a plan was made from, by kind: absolute path and SHA-256 (None values skipped)."""
    out = {}
    for kind, path in (inputs or {}).items():
        if path is not None and str(path) != "-":
            p = Path(path)
            out[kind] = {"path": os.path.abspath(p), "sha256": sha256(p)}
    return out


def write_result(result: Result, out: str | Path | OutputDir, fmt: str = "csv",
                 inputs: dict[str, str | Path] | None = None) -> WrittenPlan:
    """Publish the plan's tables (``fmt`` csv or parquet) and summary.json in ``out`` as one set
    (:class:`~routing.report.output.OutputDir`): the other format's tables and a report.html of the
    plan replaced are removed, the summary
    written last names the tables with their SHA-256 and the ``inputs`` (files by kind) with theirs,
    and its seconds gain ``write`` and ``total`` (load + plan + write)."""
    if fmt not in ("csv", "parquet"):
        raise InputError("write", "fmt", f"must be csv or parquet, got {fmt!r}")
    t = time.perf_counter()
    record = input_record(inputs)
    names = {name: f"{name}.{fmt}" for name in TABLES}
    files = {names[name]: table_writer(table, fmt) for name, table in result.tables().items()}
    written: list[Summary] = []

    def summary_file(hashes: dict[str, str]) -> Callable[[Path], None]:
        secs = dict(result.figures.seconds)
        secs["write"] = time.perf_counter() - t
        secs["total"] = secs.get("load", 0.0) + secs.get("plan", 0.0) + secs["write"]
        written.append(replace(result.figures, seconds=secs, files=hashes, inputs=record,
                               finished_at=utc_text()))
        text = json.dumps(written[0].to_dict(), indent=2, allow_nan=False) + "\n"
        return lambda path: path.write_text(text, encoding="utf-8")

    with claimed(out) as target:
        paths = target.publish(files, ("summary.json", summary_file), stale=PLAN_FILES + DERIVED)
    return WrittenPlan({**{name: paths[names[name]] for name in TABLES}, "summary": paths["summary.json"]},
                       written[0])


def assemble_result(network: Network, shipments: Shipments, inventory: Inventory | None, settings: PlanSettings,
                    options: SolveOptions, cand: Candidates, model: Model, solution: Solution,
                    seconds: dict[str, float], warm: WarmReport | None = None,
                    bookings: Bookings | None = None) -> Result:
    """The result of ``solution``: plan table, summary (``warm``: what a warm re-plan reused; ``bookings``:
    the committed legs and previous plan it kept to) and warm start."""
    plan, arrays = plan_table(network, shipments, cand, model, solution.values)
    figures = build_summary(network, shipments, inventory, settings, options, cand, model, solution, arrays,
                            seconds, warm, bookings)
    warm_start = WarmStart(network=network, shipments=shipments, inventory=inventory, settings=settings,
                           options=options, candidates=cand, model=model, solution=solution, gap=figures.gap,
                           bookings=bookings)
    return Result(plan=plan, figures=figures, lanes=lanes_table(figures, network), nodes=nodes_table(figures, network),
                  stock=stock_table(figures), warm_start=warm_start)


@dataclass(frozen=True, repr=False)
class PlanSummary(SummaryView):
    """A plan's table and summary only: what a sweep keeps of a plan when it does not keep the
    :class:`Result` (enough for :func:`~routing.report.compare.compare` and a comparison row), and
    ``kept``, all five tables by name when the sweep writes each plan."""

    plan: pa.Table
    figures: Summary
    kept: dict[str, pa.Table] | None = field(default=None, compare=False)

    def tables(self) -> dict[str, pa.Table]:
        """The plan's tables by name (only the plan table unless the sweep kept them all)."""
        return dict(self.kept) if self.kept is not None else {"plan": self.plan}
