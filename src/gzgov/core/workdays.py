"""The official Chinese working-day calendar (工作日历).

Working days (工作日) follow the State Council General Office's yearly holiday schedule
(国务院办公厅关于部分节假日安排的通知): statutory holidays (法定节假日) and adjusted
working weekend days (调休上班). They are never inferred from the weekday alone.

Schedules for the years carried by the `chinesecalendar` package are built in; any other
year must be loaded by an administrator (`gzgov calendar load FILE`, format in
docs/workdays.md). For a year with no schedule the calendar REFUSES with
`UnknownScheduleYear` rather than guessing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml
from chinese_calendar import constants as _cc

from gzgov.core.errors import GzgovError

LOAD_HINT_DOC = "docs/workdays.md"


class UnknownScheduleYear(GzgovError):
    """No official holiday schedule (节假日安排) is known for a year: working days cannot be computed."""

    status_code = 409

    def __init__(self, year: int) -> None:
        super().__init__(
            "unknown_schedule_year",
            f"系统没有{year}年的国务院节假日安排，无法计算工作日（不按星期推测）。"
            f"请管理员按 {LOAD_HINT_DOC} 所述格式编写 YAML 文件，并运行 `gzgov calendar load FILE` 载入{year}年安排。",
            f"No official holiday schedule is loaded for {year}, so working days cannot be computed "
            f"(the system does not guess from weekdays). An administrator must load it with "
            f"`gzgov calendar load FILE`, a YAML file in the format described in {LOAD_HINT_DOC} (see {LOAD_HINT_DOC}).",
            year=year,
        )
        self.year = year


@dataclass(frozen=True)
class YearSchedule:
    """One year's 节假日安排: days off on weekdays (放假) and weekend days worked (调休上班)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str

    def is_working_day(self, d: date) -> bool:
        """Working day (工作日) = (Monday–Friday and not a holiday) or an adjusted working day."""
        return (d.weekday() < 5 and d not in self.holidays) or d in self.workdays


def package_years() -> list[int]:
    """Years whose schedule the installed `chinesecalendar` package carries (read at runtime)."""
    days = list(_cc.holidays) + list(_cc.workdays)
    if not days:
        return []
    return list(range(min(days).year, max(days).year + 1))


def _package_schedule(year: int) -> YearSchedule:
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in _cc.holidays if d.year == year),
        workdays=frozenset(d for d in _cc.workdays if d.year == year),
        source=f"chinesecalendar package data for {year}",
    )


class WorkdayCalendar:
    """工作日历: package schedules plus administrator-loaded ones (a loaded year overrides the package)."""

    def __init__(self, loaded: Iterable[YearSchedule] = ()) -> None:
        self._package_years = frozenset(package_years())
        self._schedules: dict[int, YearSchedule] = {}
        self._loaded: dict[int, YearSchedule] = {s.year: s for s in loaded}

    def load(self, schedule: YearSchedule) -> None:
        """Add or replace the schedule of `schedule.year`."""
        self._loaded[schedule.year] = schedule
        self._schedules.pop(schedule.year, None)

    def known_years(self) -> list[int]:
        """Years with a schedule: package years ∪ loaded years."""
        return sorted(self._package_years | set(self._loaded))

    def schedule(self, year: int) -> YearSchedule:
        """The schedule in force for `year`; UnknownScheduleYear if there is none."""
        found = self._schedules.get(year)
        if found is None:
            if year in self._loaded:
                found = self._loaded[year]
            elif year in self._package_years:
                found = _package_schedule(year)
            else:
                raise UnknownScheduleYear(year)
            self._schedules[year] = found
        return found

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is an official working day (工作日)."""
        if isinstance(d, datetime.datetime):
            d = d.date()
        return self.schedule(d.year).is_working_day(d)

    def _working_days_from(self, start: date) -> Iterator[date]:
        d = start
        while True:
            if self.is_working_day(d):
                yield d
            d += timedelta(days=1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day, counting `start` as day 1 if it is a working day.

        If `start` is not a working day, the first working day after it is day 1. This is the
        convention for publicity periods (公示期, e.g. "不少于15个工作日").
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        for count, d in enumerate(self._working_days_from(start), start=1):
            if count == n:
                return d
        raise AssertionError("unreachable")  # pragma: no cover

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days from `start` to `end`, both inclusive (0 if end < start)."""
        count = 0
        d = start
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += timedelta(days=1)
        return count

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return next(self._working_days_from(d + timedelta(days=1)))


