"""Why a shipment took its path (``Result.explain``, ``routing explain``): the chosen option with its
cost components and dates, and the best few alternatives with their cost difference and the reason
each lost (docs/explain.md).

The shipment's options are enumerated again on the plan's inputs and settings — every path and
departure of every kind, whatever its channel restriction or the warehouse's stock, so that an
option the rules exclude can be named with its reason — and each is held against the written plan:
its lanes, nodes and stock tables (load, capacity, shadow price) and the markets' target prices. A
reason is a fact about the plan that a reader can check: a "full" departure cannot take the parcel
on top of the plan's load (the parcel's own use taken off), a "late" option is late.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..candidates.candidates import make_candidates
from ..candidates.keys import RES_LANE, RES_NODE, unpack_key
from ..candidates.option_table import build_option_table
from ..candidates.pricing import PricedOptions, slot_costs
from ..candidates.shipment_data import shipment_data
from ..data.bookings import Bookings, load_booked_legs
from ..data.network import Network
from ..data.shipments import CHANNEL_ANY, CHANNEL_BONDED, CHANNEL_JIT, Inventory, Shipments
from ..errors import InputError
from ..settings import PlanSettings
from .plan_dir import PlanDir
from .plan_tables import legs_table, option_costs

COMPONENTS = ("transport", "handling", "storage", "duty", "penalty")
TOLERANCE = 0.005  # currency: costs this close count as equal (the plan is written to the cent)

# reason codes of an alternative, in the order they are looked for (docs/explain.md)
CHANNEL, NOT_STOCKED, NO_STOCK = "channel", "not_stocked", "no_stock"
FULL_DEPARTURE, FULL_NODE_DAY = "full_departure", "full_node_day"
LATE_TARGET, DUTY, DEARER = "late_target", "duty", "dearer"
PENALTY_CHEAPER, EQUAL_COST, WITHIN_GAP = "penalty_cheaper", "equal_cost", "within_gap"
COMMITTED, CHANGE = "committed", "change_penalty"

UNROUTABLE_TEXT = {
    "no_route": "no route of either kind joins its origin and destination (within the leg limit, through open "
                "nodes and lanes)",
    "no_jit_route": "its channel is jit and no JIT route exists",
    "no_bonded_route": "its channel is bonded and no bonded route exists",
    "sku_not_stocked": "every path of an allowed kind runs through a warehouse that holds none of its sku",
    "no_departure_in_horizon": "no route of an allowed kind has every timed leg depart within the horizon",
    "enumeration_cut": "the option enumeration stopped (time or budget) before reaching its order group",
}


@dataclass(frozen=True)
class Option:
    """One path of a shipment with its departures: route (node ids), lanes (lane ids), channel, dates,
    days late and cost components (currency); ``legs``: (lane id, departure date or None for a
    replenishment leg) in route order."""

    route: str
    lanes: str
    channel: str
    dispatch_date: dt.date
    delivery_date: dt.date
    days_late: int
    costs: dict[str, float]
    legs: tuple[tuple[str, dt.date | None], ...] = field(repr=False)

    @property
    def total(self) -> float:
        return sum(self.costs.values())

    def to_dict(self) -> dict[str, Any]:
        return {"route": self.route, "lanes": self.lanes, "channel": self.channel,
                "dispatch_date": str(self.dispatch_date), "delivery_date": str(self.delivery_date),
                "days_late": self.days_late, "cost_total": round(self.total, 2),
                **{f"cost_{k}": round(v, 2) for k, v in self.costs.items()},
                "departures": [{"lane_id": lane, "date": None if d is None else str(d)} for lane, d in self.legs]}

    def line(self) -> str:
        late = f", {self.days_late} day(s) late" if self.days_late else ", on time"
        return (f"{self.channel:<6} {self.route}  dispatch {self.dispatch_date}  delivery {self.delivery_date}{late}"
                f"  cost {self.total:,.2f}")


@dataclass(frozen=True)
class Limit:
    """A capacity row or stock an option would overrun: kind (lane, node, stock), id, date (or sku),
    what the plan uses there without this parcel, its capacity, what the parcel needs, shadow price."""

    kind: str
    id: str
    at: str
    used: float
    capacity: float
    need: float
    shadow_price: float

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Alternative:
    """An option not taken: the option, its cost difference (currency, + dearer) to what the parcel costs
    in the plan (its chosen option; the unassigned penalty when left out; 0 when unroutable), the reason
    code and its reading, and the limit it meets (None if none)."""

    option: Option
    cost_difference: float
    reason: str
    detail: str
    limit: Limit | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.option.to_dict(), "cost_difference": round(self.cost_difference, 2), "reason": self.reason,
                "detail": self.detail, "limit": None if self.limit is None else self.limit.to_dict()}


@dataclass(frozen=True)
class Explanation:
    """Why one shipment is where the plan put it: its status, the plan's reason code when it is out of
    the plan, its chosen option (None when out) and the best alternatives with why each lost."""

    shipment_id: str
    origin: str
    destination: str
    order_date: dt.date
    promise_date: dt.date
    status: str
    reason: str | None
    chosen: Option | None
    alternatives: tuple[Alternative, ...]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"shipment_id": self.shipment_id, "origin": self.origin, "destination": self.destination,
                "order_date": str(self.order_date), "promise_date": str(self.promise_date), "status": self.status,
                "reason": self.reason, "note": self.note,
                "chosen": None if self.chosen is None else self.chosen.to_dict(),
                "alternatives": [a.to_dict() for a in self.alternatives]}

    def text(self) -> str:
        """The explanation as a few lines of text."""
        head = (f"{self.shipment_id}: {self.origin} -> {self.destination}, ordered {self.order_date}, "
                f"promised {self.promise_date}: {self.status}")
        lines = [head + (f" ({self.reason})" if self.reason else "")]
        if self.note:
            lines.append(f"  {self.note}")
        if self.chosen is not None:
            c = self.chosen
            lines.append(f"  chosen       {c.line()}")
            lines.append("               " + ", ".join(f"{k} {v:,.2f}" for k, v in c.costs.items()))
        if self.alternatives:
            lines.append("  alternatives (cost difference, path, why not):")
        for a in self.alternatives:
            lines.append(f"  {a.cost_difference:>+11,.2f} {a.option.line()}")
            lines.append(f"               {a.reason}: {a.detail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n = len(self.alternatives)
        return f"Explanation({self.shipment_id!r}, {self.status}, {n} alternative{'s' if n != 1 else ''})"


@dataclass(frozen=True, eq=False)
class PlanFacts:
    """What an explanation reads of a plan: its inputs and settings, day 0, its plan and legs tables,
    per capacity row (kind, id, date or sku) its load, capacity and shadow price, per market the price of
    its on-time target (currency per on-time parcel; None: no target), the unassigned penalty and the
    gap target (relative)."""

    network: Network
    shipments: Shipments
    inventory: Inventory | None
    settings: PlanSettings
    epoch: dt.date
    plan: pa.Table
    legs: pa.Table
    rows: dict[tuple[str, str, str], tuple[float, float | None, float]]
    target_price: dict[str, float | None]
    gap_target: float
    bookings: Bookings = field(default_factory=Bookings)  # committed legs, previous plan (None: not at hand)

    @classmethod
    def of(cls, network: Network, shipments: Shipments, inventory: Inventory | None, settings: PlanSettings,
           epoch: dt.date, tables: dict[str, pa.Table], markets: dict[str, dict[str, Any]],
           gap_target: float, bookings: Bookings | None = None) -> PlanFacts:
        """From the plan's tables (plan, legs, lanes, nodes, stock), its summary's markets and the bookings it
        kept to."""
        rows: dict[tuple[str, str, str], tuple[float, float | None, float]] = {}
        for kind, name, ids, at, used, cap in (("lane", "lanes", "lane_id", "departure_date", "used_kg", "capacity_kg"),
                                               ("node", "nodes", "node", "date", "used_parcels", "capacity_parcels"),
                                               ("stock", "stock", "node", "sku", "used_units", "units")):
            t = tables.get(name)
            if t is None:
                continue
            for r in t.select([ids, at, used, cap, "shadow_price"]).to_pylist():
                rows[kind, str(r[ids]), str(r[at])] = (float(r[used]), None if r[cap] is None else float(r[cap]),
                                                       float(r["shadow_price"] or 0.0))
        price = {m: v.get("target_price") for m, v in markets.items()}
        return cls(network, shipments, inventory, settings, epoch, tables["plan"], tables["legs"], rows, price,
                   gap_target, bookings or Bookings())


def plan_dir_facts(plan_dir: PlanDir) -> PlanFacts:
    """The facts of a written plan directory, its inputs read from the paths it records (refused if
    they changed since)."""
    network, shipments, inventory = plan_dir.load_inputs()
    s = plan_dir.summary
    settings = PlanSettings(horizon_days=int(s["horizon_days"]), waiting_days=s.get("waiting_days"),
                            max_legs=int(s["max_legs"]), unassigned_penalty=float(s["unassigned_penalty"]))
    booked = s.get("bookings") or {}
    committed, previous = (plan_dir.input_path(kind) for kind in ("committed", "previous"))
    # a previous plan named by a run of the history is not at hand: its option is then not told apart
    bookings = Bookings(committed=load_booked_legs(committed, network) if committed else None,
                        previous=load_booked_legs(previous, network, known_lanes=False) if previous else None,
                        change_penalty=float(booked.get("change_penalty") or 0.0))
    return PlanFacts.of(network, shipments, inventory, settings, dt.date.fromisoformat(s["epoch"]), plan_dir.tables,
                        s.get("markets", {}), float(s.get("gap_target", 0.0)), bookings)


def explain(facts: PlanFacts, shipment_id: str, alternatives: int = 3) -> Explanation:
    """Explain where the plan put ``shipment_id`` (:class:`Explanation`): the chosen option and the
    ``alternatives`` cheapest others, plus the cheapest on-time one when the parcel is late or out and
    the cheapest of the other channel, each with the reason it lost."""
    plan = facts.plan
    at = pc.index(plan["shipment_id"], pa.scalar(str(shipment_id), pa.string())).as_py()
    if at < 0:
        raise InputError("explain", str(shipment_id), "no such shipment in the plan")
    row = plan.slice(at, 1).to_pylist()[0]
    net = facts.network
    node_ids = [n.id for n in net.nodes]
    one = facts.shipments.take(np.array([at]))
    if one.ids[0].as_py() != str(shipment_id) or node_ids[int(one.destination[0])] != row["destination"]:
        raise InputError("explain", str(shipment_id), "the shipments file does not match the plan (rows differ)")
    options, needs = _options(facts, one)
    sid = str(shipment_id)
    booked_legs = facts.bookings.committed
    committed = booked_legs is not None and booked_legs.find(sid) >= 0
    booked = committed or row.get("changed") is False  # held to, or kept on, a booked option
    chosen_at = _chosen(facts, row, options, booked) if row["status"] == "assigned" else None
    if chosen_at == len(options):  # a booked departure no enumeration keeps: the plan's own option
        options.append(_booked_option(facts, row))
        needs.append({})
    if row.get("changed") is not None:  # the change penalty: in the chosen option's cost and the others'
        previous = _previous_legs(facts, sid) if facts.bookings.previous is not None else \
            (options[chosen_at].legs if chosen_at is not None and row["changed"] is False else None)
        penalty = facts.bookings.change_penalty
        options = [replace(o, costs={**o.costs, "change": penalty * (previous is None or o.legs != previous)})
                   for o in options]
    chosen = options[chosen_at] if chosen_at is not None else None
    market = row["destination"]
    price = facts.target_price.get(market)
    # what the parcel costs in the plan: its option, the penalty when left out, nothing when unroutable
    base = chosen.total if chosen is not None else \
        facts.settings.unassigned_penalty if row["status"] == "unassigned" else 0.0
    own = needs[chosen_at] if chosen_at is not None else {}
    judged = []
    for i, opt in enumerate(options):
        if i == chosen_at:
            continue
        if committed:
            reason, limit = COMMITTED, None
            detail = f"the shipment is committed to its booked legs ({booked_legs.source})"
        else:
            reason, detail, limit = _why(facts, one, opt, needs[i], own, chosen, base, price, market)
        judged.append(Alternative(opt, opt.total - base, reason, detail, limit))
    picked = _pick(judged, chosen, alternatives)
    note = ""
    if committed:
        note = f"committed: its legs were booked ({booked_legs.source}) and are kept as booked"
    elif row["status"] == "unroutable":
        note = "unroutable: " + UNROUTABLE_TEXT.get(row["reason"], row["reason"])
    elif row["status"] == "unassigned":
        note = (f"left out at the unassigned penalty {facts.settings.unassigned_penalty:,.2f}: every option below "
                "costs more, or meets a limit the plan has filled")
    elif chosen is not None and chosen.days_late and price:
        note = f"late: {market}'s on-time target binds (shadow price {price:,.4f} per on-time parcel)"
    return Explanation(
        shipment_id=str(shipment_id), origin=row["origin"], destination=market, order_date=row["order_date"],
        promise_date=row["promise_date"], status=row["status"], reason=row["reason"], chosen=chosen,
        alternatives=tuple(picked), note=note)


def _options(facts: PlanFacts, one: Shipments) -> tuple[list[Option], list[dict[tuple[str, str, str], float]]]:
    """Every option of the one-shipment table ``one`` on the plan's inputs, whatever its channel or stock
    (cheapest first), and per option what it needs of each capacity row and stock."""
    net, settings = facts.network, facts.settings
    free = replace(one, channel=np.full(1, CHANNEL_ANY, dtype=one.channel.dtype))
    data = shipment_data(net, free, facts.epoch)
    table = build_option_table(net, free, data.order_day, facts.epoch, settings.horizon_days, settings.waiting_days,
                               settings.max_legs, limits=settings.enumeration)
    cost, ontime, allowed = slot_costs(table, data, np.zeros(1, dtype=np.int64))
    ks = np.flatnonzero(allowed[0])
    if not len(ks):
        return [], []
    slots = table.group_of[0] * table.K + ks
    zeros = np.zeros(len(ks), dtype=np.int64)
    priced = PricedOptions(ship=zeros, slot=slots, cost=cost[0, ks], ontime=ontime[0, ks],
                           reason=np.array([""], dtype=object), pruned=0)
    cand = make_candidates(table, data, None, None, priced, priced.reason, 0)
    parts = option_costs(cand, zeros, np.arange(len(ks)))
    legs = legs_table(net, free, cand, zeros, np.arange(len(ks)))
    n_legs = (table.route_lanes[cand.var_route] >= 0).sum(axis=1)
    leg_lane, leg_dep = legs["lane_id"].to_pylist(), legs["departure_date"].to_pylist()
    first = np.r_[0, np.cumsum(n_legs)]
    day0 = facts.epoch + dt.timedelta(days=int(data.order_day[0]))
    lane_ids = [ln.id for ln in net.lanes]
    kind, ident, val = unpack_key(cand.inc_key)
    sku = one.sku_names[int(one.sku[0])].as_py()
    needs: list[dict[tuple[str, str, str], float]] = [{} for _ in ks]
    for var, k, i, v, coef in zip(cand.inc_var.tolist(), kind.tolist(), ident.tolist(), val.tolist(),
                                  cand.inc_coef.tolist(), strict=True):
        date = str(facts.epoch + dt.timedelta(days=v))
        if k == RES_LANE:
            needs[var][("lane", lane_ids[i], date)] = coef
        elif k == RES_NODE:
            needs[var][("node", net.nodes[i].id, date)] = coef
    options = []
    for j in range(len(ks)):
        b = int(parts.bonded_node[j])
        if b >= 0:
            needs[j][("stock", net.nodes[b].id, sku)] = float(data.quantity[0])
        costs = {"transport": parts.transport[j], "handling": parts.handling[j], "storage": parts.storage[j],
                 "duty": parts.duty[j], "penalty": parts.penalty[j]}
        r = int(cand.var_route[j])
        options.append(Option(
            route=table.route_names[r], lanes="|".join(lane_ids[x] for x in table.route_lanes[r].tolist() if x >= 0),
            channel="bonded" if b >= 0 else "jit", dispatch_date=day0 + dt.timedelta(days=int(parts.dispatch[j])),
            delivery_date=day0 + dt.timedelta(days=int(parts.delivery[j])), days_late=int(parts.days_late[j]),
            costs={k: float(v) for k, v in costs.items()},
            legs=tuple(zip(leg_lane[first[j]:first[j + 1]], leg_dep[first[j]:first[j + 1]], strict=True))))
    order = sorted(range(len(options)), key=lambda j: (round(options[j].total, 6), options[j].delivery_date,
                                                       options[j].route, options[j].legs))
    return [options[j] for j in order], [needs[j] for j in order]


def _previous_legs(facts: PlanFacts, sid: str) -> tuple | None:
    """``sid``'s legs in the previous plan (None: it did not assign it)."""
    previous = facts.bookings.previous
    at = previous.find(sid) if previous is not None else -1
    return previous.dated_legs(at, facts.network) if at >= 0 else None


