"""Reading and atomically writing CSV/Parquet tables with pyarrow, and typed column checks.

Every failure is an :class:`InputError` naming the file, the 1-based data row (header excluded)
and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from .limits import FIRST_DATE, LAST_DATE, show

_DAY0 = dt.date(1970, 1, 1)


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
            _check_types(path, table)
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
    """The first data row (1-based, blank lines skipped as pyarrow does) without ``n_fields`` fields, and
    its count; None if there is none, or if the file is not CSV the csv module can read (a field longer
    than its limit)."""
    limit = csv.field_size_limit(2**31 - 1)  # any field the file holds (the default stops at 131,072 chars)
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            rows = (r for r in csv.reader(fh) if r)
            next(rows, None)
            for i, row in enumerate(rows, 1):
                if len(row) != n_fields:
                    return i, len(row)
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    return None


def _type_ok(kind: pa.DataType) -> bool:
    """A column type the loaders read: text, numbers, dates, booleans (refused by the field checks where no
    boolean belongs) or all null; not lists, structs, maps or binary."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
            or pa.types.is_floating(kind) or pa.types.is_decimal(kind) or pa.types.is_date(kind)
            or pa.types.is_timestamp(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind))


def _check_types(path: Path, table: pa.Table) -> None:
    """Refuse Parquet columns of a type no field can hold, before any value is read."""
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        if not _type_ok(kind):
            raise InputError(str(path), None, f"column '{name}': unsupported Parquet type {kind}")


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
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_decimal(col.type):
            # unsafe: an integer beyond 2^53 becomes the nearest float (the range checks refuse it)
            out = pc.cast(col, pa.float64(), safe=False).to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            txt = self.text().fill_null("")
            txt = pc.if_else(pc.equal(txt, ""), "nan", txt)
            try:
                out = pc.cast(txt, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                row, value = _first_bad_row(txt, _parses_float)
                self.fail(row, f"not a number: {show(value)}")
            out = np.array(out, dtype=np.float64)
        out[blank] = default
        return out

    def ints(self, default: int, lo: float, hi: float) -> np.ndarray:
        """Whole numbers within [lo, hi] (blank cells: ``default``, not checked)."""
        values = self.floats(float(default))
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            self.fail(row + 1, f"must be a whole number, got {show(self._raw(row))}")
        self.within(np.where(self.blank(), lo, values), lo, hi)
        return values.astype(np.int64)

    def within(self, values: np.ndarray, lo: float, hi: float, lo_open: bool = False) -> None:
        """Fail on the first value outside [lo, hi] (``lo_open``: (lo, hi]); NaN is outside."""
        low = values > lo if lo_open else values >= lo
        self.check(~(low & (values <= hi)), f"must be a finite number {'>' if lo_open else '>='} {lo:g} and <= {hi:g}")

    def _raw(self, row: int) -> object:
        return None if self.col is None else self.col[row].as_py()

    def check(self, bad: np.ndarray, message: str) -> None:
        """Fail on the first row where ``bad`` is True; ``message`` is completed with the value."""
        idx = np.flatnonzero(bad)
        if idx.size:
            row = int(idx[0])
            self.fail(row + 1, f"{message}, got {show(self._raw(row))}")

    def dates(self) -> np.ndarray:
        """Days since 1970-01-01 (int32), each within the accepted date range (docs/inputs.md#limits)."""
        days = self._days()
        first, last = ((d - _DAY0).days for d in (FIRST_DATE, LAST_DATE))
        bad = (days < first) | (days > last)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            self.fail(row + 1, f"must be between {FIRST_DATE} and {LAST_DATE}, got {show(self._raw(row))}")
        return days

    def _days(self) -> np.ndarray:
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
            self.fail(row, f"bad date {show(txt[row - 1].as_py())} (expected YYYY-MM-DD)")
        try:
            days = pc.cast(txt, pa.date32())  # rejects 2026-02-30, which strptime rolls over to March 2
        except pa.ArrowInvalid:
            row, value = _first_bad_row(txt, _parses_date)
            self.fail(row, f"bad date {show(value)} (expected YYYY-MM-DD)")
        return days.cast(pa.int32()).to_numpy(zero_copy_only=False)


def _parses_float(v: object) -> bool:
    try:
        float(str(v))
        return True
    except ValueError:
        return False


def _parses_date(v: object) -> bool:
    try:
        dt.date.fromisoformat(str(v))
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- writing


def umask() -> int:
    """The process's umask, read without changing it (Linux); 0o022 where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def write_temp(path: Path, writer: Callable[[Path], None], mode: int, prefix: str = ".",
               sync: bool = False) -> Path:
    """Call ``writer(tmp)`` on a new temp file beside ``path`` (named ``<prefix><name>.<random>.tmp``), give
    it ``mode`` and (``sync``) flush it to disk; returns it. On any failure the temp file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{prefix}{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, mode)
        if sync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_bytes(path: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp)`` on a temp file beside ``path`` and rename it into place, with the mode the
    umask allows (as any file the user creates)."""
    tmp = write_temp(path, writer, 0o666 & ~umask())
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def table_writer(table: pa.Table, fmt: str) -> Callable[[Path], None]:
    """A function writing ``table`` to a path as CSV (booleans ``true``/``false``, empty for null) or Parquet."""
    if fmt == "csv":
        return lambda path: pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    if fmt == "parquet":
        return lambda path: pq.write_table(table, path, compression="zstd")
    raise ValueError(f"unknown format {fmt!r}")


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write ``table`` as CSV or Parquet (:func:`table_writer`), atomically."""
    atomic_write_bytes(path, table_writer(table, fmt))
