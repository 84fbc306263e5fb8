"""The parcel and payee registry (小班与补偿对象登记): all-or-nothing import, edits, audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.bulk import bulk_insert
from gzgov.core.db import now
from gzgov.core.errors import GzgovError
from gzgov.core.geo import find_district
from gzgov.core.identity import (
    IdentityError,
    get_cipher,
    mask_account,
    mask_id,
    validate_bank_account,
    validate_credit_code,
    validate_id_card,
)
from gzgov.core.models import ImportBatch
from gzgov.core.money import parse_area
from gzgov.core.tabular import Column, ImportRejected, ImportReport, file_digest, read_rows
from gzgov.forest.choices import ALLOWED_PAYEES, FOREST_DISTRICTS, Grade, PayeeKind, Tenure, tier_for
from gzgov.forest.models import Parcel, Payee

COLUMNS = [
    Column("parcel_code", "小班号", "Parcel code"),
    Column("district", "区", "District"),
    Column("town", "镇（街）", "Town"),
    Column("village", "村", "Village"),
    Column("grade", "等级", "Grade"),
    Column("area_mu", "面积（亩）", "Area (mu)"),
    Column("state_forest_farm", "国有林场", "State forest farm", required=False),
    Column("tenure", "权属", "Tenure"),
    Column("former_zone", "原森林管护区", "Former management zone", required=False),
    Column("payee_kind", "补偿对象类型", "Payee kind"),
    Column("payee_name", "补偿对象", "Payee name"),
    Column("payee_id", "证件号码", "Payee ID number"),
    Column("bank_name", "开户银行", "Bank", required=False),
    Column("bank_account", "银行账号", "Bank account", required=False),
    Column("contract_ref", "流转合同编号", "Transfer contract", required=False),
]
PARCEL_FIELDS = ("district_code", "town", "village", "grade", "area_e4", "state_forest_farm", "tier", "tenure",
                 "contract_ref", "former_zone")
TRUE_WORDS = {"1", "是", "y", "yes", "true"}
FALSE_WORDS = {"", "0", "否", "n", "no", "false"}


@dataclass
class PayeeIn:
    kind: str
    name: str
    id_number: str
    bank_name: str
    account: str
    district_code: str
    first_row: int
    index: str = ""
    account_index: str = ""


@dataclass
class ImportResult:
    filename: str
    sha256: str
    rows: int
    parcels_created: int = 0
    parcels_updated: int = 0
    parcels_unchanged: int = 0
    payees_created: int = 0
    payees_updated: int = 0
    batch_id: int | None = None
    districts: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.parcels_created or self.parcels_updated or self.payees_created or self.payees_updated)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "districts"} | {"districts": sorted(self.districts)}


class _Validator:
    """Checks every row, collecting every problem; remembers each payee's first description."""

    def __init__(self, actor: Actor, report: ImportReport) -> None:
        self.actor, self.report = actor, report
        self.payees: dict[str, PayeeIn] = {}
        self.parcels: dict[str, dict] = {}
        self._id_ok: dict[tuple[str, str], str | None] = {}

    def err(self, row: int, col: str, zh: str, en: str) -> None:
        self.report.add(row, col, zh, en)

    def row(self, n: int, r: dict[str, str]) -> None:
        self.report.rows += 1
        code = r["parcel_code"]
        if not code or len(code) > 40:
            self.err(n, "parcel_code", "小班号为空或超过 40 个字符", "parcel code is empty or longer than 40 characters")
        elif code in self.parcels:
            self.err(n, "parcel_code", f"小班号 {code} 在文件中重复（第 {self.parcels[code]['row']} 行）",
                     f"parcel code {code} repeats row {self.parcels[code]['row']}")
        district = find_district(r["district"])
        if district is None or district.code not in FOREST_DISTRICTS:
            self.err(n, "district", f"“{r['district']}”不是有生态公益林的区", f"“{r['district']}” is not a district with eco-forest")
            return
        if not self.actor.can("forest.registry.edit", district.code):
            self.err(n, "district", f"无权修改{district.name_zh}的登记", f"you may not change the registry of {district.name_en}")
        for col in ("town", "village", "payee_name"):
            if not r[col]:
                self.err(n, col, "不能为空", "must not be empty")
        grade, tenure, kind = self._choices(n, r)
        area = self._area(n, r["area_mu"])
        if kind is not None and tenure is not None and kind not in ALLOWED_PAYEES[tenure]:
            self.err(n, "payee_kind", f"权属为“{tenure.zh}”时补偿对象不能是{kind.zh}（第四条（一）1）",
                     f"a {tenure.en.lower()} parcel cannot be paid to a {kind.en.lower()} (forest §4(1)1)")
        contract = r.get("contract_ref", "")
        if tenure is Tenure.transferred and not contract:
            self.err(n, "contract_ref", "流转的小班须填写流转合同编号（第四条（一）1）",
                     "a transferred parcel needs its transfer contract (forest §4(1)1)")
        former = (r.get("former_zone") or "").lower()
        if former not in TRUE_WORDS | FALSE_WORDS:
            self.err(n, "former_zone", f"“{r['former_zone']}”应为 是/否", f"“{r['former_zone']}” must be yes/no")
        farm = r.get("state_forest_farm", "")
        id_index = self._payee(n, r, kind, district.code) if kind is not None else None
        self.parcels[code] = {
            "row": n, "code": code, "district_code": district.code, "town": r["town"], "village": r["village"],
            "grade": grade.value if grade else "", "area_e4": area, "state_forest_farm": farm,
            "tier": (tier_for(district.code, farm) or "").__str__(), "tenure": tenure.value if tenure else "",
            "contract_ref": contract if tenure is Tenure.transferred else "", "former_zone": former in TRUE_WORDS,
            "payee": id_index,
        }

    def _choices(self, n: int, r: dict[str, str]) -> tuple[Grade | None, Tenure | None, PayeeKind | None]:
        grade = Grade.parse(r["grade"])
        if grade is None:
            self.err(n, "grade", f"等级“{r['grade']}”无效，应为 Ⅰ、Ⅱ 或 Ⅲ", f"grade “{r['grade']}” is not I, II or III")
        tenure = Tenure.parse(r["tenure"])
        if tenure is None:
            self.err(n, "tenure", f"权属“{r['tenure']}”无效", f"tenure “{r['tenure']}” is not uncontracted/contracted/transferred")
        kind = PayeeKind.parse(r["payee_kind"])
        if kind is None:
            self.err(n, "payee_kind", f"补偿对象类型“{r['payee_kind']}”无效", f"payee kind “{r['payee_kind']}” is not valid")
        return grade, tenure, kind

    def _area(self, n: int, text: str) -> int:
        try:
            area = parse_area(text)
        except ValueError:
            self.err(n, "area_mu", f"面积“{text}”不是至多 4 位小数的数字", f"area “{text}” is not a number with at most 4 decimals")
            return 0
        if area <= 0:
            self.err(n, "area_mu", "面积必须大于 0", "area must be greater than 0")
        return area

    def _payee(self, n: int, r: dict[str, str], kind: PayeeKind, district_code: str) -> str | None:
        raw_id, account = r["payee_id"].replace(" ", "").upper(), r.get("bank_account", "").replace(" ", "")
        key = (kind.value, raw_id)
        if key not in self._id_ok:
            try:
                self._id_ok[key] = validate_id_card(raw_id) if kind.personal else validate_credit_code(raw_id)
            except IdentityError as e:
                self._id_ok[key] = None
                self.err(n, "payee_id", e.zh, e.en)
        id_number = self._id_ok[key]
        if id_number is None:
            return None
        if bool(account) != bool(r.get("bank_name")):
            self.err(n, "bank_name", "开户银行和银行账号须同时填写或同时留空", "bank and account must be given together or both left empty")
        seen = self.payees.get(id_number)
        if seen is None:
            if account:  # checked once per payee; later rows must repeat it exactly
                try:
                    account = validate_bank_account(account, personal=kind.personal)
                except IdentityError as e:
                    self.err(n, "bank_account", e.zh, e.en)
            self.payees[id_number] = PayeeIn(kind.value, r["payee_name"], id_number, r.get("bank_name", ""), account,
                                             district_code, n)
            return id_number
        for col, mine, theirs in (("payee_kind", kind.value, seen.kind), ("payee_name", r["payee_name"], seen.name),
                                  ("bank_account", account, seen.account), ("bank_name", r.get("bank_name", ""), seen.bank_name)):
            if mine != theirs:
                self.err(n, col, f"同一证件号码的补偿对象与第 {seen.first_row} 行不一致",
                         f"differs from row {seen.first_row} for the same payee ID")
        return id_number


