"""The rule engine (规则引擎): each rule's metric compiled to SQL and run in DuckDB over the current Parquet
submissions of a period.

Every metric compiles to one query per rule over all institutions it applies to, giving rows
(institution_code, grp, n, d): the measured value of a group (a borrower, a record, or the whole institution)
is n ÷ d. n and d are exact (BIGINT/HUGEINT sums of integer fen, DECIMAL for decimal fields); the query keeps
only the groups that breach (cross-multiplied: NOT (n <= L × d)), ranked worst first, five per institution.
The verdict is then taken again in Python on exact fractions of n and d — never on floats. How metrics
compile, with an example of the SQL, is in docs/finreg-engine.md.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError
from gzgov.finreg import cases, intake
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.models import Institution, Submission
from gzgov.finreg.rules import Aggregate, Condition, Metric, Rule, RuleBook, Term, load_rules, rules_in_force

TOP = 5
DECIMAL_SQL = "DECIMAL(28,10)"
LEVEL = {"red": "red", "orange": "orange", "yellow": "yellow"}  # rule severity -> warning level
SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
AGG_SQL = {"sum": "SUM({})", "count_distinct": "COUNT(DISTINCT {})", "max": "MAX({})", "min": "MIN({})",
           "value": "MAX({})"}
ZERO_WHEN_EMPTY = ("sum", "count", "count_distinct")
INSTITUTION_BOOLEANS = ("serves_small_micro_agri",)  # not kept in the registry yet: false unless known


class Unsupported(GzgovError):
    """A metric the engine cannot compile (yet); the rule is reported as skipped, not run."""

    def __init__(self, reason: str) -> None:
        super().__init__("finreg_metric_unsupported", f"引擎暂不支持：{reason}", f"Not supported by the engine: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class BreachResult:
    institution: str
    rule: str
    period: str
    value: Decimal
    limit: Decimal
    comparator: str
    unit: str
    severity: str
    basis: str
    explanation: dict

    def as_json(self) -> dict[str, Any]:
        """The shape of `gzgov finreg check --json`: institution, rule, value, limit, severity, basis."""
        return {"institution": self.institution, "rule": self.rule, "period": self.period, "value": str(self.value),
                "limit": f"{self.comparator} {self.limit}", "severity": self.severity, "basis": self.basis,
                "explanation": self.explanation}


@dataclass(frozen=True)
class Skipped:
    institution: str
    rule: str
    reason: str  # no_data | not_applicable | zero_denominator | unsupported: …


@dataclass
class CheckRun:
    period: str
    breaches: list[BreachResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sql: dict[str, str] = field(default_factory=dict)  # rule id -> the query run


# ---------------------------------------------------------------- SQL pieces


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    scale = -value.as_tuple().exponent
    return f"CAST('{value}' AS DECIMAL(38,{scale}))"


def condition_sql(c: Condition, prefix: str = "") -> str:
    col = prefix + _ident(c.field)
    if c.op == "is_null":
        return f"{col} IS NULL"
    if c.op == "not_null":
        return f"{col} IS NOT NULL"
    if c.op in ("in", "not_in"):
        items = ", ".join(_literal(v) for v in c.value) or "NULL"
        return f"{col} {'NOT IN' if c.op == 'not_in' else 'IN'} ({items})"
    return f"{col} {SQL_OPS[c.op]} {_literal(c.value)}"


def _where(conditions: tuple[Condition, ...] | list[Condition], *extra: str) -> str:
    parts = [*extra, *(condition_sql(c) for c in conditions)]
    return " AND ".join(parts) if parts else "TRUE"


def term_sql(t: Term, booleans: frozenset[str] = frozenset()) -> str:
    """A per-row term; booleans count as 0/1; add/sub read a missing amount as 0. `div` only at the top of a
    flag's value (see _ratio_term), so that the verdict stays exact."""
    if t.op == "field":
        col = _ident(t.field)
        return f"CAST({col} AS INTEGER)" if t.field in booleans else col
    if t.op == "const":
        return _number(t.const)
    if t.op == "div":
        raise Unsupported("div inside an aggregate or nested in a term")
    args = [term_sql(a, booleans) for a in t.args]
    if t.op in ("add", "sub"):
        args = [f"COALESCE({a}, 0)" for a in args]
    return "(" + {"add": " + ", "sub": " - ", "mul": " * "}[t.op].join(args) + ")"


