"""Data intake (数据报送, "extraction, not forms"): an institution's dataset for a period, from CSV, XLSX or
Parquet (a file upload, the API or the CLI), checked against its data contract with a row-level report in
both languages; a rejected submission stores nothing; an accepted one is written as Parquet under
var/finreg/store/<dataset>/<institution>/<period>/v<N>.parquet and supersedes the version before (kept).

The check is column-wise (Arrow compute), so that ten million rows are checked in seconds: a CSV file is read
by Arrow's CSV reader in blocks, every cell as text; a Parquet file directly; an XLSX file (and a CSV file
Arrow cannot read exactly as the csv module would: rows of uneven length, a cell over the csv module's limit,
anything Arrow refuses) through `core.tabular`'s row reader, gathered into the same columns. Each column is
then checked as a whole: text in the canonical form of its type (up to 18 ASCII digits, `YYYY-MM-DD`, a
plain decimal, a yes/no word, an enum's value) is converted vectorised; any other non-empty text goes
through the scalar converter (`_convert`), which defines what is accepted — so the vectorised path accepts
exactly what the scalar one does, only faster. Every fault is counted in full and the first ones of each kind are kept, so the report
lists the first `MAX_REPORTED` problems in file order (row = line of the file, header = 1) and says how many
there are in all. A repeated key is found by a 64-bit hash of each good row's key (DuckDB's `hash()`) and
one sort; rows whose hashes meet are then compared by value."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError, NotFound, PermissionDenied
from gzgov.core.tabular import (
    MAX_REPORTED,
    Column,
    ImportRejected,
    ImportReport,
    _header_map,
    read_records,
)
from gzgov.finreg.contracts import Dataset, Field, load_datasets
from gzgov.finreg.models import Institution, Submission

TRUE, FALSE = {"true", "1", "是", "yes", "y"}, {"false", "0", "否", "no", "n", ""}
ARROW = {"string": pa.string(), "enum": pa.string(), "integer": pa.int64(), "decimal": pa.string(),
         "date": pa.date32(), "boolean": pa.bool_()}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CELL_LIMIT = csv.field_size_limit()  # the csv module's field limit: a longer CSV cell is refused on every path
CSV_BLOCK = 1 << 24  # bytes of CSV text Arrow parses at a time
BATCH_ROWS = 1 << 18  # rows per batch from the row reader and from Parquet
ROW_GROUP_ROWS = 1 << 20  # rows per row group of a stored file (pyarrow's default)
# the stored files' codec: a file is written once and read by every check of its period, so decoding speed
# counts most; over 50M loans the rule pack ran ~1.5 s (~10%) faster on LZ4 than on zstd, for files 1.5×
# the size (docs/finreg-engine.md, "Storage")
CODEC = "lz4"


def store_dir() -> Path:
    return get_settings().var_dir / "finreg" / "store"


_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def _period(text: str) -> str:
    """The period YYYY-MM (four ASCII digits, not year 0; month 01–12), or bad_period."""
    match = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    if match and match.group(1) != "0000":
        return text
    raise GzgovError("bad_period", f"报送期应为 YYYY-MM：{text}", f"The period must be YYYY-MM: {text}")


# ---------------------------------------------------------------- one cell (the definition of what is accepted)

_INTEGER = re.compile(r"-?\d+")  # any decimal digits, full-width ones too (int() reads them)


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text) or not INT64_MIN <= int(text) <= INT64_MAX:
        raise ValueError(f"应为整数（金额以分计）|an integer (amounts in fen): {text}")
    return int(text)


def _decimal(text: str) -> str:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"应为数值|a number: {text}") from None
    if not d.is_finite():
        raise ValueError(f"应为数值|a number: {text}")
    return str(d)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"日期应为 YYYY-MM-DD|a date YYYY-MM-DD: {text}") from None


def _boolean(text: str) -> bool:
    low = text.lower()
    if low not in TRUE | FALSE:
        raise ValueError(f"应为是/否|true or false: {text}")
    return low in TRUE


_CONVERT = {"integer": _integer, "decimal": _decimal, "date": _date, "boolean": _boolean}


def _convert(f: Field, text: str) -> object:
    """One cell as its contract type, or ValueError with the reason in both languages ("中文|English")."""
    if text == "":
        if f.required:
            raise ValueError("必填|required")
        return None
    if f.type == "enum" and text not in f.values:
        raise ValueError(f"取值应为 {'/'.join(f.values)}|one of {', '.join(f.values)}: {text}")
    return _CONVERT.get(f.type, str)(text)


# ---------------------------------------------------------------- one column (vectorised)

# The canonical text of each type, converted by Arrow; the scalar converter takes whatever else is not empty.
_FAST_DECIMAL = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"  # str(Decimal(x)) == x ...
_TINY_DECIMAL = r"^-?0\.0{6}"  # ... except below 1e-6, which str() writes with an exponent
_BOOLEAN_WORDS = pa.array(sorted((TRUE | FALSE) - {""}))
_TRUE_WORDS = pa.array(sorted(TRUE))


def _mask(n: int, indices: list[int]) -> pa.Array:
    m = np.zeros(n, dtype=bool)
    m[indices] = True
    return pa.array(m)


def _check_column(f: Field, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The column as its contract type (null where empty or faulty) and the mask of its faulty cells."""
    empty = pc.equal(pc.binary_length(text), 0)
    null = pa.scalar(None, ARROW[f.type])
    faulty = empty if f.required else pa.repeat(pa.scalar(False), len(text))
    if f.type in ("string", "enum"):
        # an empty cell is null; of a required field it is a fault, and a faulty row is never stored
        values = pc.if_else(empty, null, text) if not f.required and pc.any(empty).as_py() else text
        if f.type == "enum":  # kept as indices into its values: no copy of the text of each cell
            dictionary = pa.array(f.values, pa.string())
            index = pc.index_in(text, value_set=dictionary)
            faulty = pc.or_(faulty, pc.and_not(pc.is_null(index), empty))
            if "" in f.values:
                index = pc.if_else(empty, pa.scalar(None, pa.int32()), index)
            values = pa.DictionaryArray.from_arrays(index, dictionary)
        return values, faulty
    if f.type == "integer":  # up to 18 ASCII digits: always within int64 (a sign goes the scalar way)
        fast = pc.and_(pc.ascii_is_decimal(text), pc.less_equal(pc.binary_length(text), 18))
        values = pc.cast(pc.if_else(fast, text, pa.scalar(None, pa.string())), pa.int64())
    elif f.type == "decimal":
        fast = pc.and_not(pc.match_substring_regex(text, _FAST_DECIMAL), pc.match_substring_regex(text, _TINY_DECIMAL))
        values = pc.if_else(fast, text, null)
    elif f.type == "date":
        try:  # every cell an ISO date (the usual case): one cast
            days = pc.cast(text, pa.date32())
        except pa.ArrowInvalid:
            days = pc.cast(pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
        # taken as it stands only when it prints back as written (YYYY-MM-DD exactly, no 2025-02-30 rolled over
        # to March) and in Python's range (year 1 on)
        fast = pc.fill_null(pc.and_not(pc.equal(pc.cast(days, pa.string()), text),
                                       pc.starts_with(text, "0000")), False)
        values = days if pc.all(fast).as_py() else pc.if_else(fast, days, null)
    else:  # boolean
        low = pc.utf8_lower(text)
        fast = pc.is_in(low, value_set=_BOOLEAN_WORDS)
        values = pc.if_else(fast, pc.is_in(low, value_set=_TRUE_WORDS), null)
    slow = pc.and_not(pc.invert(fast), empty)  # not empty, not canonical: the scalar converter decides
    if pc.any(slow).as_py():
        where = pc.indices_nonzero(slow)
        got, bad = [], []
        convert = _CONVERT[f.type]
        for i, cell in zip(where.to_pylist(), text.take(where).to_pylist(), strict=True):
            try:
                got.append(convert(cell))
            except ValueError:
                got.append(None)
                bad.append(i)
        values = pc.replace_with_mask(values, slow, pa.array(got, ARROW[f.type]))
        if bad:
            faulty = pc.or_(faulty, _mask(len(text), bad))
    return values, faulty


# ---------------------------------------------------------------- the whole file

_DICTIONARY = pa.dictionary(pa.int32(), pa.string())
_ONE_VALUE = ("institution_code", "period")


@dataclass
class _Fault:
    """One kind of fault (a field's cells, the institution, the period, a repeated key): all counted, the
    first MAX_REPORTED kept as (line, text)."""

    count: int = 0
    first: list[tuple[int, object]] = field(default_factory=list)

    def note(self, mask: pa.Array, lines: pa.Array, texts: pa.Array) -> None:
        n = pc.sum(mask).as_py() or 0
        if not n:
            return
        self.count += n
        room = MAX_REPORTED - len(self.first)
        if room > 0:
            where = pc.indices_nonzero(mask).slice(0, room)
            self.first += zip(lines.take(where).to_pylist(), texts.take(where).to_pylist(), strict=True)

    def extend(self, found: list[tuple[int, object]]) -> None:
        self.count += len(found)
        self.first += found[:max(MAX_REPORTED - len(self.first), 0)]


class _Checker:
    """Takes the file's rows in batches — the text of each contract field (None: the column is absent, every
    cell empty) and each row's line number — and keeps the typed rows and the faults."""

    def __init__(self, ds: Dataset, fields: list[Field], code: str, period: str, sink: Path | None = None) -> None:
        self.ds, self.fields, self.code, self.period = ds, fields, code, period
        # `sink`: the rows are written there as Parquet batch by batch while every row so far is good (a file
        # with a bad row is refused whole, and the caller removes it), and only the keys are kept in memory
        self.sink = sink
        self.writer: pq.ParquetWriter | None = None
        self.sinking = sink is not None
        self.pending: list[pa.RecordBatch] = []  # good batches not yet written (up to a row group's rows)
        self.pending_rows = 0
        # as held: an enum, and the institution's code and the period (one value each in a good file), as
        # dictionary indices; the contract's plain types in the stored file
        self.schema = pa.schema([pa.field(f.name, _DICTIONARY if f.type == "enum" or f.name in _ONE_VALUE
                                          else ARROW[f.type]) for f in fields])
        self.names = [f.name for f in fields]
        # faults by their place within a row, which orders a row's faults as the report lists them
        self.faults: dict[int, _Fault] = {}
        self.batches: list[pa.RecordBatch] = []
        self.ok: list[pa.Array] = []
        self.lines: list[pa.Array] = []
        self.key_hashes: list[np.ndarray] = []  # of the good rows' keys, in file order
        self.rows = 0
        self._duckdb: duckdb.DuckDBPyConnection | None = None

    def _fault(self, place: int) -> _Fault:
        return self.faults.setdefault(place, _Fault())

    def add(self, texts: list[pa.Array | None], lines: pa.Array) -> None:
        n = len(lines)
        self.rows += n
        values, bad = [], pa.repeat(pa.scalar(False), n)
        for i, (f, text) in enumerate(zip(self.fields, texts, strict=True)):
            text = pa.repeat(pa.scalar("", pa.string()), n) if text is None else text
            typed, faulty = _check_column(f, text)
            self._fault(i).note(faulty, lines, text)
            bad = pc.or_(bad, faulty)
            values.append(typed)
        ok = pc.invert(bad)
        # then, on a row with no faulty cell: the institution's own code, then the period (as before: one each)
        for place, name, expected in ((len(self.fields), "institution_code", self.code),
                                      (len(self.fields) + 1, "period", self.period)):
            if name in self.names:
                own = values[self.names.index(name)]
                wrong = pc.fill_null(pc.and_(ok, pc.not_equal(own, pa.scalar(expected, pa.string()))), False)
                self._fault(place).note(wrong, lines, own)
                ok = pc.and_not(ok, wrong)
                one = pa.array([expected], pa.string())  # a row of another value is faulty, never stored
                values[self.names.index(name)] = pa.DictionaryArray.from_arrays(pc.index_in(own, value_set=one), one)
        batch = pa.RecordBatch.from_arrays(values, schema=self.schema)
        if self.sink is None:
            self.batches.append(batch)
        else:
            self.batches.append(batch.select(list(self.ds.key)))  # for the repeats
            self.sinking = self.sinking and pc.all(ok).as_py()
            if self.sinking:
                self.pending.append(batch)
                self.pending_rows += batch.num_rows
                if self.pending_rows >= ROW_GROUP_ROWS:
                    self._flush()
            else:
                self.pending.clear()
                self.pending_rows = 0
        self.ok.append(ok)
        self.lines.append(lines)
        if self.ds.key:
            self.key_hashes.append(self._hash_keys(batch.select(list(self.ds.key)).filter(ok)))

    def _hash_keys(self, keys: pa.RecordBatch) -> np.ndarray:
        """A 64-bit hash of each row's key (DuckDB's hash(), vectorised)."""
        if self._duckdb is None:
            self._duckdb = duckdb.connect()
            self._duckdb.execute("SET threads = 2")
        self._duckdb.register("intake_keys", keys)
        try:
            cols = ", ".join(f'"{name}"' for name in keys.schema.names)
            return self._duckdb.execute(f"SELECT hash({cols}) AS h FROM intake_keys").fetchnumpy()["h"]
        finally:
            self._duckdb.unregister("intake_keys")

    def _repeats(self) -> None:
        """A record whose key repeats an earlier good row's is reported against the first one. Equal hashes
        pick the candidates (none, in a file without repeats: one sort of the hashes decides); their keys are
        then compared as values, so a collision of hashes is never taken for a repeat."""
        if not self.key_hashes:
            return
        hashes = np.concatenate(self.key_hashes)
        ordered = np.sort(hashes)
        if not (ordered[1:] == ordered[:-1]).any():
            return
        order = np.argsort(hashes, kind="stable")
        same = hashes[order][1:] == hashes[order][:-1]
        shared = np.zeros(len(hashes), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
        candidates = pa.array(np.sort(order[shared]))  # positions among the good rows, in file order
        keys = pa.concat_tables(pa.Table.from_batches([b.select(list(self.ds.key)).filter(ok)])
                                for b, ok in zip(self.batches, self.ok, strict=True)).take(candidates)
        lines = pa.chunked_array([lines.filter(ok) for lines, ok in zip(self.lines, self.ok, strict=True)],
                                 pa.int64()).take(candidates).to_pylist()
        first: dict[tuple, int] = {}
        repeats = []
        for line, key in zip(lines, zip(*(keys.column(k).to_pylist() for k in self.ds.key), strict=True),
                             strict=True):
            if key in first:
                repeats.append((line, first[key]))
            else:
                first[key] = line
        self._fault(len(self.fields) + 2).extend(repeats)

    def _message(self, place: int, text: object) -> tuple[str, str, str]:
        """(column, zh, en) of a fault."""
        n = len(self.fields)
        if place < n:
            f = self.fields[place]
            try:
                _convert(f, text)
            except ValueError as e:
                zh, en = str(e).split("|", 1)
                return f.name, zh, en
            raise AssertionError(f"{f.name}: {text!r} was found faulty but converts")  # pragma: no cover
        if place == n:
            return ("institution_code", f"不是本机构（{self.code}）的数据", f"not this institution's ({self.code}) data")
        if place == n + 1:
            return "period", f"报送期应为 {self.period}", f"the period must be {self.period}"
        return self.ds.key[0], f"与第 {text} 行重复", f"repeats row {text}"

    def _flush(self) -> None:
        """The pending good batches as one row group of the sink's file."""
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.sink, self.schema, compression=CODEC, store_schema=False)
        self.writer.write_table(pa.Table.from_batches(self.pending, schema=self.schema), row_group_size=ROW_GROUP_ROWS)
        self.pending.clear()
        self.pending_rows = 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self._duckdb is not None:
            self._duckdb.close()
            self._duckdb = None

    def finish(self, report: ImportReport) -> pa.Table | None:
        """Put the faults into the report in file order; the typed table when there are none (with a sink: an
        empty table, the rows being in the sink's file)."""
        self._repeats()
        if self._duckdb is not None:
            self._duckdb.close()
            self._duckdb = None
        report.rows = self.rows
        # what the reader reported as it read (a cell it could not read) goes before the faults of its row
        found = [(e.row, -1, e) for e in report.errors]
        found += [(line, place, text) for place, fault in self.faults.items() for line, text in fault.first]
        found.sort(key=lambda item: item[:2])
        total = report.error_count + sum(fault.count for fault in self.faults.values())
        report.errors, report.error_count = [], 0
        for line, place, item in found[:MAX_REPORTED]:
            if place < 0:
                report.add(item.row, item.column, item.zh, item.en)
            else:
                report.add(line, *self._message(place, item))
        report.error_count = total
        if total:
            return None
        if self.sink is not None:
            if self.pending or self.writer is None:  # the last rows (or none: a file with no rows is refused)
                self._flush()
            self.close()
            return self.schema.empty_table()
        return pa.Table.from_batches(self.batches, schema=self.schema)


# ---------------------------------------------------------------- readers: batches of (texts, line numbers)

Batches = Iterator[tuple[list[pa.Array | None], pa.Array]]


class _NeedsRowReader(Exception):
    """Arrow cannot read this CSV file exactly as the csv module does: read it row by row instead."""


def _lines(start: int, n: int) -> pa.Array:
    return pa.array(np.arange(start, start + n, dtype=np.int64))


def _is_utf8(data: bytes) -> bool:
    """Whether all of `data` is UTF-8 (Arrow's vectorised check of the bytes in place, no copy)."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # what str.strip() removes among ASCII characters


def _strip(col: pa.Array) -> pa.Array:
    """str.strip() of each cell (Arrow's Unicode whitespace is Python's). A column whose bytes are all
    printable ASCII (no byte below 0x21, none above 0x7e) has nothing to strip and is kept as it is."""
    if len(col) and not col.null_count:
        offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset:col.offset + len(col) + 1]
        text = np.frombuffer(col.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if not len(text) or (text.min() > 0x20 and text.max() < 0x7F):
            return col
    if pc.all(pc.string_is_ascii(col)).as_py() is not False:
        return pc.ascii_trim(col, characters=_ASCII_SPACE)
    return pc.utf8_trim_whitespace(col)


def _longest(col: pa.Array) -> int:
    """Characters in the longest cell (bytes bound characters: counted only when the bytes come near)."""
    if (pc.max(pc.binary_length(col)).as_py() or 0) < CELL_LIMIT:
        return 0
    return pc.max(pc.utf8_length(col)).as_py() or 0


def _arrow_csv(data: bytes, columns: list[Column], report: ImportReport) -> Batches:
    """A CSV file (UTF-8 with or without BOM, else GB18030) through Arrow's reader, every cell as stripped
    text; a row of blank cells is skipped (its line still counted)."""
    read = pacsv.ReadOptions(block_size=CSV_BLOCK, encoding="utf8" if _is_utf8(data) else "gb18030")
    parse = pacsv.ParseOptions(ignore_empty_lines=False, newlines_in_values=True)
    try:
        names = pacsv.open_csv(pa.BufferReader(data), read_options=read, parse_options=parse).schema.names
        text = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                    quoted_strings_can_be_null=False)
        reader = pacsv.open_csv(pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=text)
    except (pa.ArrowException, UnicodeDecodeError) as e:  # an empty file, a block Arrow cannot split, ...
        raise _NeedsRowReader from e
    index = _header_map(names, columns, report)
    if not report.ok:
        return
    positions = [index.get(c.key) for c in columns]
    line = 2
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowException, UnicodeDecodeError) as e:  # a row of another length than the header's, ...
            raise _NeedsRowReader from e
        cells = batch.columns
        if any(_longest(c) >= CELL_LIMIT for c in cells):
            raise _NeedsRowReader  # the row reader reports the cell as the csv module does
        cells = [_strip(c) for c in cells]
        lines = _lines(line, batch.num_rows)
        line += batch.num_rows
        blank = pa.repeat(pa.scalar(True), batch.num_rows)
        for c in cells:
            blank = pc.and_(blank, pc.equal(pc.binary_length(c), 0))
        if pc.any(blank).as_py():
            keep = pc.invert(blank)
            cells, lines = [c.filter(keep) for c in cells], lines.filter(keep)
        if len(lines):
            yield [None if p is None else cells[p] for p in positions], lines


def _row_reader(data: bytes, filename: str, columns: list[Column], report: ImportReport) -> Batches:
    """XLSX, and CSV that Arrow cannot read exactly: `core.tabular`'s row reader, gathered into columns."""
    rows = read_records(data, filename, columns, report)
    while chunk := list(islice(rows, BATCH_ROWS)):
        lines = pa.array([n for n, _ in chunk], pa.int64())
        cells = list(zip(*(r for _, r in chunk), strict=True))
        yield [pa.array(c, pa.string()) for c in cells], lines


_AS_TEXT = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_date32)


