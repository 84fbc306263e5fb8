"""The parcel and payee registry (小班与补偿对象登记): all-or-nothing import, edits, audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.bulk import bulk_datetime, bulk_insert, roomy_cache
from gzgov.core.db import now
from gzgov.core.errors import GzgovError
from gzgov.core.geo import DistrictInfo, find_district
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
from gzgov.core.tabular import Column, ImportRejected, ImportReport, file_digest, read_records
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
_YES_NO = TRUE_WORDS | FALSE_WORDS
_COMPARED = (*PARCEL_FIELDS, "payee_id")  # a parcel's stored values, in the order of `_Validator.parcels` tuples
_PARCEL_INSERT = ("code", *_COMPARED, "version", "updated_at", "redesignation", "consent_ref")
_PAYEE_INSERT = ("kind", "name", "id_index", "id_enc", "id_masked", "bank_name", "account_index", "account_enc",
                 "account_masked", "district_code", "version", "updated_at")
_CHUNK = 5000  # codes per look-up query and per insert
_UNSEEN = object()
_VALUE = {m: m.value for choice in (Grade, Tenure, PayeeKind) for m in choice}  # Enum.value is slow a million times
_PERSONAL = frozenset(k for k in PayeeKind if k.personal)


@dataclass(slots=True)
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


def _area_e4(text: str) -> int:
    """`parse_area` with a fast path for plain decimals ("12", "4.36"); anything else goes to `parse_area`."""
    whole, _, frac = text.partition(".")
    if whole.isdigit() and whole.isascii() and len(frac) <= 4 and (not frac or (frac.isdigit() and frac.isascii())):
        return int(whole) * 10_000 + (int(frac.ljust(4, "0")) if frac else 0)
    return parse_area(text)


class _Validator:
    """Checks every row, collecting every problem; remembers each payee's first description.

    Each parcel is kept as one tuple (row, *PARCEL_FIELDS values, payee ID number) with repeated texts shared,
    so that a million parcels fit in a few hundred MiB."""

    def __init__(self, actor: Actor, report: ImportReport) -> None:
        self.actor, self.report = actor, report
        self.payees: dict[str, PayeeIn] = {}
        self.parcels: dict[str, tuple] = {}
        self._id_ok: dict[str, dict[str, str | None]] = {k.value: {} for k in PayeeKind}
        self._texts: dict[str, str] = {}  # one object per distinct town, village, farm, bank
        self._district: dict[str, tuple] = {}  # text -> (district or None, may edit)
        self._choice: dict[tuple[str, str, str], tuple] = {}
        self._tier: dict[tuple[str, bool], str] = {}

    def err(self, row: int, col: str, zh: str, en: str) -> None:
        self.report.add(row, col, zh, en)

    def row(self, n: int, r: list[str]) -> None:
        """One data row, its values in COLUMNS order."""
        self.report.rows += 1
        (code, district_text, town, village, grade_text, area_text, farm, tenure_text, former_text, kind_text,
         payee_name, payee_id, bank_name, account, contract) = r
        if not code or len(code) > 40:
            self.err(n, "parcel_code", "小班号为空或超过 40 个字符", "parcel code is empty or longer than 40 characters")
        elif code in self.parcels:
            first = self.parcels[code][0]
            self.err(n, "parcel_code", f"小班号 {code} 在文件中重复（第 {first} 行）", f"parcel code {code} repeats row {first}")
        district = self._district_of(n, district_text)
        if district is None:
            return
        for col, text in (("town", town), ("village", village), ("payee_name", payee_name)):
            if not text:
                self.err(n, col, "不能为空", "must not be empty")
        grade, tenure, kind, allowed = self._choices(n, grade_text, tenure_text, kind_text)
        area = self._area(n, area_text)
        if not allowed:
            self.err(n, "payee_kind", f"权属为“{tenure.zh}”时补偿对象不能是{kind.zh}（第四条（一）1）",
                     f"a {tenure.en.lower()} parcel cannot be paid to a {kind.en.lower()} (forest §4(1)1)")
        transferred = tenure is Tenure.transferred
        if transferred and not contract:
            self.err(n, "contract_ref", "流转的小班须填写流转合同编号（第四条（一）1）",
                     "a transferred parcel needs its transfer contract (forest §4(1)1)")
        former = former_text.lower()
        if former not in _YES_NO:
            self.err(n, "former_zone", f"“{former_text}”应为 是/否", f"“{former_text}” must be yes/no")
        id_number = (self._payee(n, kind, payee_name, payee_id, bank_name, account, district.code)
                     if kind is not None else None)
        code_of = _VALUE.get
        texts = self._texts
        tier_key = (district.code, bool(farm))
        tier = self._tier.get(tier_key)
        if tier is None:
            tier = self._tier[tier_key] = (tier_for(district.code, farm) or "").__str__()
        self.parcels[code] = (
            n, district.code, texts.setdefault(town, town), texts.setdefault(village, village),
            code_of(grade, ""), area, texts.setdefault(farm, farm), tier, code_of(tenure, ""),
            contract if transferred else "", former in TRUE_WORDS, id_number,
        )

    def _district_of(self, n: int, text: str) -> DistrictInfo | None:
        """The row's district (None when it has no eco-forest); reports a district the actor may not edit."""
        known = self._district.get(text)
        if known is None:
            d = find_district(text)
            if d is not None and d.code not in FOREST_DISTRICTS:
                d = None
            known = self._district[text] = (d, d is not None and self.actor.can("forest.registry.edit", d.code))
        district, may_edit = known
        if district is None:
            self.err(n, "district", f"“{text}”不是有生态公益林的区", f"“{text}” is not a district with eco-forest")
        elif not may_edit:
            self.err(n, "district", f"无权修改{district.name_zh}的登记", f"you may not change the registry of {district.name_en}")
        return district

    def _choices(self, n: int, grade_text: str, tenure_text: str, kind_text: str
                 ) -> tuple[Grade | None, Tenure | None, PayeeKind | None, bool]:
        """Grade, tenure and payee kind (None when invalid, reported) and whether the tenure allows the kind."""
        key = (grade_text, tenure_text, kind_text)
        parsed = self._choice.get(key)
        if parsed is None:
            grade, tenure, kind = Grade.parse(grade_text), Tenure.parse(tenure_text), PayeeKind.parse(kind_text)
            allowed = kind is None or tenure is None or kind in ALLOWED_PAYEES[tenure]
            parsed = self._choice[key] = (grade, tenure, kind, allowed)
        grade, tenure, kind, _ = parsed
        if grade is None:
            self.err(n, "grade", f"等级“{grade_text}”无效，应为 Ⅰ、Ⅱ 或 Ⅲ", f"grade “{grade_text}” is not I, II or III")
        if tenure is None:
            self.err(n, "tenure", f"权属“{tenure_text}”无效", f"tenure “{tenure_text}” is not uncontracted/contracted/transferred")
        if kind is None:
            self.err(n, "payee_kind", f"补偿对象类型“{kind_text}”无效", f"payee kind “{kind_text}” is not valid")
        return parsed

    def _area(self, n: int, text: str) -> int:
        try:
            area = _area_e4(text)
        except ValueError:
            self.err(n, "area_mu", f"面积“{text}”不是至多 4 位小数的数字", f"area “{text}” is not a number with at most 4 decimals")
            return 0
        if area <= 0:
            self.err(n, "area_mu", "面积必须大于 0", "area must be greater than 0")
        return area

    def _payee(self, n: int, kind: PayeeKind, name: str, payee_id: str, bank_name: str, account: str,
               district_code: str) -> str | None:
        raw_id, account = payee_id.replace(" ", "").upper(), account.replace(" ", "")
        kind_value, personal = _VALUE[kind], kind in _PERSONAL
        checked = self._id_ok[kind_value]
        id_number = checked.get(raw_id, _UNSEEN)
        if id_number is _UNSEEN:
            try:
                id_number = validate_id_card(raw_id) if personal else validate_credit_code(raw_id)
                if id_number == raw_id:
                    id_number = raw_id  # one string object for both
            except IdentityError as e:
                id_number = None
                self.err(n, "payee_id", e.zh, e.en)
            checked[raw_id] = id_number
        if id_number is None:
            return None
        if bool(account) != bool(bank_name):
            self.err(n, "bank_name", "开户银行和银行账号须同时填写或同时留空", "bank and account must be given together or both left empty")
        seen = self.payees.get(id_number)
        if seen is None:
            if account:  # checked once per payee; later rows must repeat it exactly
                try:
                    account = validate_bank_account(account, personal=personal)
                except IdentityError as e:
                    self.err(n, "bank_account", e.zh, e.en)
            self.payees[id_number] = PayeeIn(kind_value, name, id_number, self._texts.setdefault(bank_name, bank_name),
                                             account, district_code, n)
            return id_number
        if (kind_value, name, account, bank_name) != (seen.kind, seen.name, seen.account, seen.bank_name):
            for col, mine, theirs in (("payee_kind", kind_value, seen.kind), ("payee_name", name, seen.name),
                                      ("bank_account", account, seen.account), ("bank_name", bank_name, seen.bank_name)):
                if mine != theirs:
                    self.err(n, col, f"同一证件号码的补偿对象与第 {seen.first_row} 行不一致",
                             f"differs from row {seen.first_row} for the same payee ID")
        return seen.id_number

    def forget_payees(self) -> None:
        """Drop what only the payee step needed (parcels keep their payee's ID number)."""
        self.payees, self._id_ok = {}, {}


