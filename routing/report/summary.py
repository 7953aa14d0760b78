"""The summary of a plan (summary.json, docs/outputs.md): solver outcome, objective, bound and gap,
counts, seconds per phase, per-market figures, every capacitated lane departure, node-day and stock
row with its load and shadow price, and the reasons shipments are out of the plan.

Money in the network's currency, weights in kg, rates and shares as fractions (0-1), times in seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import html
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..candidates.candidates import Candidates
from ..candidates.keys import RES_LANE, RES_NODE, RES_STOCK, unpack_key
from ..data.bookings import Bookings
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..model import Model
from ..settings import MipSolver, PlanSettings, SolveOptions, Status, Strategy, proven_within
from ..strategies.solution import Solution
from ..strategies.warm import WarmReport
from ..version import VERSION
from .plan_tables import ASSIGNED, JIT, STATUS_NAMES, UNROUTABLE, PlanArrays, to_cent


@dataclass(frozen=True)
class MarketFigures:
    """One market: shipments that are not unroutable, on-time share of them, its target (None: none),
    whether it is met and by how many parcels it is missed, cost (currency) and cost per kg of actual
    weight assigned, share of assigned parcels that go JIT; the shadow price of its on-time target
    (``target_price``: what one more on-time parcel required would add to the objective, currency per
    parcel; ``target_price_per_point``: per percentage point of the target, i.e. × shipments / 100;
    0 for a target that does not bind, None without a target)."""

    shipments: int
    on_time_rate: float
    target: float | None
    target_met: bool
    shortfall: int
    cost: float
    cost_per_kg: float
    jit_share: float
    target_price: float | None = None
    target_price_per_point: float | None = None


@dataclass(frozen=True)
class LaneLoad:
    """One capacitated lane departure: chargeable kg loaded, capacity (kg), shadow price (currency per kg)."""

    lane_id: str
    departure_date: str
    load_kg: float
    capacity_kg: float
    shadow_price: float


@dataclass(frozen=True)
class NodeLoad:
    """One capacitated node-day: parcels counted there, capacity (parcels), shadow price (currency per parcel)."""

    node: str
    date: str
    parcels: int
    capacity: int
    shadow_price: float


@dataclass(frozen=True)
class StockUse:
    """One (bonded warehouse, sku): units drawn, units on hand, shadow price (currency per unit). Planned
    without an inventory (stock unlimited), one per pair the plan draws from, ``units`` None and price 0:
    what to forward-position."""

    node: str
    sku: str
    units_used: int
    units: int | None
    shadow_price: float


@dataclass(frozen=True)
class BookingFigures:
    """What the plan kept of earlier ones: the committed legs table and its shipments (each kept its legs),
    the previous plan, the change penalty (currency per shipment), the shipments whose route or departures
    changed or that left the plan, and what the assigned ones of them paid (currency, in the objective)."""

    committed: str | None
    committed_shipments: int
    previous: str | None
    change_penalty: float
    changed: int
    change_cost: float


@dataclass(frozen=True)
class ModelSize:
    """The optimisation model: columns, rows, nonzeros, option columns, routes, options dropped as dominated."""

    columns: int
    rows: int
    nonzeros: int
    options: int
    routes: int
    dominated_options: int


@dataclass(frozen=True)
class Summary:
    """Everything summary.json holds, typed; :meth:`to_dict` is the JSON document, :meth:`text` the report
    printed by ``routing plan``."""

    status: Status
    objective: float  # Σ cost_total over all plan rows (currency)
    lower_bound: float  # proven lower bound on the objective (currency)
    gap: float  # (objective - lower_bound) / max(1, |objective|)
    gap_target: float  # the run's relative gap target: status "optimal" means proven within it
    lp_bound: float | None  # the LP or Lagrangian bound it came from, on the objective's basis (currency)
    unassigned_penalty: float  # currency per parcel
    counts: dict[str, int]  # shipments per plan status
    seconds: dict[str, float]  # per phase
    markets: dict[str, MarketFigures]
    lanes: tuple[LaneLoad, ...]
    nodes: tuple[NodeLoad, ...]
    stock: tuple[StockUse, ...]
    reasons: dict[str, int]  # shipments per reason code (unassigned and unroutable)
    epoch: str  # day 0 of the plan
    horizon_days: int
    waiting_days: int | None
    max_legs: int
    heuristic: bool  # the plan and bound hold for fewer options than the rules allow (see bound_scope)
    bound_scope: str  # "full horizon", or what narrowed it: a waiting window, a leg limit, enumeration budgets
    enumeration: dict[str, int]  # what the enumeration budgets and the leg limit cut (all 0: nothing)
    strategy: Strategy
    bound_method: str
    solver: MipSolver
    warm: WarmReport | None  # what a what-if re-plan reused (None: a cold plan)
    model: ModelSize
    files: dict[str, str] = field(default_factory=dict)  # written: each file of the plan and its SHA-256
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # written: input files by kind (path, sha256)
    version: str = VERSION  # of the routing package that made the plan
    started_at: str = ""  # ISO 8601 UTC: the run's start (loading included from the CLI)
    finished_at: str = ""  # ISO 8601 UTC: the plan made (in a written summary: the files written)
    settings: dict[str, Any] = field(default_factory=dict)  # PlanSettings, as a document
    options: dict[str, Any] = field(default_factory=dict)  # SolveOptions (seed, gap, time limit, ...), as a document
    currency: str | None = None  # the network file's currency label (money is not converted)
    orders_before_epoch: int = 0  # shipments ordered before the network's epoch (planned all the same)
    bookings: BookingFigures | None = None  # committed legs and the previous plan (None: neither given)

    def to_dict(self) -> dict[str, Any]:
        """The summary.json document (``warm`` only for a warm re-plan)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(status=str(self.status), strategy=str(self.strategy), solver=str(self.solver),
                   counts=dict(self.counts), seconds=dict(self.seconds), reasons=dict(self.reasons),
                   markets={m: dict(vars(v)) for m, v in self.markets.items()},
                   lanes=[dict(vars(e)) for e in self.lanes], nodes=[dict(vars(e)) for e in self.nodes],
                   stock=[dict(vars(e)) for e in self.stock], model=dict(vars(self.model)),
                   bookings=None if self.bookings is None else dict(vars(self.bookings)))
        if self.warm is None:
            del out["warm"]
        else:
            out["warm"] = self.warm.to_dict()
        for key in ("files", "inputs"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
            else:
                del out[key]
        return out

    def text(self) -> str:
        """A short human-readable report of the plan."""
        c = self.counts
        lines = [
            f"status {self.status} ({self.strategy}/{self.solver}{', ' + self.bound_scope if self.heuristic else ''})",
            f"objective {self.objective:,.2f}   lower bound {self.lower_bound:,.2f}   gap {self.gap:.2e} "
            f"(target {self.gap_target:g})",
            f"shipments {sum(c.values()):,}: assigned {c['assigned']:,}, unassigned {c['unassigned']:,}, "
            f"unroutable {c['unroutable']:,}",
        ]
        lines += text_table(["market", "ships", "on-time", "target", "met", "short", "cost", "/kg", "jit", "/pt"], [
            [m, f"{d.shipments:,}", f"{d.on_time_rate:.1%}", "-" if d.target is None else f"{d.target:.0%}",
             "yes" if d.target_met else "NO", f"{d.shortfall:,}", f"{d.cost:,.2f}", f"{d.cost_per_kg:.2f}",
             f"{d.jit_share:.0%}", "-" if d.target_price_per_point is None else f"{d.target_price_per_point:,.2f}"]
            for m, d in self.markets.items()])
        binding = sum(e.shadow_price > 0 for e in self.lanes)
        lines.append(
            f"capacitated lane departures {len(self.lanes)} (binding {binding}), "
            f"node-days {len(self.nodes)} (full {sum(n.parcels >= n.capacity for n in self.nodes)}), "
            f"stock rows {len(self.stock)} (used up "
            f"{sum(e.units is not None and e.units_used >= e.units for e in self.stock)})")
        if self.reasons:
            lines.append("reasons: " + ", ".join(f"{k} {v}" for k, v in self.reasons.items()))
        if (b := self.bookings) is not None:
            parts = [f"{b.committed_shipments:,} committed shipments kept their legs ({b.committed})"] \
                if b.committed else []
            if b.previous:
                parts.append(f"{b.changed:,} changed from the previous plan ({b.previous}; "
                             f"{b.change_penalty:,.2f} each: {b.change_cost:,.2f})")
            lines.append("bookings: " + "; ".join(parts))
        if self.warm is not None:
            w = self.warm
            lines.append(f"warm re-plan: option table {w.table}; {w.repriced:,} shipments re-priced, "
                         f"{w.kept:,} kept their options" + (f"; fell back to {w.fallback}" if w.fallback else ""))
        lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()))
        return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A text table: the first column left-aligned, the others right-aligned, each as wide as its widest
    cell plus two spaces (so that no two figures ever run together)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [f"{r[0]:<{widths[0]}}" + "".join(f"{c:>{w + 2}}" for c, w in zip(r[1:], widths[1:], strict=True))
            for r in [header, *rows]]


