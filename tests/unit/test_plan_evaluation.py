"""The evaluation method on hand-worked cases: each status, both trajectories, a zero baseline, range and
"more than" targets (issue 3; the method is in gzgov.plan.evaluation)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from gzgov.plan.evaluation import Status, TargetSpec, evaluate, expected_value, fmt4

AT_LEAST_9_5 = TargetSpec(">=", D("9.5"))  # FIN_VA_SHARE: 8.9% → 达 9.5%


@pytest.mark.parametrize(("actual", "status", "projected", "ap"), [
    ("9.2", Status.ahead, "9.65", "1.25"),                    # P = 8.9 + 0.3·5/2; AP = 0.75/0.6
    ("9.14", Status.on_track, "9.5", "1"),                    # exactly on the straight path
    ("9.05", Status.needs_acceleration, "9.275", "0.625"),
    ("9.0", Status.off_track, "9.15", "0.4166666666666666666666666667"),
    ("8.8", Status.regressing, "8.65", "-0.4166666666666666666666666667"),
    ("9.5", Status.achieved, "10.4", "2.5"),
])
def test_linear_share_in_the_second_year(actual, status, projected, ap):
    e = evaluate(D("8.9"), AT_LEAST_9_5, "linear", D(actual), 2022)
    assert e.status == status
    assert e.expected == D("9.14")  # 8.9 + 0.6·2/5
    assert e.projected == D(projected) and e.anticipated_progress == D(ap)
    assert e.time_elapsed == D("0.4")
    assert e.completion == (D(actual) - D("8.9")) / D("0.6")


def test_compound_amount_in_the_first_year():
    target = TargetSpec(">=", D("200"))
    e = evaluate(D("100"), target, "compound", D("120"), 2021)
    assert e.status == Status.ahead and e.trajectory_used == "compound"
    assert fmt4(e.projected) == "248.8320"  # 100·1.2^5
    assert fmt4(e.anticipated_progress) == "1.4883"
    assert fmt4(e.expected) == "114.8698"  # 100·2^(1/5)
    assert fmt4(e.completion) == "0.2000" and fmt4(e.time_elapsed) == "0.2000"
    assert evaluate(D("100"), target, "compound", D("114.87"), 2021).status == Status.on_track
    assert evaluate(D("100"), target, "compound", D("110"), 2021).status == Status.needs_acceleration  # P=161.05
    assert evaluate(D("100"), target, "compound", D("105"), 2021).status == Status.off_track  # P=127.63
    assert evaluate(D("100"), target, "compound", D("99"), 2021).status == Status.regressing


def test_a_zero_baseline_falls_back_to_linear():
    e = evaluate(D("0"), TargetSpec(">=", D("10")), "compound", D("1"), 2021)
    assert e.trajectory_used == "linear" and e.projected == D("5") and e.expected == D("2")
    assert e.anticipated_progress == D("0.5") and e.status == Status.needs_acceleration
    assert expected_value(D("0"), D("10"), "compound", 2025) == D("10")


def test_holding_groups_from_zero_to_a_range():
    one_to_two = TargetSpec("range", low=D("1"), high=D("2"))  # FIN_HOLDING_GROUPS: 0 → 1—2 家
    still_none = evaluate(D("0"), one_to_two, "linear", D("0"), 2023)
    assert still_none.status == Status.off_track and still_none.anticipated_progress == D("0")
    assert still_none.completion == D("0") and still_none.time_elapsed == D("0.6")
    assert evaluate(D("0"), one_to_two, "linear", D("1"), 2023).status == Status.achieved


def test_a_range_target_equal_to_its_baseline_is_met_by_holding_on():
    one_to_two = TargetSpec("range", low=D("1"), high=D("2"))  # NATIONAL_PLATFORMS: 1 → 1—2 个
    kept = evaluate(D("1"), one_to_two, "linear", D("1"), 2022)
    assert kept.status == Status.achieved and kept.anticipated_progress is None  # T − b = 0
    assert evaluate(D("1"), one_to_two, "linear", D("3"), 2022).status == Status.achieved  # above the range
    assert evaluate(D("1"), one_to_two, "linear", D("0"), 2022).status == Status.regressing


def test_more_than_needs_strictly_more():
    over_6 = TargetSpec(">", D("6"))  # INSURANCE_DEPTH: 5.98% → 超过 6%
    at_6 = evaluate(D("5.98"), over_6, "linear", D("6"), 2021)
    assert at_6.status == Status.ahead and at_6.anticipated_progress == D("5")  # P = 6.08
    assert evaluate(D("5.98"), over_6, "linear", D("6.01"), 2021).status == Status.achieved


def test_no_value_means_no_data_and_years_outside_the_plan_are_refused():
    assert evaluate(D("8.9"), AT_LEAST_9_5, "linear", None, None).status == Status.no_data
    with pytest.raises(ValueError):
        evaluate(D("8.9"), AT_LEAST_9_5, "linear", D("9"), 2020)
    with pytest.raises(ValueError):
        TargetSpec("range", low=D("2"), high=D("1"))
    with pytest.raises(ValueError):
        TargetSpec("<=", D("1"))


def test_labels_follow_the_chinese_mid_term_categories():
    assert [s.zh for s in Status] == ["提前实现", "快于预期", "基本符合预期", "需加快", "明显滞后", "倒退", "暂无数据"]
