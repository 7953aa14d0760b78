"""Where the run history lives: a history URL parsed and checked before any work.

- a DuckDB file: a path ending ``.duckdb`` or ``.db`` (``runs.duckdb``), or ``duckdb:///abs/path`` /
  ``duckdb://relative/path`` — the embedded default, created on first use;
- PostgreSQL: ``postgresql://user[:password]@host[:port]/database[?options]`` (``postgres://`` too), as
  libpq reads it; needs the ``postgres`` extra (psycopg 3).

Anything else is an :class:`~routing.errors.InputError` naming ``--history`` (exit 2, before planning).
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputError

ENV = "ROUTING_HISTORY"  # the history URL when --history is not given
DUCKDB, POSTGRESQL = "duckdb", "postgresql"
DUCKDB_SUFFIXES = (".duckdb", ".db")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class HistoryUrl:
    """A checked history URL: ``kind`` (duckdb or postgresql), ``target`` (the DuckDB file's path, or the
    libpq URL) and ``shown`` (what messages print: the password replaced by ``***``)."""

    kind: str
    target: str
    shown: str

    def __str__(self) -> str:
        return self.shown


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def parse_url(text: str | os.PathLike[str], source: str = "--history") -> HistoryUrl:
    """``text`` as a :class:`HistoryUrl`; :class:`InputError` (naming ``source``) for an empty text, an
    unknown scheme, a plain path that does not name a DuckDB file, or PostgreSQL without psycopg."""
    url = os.fspath(text).strip()
    if not url:
        raise InputError(source, None, "must name the history database: a DuckDB file (runs.duckdb) or a "
                                       "postgresql:// URL")
    scheme = _SCHEME.match(url)
    if scheme is None:
        if not url.lower().endswith(DUCKDB_SUFFIXES) or url.endswith("/"):
            raise InputError(source, url, "is not a history URL: give a DuckDB file ending .duckdb or .db, "
                                          "duckdb:///PATH or postgresql://USER@HOST:PORT/DB")
        return HistoryUrl(DUCKDB, url, url)
    name = scheme.group(1).lower()
    if name == DUCKDB:
        path = url[scheme.end():]
        if not path or path.endswith("/"):
            raise InputError(source, url, "names no DuckDB file (duckdb:///abs/path.duckdb or "
                                          "duckdb://relative/path.duckdb)")
        return HistoryUrl(DUCKDB, path, url)
    if name in ("postgresql", "postgres"):
        shown = _redacted(url)
        if importlib.util.find_spec("psycopg") is None:
            raise InputError(source, shown, "PostgreSQL needs psycopg 3: pip install 'routing[postgres]'")
        return HistoryUrl(POSTGRESQL, url, shown)
    raise InputError(source, _redacted(url), f"unknown scheme {name!r}: use a DuckDB file (runs.duckdb, "
                                             f"duckdb:///PATH) or postgresql://USER@HOST:PORT/DB")


def history_url(given: str | None, source: str = "--history") -> HistoryUrl | None:
    """The history URL of a command: ``given`` (its --history option) or else $ROUTING_HISTORY; None
    when neither is set (an empty $ROUTING_HISTORY counts as unset)."""
    if given is not None:
        return parse_url(given, source)
    env = os.environ.get(ENV, "")
    return parse_url(env, f"${ENV}") if env.strip() else None


def duckdb_path(url: HistoryUrl) -> Path:
    """The DuckDB file of a duckdb URL."""
    return Path(url.target).expanduser()