class SummaryView:
    """What a plan with a summary (``figures``) offers: its objective, status, the summary as the
    summary.json dict, and the text report."""

    figures: Summary

    @property
    def objective(self) -> float:
        """Σ cost_total over all plan rows (currency)."""
        return float(self.figures.objective)

    @property
    def status(self) -> Status:
        return self.figures.status

    @property
    def summary_data(self) -> dict[str, Any]:
        """The summary.json document as a dict (a new one each time: ~0.5 ms at 100,000 shipments)."""
        return self.figures.to_dict()

    def summary(self) -> str:
        """A short human-readable report of the plan."""
        return self.figures.text()

    def __repr__(self) -> str:
        f = self.figures
        c = f.counts
        return (f"{type(self).__name__}(status={f.status}, objective={f.objective:,.2f}, gap={f.gap:.1e}, "
                f"shipments={sum(c.values()):,}: {c['assigned']:,} assigned, {c['unassigned']:,} unassigned, "
                f"{c['unroutable']:,} unroutable)")

    def _repr_html_(self) -> str:
        """The headline and market tables, for a notebook."""
        f = self.figures
        c = f.counts
        head = [("status", f"{f.status} ({f.strategy}/{f.solver})"), ("objective", f"{f.objective:,.2f}"),
                ("lower bound", f"{f.lower_bound:,.2f}"), ("gap", f"{f.gap:.2e} (target {f.gap_target:g})"),
                ("shipments", f"{sum(c.values()):,}: {c['assigned']:,} assigned, {c['unassigned']:,} unassigned, "
                              f"{c['unroutable']:,} unroutable")]
        markets = [[m, f"{d.shipments:,}", f"{d.on_time_rate:.1%}", "-" if d.target is None else f"{d.target:.0%}",
                    "yes" if d.target_met else "NO", f"{d.cost:,.2f}", f"{d.cost_per_kg:.2f}", f"{d.jit_share:.0%}",
                    "-" if d.target_price_per_point is None else f"{d.target_price_per_point:,.2f}"]
                   for m, d in f.markets.items()]
        return html_table(["", ""], [list(r) for r in head]) + html_table(
            ["market", "shipments", "on time", "target", "met", "cost", "cost/kg", "JIT", "target price/pt"], markets)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """A small HTML table of text cells (escaped), for notebook displays."""
    def cells(tag: str, row: list[str]) -> str:
        return "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in row)
    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>"


