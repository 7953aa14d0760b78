"""Reading and atomically writing CSV/Parquet tables with pyarrow, and typed column checks.

Every failure is an :class:`InputError` naming the file, the 1-based data row (header excluded)
and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
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


STDIN = "-"  # a table read from standard input
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2"}  # file suffix -> codec (CSV or Parquet inside)
_MAGIC = ((b"PAR1", None, "parquet"), (b"\x1f\x8b", "gzip", None), (b"\x28\xb5\x2f\xfd", "zstd", None),
          (b"BZh", "bz2", None))  # what standard input starts with -> (codec, format)


def table_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file name (a compression suffix — .gz, .zst, .bz2 — looked through)."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS:
        suffix = Path(path.stem).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(str(path), None, f"unknown table format {suffix!r} (use .csv or .parquet, optionally "
                                      f"compressed: {', '.join(COMPRESSIONS)})")


def as_arrow(data: object, source: str) -> pa.Table:
    """An in-memory table as a pyarrow Table: a pyarrow Table or RecordBatch, a pandas or polars DataFrame
    (anything with ``to_arrow()`` or the Arrow C stream interface)."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        if hasattr(data, "to_arrow"):  # polars
            out = data.to_arrow()
        elif hasattr(data, "__arrow_c_stream__"):  # pandas >= 2.2, and other Arrow-aware frames
            out = pa.table(data)
        elif type(data).__module__.startswith("pandas"):
            out = pa.Table.from_pandas(data, preserve_index=False)
        else:
            raise InputError(source, None, f"expected a file path, '-', a pyarrow Table or a pandas/polars "
                                           f"DataFrame, got {type(data).__name__}")
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise InputError(source, None, f"cannot be read as a table: {str(exc).splitlines()[0]}") from None
    return out if isinstance(out, pa.Table) else pa.Table.from_batches(list(out))


def _stdin_bytes() -> tuple[bytes, str]:
    """Standard input, decompressed, and its format (Parquet by its magic bytes, else CSV)."""
    data = sys.stdin.buffer.read()
    for magic, codec, fmt in _MAGIC:
        if data.startswith(magic):
            if codec is not None:
                data = pa.input_stream(pa.BufferReader(data), compression=codec).read()
                return data, "parquet" if data.startswith(b"PAR1") else "csv"
            return data, fmt or "csv"
    return data, "csv"


def read_table(source: str | Path | object, columns: dict[str, bool], extra: bool = False) -> pa.Table:
    """Read a table — a CSV (all columns as text) or Parquet file, optionally compressed (.gz, .zst,
    .bz2), ``-`` for standard input, or an in-memory table (:func:`as_arrow`); ``columns`` maps known
    name -> required; ``extra``: columns beyond them are kept (else refused)."""
    if not isinstance(source, (str, Path)):
        name = f"<{type(source).__name__}>"
        table = as_arrow(source, name)
        _check_types(Path(name), table)
        return _checked_columns(name, table, columns, extra)
    path = Path(source)
    data: bytes | None = None
    if str(source) == STDIN:
        data, fmt = _stdin_bytes()
        if not data:
            raise InputError("<stdin>", None, "is empty")
    else:
        if not path.exists():
            raise InputError(str(path), None, "file not found")
        if path.is_dir():
            raise InputError(str(path), None, "is a directory, expected a CSV or Parquet file")
        if path.stat().st_size == 0:
            raise InputError(str(path), None, "file is empty")
        fmt = table_format(path)
        codec = COMPRESSIONS.get(path.suffix.lower())
        if codec is not None:
            try:
                data = pa.input_stream(str(path), compression=codec).read()
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(str(path), None, f"cannot decompress ({codec}): {str(exc).splitlines()[0]}") from None
    where = "<stdin>" if str(source) == STDIN else str(path)
    names: list[str] = []
    try:
        if fmt == "csv":
            if data is None:
                with open(path, "rb") as fh:
                    first = fh.readline()
            else:
                first = data.split(b"\n", 1)[0]
            try:
                header = first.decode("utf-8-sig").strip()
            except UnicodeDecodeError:
                raise InputError(where, "header", "is not valid UTF-8") from None
            if not header:
                raise InputError(where, None, "file is empty (no header line)")
            names = [h.strip().strip('"') for h in header.split(",")]
            table = pacsv.read_csv(
                path if data is None else pa.BufferReader(data),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False
                ),
            )
        else:
            table = pq.read_table(path if data is None else pa.BufferReader(data))
            _check_types(Path(where), table)
    except InputError:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        if isinstance(exc, pa.ArrowInvalid) and fmt == "csv" and (ragged := _ragged_row(path, len(names), data)):
            raise InputError(where, f"row {ragged[0]}",
                             f"has {ragged[1]} fields, the header has {len(names)}") from None
        raise InputError(where, None, f"cannot read {fmt.upper()}: {str(exc).splitlines()[0]}") from None
    return _checked_columns(where, table, columns, extra)


