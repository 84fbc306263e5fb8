"""Rule metrics compiled to SQL (规则编译): one query per rule over every institution it runs for, giving per
institution its five worst breaching rows (institution_code, grp, n, d, dq, hits) with the value n ÷ d exact.

The SQL is written for a `Dialect`, which is all that differs between the engines: identifier quoting
(DuckDB "x", Spark `x`), string literals and the string type, and how integers are summed (Spark casts to
DECIMAL(38,0) first, since its SUM(BIGINT) is a BIGINT that overflows; DuckDB's is a HUGEINT). Decimal
literals are CAST('…' AS DECIMAL(38,s)) in both, and both multiply decimals without rounding (Spark with
spark.sql.decimalOperations.allowPrecisionLoss=false), so the breach filter NOT (n <= L × d) is exact on
either engine. Pure: no data, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gzgov.core.errors import GzgovError
from gzgov.finreg.contracts import load_datasets
from gzgov.finreg.rules import Aggregate, Condition, Metric, Rule, RuleBook, Term

TOP = 5
DECIMAL_SCALE = 10
DECIMAL_SQL = f"DECIMAL(28,{DECIMAL_SCALE})"  # a contract decimal field
SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
AGG_SQL = {"sum": "SUM({})", "count_distinct": "COUNT(DISTINCT {})", "max": "MAX({})", "min": "MIN({})",
           "value": "MAX({})"}
ZERO_WHEN_EMPTY = ("sum", "count", "count_distinct")


class Unsupported(GzgovError):
    """A metric the engine cannot compile (yet); the rule is reported as skipped, not run."""

    def __init__(self, reason: str) -> None:
        super().__init__("finreg_metric_unsupported", f"引擎暂不支持：{reason}", f"Not supported by the engine: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL the engines read; everything else in the compiled SQL is shared."""

    name: str
    quote: str  # identifiers: "x" in DuckDB, `x` in Spark
    string_type: str  # VARCHAR | STRING
    exact_sums: bool  # cast integers to DECIMAL(38,0) before SUM (Spark's SUM(BIGINT) is a BIGINT and overflows)
    backslash_escapes: bool  # string literals read \ as an escape (Spark)
    top_k: bool  # keeps a group's worst rows with min_by(…, k) (DuckDB) instead of ranking every row (Spark)

    def ident(self, name: str) -> str:
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | Decimal):
            return str(value)
        text = str(value)
        if self.backslash_escapes:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def sql_type(self, contract_type: str) -> str:
        """The SQL type a contract field is cast to (enum and string fields are strings)."""
        return {"integer": "BIGINT", "decimal": DECIMAL_SQL, "boolean": "BOOLEAN", "date": "DATE"}.get(
            contract_type, self.string_type)


DUCKDB = Dialect("duckdb", '"', "VARCHAR", exact_sums=False, backslash_escapes=False, top_k=True)
SPARK = Dialect("spark", "`", "STRING", exact_sums=True, backslash_escapes=True, top_k=False)
DIALECTS = {d.name: d for d in (DUCKDB, SPARK)}


def _number(value: Decimal) -> str:
    """A constant: an integer, or a DECIMAL of exactly its digits (no wider than it needs to be)."""
    if value == value.to_integral_value():
        return str(int(value))
    _sign, digits, exponent = value.as_tuple()
    scale = -exponent
    return f"CAST('{value:f}' AS DECIMAL({max(len(digits), scale)},{scale}))"


def condition_sql(c: Condition, dialect: Dialect = DUCKDB) -> str:
    col = dialect.ident(c.field)
    if c.op == "is_null":
        return f"{col} IS NULL"
    if c.op == "not_null":
        return f"{col} IS NOT NULL"
    if c.op in ("in", "not_in"):
        items = ", ".join(dialect.literal(v) for v in c.value) or "NULL"
        return f"{col} {'NOT IN' if c.op == 'not_in' else 'IN'} ({items})"
    return f"{col} {SQL_OPS[c.op]} {dialect.literal(c.value)}"


def where_sql(dialect: Dialect, conditions: tuple[Condition, ...] | list[Condition], *extra: str) -> str:
    parts = [*extra, *(condition_sql(c, dialect) for c in conditions)]
    return " AND ".join(parts) if parts else "TRUE"


