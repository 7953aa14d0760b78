"""Input limits: the ranges, id rules and document budgets the loaders enforce (docs/inputs.md#limits).

Numbers outside these ranges are refused at load with one line naming the place: they are typos or
units gone wrong (a weight in grams, a cost in cents), and beyond them the solvers' arithmetic stops
being trustworthy. Ids appear in the CSV outputs and in the ``route`` column: a formula prefix would
make a spreadsheet run them, a ``>`` in a node id would make a route ambiguous.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ID_MAX_CHARS = 200
ID_FORMULA_PREFIXES = ("=", "+", "-", "@")
ID_RULE = (f"hold 1 to {ID_MAX_CHARS} characters, no control characters, and do not start with "
           f"{' '.join(ID_FORMULA_PREFIXES)}")
ROUTE_SEPARATOR = ">"  # joins node ids in the plan's route column: not in a node id
LANE_SEPARATOR = "|"  # joins lane ids in the plan's lanes column: not in a lane id
_ID_BAD = r"^[=+\-@]|[\x00-\x1f\x7f]"  # a formula prefix or a control character anywhere
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)  # order dates and the epoch

# documents (network files, scenario files)
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_ALIASES = 100  # YAML alias uses (*name) per document

# (minimum, maximum) per numeric field; whole-number fields say so where they are read
DAYS = (0, 365)
MONEY = (0.0, 1e6)  # costs per parcel, per kg, per day late (currency)
NETWORK_RANGES: dict[str, tuple[float, float]] = {
    "handling_days": DAYS, "transit_days": DAYS, "promise_days": DAYS,
    "handling_cost": MONEY, "cost_per_kg": MONEY, "cost_per_parcel": MONEY, "late_penalty_per_day": MONEY,
    "storage_cost_per_kg_day": (0.0, 1e4), "dwell_days": (0.0, 3650.0), "duty_rate": (0.0, 10.0),
    "de_minimis": (0.0, 1e9), "capacity_parcels_per_day": (0, 1e9), "capacity_kg_per_departure": (0.0, 1e12),
    "volumetric_divisor": (1.0, 1e7), "on_time_target": (0.0, 1.0),
}
SHIPMENT_RANGES: dict[str, tuple[float, float]] = {
    "weight_kg": (0.0, 1e5), "volume_cm3": (0.0, 1e9), "value": (0.0, 1e9), "quantity": (1, 1e6),
    "promise_days": DAYS,
}
INVENTORY_UNITS = (0, 1e9)
CHANGE_PENALTY = (0.0, 1e7)  # currency per changed shipment (as the unassigned penalty)


def show(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (a huge number or string stays one short line)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def id_problem(text: str, node: bool = False, lane: bool = False) -> str | None:
    """What is wrong with an id (None if nothing); ``node``: also no route separator; ``lane``: no lane
    separator."""
    if not text:
        return "must not be empty"
    if len(text) > ID_MAX_CHARS:
        return f"must be at most {ID_MAX_CHARS} characters, got {len(text)}"
    if re.search(_ID_BAD, text):
        return (f"must not start with {' '.join(ID_FORMULA_PREFIXES)} (a spreadsheet would read a formula) "
                f"nor hold control characters, got {show(text)}")
    if node and ROUTE_SEPARATOR in text:
        return f"must not contain '{ROUTE_SEPARATOR}' (it joins node ids in the route column), got {show(text)}"
    if lane and LANE_SEPARATOR in text:
        return f"must not contain '{LANE_SEPARATOR}' (it joins lane ids in the lanes column), got {show(text)}"
    return None


def bad_ids(ids: pa.Array | pa.ChunkedArray, node: bool = False) -> pa.Array:
    """Per id of a text column: True where :func:`id_problem` finds something wrong (nulls: False)."""
    bad = pc.or_(pc.greater(pc.utf8_length(ids), ID_MAX_CHARS), pc.match_substring_regex(ids, _ID_BAD))
    if node:
        bad = pc.or_(bad, pc.match_substring(ids, ROUTE_SEPARATOR))
    return pc.fill_null(bad, False)


def date_problem(day: dt.date) -> str | None:
    """What is wrong with an order date or epoch (None if nothing)."""
    if not FIRST_DATE <= day <= LAST_DATE:
        return f"must be between {FIRST_DATE} and {LAST_DATE}, got {day}"
    return None
