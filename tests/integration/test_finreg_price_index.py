"""The Guangzhou lending price index: principal-weighted average rates of the month's new small loans by
term bucket and borrower type, exact to the rounding, from current submissions only."""

from __future__ import annotations

from decimal import Decimal

from gzgov.core.auth import SYSTEM
from gzgov.finreg import intake, price_index
from gzgov.finreg import registry as reg
from tests.integration.test_finreg_intake import loan, loans_csv
from tests.integration.test_finreg_registry import small_loan
from tests.personas import INSTITUTION, SUPERVISOR


def test_the_index_by_term_and_borrower(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    rows = [
        loan(1, contract_date="2025-09-03", maturity_date="2025-12-03", principal_fen="100000000", annual_rate="0.1200"),
        loan(2, contract_date="2025-09-10", maturity_date="2025-11-10", principal_fen="300000000", annual_rate="0.0800"),
        loan(3, contract_date="2025-09-15", maturity_date="2026-09-14", principal_fen="200000000", annual_rate="0.1500",
             borrower_type="natural_person"),
        loan(4, contract_date="2025-08-20", maturity_date="2026-08-20", principal_fen="900000000", annual_rate="0.2000"),
    ]
    intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows), "loans.csv")
    cells = {(c.bucket, c.borrower_type): c for c in price_index.compute(session, SUPERVISOR, "2025-09")}
    short = cells[("m0_3", "small_micro_enterprise")]
    assert (short.loans, short.principal_fen) == (2, 400_000_000)
    assert short.rate == Decimal("0.0900")  # (0.12·1 + 0.08·3) / 4
    assert cells[("m7_12", "natural_person")].rate == Decimal("0.1500")  # 2025-09-15 → 2026-09-14: 11 whole months
    total = cells[("all", "all")]
    assert total.loans == 3 and total.rate == Decimal("0.1100")  # (12 + 24 + 30) / 6; loan 4 is August's
    # a corrected resubmission replaces the month's figures
    intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv(rows[:1]), "loans.csv")
    assert {(c.bucket, c.borrower_type) for c in price_index.compute(session, SYSTEM, "2025-09")} == {
        ("m0_3", "small_micro_enterprise"), ("m0_3", "all"), ("all", "all")}
    assert price_index.compute(session, SUPERVISOR, "2025-10") == []


def test_the_index_page(session, users):
    from tests.integration.test_web_support import logged_in

    reg.register_institution(session, SUPERVISOR, small_loan())
    intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv([loan(1, contract_date="2025-09-03")]),
                  "loans.csv")
    session.commit()
    page = logged_in("supervisor").get("/finreg/price-index?period=2025-09").text
    assert 'data-cell="all/all"' in page and "12.00%" in page
    assert "没有新发放贷款" in logged_in("supervisor").get("/finreg/price-index?period=2025-10").text
    assert logged_in("sl0001").get("/finreg/price-index").status_code == 403