def _ratio_term(t: Term, booleans: frozenset[str]) -> tuple[str, str]:
    if t.op == "div":
        return term_sql(t.args[0], booleans), term_sql(t.args[1], booleans)
    return term_sql(t, booleans), "1"


def _agg_sql(a: Aggregate, booleans: frozenset[str]) -> str:
    if a.agg == "count":
        return "COUNT(*)" if a.of is None else f"COUNT({term_sql(a.of, booleans)})"
    return AGG_SQL[a.agg].format(term_sql(a.of, booleans))


# ---------------------------------------------------------------- compiling a metric


@dataclass(frozen=True)
class Compiler:
    book: RuleBook
    codes: tuple[str, ...]  # the institutions the rule is run for

    def booleans(self, dataset: str) -> frozenset[str]:
        return frozenset(f.name for f in self.book.dataset(dataset).fields if f.type == "boolean")

    def key(self, dataset: str) -> str:
        keys = load_datasets()[dataset].key  # the record's own id
        return " || '/' || ".join(_ident(k) for k in keys) if keys else "NULL"

    def mine(self) -> str:
        return "institution_code IN (" + ", ".join(_literal(c) for c in self.codes) + ")"

    def driver(self) -> str:
        return "SELECT * FROM (VALUES " + ", ".join(f"({_literal(c)})" for c in self.codes) + ") e(institution_code)"

    def aggregate(self, a: Aggregate, group: str | None) -> str:
        keys = "institution_code" + (f", {_ident(group)} AS grp" if group else "")
        n = 2 if group else 1
        by = ", ".join(str(i) for i in range(1, n + 1))
        return (f"SELECT {keys}, {_agg_sql(a, self.booleans(a.dataset))} AS v FROM {_ident(a.dataset)} "
                f"WHERE {_where(a.where, self.mine())} GROUP BY {by}")

    def per_institution(self, a: Aggregate) -> str:
        v = "COALESCE(a.v, 0)" if a.agg in ZERO_WHEN_EMPTY else "a.v"
        return f"SELECT e.institution_code, {v} AS v FROM ({self.driver()}) e LEFT JOIN ({self.aggregate(a, None)}) a " \
               "USING (institution_code)"

    def base(self, m: Metric) -> str:
        """Rows (institution_code, grp, n, d) for the metric."""
        if m.scope == "all_institutions":
            return self._all_institutions(m)
        if m.kind == "flag":
            return self._flag(m)
        if m.kind == "ratio":
            return self._ratio(m)
        return self._value(m)

    def _ratio(self, m: Metric) -> str:
        num, den = m.numerator, m.denominator
        if not m.group_by:
            return (f"SELECT n.institution_code, NULL AS grp, n.v AS n, d.v AS d FROM ({self.per_institution(num)}) n "
                    f"JOIN ({self.per_institution(den)}) d USING (institution_code)")
        grouped_den = self.book.dataset(den.dataset).grain == "record"
        den_sql = self.aggregate(den, m.group_by) if grouped_den else self.per_institution(den)
        using = "institution_code, grp" if grouped_den else "institution_code"
        return (f"SELECT n.institution_code, n.grp, n.v AS n, d.v AS d FROM ({self.aggregate(num, m.group_by)}) n "
                f"LEFT JOIN ({den_sql}) d USING ({using})")

    def _value(self, m: Metric) -> str:
        if not m.group_by:
            return f"SELECT institution_code, NULL AS grp, v AS n, 1 AS d FROM ({self.per_institution(m.value)}) t"
        return f"SELECT institution_code, grp, v AS n, 1 AS d FROM ({self.aggregate(m.value, m.group_by)}) t"

    def _flag(self, m: Metric) -> str:
        booleans = self.booleans(m.dataset)
        group = _ident(m.group_by) if m.group_by else self.key(m.dataset)
        n, d = _ratio_term(m.expression, booleans)
        return (f"SELECT institution_code, {group} AS grp, {n} AS n, {d} AS d FROM {_ident(m.dataset)} "
                f"WHERE {_where(m.where, self.mine())}")

    def _all_institutions(self, m: Metric) -> str:
        if m.kind not in ("total", "count") or not m.group_by:
            raise Unsupported("scope all_institutions other than a grouped total or count")
        a, g = m.value, _ident(m.group_by)
        return (f"SELECT m.institution_code, m.grp, t.v AS n, 1 AS d FROM "
                f"(SELECT DISTINCT institution_code, {g} AS grp FROM {_ident(a.dataset)} "
                f"WHERE {_where(a.where, self.mine())}) m JOIN "
                f"(SELECT {g} AS grp, {_agg_sql(a, self.booleans(a.dataset))} AS v FROM {_ident(a.dataset)} "
                f"WHERE {_where(a.where)} GROUP BY 1) t USING (grp)")


