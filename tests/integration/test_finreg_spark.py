"""The same rule definitions on Spark (PySpark, local[2]) give the same results as on DuckDB: over a period with
institutions of every type — breaches and near-misses at the limits, zero and missing denominators, a missing
dataset, a superseded submission, a borrower at four companies, grouped and flag rules, decimals stored as
strings and as Parquet DECIMAL — every breach (value, limit, basis, explanation with its top contributors)
and every skipped rule is identical. The CLI `--engine spark --json` prints what DuckDB prints; an unknown
engine, a missing Java or a missing PySpark is refused in both languages."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from gzgov.core.errors import GzgovError
from gzgov.finreg import engine, intake
from gzgov.finreg import registry as reg
from gzgov.finreg.analytics import spark as spark_engine
from gzgov.finreg.models import Institution, Submission
from gzgov.finreg.rules import load_rules
from tests.integration.test_cli import run
from tests.integration.test_finreg_engine import PERIOD, contract, guarantee, sl_financials, sl_loans, submit
from tests.integration.test_finreg_intake import loan as intake_loan
from tests.integration.test_finreg_registry import entity
from tests.personas import SUPERVISOR

BOOK = load_rules()


@pytest.fixture(scope="session")
def spark():
    """One Spark application for the module's runs (each run gets its own session over it)."""
    session = spark_engine.spark_session("local[2]")
    yield session
    session.stop()


def register(session, code: str, kind: str, n: int, subkind: str = "") -> None:
    reg.register_institution(session, SUPERVISOR, reg.InstitutionIn(
        code=code, name=f"广州某机构{code}", kind=kind, credit_code=entity(n), district_code="440106",
        registered_capital_yuan="50000000", subkind=subkind))


def loan(n: int, borrower: str, balance: int, **kw) -> dict:
    row = {"borrower_id": borrower, "borrower_group_id": f"G{n}", "balance_fen": str(balance)}
    return intake_loan(n, **(row | kw))


def ticket(n: int, client: str, balance: int, **kw) -> dict:
    row = {"ticket_id": f"T{n}", "client_id": client, "client_is_shareholder": "false",
           "shareholder_contribution_fen": "", "collateral_type": "movable", "is_renewal": "false",
           "start_date": "2025-09-01", "term_months": "1", "principal_fen": str(balance), "balance_fen": str(balance),
           "monthly_fee_rate": "0.02", "annual_interest_rate": "0.04", "interest_prededucted": "false"}
    return row | kw


def lease(n: int, lessee: str, group: str, balance: int, **kw) -> dict:
    row = {"lease_id": f"LS{n}", "lessee_id": lessee, "lessee_group_id": group, "lessee_is_related": "false",
           "related_shareholder_id": "", "shareholder_contribution_fen": "", "start_date": "2025-01-01",
           "balance_fen": str(balance), "annual_rate": "0.08", "overdue_days": "0"}
    return row | kw


def product(pid: str, **kw) -> dict:
    row = {"product_id": pid, "equal_share_public_issue": "false", "trading_method": "agreement_transfer",
           "standardised_continuous_listing": "false", "min_transfer_interval_trading_days": "5"}
    return row | kw


def store_decimals(session, code: str, dataset: str, column: str, arrow_type: pa.DataType) -> None:
    """Rewrite a stored submission with a decimal column as Parquet DECIMAL instead of the intake's exact
    strings (as a newer intake may store it): both engines must cast either to the contract type."""
    path = intake.store_dir() / session.scalar(
        select(Submission.path).join(Institution, Institution.id == Submission.institution_id)
        .where(Institution.code == code, Submission.dataset == dataset, Submission.status == "current"))
    table = pq.read_table(path)
    values = pa.array([Decimal(v) for v in table.column(column).to_pylist()], arrow_type)
    pq.write_table(table.set_column(table.schema.get_field_index(column), column, values), path)


