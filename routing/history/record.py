"""A run as the history records it (:class:`RunRecord`), built from what a command has after it wrote
its files: the summary.json document and the plan's tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..report.summary import as_document
from .rows import TABLE_NAMES

FAILED = "failed"  # the status of a sweep scenario that did not plan


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: Any, default: dt.datetime) -> dt.datetime:
    """An ISO 8601 text (``…Z`` or with an offset) or datetime as a naive UTC datetime (what the history
    stores); ``default`` when there is none or it does not parse."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        value = default
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True, eq=False)
class RunRecord:
    """One run: the command (``plan`` or ``sweep``), the sweep's scenario name (``base`` or a
    scenario's; None for a plan), its status (the plan's, or ``failed`` with ``error`` for a sweep
    scenario that did not plan), start and finish (UTC), the package version, summary.json as a
    dict (None for a failed scenario), settings and options (the seed among them), the plan's tables
    by name (those it has: a sweep keeps only the plan) with their file names, and the output
    directory; ``inputs``: the input files by kind (path, sha256) when summary.json does not name them
    (a sweep's)."""

    command: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime
    version: str
    summary: dict[str, Any] | None
    settings: dict[str, Any]
    options: dict[str, Any]
    tables: dict[str, pa.Table] = field(default_factory=dict)
    out_dir: str | None = None
    scenario: str | None = None
    error: str | None = None
    inputs: dict[str, dict[str, str]] | None = None

    def file_of(self, name: str) -> tuple[str | None, str | None]:
        """The file a table was written to and its SHA-256, from summary.json's ``files`` (None, None: none)."""
        files = (self.summary or {}).get("files") or {}
        for ext in ("csv", "parquet"):
            if f"{name}.{ext}" in files:
                return f"{name}.{ext}", files[f"{name}.{ext}"]
        return None, None


def plan_record(summary: dict[str, Any], tables: dict[str, pa.Table], *, command: str, version: str,
                started_at: dt.datetime, finished_at: dt.datetime, settings: Any, options: Any,
                out_dir: str | None = None, scenario: str | None = None) -> RunRecord:
    """The record of a plan: times, version, settings and options from summary.json where it has them
    (``started_at``, ``finished_at``, ``version``, ``settings``, ``options``), else from the arguments."""
    return RunRecord(
        command=command, status=str(summary.get("status")), version=str(summary.get("version") or version),
        started_at=as_utc(summary.get("started_at"), as_utc(started_at, started_at)),
        finished_at=as_utc(summary.get("finished_at"), as_utc(finished_at, finished_at)),
        summary=summary, settings=as_document(summary.get("settings") or settings),
        options=as_document(summary.get("options") or options),
        tables={name: tables[name] for name in TABLE_NAMES if name in tables},
        out_dir=out_dir, scenario=scenario)


def failed_record(*, command: str, scenario: str, error: str, version: str, started_at: dt.datetime,
                  finished_at: dt.datetime, settings: Any, options: Any, out_dir: str | None = None) -> RunRecord:
    """A sweep scenario that did not plan: its name and error."""
    return RunRecord(command=command, status=FAILED, started_at=as_utc(started_at, started_at),
                     finished_at=as_utc(finished_at, finished_at), version=version, summary=None,
                     settings=as_document(settings), options=as_document(options), out_dir=out_dir, scenario=scenario,
                     error=error)
