"""Results: the plan and legs tables, the summary, the :class:`~routing.report.result.Result` that
holds them, and the comparison of two plans."""