def small_loan_companies(session) -> None:
    for n, code in enumerate(("SL-0001", "SL-0002", "SL-0003", "SL-0004", "SL-0005"), start=1):
        register(session, code, "small_loan", n, "internet" if code == "SL-0002" else "")
    sl_financials(session, "SL-0001", bank_loans_fen="600000000", shareholder_loans_fen="300000000",
                  other_nonstandard_borrowing_fen="100000000", bonds_outstanding_fen="3000000000",
                  abs_outstanding_fen="1000000000")  # leverage exactly 1× and 4×: no breach
    sl_financials(session, "SL-0002", net_assets_prior_year_end_fen="", bank_loans_fen="800000000",
                  shareholder_loans_fen="300000000")  # no prior-year net assets: leverage 1.1× of what? not judged
    sl_financials(session, "SL-0003", net_assets_fen="0", net_assets_prior_year_end_fen="0")  # leverage over zero
    shared = [loan(90, "SHARED", 1_000_000), loan(91, "TRIO", 1_000_000)]
    sl_loans(session, [loan(1, "GHOST", 900_000_000)])  # superseded below: never read
    sl_loans(session, [loan(1, "B1", 80_000_000, borrower_group_id="G1"),
                       loan(2, "B1", 40_000_000, borrower_group_id="G1"),  # B1: 12%
                       loan(3, "B3", 110_000_000, borrower_group_id="G3"),  # 11%; its group with B4: 16%
                       loan(4, "B4", 50_000_000, borrower_group_id="G3"),
                       loan(5, "B2", 100_000_000),  # exactly 10%
                       loan(6, "B5", 5_000_000, overdue_days="120"), *shared])  # over 90 days, still "normal"
    sl_loans(session, [loan(1, "C1", 20_000_001, purpose="consumption"),  # one fen over ¥200,000
                       loan(2, "C2", 20_000_000, purpose="consumption"),
                       loan(3, "BZ", 1_000_000_000, purpose="business"), *shared], code="SL-0002")
    sl_loans(session, [*(loan(i, f"B{i}", 5_000_000) for i in range(1, 20)), *shared,
                       loan(20, "B20", 6_000_000, overdue_days="61", classification="doubtful")], code="SL-0003")
    sl_loans(session, [loan(90, "SHARED", 1_000_000),  # and no financials: no_data
                       loan(21, "B21", 1_000_000, annual_rate="0.1300", contract_date="2025-09-01")],  # 4.33× LPR
             code="SL-0004")


def guarantors(session) -> None:
    register(session, "GU-0001", "guarantee", 11)
    register(session, "GU-0002", "guarantee", 12)
    statement = {"total_assets_fen": "300000000", "total_liabilities_fen": "200000000", "net_assets_fen": "100000000",
                 "registered_capital_fen": "200000000"}
    submit(session, "GU-0001", "financials", "guarantee", [statement | {  # asset ratios exactly at 0.20, 0.70, 0.30
        "class1_assets_fen": "60000000", "class2_assets_fen": "150000000", "class3_assets_fen": "90000000"}])
    submit(session, "GU-0002", "financials", "guarantee", [statement | {
        "class1_assets_fen": "10000000", "class2_assets_fen": "20000000", "class3_assets_fen": "0",
        "receivable_compensation_fen": "0"}])
    submit(session, "GU-0001", "guarantees", "guarantee", [
        guarantee(1, 700_000_000, "1") | {"guaranteed_group_id": "PG1"},
        guarantee(2, 600_000_000, "0.5") | {"guaranteed_group_id": "PG1", "relation": "controlling_shareholder"},
        guarantee(3, 3, "0.3333333333")])
    submit(session, "GU-0002", "guarantees", "guarantee", [guarantee(1, 1_000_000_000, "1")])  # exactly 10×
    store_decimals(session, "GU-0001", "guarantees", "risk_weight", pa.decimal128(20, 10))


