"""Inputs: the network, the shipments and inventory tables, what-if edits of them, and synthetic
instances. Nothing here knows about routes, models or solvers."""

from .network import Lane, Network, Node, load_network, save_network
from .shipments import Inventory, Shipments, load_inventory, load_shipments

__all__ = ["Inventory", "Lane", "Network", "Node", "Shipments", "load_inventory", "load_network", "load_shipments",
           "save_network"]
