"""The rule engine (规则引擎): each rule's metric compiled to SQL (`gzgov.finreg.analytics.sql`) and run over the
current Parquet submissions of a period, in DuckDB on one machine or on Spark (`gzgov.finreg.analytics.spark`)
at province scale.

Every metric compiles to one query per rule over all institutions it applies to, giving rows
(institution_code, grp, n, d): the measured value of a group (a borrower, a record, or the whole institution)
is n ÷ d. n and d are exact (integer or DECIMAL sums, never floats); the query keeps only the groups that
breach (cross-multiplied: NOT (n <= L × d)), ranked worst first, five per institution. The SQL is written for
a `Dialect` (quoting, string type, how integers are summed) and run through a small `Backend` (register the
Parquet files and the registry, execute a query); everything after the rows come back — the verdict on exact
fractions, the explanation, what was skipped — is the same code for every engine. How metrics compile, with
an example of the SQL, is in docs/finreg-engine.md.
"""

from __future__ import annotations

import calendar
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.config import get_settings
from gzgov.core.auth import Actor
from gzgov.core.errors import GzgovError
from gzgov.finreg import cases, intake, reference_rates
from gzgov.finreg.analytics.sql import (
    DUCKDB,
    TOP,
    Compiler,
    Dialect,
    Shared,
    SharedTable,
    Unsupported,
    compile_rule,
    condition_sql,
    metric_uses,
    plan_shared,
    where_sql,
)
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.models import Institution, Submission
from gzgov.finreg.rules import Aggregate, Condition, Metric, Rule, RuleBook, Term, load_rules, rules_in_force

LEVEL = {"red": "red", "orange": "orange", "yellow": "yellow"}  # rule severity -> warning level
INSTITUTION_BOOLEANS = ("serves_small_micro_agri",)  # registry flags the rules may test (Institution attributes)
ENGINES = ("duckdb", "spark")


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
    shared: dict[str, str] = field(default_factory=dict)  # shared aggregate table -> the query that filled it


# ---------------------------------------------------------------- the data of a period, on an engine


class Backend(Protocol):
    """An SQL engine the compiled rules run on (DuckDB here; Spark in gzgov.finreg.analytics.spark)."""

    dialect: Dialect

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        """The files (of one schema) as the relation `name`, columns as stored."""

    def register_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        """Rows as the relation `name`; columns are (name, contract type: string | integer | boolean)."""

    def create_view(self, name: str, sql: str) -> None: ...

    def materialize(self, name: str, parts: list[str]) -> None:
        """The rows of the queries (disjoint parts of one result, UNION ALL) as the relation `name`, computed
        once if the engine can hold it."""

    def drop(self, name: str) -> None:
        """Free a shared aggregate table no rule of the run reads any more."""

    batch_rows: int | None
    """Rows of data a grouped shared table is computed from at a time (whole institutions per part), or None
    for one query."""

    def execute(self, sql: str) -> list[tuple]:
        """The rows of a query as tuples of Python int, Decimal, str, bool, date or None."""

    def close(self) -> None: ...