def pawnshops(session) -> None:
    register(session, "PN-0001", "pawn", 21)
    register(session, "PN-0002", "pawn", 22)
    statement = {"total_assets_fen": "3000000000", "total_liabilities_fen": "1000000000"}
    submit(session, "PN-0001", "financials", "pawn", [statement | {
        "net_assets_fen": "450000000", "registered_capital_fen": "500000000", "bank_loans_fen": "600000000",
        "first_annual_report_filed": "false"}])
    submit(session, "PN-0002", "financials", "pawn", [statement | {
        "net_assets_fen": "1000000000", "registered_capital_fen": "2000000000", "bank_loans_fen": "100000000",
        "first_annual_report_filed": "true"}])  # owners' equity missing: zero denominator
    submit(session, "PN-0001", "pawn_tickets", "pawn", [
        ticket(1, "K1", 50_000_000, term_months="6", monthly_fee_rate="0.042", annual_interest_rate="0.0870"),
        ticket(2, "K2", 30_000_000, term_months="7.5", monthly_fee_rate="0.0421", interest_prededucted="true"),
        ticket(3, "K3", 100_000_001, collateral_type="real_estate", monthly_fee_rate="0.027", is_renewal="true",
               term_months="6.5"),
        ticket(4, "K4", 12_000_000, client_is_shareholder="true", shareholder_contribution_fen="10000000"),
        ticket(5, "K5", 5_000_000, client_is_shareholder="true")])  # a shareholder without its stake: data quality
    submit(session, "PN-0002", "pawn_tickets", "pawn", [
        ticket(1, "K1", 250_000_000, collateral_type="real_estate"),
        ticket(2, "K2", 200_000_000, collateral_type="real_estate"),
        ticket(3, "K3", 1_000_000_001, collateral_type="property_rights", monthly_fee_rate="0.024")])
    store_decimals(session, "PN-0001", "pawn_tickets", "term_months", pa.decimal128(12, 4))


def lessors_factors_venues(session) -> None:
    register(session, "LE-0001", "leasing", 31)
    submit(session, "LE-0001", "financials", "leasing", [{
        "total_assets_fen": "1000000000", "total_liabilities_fen": "800000000", "net_assets_fen": "100000000",
        "registered_capital_fen": "100000000", "cash_fen": "50000000", "bank_deposits_fen": "50000000",
        "government_bonds_fen": "100000000", "leased_assets_fen": "599999999",  # just under 60%
        "fixed_income_investments_fen": "20000000"}])  # exactly 20%; risk assets exactly 8×
    submit(session, "LE-0001", "leases", "leasing", [
        lease(1, "E1", "EG1", 31_000_000), lease(2, "E2", "EG1", 20_000_000),
        lease(3, "E3", "EG3", 11_000_000, lessee_is_related="true", related_shareholder_id="SH1",
              shareholder_contribution_fen="10000000"),
        lease(4, "E4", "EG4", 30_000_000, lessee_is_related="true", related_shareholder_id="SH2",
              shareholder_contribution_fen="30000000")])
    factoring = {"total_assets_fen": "2000000000", "total_liabilities_fen": "1000000000",
                 "net_assets_fen": "1000000000", "registered_capital_fen": "5000000000", "cash_fen": "0",
                 "bank_deposits_fen": "0", "government_bonds_fen": "0"}
    for n, code, risk, reserve, prohibited in ((41, "FA-0001", "1000000000", "5000000", "1"),
                                               (42, "FA-0002", "200000001", "1000000", "0")):
        register(session, code, "factoring", n)
        submit(session, code, "financials", "factoring", [factoring | {
            "risk_assets_fen": risk, "risk_reserve_fen": reserve, "prohibited_funding_fen": prohibited}])
    submit(session, "FA-0001", "factoring_contracts", "factoring", [
        contract(1, "D1", 400_000_000), contract(2, "D1", 200_000_000, debtor_is_related="true"),
        contract(3, "D2", 500_000_000), contract(4, "D3", 1_000_000, overdue_days="91", factoring_type="collection"),
        contract(5, "D4", 1_000_000, overdue_days="90", factoring_type="ledger_management")])
    # 100,000,001 / 200,000,001 is just over 0.50, though 0.50 × 200,000,001 rounds to 100,000,001: only an exact
    # comparison sees the breach; and no financing contract, so the risk reserve is over 0
    submit(session, "FA-0002", "factoring_contracts", "factoring",
           [contract(1, "D1", 100_000_001, factoring_type="ledger_management")])
    register(session, "TV-0001", "trading_venue", 51)
    submit(session, "TV-0001", "venue_products", "trading_venue", [
        product("P1", equal_share_public_issue="true", min_transfer_interval_trading_days="4"),
        product("P2", trading_method="continuous_auction"),
        product("P3", standardised_continuous_listing="true", min_transfer_interval_trading_days="10")])
    submit(session, "TV-0001", "venue_holdings", "trading_venue",
           [{"product_id": "P1", "holder_id": f"H{i}", "units": "1.5"} for i in range(1, 202)] +
           [{"product_id": "P2", "holder_id": f"H{i}", "units": "2"} for i in range(1, 201)])