def term_sql(t: Term, booleans: frozenset[str] = frozenset(), dialect: Dialect = DUCKDB) -> str:
    """A per-row term; booleans count as 0/1; add/sub read a missing amount as 0. `div` only at the top of a
    flag's value (see _ratio_term), so that the verdict stays exact."""
    if t.op == "field":
        col = dialect.ident(t.field)
        return f"CAST({col} AS INTEGER)" if t.field in booleans else col
    if t.op == "const":
        return _number(t.const)
    if t.op == "div":
        raise Unsupported("div inside an aggregate or nested in a term")
    args = [term_sql(a, booleans, dialect) for a in t.args]
    if t.op in ("add", "sub"):
        args = [f"COALESCE({a}, 0)" for a in args]
    return "(" + {"add": " + ", "sub": " - ", "mul": " * "}[t.op].join(args) + ")"


def _scale(t: Term | None, types: dict[str, str]) -> int:
    """The decimal places of a term's exact value: 0 for fen, counts and booleans, DECIMAL_SCALE for a decimal
    field, the sum for a product — so that an integer may be summed as one and the breach test sized to fit."""
    if t is None:
        return 0
    if t.op == "field":
        return DECIMAL_SCALE if types.get(t.field) == "decimal" else 0
    if t.op == "const":
        return 0 if t.const == t.const.to_integral_value() else -t.const.as_tuple().exponent
    scales = [_scale(a, types) for a in t.args]
    return sum(scales) if t.op == "mul" else max(scales)


def _ratio_term(t: Term, booleans: frozenset[str], dialect: Dialect) -> tuple[str, str]:
    if t.op == "div":
        return term_sql(t.args[0], booleans, dialect), term_sql(t.args[1], booleans, dialect)
    return term_sql(t, booleans, dialect), "1"


# ---------------------------------------------------------------- shared aggregates (共享聚合)

# an aggregate read per institution (group None) or per institution and group; everyone: over every
# institution's rows, not only those the rules run for (a measure across all institutions)
Use = tuple[Aggregate, "str | None", bool]
# the hash bucket of a group for the pre-filter of counts across institutions (any function of grp is exact;
# a finer one filters more)
BUCKET = "hash(grp)"
# how per-institution partials add up across institutions (a count of distinct institutions is 0 or 1 each)
COMBINE = {"sum": "SUM({})", "count": "SUM({})", "max": "MAX({})", "value": "MAX({})", "min": "MIN({})"}


def _combinable(a: Aggregate) -> bool:
    return a.agg in COMBINE or _is_institution_count(a)


@dataclass(frozen=True)
class SharedTable:
    """Every aggregate the rules of a run read over one dataset and grouping, computed in one pass: p{j} counts
    the rows each distinct `where` selects (FILTER) — a group exists for an aggregate only where its p{j} > 0,
    as it would in a query of its own — and a{i} holds each aggregate that is not such a count itself."""

    name: str
    dataset: str
    group: str | None
    aggregates: tuple[Aggregate, ...]
    everyone: bool = False  # every institution's rows (else only those of the run's institutions)

    @property
    def wheres(self) -> list[tuple[Condition, ...]]:
        found: list[tuple[Condition, ...]] = []  # by equality: an `in` condition's value is a list
        for a in self.aggregates:
            if a.where not in found:
                found.append(a.where)
        return found

    @property
    def common(self) -> tuple[Condition, ...]:
        """The conditions every aggregate has: they select the only rows any of them reads, and filter the
        scan (a group without such rows would have every p{j} = 0, and is never read)."""
        return tuple(c for c in self.aggregates[0].where if all(c in a.where for a in self.aggregates))

    @property
    def stored(self) -> list[Aggregate]:
        """The aggregates with a column of their own (a row count is its presence column; a count of distinct
        institutions in a table of one institution per row is whether there are rows)."""
        return [a for a in self.aggregates if not (_is_row_count(a) or _is_institution_count(a))]

    def presence(self, a: Aggregate) -> str:
        return f"p{self.wheres.index(a.where)}"

    def value(self, a: Aggregate) -> str:
        if _is_row_count(a):
            return self.presence(a)
        if _is_institution_count(a):
            return f"LEAST({self.presence(a)}, 1)"
        return f"a{self.stored.index(a)}"