def _parquet_text(col: pa.ChunkedArray) -> pa.Array:
    """A Parquet column as the text str() gives of each value (Arrow's cast where it writes the same), nulls
    as "" (not stripped, as before)."""
    col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if any(test(col.type) for test in _AS_TEXT):
        text = pc.cast(col, pa.string())
    else:
        text = pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
    return pc.fill_null(text, "")


def _parquet(data: bytes, columns: list[Column], report: ImportReport) -> Batches:
    def unreadable() -> None:
        report.add(0, "file", "无法读取 Parquet 文件", "the Parquet file cannot be read")

    try:
        table = pq.read_table(io.BytesIO(data))
        table.validate(full=True)  # text that is not UTF-8, offsets out of range, ...
    except Exception:  # noqa: BLE001 - any unreadable file is one clear error
        unreadable()
        return
    names = table.column_names
    for name in sorted({n for n in names if names.count(n) > 1} & {c.key for c in columns}):
        report.add(1, name, f"列“{name}”重复", f"column “{name}” appears twice")
    for key in [c.key for c in columns if c.required and c.key not in names]:
        report.add(1, key, "缺少必填列", "required column missing")
    if not report.ok:
        return
    for start in range(0, table.num_rows, BATCH_ROWS):
        part = table.slice(start, BATCH_ROWS)
        try:
            texts = [_parquet_text(part.column(c.key)) if c.key in names else None for c in columns]
        except Exception:  # noqa: BLE001 - a value str() or Arrow cannot render
            unreadable()
            return
        yield texts, _lines(start + 2, part.num_rows)


