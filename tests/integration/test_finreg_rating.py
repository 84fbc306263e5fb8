"""Tiered supervision: a score out of 100 from the documented model, every point explained, a class and the
supervision it implies; a breach costs points in its own dimension."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gzgov.finreg import cases, rating
from gzgov.finreg import registry as reg
from tests.integration.test_finreg_registry import entity, small_loan
from tests.personas import SUPERVISOR


def test_scores_classes_and_their_reasons(session):
    reg.register_institution(session, SUPERVISOR, small_loan(chief_risk_officer="王风控"))
    reg.register_institution(session, SUPERVISOR, small_loan("SL-0002", 2))
    reg.add_party(session, SUPERVISOR, "SL-0001", "shareholder", "entity", "某集团", entity(7), share_bp=6000)
    for rule, level in (("SL_SINGLE_BORROWER", "red"), ("CD_NPL_RATIO", "orange")):
        cases.raise_warning(session, SUPERVISOR, cases.Breach("SL-0002", rule, "2025-09", level, Decimal("1"),
                                                              Decimal("0.1"), "x", {}))
    ratings = {r.institution: r for r in rating.rate_period(session, SUPERVISOR, "2025-09", date(2025, 10, 1))}
    good, bad = ratings["SL-0001"], ratings["SL-0002"]
    assert (good.score, good.klass) == (100, "A")  # nothing due yet on 1 October: timeliness not yet judged
    parts = {p.dimension: p for p in bad.parts}
    assert parts["concentration"].score == 5 and "SL_SINGLE_BORROWER red −10" in parts["concentration"].reasons[0]
    assert parts["asset_quality"].score == 12 and parts["governance"].score == 0
    assert bad.score == 100 - 10 - 8 - 10 and bad.klass == "C"
    assert bad.as_json()["supervision"]["zh"].startswith("现场检查每年一次")
    late = {r.institution: r for r in rating.rate_period(session, SUPERVISOR, "2025-09", date(2025, 10, 31))}
    assert late["SL-0001"].score == 90 and late["SL-0001"].klass == "A"  # loans and financials missing: −5 −5


def test_the_rating_command(session, users):
    import json

    from tests.integration.test_cli import run

    reg.register_institution(session, SUPERVISOR, small_loan())
    session.commit()
    out = run("finreg", "rating", "--period", "2025-09", "--as-of", "2025-10-01", "--json", user="supervisor")
    assert out.exit_code == 0, out.output
    [row] = json.loads(out.output)
    assert row["institution"] == "SL-0001" and row["class"] == "A" and row["score"] == 90  # no risk officer: −10
    assert row["parts"]["governance"] == {"score": 0, "of": 10, "reasons": []}
