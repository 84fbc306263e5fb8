"""The demo population matches the plan's counts (chapter 1 §一(四)) and registers through the service; the
supervision demo plants a breach of every rule in force (data/finreg/demo_plants.yaml) over three months, and
the checks find each where it was planted and nothing else; ratings and the case loop follow."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from gzgov.core.identity import validate_credit_code
from gzgov.finreg.demo import (
    CASES,
    COUNTS,
    PLANTERS,
    RATED_ON,
    build_finreg_demo,
    build_supervision_data,
    demo_sample,
    load_plants,
    population,
)
from gzgov.finreg.models import (
    Case,
    CaseStep,
    Evidence,
    Institution,
    InstitutionRating,
    RiskWarning,
    Submission,
)
from gzgov.finreg.rules import load_rules


def test_the_population_has_the_plans_counts():
    rows = population()
    kinds = Counter(r.kind for r in rows)
    assert kinds == {"small_loan": 116, "pawn": 99, "guarantee": 41, "leasing": 2458, "factoring": 746,
                     "trading_venue": 4}
    assert sum(r.subkind == "internet" for r in rows) == 41
    assert len({r.credit_code for r in rows}) == len(rows) and all(validate_credit_code(r.credit_code) for r in rows)
    leasing = Counter(r.district_code for r in rows if r.kind == "leasing")
    assert leasing.most_common(1)[0][0] == "440115"  # Nansha's free-trade zone
    assert population() == rows  # deterministic


def test_the_demo_registers_every_institution(session):
    n = build_finreg_demo("demo-password-1")
    assert n == sum(COUNTS.values()) + 4
    assert session.scalar(select(func.count()).select_from(Institution)) == n


def test_the_cli_lists_only_what_the_user_may_see(session):
    import json

    from gzgov.core.auth import SYSTEM, Role, create_user
    from tests.integration.test_cli import run

    build_finreg_demo("demo-password-1")
    create_user(session, SYSTEM, "conghua", "demo-password-1", Role.district_forestry, "从化区林业", "440117")
    session.commit()
    everyone = json.loads(run("finreg", "institutions", "--json", user="supervisor").output)
    assert len(everyone) == 3464
    tianhe = json.loads(run("finreg", "institutions", "--kind", "leasing", "--json", user="tianhe_sup").output)
    assert tianhe and {r["district"] for r in tianhe} == {"440106"} and {r["kind"] for r in tianhe} == {"leasing"}
    own = json.loads(run("finreg", "institutions", "--json", user="sl0001").output)
    assert [r["code"] for r in own] == ["SL-0001"]
    assert run("finreg", "institutions", user="conghua").exit_code != 0


PLAN = load_plants()
BY_CODE = {r.code: r for r in population()}


def _last_day(period: str) -> date:
    y, m = (int(x) for x in period.split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def test_every_rule_in_force_is_planted_once_and_the_rest_are_out_of_force():
    book = load_rules()
    ids = {r.id for r in book}
    planted = Counter(p.rule for p in PLAN.plants)
    assert set(planted) | set(PLAN.not_in_force) == ids and not set(planted) & set(PLAN.not_in_force)
    assert max(planted.values()) == 1
    for rule_id, reason in PLAN.not_in_force.items():
        rule = book.rule(rule_id)
        assert reason.strip() and not any(rule.in_force(_last_day(p)) for p in PLAN.periods), rule_id
    for p in PLAN.plants:
        rule = book.rule(p.rule)
        assert rule.in_force(_last_day(p.period)) and p.period in PLAN.periods and p.how.strip()
        assert all(BY_CODE[c].kind in rule.institution_types for c in p.institutions), p.rule
        assert p.rule in PLANTERS, f"{p.rule}: no function writes this plant into the data"
        assert set(p.also) <= ids and all(why.strip() for why in p.also.values())
    assert not set(PLANTERS) - ids


def test_the_plants_are_spread_over_districts_and_months():
    districts = Counter(BY_CODE[c].district_code for p in PLAN.plants for c in p.institutions)
    assert districts["440106"] >= 10 and len(districts) >= 8  # Tianhe's supervisor sees warnings; so do others
    assert set(Counter(p.period for p in PLAN.plants)) == set(PLAN.periods)
    assert all(BY_CODE[CASES[stage][0]].district_code == "440106" for stage in CASES)  # tianhe_sup's cases
    assert {(c, r, p) for c, r, p in CASES.values()} <= {(c, p.rule, p.period) for p in PLAN.plants
                                                         for c in p.institutions}


def test_the_sample_keeps_every_planted_institution():
    insts = population()
    small = demo_sample(insts, PLAN, {"leasing": 2, "factoring": 0})
    kinds = Counter(i.kind for i in small)
    planted = {c for c in PLAN.codes if BY_CODE[c].kind in ("leasing", "factoring")}
    assert planted <= {i.code for i in small}
    assert kinds["leasing"] == 2 + sum(BY_CODE[c].kind == "leasing" for c in planted)
    assert kinds["factoring"] == sum(BY_CODE[c].kind == "factoring" for c in planted)
    assert kinds["small_loan"] == 116 and kinds["pawn"] == 99 and kinds["guarantee"] == 41
    full = Counter(i.kind for i in demo_sample(insts, PLAN))
    assert full["leasing"] == PLAN.sample["leasing"] + kinds["leasing"] - 2


# The data of every demo month, with the sample of leasing and factoring companies made small to keep the test
# quick; the plants, and everything the test checks, are the same as in `gzgov demo`.
SMALL_SAMPLE = {"leasing": 3, "factoring": 2}


@pytest.fixture
def demo(session):
    build_finreg_demo("demo-password-1")
    counts = build_supervision_data(sample=SMALL_SAMPLE)
    session.expire_all()
    return counts


def _warnings(session) -> dict[tuple[str, str, str], RiskWarning]:
    return {(code, w.rule_id, w.period): w for w, code in session.execute(
        select(RiskWarning, Institution.code).join(Institution, Institution.id == RiskWarning.institution_id))}


def test_the_supervision_demo(session, demo):
    from gzgov.core import audit
    from gzgov.finreg.cases import verify_evidence

    warnings = _warnings(session)
    # every planted breach is found where it was planted, and raised as a warning of its rule's severity
    book = load_rules()
    planted = {(c, p.rule, p.period) for p in PLAN.plants for c in p.institutions}
    assert sorted(planted - set(warnings)) == []
    for code, rule, _period in planted:
        assert warnings[code, rule, _period].level == book.rule(rule).severity
    # and nothing else: the same data's unavoidable extra breaches are listed with the plant
    also = {(c, r, p.period) for p in PLAN.plants for c in p.institutions for r in p.also}
    rules = {k for k in warnings if not k[1].startswith("REPORT_")}
    assert sorted(rules - planted - also) == []
    # one late and one missing submission against the reporting calendar, nothing more
    rep = PLAN.reporting
    reporting = {k: w for k, w in warnings.items() if k[1].startswith("REPORT_")}
    assert set(reporting) == {(rep["late"]["institution"], "REPORT_LATE", rep["late"]["period"]),
                              (rep["missing"]["institution"], "REPORT_MISSING", rep["missing"]["period"])}
    # three months of every institution's data (leasing and factoring: the sample)
    expected = len(demo_sample(population(), PLAN, SMALL_SAMPLE))
    assert demo["institutions"] == expected and demo["periods"] == 3
    per_period = Counter(session.scalars(select(Submission.period)))
    assert set(per_period) == set(PLAN.periods) and min(per_period.values()) > 2 * expected - 2
    assert session.scalar(select(func.count(func.distinct(Submission.institution_id)))) == expected
    # shared borrowers: one consumer at the four planted lenders, the other shared ones at exactly three
    multi = next(p for p in PLAN.plants if p.rule == "CD_MULTI_INSTITUTION_BORROWER")
    top = {c: warnings[c, multi.rule, multi.period].explanation for c in multi.institutions}
    assert all('"P-MULTI-0001"' in e for e in top.values())

    # ratings for each month, every point explained: a planted breach costs its institution points that month
    ratings = {(r.institution_id, r.period): r for r in session.scalars(select(InstitutionRating))}
    operating = session.scalar(select(func.count()).select_from(Institution).where(Institution.status == "operating"))
    assert Counter(p for _i, p in ratings) == dict.fromkeys(PLAN.periods, operating)
    ids = dict(session.execute(select(Institution.code, Institution.id)).all())
    for code, rule, period in planted:
        assert rule in ratings[ids[code], period].parts, (code, rule, period)
    clean = next(p for p in PLAN.plants if p.rule == "SL_SINGLE_BORROWER")
    other = next(q for q in PLAN.periods if q != clean.period)
    assert ratings[ids[clean.institutions[0]], clean.period].score < ratings[ids[clean.institutions[0]], other].score
    assert all(r.as_of == RATED_ON[r.period] for r in ratings.values())

    # the case loop, every stage on the dashboard
    cases = {c.id: c for c in session.scalars(select(Case))}
    by_stage = {stage: next(c for c in cases.values() if c.warning_id == warnings[CASES[stage]].id)
                for stage in CASES}
    closed, overdue, waiting = by_stage["closed"], by_stage["overdue"], by_stage["awaiting_feedback"]
    steps = {c: [s.stage for s in session.scalars(select(CaseStep).where(CaseStep.case_id == c).order_by(CaseStep.id))]
             for c in cases}
    assert closed.stage == "closed" and steps[closed.id] == ["warn", "handle", "feedback", "verify", "closed"]
    assert warnings[CASES["closed"]].status == "closed"
    assert session.scalar(select(func.count()).select_from(Evidence).where(Evidence.case_id == closed.id)) == 2
    assert overdue.stage == "handle" and overdue.escalation == 1 and overdue.deadline < RATED_ON["2025-09"]
    assert steps[overdue.id] == ["warn", "handle", "escalated"]
    assert waiting.stage == "handle" and waiting.escalation == 0 and waiting.deadline > RATED_ON["2025-09"]
    assert steps[waiting.id] == ["warn", "handle"] and len(cases) == 3
    assert verify_evidence(session) == [] and audit.verify(session).ok
