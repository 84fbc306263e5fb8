"""The plan's reference data (规划基础数据): its text, indicators, key projects and district zones.

A pure loader over data/plan/*.yaml (no database): frozen dataclasses, validated on load, with every
citation ("plan ch10 §2", "plan 专栏2", "plan 附件") resolving in the plan's own structure.
The data format is described in docs/plan-data.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from gzgov.config import get_settings
from gzgov.core.errors import GzgovError
from gzgov.core.geo import BY_CODE

COMPARATORS = (">=", ">", "range")  # target comparators: at least, more than, a closed range
OBSERVED_COMPARATORS = ("=", ">")  # a reported figure, or only a lower bound (">3500")
TRAJECTORIES = ("compound", "linear")
CATEGORIES = ("overall", "banking", "insurance", "securities", "local_finance")
FILES = ("structure.yaml", "indicators.yaml", "projects.yaml", "zones.yaml")


class PlanDataError(GzgovError):
    """The plan's data files are broken; `problems` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(
            "plan_data_invalid",
            f"规划基础数据（data/plan）有 {len(self.problems)} 处错误，未加载：\n{listing}",
            f"The plan's reference data (data/plan) has {len(self.problems)} problem(s) "
            f"and was not loaded:\n{listing}",
            problems=self.problems,
        )


