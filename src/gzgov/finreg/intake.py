"""Data intake (数据报送, "extraction, not forms"): an institution's dataset for a period, from CSV, XLSX or
Parquet (a file upload, the API or the CLI), checked against its data contract with a row-level report in
both languages; a rejected submission stores nothing; an accepted one is written as Parquet under
var/finreg/store/<dataset>/<institution>/<period>/v<N>.parquet and supersedes the version before (kept)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError, NotFound, PermissionDenied
from gzgov.core.tabular import Column, ImportRejected, ImportReport, read_records
from gzgov.finreg.contracts import Dataset, Field, load_datasets
from gzgov.finreg.models import Institution, Submission

TRUE, FALSE = {"true", "1", "是", "yes", "y"}, {"false", "0", "否", "no", "n", ""}
ARROW = {"string": pa.string(), "enum": pa.string(), "integer": pa.int64(), "decimal": pa.string(),
         "date": pa.date32(), "boolean": pa.bool_()}


def store_dir() -> Path:
    return get_settings().var_dir / "finreg" / "store"


def _period(text: str) -> str:
    try:
        y, m = text.split("-")
        if len(y) == 4 and len(m) == 2 and 1 <= int(m) <= 12:
            return text
    except ValueError:
        pass
    raise GzgovError("bad_period", f"报送期应为 YYYY-MM：{text}", f"The period must be YYYY-MM: {text}")


def _integer(text: str) -> int:
    if not text.lstrip("-").isdigit():
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


@dataclass
class Checked:
    dataset: Dataset
    table: pa.Table
    rows: int
    sha256: str


def _rows(data: bytes, filename: str, columns: list[Column], report: ImportReport):
    if Path(filename).suffix.lower() == ".parquet":
        try:
            table = pq.read_table(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - any unreadable file is one clear error
            report.add(0, "file", "无法读取 Parquet 文件", "the Parquet file cannot be read")
            return
        missing = [c.key for c in columns if c.required and c.key not in table.column_names]
        for key in missing:
            report.add(1, key, "缺少必填列", "required column missing")
        if missing:
            return
        cols = [table.column(c.key).to_pylist() if c.key in table.column_names else [None] * table.num_rows
                for c in columns]
        for i in range(table.num_rows):
            yield i + 2, ["" if col[i] is None else str(col[i]) for col in cols]
        return
    yield from read_records(data, filename, columns, report)


def _check_row(n: int, row: list[str], fields: list[Field], report: ImportReport, code: str,
               period: str) -> dict | None:
    """One row converted to its contract types, or None after reporting each fault."""
    ok, converted = True, []
    for f, text in zip(fields, row, strict=True):
        try:
            converted.append(_convert(f, text))
        except ValueError as e:
            zh, en = str(e).split("|", 1)
            report.add(n, f.name, zh, en)
            converted.append(None)
            ok = False
    record = dict(zip((f.name for f in fields), converted, strict=True))
    if ok and record.get("institution_code") not in (None, code):
        report.add(n, "institution_code", f"不是本机构（{code}）的数据", f"not this institution's ({code}) data")
        ok = False
    if ok and record.get("period") not in (None, period):
        report.add(n, "period", f"报送期应为 {period}", f"the period must be {period}")
        ok = False
    return record if ok else None


def check_submission(data: bytes, filename: str, dataset: str, inst: Institution, period: str) -> Checked:
    """Check a file against its contract: every row valid, or ImportRejected with a row/column/reason report."""
    datasets = load_datasets()
    ds = datasets.get(dataset)
    if ds is None or ds.grain == "institution":
        raise GzgovError("unknown_dataset", f"没有名为 {dataset} 的报送数据集", f"No submitted dataset named {dataset}")
    if not ds.for_kind(inst.kind):
        raise GzgovError("dataset_not_for_kind", f"{inst.kind} 不报送 {dataset}", f"{inst.kind} does not submit {dataset}")
    period = _period(period)
    fields = ds.submitted_fields(inst.kind)
    columns = [Column(f.name, f.zh, f.en, required=f.required) for f in fields]
    report = ImportReport(filename)
    values: dict[str, list] = {f.name: [] for f in fields}
    seen: dict[tuple, int] = {}
    for n, row in _rows(data, filename, columns, report):
        report.rows += 1
        record = _check_row(n, row, fields, report, inst.code, period)
        if record is None:
            continue
        key = tuple(record.get(k) for k in ds.key)
        if ds.key and key in seen:
            report.add(n, ds.key[0], f"与第 {seen[key]} 行重复", f"repeats row {seen[key]}")
            continue
        seen[key] = n
        for name, v in record.items():
            values[name].append(v)
    if report.ok and report.rows == 0:
        report.add(2, "file", "文件中没有数据行", "the file has no data rows")
    if ds.grain == "period" and report.ok and report.rows != 1:
        report.add(3, "file", "定期报表应只有一行", "a periodic statement has exactly one row")
    if not report.ok:
        raise ImportRejected(report)
    table = pa.table({f.name: pa.array(values[f.name], type=ARROW[f.type]) for f in fields})
    return Checked(ds, table, report.rows, hashlib.sha256(data).hexdigest())


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
    submission it first created (and refuses a different payload under it)."""
    actor.require("finreg.submit")
    inst = _institution_for(session, actor, institution_code)
    if idempotency_key:
        prior = session.scalar(select(Submission).where(Submission.institution_id == inst.id,
                                                        Submission.idempotency_key == idempotency_key))
        if prior is not None:
            if (prior.dataset, prior.period, prior.sha256) != (dataset, period, hashlib.sha256(data).hexdigest()):
                raise GzgovError("idempotency_conflict", "该幂等键已用于另一份报送", "This idempotency key was used for another submission")
            return prior, False
    checked = check_submission(data, filename, dataset, inst, period)
    current = session.scalars(select(Submission).where(
        Submission.institution_id == inst.id, Submission.dataset == dataset, Submission.period == period,
        Submission.status == "current")).all()
    version = (session.scalar(select(func.max(Submission.version)).where(
        Submission.institution_id == inst.id, Submission.dataset == dataset, Submission.period == period)) or 0) + 1
    rel = Path(dataset) / inst.code / period / f"v{version}.parquet"
    path = store_dir() / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(checked.table, path, compression="zstd")
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
