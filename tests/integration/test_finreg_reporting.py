"""The reporting calendar: due dates in official working days, and late or missing submissions as warnings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from gzgov.finreg import intake, reporting
from gzgov.finreg import registry as reg
from gzgov.finreg.models import RiskWarning, Submission
from tests.integration.test_finreg_intake import loan, loans_csv
from tests.integration.test_finreg_registry import small_loan
from tests.personas import INSTITUTION, SUPERVISOR


def test_due_dates_skip_national_day(session):
    # Oct 1–8 off; Thu 9, Fri 10, Sat 11 (worked), Mon 13, Tue 14 are the first five working days
    assert reporting.due_date(session, "2025-09", "loans") == date(2025, 10, 14)
    assert reporting.due_date(session, "2025-09", "financials") == date(2025, 10, 21)
    assert reporting.due_date(session, "2025-10", "loans") == date(2025, 11, 7)


def test_late_and_missing_submissions_raise_their_own_warnings(session):
    reg.register_institution(session, SUPERVISOR, small_loan())
    sub, _ = intake.submit(session, INSTITUTION, "SL-0001", "loans", "2025-09", loans_csv([loan(1)]), "loans.csv")
    sub.submitted_at = datetime(2025, 10, 15, 9, 0)  # a day after the 14 October due date
    session.flush()
    status = {t.dataset: t.status for t in reporting.timeliness(session, SUPERVISOR, "2025-09", date(2025, 10, 17))}
    assert status == {"loans": "late", "financials": "not_due"}
    status = {t.dataset: t.status for t in reporting.timeliness(session, SUPERVISOR, "2025-09", date(2025, 10, 22))}
    assert status["financials"] == "missing"
    assert reporting.raise_reporting_warnings(session, SUPERVISOR, "2025-09", date(2025, 10, 22)) == 2
    assert reporting.raise_reporting_warnings(session, SUPERVISOR, "2025-09", date(2025, 10, 23)) == 0  # deduplicated
    rules = {w.rule_id: w for w in session.scalars(select(RiskWarning))}
    assert rules["REPORT_LATE"].value == "1" and rules["REPORT_MISSING"].level == "orange"
    assert session.scalar(select(Submission.status)) == "current"