def _batches(data: bytes, filename: str, columns: list[Column], report: ImportReport) -> Batches:
    suffix = Path(filename).suffix.lower()
    if suffix == ".parquet":
        return _parquet(data, columns, report)
    if suffix == ".csv":
        return _arrow_csv(data, columns, report)
    return _row_reader(data, filename, columns, report)


@dataclass
class Checked:
    """A submission that passed its contract. `table` holds its rows in the contract's types, except that the
    enums, the institution's code and the period are dictionary-encoded (a string each in the stored file:
    `write`)."""

    dataset: Dataset
    table: pa.Table
    rows: int
    sha256: str
    spooled: Path | None = None  # the rows already written there as the file was checked (`table` is empty)

    def write(self, path: Path) -> None:
        """The rows as Parquet (`CODEC`). The dictionary columns are written as Parquet writes any string column
        (dictionary pages); no Arrow schema is kept, so the file reads back in the contract's plain types."""
        if self.spooled is not None:
            os.replace(self.spooled, path)
        else:
            pq.write_table(self.table, path, compression=CODEC, store_schema=False)


def _check(data: bytes, filename: str, ds: Dataset, fields: list[Field], code: str, period: str,
           read: Callable[..., Batches], sink: Path | None = None) -> tuple[ImportReport, pa.Table | None]:
    columns = [Column(f.name, f.zh, f.en, required=f.required) for f in fields]
    report = ImportReport(filename)
    checker = _Checker(ds, fields, code, period, sink)
    try:
        for texts, lines in read(data, filename, columns, report):
            checker.add(texts, lines)
        return report, checker.finish(report)
    finally:
        checker.close()


