"""Enterprise data for illegal-fundraising monitoring (企业数据导入): the company registry, the network's links
(shareholders, officers, legal representatives, actual controllers, branches) and signals (complaints and
reports, advertisements, recruitment notices, news, court and enforcement records), from CSV, XLSX or JSON
lines. One import may hold several files; it is all-or-nothing across them, with a row-level report in both
languages. Re-importing the same data changes nothing. Formats: docs/fundraising-data.md."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.core.geo import BY_CODE
from gzgov.core.identity import IdentityError, get_cipher, mask_id, validate_credit_code, validate_id_card
from gzgov.core.tabular import Column, ImportRejected, ImportReport, read_rows
from gzgov.finreg.models import Enterprise, EnterpriseLink, EnterprisePerson, Signal

CITY = "440100"  # a company registered with the city's own authority, not a district's
STATUSES = ("active", "deregistered", "revoked")
LINK_KINDS = ("shareholder", "officer", "legal_rep", "controller", "branch")
SIGNAL_KINDS = {"complaint": ("投诉举报", "complaint or report"), "advert": ("广告营销", "advertisement"),
                "recruitment": ("招聘信息", "recruitment notice"), "news": ("新闻舆情", "news or opinion"),
                "court": ("司法及执行", "court or enforcement record")}

ENTERPRISE_COLUMNS = [
    Column("credit_code", "统一社会信用代码", "credit code"),
    Column("name", "企业名称", "name"),
    Column("scope", "经营范围", "business scope", required=False),
    Column("registered_capital_yuan", "注册资本（元）", "registered capital (yuan)"),
    Column("paid_in_capital_yuan", "实缴资本（元）", "paid-in capital (yuan)", required=False),
    Column("established", "成立日期", "established", required=False),
    Column("address", "住所", "address", required=False),
    Column("phone", "联系电话", "phone", required=False),
    Column("legal_rep", "法定代表人", "legal representative", required=False),
    Column("industry", "行业", "industry", required=False),
    Column("financial_licence", "金融许可", "financial licence", required=False),
    Column("status", "登记状态", "status", required=False),
]
LINK_COLUMNS = [
    Column("kind", "关系类型", "kind"),
    Column("company", "企业统一社会信用代码", "company"),
    Column("person_name", "自然人姓名", "person name", required=False),
    Column("person_id", "自然人身份证号", "person id", required=False),
    Column("other_company", "关联企业统一社会信用代码", "other company", required=False),
    Column("share_percent", "持股比例（%）", "share (%)", required=False),
    Column("position", "职务", "position", required=False),
    Column("since", "起始日期", "since", required=False),
]
SIGNAL_COLUMNS = [
    Column("company", "企业统一社会信用代码", "company"),
    Column("kind", "信号类型", "kind"),
    Column("date", "日期", "date"),
    Column("text", "内容", "text"),
    Column("source", "来源", "source", required=False),
    Column("url", "链接", "url", required=False),
]
FORMATS = {"enterprise": ENTERPRISE_COLUMNS, "link": LINK_COLUMNS, "signal": SIGNAL_COLUMNS}


@dataclass
class Parsed:
    enterprises: dict[str, dict] = field(default_factory=dict)  # credit code -> fields
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID number -> (name, first source)
    links: list[dict] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    enterprises_new: int
    enterprises_updated: int
    persons_new: int
    links_new: int
    signals_new: int
    digest: str


def district_of(credit_code: str) -> str:
    """The registering authority's district, from characters 3–8 of the credit code (登记管理机关行政区划码)."""
    region = credit_code[2:8]
    return region if region in BY_CODE else CITY


def _detect(filename: str, header: list[str]) -> str | None:
    keys = set()
    for cols in FORMATS.values():
        for c in cols:
            for name in header:
                n = (name or "").strip().lstrip("\ufeff")
                if n in (c.key, c.zh) or n.lower() == c.en.lower():
                    keys.add(c.key)
    if "text" in keys:
        return "signal"
    if "kind" in keys and "company" in keys:
        return "link"
    if "credit_code" in keys and "name" in keys:
        return "enterprise"
    return None