def rich_period(session) -> None:
    small_loan_companies(session)
    guarantors(session)
    pawnshops(session)
    lessors_factors_venues(session)


# Worked by hand from the data above; a value exactly at its limit is no breach.
EXPECTED = {
    "SL-0001": {"SL_SINGLE_BORROWER", "SL_BORROWER_GROUP", "CD_OVERDUE_90_CLASSIFIED",
                "CD_MULTI_INSTITUTION_BORROWER"},
    "SL-0002": {"SL_ONLINE_CONSUMER_PER_BORROWER", "CD_MULTI_INSTITUTION_BORROWER"},
    "SL-0003": {"CD_OVERDUE_M3PLUS_SHARE", "CD_NPL_RATIO", "CD_MULTI_INSTITUTION_BORROWER"},
    "SL-0004": {"CD_MULTI_INSTITUTION_BORROWER", "CD_RATE_ABOVE_4LPR"},
    "GU-0001": {"GU_LEVERAGE", "GU_SINGLE_GUARANTEED", "GU_GUARANTEED_GROUP", "GU_CONTROLLER_GUARANTEE"},
    "GU-0002": {"GU_SINGLE_GUARANTEED", "GU_GUARANTEED_GROUP", "GU_CLASS1_ASSETS_MIN", "GU_CLASS12_ASSETS_MIN"},
    "PN-0001": {"PAWN_BANK_BORROWING_FIRST_YEAR", "PAWN_TERM_MAX", "PAWN_RENEWAL_TERM_MAX",
                "PAWN_INTEREST_PREDEDUCTED", "PAWN_FEE_MOVABLE", "PAWN_SHAREHOLDER_CLIENT",
                "PAWN_REAL_ESTATE_SINGLE_SMALL", "PAWN_INTEREST_RATE"},
    "PN-0002": {"PAWN_NET_ASSETS_FLOOR", "PAWN_REAL_ESTATE_SINGLE_LARGE", "PAWN_PROPERTY_RIGHTS_TOTAL",
                "PAWN_SINGLE_CLIENT"},
    "LE-0001": {"LE_LEASED_ASSETS_MIN", "LE_SINGLE_LESSEE", "LE_SINGLE_GROUP", "LE_SHAREHOLDER_RELATED"},
    "FA-0001": {"FA_SINGLE_DEBTOR", "FA_OVERDUE_90_NON_PERFORMING", "FA_RISK_RESERVE_MIN", "FA_PROHIBITED_FUNDING"},
    "FA-0002": {"FA_SINGLE_DEBTOR"},
    "TV-0001": {"TV_NO_EQUAL_SHARE_ISSUE", "TV_NO_CENTRALISED_TRADING", "TV_NO_STANDARDISED_LISTING",
                "TV_MIN_TRANSFER_INTERVAL", "TV_MAX_HOLDERS"},
}
SKIPPED = {
    ("SL-0002", "SL_SINGLE_BORROWER", "zero_denominator"), ("SL-0003", "SL_NONSTANDARD_LEVERAGE", "zero_denominator"),
    ("SL-0002", "SL_NONSTANDARD_LEVERAGE", "zero_denominator"),
    ("PN-0002", "PAWN_BANK_BORROWING", "zero_denominator"), ("FA-0002", "FA_RISK_RESERVE_MIN", "zero_denominator"),
    ("SL-0004", "SL_SINGLE_BORROWER", "no_data"), ("SL-0005", "CD_MULTI_INSTITUTION_BORROWER", "no_data"),
    ("SL-0001", "SL_ONLINE_CONSUMER_PER_BORROWER", "not_applicable"),
    ("PN-0001", "PAWN_BANK_BORROWING", "not_applicable"),
    ("PN-0002", "PAWN_REAL_ESTATE_SINGLE_SMALL", "not_applicable"),
}


def by_key(run: engine.CheckRun) -> dict[tuple[str, str], engine.BreachResult]:
    return {(b.institution, b.rule): b for b in run.breaches}


