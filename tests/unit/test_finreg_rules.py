"""The finreg rule library as data: every limit the issue names, with its basis; the 86号 → 金规〔2024〕26号
succession; metrics that resolve against the data contract; and a loader that refuses broken files."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gzgov.config import get_settings
from gzgov.finreg.rules import (
    INSTITUTION_TYPES,
    RULE_FILES,
    FinregRulesError,
    Limit,
    load_rules,
    rules_in_force,
    rules_json,
    with_local_limits,
)

DATA = get_settings().data_dir / "finreg"


@pytest.fixture(scope="module")
def book():
    return load_rules()


# (rule id, comparator, limit, regulation, article or None where the article is unverified)
ISSUE_LIMITS = [
    ("SL_SINGLE_BORROWER", "<=", "0.10", "SL_2024_26", "第十四条"),
    ("SL_SINGLE_BORROWER_2020", "<=", "0.10", "SL_2020_86", None),
    ("SL_BORROWER_GROUP", "<=", "0.15", "SL_2024_26", "第十四条"),
    ("SL_BORROWER_GROUP_2020", "<=", "0.15", "SL_2020_86", None),
    ("SL_NONSTANDARD_LEVERAGE", "<=", "1", "SL_2024_26", "第二十条"),
    ("SL_NONSTANDARD_LEVERAGE_2020", "<=", "1", "SL_2020_86", None),
    ("SL_STANDARDISED_LEVERAGE", "<=", "4", "SL_2024_26", "第二十条"),
    ("SL_STANDARDISED_LEVERAGE_2020", "<=", "4", "SL_2020_86", None),
    ("SL_ONLINE_CONSUMER_PER_BORROWER", "<=", "20000000", "SL_2024_26", "第十四条"),  # ¥200,000 in fen
    ("SL_ONLINE_BUSINESS_PER_BORROWER", "<=", "1000000000", "SL_2024_26", "第十四条"),  # ¥10,000,000 in fen
    ("GU_LEVERAGE", "<=", "10", "GU_REG_2017", "第十五条第一款（计量见第十四条）"),
    ("GU_LEVERAGE_SMALL_MICRO_AGRI", "<=", "15", "GU_REG_2017", "第十五条第二款"),
    ("GU_SINGLE_GUARANTEED", "<=", "0.10", "GU_REG_2017", "第十六条"),
    ("GU_GUARANTEED_GROUP", "<=", "0.15", "GU_REG_2017", "第十六条"),
    ("GU_CONTROLLER_GUARANTEE", "==", "0", "GU_REG_2017", "第十七条第一款"),
    ("GU_CLASS1_ASSETS_MIN", ">=", "0.20", "GU_ASSET_RATIO_2018", None),
    ("GU_CLASS12_ASSETS_MIN", ">=", "0.70", "GU_ASSET_RATIO_2018", None),
    ("GU_CLASS3_ASSETS_MAX", "<=", "0.30", "GU_ASSET_RATIO_2018", None),
    ("PAWN_SINGLE_CLIENT", "<=", "0.25", "PAWN_2005", "第四十四条第（二）项"),
    ("PAWN_REAL_ESTATE_TOTAL", "<=", "1", "PAWN_2005", "第四十四条第（五）项"),
    ("PAWN_REAL_ESTATE_SINGLE_SMALL", "<=", "100000000", "PAWN_2005", "第四十四条第（五）项"),
    ("PAWN_REAL_ESTATE_SINGLE_LARGE", "<=", "0.10", "PAWN_2005", "第四十四条第（五）项"),
    ("PAWN_PROPERTY_RIGHTS_TOTAL", "<=", "0.50", "PAWN_2005", "第四十四条第（五）项"),
    ("PAWN_TERM_MAX", "<=", "6", "PAWN_2005", "第三十六条第三款"),
    ("PAWN_RENEWAL_TERM_MAX", "<=", "6", "PAWN_2005", "第三十九条"),
    ("PAWN_FEE_MOVABLE", "<=", "0.042", "PAWN_2005", "第三十八条第二款"),
    ("PAWN_FEE_REAL_ESTATE", "<=", "0.027", "PAWN_2005", "第三十八条第三款"),
    ("PAWN_FEE_PROPERTY_RIGHTS", "<=", "0.024", "PAWN_2005", "第三十八条第四款"),
    ("LE_LEASED_ASSETS_MIN", ">=", "0.60", "LEASE_2020_22", None),
    ("LE_RISK_ASSETS_LEVERAGE", "<=", "8", "LEASE_2020_22", None),
    ("LE_SINGLE_LESSEE", "<=", "0.30", "LEASE_2020_22", None),
    ("LE_SINGLE_GROUP", "<=", "0.50", "LEASE_2020_22", None),
    ("LE_SINGLE_RELATED", "<=", "0.30", "LEASE_2020_22", None),
    ("LE_ALL_RELATED", "<=", "0.50", "LEASE_2020_22", None),
    ("LE_FIXED_INCOME_MAX", "<=", "0.20", "LEASE_2020_22", None),
    ("FA_RISK_ASSETS_LEVERAGE", "<=", "10", "FACT_2019_205", None),
    ("FA_SINGLE_DEBTOR", "<=", "0.50", "FACT_2019_205", None),
    ("FA_RELATED_DEBTOR", "<=", "0.40", "FACT_2019_205", None),
    ("FA_OVERDUE_90_NON_PERFORMING", "==", "1", "FACT_2019_205", None),
    ("FA_RISK_RESERVE_MIN", ">=", "0.01", "FACT_2019_205", None),
    ("TV_NO_EQUAL_SHARE_ISSUE", "==", "0", "TV_2011_38", None),
    ("TV_NO_CENTRALISED_TRADING", "==", "0", "TV_2012_37", None),
    ("TV_MIN_TRANSFER_INTERVAL", ">=", "5", "TV_2011_38", None),
    ("TV_MAX_HOLDERS", "<=", "200", "TV_2011_38", None),
    ("CD_OVERDUE_M1_SHARE", "<=", "0.10", "GZ_PLAN_2021", "第十一章第一节一（风险实时监测、识别、预警）"),
    ("CD_OVERDUE_M2_SHARE", "<=", "0.05", "GZ_PLAN_2021", "第十一章第一节一（风险实时监测、识别、预警）"),
    ("CD_OVERDUE_M3PLUS_SHARE", "<=", "0.05", "GZ_PLAN_2021", "第十一章第一节一（风险实时监测、识别、预警）"),
    ("CD_NPL_RATIO", "<=", "0.05", "GZ_PLAN_2021", "第十一章第一节一（风险实时监测、识别、预警）"),
    ("CD_RATE_ABOVE_4LPR", "<=", "4", "SPC_LENDING_2020", "第二十五条"),
    ("CD_MULTI_INSTITUTION_BORROWER", "<=", "3", "GZ_PLAN_2021", "第十一章第一节一（风险实时监测、识别、预警）"),
]


@pytest.mark.parametrize(("rule_id", "comparator", "value", "regulation", "article"), ISSUE_LIMITS)
def test_every_limit_the_issue_names_is_a_rule_with_its_basis(book, rule_id, comparator, value, regulation, article):
    rule = book.rule(rule_id)
    assert (rule.limit.comparator, rule.limit.value) == (comparator, Decimal(value))
    assert rule.basis.regulation == regulation
    assert rule.basis.document_number == book.regulation(regulation).document_number
    if article is None:
        assert rule.basis.article_unverified, f"{rule_id}: article could not be checked and must say so"
    else:
        assert (rule.basis.article, rule.basis.article_unverified) == (article, False)
    assert rule.basis.verified_by, f"{rule_id}: must record what was confirmed and where"


def test_there_is_a_rule_file_for_every_institution_type_and_conduct(book):
    assert {Path(r.source).stem for r in book.rules} == set(RULE_FILES)
    for itype in INSTITUTION_TYPES:
        assert rules_in_force(book, date(2025, 6, 30), itype), itype


def test_guarantee_and_pawn_articles_are_the_checked_ones(book):
    """Checked against the full texts: the pawn asset proportions are Art. 44, not the Art. 43 REGULATIONS.md gave;
    the 2024 small-loan limits are Arts. 14 and 20 of 金规〔2024〕26号 (86号 and the others stay unchecked)."""
    assert all(book.rule(r).basis.article.startswith("第四十四条") for r in ("PAWN_SINGLE_CLIENT", "PAWN_NET_ASSETS_FLOOR"))
    checked = {r.basis.regulation for r in book.rules if not r.basis.article_unverified}
    assert checked == {"GU_REG_2017", "PAWN_2005", "SPC_LENDING_2020", "GZ_PLAN_2021", "SL_2024_26"}
    assert {r.id for r in book.rules if r.basis.regulation == "SL_2024_26" and r.basis.article_unverified} == set()
    for rule in book.rules:
        if not rule.basis.article_unverified:
            assert any(s.url.startswith(("https://github.com/", "../shared/")) for s in rule.basis.verified_by), rule.id


# ---------------------------------------------------------------- 86号 → 金规〔2024〕26号


def test_notice_86_is_kept_as_history_superseded_by_the_2024_measures(book):
    old, new = book.regulation("SL_2020_86"), book.regulation("SL_2024_26")
    assert old.document_number == "银保监办发〔2020〕86号" and new.document_number == "金规〔2024〕26号"
    assert old.superseded_by == "SL_2024_26" and new.superseded_by is None and new.effective_to is None
    assert old.effective_to == new.effective_from - timedelta(days=1)
    assert new.unverified, "the 2024 effective date could not be confirmed and must be flagged"


def test_history_is_computed_under_the_rule_then_in_force(book):
    changeover = book.regulation("SL_2024_26").effective_from
    before = {r.id: r for r in rules_in_force(book, changeover - timedelta(days=1), "small_loan")}
    after = {r.id: r for r in rules_in_force(book, changeover, "small_loan")}
    assert "SL_SINGLE_BORROWER_2020" in before and "SL_SINGLE_BORROWER" not in before
    assert "SL_SINGLE_BORROWER" in after and "SL_SINGLE_BORROWER_2020" not in after
    # the 2024 measures measure against the PRIOR year-end net assets, 86号 against net assets
    assert before["SL_SINGLE_BORROWER_2020"].metric.denominator.of.field == "net_assets_fen"
    assert after["SL_SINGLE_BORROWER"].metric.denominator.of.field == "net_assets_prior_year_end_fen"
    # online per-borrower caps exist only under the 2024 measures
    assert "SL_ONLINE_CONSUMER_PER_BORROWER" in after and "SL_ONLINE_CONSUMER_PER_BORROWER" not in before
    assert not rules_in_force(book, date(2020, 9, 6), "small_loan") or all(
        r.id.startswith("CD_") for r in rules_in_force(book, date(2020, 9, 6), "small_loan")
    )


def test_each_lineage_has_exactly_one_rule_on_any_day(book):
    lineages = {r.lineage for r in book.rules}
    for day in (date(2020, 9, 7), date(2023, 1, 1), date(2024, 12, 26), date(2024, 12, 27), date(2026, 1, 1)):
        live = [r.lineage for r in book.rules if r.in_force(day)]
        assert len(live) == len(set(live)), day
    assert len(lineages) < len(book.rules)  # some lineages carry history


# ---------------------------------------------------------------- advisory and local policy


def test_four_times_lpr_is_advisory_because_local_financial_organisations_are_exempt(book):
    rule = book.rule("CD_RATE_ABOVE_4LPR")
    assert rule.advisory and not rule.local_policy
    assert rule.basis.see_also == ("SPC_REPLY_2020_27",)
    assert book.regulation("SPC_REPLY_2020_27").document_number == "法释〔2020〕27号"
    assert rule.metric.kind == "flag" and rule.metric.expression.op == "div"


def test_monitoring_thresholds_are_marked_local_policy_and_advisory(book):
    for rule in book.rules:
        if rule.basis.regulation == "GZ_PLAN_2021":
            assert rule.advisory and rule.local_policy, rule.id
        if not rule.advisory:
            assert not rule.local_policy, rule.id


def test_a_local_limit_may_be_stricter_but_never_looser(book):
    stricter = with_local_limits(book, {"SL_SINGLE_BORROWER": "0.08", "CD_NPL_RATIO": "0.08"})
    assert stricter.rule("SL_SINGLE_BORROWER").limit.value == Decimal("0.08")
    assert stricter.rule("SL_SINGLE_BORROWER").local_policy
    assert stricter.rule("CD_NPL_RATIO").limit.value == Decimal("0.08")  # local-only figure: free
    with pytest.raises(FinregRulesError) as caught:
        with_local_limits(book, {"GU_LEVERAGE": "12", "LE_LEASED_ASSETS_MIN": "0.5", "NO_SUCH": "1"})
    text = "\n".join(caught.value.problems)
    assert "GU_LEVERAGE" in text and "LE_LEASED_ASSETS_MIN" in text and "NO_SUCH" in text


@pytest.mark.parametrize(
    ("comparator", "limit", "measured", "holds"),
    [("<=", "0.10", "0.10", True), ("<=", "0.10", "0.1001", False), (">=", "0.60", "0.5999", False),
     (">=", "0.60", "0.60", True), ("==", "0", "0", True), ("==", "0", "1", False), ("<", "5", "5", False)],
)  # fmt: skip
def test_a_limit_holds_on_its_side_and_breaks_just_past_it(comparator, limit, measured, holds):
    assert Limit(comparator, Decimal(limit), "ratio").holds(Decimal(measured)) is holds


# ---------------------------------------------------------------- the data contract


def _fields_of_term(term):
    if isinstance(term, str):
        return {term}
    (op, arg), = term.items()
    if op == "const":
        return set()
    return set().union(*(_fields_of_term(a) for a in arg)) if isinstance(arg, list) else {arg}


def _metric_refs(metric):
    """(dataset, field) pairs a metric names, read straight from the YAML, independent of the loader."""
    refs = set()
    for key in ("numerator", "denominator", "value"):
        agg = metric.get(key)
        if isinstance(agg, dict) and "agg" in agg:
            refs |= {(agg["dataset"], f) for f in _fields_of_term(agg.get("of") or {"const": "1"})}
            refs |= {(agg["dataset"], c["field"]) for c in agg.get("where", [])}
            if metric.get("group_by") and key != "denominator":
                refs.add((agg["dataset"], metric["group_by"]))
    if metric["kind"] == "flag":
        refs |= {(metric["dataset"], f) for f in _fields_of_term(metric["value"])}
        refs |= {(metric["dataset"], c["field"]) for c in metric.get("where", [])}
    refs |= {(c["dataset"], c["field"]) for c in metric.get("applies_when", [])}
    return refs


def test_every_metric_resolves_against_datasets_yaml():
    contract = yaml.safe_load((DATA / "datasets.yaml").read_text(encoding="utf-8"))
    common = set(contract["common_record_fields"])
    known = {
        (name, field)
        for name, ds in contract["datasets"].items()
        for field in [*ds["fields"], *(common if ds["grain"] == "record" else ())]
    }
    for path in sorted((DATA / "rules").glob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            missing = _metric_refs(rule["metric"]) - known
            assert not missing, f"{path.name} {rule['id']}: {sorted(missing)}"


def test_money_is_integer_fen_and_rates_are_decimals(book):
    for ds in book.datasets:
        for field in ds.fields:
            if field.name.endswith("_fen"):
                assert (field.type, field.unit) == ("integer", "fen"), f"{ds.name}.{field.name}"
            if field.unit == "rate":
                assert field.type == "decimal", f"{ds.name}.{field.name}"
            assert field.zh and field.en


def test_rules_json_has_the_stable_cli_shape(book):
    shaped = rules_json(book)
    assert [r["id"] for r in shaped] == sorted(r.id for r in book.rules)
    one = next(r for r in shaped if r["id"] == "GU_SINGLE_GUARANTEED")
    assert set(one) == {"id", "name_zh", "name_en", "institution_types", "limit", "severity", "basis"}
    assert one["limit"] == {"comparator": "<=", "value": "0.10", "unit": "ratio"}
    assert one["basis"]["document_number"] == "国务院令第683号" and one["basis"]["article"] == "第十六条"
    assert one["severity"] in ("red", "orange", "yellow") and one["institution_types"] == ["guarantee"]


# ---------------------------------------------------------------- broken files are refused


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "finreg"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(folder: Path) -> str:
    with pytest.raises(FinregRulesError) as caught:
        load_rules(folder)
    err = caught.value
    assert "监管规则库" in err.zh and "rule library" in err.en  # bilingual
    return "\n".join(err.problems)


def _rule(data: dict, rule_id: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_the_copy_of_the_real_data_loads(copy):
    assert len(load_rules(copy).rules) == len(load_rules().rules)


def test_it_lists_every_problem_at_once(copy):
    def break_small_loan(data):
        _rule(data, "SL_SINGLE_BORROWER")["metric"]["numerator"]["of"] = "balance_yuan"  # unknown field
        _rule(data, "SL_BORROWER_GROUP")["metric"]["numerator"]["dataset"] = "loanz"  # unknown dataset
        _rule(data, "SL_NONSTANDARD_LEVERAGE")["limit"]["comparator"] = "=<"  # bad comparator
        _rule(data, "SL_STANDARDISED_LEVERAGE")["basis"]["regulation"] = "SL_2099_1"  # unknown regulation
        data["rules"].append(dict(_rule(data, "SL_ONLINE_CONSUMER_PER_BORROWER")))  # duplicate id

    _edit(copy / "rules" / "small_loan.yaml", break_small_loan)
    text = _problems(copy)
    assert "unknown field loans.balance_yuan" in text
    assert "unknown dataset 'loanz'" in text
    assert "comparator '=<' is not one of" in text
    assert "unknown regulation 'SL_2099_1'" in text
    assert "duplicate id 'SL_ONLINE_CONSUMER_PER_BORROWER'" in text


def test_it_refuses_overlapping_versions_of_one_rule(copy):
    _edit(copy / "rules" / "small_loan.yaml",
          lambda d: _rule(d, "SL_SINGLE_BORROWER_2020").update(effective_to=date(2025, 1, 31)))  # fmt: skip
    text = _problems(copy)
    assert "lineage SL_SINGLE_BORROWER" in text and "overlaps SL_SINGLE_BORROWER" in text
    assert "outlives SL_2020_86" in text


def test_it_refuses_a_local_rule_looser_than_the_legal_one(copy):
    def add_local(data):
        local = dict(_rule(data, "SL_SINGLE_BORROWER"), id="GZ_SINGLE_BORROWER", lineage="GZ_SINGLE_BORROWER",
                     local_policy=True, tightens="SL_SINGLE_BORROWER")  # fmt: skip
        local["limit"] = {"comparator": "<=", "value": "0.12", "unit": "ratio"}
        data["rules"].append(local)

    _edit(copy / "rules" / "small_loan.yaml", add_local)
    assert "looser than the legal SL_SINGLE_BORROWER" in _problems(copy)


def test_a_stricter_local_rule_is_accepted(copy):
    def add_local(data):
        local = dict(_rule(data, "SL_SINGLE_BORROWER"), id="GZ_SINGLE_BORROWER", lineage="GZ_SINGLE_BORROWER",
                     local_policy=True, tightens="SL_SINGLE_BORROWER")  # fmt: skip
        local["limit"] = {"comparator": "<=", "value": "0.08", "unit": "ratio"}
        data["rules"].append(local)

    _edit(copy / "rules" / "small_loan.yaml", add_local)
    assert load_rules(copy).rule("GZ_SINGLE_BORROWER").limit.value == Decimal("0.08")


def test_it_refuses_numbers_written_as_yaml_floats_and_bad_enum_values(copy):
    def break_pawn(data):
        _rule(data, "PAWN_FEE_MOVABLE")["limit"]["value"] = 0.042
        _rule(data, "PAWN_FEE_REAL_ESTATE")["metric"]["where"][0]["value"] = "house"

    _edit(copy / "rules" / "pawn.yaml", break_pawn)
    text = _problems(copy)
    assert "must be a quoted string" in text
    assert "['house'] not among the values of pawn_tickets.collateral_type" in text


def test_it_refuses_a_metric_on_data_the_institution_type_does_not_submit(copy):
    _edit(copy / "rules" / "leasing.yaml",
          lambda d: _rule(d, "LE_SINGLE_LESSEE")["metric"]["numerator"].update(dataset="loans", of="balance_fen"))  # fmt: skip
    text = _problems(copy)
    assert "dataset loans is not submitted by leasing" in text
    assert "group_by 'lessee_id' is not a field of record dataset loans" in text


def test_it_refuses_a_broken_regulation_file(copy):
    def break_regs(data):
        data["regulations"][0]["superseded_by"] = "NOWHERE"
        data["regulations"][1]["effective_from"] = "27 Dec 2024"

    _edit(copy / "regulations.yaml", break_regs)
    text = _problems(copy)
    assert "superseded_by unknown regulation 'NOWHERE'" in text
    assert "'effective_from' is not an ISO date" in text


def test_it_refuses_a_file_that_is_not_yaml_or_not_a_rule_file(copy):
    (copy / "rules" / "factoring.yaml").write_text("rules: [unclosed", encoding="utf-8")
    (copy / "rules" / "banks.yaml").write_text("institution_type: banks\nrules: []\n", encoding="utf-8")
    text = _problems(copy)
    assert "factoring.yaml: not valid YAML" in text
    assert "rules/banks.yaml: unexpected file" in text


def test_the_docs_list_every_rule(book):
    doc = (get_settings().data_dir.parent / "docs" / "finreg-rules.md").read_text(encoding="utf-8")
    missing = [r.id for r in book.rules if f"`{r.id}`" not in doc]
    assert not missing, f"docs/finreg-rules.md lacks {missing}"