def _is_row_count(a: Aggregate) -> bool:
    return a.agg == "count" and a.of is None


def _is_institution_count(a: Aggregate) -> bool:
    return a.agg == "count_distinct" and a.of == Term("field", "institution_code")


@dataclass(frozen=True)
class Shared:
    tables: tuple[SharedTable, ...] = ()

    def find(self, a: Aggregate, group: str | None) -> SharedTable | None:
        return next((t for t in self.tables if t.dataset == a.dataset and t.group == group and a in t.aggregates),
                    None)


def metric_uses(m: Metric, book: RuleBook) -> list[Use]:
    """The aggregates a metric's compiled SQL reads per institution or per institution and group (as
    `Compiler.base` builds it); a flag reads rows, and a total across all institutions its own grouping."""
    if m.scope == "all_institutions":
        if m.value is None or not m.group_by:
            return []
        own = Aggregate("count", m.value.dataset, None, m.value.where)
        if not _combinable(m.value):
            return [(own, m.group_by, False)]
        return [(own, m.group_by, True), (m.value, m.group_by, True)]
    if m.kind == "flag":
        return []
    if m.kind == "ratio":
        if not m.group_by:
            return [(m.numerator, None, False), (m.denominator, None, False)]
        grouped_den = book.dataset(m.denominator.dataset).grain == "record"
        return [(m.numerator, m.group_by, False), (m.denominator, m.group_by if grouped_den else None, False)]
    return [(m.value, m.group_by, False)]


def plan_shared(uses: list[Use]) -> Shared:
    """One table per (dataset, grouping) holding every aggregate used over it, in first-use order; over every
    institution if any use needs them all."""
    by_key: dict[tuple[str, str | None], list[Aggregate]] = {}
    everyone: set[tuple[str, str | None]] = set()
    for a, group, all_rows in uses:
        found = by_key.setdefault((a.dataset, group), [])
        if a not in found:
            found.append(a)
        if all_rows:
            everyone.add((a.dataset, group))
    return Shared(tuple(SharedTable(f"{dataset}__{'by_' + group if group else 'per_institution'}", dataset, group,
                                    tuple(aggs), (dataset, group) in everyone)
                        for (dataset, group), aggs in by_key.items()))


# ---------------------------------------------------------------- compiling a metric


