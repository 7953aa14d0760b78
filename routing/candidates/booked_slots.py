"""Per shipment, the slot bookings hold it to: its committed slot and its slot in the previous plan
(:mod:`routing.candidates.bookings` matches them), with the change penalty they price."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

FREE = -1  # committed slot of a shipment not committed
NOT_PREVIOUS = -1  # previous slot of a shipment the previous plan did not assign
GONE = -2  # previous slot of a shipment whose previous option is no option tonight


@dataclass(frozen=True, eq=False)
class BookedSlots:
    """Per shipment, its committed slot k of its group (``FREE``: none) and its previous slot
    (``NOT_PREVIOUS``, ``GONE``, or k), with the change penalty (currency per changed shipment) and the
    committed file's name (for messages)."""

    committed: np.ndarray
    previous: np.ndarray
    change_penalty: float
    committed_source: str | None = None

    @cached_property
    def is_committed(self) -> np.ndarray:
        return self.committed >= 0

    @cached_property
    def has_previous(self) -> np.ndarray:
        return self.previous != NOT_PREVIOUS

    @cached_property
    def prices_changes(self) -> bool:
        """Whether some option costs a change penalty (a previous plan and a penalty above 0)."""
        return self.change_penalty > 0 and bool(self.has_previous.any())

    def changed(self, ships: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Whether slot ``k`` of shipments ``ships`` (broadcast) differs from their previous one (False
        for shipments the previous plan did not assign)."""
        prev = self.previous[ships]
        return (prev != NOT_PREVIOUS) & (k != prev)

    def change_cost(self, ships: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The change penalty of slot ``k`` of shipments ``ships`` (currency; broadcast)."""
        return self.change_penalty * self.changed(ships, k)