def check_submission(data: bytes, filename: str, dataset: str, inst: Institution, period: str,
                     spool: Path | None = None) -> Checked:
    """Check a file against its contract: every row valid, or ImportRejected with a row/column/reason report.
    `spool`: write the rows there as they are checked instead of holding them (a 10M-row loans file is about
    a gigabyte as Arrow); the file is removed if the submission is refused."""
    datasets = load_datasets()
    ds = datasets.get(dataset)
    if ds is None or ds.grain == "institution":
        raise GzgovError("unknown_dataset", f"没有名为 {dataset} 的报送数据集", f"No submitted dataset named {dataset}")
    if not ds.for_kind(inst.kind):
        raise GzgovError("dataset_not_for_kind", f"{inst.kind} 不报送 {dataset}", f"{inst.kind} does not submit {dataset}")
    period = _period(period)
    fields = ds.submitted_fields(inst.kind)
    try:
        with ThreadPoolExecutor(1) as pool:
            digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())  # alongside the check (no GIL held)
            try:
                report, table = _check(data, filename, ds, fields, inst.code, period, _batches, spool)
            except _NeedsRowReader:
                if spool is not None:
                    spool.unlink(missing_ok=True)  # the rows the fast reader wrote: read again from the start
                report, table = _check(data, filename, ds, fields, inst.code, period, _row_reader, spool)
            sha256 = digest.result()
        if report.ok and report.rows == 0:
            report.add(2, "file", "文件中没有数据行", "the file has no data rows")
        if ds.grain == "period" and report.ok and report.rows != 1:
            report.add(3, "file", "定期报表应只有一行", "a periodic statement has exactly one row")
        if not report.ok or table is None:
            raise ImportRejected(report)
    except BaseException:
        if spool is not None:
            spool.unlink(missing_ok=True)
        raise
    return Checked(ds, table, report.rows, sha256, spool)