def _header(data: bytes, filename: str) -> list[str]:
    from gzgov.core.tabular import _csv_rows, _xlsx_rows  # the same readers the import uses

    probe = ImportReport(filename)
    rows = _csv_rows(data, probe) if filename.lower().endswith(".csv") else _xlsx_rows(data, probe)
    return next(iter(rows), []) or []


def _records(data: bytes, filename: str, report: ImportReport) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(format, line number, {key: text}) for every record of a file."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        for lineno, line in enumerate(data.decode("utf-8-sig", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                report.add(lineno, "json", "不是有效的 JSON", "not valid JSON")
                continue
            kind = obj.get("record") if isinstance(obj, dict) else None
            if kind not in FORMATS:
                report.add(lineno, "record", "须注明 record：enterprise、link 或 signal",
                           "each line needs record: enterprise, link or signal")
                continue
            known = {c.key for c in FORMATS[kind]}
            unknown = sorted(set(obj) - known - {"record"})
            if unknown:
                report.add(lineno, unknown[0], f"未知字段“{unknown[0]}”", f"unknown field “{unknown[0]}”")
                continue
            yield kind, lineno, {k: "" if obj.get(k) is None else str(obj.get(k)).strip() for k in known}
        return
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        report.add(0, "file", f"不支持的文件类型“{suffix}”，请用 .csv、.xlsx 或 .jsonl",
                   f"unsupported file type “{suffix}”; use .csv, .xlsx or .jsonl")
        return
    kind = _detect(filename, _header(data, filename))
    if kind is None:
        report.add(1, "file", "无法从表头判断是企业、关系还是信号文件", "cannot tell from the header whether the file "
                   "holds enterprises, links or signals")
        return
    for lineno, row in read_rows(data, filename, FORMATS[kind], report):
        yield kind, lineno, row


def _fen(text: str, required: bool) -> int | None:
    if not text:
        if required:
            raise ValueError("必填|required")
        return None
    try:
        d = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"应为金额（元）|an amount in yuan: {text}") from None
    if not d.is_finite() or d < 0 or d != d.quantize(Decimal("0.01")):
        raise ValueError(f"金额应为非负且最多两位小数|a non-negative amount with at most 2 decimals: {text}")
    return int(d * 100)


def _day(text: str, required: bool = False) -> date | None:
    if not text:
        if required:
            raise ValueError("必填|required")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"日期应为 YYYY-MM-DD|a date YYYY-MM-DD: {text}") from None


def _bad(report: ImportReport, lineno: int, column: str, e: Exception) -> None:
    zh, _, en = str(e).partition("|")
    report.add(lineno, column, zh, en or zh)


def _enterprise(p: Parsed, lineno: int, r: dict, report: ImportReport, today: date) -> None:
    try:
        code = validate_credit_code(r["credit_code"])
    except IdentityError as e:
        report.add(lineno, "credit_code", e.zh, e.en)
        return
    if code in p.enterprises:
        report.add(lineno, "credit_code", f"统一社会信用代码重复：{code}", f"credit code appears twice: {code}")
        return
    row = {"credit_code": code, "name": r["name"], "scope": r.get("scope", ""), "address": r.get("address", ""),
           "phone": r.get("phone", ""), "legal_rep": r.get("legal_rep", ""), "industry": r.get("industry", ""),
           "financial_licence": r.get("financial_licence", ""), "status": r.get("status") or "active",
           "district_code": district_of(code)}
    if not row["name"]:
        report.add(lineno, "name", "企业名称必填", "the name is required")
    if row["status"] not in STATUSES:
        report.add(lineno, "status", f"登记状态应为 {'/'.join(STATUSES)}", f"status must be one of {', '.join(STATUSES)}")
    for key, required in (("registered_capital_yuan", True), ("paid_in_capital_yuan", False)):
        try:
            row[key.replace("_yuan", "_fen")] = _fen(r.get(key, ""), required)
        except ValueError as e:
            _bad(report, lineno, key, e)
    try:
        row["established"] = _day(r.get("established", ""))
        if row["established"] and row["established"] > today:
            report.add(lineno, "established", "成立日期晚于今天", "established after today")
    except ValueError as e:
        _bad(report, lineno, "established", e)
    for key, limit in (("name", 200), ("address", 300), ("phone", 40), ("legal_rep", 64), ("industry", 64),
                       ("financial_licence", 120)):
        if len(row[key]) > limit:
            report.add(lineno, key, f"超过 {limit} 字", f"longer than {limit} characters")
    p.enterprises[code] = row