def _worst_order(rule: Rule) -> str:
    value = "CAST(n AS DOUBLE) / CAST(d AS DOUBLE)"  # ordering only; the verdict is exact
    if rule.limit.comparator in ("<=", "<"):
        return f"{value} DESC"
    if rule.limit.comparator in (">=", ">"):
        return f"{value} ASC"
    return f"ABS({value} - {rule.limit.value}) DESC"


def compile_rule(rule: Rule, book: RuleBook, codes: tuple[str, ...]) -> str:
    """The query giving, per institution, its five worst breaching groups (or data-quality rows)."""
    base = Compiler(book, codes).base(rule.metric)
    holds = f"n {SQL_OPS[rule.limit.comparator]} {_number(rule.limit.value)} * d"
    return (
        f"WITH base AS ({base}),\n"
        f"flagged AS (SELECT *, (n IS NULL OR d IS NULL OR d <= 0) AS dq FROM base\n"
        f"  WHERE n IS NULL OR d IS NULL OR d <= 0 OR NOT ({holds})),\n"
        f"ranked AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY institution_code ORDER BY dq, {_worst_order(rule)}, grp)"
        f" AS rn,\n  COUNT(*) FILTER (WHERE NOT dq) OVER (PARTITION BY institution_code) AS hits FROM flagged)\n"
        f"SELECT institution_code, grp, n, d, dq, hits FROM ranked WHERE rn <= {TOP} ORDER BY institution_code, rn"
    )


# ---------------------------------------------------------------- the data of a period


def _datasets_of(m: Metric) -> set[str]:
    parts = [m.numerator, m.denominator, m.value]
    found = {p.dataset for p in parts if p is not None} | ({m.dataset} if m.dataset else set())
    return found | {c.dataset for c in m.applies_when if c.dataset}


def _derived_fields(rule: Rule, book: RuleBook) -> list[str]:
    m = rule.metric
    terms = [t for t in (m.expression, *(a.of for a in (m.numerator, m.denominator, m.value) if a)) if t]
    names = {f for t in terms for f in t.fields()}
    return sorted(f.name for ds in _datasets_of(m) if ds != "institution"
                  for f in book.dataset(ds).fields if f.derived and f.name in names)


def _column(f, present: set[str]) -> str:
    if f.name not in present:
        sql_type = {"integer": "BIGINT", "decimal": DECIMAL_SQL, "boolean": "BOOLEAN", "date": "DATE"}
        return f"CAST(NULL AS {sql_type.get(f.type, 'VARCHAR')}) AS {_ident(f.name)}"
    if f.type == "decimal":  # stored as exact strings by the intake
        return f"CAST({_ident(f.name)} AS {DECIMAL_SQL}) AS {_ident(f.name)}"
    return _ident(f.name)


def _create_view(con: duckdb.DuckDBPyConnection, dataset: str, paths: list[Path]) -> None:
    present = {name for p in paths for name in pq.read_schema(p).names}
    cols = ", ".join(_column(f, present) for f in load_datasets()[dataset].fields)  # with the common fields
    files = "[" + ", ".join(_literal(str(p)) for p in paths) + "]"
    con.execute(f"CREATE VIEW {_ident(dataset)} AS SELECT {cols} FROM read_parquet({files}, union_by_name = true)")


def _institution_table(insts: list[Institution]) -> pa.Table:
    return pa.table({
        "institution_code": pa.array([i.code for i in insts], pa.string()),
        "code": pa.array([i.code for i in insts], pa.string()),
        "kind": pa.array([i.kind for i in insts], pa.string()),
        "subkind": pa.array([i.subkind or "" for i in insts], pa.string()),
        "registered_capital_fen": pa.array([i.registered_capital_fen for i in insts], pa.int64()),
        **{name: pa.array([False] * len(insts), pa.bool_()) for name in INSTITUTION_BOOLEANS},
    })


