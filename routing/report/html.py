"""The HTML report of a plan (``routing report``, ``routing plan --report``): one self-contained file,
rendered by a Jinja2 template shipped in the package (``templates/report.html.j2``) with the charts of
:mod:`routing.report.charts` inlined as SVG. Nothing in it refers to anything outside the file — no
script, no stylesheet, font or image to fetch — so it opens offline and sends no request."""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup
from matplotlib.figure import Figure

from ..data.tables import atomic_write_bytes
from ..errors import InputError
from .charts import CHARTS, COMPONENTS, cost_components, flows, stock_by_warehouse
from .report_data import ReportData

TOP = 20  # rows of each binding table and of the flow table
EXAMPLES = 5  # shipment ids shown per reason
TEMPLATE = "report.html.j2"
SVG_RC = {"svg.fonttype": "none", "svg.image_inline": True}  # text stays text: the page's fonts, no glyph paths
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}  # same plan, same bytes
# what each reason code means (docs/outputs.md#reason-codes), shown beside its count
REASONS = {
    "no_route": "no route of either kind from the origin to the destination",
    "no_jit_route": "the shipment must go JIT and no JIT route exists",
    "no_bonded_route": "the shipment must go bonded and no bonded route exists",
    "sku_not_stocked": "every path is through a bonded warehouse that holds none of its sku",
    "no_departure_in_horizon": "no path can depart on every leg within the horizon",
    "penalty_cheaper": "every path costs at least the unassigned penalty",
    "lane_capacity": "every path cheaper than the penalty would overfill a lane departure",
    "node_capacity": "every path cheaper than the penalty would overfill a node-day",
    "stock_exhausted": "every path cheaper than the penalty would need stock the warehouse no longer has",
    "capacity": "every path cheaper than the penalty would overfill some limit (of more than one kind)",
    "enumeration_cut": "enumeration stopped before reaching the shipment's order group",
    "not_selected": "a path would still fit: the plan is within its gap, not proven optimal",
}


def chart_svg(fig: Figure, name: str, title: str) -> str:
    """``fig`` as an ``<svg>`` element to inline in a page: no XML prolog or metadata, the root with id
    ``chart-<name>`` and every id inside prefixed by ``<name>-`` (several charts in one page), the
    stylesheet matplotlib puts in it scoped to it, sized by the page."""
    buf = io.StringIO()
    with matplotlib.rc_context({**SVG_RC, "svg.hashsalt": name}):
        fig.savefig(buf, format="svg", metadata=NO_METADATA)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'\b((?:xlink:)?href)="#', rf'\1="#{name}-', text)
    text = text.replace("url(#", f"url(#{name}-")
    text = text.replace('<style type="text/css">*{', f'<style type="text/css">#chart-{name} *{{', 1)
    root_end = text.index(">")
    root = re.sub(r'\s(width|height)="[^"]*"', "", text[:root_end])
    label = str(Markup.escape(title))
    return f'{root} id="chart-{name}" class="chart" role="img" aria-label="{label}"{text[root_end:]}'.strip()


def _rows(table: pa.Table, columns: list[str]) -> list[dict[str, Any]]:
    return table.select(columns).to_pylist()


def _binding(table: pa.Table, columns: list[str]) -> tuple[list[dict[str, Any]], int]:
    """The binding rows of a capacity table, highest shadow price first (then fullest), the first :data:`TOP`,
    and how many bind in all."""
    bound = table.filter(pc.fill_null(table.column("binding"), False))
    ranked = bound.sort_by([("shadow_price", "descending"), ("share", "descending")])
    return _rows(ranked.slice(0, TOP), columns), bound.num_rows


def _reasons(plan: pa.Table) -> list[dict[str, Any]]:
    """Per (status, reason) of the shipments left out: how many, what the code means, the first ids."""
    out = plan.filter(pc.not_equal(plan.column("status"), "assigned"))
    if out.num_rows == 0:
        return []
    counts = out.group_by(["status", "reason"]).aggregate([("shipment_id", "count")])
    rows = []
    for row in sorted(counts.to_pylist(), key=lambda r: (r["status"], -r["shipment_id_count"], r["reason"] or "")):
        reason = row["reason"]
        mask = pc.and_(pc.equal(out.column("status"), row["status"]),
                       pc.is_null(out.column("reason")) if reason is None else pc.equal(out.column("reason"), reason))
        ids = out.filter(mask).column("shipment_id").slice(0, EXAMPLES).to_pylist()
        rows.append({"status": row["status"], "reason": reason or "", "count": row["shipment_id_count"],
                     "meaning": REASONS.get(reason or "", ""), "examples": ids})
    return rows