def _share_bp(text: str) -> int | None:
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        d = Decimal(-1)
    if not (Decimal(0) < d <= Decimal(100)) or d != d.quantize(Decimal("0.01")):
        raise ValueError(f"持股比例应为 0–100 且最多两位小数：{text}|a share is 0–100 with at most 2 decimals: {text}")
    return int(d * 100)


def _person(p: Parsed, lineno: int, r: dict, report: ImportReport) -> str | None:
    """The person's checked ID number (recorded in `p.persons`), or None with the problem reported."""
    try:
        number = validate_id_card(r["person_id"])
    except IdentityError as e:
        report.add(lineno, "person_id", e.zh, e.en)
        return None
    name = r.get("person_name", "")
    if not name:
        report.add(lineno, "person_name", "自然人须有姓名", "a person needs a name")
        return None
    known = p.persons.get(number)
    if known is not None and known[0] != name:
        report.add(lineno, "person_name", f"同一身份证号的姓名不一致（{known[0]}）",
                   f"the same ID number carries another name ({known[0]})")
        return None
    p.persons.setdefault(number, (name, f"line {lineno}"))
    return number


def _link(p: Parsed, lineno: int, r: dict, report: ImportReport, file_no: int) -> None:
    kind = r["kind"]
    if kind not in LINK_KINDS:
        report.add(lineno, "kind", f"关系类型应为 {'/'.join(LINK_KINDS)}", f"kind must be one of {', '.join(LINK_KINDS)}")
        return
    row: dict = {"kind": kind, "position": r.get("position", "")[:64], "person": None, "other": None}
    try:
        row["company"] = validate_credit_code(r["company"])
    except IdentityError as e:
        report.add(lineno, "company", e.zh, e.en)
        return
    if r.get("person_id"):
        row["person"] = _person(p, lineno, r, report)
        if row["person"] is None:
            return
    if r.get("other_company"):
        try:
            row["other"] = validate_credit_code(r["other_company"])
        except IdentityError as e:
            report.add(lineno, "other_company", e.zh, e.en)
            return
    if (row["person"] is None) == (row["other"] is None):
        report.add(lineno, "person_id", "须填写自然人身份证号或关联企业代码之一", "give either a person's ID or another company")
        return
    if row["other"] is not None and kind in ("officer", "legal_rep"):
        report.add(lineno, "kind", "高管和法定代表人须为自然人", "officers and legal representatives are persons")
        return
    if kind == "branch" and row["person"] is not None:
        report.add(lineno, "kind", "分支机构关系须填写总公司代码", "a branch link names the head office (other_company)")
        return
    try:
        row["share_bp"] = _share_bp(r.get("share_percent", ""))
    except ValueError as e:
        _bad(report, lineno, "share_percent", e)
        return
    try:
        row["since"] = _day(r.get("since", ""))
    except ValueError as e:
        _bad(report, lineno, "since", e)
        return
    row["lineno"], row["file"] = lineno, file_no
    p.links.append(row)


def _signal(p: Parsed, lineno: int, r: dict, report: ImportReport, today: date, file_no: int) -> None:
    try:
        code = validate_credit_code(r["company"])
    except IdentityError as e:
        report.add(lineno, "company", e.zh, e.en)
        return
    if r["kind"] not in SIGNAL_KINDS:
        report.add(lineno, "kind", f"信号类型应为 {'/'.join(SIGNAL_KINDS)}", f"kind must be one of {', '.join(SIGNAL_KINDS)}")
        return
    try:
        on = _day(r["date"], required=True)
    except ValueError as e:
        _bad(report, lineno, "date", e)
        return
    if on > today:
        report.add(lineno, "date", "日期晚于今天", "dated after today")
        return
    if not r["text"]:
        report.add(lineno, "text", "内容不能为空", "the text is empty")
        return
    digest = hashlib.sha256(f"{r['kind']}|{on.isoformat()}|{r['text']}".encode()).hexdigest()
    p.signals.append({"company": code, "kind": r["kind"], "on": on, "text": r["text"], "source": r.get("source", "")[:200],
                      "url": r.get("url", "")[:500], "digest": digest, "lineno": lineno, "file": file_no})