def test_spark_and_duckdb_give_identical_results_over_a_period_of_every_institution_type(session, spark):
    rich_period(session)
    duck = engine.run_period(session, PERIOD, engine="duckdb")
    on_spark = engine.run_period(session, PERIOD, engine="spark")

    # the runs really went through the two dialects
    assert 'SUM("balance_fen")' in duck.shared["loans__by_borrower_id"] and "min_by(" in duck.sql["SL_SINGLE_BORROWER"]
    assert "SUM(CAST(`balance_fen` AS DECIMAL(38,0)))" in on_spark.shared["loans__by_borrower_id"]
    assert "ROW_NUMBER()" in on_spark.sql["SL_SINGLE_BORROWER"]
    # and found what was worked by hand, so the comparison below is not of two empty lists
    for run_ in (duck, on_spark):
        found: dict[str, set[str]] = {}
        for b in run_.breaches:
            found.setdefault(b.institution, set()).add(b.rule)
        assert found == EXPECTED
        assert SKIPPED <= {(s.institution, s.rule, s.reason) for s in run_.skipped}
    rules = [BOOK.rule(b.rule) for b in duck.breaches]
    assert {r.metric.kind for r in rules} == {"ratio", "total", "count", "flag"}
    assert {r.limit.comparator for r in rules} == {"<=", ">=", "=="}
    assert any(r.metric.group_by for r in rules) and any(r.metric.applies_when for r in rules)
    assert any(r.metric.scope == "all_institutions" for r in rules)

    # identical, field by field: values, limits, bases, explanations with their top contributors, skipped
    assert [b.as_json() for b in on_spark.breaches] == [b.as_json() for b in duck.breaches]
    assert on_spark.breaches == duck.breaches
    assert on_spark.skipped == duck.skipped
    assert set(on_spark.sql) == set(duck.sql)

    got = by_key(on_spark)
    single = got["SL-0001", "SL_SINGLE_BORROWER"]
    assert (single.value, single.explanation["breaching_groups"]) == (Decimal("0.12"), 2)
    assert [t["group"] for t in single.explanation["top"]] == ["B1", "B3"]  # the superseded GHOST is not read
    assert [b.value for b in on_spark.breaches if b.rule == "CD_MULTI_INSTITUTION_BORROWER"] == [Decimal(4)] * 4
    # risk weights stored as Parquet DECIMAL at GU-0001 and as strings at GU-0002: exact either way
    leverage = got["GU-0001", "GU_LEVERAGE"]
    assert leverage.value == Decimal("10.000000009999999999")
    assert leverage.explanation["numerator"] == "1000000000.9999999999"
    assert got["GU-0001", "GU_SINGLE_GUARANTEED"].explanation["top"][0] == {
        "group": "P1", "value": "7", "numerator": "700000000", "denominator": "100000000"}
    assert got["PN-0001", "PAWN_TERM_MAX"].explanation["top"] == [
        {"group": "T2", "value": "7.5", "numerator": "7.5", "denominator": "1"}]
    assert got["SL-0003", "CD_OVERDUE_M3PLUS_SHARE"].value == Decimal("0.05825242718446601941747572816")
    assert got["SL-0002", "SL_ONLINE_CONSUMER_PER_BORROWER"].value == Decimal(20_000_001)
    assert got["FA-0002", "FA_SINGLE_DEBTOR"].value == Decimal("0.5000000024999999875000000625")


def test_the_shared_aggregates_give_what_each_rules_own_scans_give(session):
    """The run computes every aggregate of a dataset and grouping in one pass (FILTER per aggregate, a group kept
    for an aggregate only where its rows exist) and adds up per-institution partials across institutions: the
    same breaches, explanations and skips as each rule scanning the rows itself."""
    rich_period(session)
    shared = engine.run_period(session, PERIOD)
    own = engine.run_period(session, PERIOD, share=False)
    assert shared.shared and not own.shared
    assert all("__by_" not in sql and "__per_institution" not in sql for sql in own.sql.values())
    assert 'FROM "loans__by_borrower_id"' in shared.sql["CD_MULTI_INSTITUTION_BORROWER"]
    assert len(shared.breaches) >= 20 and by_key(shared) == by_key(own)
    assert sorted(shared.skipped, key=repr) == sorted(own.skipped, key=repr)