@dataclass(frozen=True)
class Compiler:
    book: RuleBook
    codes: tuple[str, ...]  # the institutions the rule is run for
    dialect: Dialect = DUCKDB
    shared: Shared = Shared()  # aggregates already computed for the run; the rest are read from the data
    # datasets every row of which is the rule's (no other institution submitted it): scanned without a filter
    whole: frozenset[str] = frozenset()

    def ident(self, name: str) -> str:
        return self.dialect.ident(name)

    def booleans(self, dataset: str) -> frozenset[str]:
        return frozenset(f.name for f in self.book.dataset(dataset).fields if f.type == "boolean")

    def term(self, t: Term, dataset: str) -> str:
        return term_sql(t, self.booleans(dataset), self.dialect)

    def agg(self, a: Aggregate) -> str:
        if a.agg == "count":
            return "COUNT(*)" if a.of is None else f"COUNT({self.term(a.of, a.dataset)})"
        inner = self.term(a.of, a.dataset)
        if a.agg == "sum" and self.dialect.exact_sums and self.scale(a) == 0:
            inner = f"CAST({inner} AS DECIMAL(38,0))"
        return AGG_SQL[a.agg].format(inner)

    def scale(self, a: Aggregate | None) -> int:
        if a is None or a.agg in ("count", "count_distinct"):
            return 0
        return _scale(a.of, {f.name: f.type for f in self.book.dataset(a.dataset).fields})

    def scales(self, m: Metric) -> tuple[int, int]:
        """The decimal places of n and d of the metric's rows."""
        if m.kind == "ratio":
            return self.scale(m.numerator), self.scale(m.denominator)
        if m.kind != "flag":
            return self.scale(m.value), 0
        types = {f.name: f.type for f in self.book.dataset(m.dataset).fields}
        t = m.expression
        return (_scale(t.args[0], types), _scale(t.args[1], types)) if t.op == "div" else (_scale(t, types), 0)

    def where(self, conditions: tuple[Condition, ...], *extra: str) -> str:
        return where_sql(self.dialect, conditions, *extra)

    def key(self, dataset: str) -> str:
        keys = load_datasets()[dataset].key  # the record's own id
        return " || '/' || ".join(self.ident(k) for k in keys) if keys else self.no_group()

    def no_group(self) -> str:
        return f"CAST(NULL AS {self.dialect.string_type})"

    def mine(self) -> str:
        return "institution_code IN (" + ", ".join(self.dialect.literal(c) for c in self.codes) + ")"

    def mine_in(self, dataset: str) -> tuple[str, ...]:
        """The filter to the rule's institutions on a scan of `dataset`: none when all its rows are theirs."""
        return () if dataset in self.whole else (self.mine(),)

    def driver(self) -> str:
        values = ", ".join(f"({self.dialect.literal(c)})" for c in self.codes)
        return f"SELECT * FROM (VALUES {values}) e(institution_code)"

    def shared_sql(self, table: SharedTable, needed: frozenset[Aggregate] | None = None, *,
                   empty: bool = False) -> str:
        """The query filling a shared table, over the institutions of `codes` (every rule's, for the run).
        `needed`: only these aggregates are computed (the others are NULL, their presence 0), for a part of
        the table whose institutions no rule reads the others for; `empty`: no rows, every column typed."""
        keys = "institution_code" + (f", {self.ident(table.group)} AS grp" if table.group else "")
        def only(where: tuple[Condition, ...]) -> str:
            return f" FILTER (WHERE {self.where(where)})" if where else ""

        def kept(a: Aggregate) -> bool:
            return needed is None or a in needed

        common = table.common

        def rest(where: tuple[Condition, ...]) -> tuple[Condition, ...]:
            return tuple(c for c in where if c not in common)

        cols = [f"COUNT(*){only(rest(w))} AS p{j}" if any(kept(a) for a in table.aggregates if a.where == w)
                else f"0 AS p{j}" for j, w in enumerate(table.wheres)]
        cols += [f"{self.agg(a)}{only(rest(a.where))} AS a{i}" if kept(a) else f"NULL AS a{i}"
                 for i, a in enumerate(table.stored)]
        where = "FALSE" if empty else self.where(common, *(() if table.everyone else self.mine_in(table.dataset)))
        return (f"SELECT {keys}, {', '.join(cols)} FROM {self.ident(table.dataset)} WHERE {where} "
                f"GROUP BY {'1, 2' if table.group else '1'}")

    def aggregate(self, a: Aggregate, group: str | None) -> str:
        """Rows (institution_code[, grp], v) for the institutions and groups with rows `a` selects."""
        table = self.shared.find(a, group)
        keys = "institution_code" + (", grp" if group else "")
        if table is not None:
            return (f"SELECT {keys}, {table.value(a)} AS v FROM {self.ident(table.name)} "
                    f"WHERE {self.mine()} AND {table.presence(a)} > 0")
        keys = "institution_code" + (f", {self.ident(group)} AS grp" if group else "")
        by = "1, 2" if group else "1"
        return (f"SELECT {keys}, {self.agg(a)} AS v FROM {self.ident(a.dataset)} "
                f"WHERE {self.where(a.where, *self.mine_in(a.dataset))} GROUP BY {by}")

    def per_institution(self, a: Aggregate) -> str:
        v = "COALESCE(a.v, 0)" if a.agg in ZERO_WHEN_EMPTY else "a.v"
        return f"SELECT e.institution_code, {v} AS v FROM ({self.driver()}) e LEFT JOIN ({self.aggregate(a, None)}) a " \
               "USING (institution_code)"

    def base(self, m: Metric, breaching: str | None = None, exceeds: str | None = None) -> str:
        """Rows (institution_code, grp, n, d) for the metric; `breaching`, a condition on a value v measured
        across all institutions (d = 1), keeps only the groups it holds for before they are matched to each
        institution's own (an exact pre-filter, for the rule's limit); `exceeds`, the same on a value c for a
        limit a larger value breaches (`<=`, `<`), lets a count be pre-filtered by hash bucket."""
        if m.scope == "all_institutions":
            return self._all_institutions(m, breaching, exceeds)
        if m.kind == "flag":
            return self._flag(m)
        if m.kind == "ratio":
            return self._ratio(m)
        return self._value(m)

    def _ratio(self, m: Metric) -> str:
        num, den = m.numerator, m.denominator
        if not m.group_by:
            return (f"SELECT n.institution_code, {self.no_group()} AS grp, n.v AS n, d.v AS d FROM "
                    f"({self.per_institution(num)}) n JOIN ({self.per_institution(den)}) d USING (institution_code)")
        grouped_den = self.book.dataset(den.dataset).grain == "record"
        den_sql = self.aggregate(den, m.group_by) if grouped_den else self.per_institution(den)
        using = "institution_code, grp" if grouped_den else "institution_code"
        return (f"SELECT n.institution_code, n.grp, n.v AS n, d.v AS d FROM ({self.aggregate(num, m.group_by)}) n "
                f"LEFT JOIN ({den_sql}) d USING ({using})")

    def _value(self, m: Metric) -> str:
        if not m.group_by:
            return (f"SELECT institution_code, {self.no_group()} AS grp, v AS n, 1 AS d "
                    f"FROM ({self.per_institution(m.value)}) t")
        return f"SELECT institution_code, grp, v AS n, 1 AS d FROM ({self.aggregate(m.value, m.group_by)}) t"

    def _flag(self, m: Metric) -> str:
        group = self.ident(m.group_by) if m.group_by else self.key(m.dataset)
        n, d = _ratio_term(m.expression, self.booleans(m.dataset), self.dialect)
        return (f"SELECT institution_code, {group} AS grp, {n} AS n, {d} AS d FROM {self.ident(m.dataset)} "
                f"WHERE {self.where(m.where, *self.mine_in(m.dataset))}")

    def _all_institutions(self, m: Metric, breaching: str | None = None, exceeds: str | None = None) -> str:
        """Each group of an institution's rows measured over every institution's rows. The institution's own
        groups are its rows' groups (a count); the measure across institutions adds up the per-institution
        partials of a shared table over everyone where the aggregate allows (sum, count, max, min, a count of
        distinct institutions), else it is one more grouping of the rows."""
        if m.kind not in ("total", "count") or not m.group_by:
            raise Unsupported("scope all_institutions other than a grouped total or count")
        a, g, ds = m.value, self.ident(m.group_by), self.ident(m.value.dataset)
        own = self.aggregate(Aggregate("count", a.dataset, None, a.where), m.group_by)
        table = self.shared.find(a, m.group_by)
        if table is not None and table.everyone and _combinable(a):
            combine = COMBINE.get(a.agg, "SUM({})").format(table.value(a))
            rows = f"{self.ident(table.name)} WHERE {table.presence(a)} > 0"
            if breaching and exceeds and (a.agg == "count" or _is_institution_count(a)):
                # the groups sharing a hash bucket add up to at least each one's count (never NULL): only a
                # bucket over the limit can hold a group over it, and grouping hashes first is cheaper than
                # grouping every key; the groups of those buckets are then counted exactly
                rows += (f" AND {BUCKET} IN (SELECT h FROM (SELECT {BUCKET} AS h, {combine} AS c FROM {rows} "
                         f"GROUP BY 1) b WHERE {exceeds})")
            total = f"SELECT grp, {combine} AS v FROM {rows} GROUP BY 1"
        else:
            total = f"SELECT {g} AS grp, {self.agg(a)} AS v FROM {ds} WHERE {self.where(a.where)} GROUP BY 1"
        if breaching:
            total = f"SELECT * FROM ({total}) t WHERE {breaching}"
        return f"SELECT m.institution_code, m.grp, t.v AS n, 1 AS d FROM ({own}) m JOIN ({total}) t USING (grp)"