def _checked_columns(where: str, table: pa.Table, columns: dict[str, bool], extra: bool) -> pa.Table:
    seen: set[str] = set()
    for k, name in enumerate(table.column_names):
        if not name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise InputError(where, None, f"column {k + 1} of the header has no name, or control characters in "
                                          f"it: {show(name)}")
        if name in seen:
            raise InputError(where, None, f"column '{name}' appears twice")
        seen.add(name)
        if name not in columns and not extra:
            raise InputError(where, None, f"unknown column '{name}' (expected {', '.join(columns)})")
    for name, required in columns.items():
        if required and name not in seen:
            raise InputError(where, None, f"missing required column '{name}'")
    return table


def _ragged_row(path: Path, n_fields: int, data: bytes | None = None) -> tuple[int, int] | None:
    """The first data row (1-based, blank lines skipped as pyarrow does) without ``n_fields`` fields, and
    its count; None if there is none, or if the file is not CSV the csv module can read (a field longer
    than its limit)."""
    limit = csv.field_size_limit(2**31 - 1)  # any field the file holds (the default stops at 131,072 chars)
    try:
        with (open(path, newline="", encoding="utf-8-sig", errors="replace") if data is None else
              io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")) as fh:
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
        if not pa.types.is_string(col.type):  # large strings (pandas 3), dictionaries, numbers: as string
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

    def dates(self, zones: tuple[np.ndarray, list[str]] | None = None) -> np.ndarray:
        """Days since 1970-01-01 (int32), each within the accepted date range (docs/inputs.md#limits).

        A cell is a date (``YYYY-MM-DD``) or an ISO 8601 timestamp: one with an offset or ``Z`` is the
        date it falls on in its row's time zone (``zones``: a code per row into IANA names; UTC when not
        given), one without is the date written."""
        days = self._days(zones)
        first, last = ((d - _DAY0).days for d in (FIRST_DATE, LAST_DATE))
        bad = (days < first) | (days > last)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            self.fail(row + 1, f"must be between {FIRST_DATE} and {LAST_DATE}, got {show(self._raw(row))}")
        return days

    def _days(self, zones: tuple[np.ndarray, list[str]] | None) -> np.ndarray:
        col = self._present()
        if pa.types.is_date(col.type):
            return pc.cast(col, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        if pa.types.is_timestamp(col.type):
            if col.type.tz is not None:
                return _local_days(col.combine_chunks(), zones, self.n)
            return pc.cast(pc.cast(col, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
        txt = self.text().combine_chunks()
        is_date = pc.match_substring_regex(txt, _DATE_RE).fill_null(False).to_numpy(zero_copy_only=False)
        zoned = naive = np.zeros(len(txt), dtype=bool)
        if not is_date.all():  # timestamps are looked for only when some cell is not a plain date
            zoned = pc.match_substring_regex(txt, _DATE_RE[:-1] + _TIME_RE + _ZONE_RE + "$").fill_null(False)
            zoned = zoned.to_numpy(zero_copy_only=False)
            naive = pc.match_substring_regex(txt, _DATE_RE[:-1] + _TIME_RE + "$").fill_null(False)
            naive = naive.to_numpy(zero_copy_only=False)
        ok_np = is_date | zoned | naive
        if not ok_np.all():
            row = int(np.flatnonzero(~ok_np)[0]) + 1
            self.fail(row, f"bad date {show(txt[row - 1].as_py())} (expected YYYY-MM-DD or an ISO 8601 timestamp)")
        day_text = txt if is_date.all() else pc.utf8_slice_codeunits(txt, 0, 10)  # the date written
        try:
            days = pc.cast(day_text, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False).copy()
        except pa.ArrowInvalid:  # rejects 2026-02-30, which strptime rolls over to March 2
            row, value = _first_bad_row(day_text, _parses_date)
            self.fail(row, f"bad date {show(value)} (expected YYYY-MM-DD)")
        if zoned.any():
            rows = np.flatnonzero(zoned)
            stamps = txt.take(pa.array(rows))
            try:
                instants = pc.cast(stamps, pa.timestamp("us", tz="UTC"))
            except pa.ArrowInvalid:
                row, value = _first_bad_row(stamps, _parses_timestamp)
                self.fail(int(rows[row - 1]) + 1, f"bad timestamp {show(value)}")
            sub = None if zones is None else (zones[0][rows], zones[1])
            days[rows] = _local_days(instants, sub, len(rows))
        return days


_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TIME_RE = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_ZONE_RE = r"(Z|[+-]\d{2}(:?\d{2})?)"


def _local_days(instants: pa.Array, zones: tuple[np.ndarray, list[str]] | None, n: int) -> np.ndarray:
    """Days since 1970 of the local dates of time-zone-aware ``instants`` in each row's zone (UTC if none)."""
    codes, names = zones if zones is not None else (np.zeros(n, dtype=np.int64), ["UTC"])
    out = np.zeros(n, dtype=np.int32)
    unit = instants.type.unit
    for code in np.unique(codes).tolist():
        rows = np.flatnonzero(codes == code)
        local = pc.local_timestamp(instants.take(pa.array(rows)).cast(pa.timestamp(unit, tz=names[code])))
        out[rows] = pc.cast(pc.cast(local, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
    return out


def _parses_timestamp(v: object) -> bool:
    try:
        return dt.datetime.fromisoformat(str(v).replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


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
