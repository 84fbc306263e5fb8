"""Progress evaluation of a plan indicator (pure): one method, applied the same everywhere.

It follows the UN Statistics Division's progress assessment (the value projected from the pace so far,
against the change the target requires) and the categories of China's own plan mid-term evaluations
(提前实现 / 快于预期 / 基本符合预期 / 滞后). For an indicator with baseline b (2020), target threshold T,
the latest approved value a of year t, n = t − 2020 and N = 5:

- expected value this year e(t): compound b·(T/b)^(n/N), linear b + (T − b)·n/N
- projected 2025 value P: compound b·(a/b)^(N/n), linear b + (a − b)·N/n
- anticipated progress AP = (P − b)/(T − b); completion = (a − b)/(T − b), beside time elapsed n/N
- status: achieved when a already satisfies the target; otherwise regressing when a < b; otherwise by AP:
  ahead ≥ 1.05, on_track ≥ 0.95, needs_acceleration ≥ 0.5, off_track below; no_data without a value.

A compound trajectory falls back to linear when b ≤ 0 (and when a ≤ 0, where the ratio a/b has no real
power). T is the lower bound of a range and the number after "more than"/"at least". A range target is
satisfied from its lower bound up: its upper bound is the plan's expectation, not a ceiling, so a value
above it still counts as achieved. Every indicator of the plan is "higher is better".
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

BASE_YEAR = 2020
HORIZON = 5  # N: 2021–2025

# The AP thresholds of the status categories (anchors shown with the method on the method page and docs).
AHEAD, ON_TRACK, NEEDS_ACCELERATION = Decimal("1.05"), Decimal("0.95"), Decimal("0.5")
_CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


class Status(StrEnum):
    achieved = "achieved"
    ahead = "ahead"
    on_track = "on_track"
    needs_acceleration = "needs_acceleration"
    off_track = "off_track"
    regressing = "regressing"
    no_data = "no_data"

    @property
    def zh(self) -> str:
        return STATUS_LABELS[self][0]

    @property
    def en(self) -> str:
        return STATUS_LABELS[self][1]

    @property
    def colour(self) -> str:
        return STATUS_LABELS[self][2]


STATUS_LABELS = {
    Status.achieved: ("提前实现", "Achieved early", "#2e7d32"),
    Status.ahead: ("快于预期", "Ahead of pace", "#66bb6a"),
    Status.on_track: ("基本符合预期", "On track", "#1e88e5"),
    Status.needs_acceleration: ("需加快", "Needs acceleration", "#f9a825"),
    Status.off_track: ("明显滞后", "Off track", "#e65100"),
    Status.regressing: ("倒退", "Regressing", "#c62828"),
    Status.no_data: ("暂无数据", "No data", "#90a4ae"),
}


@dataclass(frozen=True)
class TargetSpec:
    """A 2025 target: comparator ">=" (达 / at least), ">" (超过 / more than) or "range" (low–high)."""

    comparator: str
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    def __post_init__(self) -> None:
        if self.comparator in (">=", ">"):
            if self.value is None:
                raise ValueError(f"a '{self.comparator}' target needs a value")
        elif self.comparator == "range":
            if self.low is None or self.high is None or self.low > self.high:
                raise ValueError("a range target needs low ≤ high")
        else:
            raise ValueError(f"unknown comparator {self.comparator!r}")

    @property
    def threshold(self) -> Decimal:
        """T: the lower bound of a range, the number after "more than"/"at least"."""
        return self.low if self.comparator == "range" else self.value

    def satisfied_by(self, a: Decimal) -> bool:
        if self.comparator == ">":
            return a > self.value
        return a >= self.threshold


@dataclass(frozen=True)
class Evaluation:
    status: Status
    year: int | None = None
    actual: Decimal | None = None
    expected: Decimal | None = None
    projected: Decimal | None = None
    anticipated_progress: Decimal | None = None
    completion: Decimal | None = None
    time_elapsed: Decimal | None = None
    trajectory_used: str | None = None


def _pow(x: Decimal, y: Decimal) -> Decimal:
    return _CTX.power(x, y)


def effective_trajectory(trajectory: str, baseline: Decimal, actual: Decimal | None = None) -> str:
    if trajectory not in ("compound", "linear"):
        raise ValueError(f"unknown trajectory {trajectory!r}")
    if trajectory == "compound" and (baseline <= 0 or (actual is not None and actual <= 0)):
        return "linear"
    return trajectory


def expected_value(baseline: Decimal, threshold: Decimal, trajectory: str, year: int) -> Decimal:
    """e(t): where the indicator should be in `year` on the path from the baseline to the target."""
    n, N = Decimal(year - BASE_YEAR), Decimal(HORIZON)
    if effective_trajectory(trajectory, baseline) == "compound" and threshold > 0:
        return _CTX.multiply(baseline, _pow(_CTX.divide(threshold, baseline), _CTX.divide(n, N)))
    return baseline + _CTX.divide(_CTX.multiply(threshold - baseline, n), N)


def projected_value(baseline: Decimal, actual: Decimal, trajectory: str, year: int) -> Decimal:
    """P: the 2025 value if the pace from the baseline to `actual` in `year` goes on."""
    n, N = Decimal(year - BASE_YEAR), Decimal(HORIZON)
    if effective_trajectory(trajectory, baseline, actual) == "compound":
        return _CTX.multiply(baseline, _pow(_CTX.divide(actual, baseline), _CTX.divide(N, n)))
    return baseline + _CTX.divide(_CTX.multiply(actual - baseline, N), n)


def evaluate(baseline: Decimal, target: TargetSpec, trajectory: str, actual: Decimal | None,
             year: int | None) -> Evaluation:
    """The status of one indicator from its latest approved value (None: no data)."""
    if actual is None or year is None:
        return Evaluation(Status.no_data)
    if not BASE_YEAR < year <= BASE_YEAR + HORIZON:
        raise ValueError(f"a plan value belongs to {BASE_YEAR + 1}–{BASE_YEAR + HORIZON}, not {year}")
    T = target.threshold
    n = year - BASE_YEAR
    used = effective_trajectory(trajectory, baseline, actual)
    expected = expected_value(baseline, T, trajectory, year)
    projected = projected_value(baseline, actual, trajectory, year)
    gap = T - baseline
    ap = _CTX.divide(projected - baseline, gap) if gap != 0 else None
    completion = _CTX.divide(actual - baseline, gap) if gap != 0 else None
    elapsed = _CTX.divide(Decimal(n), Decimal(HORIZON))
    if target.satisfied_by(actual):
        status = Status.achieved
    elif actual < baseline:
        status = Status.regressing
    elif ap is None:  # T equals the baseline and a, not below b, still misses it: only ">" can do this
        status = Status.off_track
    elif ap >= AHEAD:
        status = Status.ahead
    elif ap >= ON_TRACK:
        status = Status.on_track
    elif ap >= NEEDS_ACCELERATION:
        status = Status.needs_acceleration
    else:
        status = Status.off_track
    return Evaluation(status, year, actual, expected, projected, ap, completion, elapsed, used)


def fmt4(value: Decimal | None) -> str | None:
    """Numbers in the JSON interface: strings with 4 decimals, half-up."""
    return None if value is None else str(value.quantize(Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP))