def _rank_keys(rule: Rule) -> list[str]:
    """The worst breach first, as ascending keys, each nullable one preceded by its IS NULL so that where it
    is NULL it ties (DuckDB orders NULL last, Spark first), so that DuckDB's min_by and Spark's ORDER BY give one
    order: data-quality rows
    last, then by how far the value is past the limit (ordering only — the verdict is exact; data-quality
    rows are not divided), then by group, n and d."""
    value = "CASE WHEN dq THEN NULL ELSE CAST(n AS DOUBLE) / CAST(d AS DOUBLE) END"
    if rule.limit.comparator in ("<=", "<"):
        worse = f"-({value})"
    elif rule.limit.comparator in (">=", ">"):
        worse = value
    else:
        worse = f"-ABS({value} - {rule.limit.value:f})"
    return ["dq", f"({value}) IS NULL", worse, "grp IS NULL", "grp", "n IS NULL", "n", "d IS NULL", "d"]


def compile_rule(rule: Rule, book: RuleBook, codes: tuple[str, ...], dialect: Dialect = DUCKDB,
                 shared: Shared = Shared(), whole: frozenset[str] = frozenset()) -> str:
    """The query giving, per institution, its five worst breaching groups (or data-quality rows); `whole`: the
    datasets whose rows all belong to `codes`."""
    compiler = Compiler(book, codes, dialect, shared, whole)
    scales = compiler.scales(rule.metric)
    # across all institutions d is 1: a group is flagged (breach, or data quality) exactly when v IS NULL or
    # breaches, so only those groups need matching to the institutions that have them
    breaching = f"v IS NULL OR NOT ({_holds(rule, *scales, n='v', d='1')})"
    exceeds = f"NOT ({_holds(rule, *scales, n='c', d='1')})" if rule.limit.comparator in ("<=", "<") else None
    base = compiler.base(rule.metric, breaching, exceeds)
    return _query(rule, base, *scales, dialect)


