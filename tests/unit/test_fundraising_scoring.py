"""The illegal-fundraising risk index on hand-built tables: every feature just below its threshold (no points)
and at it (the model's points and an evidence string), the cap at 100 with the dimensions adding up to the
score, the order of the results, the warning levels, and the model file's validation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from gzgov.finreg.fundraising import scoring

TODAY = date(2025, 10, 1)
MODEL = scoring.load_model()


def th(fid: str, key: str):
    return MODEL.feature(fid).threshold[key]


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def first_day(days: int) -> date:
    """The first day of a window of `days` days ending today."""
    return TODAY - timedelta(days=days - 1)


def company(code: str, **kw) -> dict:
    """A plain trading company that scores nothing: its own address and phone, old, small, no financial words."""
    n = int("".join(ch for ch in code if ch.isdigit()) or "0")
    row = {"credit_code": code, "name": f"广州某某贸易有限公司{code}", "scope": "日用百货销售；服装零售",
           "registered_capital_fen": 100_000_000, "paid_in_capital_fen": None, "established": date(2015, 1, 1),
           "address": f"广州市越秀区独立路{n}号", "phone": f"020-8{n:07d}", "district_code": "440104",
           "industry": "批发和零售业", "has_financial_licence": False}
    return row | kw


def tables(companies, persons=(), links=(), signals=(), cased=()) -> scoring.Inputs:
    cols = ["credit_code", "name", "scope", "registered_capital_fen", "paid_in_capital_fen", "established", "address",
            "phone", "district_code", "industry", "has_financial_licence"]
    types = {"registered_capital_fen": pa.int64(), "paid_in_capital_fen": pa.int64(), "established": pa.date32(),
             "has_financial_licence": pa.bool_()}
    e = pa.table({c: pa.array([r[c] for r in companies], types.get(c, pa.string())) for c in cols})
    p = pa.table({"person_key": pa.array([x[0] for x in persons], pa.string()),
                  "name": pa.array([x[1] for x in persons], pa.string()),
                  "id_masked": pa.array(["440106********0011"] * len(persons), pa.string()),
                  "blacklisted": pa.array([x[2] for x in persons], pa.bool_())})
    lk = pa.table({"kind": pa.array([x[0] for x in links], pa.string()),
                   "src_kind": pa.array(["person" if x[1].startswith("P") else "company" for x in links], pa.string()),
                   "src": pa.array([x[1] for x in links], pa.string()), "dst": pa.array([x[2] for x in links], pa.string()),
                   "share_bp": pa.array([None] * len(links), pa.int64())})
    s = pa.table({"credit_code": pa.array([x[0] for x in signals], pa.string()),
                  "kind": pa.array([x[1] for x in signals], pa.string()),
                  "on": pa.array([x[2] for x in signals], pa.date32()),
                  "text": pa.array([x[3] for x in signals], pa.string())})
    return scoring.Inputs(e, p, lk, s, set(cased))


def scored(inputs: scoring.Inputs) -> dict[str, scoring.CompanyScore]:
    return {r.credit_code: r for r in scoring.score_all(inputs, MODEL, TODAY)}


def reason(inputs: scoring.Inputs, code: str, fid: str) -> dict | None:
    r = scored(inputs).get(code)
    return next((x for x in r.reasons if x["feature"] == fid), None) if r else None


def assert_scores(inputs, code: str, fid: str, *evidence: str) -> None:
    got = reason(inputs, code, fid)
    assert got is not None, f"{fid} should score for {code}"
    assert got["points"] == MODEL.feature(fid).points and got["dimension"] == MODEL.feature(fid).dimension
    for ev in evidence:
        assert ev in got["evidence"], got["evidence"]


def assert_no(inputs, code: str, fid: str) -> None:
    assert reason(inputs, code, fid) is None


# ------------------------------------------------------------------------------------------------ baseline


def test_a_plain_company_scores_nothing():
    assert scoring.score_all(tables([company("C1")]), MODEL, TODAY) == []
    assert scoring.score_all(tables([]), MODEL, TODAY) == []


# ----------------------------------------------------------------------------------------- words in names


def test_financial_words_in_the_name_without_a_licence():
    t = tables([company("C1", name="广州某某财富管理有限公司"), company("C2", name="广州某某理财顾问有限公司",
                                                               has_financial_licence=True),
                company("C3", name="广州ｐ２ｐ网络科技有限公司")])
    assert_scores(t, "C1", "financial_words_name", "财富")
    assert_no(t, "C2", "financial_words_name")  # licensed
    assert_scores(t, "C3", "financial_words_name", "p2p")  # full-width, any case
    assert_no(tables([company("C1")]), "C1", "financial_words_name")


def test_financial_words_in_the_scope_without_a_licence():
    t = tables([company("C1", scope="以自有资金从事投资活动；资产管理"), company("C2", scope="资产管理",
                                                                  has_financial_licence=True)])
    assert_scores(t, "C1", "financial_words_scope", "投资", "资产管理")
    assert_no(t, "C2", "financial_words_scope")
    assert_no(t, "C1", "financial_words_name")


# ------------------------------------------------------------------------------------------------ returns


def test_a_promised_return_at_the_level_scores_and_just_below_does_not():
    level = Decimal(th("promised_return", "min_annual_rate"))
    pct = level * 100
    below = pct - Decimal("0.01")
    t = tables([company("C1"), company("C2"), company("C3")],
               signals=[("C1", "advert", ago(10), f"本产品年化收益{pct}%，欢迎咨询"),
                        ("C2", "advert", ago(10), f"本产品年化收益{below}%，欢迎咨询"),
                        ("C3", "recruitment", ago(5), "招聘理财顾问，客户投资月息2分")])
    assert_scores(t, "C1", "promised_return", "广告", f"{level:.4f}")
    assert_no(t, "C2", "promised_return")
    assert_scores(t, "C3", "promised_return", "招聘", "月息2分", "0.2400")


def test_returns_count_only_in_marketing_texts_within_the_lookback():
    days = th("promised_return", "lookback_days")
    t = tables([company("C1"), company("C2"), company("C3")],
               signals=[("C1", "complaint", ago(3), "年化收益18%"),  # a complaint is not marketing
                        ("C2", "advert", ago(days), "年化收益18%"),  # one day too old
                        ("C3", "news", ago(days - 1), "该平台宣称年化收益18%")])
    assert_no(t, "C1", "promised_return")
    assert_no(t, "C2", "promised_return")
    assert_scores(t, "C3", "promised_return", "新闻", "0.1800")


def test_the_highest_promised_rate_is_the_evidence():
    t = tables([company("C1")], signals=[("C1", "advert", ago(40), "年化收益12%"), ("C1", "advert", ago(20), "日息千分之五")])
    assert_scores(t, "C1", "promised_return", "1.8250")


def test_a_guarantee_scores_and_a_negated_one_does_not():
    t = tables([company("C1"), company("C2"), company("C3")],
               signals=[("C1", "advert", ago(1), "项目稳健，保本保息，随时可取"),
                        ("C2", "advert", ago(1), "投资有风险，本产品不保本"),
                        ("C3", "advert", ago(1), "年化收益6%，零风险")])
    assert_scores(t, "C1", "guaranteed_return", "广告：保本保息")
    assert_no(t, "C2", "guaranteed_return")
    assert_scores(t, "C3", "guaranteed_return", "零风险")
    assert_no(t, "C3", "promised_return")  # 6 % is below the level


# ------------------------------------------------------------------------------------------------ capital


def test_paid_in_capital_far_below_registered():
    reg = th("capital_paid_in_gap", "min_registered_yuan") * 100
    ratio = Decimal(th("capital_paid_in_gap", "max_paid_in_ratio"))
    at = int(reg * ratio)
    t = tables([company("C1", registered_capital_fen=reg, paid_in_capital_fen=at),
                company("C2", registered_capital_fen=reg, paid_in_capital_fen=at + 1),
                company("C3", registered_capital_fen=reg - 1, paid_in_capital_fen=0),
                company("C4", registered_capital_fen=reg, paid_in_capital_fen=None)])
    assert_scores(t, "C1", "capital_paid_in_gap", "注册资本", "实缴")
    assert_no(t, "C2", "capital_paid_in_gap")
    assert_no(t, "C3", "capital_paid_in_gap")
    assert_no(t, "C4", "capital_paid_in_gap")  # not reported is not zero


def test_a_young_company_with_a_huge_registered_capital():
    reg = th("capital_young_huge", "min_registered_yuan") * 100
    age = th("capital_young_huge", "max_age_days")
    t = tables([company("C1", registered_capital_fen=reg, established=ago(age)),
                company("C2", registered_capital_fen=reg, established=ago(age + 1)),
                company("C3", registered_capital_fen=reg - 1, established=ago(10))])
    assert_scores(t, "C1", "capital_young_huge", f"成立{age}天", "注册资本")
    assert_no(t, "C2", "capital_young_huge")
    assert_no(t, "C3", "capital_young_huge")


# ------------------------------------------------------------------------------------------------- courts


def test_court_records_within_the_lookback():
    days = th("court_records", "lookback_days")
    assert th("court_records", "min_records") == 1
    t = tables([company("C1"), company("C2")],
               signals=[("C1", "court", first_day(days), "被执行人：C1，执行标的120万元"),
                        ("C2", "court", ago(days), "被执行人：C2，执行标的120万元")])
    assert_scores(t, "C1", "court_records", "司法及执行记录1条", "执行标的")
    assert_no(t, "C2", "court_records")


# ------------------------------------------------------------------------------------------------ network


def test_nearness_to_a_blacklisted_person_is_counted_to_the_bound():
    k = th("near_blacklisted_person", "max_hops")
    assert k == 3
    # P1 (blacklisted) runs C1; C2 shares C1's address (3 hops); C3 is C2's branch (4 hops)
    t = tables([company("C1", address="广州市天河区某大厦1808室"), company("C2", address="广州市天河区某大厦1808室"),
                company("C3"), company("C4")],
               persons=[("P1", "张某", True), ("P2", "李某", False)],
               links=[("legal_rep", "P1", "C1"), ("branch", "C2", "C3"), ("officer", "P2", "C4")])
    assert_scores(t, "C1", "near_blacklisted_person", "距黑名单人员 张某 1 跳")
    assert_scores(t, "C2", "near_blacklisted_person", "张某 3 跳")
    assert_no(t, "C3", "near_blacklisted_person")
    assert_no(t, "C4", "near_blacklisted_person")


def test_nearness_to_a_company_under_a_case():
    assert th("near_cased_company", "max_hops") == 2
    # X is under a case; C1 shares a person with it (2 hops); C2 is C1's branch (3 hops)
    t = tables([company("C9", name="广州某某贸易有限公司X"), company("C1"), company("C2")],
               persons=[("P1", "王某", False)],
               links=[("officer", "P1", "C9"), ("shareholder", "P1", "C1"), ("branch", "C1", "C2")], cased={"C9"})
    assert_scores(t, "C1", "near_cased_company", "C9", "2 跳")
    assert_no(t, "C2", "near_cased_company")
    assert_no(t, "C9", "near_cased_company")  # itself: it already has its case


def ring(codes: list[str], flagged: int) -> tuple[list[dict], list[tuple]]:
    """Companies run by the same two persons at one address and phone; the first `flagged` have a financial
    name (points enough to count as carrying other signals)."""
    assert MODEL.feature("financial_words_name").points >= th("dense_ring", "flag_min_points")
    rows = [company(c, name=f"广州某某财富管理有限公司{c}" if i < flagged else f"广州某某贸易有限公司{c}",
                    address="广州市天河区某大厦2201室", phone="020-38882201") for i, c in enumerate(codes)]
    lk = [(kind, p, c) for c in codes for kind, p in (("legal_rep", "P1"), ("shareholder", "P2"))]
    return rows, lk


def test_membership_of_a_dense_ring_with_flagged_members():
    m, others = th("dense_ring", "min_companies"), th("dense_ring", "min_flagged_others")
    codes = [f"C{i}" for i in range(1, m + 1)]
    rows, lk = ring(codes, others)  # flagged members see others - 1 flagged others, unflagged ones see `others`
    t = tables(rows, persons=[("P1", "赵某", False), ("P2", "钱某", False)], links=lk)
    res = scored(t)
    assert_no(t, codes[0], "dense_ring")
    assert_scores(t, codes[-1], "dense_ring", f"共{m}家企业", f"另有{others}家")
    assert res[codes[-1]].cluster == res[codes[0]].cluster is not None and res[codes[-1]].cluster_size == m


def test_a_ring_below_the_size_does_not_score():
    m = th("dense_ring", "min_companies")
    rows, lk = ring([f"C{i}" for i in range(1, m)], m - 1)
    t = tables(rows, persons=[("P1", "赵某", False), ("P2", "钱某", False)], links=lk)
    assert all(reason(t, f"C{i}", "dense_ring") is None for i in range(1, m))
    assert scored(t)["C1"].cluster_size == m - 1


def test_a_sparse_chain_of_flagged_companies_is_no_ring():
    codes = [f"C{i}" for i in range(1, 8)]
    rows = [company(c, name=f"广州某某财富管理有限公司{c}") for c in codes]
    lk = [("officer", f"P{i}", codes[i]) for i in range(6)] + [("shareholder", f"P{i}", codes[i + 1]) for i in range(6)]
    t = tables(rows, persons=[(f"P{i}", f"人员{i}", False) for i in range(6)], links=lk)
    assert all(reason(t, c, "dense_ring") is None for c in codes)


# ----------------------------------------------------------------------------------------------- branches


def test_many_branches_within_the_window():
    n, w = th("branches_burst", "min_branches"), th("branches_burst", "window_days")
    tight = [ago(200 - round(i * (w - 1) / (n - 1))) for i in range(n)]  # first to last: w - 1 days
    loose = [ago(200 - round(i * w / (n - 1))) for i in range(n)]  # first to last: w days
    heads = [company("H1"), company("H2")]
    branches = [company(f"B{i}", established=d) for i, d in enumerate(tight)]
    branches += [company(f"B{n + i}", established=d) for i, d in enumerate(loose)]
    lk = [("branch", "H1", f"B{i}") for i in range(n)] + [("branch", "H2", f"B{n + i}") for i in range(n)]
    t = tables(heads + branches, links=lk)
    assert_scores(t, "H1", "branches_burst", f"{w}天内新设分支机构{n}家", tight[0].isoformat())
    assert_no(t, "H2", "branches_burst")


# ----------------------------------------------------------------------------------------------- complaints


def complaints(code: str, days: list[date]) -> list[tuple]:
    return [(code, "complaint", d, f"投诉{code}第{i}件") for i, d in enumerate(days)]


def test_complaint_count_in_the_window():
    n, w = th("complaints_count", "min_complaints"), th("complaints_count", "window_days")
    t = tables([company("C1"), company("C2")],
               signals=complaints("C1", [first_day(w)] * n) + complaints("C2", [first_day(w)] * (n - 1) + [ago(w)]))
    assert_scores(t, "C1", "complaints_count", f"近{w}天投诉举报{n}件")
    assert_no(t, "C2", "complaints_count")


def test_rising_complaints():
    w, k = th("complaints_rising", "window_days"), th("complaints_rising", "min_recent")
    ratio = Decimal(th("complaints_rising", "min_ratio"))
    assert ratio == 2
    recent, before = first_day(w), first_day(2 * w)
    t = tables([company("C1"), company("C2"), company("C3")],
               signals=complaints("C1", [recent] * (2 * k) + [before] * k)  # exactly twice
               + complaints("C2", [recent] * (2 * k - 1) + [before] * k)  # just under twice
               + complaints("C3", [recent] * (k - 1)))  # too few
    assert_scores(t, "C1", "complaints_rising", f"近{w}天投诉{2 * k}件，此前{w}天{k}件")
    assert_no(t, "C2", "complaints_rising")
    assert_no(t, "C3", "complaints_rising")


# -------------------------------------------------------------------------------------------- feature words


def test_feature_words_in_marketing_texts():
    assert th("feature_words_in_texts", "min_distinct_words") == 2
    t = tables([company("C1"), company("C2")],
               signals=[("C1", "advert", ago(3), "认购原始股"), ("C1", "recruitment", ago(2), "日结静态收益"),
                        ("C2", "advert", ago(3), "认购原始股，原始股限量")])
    assert_scores(t, "C1", "feature_words_in_texts", "原始股", "静态收益")
    assert_no(t, "C2", "feature_words_in_texts")


# ------------------------------------------------------------------------------------- totals and the cap


def everything(code: str) -> tuple[dict, list[tuple]]:
    row = company(code, name="广州某某财富管理有限公司", scope="投资；资产管理", registered_capital_fen=10 ** 10,
                  paid_in_capital_fen=0, established=ago(30))
    sig = [(code, "advert", ago(5), "年化收益36%，保本保息，认购原始股享静态收益"), (code, "court", ago(9), "被执行")]
    sig += complaints(code, [ago(1)] * 6)
    return row, sig


def test_the_score_is_capped_at_100_and_the_dimensions_add_up():
    row, sig = everything("C1")
    t = tables([row], persons=[("P1", "张某", True)], links=[("legal_rep", "P1", "C1")], signals=sig)
    [r] = scoring.score_all(t, MODEL, TODAY)
    raw = sum(MODEL.feature(x["feature"]).points for x in r.reasons)
    assert raw > MODEL.cap and r.score == MODEL.cap == 100
    assert sum(x["points"] for x in r.reasons) == sum(r.dimensions.values()) == r.score
    assert set(r.dimensions) == set(scoring.DIMENSIONS)
    cut = [x for x in r.reasons if x["points"] < MODEL.feature(x["feature"]).points]
    assert cut and all("上限" in x["evidence"] for x in cut)
    configured = [MODEL.feature(x["feature"]).points for x in r.reasons]
    assert configured == sorted(configured, reverse=True)  # biggest first, so the cap cuts the smallest
    assert all(x["evidence"] for x in r.reasons)


def test_an_uncapped_score_is_the_sum_of_its_reasons_by_dimension():
    t = tables([company("C1", name="广州某某财富管理有限公司")],
               signals=[("C1", "advert", ago(3), "年化收益18%")] + complaints("C1", [ago(1)] * 3))
    [r] = scoring.score_all(t, MODEL, TODAY)
    want = {fid: MODEL.feature(fid).points for fid in ("financial_words_name", "promised_return", "complaints_count",
                                                         "complaints_rising")}
    assert {x["feature"]: x["points"] for x in r.reasons} == want
    assert r.score == sum(want.values())
    for d in scoring.DIMENSIONS:
        assert r.dimensions[d] == sum(p for f, p in want.items() if MODEL.feature(f).dimension == d)


def test_results_are_ranked_by_score_then_code_and_top_limits_them():
    t = tables([company("C3", name="广州某某财富有限公司"), company("C1", name="广州某某财富有限公司"),
                company("C2", name="广州某某基金有限公司", scope="投资"), company("C4")])
    res = scoring.score_all(t, MODEL, TODAY)
    assert [r.credit_code for r in res] == ["C2", "C1", "C3"]
    assert [r.credit_code for r in scoring.score_all(t, MODEL, TODAY, top=2)] == ["C2", "C1"]


# ---------------------------------------------------------------------------------------------- the model


def test_level_boundaries():
    lv = MODEL.levels
    assert MODEL.warn_at == lv["yellow"]
    assert MODEL.level_for(lv["yellow"] - 1) is None and MODEL.level_for(0) is None
    assert MODEL.level_for(lv["yellow"]) == "yellow" and MODEL.level_for(lv["orange"] - 1) == "yellow"
    assert MODEL.level_for(lv["orange"]) == "orange" and MODEL.level_for(lv["red"] - 1) == "orange"
    assert MODEL.level_for(lv["red"]) == "red" and MODEL.level_for(100) == "red"


def test_the_shipped_model_uses_every_feature_and_dimension_with_reasons():
    assert {f.id for f in MODEL.features} == set(scoring.FEATURES)
    assert {f.dimension for f in MODEL.features} == set(scoring.DIMENSIONS)
    f = MODEL.feature("promised_return")
    assert f.name_zh and f.name_en and f.reason_zh and f.reason_en and f.points > 0
    assert "穗府办〔2021〕9号" in MODEL.basis and "第737号" in MODEL.basis
    with pytest.raises(KeyError):
        MODEL.feature("nope")


def _data() -> dict:
    import yaml

    from gzgov.config import get_settings

    return yaml.safe_load((get_settings().data_dir / "finreg" / "fundraising.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("change", [
    lambda d: d["features"][0].update(id="made_up"),
    lambda d: d["features"][0].update(dimension="network"),
    lambda d: d["features"][0].update(points=0),
    lambda d: d["features"][2]["threshold"].pop("min_annual_rate"),
    lambda d: d["features"][2]["threshold"].update(min_annual_rate="0.12345"),
    lambda d: d["features"].append(dict(d["features"][0])),
    lambda d: d["levels"].update(orange=90),
])
def test_a_bad_model_is_refused(change):
    data = _data()
    change(data)
    with pytest.raises(scoring.ModelError):
        scoring.model_from_dict(data)


def test_a_feature_left_out_of_the_model_scores_nothing():
    data = _data()
    data["features"] = [f for f in data["features"] if f["id"] != "financial_words_name"]
    model = scoring.model_from_dict(data)
    t = tables([company("C1", name="广州某某财富管理有限公司")])
    assert scoring.score_all(t, model, TODAY) == []
