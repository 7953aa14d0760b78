"""The report's charts, one function per chart, each taking :class:`~routing.report.report_data.ReportData`
and returning a new :class:`matplotlib.figure.Figure` (no pyplot, no global state: safe in a notebook or a
server). :func:`figures` gives them all by name, from a Result, a plan directory or report data::

    from routing.report.charts import figures
    figs = figures("out/example")          # or figures(result), or result.charts()
    figs["lanes"].savefig("lanes.png", dpi=150)

Every chart draws what the plan's files hold and says so in its title when a part is left out (lanes
or nodes past :data:`MAX_ROWS`, nodes without lat/lon, a network no longer at hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator

from .report_data import ReportData

MAX_ROWS = 60  # heatmap rows (lanes, nodes) drawn at most: the busiest, by peak share then binding days
COMPONENTS = ("transport", "handling", "storage", "duty", "penalty")  # the cost columns, cost_<component>
KIND_COLOURS = {"factory": "#8c8c8c", "hub": "#1f77b4", "gateway": "#9467bd", "bonded": "#ff7f0e",
                "market": "#2ca02c"}
MODE_COLOURS = {"truck": "#7f7f7f", "rail": "#8c564b", "sea": "#17becf", "air": "#d62728", "express": "#e377c2",
                "last_mile": "#2ca02c"}
CHANNEL_COLOURS = {"jit": "#4c72b0", "bonded": "#dd8452", "unassigned": "#c44e52"}
SHARE_CMAP = "YlOrRd"
LABELLED = ("bonded", "market")  # node kinds named on the flow map (the others crowd it)
WIDTH_MIN, WIDTH_MAX = 0.4, 9.0  # flow map line widths (points) of the least and most used lane pairs


def _note(fig: Figure, text: str) -> Figure:
    """``fig`` with one axes holding only ``text`` (a chart with nothing to draw still answers why)."""
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11, color="#555555")
    ax.set_axis_off()
    return fig


def _markets(data: ReportData) -> list[tuple[str, dict[str, Any]]]:
    return list(data.summary.get("markets", {}).items())


def markets_chart(data: ReportData) -> Figure:
    """Per market: cost per kg, on-time rate against the target (red: missed), and channel mix (JIT vs
    bonded share of assigned parcels)."""
    markets = _markets(data)
    fig = Figure(figsize=(12, 1.6 + 0.32 * max(len(markets), 3)), layout="constrained")
    if not markets:
        return _note(fig, "no market has shipments")
    names = [m for m, _ in markets]
    y = np.arange(len(names))
    cost, on_time, share = fig.subplots(1, 3, sharey=True)
    cost.barh(y, [d["cost_per_kg"] for _, d in markets], color="#4c72b0")
    cost.set_yticks(y, names)
    cost.invert_yaxis()
    cost.set_xlabel("cost per kg assigned (currency)")
    cost.set_title("cost per kg")
    colours = ["#9e9e9e" if d.get("target") is None else ("#55a868" if d.get("target_met") else "#c44e52")
               for _, d in markets]
    on_time.barh(y, [100 * d["on_time_rate"] for _, d in markets], color=colours)
    targets = [(i, 100 * d["target"]) for i, (_, d) in enumerate(markets) if d.get("target") is not None]
    if targets:
        on_time.scatter([t for _, t in targets], [i for i, _ in targets], marker="|", s=260, linewidths=2.5,
                        color="black", zorder=3)
    on_time.set_xlim(0, 100)
    on_time.set_xlabel("on time (% of shipments)")
    on_time.set_title("on time vs target")
    handles = [Patch(color="#55a868", label="target met"), Patch(color="#c44e52", label="target missed"),
               Patch(color="#9e9e9e", label="no target"),
               Line2D([], [], color="black", marker="|", linestyle="", markersize=12, label="target")]
    jit = np.array([100 * d["jit_share"] for _, d in markets])
    assigned = np.array([d["shipments"] > 0 for _, d in markets])
    share.barh(y, np.where(assigned, jit, 0), color=CHANNEL_COLOURS["jit"])
    share.barh(y, np.where(assigned, 100 - jit, 0), left=jit, color=CHANNEL_COLOURS["bonded"])
    share.set_xlim(0, 100)
    share.set_xlabel("share of assigned parcels (%)")
    share.set_title("channel mix")
    handles += [Patch(color=CHANNEL_COLOURS[c], label=label) for c, label in (("jit", "JIT"), ("bonded", "bonded"))]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
    return fig


def cost_components(data: ReportData) -> dict[str, dict[str, float]]:
    """Σ of each cost column (``COMPONENTS``) by channel of the shipment: jit, bonded, and unassigned (its
    penalty); unroutable shipments cost nothing."""
    plan = data.plan
    group = pc.if_else(pc.equal(plan.column("status"), "assigned"), plan.column("channel"), plan.column("status"))
    out: dict[str, dict[str, float]] = {}
    for channel in ("jit", "bonded", "unassigned"):
        mask = pc.fill_null(pc.equal(group, channel), False)
        out[channel] = {c: float(pc.sum(pc.filter(plan.column(f"cost_{c}"), mask)).as_py() or 0.0)
                        for c in COMPONENTS}
    return out


def costs_chart(data: ReportData) -> Figure:
    """The plan's cost by component (transport, handling, storage, duty, penalty), each bar split by
    channel (JIT, bonded, unassigned penalties)."""
    parts = cost_components(data)
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(COMPONENTS))
    left = np.zeros(len(COMPONENTS))
    for channel, values in parts.items():
        widths = np.array([values[c] for c in COMPONENTS])
        if widths.any():
            ax.barh(y, widths, left=left, color=CHANNEL_COLOURS[channel], label=channel)
        left += widths
    total = float(left.sum())
    for i, v in enumerate(left):
        ax.annotate(f"{v:,.0f} ({v / total:.0%})" if total else f"{v:,.0f}", (v, i), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, COMPONENTS)
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(left.max()), 1.0) * 1.18)
    ax.set_xlabel("cost (currency)")
    objective = data.summary.get("objective")
    ax.set_title(f"cost by component: the plan's cost columns summed, {total:,.2f}"
                 + (f" (objective {objective:,.2f}; rows are to the cent)" if objective is not None else ""))
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)
    return fig


def _date_axis(dates: list[dt.date]) -> list[str]:
    return [d.strftime("%a %d %b") for d in dates]


def _heatmap(fig: Figure, table: pa.Table, row_key: str, date_key: str, row_label: Callable[[str], str],
             what: str, unit: str) -> Figure:
    """A heatmap of ``share`` (capped at 1) by row × date over ``table``, binding cells dotted; the
    :data:`MAX_ROWS` busiest rows when there are more."""
    rows_all = table.column(row_key).to_pylist()
    dates_all = table.column(date_key).to_pylist()
    share = np.nan_to_num(table.column("share").to_numpy(zero_copy_only=False).astype(float), nan=0.0, posinf=1.0)
    binding = np.asarray(table.column("binding").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    names = sorted(set(rows_all))
    peak: dict[str, float] = {}
    tight: dict[str, int] = {}
    for r, s, b in zip(rows_all, share, binding, strict=True):
        peak[r] = max(peak.get(r, 0.0), s)
        tight[r] = tight.get(r, 0) + int(b)
    shown = names
    if len(names) > MAX_ROWS:
        busiest = sorted(names, key=lambda r: (-peak[r], -tight[r], r))[:MAX_ROWS]
        shown = sorted(busiest)
    first, last = min(dates_all), max(dates_all)
    dates = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    row_at = {r: i for i, r in enumerate(shown)}
    grid = np.full((len(shown), len(dates)), np.nan)
    dots = []
    for r, d, s, b in zip(rows_all, dates_all, share, binding, strict=True):
        i = row_at.get(r)
        if i is not None:
            grid[i, (d - first).days] = min(s, 1.0)
            if b:
                dots.append((i, (d - first).days))
    fig.set_size_inches(12, 1.6 + 0.2 * len(shown) + 0.06 * max(len(names[0]) if names else 0, 12))
    ax = fig.add_subplot()
    ax.set_facecolor("#eeeeee")
    mesh = ax.pcolormesh(np.ma.masked_invalid(grid), cmap=SHARE_CMAP, norm=Normalize(0, 1), edgecolors="white",
                         linewidth=0.5)
    if dots:
        ax.scatter([j + 0.5 for _, j in dots], [i + 0.5 for i, _ in dots], s=9, color="white", edgecolors="black",
                   linewidths=0.6, marker="o")
    ax.set_yticks(np.arange(len(shown)) + 0.5, [row_label(r) for r in shown], fontsize=7)
    ax.set_xticks(np.arange(len(dates)) + 0.5, _date_axis(dates), rotation=90, fontsize=7)
    ax.set_ylim(len(shown), 0)
    more = f" (the {len(shown)} busiest of {len(names)})" if len(shown) < len(names) else ""
    ax.set_title(f"{what}: share of capacity used{more}\ndot: binding (full, or priced); grey: no {unit}",
                 fontsize=10)
    fig.colorbar(mesh, ax=ax, label="share used (1 = full)", fraction=0.03, pad=0.01)
    return fig


def lanes_chart(data: ReportData) -> Figure:
    """Departure utilisation: a heatmap of capacitated lane × departure date, the share of the capacity
    (kg) the plan uses, binding departures dotted."""
    fig = Figure(layout="constrained")
    if data.lanes.num_rows == 0:
        fig.set_size_inches(12, 1.5)
        return _note(fig, "no lane has a capacity per departure")
    modes = dict(zip(data.lanes.column("lane_id").to_pylist(), data.lanes.column("mode").to_pylist(), strict=True))
    return _heatmap(fig, data.lanes, "lane_id", "departure_date", lambda r: f"{r} ({modes[r]})",
                    "capacitated lane departures", "capacitated departure that day")


def nodes_chart(data: ReportData) -> Figure:
    """Node-day utilisation: a heatmap of capacitated node × day, the share of the parcels per day the plan
    counts there, binding days dotted."""
    fig = Figure(layout="constrained")
    if data.nodes.num_rows == 0:
        fig.set_size_inches(12, 1.5)
        return _note(fig, "no node has a capacity per day")
    kinds = dict(zip(data.nodes.column("node").to_pylist(), data.nodes.column("kind").to_pylist(), strict=True))
    return _heatmap(fig, data.nodes, "node", "date", lambda r: f"{r} ({kinds[r]})", "capacitated node-days",
                    "capacity counted that day")


def stock_by_warehouse(data: ReportData) -> list[dict[str, Any]]:
    """Per bonded warehouse in the stock table: units on hand (None when planned without an inventory),
    units drawn, skus, skus used up (binding)."""
    stock = data.stock
    if stock.num_rows == 0:
        return []
    grouped = stock.group_by("node").aggregate([("units", "sum"), ("units", "count"), ("used_units", "sum"),
                                               ("sku", "count"), ("binding", "sum")])
    out = []
    for row in grouped.sort_by("node").to_pylist():
        out.append({"node": row["node"], "units": row["units_sum"] if row["units_count"] else None,
                    "used": row["used_units_sum"] or 0.0, "skus": row["sku_count"],
                    "used_up": int(row["binding_sum"] or 0)})
    return out


def stock_chart(data: ReportData) -> Figure:
    """Stock per bonded warehouse: units drawn against units on hand (all skus together, skus used up
    named); planned without an inventory, the units the plan draws — what to forward-position."""
    rows = stock_by_warehouse(data)
    fig = Figure(figsize=(12, 1.4 + 0.36 * max(len(rows), 3)), layout="constrained")
    if not rows:
        return _note(fig, "no bonded stock in this plan (no inventory, and no parcel drawn from a bonded warehouse)")
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    known = all(r["units"] is not None for r in rows)
    if known:
        ax.barh(y, [r["units"] for r in rows], color="#d9d9d9", label="units on hand")
    ax.barh(y, [r["used"] for r in rows], height=0.5 if known else 0.8, color=CHANNEL_COLOURS["bonded"],
            label="units drawn")
    for i, r in enumerate(rows):
        end = r["units"] if known else r["used"]
        text = (f"{r['used'] / r['units']:.0%} drawn; {r['used_up']} of {r['skus']} skus used up"
                if known and r["units"] else f"{r['used']:,.0f} units of {r['skus']} skus")
        ax.annotate(text, (end, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, [r["node"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, max(max((r["units"] if known else r["used"]) for r in rows), 1.0) * 1.4)
    ax.set_xlabel("units (all skus)")
    ax.set_title("stock used vs on hand per bonded warehouse" if known else
                 "units drawn per bonded warehouse (planned without an inventory: what to forward-position)")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig


def flows(data: ReportData, weight: str = "parcels") -> pa.Table:
    """The legs summed per (from, to) node pair: ``parcels`` (legs) and ``kg`` (chargeable), the lane mode
    that carries most parcels on the pair (``mode``: needs the network, else null), sorted by ``weight``
    descending."""
    legs = data.legs
    grouped = legs.group_by(["from", "to", "lane_id"]).aggregate([("shipment_id", "count"), ("chargeable_kg", "sum")])
    mode_of = {ln.id: ln.mode for ln in data.network.lanes} if data.network is not None else {}
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in grouped.to_pylist():
        entry = pairs.setdefault((row["from"], row["to"]), {"parcels": 0, "kg": 0.0, "modes": {}})
        entry["parcels"] += row["shipment_id_count"]
        entry["kg"] += row["chargeable_kg_sum"] or 0.0
        mode = mode_of.get(row["lane_id"])
        if mode is not None:
            entry["modes"][mode] = entry["modes"].get(mode, 0) + row["shipment_id_count"]
    items = sorted(pairs.items(), key=lambda kv: (-kv[1][weight], kv[0]))
    return pa.table({
        "from": pa.array([k[0] for k, _ in items], pa.string()),
        "to": pa.array([k[1] for k, _ in items], pa.string()),
        "parcels": pa.array([v["parcels"] for _, v in items], pa.int64()),
        "kg": pa.array([v["kg"] for _, v in items], pa.float64()),
        "mode": pa.array([max(v["modes"], key=v["modes"].get) if v["modes"] else None for _, v in items],
                         pa.string()),
    })


def _wrapped(x1: float, y1: float, x2: float, y2: float) -> list[list[tuple[float, float]]]:
    """The segment from (x1, y1) to (x2, y2) on a lon/lat plane, across the ±180° meridian when that is
    shorter: then two copies, each clipped by the axes at one edge."""
    if abs(x2 - x1) <= 180:
        return [[(x1, y1), (x2, y2)]]
    shift = 360.0 if x2 < x1 else -360.0
    return [[(x1, y1), (x2 + shift, y2)], [(x1 - shift, y1), (x2, y2)]]


def flow_map(data: ReportData, weight: str = "parcels") -> Figure:
    """The flow map: nodes at their lon/lat (colour by kind), a line per (from, to) pair the legs use,
    width by ``weight`` (``parcels`` or ``kg``), colour by the mode carrying most of it. Nodes without
    lat/lon, and the pairs touching them, are left out and counted in the title."""
    if weight not in ("parcels", "kg"):
        raise ValueError(f"weight must be 'parcels' or 'kg', got {weight!r}")
    fig = Figure(figsize=(12, 5.6), layout="constrained")
    net = data.network
    if net is None:
        return _note(fig, f"no flow map: the network is not at hand ({data.network_note})")
    placed = {n.id: (n.lon, n.lat) for n in net.nodes if n.lat is not None and n.lon is not None}
    unplaced = [n.id for n in net.nodes if n.id not in placed]
    if not placed:
        return _note(fig, "no flow map: no node of the network has lat/lon")
    table = flows(data, weight)
    values = table.column(weight).to_numpy().astype(float)
    top = float(values.max()) if len(values) else 0.0
    segments, widths, colours = [], [], []
    skipped = 0
    for a, b, v, mode in zip(table.column("from").to_pylist(), table.column("to").to_pylist(), values,
                             table.column("mode").to_pylist(), strict=True):
        if a not in placed or b not in placed:
            skipped += 1
            continue
        for seg in _wrapped(*placed[a], *placed[b]):
            segments.append(seg)
            widths.append(WIDTH_MIN + (WIDTH_MAX - WIDTH_MIN) * (v / top if top else 0.0))
            colours.append(MODE_COLOURS.get(mode or "", "#555555"))
    ax = fig.add_subplot()
    order = np.argsort(widths)[::-1] if widths else []  # thick lines first: thin ones stay visible on top
    ax.add_collection(LineCollection([segments[i] for i in order], linewidths=[widths[i] for i in order],
                                     colors=[colours[i] for i in order], alpha=0.55, capstyle="round", zorder=1))
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for n in net.nodes:
        if n.id in placed:
            by_kind.setdefault(n.kind, []).append(placed[n.id])
    for kind, points in by_kind.items():
        xs, ys = zip(*points, strict=True)
        ax.scatter(xs, ys, s=14 if kind == "factory" else 26, color=KIND_COLOURS.get(kind, "#333333"),
                   edgecolors="white", linewidths=0.5, zorder=3, label=kind)
    for n in net.nodes:
        if n.id in placed and n.kind in LABELLED:
            ax.annotate(n.id, placed[n.id], xytext=(3, 2), textcoords="offset points", fontsize=5.5,
                        color="#333333", zorder=4)
    lons, lats = [p[0] for p in placed.values()], [p[1] for p in placed.values()]
    x0, x1 = max(-180.0, min(lons) - 12), min(180.0, max(lons) + 12)
    y0, y1 = max(-90.0, min(lats) - 6), min(90.0, max(lats) + 6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    fig.set_size_inches(12, min(9.0, max(3.6, 1.2 + 10.5 * (y1 - y0) / (x1 - x0))))
    ax.set_aspect("equal")
    ax.xaxis.set_major_locator(MultipleLocator(30))
    ax.grid(color="#dddddd", linewidth=0.5)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    kinds = ax.legend(loc="lower left", fontsize=7, title="node", title_fontsize=7, framealpha=0.9)
    ax.add_artist(kinds)
    used_modes = [m for m in MODE_COLOURS if m in set(table.column("mode").to_pylist())]
    scale = [Line2D([], [], color="#555555", linewidth=WIDTH_MIN + (WIDTH_MAX - WIDTH_MIN) * f,
                    label=f"{top * f:,.0f} {weight}") for f in (1.0, 0.5, 0.1)] if top else []
    ax.legend(handles=[Line2D([], [], color=MODE_COLOURS[m], linewidth=3, label=m) for m in used_modes] + scale,
              loc="lower right", fontsize=7, title="main mode; width", title_fontsize=7, framealpha=0.9)
    left_out = []
    if unplaced:
        left_out.append(f"{len(unplaced)} node{'s' if len(unplaced) > 1 else ''} without lat/lon not drawn "
                        f"({', '.join(unplaced[:5])}{', …' if len(unplaced) > 5 else ''})")
    if skipped:
        left_out.append(f"{skipped} node pair{'s' if skipped > 1 else ''} touching them left out")
    title = f"flows: {len(table)} node pairs used, line width by {weight}"
    ax.set_title(title + ("\n" + "; ".join(left_out) if left_out else ""), fontsize=10)
    return fig


# name -> (section heading, chart function); the HTML report shows them in this order
CHARTS: dict[str, tuple[str, Callable[[ReportData], Figure]]] = {
    "markets": ("Markets", markets_chart),
    "costs": ("Cost by component", costs_chart),
    "lanes": ("Lane departures", lanes_chart),
    "nodes": ("Node-days", nodes_chart),
    "stock": ("Bonded stock", stock_chart),
    "flows": ("Flows", flow_map),
}


def figures(source: Any) -> dict[str, Figure]:
    """Every chart of the report by name (``markets``, ``costs``, ``lanes``, ``nodes``, ``stock``,
    ``flows``) for ``source``: a Result, a plan directory (path or
    :class:`~routing.report.plan_dir.PlanDir`) or :class:`ReportData`."""
    data = ReportData.of(source)
    return {name: chart(data) for name, (_, chart) in CHARTS.items()}
