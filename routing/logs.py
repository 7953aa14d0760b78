"""Logging for job runners: ``--log-format json`` writes every record of the ``routing`` logger (phase
lines, solver progress) and Python warnings to stderr as one JSON object per line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def utc_text(moment: dt.datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp to the millisecond, ``Z``-suffixed (now when ``moment`` is None): how logs
    and summaries write times."""
    moment = dt.datetime.now(dt.UTC) if moment is None else moment
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """``{"time": ISO 8601 UTC, "level": "info", "logger": "routing", "message": …, <extra fields>}``."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": utc_text(dt.datetime.fromtimestamp(record.created, dt.UTC)),
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        return json.dumps(out, default=str)


def log_json(stream: TextIO | None = None) -> logging.Handler:
    """Send the ``routing`` logger (INFO and up) and Python warnings to ``stream`` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.captureWarnings(True)
    for name in ("routing", "py.warnings"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


def json_line(level: str, message: str, **fields: object) -> str:
    """One JSON log line written outside a logger (the command's own refusal or failure)."""
    return json.dumps({"time": utc_text(), "level": level, "logger": "routing.cli", "message": message, **fields},
                      default=str)