def test_the_hash_bucket_pre_filter_is_exact_whatever_the_collisions(session, monkeypatch):
    """Borrowers at more than three institutions are counted first per hash bucket: a bucket's count bounds
    each of its groups', so even two buckets for every borrower (collisions everywhere) give the same
    breaches, values and top borrowers as the fine hash."""
    from gzgov.finreg.analytics import sql

    rich_period(session)
    fine = engine.run_period(session, PERIOD)
    assert f"{sql.BUCKET} IN (SELECT h" in fine.sql["CD_MULTI_INSTITUTION_BORROWER"]
    monkeypatch.setattr(sql, "BUCKET", "(hash(grp) % 2)")
    coarse = engine.run_period(session, PERIOD)
    assert "(hash(grp) % 2) IN (SELECT h" in coarse.sql["CD_MULTI_INSTITUTION_BORROWER"]
    multi = [b for b in coarse.breaches if b.rule == "CD_MULTI_INSTITUTION_BORROWER"]
    assert len(multi) == 4 and by_key(coarse) == by_key(fine)


def test_shared_tables_computed_in_parts_of_whole_institutions_give_the_same_verdicts(session, monkeypatch):
    """DuckDB fills a grouped shared table in parts of whole institutions (`batch_rows` rows at most),
    each computing only the aggregates its institutions' rules read (the internet caps' purpose sums for the
    internet companies alone): the same breaches, explanations and skips as one query over them all."""
    rich_period(session)
    monkeypatch.setattr(engine.DuckDBBackend, "batch_rows", None)
    whole = engine.run_period(session, PERIOD)
    monkeypatch.setattr(engine.DuckDBBackend, "batch_rows", 1)  # one institution per part
    parts = engine.run_period(session, PERIOD)
    borrowers = parts.shared["loans__by_borrower_id"].split("\nUNION ALL\n")
    assert "UNION ALL" not in whole.shared["loans__by_borrower_id"]
    assert borrowers[0].endswith("WHERE FALSE GROUP BY 1, 2")  # an empty first part: the columns' types
    trimmed = [sql for sql in borrowers[1:] if "NULL AS a" in sql]
    assert 0 < len(trimmed) < len(borrowers) - 1
    assert all("'SL-0002'" not in sql for sql in trimmed)  # the internet company's part keeps the purpose sums
    assert len(parts.breaches) >= 20 and by_key(parts) == by_key(whole)
    assert sorted(parts.skipped, key=repr) == sorted(whole.skipped, key=repr)


def test_parts_are_sized_by_the_rows_that_can_reach_the_grouping(session, monkeypatch):
    """A grouped table whose scan requires a stored field not null (loans to a shareholder's related parties)
    sizes its parts by the rows that can reach the grouping — the field's non-null values, from the files'
    statistics, exact — not by the rows stored: the companies with few such loans share one part, and the
    verdicts are those of one query."""
    from gzgov.finreg.rules import Condition

    small_loan_companies(session)
    register(session, "SL-0006", "small_loan", 6)
    sl_financials(session, "SL-0006")
    sl_loans(session, [loan(1, "R1", 5_000_000, related_shareholder_id="SH1", shareholder_contribution_fen="4000000"),
                       loan(2, "R2", 1_000_000, related_shareholder_id="SH1", shareholder_contribution_fen="4000000"),
                       loan(3, "N3", 1_000_000)], code="SL-0006")  # 6万 to SH1's parties against its 4万 stake
    related = (Condition("related_shareholder_id", "not_null"),)
    data = engine.load_period(session, BOOK, PERIOD)
    try:
        actual = dict(data.backend.execute("SELECT institution_code, count(*) FROM loans "
                                           "WHERE related_shareholder_id IS NOT NULL GROUP BY 1"))
        holders = sorted(c for c, ds in data.submitted if ds == "loans")
        assert len(holders) == 5 and actual == {"SL-0006": 2}
        assert {c: data.reaching(c, "loans", related) for c in holders} == {c: actual.get(c, 0) for c in holders}
        assert data.rows[("SL-0006", "loans")] == 3
        # a derived field is not stored (filled in the view from its reference series): every row may reach
        assert data.reaching("SL-0006", "loans", (Condition("lpr_1y_at_contract", "not_null"),)) == 3
    finally:
        data.backend.close()
    monkeypatch.setattr(engine.DuckDBBackend, "batch_rows", 2)
    parts = engine.run_period(session, PERIOD)
    assert "UNION ALL" not in parts.shared["loans__by_related_shareholder_id"]  # 0+0+0+0+2 rows: one part
    assert parts.shared["loans__by_borrower_id"].count("UNION ALL") >= 4  # stored rows: a part per company
    monkeypatch.setattr(engine.DuckDBBackend, "batch_rows", None)
    whole = engine.run_period(session, PERIOD)
    assert ("SL-0006", "SL_SHAREHOLDER_RELATED") in by_key(parts)
    assert by_key(parts) == by_key(whole)


