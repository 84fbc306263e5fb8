"""The demo population matches the plan's counts (chapter 1 §一(四)) and registers through the service."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from gzgov.core.identity import validate_credit_code
from gzgov.finreg.demo import COUNTS, build_finreg_demo, population
from gzgov.finreg.models import Institution


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


def test_the_supervision_demo_data_plants_breaches_that_the_rules_find(session):
    from gzgov.finreg.demo import build_supervision_data
    from gzgov.finreg.models import Case, RiskWarning

    build_finreg_demo("demo-password-1")
    counts = build_supervision_data()
    assert counts["institutions"] == 116 and counts["loans"] == 116 * 120
    session.expire_all()
    rules = Counter(w.rule_id for w in session.scalars(select(RiskWarning)))
    assert rules["SL_SINGLE_BORROWER"] == len([k for k in range(116) if k % 9 == 4])
    assert rules["SL_NONSTANDARD_LEVERAGE"] == len([k for k in range(116) if k % 13 == 4])
    assert rules["CD_OVERDUE_90_CLASSIFIED"] >= len([k for k in range(116) if k % 11 == 4])
    assert session.scalar(select(func.count()).select_from(Case)) == 1
