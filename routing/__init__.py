"""routing: cross-border e-commerce routing optimizer (JIT vs bonded warehouse) on OR-Tools.

    >>> import routing
    >>> net = routing.load_network("fixtures/network.yaml")
    >>> ships = routing.load_shipments("fixtures/example/shipments.csv", net)
    >>> result = routing.solve(net, ships)
    >>> print(result.summary())
"""

from .errors import InfeasibleError, InputError, RoutingError, SolverError
from .network import Lane, Network, Node, load_network, save_network
from .options import PlanSettings
from .result import Result
from .shipments import Inventory, Shipments, load_inventory, load_shipments
from .solver import SolveOptions, solve

__all__ = [
    "InfeasibleError", "InputError", "Inventory", "Lane", "Network", "Node", "PlanSettings", "Result",
    "RoutingError", "Shipments", "SolveOptions", "SolverError", "load_inventory", "load_network",
    "load_shipments", "save_network", "solve",
]
__version__ = "0.1.0"
