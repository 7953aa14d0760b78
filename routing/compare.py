"""Comparing two plans, under its public name: ``from routing.compare import compare`` (the code is
:mod:`routing.report.compare`)."""

from .report.compare import COST_COLUMNS, Comparison, compare

__all__ = ["COST_COLUMNS", "Comparison", "compare"]