def _squash(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class Document:
    number: str
    title_zh: str
    title_en: str
    issuer_zh: str
    issuer_en: str
    issued: date
    gazette_zh: str
    preamble: str


@dataclass(frozen=True)
class Section:  # 节
    chapter: int
    number: int
    title_zh: str
    title_en: str
    text: str
    toc_title_zh: str | None = None  # only where the table of contents words the title differently

    @property
    def clause(self) -> str:
        return f"plan ch{self.chapter} §{self.number}"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(self.text.splitlines())


@dataclass(frozen=True)
class Chapter:  # 章
    number: int
    title_zh: str
    title_en: str
    intro: str
    sections: tuple[Section, ...]

    @property
    def clause(self) -> str:
        return f"plan ch{self.number}"


@dataclass(frozen=True)
class Box:  # 专栏
    number: int
    title_zh: str
    title_en: str
    chapter: int
    section: int
    text: str

    @property
    def clause(self) -> str:
        return f"plan 专栏{self.number}"

    @property
    def section_clause(self) -> str:
        return f"plan ch{self.chapter} §{self.section}"


@dataclass(frozen=True)
class Annex:  # 附件
    title_zh: str
    title_en: str
    clause: str = "plan 附件"


@dataclass(frozen=True)
class Observed:
    """A figure the document reports: a value, or only a lower bound (comparator ">", as in ">3500")."""

    value: Decimal
    comparator: str = "="

    def label(self) -> str:
        return f">{self.value}" if self.comparator == ">" else str(self.value)


@dataclass(frozen=True)
class Target:
    """A target: at least (">="), more than (">") `value`, or between `low` and `high` inclusive ("range")."""

    comparator: str
    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    year: int | None = None
    wording: str | None = None  # the document's words; None where it gives a bare figure
    basis: str | None = None

    def label(self) -> str:
        if self.comparator == "range":
            return f"{self.low}—{self.high}"
        return f"{'≥' if self.comparator == '>=' else '>'}{self.value}"


@dataclass(frozen=True)
class Indicator:  # 规划指标 (专栏2)
    code: str
    name_zh: str
    name_en: str
    unit: str
    category: str
    category_zh: str
    trajectory: str
    baseline: Observed
    baseline_year: int
    target: Target
    table_row: str
    basis: str


@dataclass(frozen=True)
class ReviewIndicator:  # “十三五”规划主要指标完成情况 (专栏1)
    code: str
    name_zh: str
    unit: str
    category_zh: str
    target: Target
    achieved: Observed | None
    achieved_text: str | None
    note: str | None
    table_row: str
    basis: str


@dataclass(frozen=True)
class Link:
    clause: str
    evidence: str
    inferred: bool


@dataclass(frozen=True)
class Project:  # 重点项目和工作
    number: int
    title_zh: str
    title_en: str
    units: tuple[str, ...]  # 责任单位, in the document's order
    serves: tuple[Link, ...]
    basis: str

    @property
    def lead(self) -> str:
        return self.units[0]


@dataclass(frozen=True)
class ProjectLink:
    number: int
    evidence: str
    inferred: bool


@dataclass(frozen=True)
class Zone:  # 金融功能区
    code: str
    district: str  # GB/T 2260
    district_zh: str
    name_zh: str
    name_en: str
    basis: str
    positioning_zh: str
    positioning_basis: str
    projects: tuple[ProjectLink, ...]


Clause = Chapter | Section | Box | Annex


@dataclass(frozen=True)
class PlanReference:
    document: Document
    chapters: tuple[Chapter, ...]
    boxes: tuple[Box, ...]
    annex: Annex
    indicators: tuple[Indicator, ...]
    review_13th: tuple[ReviewIndicator, ...]
    projects: tuple[Project, ...]
    zones: tuple[Zone, ...]

    def sections(self) -> Iterator[Section]:
        for chapter in self.chapters:
            yield from chapter.sections

    def clauses(self) -> dict[str, Clause]:
        found: dict[str, Clause] = {c.clause: c for c in self.chapters}
        found.update({s.clause: s for s in self.sections()})
        found.update({b.clause: b for b in self.boxes})
        found[self.annex.clause] = self.annex
        return found

    def resolve(self, clause: str) -> Clause:
        try:
            return self.clauses()[clause]
        except KeyError:
            raise KeyError(f"no clause {clause!r} in the plan") from None

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    def project(self, number: int) -> Project:
        return self.projects[number - 1]

    def zone_of_district(self, district: str) -> Zone:
        return next(z for z in self.zones if z.district == district)

    def projects_naming_district(self, zone: Zone) -> tuple[Project, ...]:
        """Projects whose responsible units include the zone's district government (e.g. 番禺区政府)."""
        unit = f"{zone.district_zh}政府"
        return tuple(p for p in self.projects if unit in p.units)


def search(reference: PlanReference, text: str) -> list[Section]:
    """Sections whose title, text or boxes contain every whitespace-separated term.

    Whitespace and case are ignored, so "2035年" finds the gazette's "2035 年".
    """
    terms = [t.casefold() for t in text.split()]
    if not terms:
        return []
    boxes: dict[str, list[str]] = {}
    for box in reference.boxes:
        boxes.setdefault(box.section_clause, []).append(box.title_zh + box.title_en + box.text)
    hits = []
    for section in reference.sections():
        haystack = _squash(
            " ".join([section.title_zh, section.title_en, section.text, *boxes.get(section.clause, [])])
        )
        if all(_squash(t) in haystack.casefold() for t in terms):
            hits.append(section)
    return hits


# ---------------------------------------------------------------- reading and validation


class _Bad(Exception):
    pass


def _mapping(node: Any) -> dict:
    if not isinstance(node, dict):
        raise _Bad(f"expected a mapping, found {type(node).__name__}")
    return node


def _get(node: Any, key: str, kind: type | tuple[type, ...] = str, *, optional: bool = False) -> Any:
    if not isinstance(node, dict):
        raise _Bad(f"expected a mapping, found {type(node).__name__}")
    value = node.get(key)
    if value is None and optional:
        return None
    if value is None or not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise _Bad(f"{key!r} is missing or not a non-empty {getattr(kind, '__name__', kind)}")
    return value


def _decimal(node: Any, key: str, *, optional: bool = False) -> Decimal | None:
    if (
        isinstance(node, dict)
        and isinstance(node.get(key), int | float)
        and not isinstance(node.get(key), bool)
    ):
        raise _Bad(f'{key!r} must be a quoted string such as "9.06", not the YAML number {node[key]!r}')
    raw = _get(node, key, optional=optional)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _Bad(f"{key!r} is not a number: {raw!r}") from None
    if not value.is_finite():
        raise _Bad(f"{key!r} is not a finite number: {raw!r}")
    return value


def _items(node: Any, key: str, where: str, problems: list[str]) -> Iterator[tuple[str, Any]]:
    items = node.get(key) if isinstance(node, dict) else None
    if not isinstance(items, list):
        problems.append(f"{where}: {key!r} must be a list")
        return
    for index, item in enumerate(items):
        yield f"{where} {key}[{index}]", item


def _each(node: Any, key: str, where: str, problems: list[str], build: Callable[[Any], Any]) -> tuple:
    built = []
    for place, item in _items(node, key, where, problems):
        try:
            built.append(build(item))
        except _Bad as bad:
            problems.append(f"{place}: {bad}")
    return tuple(built)


def _target(node: Any) -> Target:
    comparator = _get(node, "comparator")
    if comparator not in COMPARATORS:
        raise _Bad(f"comparator {comparator!r} is not one of {', '.join(COMPARATORS)}")
    year = _get(node, "year", int, optional=True)
    wording, basis = _get(node, "wording", optional=True), _get(node, "basis", optional=True)
    if comparator != "range":
        if "low" in node or "high" in node:
            raise _Bad(f"comparator {comparator!r} takes a value, not low/high")
        return Target(comparator, value=_decimal(node, "value"), year=year, wording=wording, basis=basis)
    if "value" in node:
        raise _Bad("a range takes low and high, not value")
    low, high = _decimal(node, "low"), _decimal(node, "high")
    if low > high:
        raise _Bad(f"range low {low} is above high {high}")
    return Target(comparator, low=low, high=high, year=year, wording=wording, basis=basis)


def _observed(node: Any) -> Observed:
    comparator = _get(node, "comparator", optional=True) or "="
    if comparator not in OBSERVED_COMPARATORS:
        raise _Bad(
            f"comparator {comparator!r} of a reported figure is not one of {', '.join(OBSERVED_COMPARATORS)}"
        )
    return Observed(_decimal(node, "value"), comparator)


def _nested(node: Any, key: str, build: Callable[[Any], Any]) -> Any:
    try:
        return build(_get(node, key, dict))
    except _Bad as bad:
        raise _Bad(f"{key}: {bad}") from None


def _fields(node: Any, *names: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Required non-empty strings `names` and optional strings `optional` of a mapping, as keyword arguments."""
    found = {name: _get(node, name) for name in names}
    found.update({name: _get(node, name, optional=True) for name in optional})
    return found


def _indicator(node: Any) -> Indicator:
    category, trajectory = _get(node, "category"), _get(node, "trajectory")
    if category not in CATEGORIES:
        raise _Bad(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    if trajectory not in TRAJECTORIES:
        raise _Bad(f"trajectory {trajectory!r} is not one of {', '.join(TRAJECTORIES)}")
    return Indicator(
        **_fields(node, "code", "name_zh", "name_en", "unit", "category_zh", "table_row", "basis"),
        category=category,
        trajectory=trajectory,
        baseline=_nested(node, "baseline", _observed),
        baseline_year=_get(_get(node, "baseline", dict), "year", int),
        target=_nested(node, "target", _target),
    )


def _review(node: Any) -> ReviewIndicator:
    node = _mapping(node)
    achieved = _nested(node, "achieved", _observed) if node.get("achieved") is not None else None
    achieved_text = _get(node, "achieved_text", optional=True)
    if achieved is None and achieved_text is None:
        raise _Bad("give 'achieved' or, where the document has no figure, 'achieved_text'")
    return ReviewIndicator(
        **_fields(node, "code", "name_zh", "unit", "category_zh", "table_row", "basis", optional=("note",)),
        target=_nested(node, "target", _target),
        achieved=achieved,
        achieved_text=achieved_text,
    )


def _units(node: Any) -> tuple[str, ...]:
    units = node.get("units")
    if not isinstance(units, list) or not units:
        raise _Bad("'units' (责任单位) must be a non-empty list")
    if not all(isinstance(u, str) and u.strip() for u in units):
        raise _Bad(f"every responsible unit must be a non-empty string: {units!r}")
    if len(set(units)) != len(units):
        raise _Bad(f"a responsible unit is named twice: {units!r}")
    return tuple(units)


def _link(node: Any) -> Link:
    node = _mapping(node)
    return Link(_get(node, "clause"), _get(node, "evidence"), _get(node, "inferred", bool))


def _project_builder(basis: str) -> Callable[[Any], Project]:
    def build(node: Any) -> Project:
        node = _mapping(node)
        serves = node.get("serves") or []
        if not isinstance(serves, list):
            raise _Bad("'serves' must be a list")
        links = tuple(_link(s) for s in serves)
        return Project(_get(node, "number", int), **_fields(node, "title_zh", "title_en"), units=_units(node),
                       serves=links, basis=basis)  # fmt: skip

    return build


def _zone(node: Any) -> Zone:
    node = _mapping(node)
    links = node.get("projects") or []
    if not isinstance(links, list):
        raise _Bad("'projects' must be a list")
    district, district_zh = _get(node, "district"), _get(node, "district_zh")
    if district not in BY_CODE:
        raise _Bad(f"district {district!r} is not a Guangzhou district code (GB/T 2260)")
    if BY_CODE[district].name_zh != district_zh:
        raise _Bad(f"district {district} is {BY_CODE[district].name_zh}, not {district_zh}")
    projects = tuple(
        ProjectLink(_get(p, "number", int), _get(p, "evidence"), _get(p, "inferred", bool)) for p in links
    )
    return Zone(
        **_fields(node, "code", "district", "district_zh", "name_zh", "name_en", "basis"),
        **_fields(node, "positioning_zh", "positioning_basis"),
        projects=projects,
    )


def _section_builder(chapter: int) -> Callable[[Any], Section]:
    def build(node: Any) -> Section:
        fields = _fields(node, "title_zh", "title_en", "text", optional=("toc_title_zh",))
        return Section(chapter, _get(node, "number", int), **fields)

    return build


def _box(node: Any) -> Box:
    place = {key: _get(node, key, int) for key in ("number", "chapter", "section")}
    return Box(**place, **_fields(node, "title_zh", "title_en", "text"))


def _chapters(data: Any, problems: list[str]) -> tuple[Chapter, ...]:
    chapters = []
    for place, node in _items(data, "chapters", "structure.yaml", problems):
        try:
            number = _get(node, "number", int)
            sections = _each(node, "sections", place, problems, _section_builder(number))
            intro = _get(node, "intro", optional=True) or ""
            chapters.append(
                Chapter(number, **_fields(node, "title_zh", "title_en"), intro=intro, sections=sections)
            )
        except _Bad as bad:
            problems.append(f"{place}: {bad}")
    _check_numbering("structure.yaml chapters", [c.number for c in chapters], problems)
    for chapter in chapters:
        where = f"structure.yaml chapter {chapter.number} sections"
        _check_numbering(where, [s.number for s in chapter.sections], problems)
    return tuple(chapters)


def _check_numbering(where: str, numbers: list[int], problems: list[str], count: int | None = None) -> None:
    expected = list(range(1, (len(numbers) if count is None else count) + 1))
    if numbers != expected:
        problems.append(f"{where}: numbered {numbers}, expected 1..{len(expected)} in order")


def _check_unique(where: str, keys: list[Any], problems: list[str]) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            problems.append(f"{where}: {key!r} appears twice")
        seen.add(key)


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


def _structure(
    data: dict, problems: list[str]
) -> tuple[Document, tuple[Chapter, ...], tuple[Box, ...], Annex]:
    try:
        doc = _get(data, "document", dict)
        names = ("number", "title_zh", "title_en", "issuer_zh", "issuer_en", "gazette_zh", "preamble")
        document = Document(**_fields(doc, *names), issued=date.fromisoformat(_get(doc, "issued")))
        annex = Annex(**_fields(_get(data, "annex", dict), "title_zh", "title_en"))
    except (_Bad, ValueError) as bad:
        problems.append(f"structure.yaml: {bad}")
        document, annex = Document("", "", "", "", "", date.min, "", ""), Annex("", "")
    chapters = _chapters(data, problems)
    boxes = _each(data, "boxes", "structure.yaml", problems, _box)
    _check_numbering("structure.yaml boxes", [b.number for b in boxes], problems)
    return document, chapters, boxes, annex


def _cross_check(ref: PlanReference, problems: list[str]) -> None:
    clauses = ref.clauses()

    def cite(where: str, clause: str | None, evidence: str | None = None) -> None:
        if clause is None:
            return
        if clause not in clauses:
            problems.append(f"{where}: clause {clause!r} does not resolve in structure.yaml")
        elif evidence is not None and _squash(evidence) not in _squash(_clause_text(clauses[clause])):
            problems.append(f"{where}: evidence {evidence!r} is not in the text of {clause}")

    for box in ref.boxes:
        cite(f"structure.yaml box {box.number}", box.section_clause)
    for ind in (*ref.indicators, *ref.review_13th):
        cite(f"indicators.yaml {ind.code}", ind.basis)
        cite(f"indicators.yaml {ind.code} target", ind.target.basis, ind.target.wording)
    for project in ref.projects:
        cite(f"projects.yaml project {project.number}", project.basis)
        for link in project.serves:
            cite(f"projects.yaml project {project.number}", link.clause, link.evidence)
    numbers = {p.number for p in ref.projects}
    for zone in ref.zones:
        cite(f"zones.yaml {zone.code}", zone.positioning_basis, zone.positioning_zh)
        cite(f"zones.yaml {zone.code}", zone.basis)
        for link in zone.projects:
            if link.number not in numbers:
                problems.append(f"zones.yaml {zone.code}: project {link.number} does not exist")
            cite(f"zones.yaml {zone.code} project {link.number}", zone.basis, link.evidence)


def _clause_text(clause: Clause) -> str:
    if isinstance(clause, Section):
        return clause.title_zh + "\n" + clause.text
    if isinstance(clause, Chapter):
        return "\n".join(
            [clause.title_zh, clause.intro, *(s.title_zh + "\n" + s.text for s in clause.sections)]
        )
    if isinstance(clause, Box):
        return clause.title_zh + "\n" + clause.text
    return clause.title_zh


def load_reference(data_dir: Path | str | None = None) -> PlanReference:
    """Read and validate data/plan/*.yaml; raise PlanDataError listing every problem found."""
    folder = Path(data_dir) if data_dir is not None else get_settings().data_dir / "plan"
    problems: list[str] = []
    structure, indicators, projects, zones = (_read(folder / name, problems) for name in FILES)
    document, chapters, boxes, annex = _structure(structure, problems)
    inds = _each(indicators, "indicators", "indicators.yaml", problems, _indicator)
    review = _each(indicators, "review_13th", "indicators.yaml", problems, _review)
    basis = projects.get("basis") if isinstance(projects.get("basis"), str) else "plan 附件"
    projs = _each(projects, "projects", "projects.yaml", problems, _project_builder(basis))
    count = projects.get("count")
    if not isinstance(count, int):
        problems.append("projects.yaml: 'count' (the number of rows in the annex) must be an integer")
    count = count if isinstance(count, int) else None
    _check_numbering("projects.yaml projects", [p.number for p in projs], problems, count)
    zone_list = _each(zones, "zones", "zones.yaml", problems, _zone)
    _check_unique("indicators.yaml indicators code", [i.code for i in inds], problems)
    _check_unique("indicators.yaml review_13th code", [i.code for i in review], problems)
    _check_unique("zones.yaml code", [z.code for z in zone_list], problems)
    _check_unique("zones.yaml district", [z.district for z in zone_list], problems)
    ref = PlanReference(document, chapters, boxes, annex, inds, review, projs, zone_list)
    _cross_check(ref, problems)
    if problems:
        raise PlanDataError(problems)
    return ref


@lru_cache(maxsize=1)
def default_reference() -> PlanReference:
    """The reference data of the configured data directory, loaded once."""
    return load_reference()
