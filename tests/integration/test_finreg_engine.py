"""The rule engine: rules compiled to SQL and run in DuckDB over the current Parquet submissions of a period,
pinned to hand-built cases on both sides of each limit, with the exact value, the limit, the basis and the
top contributors; a value at a `<=` limit is no breach; an unsubmitted dataset is "no data"; only the current
version of a submission counts; warnings are deduplicated on re-run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gzgov.core.auth import SYSTEM
from gzgov.finreg import engine, intake
from gzgov.finreg import registry as reg
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.models import RiskWarning
from gzgov.finreg.rules import load_rules
from tests.factories import csv_bytes
from tests.integration.test_finreg_intake import loan, loans_csv
from tests.integration.test_finreg_registry import entity, small_loan
from tests.personas import SUPERVISOR

PERIOD = "2025-09"
BOOK = load_rules()
NET_ASSETS = 1_000_000_000  # ¥10m in fen: 10% is 100,000,000 fen


def submit(session, code: str, dataset: str, kind: str, rows: list[dict]) -> None:
    header = [f.name for f in load_datasets()[dataset].submitted_fields(kind)]
    rows = [{"institution_code": code, "period": PERIOD} | r for r in rows]
    intake.submit(session, SYSTEM, code, dataset, PERIOD, csv_bytes(rows, header=header), f"{dataset}.csv")


def sl_financials(session, code="SL-0001", **kw) -> None:
    row = {"total_assets_fen": "3000000000", "total_liabilities_fen": "2000000000", "net_assets_fen": str(NET_ASSETS),
           "net_assets_prior_year_end_fen": str(NET_ASSETS), "registered_capital_fen": "1000000000",
           "bank_loans_fen": "500000000", "shareholder_loans_fen": "0", "other_nonstandard_borrowing_fen": "",
           "bonds_outstanding_fen": "0", "abs_outstanding_fen": "0"}
    submit(session, code, "financials", "small_loan", [row | kw])


def sl_loans(session, rows: list[dict], code="SL-0001") -> None:
    intake.submit(session, SYSTEM, code, "loans", PERIOD, loans_csv([r | {"institution_code": code} for r in rows]),
                  "loans.csv")


def only(breaches, rule: str) -> list[engine.BreachResult]:
    return [b for b in breaches if b.rule == rule]


@pytest.fixture
def sl(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    sl_financials(session)
    return "SL-0001"


def spread(n: int, borrower: str, balance: int, **kw) -> dict:
    return loan(n, borrower_id=borrower, borrower_group_id=f"G{n}", balance_fen=str(balance), **kw)


# ---------------------------------------------------------------- SL_SINGLE_BORROWER


def test_single_borrower_above_ten_percent_is_an_orange_breach_with_its_top_borrowers(session, sl):
    sl_loans(session, [spread(1, "B1", 80_000_000), spread(2, "B1", 40_000_000),  # B1: 120m = 12%
                       spread(3, "B3", 110_000_000),  # 11%
                       spread(4, "B2", 100_000_000),  # exactly 10%: not a breach
                       spread(5, "B4", 5_000_000)])
    [b] = only(engine.check_period(session, PERIOD), "SL_SINGLE_BORROWER")
    rule = BOOK.rule("SL_SINGLE_BORROWER")
    assert (b.institution, b.value, b.limit, b.comparator, b.severity) == ("SL-0001", Decimal("0.12"),
                                                                           Decimal("0.10"), "<=", "orange")
    assert b.basis == f"{rule.basis.document_number} {rule.basis.article}" and b.basis.startswith("金规〔2024〕26号")
    ex = b.explanation
    assert (ex["numerator"], ex["denominator"], ex["group_by"], ex["breaching_groups"]) == (
        "120000000", str(NET_ASSETS), "borrower_id", 2)
    assert [(t["group"], t["value"]) for t in ex["top"]] == [("B1", "0.12"), ("B3", "0.11")]
    assert "loans.balance_fen" in ex["metric"] and "net_assets_prior_year_end_fen" in ex["metric"]
    breach = engine.to_breach(b)
    assert (breach.level, breach.rule_id, breach.period, breach.value) == ("orange", "SL_SINGLE_BORROWER", PERIOD,
                                                                         Decimal("0.12"))


def test_a_borrower_exactly_at_ten_percent_is_no_breach(session, sl):
    sl_loans(session, [spread(1, "B1", 60_000_000), spread(2, "B1", 40_000_000), spread(3, "B2", 99_999_999)])
    assert only(engine.check_period(session, PERIOD), "SL_SINGLE_BORROWER") == []


def test_the_rule_in_force_on_the_last_day_is_used(session, sl):
    sl_loans(session, [spread(1, "B1", 120_000_000)])
    ids = {b.rule for b in engine.check_period(session, PERIOD)}
    assert "SL_SINGLE_BORROWER" in ids and "SL_SINGLE_BORROWER_2020" not in ids


def test_an_unsubmitted_dataset_is_no_data_not_a_breach(session, sl):
    run = engine.run_period(session, PERIOD)
    assert only(run.breaches, "SL_SINGLE_BORROWER") == []
    assert engine.Skipped("SL-0001", "SL_SINGLE_BORROWER", "no_data") in run.skipped
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2))  # nothing submitted at all
    sl_loans(session, [spread(1, "B1", 900_000_000)], code="SL-0002")  # loans but no financials
    run = engine.run_period(session, PERIOD, ["SL-0002"])
    assert run.breaches == []
    assert engine.Skipped("SL-0002", "SL_SINGLE_BORROWER", "no_data") in run.skipped


def test_only_the_current_version_of_a_submission_counts(session, sl):
    sl_loans(session, [spread(1, "B1", 150_000_000)])
    assert only(engine.check_period(session, PERIOD), "SL_SINGLE_BORROWER")
    sl_loans(session, [spread(1, "B1", 50_000_000)])  # the correction supersedes v1
    assert only(engine.check_period(session, PERIOD), "SL_SINGLE_BORROWER") == []
    sl_loans(session, [spread(1, "B1", 130_000_000)])
    [b] = only(engine.check_period(session, PERIOD), "SL_SINGLE_BORROWER")
    assert b.value == Decimal("0.13")


# ---------------------------------------------------------------- leverage


def test_non_standard_leverage_above_one_times_net_assets_is_red(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    sl_financials(session, bank_loans_fen="800000000", shareholder_loans_fen="300000000")
    [b] = only(engine.check_period(session, PERIOD), "SL_NONSTANDARD_LEVERAGE")
    assert (b.value, b.limit, b.severity) == (Decimal("1.1"), Decimal("1"), "red")
    assert b.explanation["numerator"] == "1100000000" and b.explanation["top"] == []
    assert b.basis.startswith("金规〔2024〕26号")


def test_leverage_exactly_at_one_times_is_no_breach(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    sl_financials(session, bank_loans_fen="600000000", shareholder_loans_fen="300000000",
                  other_nonstandard_borrowing_fen="100000000")
    assert only(engine.check_period(session, PERIOD), "SL_NONSTANDARD_LEVERAGE") == []


# ---------------------------------------------------------------- conduct: a count, a ratio, all institutions


def test_loans_overdue_over_90_days_still_normal_are_counted(session, sl):
    sl_loans(session, [spread(1, "B1", 1_000_000, overdue_days="120", classification="normal"),
                       spread(2, "B2", 1_000_000, overdue_days="95", classification="substandard"),
                       spread(3, "B3", 1_000_000, overdue_days="90", classification="normal")])
    [b] = only(engine.check_period(session, PERIOD), "CD_OVERDUE_90_CLASSIFIED")
    assert (b.value, b.limit, b.comparator, b.severity) == (Decimal("1"), Decimal("0"), "==", "yellow")
    assert b.basis == "金规〔2024〕26号 第二十四条"  # loans overdue more than 90 days are non-performing


def test_no_loan_overdue_over_90_days_unclassified_is_no_breach(session, sl):
    sl_loans(session, [spread(1, "B1", 1_000_000, overdue_days="90", classification="normal"),
                       spread(2, "B2", 1_000_000, overdue_days="200", classification="loss")])
    assert only(engine.check_period(session, PERIOD), "CD_OVERDUE_90_CLASSIFIED") == []


def test_m3_plus_share_on_both_sides_of_five_percent(session, sl):
    rows = [spread(i, f"B{i}", 5_000_000) for i in range(1, 20)]  # 19 × 5m = 95m current
    sl_loans(session, [*rows, spread(20, "B20", 5_000_000, overdue_days="61", classification="doubtful")])
    assert only(engine.check_period(session, PERIOD), "CD_OVERDUE_M3PLUS_SHARE") == []  # 5m / 100m = 5%
    sl_loans(session, [*rows, spread(20, "B20", 6_000_000, overdue_days="61", classification="doubtful")])
    [b] = only(engine.check_period(session, PERIOD), "CD_OVERDUE_M3PLUS_SHARE")
    assert b.value == Decimal("0.05940594059405940594059405941") and b.explanation["denominator"] == "101000000"


def test_a_borrower_at_more_than_three_institutions_is_flagged_at_each(session):
    for n in range(1, 5):
        code = f"SL-000{n}"
        reg.register_institution(session, SUPERVISOR, small_loan(code, n))
        sl_financials(session, code)
        sl_loans(session, [spread(1, "SHARED", 1_000_000), spread(2, f"OWN{n}", 1_000_000)], code=code)
    breaches = only(engine.check_period(session, PERIOD), "CD_MULTI_INSTITUTION_BORROWER")
    assert [(b.institution, b.value) for b in breaches] == [(f"SL-000{n}", Decimal(4)) for n in range(1, 5)]
    assert breaches[0].explanation["top"][0]["group"] == "SHARED"
    only_three = engine.check_period(session, PERIOD, ["SL-0001", "SL-0002", "SL-0003"])
    assert len(only(only_three, "CD_MULTI_INSTITUTION_BORROWER")) == 3  # still counted across all four


# ---------------------------------------------------------------- factoring: single debtor, a flag


@pytest.fixture
def fa(session):
    reg.register_institution(session, SUPERVISOR, reg.InstitutionIn(
        code="FA-0001", name="广州某商业保理有限公司", kind="factoring", credit_code=entity(7), district_code="440106",
        registered_capital_yuan="50000000"))
    submit(session, "FA-0001", "financials", "factoring", [{
        "total_assets_fen": "2000000000", "total_liabilities_fen": "1000000000", "net_assets_fen": "1000000000",
        "registered_capital_fen": "5000000000", "cash_fen": "0", "bank_deposits_fen": "0", "government_bonds_fen": "0",
        "risk_assets_fen": "1000000000", "risk_reserve_fen": "50000000", "prohibited_funding_fen": "0"}])
    return "FA-0001"


def contract(n: int, debtor: str, receivable: int, **kw) -> dict:
    row = {"contract_id": f"C{n:04d}", "debtor_id": debtor, "debtor_is_related": "false", "factoring_type": "financing",
           "start_date": "2025-01-10", "receivable_fen": str(receivable), "financing_balance_fen": str(receivable),
           "overdue_days": "0", "is_non_performing": "false"}
    return row | kw


def test_factoring_single_debtor_over_half_of_risk_assets(session, fa):
    submit(session, fa, "factoring_contracts", "factoring",
           [contract(1, "D1", 400_000_000), contract(2, "D1", 200_000_000), contract(3, "D2", 500_000_000)])
    [b] = only(engine.check_period(session, PERIOD), "FA_SINGLE_DEBTOR")
    assert (b.value, b.limit, b.severity) == (Decimal("0.6"), Decimal("0.50"), "orange")
    assert b.explanation["top"] == [{"group": "D1", "value": "0.6", "numerator": "600000000",
                                     "denominator": "1000000000"}]  # D2 at exactly 50% is within the limit
    assert b.basis.startswith("银保监办发〔2019〕205号")


def test_factoring_overdue_90_not_non_performing_is_flagged_per_contract(session, fa):
    submit(session, fa, "factoring_contracts", "factoring",
           [contract(1, "D1", 10_000_000, overdue_days="91"),
            contract(2, "D2", 10_000_000, overdue_days="120", is_non_performing="true"),
            contract(3, "D3", 10_000_000, overdue_days="90")])
    [b] = only(engine.check_period(session, PERIOD), "FA_OVERDUE_90_NON_PERFORMING")
    assert (b.value, b.comparator, b.limit) == (Decimal("0"), "==", Decimal("1"))
    assert [t["group"] for t in b.explanation["top"]] == ["C0001"]


def test_factoring_all_overdue_contracts_non_performing_is_no_breach(session, fa):
    submit(session, fa, "factoring_contracts", "factoring",
           [contract(1, "D1", 10_000_000, overdue_days="91", is_non_performing="true")])
    assert only(engine.check_period(session, PERIOD), "FA_OVERDUE_90_NON_PERFORMING") == []


# ---------------------------------------------------------------- warnings and the SQL


def test_raise_warnings_deduplicates_on_rerun(session, sl):
    sl_loans(session, [spread(1, "B1", 120_000_000), spread(2, "B2", 1_000_000, overdue_days="100")])
    breaches = engine.check_period(session, PERIOD)
    assert len(breaches) >= 2
    assert engine.raise_warnings(session, SUPERVISOR, PERIOD) == (len(breaches), 0)
    assert engine.raise_warnings(session, SUPERVISOR, PERIOD) == (0, len(breaches))
    assert session.scalar(select(func.count()).select_from(RiskWarning)) == len(breaches)
    w = session.scalar(select(RiskWarning).where(RiskWarning.rule_id == "SL_SINGLE_BORROWER"))
    assert (w.level, w.value, w.limit, w.period) == ("orange", "0.12", "0.10", PERIOD)


def test_the_sql_is_kept_and_reference_rates_are_joined_by_the_records_date(session, sl):
    """The one-year LPR in force on each loan's contract date (data/finreg/reference_rates.yaml): 0.0310 from
    2024-10-21, 0.0300 from 2025-05-20. A loan signed before the first LPR (2019-08-20) has no reference rate:
    it is not judged (with nothing else over the limit the rule is reported skipped: zero_denominator)."""
    sl_loans(session, [spread(1, "B1", 1_000_000, annual_rate="0.1240", contract_date="2025-05-19"),  # 4.0× 0.0310
                       spread(2, "B2", 1_000_000, annual_rate="0.1240", contract_date="2025-05-20"),  # 4.13× 0.0300
                       spread(3, "B3", 1_000_000, annual_rate="0.9000", contract_date="2019-08-19")])  # no LPR yet
    run = engine.run_period(session, PERIOD)
    # the borrowers' balances are summed once for every rule that reads them, and the rule reads that table
    assert 'SUM("balance_fen")' in run.shared["loans__by_borrower_id"]
    assert 'FROM "loans__by_borrower_id"' in run.sql["SL_SINGLE_BORROWER"]
    [b] = [b for b in run.breaches if b.rule == "CD_RATE_ABOVE_4LPR"]
    assert str(b.value).startswith("4.1333333") and b.limit == Decimal(4)
    assert [(c["group"], c["numerator"], c["denominator"]) for c in b.explanation["top"]] == [
        (spread(2, "B2", 1)["loan_id"], "0.124", "0.03")]
    assert b.basis.startswith("法释〔2020〕17号")


# ---------------------------------------------------------------- guarantee: risk-weighted leverage


@pytest.fixture
def gu(session):
    reg.register_institution(session, SUPERVISOR, reg.InstitutionIn(
        code="GU-0001", name="广州某融资担保有限公司", kind="guarantee", credit_code=entity(8), district_code="440106",
        registered_capital_yuan="2000000"))
    submit(session, "GU-0001", "financials", "guarantee", [{
        "total_assets_fen": "300000000", "total_liabilities_fen": "200000000", "net_assets_fen": "100000000",
        "registered_capital_fen": "200000000", "class1_assets_fen": "100000000", "class2_assets_fen": "100000000",
        "class3_assets_fen": "0"}])
    return "GU-0001"


def guarantee(n: int, balance: int, weight: str) -> dict:
    return {"guarantee_id": f"GT{n}", "guaranteed_party_id": f"P{n}", "guaranteed_group_id": f"PG{n}",
            "relation": "none", "guarantee_type": "loan", "start_date": "2025-02-01", "balance_fen": str(balance),
            "risk_weight": weight}


def test_guarantee_leverage_is_weighted_and_exact_at_ten_times(session, gu):
    submit(session, gu, "guarantees", "guarantee", [guarantee(1, 700_000_000, "1"), guarantee(2, 600_000_000, "0.5")])
    run = engine.run_period(session, PERIOD)
    assert only(run.breaches, "GU_LEVERAGE") == []  # 700m + 300m = 10 × net assets: at the limit
    assert engine.Skipped(gu, "GU_LEVERAGE_SMALL_MICRO_AGRI", "not_applicable") in run.skipped
    submit(session, gu, "guarantees", "guarantee", [guarantee(1, 800_000_000, "1"), guarantee(2, 600_000_000, "0.5")])
    [b] = only(engine.check_period(session, PERIOD), "GU_LEVERAGE")
    assert (b.value, b.limit, b.severity, b.basis) == (Decimal("11"), Decimal("10"), "red",
                                                       "国务院令第683号 第十五条第一款（计量见第十四条）")


def test_the_check_command(session, sl, users):
    import json

    from tests.integration.test_cli import run

    sl_loans(session, [spread(1, "B1", 120_000_000), spread(2, "B2", 5_000_000)])
    session.commit()
    out = run("finreg", "check", "--period", PERIOD, "--json", user="supervisor")
    assert out.exit_code == 0, out.output
    breach = next(b for b in json.loads(out.output) if b["rule"] == "SL_SINGLE_BORROWER")
    assert {k: breach[k] for k in ("institution", "value", "severity")} == {"institution": "SL-0001", "value": "0.12",
                                                                             "severity": "orange"}
    assert breach["basis"].startswith("金规〔2024〕26号")
    unknown = run("finreg", "check", "--period", PERIOD, "--engine", "flink", user="supervisor")
    assert unknown.exit_code != 0 and "flink" in unknown.output  # spark runs: tests/integration/test_finreg_spark.py
    assert run("finreg", "check", "--period", PERIOD, user="sl0001").exit_code != 0
