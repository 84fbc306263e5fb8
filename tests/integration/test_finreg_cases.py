"""The closed loop: a breach becomes one warning per institution, rule and period, assigned to the district
supervisor; the case goes warn → handle → feedback (with evidence) → verify → closed, deadlines in official
working days, escalation when overdue, stale forms refused, and altered evidence detected by the audit check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from gzgov.core import audit
from gzgov.core.errors import GzgovError, NotFound, PermissionDenied, StaleAction
from gzgov.finreg import cases
from gzgov.finreg import registry as reg
from gzgov.finreg.models import CaseStep, RiskWarning
from tests.integration.test_finreg_registry import small_loan
from tests.personas import INSTITUTION, SUPERVISOR, TIANHE_SUP


def breach(value="0.152", period="2025-09", institution="SL-0001") -> cases.Breach:
    return cases.Breach(institution, "SL_SINGLE_BORROWER", period, "orange", Decimal(value), Decimal("0.10"),
                        "金规〔2024〕26号", {"metric": "单户贷款余额/净资产", "top": [{"borrower": "某公司", "share": value}]})


@pytest.fixture
def warning(session, users):
    reg.register_institution(session, SUPERVISOR, small_loan())
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2, district="440113"))
    w, created = cases.raise_warning(session, SUPERVISOR, breach())
    assert created
    return w


def test_a_breach_is_one_warning_per_institution_rule_and_period(session, warning):
    assert warning.assigned_to == "tianhe_sup" and warning.level == "orange"
    again, created = cases.raise_warning(session, SUPERVISOR, breach("0.16"))
    assert not created and again.id == warning.id and again.value == "0.16"
    _other, created = cases.raise_warning(session, SUPERVISOR, breach(period="2025-10"))
    assert created
    assert len(session.scalars(select(RiskWarning)).all()) == 2
    with pytest.raises(PermissionDenied):
        cases.raise_warning(session, TIANHE_SUP, breach(period="2025-11"))


def test_the_whole_loop_with_working_day_deadlines_and_evidence(session, warning):
    case = cases.open_case(session, TIANHE_SUP, warning.id)
    cases.handle(session, TIANHE_SUP, case.id, "rectification_notice", "限期压降单户集中度至 10% 以内",
                 working_days=15, today=date(2025, 9, 22))
    assert case.deadline == date(2025, 10, 16)  # National Day 2025 skipped
    with pytest.raises(GzgovError):
        cases.feedback(session, INSTITUTION, case.id, "已整改", [])  # evidence is required
    cases.feedback(session, INSTITUTION, case.id, "已收回部分贷款，集中度降至 9.6%",
                   [("整改报告.pdf", b"%PDF-1.4 report"), ("还款凭证.jpg", b"\xff\xd8 receipt")])
    assert case.stage == "feedback"
    cases.verify(session, TIANHE_SUP, case.id, False, "凭证不完整", today=date(2025, 10, 20))
    assert case.deadline == date(2025, 11, 14)  # 20 working days counting Mon 20 Oct as the first
    assert case.stage == "handle"
    cases.feedback(session, INSTITUTION, case.id, "补充凭证", [("补充.pdf", b"%PDF-1.4 more")])
    cases.verify(session, TIANHE_SUP, case.id, True, "核查属实")
    cases.close(session, TIANHE_SUP, case.id, "整改完成")
    assert case.stage == "closed" and session.get(RiskWarning, warning.id).status == "closed"
    stages = [s.stage for s in session.scalars(select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id))]
    assert stages == ["warn", "handle", "feedback", "handle", "feedback", "verify", "closed"]
    assert audit.verify(session).ok


def test_altered_evidence_is_detected_by_the_audit_check(session, warning):
    case = cases.open_case(session, TIANHE_SUP, warning.id)
    cases.handle(session, TIANHE_SUP, case.id, "talk", "约谈", today=date(2025, 9, 22))
    cases.feedback(session, INSTITUTION, case.id, "说明", [("说明.pdf", b"%PDF-1.4 original")])
    assert audit.verify(session).ok
    evidence = session.scalars(select(cases.Evidence)).one()
    (cases.evidence_dir() / evidence.sha256).write_bytes(b"%PDF-1.4 forged")
    result = audit.verify(session)
    assert not result.ok and any("altered" in p and "篡改" in p for p in result.problems)


def test_scoping_and_stale_actions(session, warning):
    case = cases.open_case(session, SUPERVISOR, warning.id)
    seen = case.version
    cases.handle(session, TIANHE_SUP, case.id, "talk", "约谈", expected_version=seen, today=date(2025, 9, 22))
    with pytest.raises(StaleAction):
        cases.handle(session, SUPERVISOR, case.id, "onsite_inspection", "现场检查", expected_version=seen,
                     today=date(2025, 9, 22))
    other, _ = cases.raise_warning(session, SUPERVISOR, breach(institution="SL-0002"))
    with pytest.raises(PermissionDenied):
        cases.open_case(session, TIANHE_SUP, other.id)  # another district's
    other_case = cases.open_case(session, SUPERVISOR, other.id)
    with pytest.raises(NotFound):
        cases.feedback(session, INSTITUTION, other_case.id, "x", [("a.pdf", b"x")])  # another institution's


def test_an_overdue_case_is_escalated_once_per_deadline(session, warning):
    case = cases.open_case(session, TIANHE_SUP, warning.id)
    cases.handle(session, TIANHE_SUP, case.id, "talk", "约谈", working_days=5, today=date(2025, 9, 22))
    assert cases.escalate_overdue(session, SUPERVISOR, today=date(2025, 9, 26)) == []  # the deadline day itself
    assert [c.id for c in cases.escalate_overdue(session, SUPERVISOR, today=date(2025, 10, 9))] == [case.id]
    assert case.escalation == 1 and case.assigned_to == ""
    assert cases.escalate_overdue(session, SUPERVISOR, today=date(2025, 10, 10)) == []
