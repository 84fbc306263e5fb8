"""Key projects: updates by their responsible units only, evidence attachments kept by digest, milestones
counted in official working days, overdue flags, "my projects" and per-district views."""

from __future__ import annotations

from datetime import date

import pytest

from gzgov.core.errors import GzgovError, PermissionDenied
from gzgov.plan import projects
from tests.personas import AUDITOR, COMMERCE, EVALUATOR, NANSHA_GOV, REGULATOR

TODAY = date(2025, 10, 20)


def test_only_a_named_unit_or_the_regulator_updates_a_project(session):
    # project 1 (期货产业园区): 市地方金融监管局, 南沙区政府, 天河区政府
    projects.update_status(session, NANSHA_GOV, 1, "in_progress", date(2025, 6, 30), "园区一期已开园")
    with pytest.raises(PermissionDenied):
        projects.update_status(session, COMMERCE, 1, "completed", date(2025, 6, 30), "x")
    for reader in (AUDITOR, EVALUATOR):
        with pytest.raises(PermissionDenied):
            projects.update_status(session, reader, 1, "completed", date(2025, 6, 30), "x")
    projects.update_status(session, REGULATOR, 1, "completed", date(2025, 9, 30), "园区全面建成")
    view = projects.overview(session, AUDITOR, TODAY)[0]
    assert view.status == "completed" and view.latest.entered_by == "regulator"


def test_a_district_government_answers_for_projects_of_every_district(session):
    every = [v.project.number for v in projects.overview(session, REGULATOR, TODAY, unit="南沙区政府")]
    assert 1 in every  # named
    collective = [p.number for p in projects.default_reference().projects if "各区政府" in p.units]
    assert collective and set(collective) <= set(every)
    commerce = [v.project.number for v in projects.overview(session, REGULATOR, TODAY, unit="市商务局")]
    assert commerce and all("市商务局" in projects.project(n).units for n in commerce)


def test_bad_updates_are_refused(session):
    with pytest.raises(GzgovError) as err:
        projects.update_status(session, NANSHA_GOV, 1, "finished", TODAY, "x")
    assert err.value.code == "bad_status"
    with pytest.raises(GzgovError) as err:
        projects.update_status(session, NANSHA_GOV, 1, "in_progress", TODAY, "  ")
    assert err.value.code == "evidence_required"
    with pytest.raises(GzgovError) as err:
        projects.update_status(session, NANSHA_GOV, 41, "in_progress", TODAY, "x")
    assert err.value.status_code == 404


def test_a_working_day_deadline_skips_national_day_and_is_flagged_when_overdue(session):
    m = projects.add_milestone(session, NANSHA_GOV, 1, "完成园区二期规划报批", start=date(2025, 9, 22), working_days=15)
    assert m.due == date(2025, 10, 16)  # Oct 1–8 off, Sep 28 and Oct 11 worked
    view = projects.overview(session, REGULATOR, TODAY)[0]
    assert [o.id for o in view.overdue] == [m.id]
    projects.complete_milestone(session, NANSHA_GOV, m.id, date(2025, 10, 21))
    assert projects.overview(session, REGULATOR, TODAY)[0].overdue == []


def test_evidence_is_kept_by_digest_and_tampering_is_detected(session):
    a = projects.store_attachment(session, NANSHA_GOV, "开园通报.pdf", b"%PDF-1.4 evidence", "application/pdf")
    u = projects.update_status(session, NANSHA_GOV, 1, "in_progress", TODAY, "见附件", a.id)
    assert u.attachment_id == a.id
    meta, data = projects.read_attachment(session, AUDITOR, a.id)
    assert data == b"%PDF-1.4 evidence" and meta.filename == "开园通报.pdf"
    (projects.files_dir() / a.sha256).write_bytes(b"altered")
    with pytest.raises(GzgovError) as err:
        projects.read_attachment(session, AUDITOR, a.id)
    assert err.value.code == "attachment_altered"
