"""Every rule of the rule library pinned to hand-built cases on both sides of its limit (the cases, with the
numbers worked by hand, are data: tests/data/finreg_rule_cases.yaml). A breaching case checks the engine's
exact value, limit, comparator, severity, basis and top contributing groups; a compliant case checks that the
rule ran for the institution (not skipped for want of data) and found nothing. The meta-test keeps the file
in step with the book: every rule has both kinds of case, or is pending because the engine cannot run it yet.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from gzgov.core.auth import SYSTEM
from gzgov.finreg import engine, intake
from gzgov.finreg import registry as reg
from gzgov.finreg.contracts import Field, load_datasets
from gzgov.finreg.rules import Rule, load_rules, rules_in_force
from tests.factories import csv_bytes
from tests.integration.test_finreg_registry import entity
from tests.personas import SUPERVISOR

CASES_FILE = Path(__file__).parents[1] / "data" / "finreg_rule_cases.yaml"
SPEC = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
BOOK = load_rules()
DATASETS = load_datasets()
PREFIX = {"small_loan": "SL", "guarantee": "GU", "pawn": "PN", "leasing": "LE", "factoring": "FA",
          "trading_venue": "TV"}
# Values a case need not state because no rule is triggered by them: a contract field a case leaves out
# gets these (else 0, "0", false, the first enum value, the first day of the period, a generated id).
NEUTRAL = {"min_transfer_interval_trading_days": 5, "term_months": "1", "monthly_fee_rate": "0.02",
           "annual_interest_rate": "0.05", "annual_rate": "0.12", "risk_weight": "1", "units": "1"}
EXPECTATIONS = ("breach", "compliant", "skipped")
CASE_KEYS = {"name", "kind", "subkind", "period", "serves_small_micro_agri", "others", "xfail", *EXPECTATIONS}


@dataclass(frozen=True)
class Case:
    """One hand-built case: an institution, its submissions for a period, and what the engine must find."""

    rule: str
    name: str
    kind: str
    period: str
    data: dict[str, Any]  # dataset -> a statement (mapping) or records (list)
    expect: str  # breach | compliant | skipped
    breach: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""
    subkind: str = ""
    serves_small_micro_agri: bool = False
    others: tuple[dict[str, Any], ...] = ()  # further institutions (cross-institution rules)
    xfail: str = ""

    @property
    def code(self) -> str:
        return f"{PREFIX[self.kind]}-0001"


def _case(rule_id: str, raw: dict[str, Any]) -> Case:
    rule = BOOK.rule(rule_id)
    [expect] = [k for k in EXPECTATIONS if k in raw]  # exactly one expectation per case
    data = {k: v for k, v in raw.items() if k not in CASE_KEYS}
    unknown = set(data) - set(DATASETS)
    assert not unknown, f"{rule_id}/{raw.get('name')}: unknown keys {unknown}"
    return Case(rule_id, raw["name"], raw.get("kind", rule.institution_types[0]),
                str(raw.get("period", SPEC["period"])), data, expect,
                breach=raw.get("breach") or {}, skipped=raw.get("skipped", ""), subkind=raw.get("subkind", ""),
                serves_small_micro_agri=bool(raw.get("serves_small_micro_agri", False)),
                others=tuple(raw.get("others", ())), xfail=raw.get("xfail", ""))


CASES = [_case(rule_id, raw) for rule_id, cases in SPEC["cases"].items() for raw in cases]


# ---------------------------------------------------------------- building the submissions


def _cell(f: Field, value: Any) -> str:
    """A YAML value as the CSV text the intake reads; a YAML float is refused (decimals are quoted strings)."""
    if value is None:
        return ""
    if isinstance(value, float):
        raise TypeError(f"{f.name}: write decimals as quoted strings, not the float {value!r}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _default(f: Field, row: dict[str, Any], n: int, period: str) -> Any:
    """The neutral value of a required field the case leaves out."""
    if f.name in NEUTRAL:
        return NEUTRAL[f.name]
    if f.name == "principal_fen" and "balance_fen" in row:
        return row["balance_fen"]
    if f.type == "enum":
        return f.values[0]
    if f.type == "date":
        year, month = period.split("-")
        return f"{int(year) + 1}-{month}-01" if f.name == "maturity_date" else f"{period}-01"
    if f.type == "string":
        return f"{f.name.removesuffix('_id')}-{n}"
    return {"integer": 0, "decimal": "0", "boolean": False}[f.type]


def _expand(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`repeat: N` makes N copies of a row, with `{i}` (1..N) in its strings: 201 holders in one line."""
    out = []
    for row in rows:
        times = row.get("repeat", 1)
        for i in range(1, times + 1):
            out.append({k: v.format(i=i) if isinstance(v, str) else v for k, v in row.items() if k != "repeat"})
    return out


def records(dataset: str, kind: str, code: str, period: str, given: dict | list) -> tuple[list[str], list[dict]]:
    """The CSV header and rows of a submission: the case's fields, required ones filled in neutrally."""
    fields = DATASETS[dataset].submitted_fields(kind)
    rows = [given] if isinstance(given, dict) else _expand(given)
    names = {f.name for f in fields}
    out = []
    for n, row in enumerate(rows, start=1):
        extra = set(row) - names
        assert not extra, f"{dataset} has no fields {extra} for {kind}"
        full = {"institution_code": code, "period": period} | row
        for f in fields:
            if f.name not in full and f.required:
                full[f.name] = _default(f, row, n, period)
        out.append({f.name: _cell(f, full.get(f.name)) for f in fields})
    return [f.name for f in fields], out


