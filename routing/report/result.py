"""A solved plan (:class:`Result`): the plan and legs tables, its summary, and optionally what a
what-if re-plan reuses; and writing the files of a plan atomically."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..candidates.candidates import Candidates
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..data.tables import table_writer
from ..errors import InputError, InternalError
from ..model import Model
from ..settings import PlanSettings, SolveOptions
from ..strategies.solution import Solution
from ..strategies.warm import WarmReport, WarmStart
from .output import OutputDir, claimed
from .plan_tables import legs_table, plan_table
from .summary import Summary, SummaryView, build_summary


@dataclass(frozen=True, eq=False)
class Result(SummaryView):
    """A solved plan: the ``plan`` table (one row per shipment), the ``legs`` table (one row per leg,
    built on first use: a what-if answer often needs only the plan and summary), the summary
    (``figures``; ``summary_data`` is the summary.json dict, ``summary()`` the text report), and
    ``warm_start``, what ``solve(..., base=result)`` reuses (None once dropped by
    :meth:`without_warm_start`)."""

    plan: pa.Table
    figures: Summary
    warm_start: WarmStart | None = field(default=None, repr=False)
    kept_legs: pa.Table | None = field(default=None, repr=False)  # the legs, where no warm start can build them

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
        return Result(plan=self.plan, figures=self.figures, kept_legs=self.legs)

    def to_pandas(self) -> tuple[Any, Any]:
        """(plan, legs) as pandas DataFrames (needs pandas)."""
        return self.plan.to_pandas(), self.legs.to_pandas()

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Publish plan, legs (``fmt`` csv or parquet) and summary.json in ``out_dir`` as one set
        (:func:`write_result`); the result itself is not changed. Returns the paths by kind."""
        return write_result(self, out_dir, fmt).paths


@dataclass(frozen=True)
class WrittenPlan:
    """The files :func:`write_result` wrote, and the summary as written (with the write seconds and the
    files' SHA-256)."""

    paths: dict[str, Path]
    figures: Summary


PLAN_FILES = ("plan.csv", "plan.parquet", "legs.csv", "legs.parquet")  # a plan's files in either format


def write_result(result: Result, out: str | Path | OutputDir, fmt: str = "csv") -> WrittenPlan:
    """Publish plan, legs (``fmt`` csv or parquet) and summary.json in ``out`` as one set
    (:class:`~routing.report.output.OutputDir`): the other format's plan and legs are removed, the
    summary written last names the two files with their SHA-256, and its seconds gain ``write`` and
    ``total`` (load + plan + write)."""
    if fmt not in ("csv", "parquet"):
        raise InputError("write", "fmt", f"must be csv or parquet, got {fmt!r}")
    t = time.perf_counter()
    names = {"plan": f"plan.{fmt}", "legs": f"legs.{fmt}"}
    files = {names["plan"]: table_writer(result.plan, fmt), names["legs"]: table_writer(result.legs, fmt)}
    written: list[Summary] = []

    def summary_file(hashes: dict[str, str]) -> Callable[[Path], None]:
        secs = dict(result.figures.seconds)
        secs["write"] = time.perf_counter() - t
        secs["total"] = secs.get("load", 0.0) + secs.get("plan", 0.0) + secs["write"]
        written.append(replace(result.figures, seconds=secs, files=hashes))
        text = json.dumps(written[0].to_dict(), indent=2, allow_nan=False) + "\n"
        return lambda path: path.write_text(text, encoding="utf-8")

    with claimed(out) as target:
        paths = target.publish(files, ("summary.json", summary_file), stale=PLAN_FILES)
    return WrittenPlan({"plan": paths[names["plan"]], "legs": paths[names["legs"]],
                        "summary": paths["summary.json"]}, written[0])


def assemble_result(network: Network, shipments: Shipments, inventory: Inventory | None, settings: PlanSettings,
                    options: SolveOptions, cand: Candidates, model: Model, solution: Solution,
                    seconds: dict[str, float], warm: WarmReport | None = None) -> Result:
    """The result of ``solution``: plan table, summary (``warm``: what a warm re-plan reused) and warm start."""
    plan, arrays = plan_table(shipments, cand, model, solution.values)
    figures = build_summary(network, shipments, inventory, settings, options, cand, model, solution, arrays,
                            seconds, warm)
    warm_start = WarmStart(network=network, shipments=shipments, inventory=inventory, settings=settings,
                           options=options, candidates=cand, model=model, solution=solution, gap=figures.gap)
    return Result(plan=plan, figures=figures, warm_start=warm_start)


@dataclass(frozen=True)
class PlanSummary(SummaryView):
    """A plan's table and summary only: what a sweep keeps of a plan when it does not keep the
    :class:`Result` (enough for :func:`~routing.report.compare.compare` and a comparison row)."""

    plan: pa.Table
    figures: Summary