def import_registry(session: Session, actor: Actor, data: bytes, filename: str) -> ImportResult:
    """Import parcels and payees from a CSV/XLSX file: every row valid or nothing is written;
    re-importing the same file changes nothing."""
    actor.require("forest.registry.edit")
    report = ImportReport(filename)
    v = _Validator(actor, report)
    for n, r in read_rows(data, filename, COLUMNS, report):
        v.row(n, r)
    if report.ok and report.rows == 0:
        report.add(2, "file", "文件中没有数据行", "the file has no data rows")
    if not report.ok:
        raise ImportRejected(report)
    result = ImportResult(filename, file_digest(data), report.rows)
    payee_ids = _upsert_payees(session, actor, v.payees, result)
    _upsert_parcels(session, actor, v.parcels, payee_ids, result)
    if result.changed:
        batch = ImportBatch(kind="forest_registry", filename=filename, sha256=result.sha256, rows=result.rows,
                            created=result.parcels_created, updated=result.parcels_updated,
                            unchanged=result.parcels_unchanged, actor=actor.username)
        session.add(batch)
        session.flush()
        result.batch_id = batch.id
        audit.record(session, actor.username, "registry.import", "import_batch", batch.id, after=result.as_dict(),
                     reason=f"导入 {filename}")
    return result