def _taken(facts: PlanFacts, sid: str) -> tuple[tuple[str, dt.date | None], ...]:
    """The legs of ``sid`` in the plan: (lane id, departure date or None) in route order."""
    legs = facts.legs.filter(pc.equal(facts.legs["shipment_id"], pa.scalar(sid, pa.string())))
    return tuple(zip(legs["lane_id"].to_pylist(), legs["departure_date"].to_pylist(), strict=True))


def _chosen(facts: PlanFacts, row: dict[str, Any], options: list[Option], booked: bool) -> int:
    """Which of ``options`` the plan row and its legs are (``len(options)``: a ``booked`` shipment's booked
    departure — committed, or kept from the previous plan — that no enumeration keeps)."""
    taken = _taken(facts, row["shipment_id"])
    for i, opt in enumerate(options):
        if opt.route == row["route"] and opt.legs == taken:
            return i
    if booked:
        return len(options)
    raise InputError("explain", row["shipment_id"], f"the plan's path {row['route']} with its departures is not an "
                                                    "option on these inputs and settings (a hand-edited plan?)")


def _booked_option(facts: PlanFacts, row: dict[str, Any]) -> Option:
    """The plan row's own option, read from the row and its legs."""
    return Option(route=row["route"], lanes=row["lanes"], channel=row["channel"], dispatch_date=row["dispatch_date"],
                  delivery_date=row["delivery_date"], days_late=int(row["days_late"]),
                  costs={k: float(row[f"cost_{k}"]) for k in COMPONENTS}, legs=_taken(facts, row["shipment_id"]))