def _holds(rule: Rule, n_scale: int, d_scale: int, n: str = "n", d: str = "d") -> str:
    """The limit, cross-multiplied, with both sides cast to one DECIMAL type that holds every digit: left to
    itself Spark compares DECIMALs of different types by rounding one to the other's scale."""
    limit = rule.limit.value
    places = max(0, -limit.as_tuple().exponent)
    scale = max(n_scale, d_scale + places)
    return (f"CAST({n} AS DECIMAL(38,{scale})) {SQL_OPS[rule.limit.comparator]} "
            f"CAST('{limit:f}' AS DECIMAL(38,{places})) * CAST({d} AS DECIMAL(38,{scale - places}))")


def _query(rule: Rule, base: str, n_scale: int, d_scale: int, dialect: Dialect = DUCKDB) -> str:
    """The breaching rows of `base` (and its data-quality rows), the five worst of each institution with how
    many breached: DuckDB keeps them with a top-k aggregate as it scans (min_by(row, key, 5)); Spark, which has
    no top-k aggregate, ranks the breaching rows with ROW_NUMBER(). The same keys order both."""
    holds = _holds(rule, n_scale, d_scale)
    keys = _rank_keys(rule)
    flagged = (f"WITH base AS ({base}),\n"
               f"flagged AS (SELECT *, (n IS NULL OR d IS NULL OR d <= 0) AS dq FROM base\n"
               f"  WHERE n IS NULL OR d IS NULL OR d <= 0 OR NOT ({holds}))")
    if dialect.top_k:
        key = "struct_pack(" + ", ".join(f"k{i} := {k}" for i, k in enumerate(keys)) + ")"
        return (
            f"{flagged},\n"
            f"keyed AS (SELECT institution_code, grp, n, d, dq, {key} AS k FROM flagged),\n"
            f"worst AS (SELECT institution_code, min_by(struct_pack(k := k, grp := grp, n := n, d := d, dq := dq), k,"
            f" {TOP}) AS top,\n  COUNT(*) FILTER (WHERE NOT dq) AS hits FROM keyed GROUP BY institution_code),\n"
            f"rows AS (SELECT institution_code, hits, UNNEST(top) AS r FROM worst)\n"
            f"SELECT institution_code, r.grp, r.n, r.d, r.dq, hits FROM rows ORDER BY institution_code, r.k"
        )
    return (
        f"{flagged},\n"
        f"hits AS (SELECT institution_code, COUNT(*) FILTER (WHERE NOT dq) AS hits FROM flagged GROUP BY 1),\n"
        f"ranked AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY institution_code ORDER BY {', '.join(keys)}) AS rn"
        f" FROM flagged)\n"
        f"SELECT r.institution_code, r.grp, r.n, r.d, r.dq, h.hits FROM ranked r JOIN hits h USING (institution_code)"
        f" WHERE r.rn <= {TOP} ORDER BY r.institution_code, r.rn"
    )
