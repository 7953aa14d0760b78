"""Strategies: from a model to a plan with a proven bound.

``exact`` proves optimality (LP, rounding, MIP over a reduced-cost core); ``aggregate`` plans very
large instances by shipment classes; ``warm`` carries a previous plan onto edited inputs and improves
it locally. They share ``lagrangian`` (options at row prices, Lagrangian bounds), ``neighbourhood`` (which columns a
repair frees) and ``repair`` (restricted MIPs and LPs around a plan); each returns a ``Solution``.
"""
