"""Yesterday's bookings: legs already booked (``--committed``) and a previous plan to stay close to
(``--previous`` with ``--change-penalty``), both read from a plan's legs table (docs/inputs.md#bookings).

A legs table names, per shipment, its lanes in route order (``seq``) and each timed leg's departure
date (blank on a replenishment leg). Its other columns (from, to, arrival_date, chargeable_kg,
replenishment) may be present and are not read, so yesterday's ``legs.csv``, or rows of it, serve as
they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .limits import CHANGE_PENALTY, FIRST_DATE
from .network import Network
from .tables import STDIN, Column, read_table

LEG_INPUT_COLUMNS = {"shipment_id": True, "lane_id": True, "departure_date": True, "seq": False}
NO_DATE = -1  # departure day of a replenishment leg (it has no date)


@dataclass(frozen=True, eq=False)
class BookedLegs:
    """Legs of some shipments, grouped by shipment in route order.

    Shipment ``i`` (id ``shipment_ids[i]``) has legs ``leg_ptr[i]:leg_ptr[i + 1]``: a lane index into
    ``Network.lanes`` and a departure day (days since 1970-01-01, ``NO_DATE`` for a replenishment leg)
    each; ``first_row`` is the table row (1-based) of its first leg, for messages."""

    source: str
    shipment_ids: pa.Array
    leg_ptr: np.ndarray
    lane: np.ndarray
    departure: np.ndarray
    first_row: np.ndarray

    def __len__(self) -> int:
        return len(self.shipment_ids)

    def find(self, shipment_id: str) -> int:
        """The index of ``shipment_id`` among the booked shipments, -1 if it is not booked."""
        at = pc.index(self.shipment_ids, pa.scalar(shipment_id, pa.string())).as_py()
        return -1 if at is None else int(at)

    def dated_legs(self, i: int, network: Network) -> tuple[tuple[str, dt.date | None], ...]:
        """Shipment ``i``'s legs as (lane id, departure date or None), in route order (a lane the network
        lacks as ``?``)."""
        day0 = dt.date(1970, 1, 1)
        return tuple((network.lanes[x].id if x >= 0 else "?", None if d == NO_DATE else day0 + dt.timedelta(days=d))
                     for x, d in zip(*self.legs_of(i), strict=True))

    def legs_of(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Shipment ``i``'s lanes and departure days, in route order."""
        lo, hi = int(self.leg_ptr[i]), int(self.leg_ptr[i + 1])
        return tuple(self.lane[lo:hi].tolist()), tuple(self.departure[lo:hi].tolist())


@dataclass(frozen=True, eq=False)
class Bookings:
    """What tonight's plan keeps of earlier ones: ``committed`` legs (those shipments keep them and their
    capacity and stock count against tonight's limits) and a ``previous`` plan whose route or departures a
    shipment leaves at ``change_penalty`` (currency per shipment)."""

    committed: BookedLegs | None = None
    previous: BookedLegs | None = None
    change_penalty: float = 0.0

    def __post_init__(self) -> None:
        lo, hi = CHANGE_PENALTY
        if not (np.isfinite(self.change_penalty) and lo <= self.change_penalty <= hi):
            raise InputError("bookings", "change_penalty",
                             f"must be a finite number >= {lo:g} and <= {hi:g}, got {self.change_penalty!r}")

    @property
    def empty(self) -> bool:
        return self.committed is None and self.previous is None

    def describe(self) -> dict[str, Any]:
        """What summary.json records of the bookings."""
        return {"committed": None if self.committed is None else self.committed.source,
                "committed_shipments": 0 if self.committed is None else len(self.committed),
                "previous": None if self.previous is None else self.previous.source,
                "change_penalty": self.change_penalty}