def import_registry(session: Session, actor: Actor, data: bytes, filename: str) -> ImportResult:
    """Import parcels and payees from a CSV/XLSX file: every row valid or nothing is written;
    re-importing the same file changes nothing.

    Every row is validated before anything is written; the file is decoded as it is read and each parcel is
    kept as one compact tuple, then payees and parcels are written in chunks (look-up, updates, bulk insert)."""
    actor.require("forest.registry.edit")
    report = ImportReport(filename)
    v = _Validator(actor, report)
    for n, r in read_records(data, filename, COLUMNS, report):
        v.row(n, r)
    if report.ok and report.rows == 0:
        report.add(2, "file", "文件中没有数据行", "the file has no data rows")
    if not report.ok:
        raise ImportRejected(report)
    result = ImportResult(filename, file_digest(data), report.rows)
    with roomy_cache(session):
        payee_ids = _upsert_payees(session, actor, v.payees, result)
        v.forget_payees()
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


def _chunks(items: list):
    size = _CHUNK  # read at call time, so that tests can make chunks small
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _upsert_payees(session: Session, actor: Actor, payees: dict[str, PayeeIn], result: ImportResult) -> dict[str, int]:
    """Create or update every payee, a chunk at a time in first-seen order; returns {ID number: payee id}."""
    cipher = get_cipher()
    stamp = bulk_datetime(session, now())
    ids: dict[str, int] = {}
    any_before = session.scalar(select(Payee.id).limit(1)) is not None  # a first import needs no look-ups
    for chunk in _chunks(list(payees.values())):
        by_index: dict[str, PayeeIn] = {}
        for p in chunk:
            p.index = cipher.blind_index(p.id_number)
            p.account_index = cipher.blind_index(p.account) if p.account else ""
            by_index[p.index] = p
        existing = ({row.id_index: row for row in session.scalars(select(Payee).where(Payee.id_index.in_(list(by_index))))}
                    if any_before else {})
        new_rows = []
        for index, p in by_index.items():
            old = existing.get(index)
            if old is None:
                new_rows.append((
                    p.kind, p.name, index, cipher.encrypt(p.id_number), mask_id(p.id_number), p.bank_name,
                    p.account_index, cipher.encrypt(p.account) if p.account else "",
                    mask_account(p.account) if p.account else "", p.district_code, 1, stamp,
                ))
                continue
            if (old.kind, old.name, old.bank_name, old.account_index) == (p.kind, p.name, p.bank_name, p.account_index):
                continue
            before = {"kind": old.kind, "name": old.name, "bank_name": old.bank_name, "account": old.account_masked}
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
            result.payees_created += bulk_insert(session, Payee.__table__, _PAYEE_INSERT, new_rows)
        for pid, index in session.execute(select(Payee.id, Payee.id_index).where(Payee.id_index.in_(list(by_index)))):
            ids[by_index[index].id_number] = pid
    return ids


