"""Money and area arithmetic: integer fen, half-up once, exact splits."""

from decimal import Decimal

import pytest

from gzgov.core.money import (
    amount_fen,
    fmt_area,
    fmt_wan,
    fmt_yuan,
    parse_area,
    round_half_up_div,
    split_fen,
    yuan_to_fen,
)


def test_half_up_rounds_halves_away_from_zero():
    assert round_half_up_div(5, 10) == 1
    assert round_half_up_div(4999, 10000) == 0
    assert round_half_up_div(-5, 10) == -1


def test_area_times_rate_is_exact_in_fen():
    # 0.3333 mu at 84.80 yuan = 28.26384 yuan -> 28.26
    assert amount_fen(parse_area("0.3333"), 8480) == 2826
    # 0.0625 mu at 84.80 = 5.30 exactly
    assert amount_fen(parse_area("0.0625"), 8480) == 530


def test_the_documents_grade_I_amount():
    assert fmt_wan(amount_fen(parse_area("335500"), yuan_to_fen("159"))) == "5334.45"


@pytest.mark.parametrize("bad", ["abc", "1.23456", "NaN", ""])
def test_bad_areas_are_refused(bad):
    with pytest.raises(ValueError):
        parse_area(bad)


def test_formats():
    assert fmt_yuan(12345) == "123.45"
    assert fmt_area(parse_area("2.50")) == "2.5"
    assert fmt_area(parse_area("335500")) == "335500"
    assert yuan_to_fen(Decimal("84.8")) == 8480


def test_split_parts_always_sum_to_the_total():
    parts = split_fen(100, [1, 1, 1])
    assert sum(parts) == 100 and sorted(parts) == [33, 33, 34]