def parse(files: list[tuple[str, bytes]], today: date) -> tuple[Parsed, list[ImportReport]]:
    p = Parsed()
    reports = []
    for file_no, (filename, data) in enumerate(files):
        report = ImportReport(filename)
        for kind, lineno, row in _records(data, filename, report):
            report.rows += 1
            if kind == "enterprise":
                _enterprise(p, lineno, row, report, today)
            elif kind == "link":
                _link(p, lineno, row, report, file_no)
            else:
                _signal(p, lineno, row, report, today, file_no)
        if report.rows == 0 and report.ok:
            report.add(1, "file", "文件没有数据行", "the file has no data rows")
        reports.append(report)
    return p, reports


def _resolve(session: Session, p: Parsed, reports: list[ImportReport]) -> dict[str, int | None]:
    """Credit code -> enterprise id (None: new in this import) for every company referred to; a reference to a
    company neither in the database nor in the import is a row error."""
    wanted = set(p.enterprises) | {lk["company"] for lk in p.links} | {lk["other"] for lk in p.links if lk["other"]} \
        | {s["company"] for s in p.signals}
    known: dict[str, int | None] = {}
    codes = sorted(wanted)
    for i in range(0, len(codes), 900):
        known.update(session.execute(select(Enterprise.credit_code, Enterprise.id)
                                     .where(Enterprise.credit_code.in_(codes[i:i + 900]))).all())
    for code in p.enterprises:
        known.setdefault(code, None)
    for items, key in ((p.links, "company"), (p.links, "other"), (p.signals, "company")):
        for r in items:
            code = r[key]
            if code and code not in known:
                reports[r["file"]].add(r["lineno"], key, f"企业 {code} 未登记（请先导入或一并导入企业信息）",
                                       f"company {code} is not in the registry (import it first or in the same batch)")
    return known


def _ids(session: Session, column, key_column, keys: list) -> dict:
    out: dict = {}
    for i in range(0, len(keys), 900):
        out.update(session.execute(select(key_column, column).where(key_column.in_(keys[i:i + 900]))).all())
    return out


def _reject(reports: list[ImportReport]) -> None:
    bad = [r for r in reports if not r.ok]
    if not bad:
        return
    merged = ImportReport(", ".join(r.filename for r in bad))
    for r in bad:
        merged.rows += r.rows
        merged.error_count += r.error_count - len(r.errors)
        for e in r.errors:
            merged.add(e.row, f"{r.filename}:{e.column}" if len(bad) > 1 else e.column, e.zh, e.en)
    raise ImportRejected(merged)


ENTERPRISE_FIELDS = ("name", "scope", "registered_capital_fen", "paid_in_capital_fen", "established", "address",
                     "phone", "legal_rep", "industry", "financial_licence", "status", "district_code")