def _upsert_parcels(session: Session, actor: Actor, parcels: dict[str, tuple], payee_ids: dict[str, int],
                    result: ImportResult) -> None:
    """Create, update (audited) or leave each parcel, a chunk at a time in file order."""
    cols = [getattr(Parcel, f) for f in PARCEL_FIELDS]
    stamp = now()
    bulk_stamp = bulk_datetime(session, stamp)
    districts = result.districts
    any_before = session.scalar(select(Parcel.id).limit(1)) is not None  # a first import needs no look-ups
    for chunk in _chunks(list(parcels)):
        existing = {row[0]: row for row in session.execute(
            select(Parcel.code, Parcel.id, Parcel.payee_id, *cols).where(Parcel.code.in_(chunk)))} if any_before else {}
        new_rows = []
        for code in chunk:
            p = parcels[code]
            districts.add(p[1])
            values = (*p[1:11], payee_ids[p[11]])
            old = existing.get(code)
            if old is None:
                new_rows.append((code, *values, 1, bulk_stamp, "", ""))
                continue
            before = (*old[3:], old[2])
            if before == values:
                result.parcels_unchanged += 1
                continue
            after = dict(zip(_COMPARED, values, strict=True))
            b, a = audit.diff(dict(zip(_COMPARED, before, strict=True)), after)
            session.execute(update(Parcel).where(Parcel.id == old[1]).values(**after, version=Parcel.version + 1,
                                                                              updated_at=stamp))
            audit.record(session, actor.username, "parcel.update", "forest_parcel", code, before=b, after=a,
                         reason=f"导入 {result.filename}")
            result.parcels_updated += 1
        if new_rows:
            result.parcels_created += bulk_insert(session, Parcel.__table__, _PARCEL_INSERT, new_rows)


def parcel_for_update(session: Session, actor: Actor, code: str) -> Parcel:
    parcel = session.scalar(select(Parcel).where(Parcel.code == code))
    if parcel is None:
        raise GzgovError("not_found", f"未找到小班 {code}", f"Parcel {code} not found")
    actor.require("forest.registry.edit", parcel.district_code)
    return parcel
