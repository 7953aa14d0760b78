"""Reading and atomically writing CSV/Parquet tables with pyarrow, and typed column checks.

Every failure is an :class:`InputError` naming the file, the 1-based data row (header excluded)
and the column.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError, InternalError


def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(str(path), None, f"unknown table format {suffix!r} (use .csv or .parquet)")


def read_table(path: str | Path, columns: dict[str, bool]) -> pa.Table:
    """Read a CSV (all columns as text) or Parquet file; ``columns`` maps known name -> required."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), None, "file not found")
    if path.is_dir():
        raise InputError(str(path), None, "is a directory, expected a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise InputError(str(path), None, "file is empty")
    fmt = table_format(path)
    try:
        if fmt == "csv":
            with open(path, "rb") as fh:
                header = fh.readline().decode("utf-8-sig", errors="replace").strip()
            if not header:
                raise InputError(str(path), None, "file is empty (no header line)")
            names = [h.strip().strip('"') for h in header.split(",")]
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False
                ),
            )
        else:
            table = pq.read_table(path)
    except InputError:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        if isinstance(exc, pa.ArrowInvalid) and fmt == "csv" and (ragged := _ragged_row(path, len(names))):
            raise InputError(str(path), f"row {ragged[0]}",
                             f"has {ragged[1]} fields, the header has {len(names)}") from None
        raise InputError(str(path), None, f"cannot read {fmt.upper()}: {str(exc).splitlines()[0]}") from None
    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise InputError(str(path), None, f"column '{name}' appears twice")
        seen.add(name)
        if name not in columns:
            raise InputError(str(path), None, f"unknown column '{name}' (expected {', '.join(columns)})")
    for name, required in columns.items():
        if required and name not in seen:
            raise InputError(str(path), None, f"missing required column '{name}'")
    return table


def _ragged_row(path: Path, n_fields: int) -> tuple[int, int] | None:
    """The first data row (1-based, blank lines skipped as pyarrow does) without ``n_fields`` fields, and its count."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        rows = (r for r in csv.reader(fh) if r)
        next(rows, None)
        for i, row in enumerate(rows, 1):
            if len(row) != n_fields:
                return i, len(row)
    return None


def _blank_mask(col: pa.ChunkedArray) -> np.ndarray:
    """True where a cell is null or (for text) blank."""
    mask = col.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        blank = pc.equal(pc.utf8_trim_whitespace(col), "").fill_null(True)
        mask = mask | blank.to_numpy(zero_copy_only=False)
    return mask


def _first_bad_row(col: pa.ChunkedArray, ok: Callable[[object], bool]) -> tuple[int, object]:
    for i, v in enumerate(col.to_pylist()):
        if not ok(v):
            return i + 1, v
    return 0, None


class Column:
    """Typed access to one column of a table, for error messages naming file, row and column."""

    def __init__(self, source: str, table: pa.Table, name: str) -> None:
        self.source, self.name = source, name
        self.present = name in table.column_names
        self.col = table.column(name) if self.present else None
        self.n = table.num_rows

    def fail(self, row: int, message: str) -> None:
        raise InputError(self.source, f"row {row}", f"column '{self.name}': {message}")

    def blank(self) -> np.ndarray:
        if self.col is None:
            return np.ones(self.n, dtype=bool)
        return _blank_mask(self.col)

    def require_filled(self) -> None:
        missing = np.flatnonzero(self.blank())
        if missing.size:
            self.fail(int(missing[0]) + 1, "is empty")

    def _present(self) -> pa.ChunkedArray:
        """The column's data (reading a column the table lacks is a bug of the caller)."""
        if self.col is None:
            raise InternalError(f"{self.source}: column '{self.name}' read, but the table has none")
        return self.col

    def text(self) -> pa.ChunkedArray:
        """The column as trimmed strings (nulls kept)."""
        col = self._present()
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = col.cast(pa.string()) if pa.types.is_dictionary(col.type) else pc.cast(col, pa.string())
        return pc.utf8_trim_whitespace(col)

    def floats(self, default: float) -> np.ndarray:
        if self.col is None:
            return np.full(self.n, default, dtype=np.float64)
        blank = self.blank()
        col = self.col
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            out = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            txt = self.text().fill_null("")
            txt = pc.if_else(pc.equal(txt, ""), "nan", txt)
            try:
                out = pc.cast(txt, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                row, value = _first_bad_row(txt, _parses_float)
                self.fail(row, f"not a number: {value!r}")
            out = np.array(out, dtype=np.float64)
        out[blank] = default
        return out

    def ints(self, default: int) -> np.ndarray:
        values = self.floats(float(default))
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            self.fail(row + 1, f"must be a whole number, got {self._raw(row)!r}")
        return values.astype(np.int64)

    def _raw(self, row: int) -> object:
        return None if self.col is None else self.col[row].as_py()

    def check(self, bad: np.ndarray, message: str) -> None:
        """Fail on the first row where ``bad`` is True; ``message`` is completed with the value."""
        idx = np.flatnonzero(bad)
        if idx.size:
            row = int(idx[0])
            self.fail(row + 1, f"{message}, got {self._raw(row)!r}")

    def dates(self) -> np.ndarray:
        """Days since 1970-01-01 (int32)."""
        col = self._present()
        if pa.types.is_date(col.type):
            return pc.cast(col, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        if pa.types.is_timestamp(col.type):
            return pc.cast(pc.cast(col, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
        txt = self.text()
        ok = pc.match_substring_regex(txt, r"^\d{4}-\d{2}-\d{2}$").fill_null(False)
        ok_np = ok.to_numpy(zero_copy_only=False)
        if not ok_np.all():
            row = int(np.flatnonzero(~ok_np)[0]) + 1
            self.fail(row, f"bad date {txt[row - 1].as_py()!r} (expected YYYY-MM-DD)")
        try:
            days = pc.cast(txt, pa.date32())  # rejects 2026-02-30, which strptime rolls over to March 2
        except pa.ArrowInvalid:
            row, value = _first_bad_row(txt, _parses_date)
            self.fail(row, f"bad date {value!r} (expected YYYY-MM-DD)")
        return days.cast(pa.int32()).to_numpy(zero_copy_only=False)


def _parses_float(v: object) -> bool:
    try:
        float(str(v))
        return True
    except ValueError:
        return False


def _parses_date(v: object) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(str(v))
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- writing


def atomic_write_bytes(path: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp)`` on a temp file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write ``table`` as CSV (booleans ``true``/``false``, empty for null) or Parquet, atomically."""
    if fmt == "csv":
        atomic_write_bytes(path, lambda tmp: pacsv.write_csv(
            table, tmp, write_options=pacsv.WriteOptions(quoting_style="needed")))
    elif fmt == "parquet":
        atomic_write_bytes(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    else:
        raise ValueError(f"unknown format {fmt!r}")