def _headline(data: ReportData) -> dict[str, Any]:
    s = data.summary
    plan = data.plan
    counts = s.get("counts") or {k: int(pc.sum(pc.equal(plan.column("status"), k)).as_py() or 0)
                                 for k in ("assigned", "unassigned", "unroutable")}
    assigned = counts.get("assigned", 0)
    on_time = int(pc.sum(pc.fill_null(plan.column("on_time"), False).cast(pa.int64())).as_py() or 0)
    return {"counts": counts, "total": sum(counts.values()), "on_time": on_time,
            "on_time_share": on_time / assigned if assigned else None,
            "jit": int(pc.sum(pc.equal(plan.column("channel"), "jit").cast(pa.int64())).as_py() or 0)}


def context(data: ReportData) -> dict[str, Any]:
    """What the template is rendered with: the summary, the figures worked out from the tables, and the
    charts as inline SVG by name."""
    charts = {}
    for name, (title, chart) in CHARTS.items():
        charts[name] = Markup(chart_svg(chart(data), name, title))
    lanes, nodes, stock = data.lanes, data.nodes, data.stock
    lane_rows, lanes_binding = _binding(lanes, ["lane_id", "from", "to", "mode", "departure_date", "capacity_kg",
                                                "used_kg", "share", "shadow_price"])
    node_rows, nodes_binding = _binding(nodes, ["node", "kind", "date", "capacity_parcels", "used_parcels", "share",
                                                "shadow_price"])
    stock_rows, stock_binding = _binding(stock, ["node", "sku", "units", "used_units", "share", "shadow_price"])
    markets = data.summary.get("markets", {})
    flow_table = flows(data)
    return {
        "source": data.source,
        "s": data.summary,
        "headline": _headline(data),
        "markets": markets,
        "targets": {m: d for m, d in markets.items() if d.get("target") is not None},
        "components": COMPONENTS,
        "costs": cost_components(data),
        "charts": charts,
        "capacity": {
            "lanes": {"rows": lanes.num_rows, "lanes": pc.count_distinct(lanes.column("lane_id")).as_py(),
                      "binding": lanes_binding, "top": lane_rows},
            "nodes": {"rows": nodes.num_rows, "nodes": pc.count_distinct(nodes.column("node")).as_py(),
                      "binding": nodes_binding, "top": node_rows},
            "stock": {"rows": stock.num_rows, "binding": stock_binding, "top": stock_rows,
                      "inventory": stock.num_rows > 0 and stock.column("units").null_count < stock.num_rows},
        },
        "warehouses": stock_by_warehouse(data),
        "flows": {"pairs": flow_table.num_rows, "top": flow_table.slice(0, TOP).to_pylist(),
                  "legs": data.legs.num_rows},
        "network_note": data.network_note,
        "reasons": _reasons(data.plan),
        "top": TOP,
    }


def _number(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update({
        "money": lambda v: _number(v, ",.2f"),
        "int": lambda v: _number(None if v is None else int(v), ","),
        "num": lambda v: _number(v, ",.1f"),
        "price": lambda v: _number(v, ",.4f"),
        "pct": lambda v, d=1: _number(None if v is None else 100 * v, f".{d}f") + ("%" if v is not None else ""),
        "sci": lambda v: _number(v, ".2e"),
    })
    return env


def render_report(data: ReportData) -> str:
    """The report of ``data`` as one HTML document (a string)."""
    template = resources.files("routing.report").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    return _environment().from_string(template).render(**context(data))


def report_path(plan_dir: str | Path, out: str | Path | None) -> Path:
    """Where the report of ``plan_dir`` goes: ``out``, or ``plan_dir/report.html``; :class:`InputError` if
    ``out`` is a directory or its directory does not exist."""
    path = Path(out) if out is not None else Path(plan_dir) / "report.html"
    if out is not None:
        if str(out) == "" or path.is_dir():
            raise InputError(str(out), None, "must name a file to write the report to, not a directory")
        if not path.parent.is_dir():
            raise InputError(str(out), None, f"cannot be written: {path.parent} is not a directory")
    return path


def write_report(data: ReportData, path: str | Path) -> int:
    """Render the report of ``data`` and write it to ``path`` atomically (a temporary file renamed into
    place); returns its size in bytes."""
    encoded = render_report(data).encode("utf-8")
    atomic_write_bytes(Path(path), lambda tmp: tmp.write_bytes(encoded))
    return len(encoded)
