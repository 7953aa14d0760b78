"""Run history (docs/history.md): every ``routing plan`` and ``routing sweep`` run recorded in a
database — a DuckDB file by default, PostgreSQL for a team — with its inputs' hashes, settings,
outcome, per-market figures and the plan's tables; listed, shown, compared and exported again by
``routing runs``.

Modules: ``url`` (history URLs), ``backend`` with ``duckdb_backend`` and ``postgres_backend`` (the
connections), ``schema`` (tables and migrations), ``rows`` (what a run's tables become), ``record``
(a run as recorded), ``store`` (open, migrate, record, read), ``diff``, ``export`` and ``show``
(``routing runs diff|export|show|list``), ``commands`` (the command line).
"""

from .record import RunRecord
from .store import History, open_history
from .url import HistoryUrl, parse_url

__all__ = ["History", "HistoryUrl", "RunRecord", "open_history", "parse_url"]