def _why(facts: PlanFacts, one: Shipments, opt: Option, need: dict[tuple[str, str, str], float],
         own: dict[tuple[str, str, str], float], chosen: Option | None, base: float, price: float | None,
         market: str) -> tuple[str, str, Limit | None]:
    """The reason ``opt`` lost to the chosen option (or to leaving the parcel out: ``chosen`` None)."""
    channel = int(one.channel[0])
    if (channel == CHANNEL_JIT and opt.channel == "bonded") or (channel == CHANNEL_BONDED and opt.channel == "jit"):
        kind = "jit" if channel == CHANNEL_JIT else "bonded"
        return CHANNEL, f"the shipment's channel is {kind}: {opt.channel} paths are not allowed", None
    for key in need:
        if key[0] != "stock" or facts.inventory is None:
            continue
        units = facts.rows.get(key, (0.0, 0.0, 0.0))[1]
        if not units:
            return NOT_STOCKED, f"{key[1]} holds no units of sku {key[2]}", None
    full = []
    for key, amount in need.items():
        if key not in facts.rows:
            continue
        used, cap, p = facts.rows[key]
        if cap is None:
            continue
        used_without = used - own.get(key, 0.0)
        if used_without + amount > cap + 1e-6 * max(1.0, cap):
            full.append(Limit(key[0], key[1], key[2], used_without, cap, amount, p))
    delta = opt.total - base
    also = ""
    if full:
        order = {"stock": 0, "lane": 1, "node": 2}
        lim = min(full, key=lambda x: (order[x.kind], -x.shadow_price, x.id, x.at))
        code = {"stock": NO_STOCK, "lane": FULL_DEPARTURE, "node": FULL_NODE_DAY}[lim.kind]
        unit, units = {"stock": ("unit", "units"), "lane": ("kg", "kg"), "node": ("parcel", "parcels")}[lim.kind]
        what = {"stock": f"stock of sku {lim.at} at {lim.id}", "lane": f"departure {lim.id} on {lim.at}",
                "node": f"{lim.id} on {lim.at}"}[lim.kind]
        also = f"; {what} is full too"
        if delta <= TOLERANCE:  # cheaper or as cheap: the limit is what keeps it out
            return code, (f"{what} is full: the plan uses {lim.used:,.6g} of {lim.capacity:,.6g} {units} without "
                          f"this parcel, which needs {lim.need:,.6g}; shadow price {lim.shadow_price:,.4f} per "
                          f"{unit}"), lim
    if chosen is None:  # left out: every option is weighed against the penalty
        if delta >= -TOLERANCE:
            return PENALTY_CHEAPER, (f"costs {opt.total:,.2f}, {delta:,.2f} more than the unassigned penalty "
                                     f"{base:,.2f}{also}"), None
        return WITHIN_GAP, (f"costs {-delta:,.2f} less than the penalty; left out within the plan's gap target "
                            f"({facts.gap_target:g})"), None
    change = opt.costs.get("change", 0.0) - chosen.costs.get("change", 0.0)
    if change > 0 and delta > TOLERANCE and delta - change <= TOLERANCE:
        return CHANGE, (f"costs {change - delta:,.2f} less to run, but leaves the previous plan's route or departures: "
                        f"change penalty {facts.bookings.change_penalty:,.2f}{also}"), None
    if delta <= TOLERANCE and opt.days_late and not chosen.days_late and price:
        return LATE_TARGET, (f"{opt.days_late} day(s) late (delivery {opt.delivery_date}, promised by "
                             f"{_promise(opt)}) while {market}'s on-time target binds: an on-time parcel there is "
                             f"worth {price:,.4f}, more than the {-delta:,.2f} it would save"), None
    if abs(delta) <= TOLERANCE:
        return EQUAL_COST, "costs the same as the chosen path: the solver's choice among equals", None
    if delta < 0:
        return WITHIN_GAP, (f"costs {-delta:,.2f} less: left by the plan's gap target ({facts.gap_target:g}) or a "
                            "limit shared with other parcels"), None
    duty_gap = opt.costs["duty"] - chosen.costs["duty"]
    if duty_gap > 0 and delta - duty_gap <= TOLERANCE:
        value = float(one.value[0])
        return DUTY, (f"costs {delta:,.2f} more, of which duty {duty_gap:,.2f}: the parcel's value {value:,.2f} is "
                      f"at or under {market}'s de minimis, duty-free only on a JIT path{also}"), None
    late = f", and {opt.days_late} day(s) late" if opt.days_late and not chosen.days_late else ""
    return DEARER, f"costs {delta:,.2f} more{late}{also}", None


def _promise(opt: Option) -> dt.date:
    return opt.delivery_date - dt.timedelta(days=opt.days_late)


def _pick(judged: list[Alternative], chosen: Option | None, n: int) -> list[Alternative]:
    """The ``n`` cheapest alternatives, the cheapest on-time one when the parcel is late or out, and the
    cheapest of the other channel; each once, cheapest first."""
    picked = set(range(min(n, len(judged))))  # positions in ``judged``, which is cheapest first
    if chosen is None or chosen.days_late:
        picked.add(next((i for i, a in enumerate(judged) if not a.option.days_late), -1))
    if chosen is not None:
        picked.add(next((i for i, a in enumerate(judged) if a.option.channel != chosen.channel), -1))
    return [judged[i] for i in sorted(picked) if i >= 0]
