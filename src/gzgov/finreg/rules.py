"""The rule library (监管规则库) as data: regulations, the data-contract vocabulary and prudential rules.

A pure loader over data/finreg/{regulations,datasets}.yaml and data/finreg/rules/*.yaml (no database):
frozen dataclasses, validated on load with every problem listed in Chinese and English. Each rule's
metric is a small declarative formula over named datasets and fields that an engine compiles to SQL
(DuckDB or Spark); the vocabulary is documented in docs/finreg-rules.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from gzgov.config import get_settings
from gzgov.core.errors import GzgovError

INSTITUTION_TYPES = ("small_loan", "guarantee", "pawn", "leasing", "factoring", "trading_venue")
RULE_FILES = (*INSTITUTION_TYPES, "conduct")
COMPARATORS = ("<=", ">=", "<", ">", "==")
SEVERITIES = ("red", "orange", "yellow")
KINDS = ("ratio", "total", "count", "flag")
AGGS = ("sum", "count", "count_distinct", "max", "min", "value")
CONDITION_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null")
TERM_OPS = ("add", "sub", "mul", "div")
SCOPES = ("institution", "all_institutions")
GRAINS = ("institution", "period", "record")
FIELD_TYPES = ("string", "integer", "decimal", "date", "boolean", "enum")
FIELD_UNITS = ("fen", "rate", "ratio", "count", "months", "days", "trading_days", "none")
LIMIT_UNITS = ("ratio", "multiple", "fen", "count", "flag", "rate", "months", "trading_days")
NUMERIC_TYPES = ("integer", "decimal", "boolean")  # booleans count as 0/1
INSTITUTION_LEVEL = ("institution", "period")  # grains with one row per institution (and period)


class FinregRulesError(GzgovError):
    """The rule library's data files are broken; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(
            "finreg_rules_invalid",
            f"监管规则库（data/finreg）有 {len(self.problems)} 处错误，未加载：\n{listing}",
            f"The finreg rule library (data/finreg) has {len(self.problems)} problem(s) and was not loaded:\n{listing}",
            problems=self.problems,
        )


@dataclass(frozen=True)
class Source:
    """Where something was confirmed: what, and the address (URL or stored repository path)."""

    what: str
    url: str


@dataclass(frozen=True)
class Regulation:  # 监管依据
    id: str
    title_zh: str
    title_en: str
    document_number: str
    issuer: str
    issuer_en: str
    effective_from: date
    effective_to: date | None
    superseded_by: str | None
    note: str
    unverified: bool
    verified_by: tuple[Source, ...]

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class Field:  # 数据项
    name: str
    type: str
    unit: str
    required: bool
    zh: str
    en: str
    values: tuple[str, ...] = ()
    institution_types: tuple[str, ...] = ()  # empty: every type that submits the dataset
    derived: bool = False
    derivation: str | None = None


@dataclass(frozen=True)
class Dataset:  # 数据集
    name: str
    grain: str
    institution_types: tuple[str, ...]
    zh: str
    en: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def covers(self, institution_type: str) -> bool:
        return "all" in self.institution_types or institution_type in self.institution_types


@dataclass(frozen=True)
class Term:
    """A per-row expression: a field, a constant, or add/sub/mul/div over terms."""

    op: str  # field | const | add | sub | mul | div
    field: str | None = None
    const: Decimal | None = None
    args: tuple[Term, ...] = ()

    def fields(self) -> Iterator[str]:
        if self.field is not None:
            yield self.field
        for arg in self.args:
            yield from arg.fields()


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    dataset: str | None = None  # only in applies_when, which looks at institution-level datasets


@dataclass(frozen=True)
class Aggregate:
    agg: str
    dataset: str
    of: Term | None = None
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Metric:
    """kind ratio: numerator/denominator; total and count: value; flag: expression per row of dataset."""

    kind: str
    numerator: Aggregate | None = None
    denominator: Aggregate | None = None
    value: Aggregate | None = None
    dataset: str | None = None
    expression: Term | None = None
    where: tuple[Condition, ...] = ()
    group_by: str | None = None
    applies_when: tuple[Condition, ...] = ()
    scope: str = "institution"

    @property
    def primary_dataset(self) -> str | None:
        """The dataset whose rows are grouped and reported as contributors."""
        main = {"ratio": self.numerator, "total": self.value, "count": self.value}.get(self.kind)
        return main.dataset if main is not None else self.dataset