def load_booked_legs(path: str | Path | Any, network: Network, source: str | None = None,
                     known_lanes: bool = True) -> BookedLegs:
    """Read a legs table (a CSV or Parquet file, ``-``, or an in-memory table) against ``network``:
    departure dates valid, one leg per (shipment, seq), and (``known_lanes``) every lane in the network.
    A previous plan is read with ``known_lanes=False``: a leg on a lane gone since is no error, its
    shipment's option is gone (lane index -1)."""
    if source is None:
        source = ("<stdin>" if str(path) == STDIN else str(path)) if isinstance(path, (str, Path)) \
            else f"<{type(path).__name__}>"
    table = read_table(path, LEG_INPUT_COLUMNS, extra=True)  # no rows: nothing booked (yet), no error
    col = {name: Column(source, table, name) for name in LEG_INPUT_COLUMNS}
    col["shipment_id"].require_filled()
    col["lane_id"].require_filled()
    ids = col["shipment_id"].text().combine_chunks()
    lane_ids = col["lane_id"].text().combine_chunks()
    known = [ln.id for ln in network.lanes]
    lane = pc.index_in(lane_ids, value_set=pa.array(known, pa.string()))
    if known_lanes:
        col["lane_id"].check(pc.is_null(lane).to_numpy(zero_copy_only=False), "is not a lane of the network")
    lane_idx = pc.fill_null(lane, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    departure = _departures(col["departure_date"], table, source)
    enc = pc.dictionary_encode(ids)
    code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)  # in order of first appearance
    n_ship = len(enc.dictionary)
    pair = code * (len(known) + 1) + (lane_idx + 1)  # a route takes a lane once: a second is a repeated row
    _, first_at, count = np.unique(pair, return_index=True, return_counts=True)
    if (count > 1).any():
        seen = np.zeros(len(pair), dtype=bool)
        seen[first_at] = True
        row = int(np.flatnonzero(~seen)[0])
        col["lane_id"].fail(row + 1, f"shipment {ids[row].as_py()!r} has lane {lane_ids[row].as_py()!r} twice "
                                     "(a route takes a lane once)")
    if col["seq"].present:
        seq = col["seq"].ints(0, 1, 1_000)
        col["seq"].require_filled()
        order = np.lexsort((seq, code))
        same = (code[order][1:] == code[order][:-1]) & (seq[order][1:] == seq[order][:-1])
        if same.any():
            row = int(order[1:][same].max())  # the later of two rows of one (shipment, seq)
            col["seq"].fail(row + 1, f"shipment {ids[row].as_py()!r} has two legs with seq {int(seq[row])}")
    else:
        order = np.argsort(code, kind="stable")  # file order within a shipment
    counts = np.bincount(code, minlength=n_ship)
    first_row = np.full(n_ship, table.num_rows, dtype=np.int64)
    np.minimum.at(first_row, code, np.arange(table.num_rows))
    return BookedLegs(source=source, shipment_ids=enc.dictionary, leg_ptr=np.r_[0, np.cumsum(counts)],
                      lane=lane_idx[order], departure=departure[order], first_row=first_row + 1)


_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"  # a date, or a time without an offset


def _departures(col: Column, table: pa.Table, source: str) -> np.ndarray:
    """Per leg row, its departure day (days since 1970-01-01; ``NO_DATE`` where blank: a replenishment
    leg). A departure is a date: a time without an offset counts on the date written (as in the plan's
    legs); a time with an offset or zone is refused, its day being a matter of where it is read."""
    blank = col.blank()
    departure = np.full(table.num_rows, NO_DATE, dtype=np.int64)
    if blank.all():
        return departure
    raw = col.col
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        col.check(~blank, "must be the departure's date, not a time with a time zone")
    if pa.types.is_date(raw.type) or pa.types.is_timestamp(raw.type):
        fill = pa.scalar(dt.datetime.combine(FIRST_DATE, dt.time()), pa.timestamp("s")).cast(raw.type) \
            if pa.types.is_timestamp(raw.type) else pa.scalar(FIRST_DATE, pa.date32()).cast(raw.type)
        filled = pc.fill_null(raw, fill)
    else:
        text = col.text().fill_null("")
        col.check(~blank & ~pc.match_substring_regex(text, _DATE_TEXT).to_numpy(zero_copy_only=False),
                  "must be a date YYYY-MM-DD (a time without an offset is read as its date)")
        filled = pc.if_else(pc.equal(text, ""), str(FIRST_DATE), text)
    at = table.column_names.index(col.name)
    days = Column(source, table.set_column(at, col.name, filled), col.name).dates().astype(np.int64)
    departure[~blank] = days[~blank]
    return departure