def _write_enterprises(session: Session, p: Parsed, known: dict, digest: str) -> tuple[int, int, dict[str, int]]:
    """Insert the new companies and update the changed; returns (new, updated, credit code -> id)."""
    ids = [eid for code, eid in known.items() if eid is not None and code in p.enterprises]
    current = {}
    for i in range(0, len(ids), 900):
        current.update({e.credit_code: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids[i:i + 900])))})
    from gzgov.finreg.fundraising.network import normalise_address, normalise_phone

    rows = list(p.enterprises.values())
    address_keys = normalise_address([r["address"] for r in rows]).to_pylist()
    phone_keys = normalise_phone([r["phone"] for r in rows]).to_pylist()
    stamp, new_rows, updated = now(), [], 0
    for (code, row), a_key, p_key in zip(p.enterprises.items(), address_keys, phone_keys, strict=True):
        values = {k: row[k] for k in ENTERPRISE_FIELDS} | {"address_key": a_key, "phone_key": p_key}
        e = current.get(code)
        if e is None:
            new_rows.append({"credit_code": code, **values, "batch": digest, "updated_at": stamp})
        elif any(getattr(e, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(e, k, v)
            e.batch, e.updated_at = digest, stamp
            updated += 1
    if new_rows:
        session.execute(insert(Enterprise), new_rows)
    session.flush()
    ids_by_code = dict(known) | _ids(session, Enterprise.id, Enterprise.credit_code, [r["credit_code"] for r in new_rows])
    return len(new_rows), updated, ids_by_code


def _write_persons(session: Session, p: Parsed) -> tuple[int, dict[str, int]]:
    """Persons by the blind index of their ID number; returns (new, ID number -> person id)."""
    cipher = get_cipher()
    index_of = {n: cipher.blind_index(n) for n in p.persons}
    have = _ids(session, EnterprisePerson.id, EnterprisePerson.id_index, list(index_of.values()))
    new = [{"id_index": index_of[n], "name": name, "id_enc": cipher.encrypt(n), "id_masked": mask_id(n)}
           for n, (name, _src) in p.persons.items() if index_of[n] not in have]
    if new:
        session.execute(insert(EnterprisePerson), new)
        session.flush()
        have |= _ids(session, EnterprisePerson.id, EnterprisePerson.id_index, [r["id_index"] for r in new])
    return len(new), {n: have[i] for n, i in index_of.items()}


def _write_links(session: Session, p: Parsed, company: dict[str, int], person: dict[str, int]) -> int:
    """New links inserted; a known link's share, position or date updated. Returns how many are new."""
    have = {}
    ids = sorted({company[lk["company"]] for lk in p.links})
    for i in range(0, len(ids), 900):
        for lk in session.scalars(select(EnterpriseLink).where(EnterpriseLink.company_id.in_(ids[i:i + 900]))):
            have[(lk.kind, lk.company_id, lk.person_id, lk.other_company_id)] = lk
    seen, fresh = set(), []
    for r in p.links:
        key = (r["kind"], company[r["company"]], person[r["person"]] if r["person"] else None,
               company[r["other"]] if r["other"] else None)
        if key in seen:
            continue
        seen.add(key)
        lk = have.get(key)
        if lk is None:
            fresh.append({"kind": key[0], "company_id": key[1], "person_id": key[2], "other_company_id": key[3],
                          "share_bp": r["share_bp"], "position": r["position"], "since": r["since"]})
        elif (lk.share_bp, lk.position, lk.since) != (r["share_bp"], r["position"], r["since"]):
            session.execute(update(EnterpriseLink).where(EnterpriseLink.id == lk.id).values(
                share_bp=r["share_bp"], position=r["position"], since=r["since"]))
    if fresh:
        session.execute(insert(EnterpriseLink), fresh)
    return len(fresh)


def _write_signals(session: Session, p: Parsed, company: dict[str, int]) -> int:
    """The same text for the same company and day is kept once. Returns how many are new."""
    have = set()
    ids = sorted({company[s["company"]] for s in p.signals})
    for i in range(0, len(ids), 900):
        have.update(session.execute(select(Signal.company_id, Signal.digest).where(Signal.company_id.in_(ids[i:i + 900]))).all())
    new = []
    for s in p.signals:
        key = (company[s["company"]], s["digest"])
        if key not in have:
            have.add(key)
            new.append({"company_id": key[0], "kind": s["kind"], "on": s["on"], "source": s["source"], "url": s["url"],
                        "text": s["text"], "digest": s["digest"]})
    if new:
        session.execute(insert(Signal), new)
    return len(new)


def import_files(session: Session, actor: Actor, files: list[tuple[str, bytes]], today: date | None = None
                 ) -> ImportResult:
    """Check every file, then write everything or nothing."""
    actor.require("finreg.enterprises.import")
    p, reports = parse(files, today or now().date())
    _reject(reports)
    known = _resolve(session, p, reports)  # a reference to an unknown company is a row error
    _reject(reports)
    digest = hashlib.sha256(b"".join(hashlib.sha256(d).digest() for _n, d in files)).hexdigest()
    new, updated, company = _write_enterprises(session, p, known, digest)
    persons_new, person = _write_persons(session, p)
    links_new = _write_links(session, p, company, person)
    signals_new = _write_signals(session, p, company)
    session.flush()
    result = ImportResult(new, updated, persons_new, links_new, signals_new, digest)
    if new or updated or persons_new or links_new or signals_new:
        audit.record(session, actor.username, "finreg.enterprises.import", "finreg_enterprise", digest[:16],
                     after={"files": [n for n, _d in files], "enterprises_new": new, "enterprises_updated": updated,
                            "persons_new": persons_new, "links_new": links_new, "signals_new": signals_new})
    return result
