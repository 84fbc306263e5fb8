"""The fundraising demo: a synthetic population imported, scored; a planted ring company found, taken through the
case loop to a finding of illegal fundraising; the blacklist updated with the company and its controllers; the
next run sees the ring next to them."""

from __future__ import annotations

import json

from sqlalchemy import select

from gzgov.core import audit
from gzgov.core.identity import get_cipher
from gzgov.finreg.demo import build_finreg_demo
from gzgov.finreg.fundraising_demo import build_fundraising_demo
from gzgov.finreg.models import BlacklistEntry, Case, Enterprise, FundraisingRun, FundraisingScore


def test_the_demo_finds_a_planted_ring_and_ends_with_the_blacklist_updated(session):
    build_finreg_demo("demo-password-1")
    demo = build_fundraising_demo(companies=1200, rings=3)
    session.expire_all()
    case = session.get(Case, demo.case_id)
    assert (case.stage, case.finding) == ("closed", "illegal_fundraising")
    company = session.scalar(select(Enterprise).where(Enterprise.credit_code == demo.case_company))
    assert case.enterprise_id == company.id
    blind = get_cipher().blind_index
    entries = session.scalars(select(BlacklistEntry)).all()
    entity = [e for e in entries if e.kind == "entity" and e.id_index == blind(demo.case_company)]
    assert entity and "非法集资" in entity[0].basis
    assert len([e for e in entries if e.kind == "person"]) >= 2  # earlier controllers and this one's
    assert demo.first_run_warnings > 0
    runs = session.scalars(select(FundraisingRun).order_by(FundraisingRun.id)).all()
    assert len(runs) == 2
    # the second run sees the closed case: companies near it gain points they did not have in the first run
    def near_cased(run_id: int) -> set[int]:
        return {s.company_id for s in session.scalars(select(FundraisingScore).where(FundraisingScore.run_id == run_id))
                if any(r["feature"] == "near_cased_company" for r in json.loads(s.reasons))}

    gained = near_cased(runs[1].id) - near_cased(runs[0].id)
    assert gained and company.id not in gained
    assert audit.verify(session).ok
