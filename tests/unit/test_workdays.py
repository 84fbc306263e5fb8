"""Working days (工作日) from the official State Council holiday schedules (节假日安排, 调休)."""

from __future__ import annotations

from datetime import date

import pytest

from gzgov.core.errors import GzgovError
from gzgov.core.workdays import (
    UnknownScheduleYear,
    WorkdayCalendar,
    YearSchedule,
    load_schedule_file,
    package_years,
    parse_schedule,
)


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def _schedule_2027() -> YearSchedule:
    """A minimal synthetic 2027 schedule: only New Year's Day (Friday 2027-01-01) off."""
    return parse_schedule({"year": 2027, "source": "test schedule 2027", "holidays": ["2027-01-01"]})


def test_package_years_are_read_from_the_package_and_cover_2004_to_2025():
    years = package_years()
    assert years == list(range(years[0], years[-1] + 1))
    assert years[0] <= 2004 and years[-1] >= 2025
    assert WorkdayCalendar().known_years() == years


def test_national_day_2021_holidays_and_adjusted_working_days(cal):
    assert all(not cal.is_working_day(date(2021, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(date(2021, 9, 26))  # Sunday, worked (调休上班)
    assert cal.is_working_day(date(2021, 10, 9))  # Saturday, worked
    assert not cal.is_working_day(date(2021, 10, 10))  # ordinary Sunday


def test_fifteen_working_days_across_national_day_2021(cal):
    # Start Fri 2021-09-24 = day 1; Sat 9-25 off; Sun 9-26 worked = 2; Mon-Thu 9-27..9-30 = 3..6;
    # Oct 1-7 off; Fri 10-08 = 7; Sat 10-09 worked = 8; Sun 10-10 off; 10-11..10-15 = 9..13;
    # Mon 10-18 = 14; Tue 10-19 = 15.
    assert cal.add_working_days(date(2021, 9, 24), 15) == date(2021, 10, 19)
    assert cal.working_days_between(date(2021, 9, 24), date(2021, 10, 19)) == 15


def test_fifteen_working_days_across_spring_festival_2021(cal):
    # Start Fri 2021-02-05 = 1; Sat 2-06 off; Sun 2-07 worked = 2; Mon-Wed 2-08..2-10 = 3..5;
    # Feb 11-17 off; Thu 2-18 = 6; Fri 2-19 = 7; Sat 2-20 worked = 8; Sun 2-21 off;
    # 2-22..2-26 = 9..13; Mon 3-01 = 14; Tue 3-02 = 15.
    assert cal.add_working_days(date(2021, 2, 5), 15) == date(2021, 3, 2)


def test_start_on_adjusted_working_sunday_counts_that_day(cal):
    # Sun 2021-02-07 is worked = 1; 2-08..2-10 = 2..4; Feb 11-17 off; 2-18, 2-19 = 5, 6;
    # Sat 2-20 = 7; 2-22..2-26 = 8..12; 3-01, 3-02, 3-03 = 13, 14, 15.
    assert cal.add_working_days(date(2021, 2, 7), 1) == date(2021, 2, 7)
    assert cal.add_working_days(date(2021, 2, 7), 15) == date(2021, 3, 3)


def test_start_on_a_holiday_counts_from_the_next_working_day(cal):
    # Fri 2021-02-12 (Spring Festival) is off; Thu 2-18 = 1; 2-19 = 2; Sat 2-20 = 3;
    # 2-22..2-26 = 4..8; 3-01..3-05 = 9..13; Mon 3-08 = 14; Tue 3-09 = 15.
    assert cal.add_working_days(date(2021, 2, 12), 1) == date(2021, 2, 18)
    assert cal.add_working_days(date(2021, 2, 12), 15) == date(2021, 3, 9)


def test_fifteen_working_days_across_national_day_2025(cal):
    # Oct 1-8 2025 off; Sun 9-28 and Sat 10-11 worked.
    # Start Fri 2025-09-26 = 1; Sat 9-27 off; Sun 9-28 = 2; Mon 9-29 = 3; Tue 9-30 = 4;
    # Oct 1-8 off; Thu 10-09 = 5; Fri 10-10 = 6; Sat 10-11 = 7; Sun 10-12 off;
    # 10-13..10-17 = 8..12; Mon 10-20 = 13; Tue 10-21 = 14; Wed 10-22 = 15.
    assert not any(cal.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert cal.add_working_days(date(2025, 9, 26), 15) == date(2025, 10, 22)


@pytest.mark.skipif(2026 not in package_years(), reason="chinesecalendar has no 2026 schedule")
def test_fifteen_working_days_across_spring_festival_2026(cal):
    # Feb 15 (Sun) - Feb 23 (Mon) 2026 off; Sat 2-14 and Sat 2-28 worked.
    # Start Fri 2026-02-13 = 1; Sat 2-14 = 2; Feb 15-23 off; Tue 2-24..Fri 2-27 = 3..6;
    # Sat 2-28 = 7; Sun 3-01 off; 3-02..3-06 = 8..12; Mon 3-09 = 13; Tue 3-10 = 14; Wed 3-11 = 15.
    assert cal.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 11)


def test_add_working_days_needs_n_at_least_one(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(date(2021, 9, 24), 0)


def test_next_working_day_skips_holidays_and_honours_adjusted_days(cal):
    assert cal.next_working_day(date(2021, 9, 30)) == date(2021, 10, 8)
    assert cal.next_working_day(date(2021, 10, 8)) == date(2021, 10, 9)


def test_working_days_between_is_inclusive_and_zero_when_reversed(cal):
    assert cal.working_days_between(date(2021, 10, 1), date(2021, 10, 7)) == 0
    assert cal.working_days_between(date(2021, 10, 8), date(2021, 10, 8)) == 1
    assert cal.working_days_between(date(2021, 10, 9), date(2021, 10, 8)) == 0


def test_year_beyond_the_package_is_refused_with_load_instructions(cal):
    year = max(package_years()) + 1
    with pytest.raises(UnknownScheduleYear) as info:
        cal.is_working_day(date(year, 3, 1))
    err = info.value
    assert isinstance(err, GzgovError) and err.code == "unknown_schedule_year"
    for text in (err.zh, err.en):
        assert str(year) in text
        assert "gzgov calendar load" in text
        assert "docs/workdays.md" in text


def test_year_before_the_package_is_refused(cal):
    with pytest.raises(UnknownScheduleYear):
        cal.is_working_day(date(min(package_years()) - 1, 6, 1))


@pytest.mark.skipif(2027 in package_years(), reason="package already carries 2027")
def test_publicity_running_into_an_unknown_year_is_refused_until_loaded():
    # Sun 2026-12-20 is off, so Mon 12-21 = 1; 12-21..12-25 = 1..5; 12-28..12-31 = 6..9;
    # then 2027 is needed.
    with pytest.raises(UnknownScheduleYear) as info:
        WorkdayCalendar().add_working_days(date(2026, 12, 20), 15)
    assert info.value.year == 2027
    # With 2027 loaded (only Fri 1-01 off): Mon 1-04..Fri 1-08 = 10..14; Mon 1-11 = 15.
    cal = WorkdayCalendar(loaded=[_schedule_2027()])
    assert 2027 in cal.known_years()
    assert cal.add_working_days(date(2026, 12, 20), 15) == date(2027, 1, 11)


def test_loaded_schedule_overrides_package_data():
    schedule = YearSchedule(year=2021, holidays=frozenset(), workdays=frozenset(), source="override")
    cal = WorkdayCalendar(loaded=[schedule])
    assert cal.is_working_day(date(2021, 10, 1))  # a Friday, no longer a holiday
    assert not cal.is_working_day(date(2021, 9, 26))  # a Sunday, no longer worked
    other = WorkdayCalendar()
    other.load(schedule)
    assert other.is_working_day(date(2021, 10, 1))


# ---------------------------------------------------------------- schedule files


def test_parse_schedule_expands_ranges_and_accepts_yaml_dates():
    schedule = parse_schedule(
        {
            "year": 2027,
            "source": "国务院办公厅关于2027年部分节假日安排的通知",
            "holidays": [date(2027, 1, 1), "2027-02-06..2027-02-12"],
            "workdays": ["2027-02-14"],
        }
    )
    assert len(schedule.holidays) == 8 and date(2027, 2, 9) in schedule.holidays
    assert schedule.workdays == frozenset({date(2027, 2, 14)})
    assert not schedule.is_working_day(date(2027, 2, 8))  # Monday inside the range
    assert schedule.is_working_day(date(2027, 2, 14))  # Sunday worked


def _bad(**changes) -> dict:
    data = {"year": 2027, "source": "test", "holidays": ["2027-01-01"], "workdays": ["2027-02-14"]}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "data",
    [
        _bad(workdays=["2027-02-15"]),  # a Monday is not an adjusted working day
        _bad(holidays=["2028-01-03"]),  # outside the year
        _bad(workdays=["2026-12-27"]),  # adjusted workday in another year (a Sunday)
        _bad(holidays=["2027-02-13..2027-02-14"]),  # 2-14 both holiday and workday
        _bad(source=""),
        _bad(source="   "),
        _bad(holidays=["2027-02-30"]),
        _bad(holidays=["2027-02-12..2027-02-06"]),
        _bad(extra=1),
        _bad(year="2027"),
    ],
)
def test_parse_schedule_rejects_invalid_data_in_both_languages(data):
    with pytest.raises(GzgovError) as info:
        parse_schedule(data)
    assert info.value.code == "invalid_schedule"
    assert info.value.zh and info.value.en


def test_load_schedule_file_reads_documented_yaml(tmp_path):
    path = tmp_path / "2027.yaml"
    path.write_text(
        'year: 2027\nsource: "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）"\n'
        "holidays:\n  - 2027-01-01\n  - 2027-02-06..2027-02-12\nworkdays:\n  - 2027-02-14\n",
        encoding="utf-8",
    )
    schedule = load_schedule_file(path)
    assert schedule.year == 2027 and date(2027, 2, 14) in schedule.workdays
    cal = WorkdayCalendar(loaded=[schedule])
    assert not cal.is_working_day(date(2027, 1, 1))


def test_load_schedule_file_missing_or_broken_is_a_bilingual_error(tmp_path):
    with pytest.raises(GzgovError) as info:
        load_schedule_file(tmp_path / "missing.yaml")
    assert info.value.code == "schedule_file_unreadable"
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: [2027\n", encoding="utf-8")
    with pytest.raises(GzgovError) as info:
        load_schedule_file(broken)
    assert info.value.code == "invalid_schedule"
