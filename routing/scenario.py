"""What-if edits, under their public name: ``from routing import scenario`` (the code is
:mod:`routing.data.edits`). Each edit is a pure function returning a new network, shipments table or
inventory."""

from .data.edits import (
    MARKET_FIELDS,
    add_lane,
    close_lane,
    close_node,
    fuel_surcharge,
    reopen_lane,
    reopen_node,
    scale_all_costs,
    scale_capacity,
    scale_cost,
    scale_demand,
    scale_stock,
    set_market,
    set_stock,
)

__all__ = ["MARKET_FIELDS", "add_lane", "close_lane", "close_node", "fuel_surcharge", "reopen_lane", "reopen_node",
           "scale_all_costs", "scale_capacity", "scale_cost", "scale_demand", "scale_stock", "set_market",
           "set_stock"]
