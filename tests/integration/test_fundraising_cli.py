"""The stable command-line interfaces of illegal-fundraising monitoring: `gzgov finreg parse-return TEXT
[--json]` and `gzgov finreg fundraising score --json [--top N]`."""

from __future__ import annotations

import json

from tests.integration.test_cli import run


def test_parse_return_gives_the_annual_rate_as_an_exact_decimal(users):
    out = run("finreg", "parse-return", "本产品年化收益18%，保本保息", "--json", user="supervisor")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["annual_rate"] == "0.1800" and data["guaranteed"] is True and data["form"]
    monthly = json.loads(run("finreg", "parse-return", "月息2分，按月付息", "--json", user="supervisor").output)
    assert monthly["annual_rate"] == "0.2400"
    daily = json.loads(run("finreg", "parse-return", "日息千分之五", "--json", user="supervisor").output)
    assert daily["annual_rate"] == "1.8250"
    text = run("finreg", "parse-return", "月息2分", user="tianhe_sup")
    assert text.exit_code == 0 and "0.2400" in text.output


def test_parse_return_says_clearly_when_a_text_promises_no_rate(users):
    data = json.loads(run("finreg", "parse-return", "本公司主营家具销售，欢迎来电", "--json", user="supervisor").output)
    assert data["annual_rate"] is None and data["message_en"] == "no rate found"
    text = run("finreg", "parse-return", "欢迎来电咨询", user="supervisor")
    assert text.exit_code == 0 and "未发现承诺收益率" in text.output and "no rate found" in text.output


def test_parse_return_needs_a_user_who_may_see_supervision(users):
    refused = run("finreg", "parse-return", "年化18%", "--json", user="city")  # the forestry bureau
    assert refused.exit_code != 0 and "annual_rate" not in refused.output


def test_score_prints_each_company_with_its_points_explained(session, users):
    from datetime import date

    from sqlalchemy import select

    from gzgov.finreg import enterprises as ent
    from gzgov.finreg.models import FundraisingRun, RiskWarning
    from tests.integration.test_fundraising_import import batch, code
    from tests.personas import SUPERVISOR

    ent.import_files(session, SUPERVISOR, batch(), date(2025, 10, 1))
    session.commit()
    out = run("finreg", "fundraising", "score", "--json", "--as-of", "2025-10-01", user="supervisor")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for r in rows:
        assert set(r) >= {"credit_code", "name", "score", "reasons", "cluster"}
        assert r["reasons"] and all(set(x) == {"feature", "points", "evidence"} for x in r["reasons"])
        assert sum(x["points"] for x in r["reasons"]) == r["score"] == sum(r["dimensions"].values())
    # company 1 advertises 年化18% and 保本保息 under a financial name without a licence: it leads
    assert rows[0]["credit_code"] == code(1)
    assert {"promised_return", "guaranteed_return"} <= {x["feature"] for x in rows[0]["reasons"]}
    assert any("0.1800" in x["evidence"] for x in rows[0]["reasons"])
    top1 = json.loads(run("finreg", "fundraising", "score", "--json", "--top", "1", "--as-of", "2025-10-01",
                          user="supervisor").output)
    assert [r["credit_code"] for r in top1] == [rows[0]["credit_code"]]
    session.expire_all()
    assert len(session.scalars(select(FundraisingRun)).all()) == 2
    warned = {w.rule_id for w in session.scalars(select(RiskWarning).where(RiskWarning.enterprise_id.is_not(None)))}
    assert warned <= {"FR_RISK_INDEX"}
    refused = run("finreg", "fundraising", "score", "--json", user="tianhe_sup")
    assert refused.exit_code != 0 and "credit_code" not in refused.output