@dataclass
class PeriodData:
    con: duckdb.DuckDBPyConnection
    institutions: list[Institution]
    submitted: set[tuple[str, str]]  # (institution code, dataset)


def load_period(session: Session, book: RuleBook, period: str) -> PeriodData:
    """DuckDB views over the period's current submissions (every institution's) and the registry."""
    rows = session.execute(select(Institution.code, Submission.dataset, Submission.path)
                           .join(Institution, Institution.id == Submission.institution_id)
                           .where(Submission.period == period, Submission.status == "current")).all()
    by_dataset: dict[str, list[Path]] = defaultdict(list)
    for _code, dataset, path in rows:
        by_dataset[dataset].append(intake.store_dir() / path)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    insts = list(session.scalars(select(Institution).order_by(Institution.code)))
    con.register("institution", _institution_table(insts))
    for dataset, paths in by_dataset.items():
        _create_view(con, dataset, sorted(paths))
    return PeriodData(con, insts, {(code, dataset) for code, dataset, _ in rows} |
                      {(i.code, "institution") for i in insts})


# ---------------------------------------------------------------- running


def _last_day(period: str) -> date:
    y, m = (int(x) for x in intake._period(period).split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def _decimal(f: Fraction) -> Decimal:
    """An exact fraction for display: exact when it terminates, else 28 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 28
        value = Decimal(f.numerator) / Decimal(f.denominator)
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _applying(data: PeriodData, m: Metric, codes: list[str]) -> set[str]:
    if not m.applies_when:
        return set(codes)
    found = set(codes)
    for dataset in sorted({c.dataset for c in m.applies_when}):
        conds = [c for c in m.applies_when if c.dataset == dataset]
        got = data.con.execute(f"SELECT DISTINCT institution_code FROM {_ident(dataset)} WHERE {_where(conds)}")
        found &= {r[0] for r in got.fetchall()}
    return found


def describe(rule: Rule) -> str:
    """The metric in words, e.g. "sum(loans.balance_fen) by borrower_id ÷ value(financials.net_assets_fen)"."""
    m = rule.metric

    def term(t: Term | None) -> str:
        if t is None:
            return "*"
        if t.op == "field":
            return t.field
        if t.op == "const":
            return str(t.const)
        return f"{t.op}(" + ", ".join(term(a) for a in t.args) + ")"

    def agg(a: Aggregate) -> str:
        where = f" where {' and '.join(condition_sql(c) for c in a.where)}" if a.where else ""
        return f"{a.agg}({a.dataset}.{term(a.of)}){where}"

    if m.kind == "ratio":
        text = f"{agg(m.numerator)} ÷ {agg(m.denominator)}"
    elif m.kind == "flag":
        text = f"{m.dataset}: {term(m.expression)} per record"
    else:
        text = agg(m.value)
    return text + (f" by {m.group_by}" if m.group_by else "") + (" across all institutions" if m.scope != "institution"
                                                                 else "")


def _contributor(row: tuple, value: Fraction) -> dict:
    _code, grp, n, d, *_ = row
    return {"group": None if grp is None else str(grp), "value": str(_decimal(value)), "numerator": str(n),
            "denominator": str(d)}


def _judge(rule: Rule, period: str, code: str, rows: list[tuple], run: CheckRun) -> None:
    """The exact verdict on one institution's worst rows."""
    valid = [(r, Fraction(r[2]) / Fraction(r[3])) for r in rows if not r[4]]
    limit = Fraction(rule.limit.value)
    breaching = sorted(((r, v) for r, v in valid if not _holds(rule.limit.comparator, v, limit)),
                       key=lambda rv: _badness(rule.limit.comparator, rv[1], limit))
    if not breaching:
        if any(r[4] for r in rows):
            run.skipped.append(Skipped(code, rule.id, "zero_denominator"))
        return
    worst_row, worst = breaching[0]
    m = rule.metric
    explanation = {
        "rule": rule.id, "name_zh": rule.name_zh, "name_en": rule.name_en, "metric": describe(rule),
        "numerator": str(worst_row[2]), "denominator": str(worst_row[3]), "group_by": m.group_by,
        "limit": rule.limit.label(), "unit": rule.limit.unit, "breaching_groups": int(worst_row[5] or 0),
        "top": [_contributor(r, v) for r, v in breaching[:TOP]] if (m.group_by or m.kind == "flag") else [],
    }
    run.breaches.append(BreachResult(
        code, rule.id, period, _decimal(worst), rule.limit.value, rule.limit.comparator, rule.limit.unit,
        rule.severity, f"{rule.basis.document_number} {rule.basis.article}", explanation))


def _badness(comparator: str, value: Fraction, limit: Fraction) -> Fraction:
    """Sort key: the worst breach first."""
    if comparator in ("<=", "<"):
        return -value
    if comparator in (">=", ">"):
        return value
    return -abs(value - limit)


def _holds(comparator: str, value: Fraction, limit: Fraction) -> bool:
    return {"<=": value <= limit, ">=": value >= limit, "<": value < limit, ">": value > limit,
            "==": value == limit}[comparator]


def _run_rule(data: PeriodData, book: RuleBook, rule: Rule, period: str, codes: list[str], run: CheckRun) -> None:
    needed = _datasets_of(rule.metric)
    derived = _derived_fields(rule, book)
    if derived:
        run.skipped += [Skipped(c, rule.id, f"unsupported: derived {', '.join(derived)}") for c in codes]
        return
    with_data = [c for c in codes if all((c, ds) in data.submitted for ds in needed)]
    run.skipped += [Skipped(c, rule.id, "no_data") for c in codes if c not in with_data]
    if not with_data:
        return
    applying = _applying(data, rule.metric, with_data)
    run.skipped += [Skipped(c, rule.id, "not_applicable") for c in with_data if c not in applying]
    if not applying:
        return
    try:
        sql = compile_rule(rule, book, tuple(sorted(applying)))
    except Unsupported as exc:
        run.skipped += [Skipped(c, rule.id, f"unsupported: {exc.reason}") for c in sorted(applying)]
        return
    run.sql[rule.id] = sql
    by_code: dict[str, list[tuple]] = defaultdict(list)
    for row in data.con.execute(sql).fetchall():
        by_code[row[0]].append(row)
    for code in sorted(by_code):
        _judge(rule, period, code, by_code[code], run)


def run_period(session: Session, period: str, institution_codes: list[str] | None = None,
               book: RuleBook | None = None) -> CheckRun:
    """Every rule in force on the period's last day, for every institution (or those named): breaches and
    what was skipped (no data, not applicable, zero denominator, unsupported)."""
    book = book or load_rules()
    last = _last_day(period)
    data = load_period(session, book, period)
    wanted = set(institution_codes) if institution_codes is not None else None
    codes_by_rule: dict[str, list[str]] = defaultdict(list)
    for inst in data.institutions:
        if wanted is None or inst.code in wanted:
            for rule in rules_in_force(book.rules, last, inst.kind):
                codes_by_rule[rule.id].append(inst.code)
    run = CheckRun(period)
    try:
        for rule_id in sorted(codes_by_rule):
            _run_rule(data, book, book.rule(rule_id), period, codes_by_rule[rule_id], run)
    finally:
        data.con.close()
    run.breaches.sort(key=lambda b: (b.institution, b.rule))
    return run


def check_period(session: Session, period: str, institution_codes: list[str] | None = None) -> list[BreachResult]:
    """The breaches of a period (`gzgov finreg check --period YYYY-MM --json` prints `b.as_json()` of each)."""
    return run_period(session, period, institution_codes).breaches


def to_breach(r: BreachResult) -> cases.Breach:
    return cases.Breach(r.institution, r.rule, r.period, LEVEL[r.severity], r.value, r.limit, r.basis,
                        r.explanation)


def raise_warnings(session: Session, actor: Actor, period: str) -> tuple[int, int]:
    """Check the period and record each breach as a warning; returns (created, refreshed)."""
    created = refreshed = 0
    for r in check_period(session, period):
        _, new = cases.raise_warning(session, actor, to_breach(r))
        created, refreshed = created + new, refreshed + (not new)
    return created, refreshed
