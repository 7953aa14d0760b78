"""Results: the plan and legs tables, the summary, the :class:`Result` that holds them, and the
comparison of two plans."""