@dataclass(frozen=True)
class Limit:
    comparator: str
    value: Decimal
    unit: str

    def holds(self, measured: Decimal) -> bool:
        ops = {"<=": measured <= self.value, ">=": measured >= self.value, "<": measured < self.value,
               ">": measured > self.value, "==": measured == self.value}  # fmt: skip
        return ops[self.comparator]

    def at_least_as_strict_as(self, other: Limit) -> bool:
        """True if every value this limit allows is also allowed by `other` (same direction only)."""
        upper, lower = ("<=", "<"), (">=", ">")
        if self.comparator in upper and other.comparator in upper:
            return self.value < other.value or (self.value == other.value and (self.comparator == "<" or other.comparator == "<="))
        if self.comparator in lower and other.comparator in lower:
            return self.value > other.value or (self.value == other.value and (self.comparator == ">" or other.comparator == ">="))
        return self.comparator == other.comparator == "==" and self.value == other.value

    def label(self) -> str:
        return f"{self.comparator} {self.value}"


@dataclass(frozen=True)
class Basis:  # 法规依据
    regulation: str
    article: str
    article_unverified: bool
    verified_by: tuple[Source, ...]
    see_also: tuple[str, ...] = ()
    document_number: str = ""  # filled in from the regulation on load
    title_zh: str = ""


@dataclass(frozen=True)
class Rule:  # 监管规则
    id: str
    lineage: str
    name_zh: str
    name_en: str
    institution_types: tuple[str, ...]
    metric: Metric
    limit: Limit
    severity: str
    basis: Basis
    effective_from: date
    effective_to: date | None
    advisory: bool = False
    local_policy: bool = False
    tightens: str | None = None
    source: str = ""  # the file it came from, for error messages
    local_basis: str = ""  # the city's own document setting a stricter figure (data/finreg/local_limits.yaml)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class RuleBook:
    regulations: tuple[Regulation, ...]
    datasets: tuple[Dataset, ...]
    rules: tuple[Rule, ...]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def regulation(self, regulation_id: str) -> Regulation:
        return next(r for r in self.regulations if r.id == regulation_id)

    def dataset(self, name: str) -> Dataset:
        return next(d for d in self.datasets if d.name == name)


# ---------------------------------------------------------------- queries


def rules_in_force(rules: Iterable[Rule], on: date, institution_type: str) -> tuple[Rule, ...]:
    """The rules that applied to `institution_type` on `on` (history is computed under the rule then in force)."""
    return tuple(sorted((r for r in rules if r.in_force(on) and institution_type in r.institution_types),
                        key=lambda r: r.id))  # fmt: skip


