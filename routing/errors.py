"""Typed errors: every failure a user can cause is a ``RoutingError``."""

from __future__ import annotations


class RoutingError(Exception):
    """Base class of every error raised by ``routing``."""


class InputError(RoutingError, ValueError):
    """Malformed input: the message names the file, the row or id, the field and what is wrong."""

    def __init__(self, source: str, where: str | None, message: str) -> None:
        self.source = str(source)
        self.where = where
        self.detail = message
        place = f"{self.source}: {where}: " if where else f"{self.source}: "
        # one line, whatever the input held (an id with a newline must not break it)
        super().__init__((place + message).replace("\r", "\\r").replace("\n", "\\n"))


class InfeasibleError(RoutingError):
    """The model has no solution even with every shipment unassigned (should never happen)."""


class SolverError(RoutingError):
    """The solver backend failed or is unavailable."""


class InternalError(RoutingError):
    """An invariant of the planner broke (a bug): e.g. the plan's costs disagree with the model's."""


class HistoryError(RoutingError):
    """The run history database failed: it cannot be opened or reached, is of a newer schema, or a read or
    write failed (docs/history.md). One line, whatever the driver said."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