def _idle_capacity(network: Network, cand: Candidates, settings: PlanSettings, lanes: list[LaneLoad],
                   nodes: list[NodeLoad]) -> None:
    """Add every capacitated lane departure and node-day of the planning window that no option uses (load 0),
    of the lanes and nodes that are open."""
    if len(cand.order_day) == 0:
        return
    first, last = int(cand.order_day.min()), int(cand.order_day.max()) + settings.horizon_days
    seen_lanes = {(e.lane_id, e.departure_date) for e in lanes}
    seen_nodes = {(e.node, e.date) for e in nodes}
    dates = {d: cand.epoch + dt.timedelta(days=d) for d in range(first, last + 1)}
    closed = {n.id for n in network.nodes if n.closed}
    for lane in network.lanes:
        if lane.capacity_kg_per_departure is None or lane.closed or lane.origin in closed or lane.dest in closed:
            continue  # (a closed lane carries nothing: it has no departures to fill)
        for date in dates.values():
            if lane.departures[date.weekday()] and (lane.id, str(date)) not in seen_lanes:
                lanes.append(LaneLoad(lane.id, str(date), 0.0, float(lane.capacity_kg_per_departure), 0.0))
    for node in network.nodes:
        if node.capacity_parcels_per_day is None or node.closed:
            continue
        for date in dates.values():
            if (node.id, str(date)) not in seen_nodes:
                nodes.append(NodeLoad(node.id, str(date), 0, int(node.capacity_parcels_per_day), 0.0))


