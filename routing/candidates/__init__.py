"""Candidates: from the inputs to every (shipment, route, departure schedule) worth a model column.

``routes`` and ``schedules`` enumerate paths and departures; ``option_table`` lays them out per order
group; ``shipment_data`` and ``pricing`` cost every shipment on its group's slots and prune dominated
options; ``candidates`` holds the result as flat arrays; ``reuse`` builds them for edited inputs from a
previous plan's; ``keys`` packs capacity rows into sortable integers.
"""

from .candidates import Candidates, build_candidates

__all__ = ["Candidates", "build_candidates"]
