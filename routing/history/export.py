"""``routing runs export ID --out DIR``: a recorded run written back as a plan directory — its tables
in the format they were written in (or ``fmt``) and its summary.json, published as one set as
``routing plan`` publishes (:class:`~routing.report.output.OutputDir`): the same bytes as the run's
own files when the format is the same, and read by ``routing report`` and ``routing explain`` alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..data.tables import table_writer
from ..errors import InputError
from ..report.output import OutputDir, claimed
from ..report.result import DERIVED, PLAN_FILES
from .store import History


def export_run(history: History, ref: str | int, out: str | Path | OutputDir,
               fmt: str | None = None) -> dict[str, Path]:
    """Write run ``ref``'s tables and summary.json into ``out``; the paths written, summary.json last.
    ``fmt`` (csv or parquet): the tables' format, by default the one the run wrote."""
    if fmt not in (None, "csv", "parquet"):
        raise InputError("runs export", "format", f"must be csv or parquet, got {fmt!r}")
    run_id = history.resolve(ref)
    summary = history.summary(run_id)
    tables = history.tables(run_id)
    if summary is None or "plan" not in tables:
        raise InputError("run", str(ref), "keeps no plan to export (a sweep scenario that failed)")
    files = {}
    for name, stored in tables.items():
        ext = fmt or (stored.file.rpartition(".")[2] if stored.file else "csv")
        files[f"{name}.{ext}"] = table_writer(stored.table, ext)

    def marker(hashes: dict[str, str]) -> Callable[[Path], None]:
        text = json.dumps({**summary, "files": hashes}, indent=2, allow_nan=False) + "\n"
        return lambda path: path.write_text(text, encoding="utf-8")

    with claimed(out) as target:
        return target.publish(files, ("summary.json", marker), stale=PLAN_FILES + DERIVED)