def drawn_stock(shipments: Shipments, cand: Candidates, arrays: PlanArrays, node_ids: list[str]) -> list[StockUse]:
    """Planned without an inventory: the units of each sku the plan draws per bonded warehouse."""
    drawn = np.flatnonzero(arrays.bonded_node >= 0)
    if not len(drawn):
        return []
    n_sku = len(shipments.sku_names)  # (a parcel without a sku is its own: its id)
    pair, units = np.unique(arrays.bonded_node[drawn] * n_sku + shipments.sku[drawn], return_inverse=True)
    used = np.bincount(units, weights=cand.data.quantity[drawn])
    names = shipments.sku_names.to_pylist()
    return [StockUse(node_ids[p // n_sku], names[p % n_sku], int(round(u)), None, 0.0)
            for p, u in zip(pair.tolist(), used.tolist(), strict=True)]


def _status(solved: Status, heuristic: bool, timed_out: bool, within_target: bool) -> Status:
    """The plan's status: the solver's, but ``optimal`` for a plan proven within the gap target
    (``within_target``), ``time_limit`` when time cut the enumeration, and ``feasible`` for an optimum
    over fewer options than the rules allow (a waiting window, a leg limit, budgets)."""
    if timed_out and solved in (Status.OPTIMAL, Status.FEASIBLE):
        return Status.TIME_LIMIT
    if solved == Status.FEASIBLE and within_target:
        solved = Status.OPTIMAL
    elif solved == Status.OPTIMAL and not within_target:  # a solver's own measure of done is not ours
        solved = Status.FEASIBLE
    return Status.FEASIBLE if heuristic and solved == Status.OPTIMAL else solved


def build_summary(network: Network, shipments: Shipments, inventory: Inventory | None, settings: PlanSettings,
                  options: SolveOptions, cand: Candidates, model: Model, solution: Solution, arrays: PlanArrays,
                  seconds: dict[str, float], warm: WarmReport | None, bookings: Bookings | None = None) -> Summary:
    """The summary of a plan (``arrays``: what the plan table holds per shipment)."""
    status, on_time, cost_total, channel = arrays.status, arrays.on_time, arrays.cost_total, arrays.channel
    n_x = model.n_x
    values = solution.values
    objective = float(cost_total.sum())
    shortfall_cost = model.shortfall_cost(values)  # in the model's objective, not the plan's
    # a bound on the model's objective less this plan's shortfall penalties bounds the cost of any plan
    # short by no more than this one; a bound over every plan (plan_bound) may be the stronger
    floor = -np.inf if solution.plan_bound is None else solution.plan_bound
    lower = min(max(solution.model_bound - shortfall_cost, floor), objective)
    lp_bound = None if solution.lp_objective is None else \
        min(max(solution.lp_objective - shortfall_cost, floor), objective)
    gap = (objective - lower) / max(1.0, abs(objective))
    assigned = status == ASSIGNED
    routable = status != UNROUTABLE
    markets: dict[str, MarketFigures] = {}
    dest = shipments.destination
    n_nodes = len(network.nodes)

    def per_market(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(dest[mask], weights=None if weights is None else weights[mask], minlength=n_nodes)

    everyone = np.ones(len(dest), dtype=bool)
    count, ships_m = per_market(everyone), per_market(routable)
    on_m, assigned_m = per_market(assigned & on_time), per_market(assigned)
    kg_m, cost_m = per_market(assigned, shipments.weight_kg), per_market(everyone, cost_total)
    jit_m = per_market(assigned & (channel == JIT))
    mu = np.zeros(len(model.target_markets)) if solution.duals is None else \
        np.maximum(0.0, solution.duals[model.target_row0:])
    target_price = dict(zip(model.target_markets.tolist(), mu.tolist(), strict=True))
    for m, node in enumerate(network.nodes):
        if node.kind != "market" or not count[m]:
            continue
        ships, on, n_assigned = int(ships_m[m]), int(on_m[m]), int(assigned_m[m])
        kg, cost = float(kg_m[m]), float(cost_m[m])
        target = node.on_time_target
        need = math.ceil(target * ships - 1e-9) if target is not None else 0
        price = None if target is None else round(target_price.get(m, 0.0), 4) + 0.0
        markets[node.id] = MarketFigures(
            shipments=ships, on_time_rate=on / ships if ships else 0.0, target=target, target_met=on >= need,
            shortfall=max(0, need - on), cost=cost, cost_per_kg=cost / kg if kg > 0 else 0.0,
            jit_share=float(jit_m[m]) / n_assigned if n_assigned else 0.0, target_price=price,
            target_price_per_point=None if price is None else float(to_cent(np.array(price * ships / 100))))
    load = model.res_load(values)  # committed shipments' use included
    load = np.where(np.abs(load) < 1e-12, 0.0, load)
    price = np.zeros(len(model.res_keys)) if solution.duals is None else \
        -solution.duals[model.res_row0:model.target_row0]
    price = np.where(np.abs(price) < 1e-12, 0.0, price)
    kind, ident, val = unpack_key(model.res_keys)
    day_names = {d: str(cand.epoch + dt.timedelta(days=d)) for d in np.unique(val[kind != RES_STOCK]).tolist()}
    sku_names = shipments.sku_names.to_pylist() if inventory is not None else []
    lane_ids, node_ids = [ln.id for ln in network.lanes], [nd.id for nd in network.nodes]

    def rows_of(k: int, names: list[str]) -> zip:
        r = np.flatnonzero(kind == k)
        return zip([names[i] for i in ident[r].tolist()], val[r].tolist(), load[r].tolist(),
                   model.res_limit[r].tolist(), (price[r] + 0.0).tolist(), strict=True)

    lanes = [LaneLoad(i, day_names[d], ld, float(cap), p) for i, d, ld, cap, p in rows_of(RES_LANE, lane_ids)]
    nodes = [NodeLoad(i, day_names[d], int(round(ld)), int(cap), p)
             for i, d, ld, cap, p in rows_of(RES_NODE, node_ids)]
    stock = [StockUse(i, sku_names[d], int(round(ld)), int(cap), p)
             for i, d, ld, cap, p in rows_of(RES_STOCK, node_ids)] if inventory is not None else \
        drawn_stock(shipments, cand, arrays, node_ids)
    _idle_capacity(network, cand, settings, lanes, nodes)
    lanes.sort(key=lambda e: (e.lane_id, e.departure_date))
    nodes.sort(key=lambda e: (e.node, e.date))
    stock.sort(key=lambda e: (e.node, e.sku))
    labels, label_counts = np.unique(arrays.reason.astype(str), return_counts=True)
    by_status = np.bincount(status, minlength=len(STATUS_NAMES))
    cut = cand.table.enumeration
    narrowed = ["candidates within the enumeration budgets" if not cut.complete else "",
                f"routes up to {settings.max_legs} legs" if cut.legs_capped else "",
                "waiting window" if settings.waiting_days is not None and settings.waiting_days < settings.horizon_days
                else ""]
    scope = ", ".join(n for n in narrowed if n)
    heuristic = bool(scope)
    return Summary(
        status=_status(solution.status, heuristic, cut.timed_out,
                       proven_within(objective, lower, objective, options.gap)),
        objective=objective, lower_bound=lower, gap=gap, gap_target=options.gap, lp_bound=lp_bound,
        unassigned_penalty=model.unassigned_penalty,
        counts={name: int(c) for name, c in zip(STATUS_NAMES, by_status.tolist(), strict=True)},
        seconds=dict(seconds), markets=markets, lanes=tuple(lanes), nodes=tuple(nodes), stock=tuple(stock),
        reasons={str(k): int(c) for k, c in zip(labels, label_counts, strict=True)},
        epoch=str(cand.epoch), horizon_days=settings.horizon_days, waiting_days=settings.waiting_days,
        max_legs=settings.max_legs, heuristic=heuristic, bound_scope=scope or "full horizon",
        enumeration=cut.to_dict(),
        strategy=solution.strategy, bound_method=solution.bound_method, solver=options.solver, warm=warm,
        model=ModelSize(columns=model.n_cols, rows=model.n_rows, nonzeros=int(model.A.nnz), options=n_x,
                        routes=cand.stats.routes, dominated_options=cand.stats.pruned_options),
        settings=as_document(settings), options=as_document(options), currency=network.currency,
        orders_before_epoch=int((cand.order_day < 0).sum()), bookings=_booking_figures(cand, arrays, bookings))


def _booking_figures(cand: Candidates, arrays: PlanArrays, bookings: Bookings | None) -> BookingFigures | None:
    if bookings is None or bookings.empty or cand.booked is None:
        return None
    return BookingFigures(
        committed=None if bookings.committed is None else bookings.committed.source,
        committed_shipments=int(cand.booked.is_committed.sum()),
        previous=None if bookings.previous is None else bookings.previous.source,
        change_penalty=bookings.change_penalty, changed=int(arrays.changed.sum()),
        change_cost=float(to_cent(np.array(arrays.cost_change.sum()))))


def as_document(obj: Any) -> Any:
    """A settings or options object as JSON-ready data: dataclasses as dicts, enums as their names,
    tuples as lists, non-finite numbers as text."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_document(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, enum.Enum):
        return str(obj.value)
    if isinstance(obj, (list, tuple)):
        return [as_document(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): as_document(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj
