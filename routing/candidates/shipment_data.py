"""Per-shipment cost inputs: chargeable kg per volumetric divisor, promise, late penalty, duty and
de minimis status, as numpy arrays (kg, days, currency) that option pricing reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..data.network import Network
from ..data.shipments import Shipments


def volumetric_divisors(network: Network) -> list[float]:
    """The distinct volumetric divisors of the lanes, ascending: chargeable-kg columns 1, 2, …"""
    return sorted({ln.volumetric_divisor for ln in network.lanes if ln.volumetric_divisor})


def lane_divclasses(network: Network) -> np.ndarray:
    """Per lane, its chargeable-kg column (0: actual weight; d: the d-th volumetric divisor)."""
    divisors = volumetric_divisors(network)
    return np.array([0 if not ln.volumetric_divisor else 1 + divisors.index(ln.volumetric_divisor)
                     for ln in network.lanes], dtype=np.int64)


def chargeable_kg(network: Network, shipments: Shipments) -> tuple[np.ndarray, np.ndarray]:
    """Chargeable kg per shipment for each distinct volumetric divisor, and each lane's column."""
    cols = [shipments.weight_kg]
    for d in volumetric_divisors(network):
        cols.append(np.maximum(shipments.weight_kg, shipments.volume_cm3 / d))
    return np.column_stack(cols), lane_divclasses(network)


def shipment_data_inputs(network: Network) -> tuple:
    """What :func:`shipment_data` reads of the network besides the lanes' chargeable-kg columns:
    per node its promise, de minimis, late penalty, duty rate and whether it has an on-time target,
    and the volumetric divisors."""
    return (tuple((n.promise_days, n.de_minimis, n.late_penalty_per_day, n.duty_rate, n.on_time_target is None)
                  for n in network.nodes), tuple(volumetric_divisors(network)))


def effective_promise(network: Network, shipments: Shipments) -> np.ndarray:
    """Per shipment, its promise in days: its own ``promise_days`` or its market's."""
    market_promise = np.array([n.promise_days for n in network.nodes], dtype=np.int32)
    return np.where(shipments.promise_days >= 0, shipments.promise_days, market_promise[shipments.destination])


@dataclass(frozen=True, eq=False)
class ShipmentData:
    """What the cost of a shipment on a slot depends on, as per-shipment arrays."""

    chargeable: np.ndarray  # (n, D) kg
    lane_divclass: np.ndarray  # per lane, column of ``chargeable``
    weight: np.ndarray
    value: np.ndarray
    promise: np.ndarray
    order_day: np.ndarray
    channel: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    late_rate: np.ndarray  # per shipment (its market's)
    duty_rate: np.ndarray  # per shipment
    duty_exempt_jit: np.ndarray  # per shipment: value at or under the market's de minimis
    has_target: np.ndarray  # per shipment: its market has an on-time target
    destination: np.ndarray  # per shipment, market node index


def shipment_data(network: Network, shipments: Shipments, epoch: dt.date) -> ShipmentData:
    """The cost inputs of every shipment on ``network``, order days counted from ``epoch``."""
    chg, lane_cls = chargeable_kg(network, shipments)
    dest = shipments.destination
    de_min = np.array([np.nan if n.de_minimis is None else n.de_minimis for n in network.nodes])[dest]
    return ShipmentData(
        chargeable=chg, lane_divclass=lane_cls, weight=shipments.weight_kg, value=shipments.value,
        promise=effective_promise(network, shipments),
        order_day=shipments.order_date.astype(np.int64) - (epoch - dt.date(1970, 1, 1)).days,
        channel=shipments.channel, sku=shipments.sku, quantity=shipments.quantity,
        late_rate=np.array([n.late_penalty_per_day for n in network.nodes])[dest],
        duty_rate=np.array([n.duty_rate for n in network.nodes])[dest],
        duty_exempt_jit=~np.isnan(de_min) & (shipments.value <= np.nan_to_num(de_min, nan=-1.0)),
        has_target=np.array([n.on_time_target is not None for n in network.nodes])[dest],
        destination=dest,
    )
