"""All-or-nothing tabular import (CSV and XLSX) with a row/column/reason report in both languages,
and the shared writers for exports."""

from __future__ import annotations

import csv
import hashlib
import io
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gzgov.core.errors import GzgovError

MAX_REPORTED = 1000  # errors kept in full; the count beyond is still given


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = True


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, header = 1
    column: str
    zh: str
    en: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "zh": self.zh, "en": self.en}


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add(self, row: int, column: str, zh: str, en: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(row, column, zh, en))

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def render(self, lang: str | None = None) -> str:
        head_zh = f"文件 {self.filename}：{self.error_count} 处错误，未导入任何数据。"
        head_en = f"File {self.filename}: {self.error_count} error(s); nothing was imported."
        lines = [head_zh, head_en] if lang is None else [head_en if lang == "en" else head_zh]
        for e in self.errors:
            if lang in (None, "zh"):
                lines.append(f"第 {e.row} 行 [{e.column}]：{e.zh}")
            if lang in (None, "en"):
                lines.append(f"row {e.row} [{e.column}]: {e.en}")
        if self.error_count > len(self.errors):
            lines.append(f"……另有 {self.error_count - len(self.errors)} 处错误 / … and {self.error_count - len(self.errors)} more")
        return "\n".join(lines)


class ImportRejected(GzgovError):
    """The file had bad rows: nothing was written."""

    status_code = 422

    def __init__(self, report: ImportReport) -> None:
        super().__init__("import_rejected", f"导入被拒绝：{report.error_count} 处错误，未写入任何数据",
                         f"Import rejected: {report.error_count} error(s); nothing was written",
                         errors=[e.as_dict() for e in report.errors])
        self.report = report


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _header_map(header: Sequence[str], columns: Sequence[Column], report: ImportReport) -> dict[str, int]:
    index: dict[str, int] = {}
    names = {c.key: c for c in columns}
    alias = {c.zh: c.key for c in columns} | {c.en.lower(): c.key for c in columns} | {c.key: c.key for c in columns}
    for i, raw in enumerate(header):
        name = (raw or "").strip().lstrip("\ufeff")
        key = alias.get(name) or alias.get(name.lower())
        if key is None:
            if name:
                report.add(1, name, f"未知列名“{name}”", f"unknown column “{name}”")
            continue
        if key in index:
            report.add(1, name, f"列“{name}”重复", f"column “{name}” appears twice")
        index[key] = i
    for key, col in names.items():
        if key not in index and col.required:
            report.add(1, key, f"缺少必填列“{col.zh}”（{key}）", f"required column “{col.en}” ({key}) is missing")
    return index


def _open(data: bytes, filename: str, columns: Sequence[Column], report: ImportReport
          ) -> tuple[Iterator[list[str]], dict[str, int]] | None:
    """The data-row iterator and the header's {key: position}, or None (problems are in the report)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(data, report)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(data, report)
    else:
        report.add(0, "file", f"不支持的文件类型“{suffix}”，请用 .csv 或 .xlsx",
                   f"unsupported file type “{suffix}”; use .csv or .xlsx")
        return None
    header = next(rows, None)
    if header is None:
        report.add(1, "file", "文件为空", "the file is empty")
        return None
    index = _header_map(header, columns, report)
    if not report.ok:
        return None
    return rows, index


def read_rows(data: bytes, filename: str, columns: Sequence[Column], report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, {key: stripped text}) for every data row of a CSV or XLSX file.
    Header problems go into the report (and no rows are yielded)."""
    opened = _open(data, filename, columns, report)
    if opened is None:
        return
    rows, index = opened
    keys = list(index.items())
    for lineno, values in enumerate(rows, start=2):
        if not any((v or "").strip() for v in values):
            continue
        n = len(values)
        yield lineno, {k: (values[i].strip() if i < n and values[i] is not None else "") for k, i in keys}


def read_records(data: bytes, filename: str, columns: Sequence[Column], report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """Like `read_rows`, streaming and without a dict per row: yield (line number, [stripped text in
    `columns` order]); an optional column absent from the file reads as "". Blank rows are skipped."""
    opened = _open(data, filename, columns, report)
    if opened is None:
        return
    rows, index = opened
    order = [index.get(c.key, -1) for c in columns]  # -1: absent, reads the padding's last ""
    pad = [""] * (max(index.values(), default=0) + 1)
    pick = operator.itemgetter(*order) if len(order) > 1 else (lambda values: (values[order[0]],))
    strip = str.strip
    for lineno, values in enumerate(rows, start=2):
        if not "".join(values).strip():
            continue
        values += pad  # short rows read "" for their missing cells
        yield lineno, list(map(strip, pick(values)))


_DECODE_CHUNK = 1 << 22


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether all of `data` decodes, checked in chunks so that the whole text is never held."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _DECODE_CHUNK):
            decoder.decode(view[start:start + _DECODE_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(data: bytes, report: ImportReport) -> Iterator[list[str]]:
    """Rows of a CSV file (UTF-8, with or without BOM, else GB18030), decoded as they are read:
    neither the whole decoded text nor a second copy of the bytes is kept."""
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(data, encoding):
            break
    else:  # pragma: no cover - gb18030 decodes nearly anything
        report.add(0, "file", "无法识别文件编码（请用 UTF-8）", "cannot decode the file (use UTF-8)")
        return
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")  # BytesIO shares `data`
    n = 0
    try:
        for n, row in enumerate(csv.reader(text), start=1):  # noqa: B007 - n is the record that failed
            yield row
    except csv.Error as err:  # a cell over the csv module's limit, ...: the file is refused, not a crash
        limit = csv.field_size_limit()
        if "field limit" in str(err):
            report.add(n + 1, "file", f"单元格超过 {limit} 个字符，无法读取文件",
                       f"a cell is longer than {limit} characters; the file cannot be read")
        else:
            report.add(n + 1, "file", f"无法读取文件：{err}", f"the file cannot be read: {err}")
    finally:
        text.detach()


def _xlsx_rows(data: bytes, report: ImportReport) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure is the user's file
        report.add(0, "file", "不是有效的 XLSX 文件", "not a valid XLSX file")
        return
    ws = wb.worksheets[0]
    for row in ws.iter_rows(values_only=True):
        yield ["" if v is None else _cell_text(v) for v in row]
    wb.close()


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def xlsx_bytes(sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """An XLSX workbook (write-only, so large rosters stream) with one sheet per entry."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title=title[:31])
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
