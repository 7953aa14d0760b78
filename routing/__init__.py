"""routing: cross-border e-commerce routing optimizer (JIT vs bonded warehouse) on OR-Tools.

    >>> import routing
    >>> net = routing.load_network("fixtures/network.yaml")
    >>> ships = routing.load_shipments("fixtures/example/shipments.csv", net)
    >>> result = routing.solve(net, ships)
    >>> print(result.summary())

The package reads in layers, each importing only those before it: ``data`` (inputs and what-if
edits) → ``candidates`` (routes, departures, priced options) → ``model`` (sparse arrays) →
``backends`` (HiGHS, OR-Tools, scipy) → ``strategies`` (exact, aggregate, warm) → ``report`` (tables,
summary, result, comparison) → ``solve`` → ``sweep`` → ``cli``; ``settings`` holds every knob.
docs/architecture.md has a line per module.
"""

from .data.bookings import BookedLegs, Bookings, load_booked_legs
from .data.network import Lane, Network, Node, load_network, save_network
from .data.shipments import Inventory, Shipments, load_inventory, load_shipments
from .errors import InfeasibleError, InputError, InternalError, RoutingError, SolverError
from .report.result import Result
from .report.summary import Summary
from .settings import (
    AggregateParams,
    ExactParams,
    LpSolver,
    MipParams,
    MipSolver,
    PlanSettings,
    PricingParams,
    RepairParams,
    SolveOptions,
    Status,
    Strategy,
    WarmParams,
)
from .solve import solve

__all__ = [
    "AggregateParams", "BookedLegs", "Bookings", "ExactParams",
    "InfeasibleError", "InputError", "InternalError", "Inventory", "Lane", "LpSolver",
    "MipParams", "MipSolver", "Network", "Node", "PlanSettings", "PricingParams", "RepairParams", "Result",
    "RoutingError", "Shipments", "SolveOptions", "SolverError", "Status", "Strategy", "Summary", "WarmParams",
    "load_booked_legs", "load_inventory", "load_network", "load_shipments", "save_network", "solve",
]
from .version import VERSION as __version__  # noqa: E402, F401  (routing.__version__)
