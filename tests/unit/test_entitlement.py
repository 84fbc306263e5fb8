"""Pure entitlement arithmetic pinned to the document's figures (forest §1, §4(1)3, §4(2)2, §8(2))."""

from gzgov.core.money import fmt_wan, parse_area
from gzgov.forest.choices import Grade, Tier, tier_for
from gzgov.forest.entitlement import Rates, line_amount, programme_totals, split_line

RATES_2021 = Rates(2021, {Grade.I: 15900, Grade.II: 10600, Grade.III: 8500},
                   {Tier.state_forest_farm: 6000, Tier.central_south: 4000, Tier.northern_mountain: 2500}, "forest §4(1)3")
GRADES = {Grade.I: parse_area("335500"), Grade.II: parse_area("1713200"), Grade.III: parse_area("644800")}
TIERS = {Tier.state_forest_farm: parse_area("352800"), Tier.central_south: parse_area("266000"),
         Tier.northern_mountain: parse_area("2074700")}


def test_2021_programme_reproduces_the_document():
    t = programme_totals(GRADES, TIERS, RATES_2021)
    assert fmt_wan(t.compensation_fen) == "28975.17"
    assert fmt_wan(t.management_fen) == "8367.55"
    assert fmt_wan(t.total_fen) == "37342.72"


def test_2025_compensation_reproduces_the_document():
    rates = Rates(2025, {Grade.I: 16800, Grade.II: 11200, Grade.III: 9000}, None, "forest §4(1)3")
    assert fmt_wan(programme_totals(GRADES, TIERS, rates).compensation_fen) == "30627.44"


def test_a_payee_is_rounded_once_not_per_grade():
    # 0.0001 mu of grade I (1.59 fen) and of grade III (0.848 fen): per grade 2 + 1 = 3 fen, once 2.438 -> 2
    areas = {Grade.I: 1, Grade.III: 1}  # 0.0001 mu each
    rates = Rates(2020, {Grade.I: 15900, Grade.II: 10600, Grade.III: 8480}, None, "forest §2(3)")
    assert line_amount(areas, rates) == 2


def test_tiers_follow_the_documents_district_groups():
    assert tier_for("440106", "") is Tier.central_south  # 天河
    assert tier_for("440111", "") is Tier.northern_mountain  # 白云
    assert tier_for("440111", "帽峰山林场") is Tier.state_forest_farm
    assert tier_for("440104", "") is None  # 越秀 has no eco-forest tier


def test_source_split_adds_up_to_the_line_and_the_base_is_the_citys():
    s = split_line(10_000, district_base=3_000, district_total=12_000, city_share_bp=6000)
    assert s.base == 2500 and s.base + s.city_increment + s.district_increment == 10_000
    assert s.city_increment == 4500