def rules_json(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The stable shape of `gzgov finreg rules --json`: id, names, institution types, limit, severity, basis."""
    return [
        {
            "id": r.id,
            "name_zh": r.name_zh,
            "name_en": r.name_en,
            "institution_types": list(r.institution_types),
            "limit": {"comparator": r.limit.comparator, "value": str(r.limit.value), "unit": r.limit.unit},
            "severity": r.severity,
            "basis": {
                "regulation": r.basis.regulation,
                "document_number": r.basis.document_number,
                "title_zh": r.basis.title_zh,
                "article": r.basis.article,
                "article_unverified": r.basis.article_unverified,
            },
        }
        for r in sorted(rules, key=lambda r: r.id)
    ]


def with_local_limits(book: RuleBook, overrides: Mapping[str, str | Decimal]) -> RuleBook:
    """Apply the city regulator's own figures. A figure may only be stricter than the legal rule it replaces
    (or that its local-policy rule tightens); local-policy-only figures (no legal counterpart) are free."""
    problems: list[str] = []
    by_id = {r.id: r for r in book.rules}
    changed: dict[str, Rule] = {}
    for rule_id, raw in overrides.items():
        rule = by_id.get(rule_id)
        if rule is None:
            problems.append(f"local limit for unknown rule {rule_id!r}")
            continue
        new = replace(rule.limit, value=Decimal(str(raw)))
        legal = rule if not rule.local_policy else by_id.get(rule.tightens or "")
        if legal is not None and not new.at_least_as_strict_as(legal.limit):
            problems.append(f"{rule_id}: local limit {new.label()} is looser than the legal {legal.id} {legal.limit.label()}")
        changed[rule_id] = replace(rule, limit=new, local_policy=True, tightens=rule.tightens or (rule.id if not rule.local_policy else None))
    if problems:
        raise FinregRulesError(problems)
    return replace(book, rules=tuple(changed.get(r.id, r) for r in book.rules))


# ---------------------------------------------------------------- reading


class _Bad(Exception):
    pass


def _get(node: Any, key: str, kind: type | tuple[type, ...] = str, *, optional: bool = False) -> Any:
    if not isinstance(node, dict):
        raise _Bad(f"expected a mapping, found {type(node).__name__}")
    value = node.get(key)
    if value is None and optional:
        return None
    if value is None or not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise _Bad(f"{key!r} is missing or not a non-empty {getattr(kind, '__name__', kind)}")
    return value


def _flag(node: dict, key: str) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        raise _Bad(f"{key!r} must be true or false, not {value!r}")
    return value


def _decimal(raw: Any, what: str) -> Decimal:
    if not isinstance(raw, str):
        raise _Bad(f'{what} must be a quoted string such as "0.10", not the YAML value {raw!r}')
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _Bad(f"{what} is not a number: {raw!r}") from None
    if not value.is_finite():
        raise _Bad(f"{what} is not a finite number: {raw!r}")
    return value


def _date(node: dict, key: str, *, optional: bool = False) -> date | None:
    raw = node.get(key)
    if raw is None and optional:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise _Bad(f"{key!r} is not an ISO date (YYYY-MM-DD): {raw!r}") from None


def _choice(node: dict, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = node.get(key, default)
    if value not in choices:
        raise _Bad(f"{key} {value!r} is not one of {', '.join(choices)}")
    return value


def _strings(node: dict, key: str, *, optional: bool = False) -> tuple[str, ...]:
    value = node.get(key)
    if value is None and optional:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _Bad(f"{key!r} must be a non-empty list of strings")
    return tuple(value)


def _sources(node: dict, key: str = "verified_by") -> tuple[Source, ...]:
    items = node.get(key) or []
    if not isinstance(items, list):
        raise _Bad(f"{key!r} must be a list of {{what, url}}")
    return tuple(Source(_get(i, "what"), _get(i, "url")) for i in items)


def _read(path: Path, problems: list[str]) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
        return {}
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: not valid YAML: {exc}".replace("\n", " "))
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path.name}: expected a mapping at the top level")
        return {}
    return data


def _each(data: dict, key: str, where: str, problems: list[str], build: Any) -> list:
    items = data.get(key)
    if not isinstance(items, list):
        problems.append(f"{where}: {key!r} must be a list")
        return []
    built = []
    for index, item in enumerate(items):
        label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else f"{key}[{index}]"
        try:
            built.append(build(item))
        except _Bad as bad:
            problems.append(f"{where} {label}: {bad}")
    return built


def _regulation(node: Any) -> Regulation:
    names = ("id", "title_zh", "title_en", "document_number", "issuer", "issuer_en", "note")
    fields = {name: _get(node, name) for name in names}
    return Regulation(**fields, effective_from=_date(node, "effective_from"),
                      effective_to=_date(node, "effective_to", optional=True),
                      superseded_by=_get(node, "superseded_by", optional=True),
                      unverified=_flag(node, "unverified"), verified_by=_sources(node))  # fmt: skip


def _field(name: str, node: Any) -> Field:
    ftype = _choice(node, "type", FIELD_TYPES)
    values = tuple(node.get("values") or ())
    if ftype == "enum" and not values:
        raise _Bad(f"enum field {name!r} lists no values")
    derived = _flag(node, "derived")
    derivation = _get(node, "derivation", optional=not derived)
    return Field(name, ftype, _choice(node, "unit", FIELD_UNITS), _flag(node, "required"), _get(node, "zh"),
                 _get(node, "en"), values, _strings(node, "institution_types", optional=True), derived, derivation)  # fmt: skip


def _datasets(data: dict, problems: list[str]) -> list[Dataset]:
    common = data.get("common_record_fields") or {}
    found = []
    for name, node in (data.get("datasets") or {}).items():
        try:
            grain = _choice(node, "grain", GRAINS)
            specs = dict(node.get("fields") or {})
            if grain == "record":
                specs = {**common, **specs}
            fields = tuple(_field(f, spec) for f, spec in specs.items())
            found.append(Dataset(name, grain, _strings(node, "institution_types"), _get(node, "zh"), _get(node, "en"), fields))
        except _Bad as bad:
            problems.append(f"datasets.yaml {name}: {bad}")
    if not found:
        problems.append("datasets.yaml: no datasets defined")
    return found


def _term(raw: Any) -> Term:
    if isinstance(raw, str):
        return Term("field", field=raw)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _Bad(f"a term is a field name, {{const: \"1\"}} or one of {', '.join(TERM_OPS)} with a list, not {raw!r}")
    (op, arg), = raw.items()
    if op == "const":
        return Term("const", const=_decimal(arg, "const"))
    if op == "field":
        return Term("field", field=str(arg))
    if op not in TERM_OPS:
        raise _Bad(f"term operator {op!r} is not one of const, field, {', '.join(TERM_OPS)}")
    if not isinstance(arg, list) or len(arg) < 2 or (op == "div" and len(arg) != 2):
        raise _Bad(f"{op} takes a list of at least two terms (div exactly two), not {arg!r}")
    return Term(op, args=tuple(_term(a) for a in arg))


def _condition(raw: Any) -> Condition:
    op = _choice(raw, "op", CONDITION_OPS)
    value = raw.get("value")
    if op in ("in", "not_in") and not isinstance(value, list):
        raise _Bad(f"condition {op} on {raw.get('field')!r} needs a list value")
    if op not in ("is_null", "not_null", "in", "not_in") and (value is None or isinstance(value, list | dict)):
        raise _Bad(f"condition {op} on {raw.get('field')!r} needs a single value")
    return Condition(_get(raw, "field"), op, value, _get(raw, "dataset", optional=True))


def _conditions(node: dict, key: str) -> tuple[Condition, ...]:
    raw = node.get(key) or []
    if not isinstance(raw, list):
        raise _Bad(f"{key!r} must be a list of conditions")
    return tuple(_condition(c) for c in raw)


def _aggregate(raw: Any, where: str) -> Aggregate:
    try:
        agg = _choice(raw, "agg", AGGS)
        of = _term(raw["of"]) if raw.get("of") is not None else None
        if of is None and agg != "count":
            raise _Bad(f"agg {agg} needs 'of'")
        return Aggregate(agg, _get(raw, "dataset"), of, _conditions(raw, "where"))
    except _Bad as bad:
        raise _Bad(f"{where}: {bad}") from None


def _metric(node: Any) -> Metric:
    kind = _choice(node, "kind", KINDS)
    parts: dict[str, Any] = {}
    if kind == "ratio":
        parts["numerator"] = _aggregate(_get(node, "numerator", dict), "numerator")
        parts["denominator"] = _aggregate(_get(node, "denominator", dict), "denominator")
    elif kind in ("total", "count"):
        parts["value"] = _aggregate(_get(node, "value", dict), "value")
        if kind == "count" and parts["value"].agg not in ("count", "count_distinct"):
            raise _Bad("a count metric's value must use agg count or count_distinct")
    else:
        parts["dataset"] = _get(node, "dataset")
        parts["expression"] = _term(node.get("value"))
        parts["where"] = _conditions(node, "where")
    return Metric(kind, **parts, group_by=_get(node, "group_by", optional=True),
                  applies_when=_conditions(node, "applies_when"), scope=_choice(node, "scope", SCOPES, "institution"))  # fmt: skip


def _limit(node: Any) -> Limit:
    return Limit(_choice(node, "comparator", COMPARATORS), _decimal(node.get("value"), "limit value"),
                 _choice(node, "unit", LIMIT_UNITS))  # fmt: skip


def _basis(node: Any) -> Basis:
    unverified = _flag(node, "article_unverified")
    sources = _sources(node)
    if not sources:
        raise _Bad("basis.verified_by must say what was confirmed and where (or what the figure rests on)")
    return Basis(_get(node, "regulation"), _get(node, "article"), unverified, sources,
                 _strings(node, "see_also", optional=True))  # fmt: skip


def _rule_builder(source: str) -> Any:
    def build(node: Any) -> Rule:
        rule_id = _get(node, "id")
        types = _strings(node, "institution_types")
        bad_types = [t for t in types if t not in INSTITUTION_TYPES]
        if bad_types:
            raise _Bad(f"institution type(s) {bad_types} not among {', '.join(INSTITUTION_TYPES)}")
        nested = {}
        for key, build_part in (("metric", _metric), ("limit", _limit), ("basis", _basis)):
            try:
                nested[key] = build_part(_get(node, key, dict))
            except _Bad as bad:
                raise _Bad(f"{key}: {bad}") from None
        return Rule(rule_id, _get(node, "lineage", optional=True) or rule_id, _get(node, "name_zh"), _get(node, "name_en"),
                    types, **nested, severity=_choice(node, "severity", SEVERITIES),
                    effective_from=_date(node, "effective_from"), effective_to=_date(node, "effective_to", optional=True),
                    advisory=_flag(node, "advisory"), local_policy=_flag(node, "local_policy"),
                    tightens=_get(node, "tightens", optional=True), source=source)  # fmt: skip

    return build


# ---------------------------------------------------------------- cross-checks


def _check_unique(where: str, keys: Iterable[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.append(f"{where}: duplicate id {key!r}")
        seen.add(key)


def _check_term(term: Term, ds: Dataset, where: str, problems: list[str]) -> None:
    for name in term.fields():
        field = ds.field(name)
        if field is None:
            problems.append(f"{where}: unknown field {ds.name}.{name}")
        elif term.op != "field" and field.type not in NUMERIC_TYPES:
            problems.append(f"{where}: {ds.name}.{name} is {field.type}, not numeric, inside {term.op}")


def _check_conditions(conditions: Iterable[Condition], ds: Dataset, where: str, problems: list[str]) -> None:
    for cond in conditions:
        field = ds.field(cond.field)
        if field is None:
            problems.append(f"{where}: unknown field {ds.name}.{cond.field} in a condition")
            continue
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        if field.type == "enum" and cond.op not in ("is_null", "not_null"):
            wrong = [v for v in values if v not in field.values]
            if wrong:
                problems.append(f"{where}: {wrong} not among the values of {ds.name}.{cond.field}: {list(field.values)}")


def _check_aggregate(agg: Aggregate, sets: Mapping[str, Dataset], where: str, problems: list[str]) -> Dataset | None:
    ds = sets.get(agg.dataset)
    if ds is None:
        problems.append(f"{where}: unknown dataset {agg.dataset!r}")
        return None
    if agg.agg == "value" and ds.grain not in INSTITUTION_LEVEL:
        problems.append(f"{where}: agg value needs a per-institution dataset, {ds.name} is per {ds.grain}")
    if agg.of is not None:
        _check_term(agg.of, ds, where, problems)
        field = ds.field(agg.of.field) if agg.of.op == "field" and agg.of.field else None
        if field is not None and agg.agg in ("sum", "max", "min") and field.type not in NUMERIC_TYPES:
            problems.append(f"{where}: cannot {agg.agg} {ds.name}.{field.name} of type {field.type}")
    _check_conditions(agg.where, ds, where, problems)
    return ds


def _check_metric(rule: Rule, sets: Mapping[str, Dataset], problems: list[str]) -> None:
    m, where = rule.metric, f"{rule.source} {rule.id} metric"
    used: list[Dataset | None] = []
    for label, agg in (("numerator", m.numerator), ("denominator", m.denominator), ("value", m.value)):
        if agg is not None:
            used.append(_check_aggregate(agg, sets, f"{where} {label}", problems))
    if m.kind == "flag":
        ds = sets.get(m.dataset or "")
        if ds is None or ds.grain != "record":
            problems.append(f"{where}: flag needs a record dataset, not {m.dataset!r}")
        else:
            _check_term(m.expression or Term("const"), ds, where, problems)
            _check_conditions(m.where, ds, where, problems)
        used.append(ds)
    _check_grouping(rule, sets, where, problems)
    for cond in m.applies_when:
        ds = sets.get(cond.dataset or "")
        if ds is None or ds.grain not in INSTITUTION_LEVEL:
            problems.append(f"{where}: applies_when needs dataset institution or financials, not {cond.dataset!r}")
        else:
            _check_conditions([cond], ds, f"{where} applies_when", problems)
            used.append(ds)
    _check_coverage(rule, [d for d in used if d is not None], problems)


def _check_grouping(rule: Rule, sets: Mapping[str, Dataset], where: str, problems: list[str]) -> None:
    m = rule.metric
    primary = sets.get(m.primary_dataset or "")
    if m.group_by is not None and primary is not None:
        if primary.grain != "record" or primary.field(m.group_by) is None:
            problems.append(f"{where}: group_by {m.group_by!r} is not a field of record dataset {primary.name}")
    if m.kind == "ratio" and m.numerator and m.denominator and m.denominator.dataset != m.numerator.dataset:
        other = sets.get(m.denominator.dataset)
        if other is not None and other.grain == "record" and m.group_by is not None:
            problems.append(f"{where}: a grouped ratio's denominator must be per institution or on {m.numerator.dataset}")


def _check_coverage(rule: Rule, used: list[Dataset], problems: list[str]) -> None:
    """Every dataset (and field restricted to some types) the metric uses must be submitted by the rule's types."""
    names = _metric_fields(rule.metric)
    for ds in used:
        for itype in rule.institution_types:
            if not ds.covers(itype):
                problems.append(f"{rule.source} {rule.id}: dataset {ds.name} is not submitted by {itype}")
        for field in ds.fields:
            missing = [t for t in rule.institution_types if field.institution_types and t not in field.institution_types]
            if field.name in names.get(ds.name, set()) and missing:
                problems.append(f"{rule.source} {rule.id}: field {ds.name}.{field.name} is not reported by {missing}")


def _metric_fields(m: Metric) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for agg in (m.numerator, m.denominator, m.value):
        if agg is not None:
            names = found.setdefault(agg.dataset, set())
            names.update(agg.of.fields() if agg.of else ())
            names.update(c.field for c in agg.where)
    if m.dataset:
        found.setdefault(m.dataset, set()).update([*(m.expression.fields() if m.expression else ()), *(c.field for c in m.where)])
    for cond in m.applies_when:
        found.setdefault(cond.dataset or "", set()).add(cond.field)
    return found


def _check_rule_dates(rule: Rule, regs: Mapping[str, Regulation], problems: list[str]) -> None:
    where = f"{rule.source} {rule.id}"
    if rule.effective_to is not None and rule.effective_to < rule.effective_from:
        problems.append(f"{where}: effective_to {rule.effective_to} is before effective_from {rule.effective_from}")
    reg = regs.get(rule.basis.regulation)
    if reg is None:
        problems.append(f"{where}: basis cites unknown regulation {rule.basis.regulation!r}")
        return
    if rule.effective_from < reg.effective_from:
        problems.append(f"{where}: in force from {rule.effective_from}, before {reg.id} took effect ({reg.effective_from})")
    if reg.effective_to is not None and (rule.effective_to is None or rule.effective_to > reg.effective_to):
        problems.append(f"{where}: outlives {reg.id}, which ended {reg.effective_to}")
    for other in rule.basis.see_also:
        if other not in regs:
            problems.append(f"{where}: see_also cites unknown regulation {other!r}")


def _check_lineages(rules: Iterable[Rule], problems: list[str]) -> None:
    lineages: dict[str, list[Rule]] = {}
    for rule in rules:
        lineages.setdefault(rule.lineage, []).append(rule)
    for lineage, members in lineages.items():
        members.sort(key=lambda r: r.effective_from)
        for before, after in zip(members, members[1:], strict=False):
            if before.effective_to is None or before.effective_to >= after.effective_from:
                problems.append(f"lineage {lineage}: {before.id} ({before.effective_from}–{before.effective_to or '…'}) "
                                f"overlaps {after.id} (from {after.effective_from})")  # fmt: skip


def _check_local_policy(rules: Iterable[Rule], problems: list[str]) -> None:
    by_id = {r.id: r for r in rules}
    for rule in by_id.values():
        if rule.tightens is None:
            continue
        legal = by_id.get(rule.tightens)
        if not rule.local_policy:
            problems.append(f"{rule.source} {rule.id}: only a local_policy rule may tighten another")
        elif legal is None:
            problems.append(f"{rule.source} {rule.id}: tightens unknown rule {rule.tightens!r}")
        elif not rule.limit.at_least_as_strict_as(legal.limit):
            problems.append(f"{rule.source} {rule.id}: local limit {rule.limit.label()} is looser than the legal "
                            f"{legal.id} {legal.limit.label()} (local rules may only be stricter)")  # fmt: skip


def _check_regulations(regs: list[Regulation], problems: list[str]) -> None:
    ids = {r.id for r in regs}
    for reg in regs:
        if reg.superseded_by is not None and reg.superseded_by not in ids:
            problems.append(f"regulations.yaml {reg.id}: superseded_by unknown regulation {reg.superseded_by!r}")
        if reg.effective_to is not None and reg.effective_to < reg.effective_from:
            problems.append(f"regulations.yaml {reg.id}: effective_to is before effective_from")
        if not reg.unverified and not reg.verified_by:
            problems.append(f"regulations.yaml {reg.id}: neither verified_by nor unverified: true")


def _load_rule_files(folder: Path, problems: list[str]) -> list[Rule]:
    rules: list[Rule] = []
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        problems.append(f"rules/: no rule files in {folder}")
    for path in paths:
        where = f"rules/{path.name}"
        if path.stem not in RULE_FILES:
            problems.append(f"{where}: unexpected file; rule files are {', '.join(f + '.yaml' for f in RULE_FILES)}")
            continue
        data = _read(path, problems)
        if data.get("institution_type") != path.stem:
            problems.append(f"{where}: institution_type {data.get('institution_type')!r} does not match the file name")
        for rule in _each(data, "rules", where, problems, _rule_builder(where)):
            if path.stem != "conduct" and path.stem not in rule.institution_types:
                problems.append(f"{where} {rule.id}: does not apply to {path.stem}, the type of its file")
            rules.append(rule)
    return rules


def load_rules(data_dir: Path | str | None = None) -> RuleBook:
    """Read and validate data/finreg; raise FinregRulesError listing every problem found."""
    folder = Path(data_dir) if data_dir is not None else get_settings().data_dir / "finreg"
    problems: list[str] = []
    regs = _each(_read(folder / "regulations.yaml", problems), "regulations", "regulations.yaml", problems, _regulation)
    sets = _datasets(_read(folder / "datasets.yaml", problems), problems)
    rules = _load_rule_files(folder / "rules", problems)
    _check_unique("regulations.yaml", (r.id for r in regs), problems)
    _check_unique("rules", (r.id for r in rules), problems)
    _check_regulations(regs, problems)
    reg_by_id, set_by_name = {r.id: r for r in regs}, {d.name: d for d in sets}
    for rule in rules:
        _check_rule_dates(rule, reg_by_id, problems)
        _check_metric(rule, set_by_name, problems)
    _check_lineages(rules, problems)
    _check_local_policy(rules, problems)
    if problems:
        raise FinregRulesError(problems)
    resolved = tuple(
        replace(r, basis=replace(r.basis, document_number=reg_by_id[r.basis.regulation].document_number,
                                 title_zh=reg_by_id[r.basis.regulation].title_zh))  # fmt: skip
        for r in rules
    )
    book = RuleBook(tuple(regs), tuple(sets), resolved)
    local = _local_limits(folder / "local_limits.yaml")
    if not local:
        return book
    book = with_local_limits(book, {rule_id: value for rule_id, (value, _basis) in local.items()})
    return replace(book, rules=tuple(replace(r, local_basis=local[r.id][1]) if r.id in local else r for r in book.rules))


def _local_limits(path: Path) -> dict[str, tuple[str, str]]:
    """The city regulator's own figures (局部从严): rule id → (limit, the local document that sets it)."""
    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, str]] = {}
    problems = []
    for i, item in enumerate(doc.get("limits") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("rule"), str) or not isinstance(item.get("value"), str) \
                or not str(item.get("basis") or "").strip():
            problems.append(f"local_limits.yaml entry {i}: needs rule, a quoted value and the basis (local document)")
            continue
        if item["rule"] in out:
            problems.append(f"local_limits.yaml: {item['rule']} is set twice")
        out[item["rule"]] = (item["value"], str(item["basis"]).strip())
    if problems:
        raise FinregRulesError(problems)
    return out