def test_non_null_counts_come_from_the_footer_or_are_unknown(tmp_path):
    """A column's non-null values are summed over its row groups' statistics; a file written without
    statistics says nothing (None: every row may reach), and two files of one dataset add up."""
    table = pa.table({"a": pa.array(["x", None, "y", None, None]), "b": pa.array([1, 2, 3, 4, 5])})
    pq.write_table(table, tmp_path / "with.parquet", row_group_size=2)
    pq.write_table(table, tmp_path / "without.parquet", write_statistics=False)
    assert engine._non_null(pq.read_metadata(tmp_path / "with.parquet")) == {"a": 2, "b": 5}
    assert engine._non_null(pq.read_metadata(tmp_path / "without.parquet")) == {"a": None, "b": None}
    assert engine._add_counts({"a": 2, "b": None}, {"a": 1, "c": 3}) == {"a": 3, "b": None, "c": 3}
    assert engine._add_counts(None, {"a": 1}) == {"a": 1}


def test_a_period_with_no_institution_runs_and_finds_nothing_on_spark(session, spark):
    run_ = engine.run_period(session, PERIOD, engine="spark")
    assert (run_.breaches, run_.skipped, run_.sql) == ([], [], {})


def test_the_check_command_on_spark_prints_what_duckdb_prints(session, users, spark):
    register(session, "SL-0001", "small_loan", 1)
    sl_financials(session, "SL-0001")
    sl_loans(session, [loan(1, "B1", 120_000_000), loan(2, "B2", 100_000_000), loan(3, "B3", 5_000_000,
                                                                                    overdue_days="100")])
    session.commit()
    duck = run("finreg", "check", "--period", PERIOD, "--engine", "duckdb", "--json", user="supervisor")
    on_spark = run("finreg", "check", "--period", PERIOD, "--engine", "spark", "--json", user="supervisor")
    assert duck.exit_code == 0, duck.output
    assert on_spark.exit_code == 0, on_spark.output
    breaches = json.loads(on_spark.output)
    assert breaches == json.loads(duck.output)
    assert {(b["rule"], b["value"]) for b in breaches} == {("SL_SINGLE_BORROWER", "0.12"),
                                                           ("CD_OVERDUE_90_CLASSIFIED", "1")}
    assert {k for b in breaches for k in b} >= {"institution", "rule", "value", "limit", "severity", "basis"}


def test_an_unknown_engine_is_refused_in_both_languages(session, users):
    with pytest.raises(GzgovError) as err:
        engine.run_period(session, PERIOD, engine="flink")
    assert err.value.code == "unknown_engine" and "flink" in err.value.zh and "flink" in err.value.en
    out = run("finreg", "check", "--period", PERIOD, "--engine", "flink", "--json", user="supervisor")
    assert out.exit_code != 0
    assert "未知的规则引擎" in out.output and "Unknown rule engine: flink" in out.output


def test_spark_without_java_or_pyspark_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jre"))
    with pytest.raises(GzgovError) as err:
        spark_engine.require_java()
    assert err.value.code == "spark_java_missing" and "JAVA_HOME" in err.value.zh and "Java 17" in err.value.en
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the spark extra were not installed
    with pytest.raises(GzgovError) as err:
        spark_engine.spark_session()
    assert err.value.code == "spark_not_installed" and "gzgov[spark]" in err.value.en and "PySpark" in err.value.zh