# ---------------------------------------------------------------- storing


def _institution_for(session: Session, actor: Actor, code: str) -> Institution:
    inst = session.scalar(select(Institution).where(Institution.code == code))
    if inst is None or (actor.institution_code and actor.institution_code != code):
        raise NotFound("监管对象", "Institution", code)
    if not actor.institution_code:
        actor.require("finreg.submit")  # the local operator (CLI) may submit on an institution's behalf
    return inst


def submit(session: Session, actor: Actor, institution_code: str, dataset: str, period: str, data: bytes,
           filename: str, channel: str = "file", idempotency_key: str | None = None) -> tuple[Submission, bool]:
    """Check and store a submission; returns (submission, created). The same idempotency key returns the
    submission it first created (and refuses a different payload under it).

    The Parquet file is written under a temporary name and moved to v<N>.parquet only once the database has
    taken the submission row (the unique version refuses a concurrent writer of the same N, whose temporary
    file is then removed): a request that loses a race never overwrites the winner's file."""
    actor.require("finreg.submit")
    inst = _institution_for(session, actor, institution_code)
    if idempotency_key:
        prior = session.scalar(select(Submission).where(Submission.institution_id == inst.id,
                                                        Submission.idempotency_key == idempotency_key))
        if prior is not None:
            if (prior.dataset, prior.period, prior.sha256) != (dataset, period, hashlib.sha256(data).hexdigest()):
                raise GzgovError("idempotency_conflict", "该幂等键已用于另一份报送", "This idempotency key was used for another submission")
            return prior, False
    spool = store_dir() / ".spool" / f"{uuid.uuid4().hex}.parquet"
    spool.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _store(session, actor, inst, dataset, period, check_submission(data, filename, dataset, inst, period,
                                                                              spool), channel, idempotency_key)
    finally:
        spool.unlink(missing_ok=True)  # moved into the store when it was taken