# ----------------------------------------------------------------- schedule files (YAML)


def _schedule_error(zh: str, en: str, **details: object) -> GzgovError:
    return GzgovError(
        "invalid_schedule",
        f"节假日安排文件无效：{zh}（格式见 {LOAD_HINT_DOC}）",
        f"Holiday schedule file is invalid: {en} (format: see {LOAD_HINT_DOC})",
        **details,
    )


def _to_date(item: object, field: str) -> date:
    if isinstance(item, datetime.datetime):
        return item.date()
    if isinstance(item, date):
        return item
    if isinstance(item, str):
        try:
            return date.fromisoformat(item.strip())
        except ValueError:
            pass
    raise _schedule_error(
        f"{field} 中的 {item!r} 不是 YYYY-MM-DD 格式的日期",
        f"{item!r} in {field} is not a YYYY-MM-DD date",
        field=field,
        value=str(item),
    )


def _expand(items: object, field: str) -> set[date]:
    """Dates of a list whose items are dates or 'YYYY-MM-DD..YYYY-MM-DD' ranges (inclusive)."""
    if items is None:
        return set()
    if not isinstance(items, list):
        raise _schedule_error(f"{field} 应为日期列表", f"{field} must be a list of dates", field=field)
    out: set[date] = set()
    for item in items:
        if isinstance(item, str) and ".." in item:
            left, right = item.split("..", 1)
            a, b = _to_date(left, field), _to_date(right, field)
            if b < a:
                raise _schedule_error(
                    f"{field} 中的区间 {item} 结束日期早于开始日期",
                    f"range {item} in {field} ends before it starts",
                    field=field,
                    value=item,
                )
            out.update(a + timedelta(days=i) for i in range((b - a).days + 1))
        else:
            out.add(_to_date(item, field))
    return out


def parse_schedule(data: dict) -> YearSchedule:
    """Validate a schedule mapping (parsed YAML) strictly and build a YearSchedule."""
    if not isinstance(data, dict):
        raise _schedule_error(
            "顶层应为映射（year/source/holidays/workdays）", "the top level must be a mapping"
        )
    unknown = set(data) - {"year", "source", "holidays", "workdays"}
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise _schedule_error(
            f"未知字段：{names}", f"unknown fields: {names}", fields=sorted(map(str, unknown))
        )
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200:
        raise _schedule_error(
            "year 应为1900至2200之间的整数年份", "year must be an integer year between 1900 and 2200"
        )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _schedule_error(
            "source 不能为空，应写明国务院办公厅通知的名称和文号",
            "source must not be empty; give the title and number of the State Council notice",
        )
    if "holidays" not in data:
        raise _schedule_error("缺少 holidays 列表", "the holidays list is missing")
    holidays = _expand(data.get("holidays"), "holidays")
    workdays = _expand(data.get("workdays"), "workdays")
    for field, dates in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted(d for d in dates if d.year != year)
        if outside:
            raise _schedule_error(
                f"{field} 中的 {outside[0]} 不在 {year} 年内",
                f"{outside[0]} in {field} is not in {year}",
                field=field,
                value=outside[0].isoformat(),
            )
    weekdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekdays:
        raise _schedule_error(
            f"调休上班日 {weekdays[0]} 不是星期六或星期日",
            f"adjusted working day {weekdays[0]} is not a Saturday or Sunday",
            field="workdays",
            value=weekdays[0].isoformat(),
        )
    both = sorted(holidays & workdays)
    if both:
        raise _schedule_error(
            f"{both[0]} 同时列为放假日和上班日",
            f"{both[0]} is listed both as a holiday and as a working day",
            value=both[0].isoformat(),
        )
    return YearSchedule(
        year=year, holidays=frozenset(holidays), workdays=frozenset(workdays), source=source.strip()
    )


def load_schedule_file(path: str | Path) -> YearSchedule:
    """Read and validate a YAML schedule file (see docs/workdays.md)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GzgovError(
            "schedule_file_unreadable",
            f"无法读取节假日安排文件 {p}：{exc}",
            f"Cannot read holiday schedule file {p}: {exc}",
            path=str(p),
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _schedule_error(f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}", path=str(p)) from exc
    return parse_schedule(data)