class DuckDBBackend:
    """One in-process DuckDB connection (two threads), dropped with the run. Its memory is capped
    (GZGOV_DUCKDB_MEMORY, default 3GB): beyond it the shared aggregate tables spill to var/tmp/duckdb."""

    dialect = DUCKDB
    ARROW = {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}
    # rows reaching a grouping per part: its hash table stays a few million groups, which bounds its memory;
    # over 50M loans grouped by (company, borrower), parts of about 5M rows took 21% less time than one query
    # on DuckDB 1.x and about the same on 2.0.1 (docs/finreg-engine.md, "Storage")
    batch_rows: int | None = 5_000_000

    def __init__(self) -> None:
        spill = get_settings().var_dir / "tmp" / "duckdb"
        spill.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(config={
            "threads": 2, "memory_limit": os.environ.get("GZGOV_DUCKDB_MEMORY") or "3GB",
            "temp_directory": str(spill), "preserve_insertion_order": False})
        self.con.execute("SET enable_progress_bar = false")

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        files = "[" + ", ".join(DUCKDB.literal(str(p)) for p in paths) + "]"
        self.create_view(name, f"SELECT * FROM read_parquet({files}, union_by_name = true)")

    def register_rows(self, name: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
        self.con.register(name, pa.table({c: pa.array([r[i] for r in rows], self.ARROW[t])
                                          for i, (c, t) in enumerate(columns)}))

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE VIEW {DUCKDB.ident(name)} AS {sql}")

    def materialize(self, name: str, parts: list[str]) -> None:
        self.con.execute(f"CREATE TEMP TABLE {DUCKDB.ident(name)} AS {parts[0]}")
        for sql in parts[1:]:
            self.con.execute(f"INSERT INTO {DUCKDB.ident(name)} {sql}")

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE {DUCKDB.ident(name)}")

    def execute(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


def open_backend(engine: str) -> Backend:
    """The backend named by `--engine`; Spark is imported only when asked for."""
    if engine == "duckdb":
        return DuckDBBackend()
    if engine == "spark":
        from gzgov.finreg.analytics.spark import SparkBackend

        return SparkBackend()
    raise GzgovError("unknown_engine", f"未知的规则引擎：{engine}（可选：{'、'.join(ENGINES)}）",
                     f"Unknown rule engine: {engine} (choose one of: {', '.join(ENGINES)})", engine=engine)


def _datasets_of(m: Metric) -> set[str]:
    parts = [m.numerator, m.denominator, m.value]
    found = {p.dataset for p in parts if p is not None} | ({m.dataset} if m.dataset else set())
    return found | {c.dataset for c in m.applies_when if c.dataset}


def _derived_fields(rule: Rule, book: RuleBook) -> list[str]:
    """The derived fields the rule reads that the engine cannot fill (those without a reference series)."""
    m = rule.metric
    terms = [t for t in (m.expression, *(a.of for a in (m.numerator, m.denominator, m.value) if a)) if t]
    names = {f for t in terms for f in t.fields()}
    fillable = reference_rates.by_field()
    return sorted(f.name for ds in _datasets_of(m) if ds != "institution"
                  for f in book.dataset(ds).fields if f.derived and f.name in names and f.name not in fillable)


def _date_literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _reference_sql(series: reference_rates.Series, dialect: Dialect) -> str:
    """The series' rate on each record's date as a CASE over its spans (equal consecutive rates merged): no
    join, so a rule that does not read the field pays nothing, and the same SQL runs on every engine. A record
    dated outside the known spans (before the first publication, or after the series is known) gets NULL."""
    spans: list[list] = []
    for sp in series.spans:
        if spans and spans[-1][2] == sp.rate and spans[-1][1] is not None and \
                (sp.valid_from - spans[-1][1]).days == 1:
            spans[-1][1] = sp.valid_to
        else:
            spans.append([sp.valid_from, sp.valid_to, sp.rate])
    on = dialect.ident(series.date_field)
    arms = " ".join(f"WHEN {on} >= {_date_literal(a)}"
                    + (f" AND {on} <= {_date_literal(b)}" if b is not None else "")
                    + f" THEN {rate}" for a, b, rate in reversed(spans))  # newest first: most records are recent
    return f"CASE {arms} ELSE NULL END"


def _column(f, present: set[str], dialect: Dialect) -> str:
    """A contract field cast to its type, whatever the file stored (decimals as strings or as DECIMAL); a
    derived field with a reference series is filled from the series by the record's date."""
    series = reference_rates.by_field().get(f.name) if f.derived else None
    if series is not None and series.date_field in present:
        value = _reference_sql(series, dialect)
    else:
        value = dialect.ident(f.name) if f.name in present else "NULL"
    return f"CAST({value} AS {dialect.sql_type(f.type)}) AS {dialect.ident(f.name)}"


def _register_dataset(backend: Backend, dataset: str, paths: list[Path],
                      metas: dict[Path, pq.FileMetaData]) -> None:
    """The dataset as a view of every contract field over its files: one relation per stored schema (a kind's
    own fields, or a column stored another way), each cast to the contract, then UNION ALL."""
    schemas: dict[tuple, list[Path]] = defaultdict(list)
    for p in paths:
        schema = metas[p].schema.to_arrow_schema()
        schemas[tuple(sorted((f.name, str(f.type)) for f in schema))].append(p)
    parts = []
    for i, (schema, files) in enumerate(sorted(schemas.items())):
        raw, present = f"{dataset}__files{i}", {name for name, _type in schema}
        backend.register_parquet(raw, files)
        cols = ", ".join(_column(f, present, backend.dialect) for f in load_datasets()[dataset].fields)
        parts.append(f"SELECT {cols} FROM {backend.dialect.ident(raw)}")
    backend.create_view(dataset, " UNION ALL ".join(parts))


def _institution_rows(insts: list[Institution]) -> tuple[list[tuple[str, str]], list[tuple]]:
    columns = [("institution_code", "string"), ("code", "string"), ("kind", "string"), ("subkind", "string"),
               ("registered_capital_fen", "integer"), *((name, "boolean") for name in INSTITUTION_BOOLEANS)]
    rows = [(i.code, i.code, i.kind, i.subkind or "", i.registered_capital_fen,
             *(bool(getattr(i, name)) for name in INSTITUTION_BOOLEANS)) for i in insts]
    return columns, rows


@dataclass
class PeriodData:
    backend: Backend
    institutions: list[Institution]
    submitted: set[tuple[str, str]]  # (institution code, dataset)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (institution code, dataset) -> rows stored
    # (institution code, dataset) -> each stored column's non-null values, where the file's statistics say
    non_null: dict[tuple[str, str], dict[str, int | None]] = field(default_factory=dict)

    def reaching(self, code: str, dataset: str, conditions: tuple[Condition, ...]) -> int:
        """At most how many of the institution's stored rows of `dataset` pass `conditions`: the fewest
        non-null values of a stored field the conditions require not null (none where the file lacks it), else
        every row. Exact bounds from the Parquet footers, for sizing parts; never a filter."""
        n = self.rows.get((code, dataset), 0)
        stored = self.non_null.get((code, dataset))
        if stored is None:
            return n
        fields = {f.name: f for f in load_datasets()[dataset].fields}
        for c in conditions:
            f = fields.get(c.field)
            if c.op != "not_null" or f is None or f.derived:
                continue
            known = stored.get(c.field, 0)  # a field the file does not carry is NULL in every row
            if known is not None:
                n = min(n, known)
        return n


def _non_null(meta: pq.FileMetaData) -> dict[str, int | None]:
    """Each stored column's non-null values, from its row groups' statistics (None where they do not say)."""
    counts: dict[str, int | None] = {}
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        for c in range(rg.num_columns):
            col = rg.column(c)
            st, name = col.statistics, col.path_in_schema
            if name in counts and counts[name] is None:
                continue
            counts[name] = None if st is None or not st.has_null_count else \
                counts.get(name, 0) + rg.num_rows - st.null_count
    for name in meta.schema.names:  # a column without row groups holds no values
        counts.setdefault(name, 0)
    return counts


def _add_counts(a: dict[str, int | None] | None, b: dict[str, int | None]) -> dict[str, int | None]:
    """The non-null values of two files of one institution's dataset (a column one file lacks counts 0 there;
    None, unknown, stays unknown)."""
    if a is None:
        return b
    return {k: None if a.get(k, 0) is None or b.get(k, 0) is None else a.get(k, 0) + b.get(k, 0)
            for k in a.keys() | b.keys()}


def load_period(session: Session, book: RuleBook, period: str, backend: Backend | None = None) -> PeriodData:
    """Views over the period's current submissions (every institution's) and the registry, on the backend."""
    backend = backend or DuckDBBackend()
    rows = session.execute(select(Institution.code, Submission.dataset, Submission.path, Submission.rows)
                           .join(Institution, Institution.id == Submission.institution_id)
                           .where(Submission.period == period, Submission.status == "current")).all()
    by_dataset: dict[str, list[Path]] = defaultdict(list)
    metas: dict[Path, pq.FileMetaData] = {}
    non_null: dict[tuple[str, str], dict[str, int | None]] = {}
    for code, dataset, path, _n in rows:
        full = intake.store_dir() / path
        by_dataset[dataset].append(full)
        metas[full] = pq.read_metadata(full)  # the footer: the schema and each column's statistics
        non_null[(code, dataset)] = _add_counts(non_null.get((code, dataset)), _non_null(metas[full]))
    insts = list(session.scalars(select(Institution).order_by(Institution.code)))
    backend.register_rows("institution", *_institution_rows(insts))
    for dataset, paths in sorted(by_dataset.items()):
        _register_dataset(backend, dataset, sorted(paths), metas)
    return PeriodData(backend, insts, {(code, dataset) for code, dataset, _, _ in rows} |
                      {(i.code, "institution") for i in insts},
                      {(code, dataset): n or 0 for code, dataset, _, n in rows}, non_null)


# ---------------------------------------------------------------- running (the same for every engine)


def _last_day(period: str) -> date:
    y, m = (int(x) for x in intake._period(period).split("-"))
    return date(y, m, calendar.monthrange(y, m)[1])


def _decimal(f: Fraction) -> Decimal:
    """An exact fraction for display: exact when it terminates, else 28 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 28
        value = Decimal(f.numerator) / Decimal(f.denominator)
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _exact(x: Any) -> int | Decimal | None:
    """n or d as the engines agree on it: an int when whole (HUGEINT, BIGINT or DECIMAL(38,0) alike), else a
    Decimal without trailing zeros (the scale an engine gives a product is its own)."""
    if x is None or isinstance(x, int):
        return x
    d = Decimal(x)
    return int(d) if d == d.to_integral_value() else d.normalize()


def _text(x: Any) -> str:
    return format(x, "f") if isinstance(x, Decimal) else str(x)


def _applying(data: PeriodData, m: Metric, codes: list[str]) -> set[str]:
    if not m.applies_when:
        return set(codes)
    found, dialect = set(codes), data.backend.dialect
    for dataset in sorted({c.dataset for c in m.applies_when}):
        conds = [c for c in m.applies_when if c.dataset == dataset]
        got = data.backend.execute(f"SELECT DISTINCT institution_code FROM {dialect.ident(dataset)} "
                                   f"WHERE {where_sql(dialect, conds)}")
        found &= {r[0] for r in got}
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
    return {"group": None if grp is None else str(grp), "value": str(_decimal(value)), "numerator": _text(n),
            "denominator": _text(d)}


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
        "numerator": _text(worst_row[2]), "denominator": _text(worst_row[3]), "group_by": m.group_by,
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


def _runnable(data: PeriodData, book: RuleBook, rule: Rule, codes: list[str], run: CheckRun) -> list[str]:
    """The institutions the rule can run for (sorted); the others are recorded as skipped, with the reason."""
    needed = _datasets_of(rule.metric)
    derived = _derived_fields(rule, book)
    if derived:
        run.skipped += [Skipped(c, rule.id, f"unsupported: derived {', '.join(derived)}") for c in codes]
        return []
    with_data = [c for c in codes if all((c, ds) in data.submitted for ds in needed)]
    run.skipped += [Skipped(c, rule.id, "no_data") for c in codes if c not in with_data]
    if not with_data:
        return []
    applying = _applying(data, rule.metric, with_data)
    run.skipped += [Skipped(c, rule.id, "not_applicable") for c in with_data if c not in applying]
    return sorted(applying)


def _share(data: PeriodData, book: RuleBook, work: list[tuple[Rule, list[str]]],
           run: CheckRun) -> tuple[Shared, dict[str, list[str]]]:
    """Every aggregate the rules read per institution (and group) computed together, one pass per dataset and
    grouping (`analytics.sql.plan_shared`), for all the institutions of the run. On a backend that takes a
    grouping in parts (`batch_rows`), each part holds whole institutions, so every group lies in one part and
    the table has the rows one query gives; a part computes only the aggregates its institutions' rules read.
    Returns the plan and each table's queries (`_run_shared` fills the tables)."""
    uses = [(use, cs) for rule, cs in work for use in metric_uses(rule.metric, book)]
    shared = plan_shared([use for use, _cs in uses])
    codes = tuple(sorted({c for _rule, cs in work for c in cs}))
    dialect = data.backend.dialect
    fills: dict[str, list[str]] = {}
    for table in shared.tables:
        parts = _parts(data, table, codes, [(a, None if everyone else set(cs)) for (a, group, everyone), cs in uses
                                            if a.dataset == table.dataset and group == table.group])
        if parts is None:
            sqls = [Compiler(book, codes, dialect, whole=_whole(data, {table.dataset}, codes)).shared_sql(table)]
        else:
            own = replace(table, everyone=False)
            full = frozenset(table.aggregates)
            sqls = [Compiler(book, part, dialect).shared_sql(own, None if need == full else need)
                    for part, need in parts]
            if not parts or any(need != full for _part, need in parts):  # first, the columns' types
                sqls.insert(0, Compiler(book, (), dialect).shared_sql(own, empty=True))
        run.shared[table.name] = "\nUNION ALL\n".join(sqls)
        fills[table.name] = sqls
    return shared, fills


def _run_shared(data: PeriodData, book: RuleBook, period: str, work: list[tuple[Rule, list[str]]], run: CheckRun,
                shared: Shared, fills: dict[str, list[str]]) -> None:
    """The rules over the shared tables, one grouped table at a time: a grouped table (millions of rows over a
    large book) is filled, every rule whose tables are all there is run, and a grouped table no rule still
    waiting reads is dropped, so that at most the grouped tables of one rule are held at once; the tables per
    institution (one row each) stay for the run."""
    reads = {rule.id: {t.name for a, group, _everyone in metric_uses(rule.metric, book)
                       if (t := shared.find(a, group)) is not None} for rule, _codes in work}
    made: set[str] = set()
    for table in shared.tables:
        if table.group is None:
            data.backend.materialize(table.name, fills[table.name])
            made.add(table.name)
    pending = list(work)

    def run_ready() -> None:
        nonlocal pending
        waiting = []
        for rule, codes in pending:
            if reads[rule.id] <= made:
                _run_rule(data, book, rule, period, codes, run, shared)
            else:
                waiting.append((rule, codes))
        pending = waiting

    run_ready()
    grouped = [t.name for t in shared.tables if t.group is not None]
    for name in grouped:
        data.backend.materialize(name, fills[name])
        made.add(name)
        run_ready()
        for held in grouped:
            if held in made and not any(held in reads[rule.id] for rule, _codes in pending):
                data.backend.drop(held)
                made.discard(held)


def _parts(data: PeriodData, table: SharedTable, codes: tuple[str, ...],
           readers: list[tuple[Aggregate, set[str] | None]]) -> list[tuple[tuple[str, ...], frozenset]] | None:
    """A grouped table's institutions in parts of at most `batch_rows` rows reaching the grouping (an
    institution with more is a part of its own; a stored field the table's scan requires not null bounds them,
    from the files' statistics: `PeriodData.reaching`), each with the aggregates its institutions' rules read
    (`readers`: an aggregate and the institutions reading it, None for all); institutions needing the same
    aggregates share parts. None for one query: no grouping, or a backend that takes it whole."""
    limit = data.backend.batch_rows
    if table.group is None or limit is None:
        return None

    def needs(code: str) -> frozenset[Aggregate]:
        return frozenset(a for a, who in readers if who is None or code in who)

    # every institution with the dataset's rows (a stored file holds its own institution's rows only) whose
    # rules read the table: no rule reads the rows of the others
    holders = sorted((tuple(sorted(table.aggregates.index(a) for a in needs(c))), c) for c, ds in data.submitted
                     if ds == table.dataset and (table.everyone or c in codes) and needs(c))
    parts: list[tuple[tuple[str, ...], frozenset]] = []
    part: list[str] = []
    size, signature = 0, None
    for sig, code in holders:
        n = data.reaching(code, table.dataset, table.common)
        if part and (size + n > limit or sig != signature):
            parts.append((tuple(part), needs(part[0])))
            part, size = [], 0
        part.append(code)
        size, signature = size + n, sig
    if part:
        parts.append((tuple(part), needs(part[0])))
    return parts


def _whole(data: PeriodData, datasets: set[str], codes) -> frozenset[str]:
    """Of `datasets`, those every row of which belongs to one of `codes` (no other institution submitted it):
    a scan of them needs no `institution_code IN (…)` filter."""
    return frozenset(ds for ds in datasets if {c for c, d in data.submitted if d == ds} <= set(codes))


def _run_rule(data: PeriodData, book: RuleBook, rule: Rule, period: str, codes: list[str], run: CheckRun,
              shared: Shared = Shared()) -> None:
    whole = _whole(data, _datasets_of(rule.metric) - {"institution"}, codes)
    try:
        sql = compile_rule(rule, book, tuple(codes), data.backend.dialect, shared, whole)
    except Unsupported as exc:
        run.skipped += [Skipped(c, rule.id, f"unsupported: {exc.reason}") for c in codes]
        return
    run.sql[rule.id] = sql
    by_code: dict[str, list[tuple]] = defaultdict(list)
    for code, grp, n, d, dq, hits in data.backend.execute(sql):
        by_code[code].append((code, grp, _exact(n), _exact(d), bool(dq), int(hits or 0)))
    for code in sorted(by_code):
        _judge(rule, period, code, by_code[code], run)


def run_period(session: Session, period: str, institution_codes: list[str] | None = None,
               book: RuleBook | None = None, *, engine: str = "duckdb", share: bool = True) -> CheckRun:
    """Every rule in force on the period's last day, for every institution (or those named): breaches and
    what was skipped (no data, not applicable, zero denominator, unsupported). `engine` is duckdb or spark:
    the same SQL, the same verdicts. The aggregates the rules share are computed first, one pass over each
    dataset and grouping; then each rule's query reads them (`share=False`: each rule scans the data itself,
    the same verdicts, slower)."""
    book = book or load_rules()
    last = _last_day(period)
    backend = open_backend(engine)
    try:
        data = load_period(session, book, period, backend)
        wanted = set(institution_codes) if institution_codes is not None else None
        codes_by_rule: dict[str, list[str]] = defaultdict(list)
        for inst in data.institutions:
            if wanted is None or inst.code in wanted:
                for rule in rules_in_force(book.rules, last, inst.kind):
                    codes_by_rule[rule.id].append(inst.code)
        run = CheckRun(period)
        work = []
        for rule_id in sorted(codes_by_rule):
            rule = book.rule(rule_id)
            codes = _runnable(data, book, rule, codes_by_rule[rule_id], run)
            if codes:
                work.append((rule, codes))
        if share:
            _run_shared(data, book, period, work, run, *_share(data, book, work, run))
        else:
            for rule, codes in work:
                _run_rule(data, book, rule, period, codes, run)
    finally:
        backend.close()
    run.breaches.sort(key=lambda b: (b.institution, b.rule))
    return run


def check_period(session: Session, period: str, institution_codes: list[str] | None = None, *,
                 engine: str = "duckdb") -> list[BreachResult]:
    """The breaches of a period (`gzgov finreg check --period YYYY-MM [--engine spark] --json` prints
    `b.as_json()` of each)."""
    return run_period(session, period, institution_codes, engine=engine).breaches


def to_breach(r: BreachResult) -> cases.Breach:
    return cases.Breach(r.institution, r.rule, r.period, LEVEL[r.severity], r.value, r.limit, r.basis,
                        r.explanation)


def raise_warnings(session: Session, actor: Actor, period: str, *, engine: str = "duckdb",
                   breaches: list[BreachResult] | None = None) -> tuple[int, int]:
    """Check the period (or take its breaches, already found) and record each breach as a warning; returns
    (created, refreshed)."""
    created = refreshed = 0
    for r in breaches if breaches is not None else check_period(session, period, engine=engine):
        _, new = cases.raise_warning(session, actor, to_breach(r))
        created, refreshed = created + new, refreshed + (not new)
    return created, refreshed