def _chunks(items: list, size: int = 5000):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _upsert_payees(session: Session, actor: Actor, payees: dict[str, PayeeIn], result: ImportResult) -> dict[str, int]:
    cipher = get_cipher()
    by_index: dict[str, PayeeIn] = {}
    for p in payees.values():
        p.index = cipher.blind_index(p.id_number)
        p.account_index = cipher.blind_index(p.account) if p.account else ""
        by_index[p.index] = p
    existing: dict[str, Payee] = {}
    for chunk in _chunks(list(by_index)):
        for row in session.scalars(select(Payee).where(Payee.id_index.in_(chunk))):
            existing[row.id_index] = row
    new_rows = []
    for index, p in by_index.items():
        old = existing.get(index)
        if old is None:
            new_rows.append({
                "kind": p.kind, "name": p.name, "id_index": index, "id_enc": cipher.encrypt(p.id_number),
                "id_masked": mask_id(p.id_number), "bank_name": p.bank_name, "account_index": p.account_index,
                "account_enc": cipher.encrypt(p.account) if p.account else "",
                "account_masked": mask_account(p.account) if p.account else "", "district_code": p.district_code,
                "version": 1, "updated_at": now(),
            })
            continue
        before = {"kind": old.kind, "name": old.name, "bank_name": old.bank_name, "account": old.account_masked}
        if (old.kind, old.name, old.bank_name, old.account_index) == (p.kind, p.name, p.bank_name, p.account_index):
            continue
        old.kind, old.name, old.bank_name, old.account_index = p.kind, p.name, p.bank_name, p.account_index
        old.account_enc = cipher.encrypt(p.account) if p.account else ""
        old.account_masked = mask_account(p.account) if p.account else ""
        old.version += 1
        old.updated_at = now()
        b, a = audit.diff(before, {"kind": p.kind, "name": p.name, "bank_name": p.bank_name, "account": old.account_masked})
        audit.record(session, actor.username, "payee.update", "forest_payee", old.id_masked, before=b, after=a,
                     reason=f"导入 {result.filename}")
        result.payees_updated += 1
    if new_rows:
        cols = list(new_rows[0])
        bulk_insert(session, Payee.__table__, cols, (tuple(r[c] for c in cols) for r in new_rows))
    result.payees_created = len(new_rows)
    ids: dict[str, int] = {}
    for chunk in _chunks(list(by_index)):
        for pid, index in session.execute(select(Payee.id, Payee.id_index).where(Payee.id_index.in_(chunk))):
            ids[by_index[index].id_number] = pid
    return ids


def _upsert_parcels(session: Session, actor: Actor, parcels: dict[str, dict], payee_ids: dict[str, int],
                    result: ImportResult) -> None:
    existing: dict[str, tuple] = {}
    cols = [getattr(Parcel, f) for f in PARCEL_FIELDS]
    for chunk in _chunks(list(parcels)):
        for row in session.execute(select(Parcel.code, Parcel.id, Parcel.payee_id, *cols).where(Parcel.code.in_(chunk))):
            existing[row[0]] = row
    new_rows, stamp = [], now()
    for code, p in parcels.items():
        result.districts.add(p["district_code"])
        values = {f: p[f] for f in PARCEL_FIELDS} | {"payee_id": payee_ids[p["payee"]]}
        old = existing.get(code)
        if old is None:
            new_rows.append(values | {"code": code, "version": 1, "updated_at": stamp, "redesignation": "", "consent_ref": ""})
            continue
        before = {f: old[3 + i] for i, f in enumerate(PARCEL_FIELDS)} | {"payee_id": old[2]}
        if before == values:
            result.parcels_unchanged += 1
            continue
        b, a = audit.diff(before, values)
        session.execute(update(Parcel).where(Parcel.id == old[1]).values(**values, version=Parcel.version + 1,
                                                                          updated_at=stamp))
        audit.record(session, actor.username, "parcel.update", "forest_parcel", code, before=b, after=a,
                     reason=f"导入 {result.filename}")
        result.parcels_updated += 1
    if new_rows:
        cols = list(new_rows[0])
        bulk_insert(session, Parcel.__table__, cols, (tuple(r[c] for c in cols) for r in new_rows))
    result.parcels_created = len(new_rows)


def parcel_for_update(session: Session, actor: Actor, code: str) -> Parcel:
    parcel = session.scalar(select(Parcel).where(Parcel.code == code))
    if parcel is None:
        raise GzgovError("not_found", f"未找到小班 {code}", f"Parcel {code} not found")
    actor.require("forest.registry.edit", parcel.district_code)
    return parcel