def register(session, code: str, kind: str, n: int, subkind: str = "", small_micro_agri: bool = False) -> None:
    reg.register_institution(session, SUPERVISOR, reg.InstitutionIn(
        code=code, name=f"广州某机构{code}", kind=kind, credit_code=entity(n), district_code="440106",
        registered_capital_yuan="50000000", subkind=subkind, serves_small_micro_agri=small_micro_agri))


def submit_all(session, code: str, kind: str, period: str, data: dict[str, Any]) -> None:
    for dataset, given in data.items():
        header, rows = records(dataset, kind, code, period, given)
        intake.submit(session, SYSTEM, code, dataset, period, csv_bytes(rows, header=header), f"{dataset}.csv")


def build(session, case: Case) -> None:
    register(session, case.code, case.kind, 1, case.subkind, case.serves_small_micro_agri)
    submit_all(session, case.code, case.kind, case.period, case.data)
    for n, other in enumerate(case.others, start=2):
        kind = other.get("kind", case.kind)
        register(session, other["code"], kind, n)
        submit_all(session, other["code"], kind, case.period,
                   {k: v for k, v in other.items() if k not in ("code", "kind")})


def basis(rule: Rule) -> str:
    return f"{rule.basis.document_number} {rule.basis.article}"


def last_day(period: str) -> date:
    """The day whose rules in force judge the period (the engine's choice: the period's last day)."""
    year, month = (int(x) for x in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- the cases


def _param(case: Case):
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.rule}-{case.name}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_rule_case(session, case: Case):
    rule = BOOK.rule(case.rule)
    build(session, case)
    run = engine.run_period(session, case.period)
    found = [b for b in run.breaches if b.rule == rule.id and b.institution == case.code]
    skipped = [s.reason for s in run.skipped if s.rule == rule.id and s.institution == case.code]
    if case.expect == "skipped":
        assert found == [] and skipped == [case.skipped]
        return
    assert skipped == [], f"{rule.id} did not run for {case.code}: {skipped}"
    assert rule.id in run.sql
    if case.expect == "compliant":
        assert found == [], f"{rule.id}: unexpected breach {found[0].value} {found[0].comparator} {found[0].limit}"
        return
    want = case.breach
    assert len(found) == 1, f"{rule.id}: expected one breach for {case.code}, found {len(found)}"
    [b] = found
    assert (want["limit"], want["severity"]) == (str(rule.limit.value), rule.severity), "the case pins the book"
    assert b.value == Decimal(want["value"]), f"value {b.value}, hand-worked {want['value']}"
    assert (str(b.limit), b.comparator, b.unit, b.severity) == (want["limit"], rule.limit.comparator,
                                                                rule.limit.unit, want["severity"])
    assert b.basis == basis(rule)
    ex = b.explanation
    assert [t["group"] for t in ex["top"]] == want["top"]
    for key in ("numerator", "denominator"):
        if key in want:
            assert Decimal(ex[key]) == Decimal(want[key]), f"{key} {ex[key]}, hand-worked {want[key]}"
    if "breaching_groups" in want:
        assert ex["breaching_groups"] == want["breaching_groups"]


# ---------------------------------------------------------------- the file against the book


def test_every_rule_has_a_breaching_and_a_compliant_case_or_is_pending():
    ids = {r.id for r in BOOK.rules}
    pending = set(SPEC["pending"])
    covered: dict[str, set[str]] = {}
    for c in CASES:
        covered.setdefault(c.rule, set()).add(c.expect)
    assert not pending - ids, f"pending rules not in the book: {pending - ids}"
    assert not set(covered) - ids, f"cases of rules not in the book: {set(covered) - ids}"
    assert not pending & set(covered), f"rules both pending and covered: {pending & set(covered)}"
    missing = sorted(r for r in ids - pending if not {"breach", "compliant"} <= covered.get(r, set()))
    assert missing == [], f"rules without both a breaching and a compliant case: {missing}"
    for rule_id, entry in SPEC["pending"].items():
        assert entry["reason"].strip(), f"{rule_id}: give the reason it is pending"


def test_every_case_runs_under_a_rule_in_force_for_its_type():
    for c in CASES:
        rule = BOOK.rule(c.rule)
        assert rule in rules_in_force(BOOK.rules, last_day(c.period), c.kind), f"{c.rule}/{c.name} in {c.period}"
        if c.expect == "breach":
            assert {"value", "limit", "severity", "top"} <= set(c.breach), f"{c.rule}/{c.name}"


@pytest.mark.parametrize("rule_id", sorted(SPEC["pending"]))
def test_a_pending_rule_is_still_unsupported_by_the_engine(session, rule_id):
    """When the engine learns to run a pending rule, this fails: write its cases and take it off `pending`."""
    probe = _case(rule_id, SPEC["pending"][rule_id]["probe"] | {"name": "probe", "compliant": True})
    build(session, probe)
    run = engine.run_period(session, probe.period)
    reasons = [s.reason for s in run.skipped if s.rule == rule_id and s.institution == probe.code]
    assert len(reasons) == 1 and reasons[0].startswith("unsupported"), (
        f"{rule_id} is now run by the engine ({reasons}): give it hand-built cases and take it off `pending`")