def _store(session: Session, actor: Actor, inst: Institution, dataset: str, period: str, checked: Checked,
           channel: str, idempotency_key: str | None) -> tuple[Submission, bool]:
    current = session.scalars(select(Submission).where(
        Submission.institution_id == inst.id, Submission.dataset == dataset, Submission.period == period,
        Submission.status == "current")).all()
    version = (session.scalar(select(func.max(Submission.version)).where(
        Submission.institution_id == inst.id, Submission.dataset == dataset, Submission.period == period)) or 0) + 1
    rel = Path(dataset) / inst.code / period / f"v{version}.parquet"
    path = store_dir() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        checked.write(part)
        for old in current:
            old.status = "superseded"
        sub = Submission(institution_id=inst.id, dataset=dataset, period=period, version=version, rows=checked.rows,
                         sha256=checked.sha256, path=str(rel), status="current", idempotency_key=idempotency_key,
                         channel=channel, submitted_by=actor.username)
        session.add(sub)
        session.flush()
        audit.record(session, actor.username, "finreg.submit", "finreg_submission", sub.id,
                     after={"institution": inst.code, "dataset": dataset, "period": period, "version": version,
                            "rows": checked.rows, "sha256": checked.sha256, "supersedes": [o.id for o in current]})
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    return sub, True


def submissions(session: Session, actor: Actor, institution_code: str) -> list[Submission]:
    if actor.institution_code and actor.institution_code != institution_code:
        raise PermissionDenied("只能查看本机构的报送", "Only your own institution's submissions", permission="finreg.submit")
    if not actor.institution_code:
        actor.require("finreg.view")
    inst = session.scalar(select(Institution).where(Institution.code == institution_code))
    if inst is None:
        raise NotFound("监管对象", "Institution", institution_code)
    return list(session.scalars(select(Submission).where(Submission.institution_id == inst.id)
                                .order_by(Submission.period.desc(), Submission.dataset, Submission.version.desc())))
