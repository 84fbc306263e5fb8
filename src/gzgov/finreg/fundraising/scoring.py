"""The illegal-fundraising risk index (非法集资风险指数): a transparent 0–100 score per company from the model in
data/finreg/fundraising.yaml, every point explained and grouped into the five dimensions of the published
Chinese indices (合规偏离度、利诱性、社会传播性、投诉举报、特征词命中). See docs/fundraising-model.md.

Input tables (`Inputs`, as `fundraising_service.load_tables` builds them):

* enterprises: credit_code, name, scope, registered_capital_fen, paid_in_capital_fen (null = not reported),
  established (date32), address, phone, district_code, industry, has_financial_licence (bool)
* persons: person_key ("P<id>"), name, id_masked, blacklisted (bool)
* links: kind (shareholder/officer/legal_rep/controller/branch), src_kind (person/company), src (person_key or
  credit code), dst (credit code), share_bp
* signals: credit_code, kind (complaint/advert/recruitment/news/court), on (date32), text
* cased: credit codes of companies under a case (or found, or blacklisted as entities)

Every feature is computed over whole columns (DuckDB over the Arrow tables, numpy over the graph); the return
parser (`returns.best_return`) runs once per distinct marketing text that mentions a return at all. The only
per-company Python is the final list of companies that scored (and with `top`, only the best `top` of them).

Windows of N days are the N days up to and including `today`. A feature with an upper bound (paid-in ratio,
age, hops) scores at the bound; one with a lower bound (words, rate, counts) scores at the bound.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from gzgov.config import get_settings
from gzgov.finreg.fundraising import network as nw
from gzgov.finreg.fundraising.returns import best_return, parse_returns

__all__ = ["DIMENSIONS", "FEATURES", "CompanyScore", "Dimension", "Feature", "Inputs", "Model", "load_model",
           "score_all"]

DIMENSIONS = ("compliance_deviation", "lure_of_returns", "public_spread", "complaints", "feature_words")
LEVELS = ("yellow", "orange", "red")
# every feature the code computes, with the threshold keys it needs
FEATURES: dict[str, tuple[str, ...]] = {
    "financial_words_name": ("min_words",),
    "financial_words_scope": ("min_words",),
    "promised_return": ("min_annual_rate", "kinds", "lookback_days"),
    "guaranteed_return": ("min_texts", "kinds", "lookback_days"),
    "capital_paid_in_gap": ("min_registered_yuan", "max_paid_in_ratio"),
    "capital_young_huge": ("min_registered_yuan", "max_age_days"),
    "court_records": ("min_records", "lookback_days"),
    "near_blacklisted_person": ("max_hops",),
    "near_cased_company": ("max_hops",),
    "dense_ring": ("min_companies", "min_flagged_others", "flag_min_points"),
    "branches_burst": ("min_branches", "window_days", "lookback_days"),
    "complaints_count": ("min_complaints", "window_days"),
    "complaints_rising": ("min_recent", "window_days", "min_ratio"),
    "feature_words_in_texts": ("min_distinct_words", "kinds", "lookback_days"),
}
NETWORK_FEATURES = frozenset({"near_blacklisted_person", "near_cased_company", "dense_ring"})
SIGNAL_KINDS_ZH = {"complaint": "投诉", "advert": "广告", "recruitment": "招聘", "news": "新闻", "court": "司法"}


# ---------------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Dimension:
    id: str
    name_zh: str
    name_en: str
    indices: dict


@dataclass(frozen=True)
class Feature:
    id: str
    name_zh: str
    name_en: str
    dimension: str
    points: int
    threshold: dict
    reason_zh: str
    reason_en: str

    def int_(self, key: str) -> int:
        return int(self.threshold[key])

    def dec(self, key: str) -> Decimal:
        return Decimal(str(self.threshold[key]))


@dataclass(frozen=True)
class Model:
    version: str
    basis: str
    basis_en: str
    warn_at: int
    levels: dict[str, int]
    cap: int
    dimensions: tuple[Dimension, ...]
    features: tuple[Feature, ...]
    financial_words: tuple[str, ...]
    feature_words: tuple[str, ...]
    network: dict = field(default_factory=dict)

    def level_for(self, score: int) -> str | None:
        """The warning level a score falls in (red, orange, yellow) or None under the lowest."""
        for level in reversed(LEVELS):
            if score >= self.levels[level]:
                return level
        return None

    def feature(self, fid: str) -> Feature:
        for f in self.features:
            if f.id == fid:
                return f
        raise KeyError(fid)

    def has(self, fid: str) -> bool:
        return any(f.id == fid for f in self.features)

    def dimension(self, did: str) -> Dimension:
        for d in self.dimensions:
            if d.id == did:
                return d
        raise KeyError(did)


class ModelError(ValueError):
    """The model file is not a valid model (the message says where)."""


def _rate(value, where: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation as err:
        raise ModelError(f"{where}: not a number: {value!r}") from err
    if d < 0 or d != d.quantize(Decimal("0.0001")):
        raise ModelError(f"{where}: a non-negative number with at most 4 decimals is expected, got {value!r}")
    return d


def _parse(data: dict) -> Model:
    dims = tuple(Dimension(k, v["name_zh"], v["name_en"], dict(v.get("indices") or {}))
                 for k, v in (data.get("dimensions") or {}).items())
    if tuple(d.id for d in dims) != DIMENSIONS:
        raise ModelError(f"dimensions must be exactly {DIMENSIONS}")
    feats: list[Feature] = []
    for i, f in enumerate(data.get("features") or []):
        fid = f.get("id")
        where = f"features[{i}] ({fid})"
        if fid not in FEATURES:
            raise ModelError(f"{where}: unknown feature id")
        if any(x.id == fid for x in feats):
            raise ModelError(f"{where}: duplicate feature id")
        if f.get("dimension") not in DIMENSIONS:
            raise ModelError(f"{where}: dimension must be one of {DIMENSIONS}")
        points = f.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise ModelError(f"{where}: points must be a positive integer")
        th = dict(f.get("threshold") or {})
        missing = [k for k in FEATURES[fid] if k not in th]
        if missing:
            raise ModelError(f"{where}: threshold lacks {missing}")
        for k in ("min_annual_rate", "max_paid_in_ratio", "min_ratio"):
            if k in th:
                th[k] = _rate(th[k], f"{where}.{k}")
        reason = f.get("reason") or {}
        if not (f.get("name_zh") and f.get("name_en") and reason.get("zh") and reason.get("en")):
            raise ModelError(f"{where}: name_zh, name_en and reason zh/en are required")
        feats.append(Feature(fid, f["name_zh"], f["name_en"], f["dimension"], points, th, reason["zh"], reason["en"]))
    levels = {k: int(v) for k, v in (data.get("levels") or {}).items()}
    if set(levels) != set(LEVELS) or not levels["yellow"] <= levels["orange"] <= levels["red"]:
        raise ModelError("levels must give yellow <= orange <= red")
    words = data.get("words") or {}
    return Model(version=str(data["version"]), basis=str(data["basis"]), basis_en=str(data.get("basis_en", "")),
                 warn_at=int(data["warn_at"]), levels=levels, cap=int(data.get("cap", 100)), dimensions=dims,
                 features=tuple(feats), financial_words=tuple(str(w) for w in words.get("financial") or ()),
                 feature_words=tuple(str(w) for w in words.get("feature") or ()),
                 network=dict(data.get("network") or {}))


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Model:
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


def load_model(path: str | Path | None = None) -> Model:
    """The scoring model (data/finreg/fundraising.yaml unless `path` is given); cached until the file changes."""
    p = Path(path) if path is not None else get_settings().data_dir / "finreg" / "fundraising.yaml"
    return _load_cached(str(p), p.stat().st_mtime)


def model_from_dict(data: dict) -> Model:
    """A model from already-loaded data (tests, what-if runs)."""
    return _parse(data)


# ---------------------------------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    enterprises: pa.Table
    persons: pa.Table
    links: pa.Table
    signals: pa.Table
    cased: set[str] = field(default_factory=set)


@dataclass
class CompanyScore:
    credit_code: str
    name: str
    score: int
    dimensions: dict[str, int]
    reasons: list[dict]
    cluster: str | None = None
    cluster_size: int = 0


@dataclass
class _Hits:
    """Companies (row numbers in the enterprises table) a feature scored for, with an evidence string each."""

    idx: np.ndarray
    evidence: list[str]


def _empty() -> _Hits:
    return _Hits(np.empty(0, np.int64), [])


def _arrow(rel) -> pa.Table:
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()


def _hits(t: pa.Table) -> _Hits:
    """Hits from a result with columns i (row number) and ev (evidence)."""
    if t.num_rows == 0:
        return _empty()
    return _Hits(t.column("i").to_numpy().astype(np.int64), t.column("ev").to_pylist())


def _word_pattern(words: tuple[str, ...]) -> str:
    ws = sorted({unicodedata.normalize("NFKC", w).lower() for w in words if w}, key=lambda w: (-len(w), w))
    return "(" + "|".join(re.escape(w) for w in ws) + ")" if ws else "(?!)"


def _nfkc_lower(col) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return pc.utf8_lower(pc.utf8_normalize(pc.fill_null(arr.cast(pa.string()), ""), "NFKC"))


# a text can promise a return only if it says one of these (the parser needs a return word, 分/厘 interest,
# a doubling, a payback or a guarantee); others are not parsed at all
_RETURN_HINT = (r"收益|回报|利息|利率|年化|月化|日化|周化|息|返|分红|红利|赚|获利|盈利|翻|回本|保本|保底|保息|零风险|无风险"
                r"|没有风险|毫无风险|风险为零|刚兑|刚性兑付|兑付|不亏|不赔|利")


class _Scorer:
    def __init__(self, inputs: Inputs, model: Model, today: date) -> None:
        self.m, self.today = model, today
        self._parsed_key: tuple | None = None
        e = inputs.enterprises
        self.n = e.num_rows
        self.inputs = inputs
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")
        ent = pa.table({
            "i": pa.array(np.arange(self.n, dtype=np.int64)),
            "credit_code": e.column("credit_code"),
            "name_n": _nfkc_lower(e.column("name")),
            "scope_n": _nfkc_lower(e.column("scope")),
            "reg": e.column("registered_capital_fen"),
            "paid": e.column("paid_in_capital_fen"),
            "est": e.column("established"),
            "lic": pc.fill_null(e.column("has_financial_licence"), False),
        })
        self.con.register("e", ent)
        self.con.register("s", inputs.signals)
        self.con.register("l", inputs.links)
        self.con.execute("""CREATE MACRO yuan(f) AS CASE WHEN f = 0 THEN '0元' WHEN f % 1000000 = 0 THEN (f // 1000000)::VARCHAR || '万元'
            ELSE (f // 100)::VARCHAR || CASE WHEN f % 100 = 0 THEN '' ELSE '.' || lpad((f % 100)::VARCHAR, 2, '0') END
            || '元' END""")
        self.con.execute("""CREATE TEMP TABLE sig AS SELECT e.i, s.kind, s."on" AS d, coalesce(s.text, '') AS text
                            FROM s JOIN e USING (credit_code) WHERE s."on" <= ?""", [today])

    def q(self, sql: str, params: list | None = None) -> pa.Table:
        return _arrow(self.con.sql(sql, params=params or None))

    def since(self, days: int) -> date:
        """The first day of the `days` days up to and including today."""
        return self.today - timedelta(days=days - 1)

    # ------------------------------------------------------------------------------------------- features

    def financial_words_name(self, f: Feature) -> _Hits:
        return self._words("name_n", "名称含", f)

    def financial_words_scope(self, f: Feature) -> _Hits:
        return self._words("scope_n", "经营范围含", f)

    def _words(self, col: str, label: str, f: Feature) -> _Hits:
        pat = _word_pattern(self.m.financial_words)
        return _hits(self.q(f"""
            SELECT i, '{label}“' || array_to_string(w, '”“') || '”，无金融牌照' AS ev FROM (
              SELECT i, list_sort(list_distinct(regexp_extract_all({col}, ?))) AS w FROM e WHERE NOT lic)
            WHERE len(w) >= ? ORDER BY i""", [pat, f.int_("min_words")]))

    def _returns(self, f: Feature) -> None:
        """Per marketing text in the window that mentions a return: its best annual rate in basis points of a
        basis point (rate × 10000), the matched words, and the guarantee phrase if any."""
        kinds = list(f.threshold["kinds"])
        key = (tuple(kinds), f.int_("lookback_days"))
        if key == self._parsed_key:
            return
        self._parsed_key = key
        texts = self.q(f"""SELECT DISTINCT text FROM sig WHERE kind IN (SELECT unnest(?)) AND d >= ?
                           AND regexp_matches(text, '{_RETURN_HINT}')""", [kinds, self.since(f.int_("lookback_days"))])
        vals = texts.column("text").to_pylist()
        parsed = [_parse_text(t) for t in vals]
        table = pa.table({"text": pa.array(vals, pa.string()),
                          "rate4": pa.array([p[0] for p in parsed], pa.int64()),
                          "matched": pa.array([p[1] for p in parsed], pa.string()),
                          "guarantee": pa.array([p[2] for p in parsed], pa.string())})
        self.con.register("parsed", table)

    def promised_return(self, f: Feature) -> _Hits:
        self._returns(f)
        level = int(f.dec("min_annual_rate") * 10000)
        return _hits(self.q("""
            SELECT i, arg_max(ev, key) AS ev FROM (
              SELECT sig.i, p.rate4, (p.rate4, sig.d, p.text) AS key,
                     CASE sig.kind WHEN 'advert' THEN '广告' WHEN 'recruitment' THEN '招聘' WHEN 'news' THEN '新闻'
                       ELSE sig.kind END || '：' || p.matched || '（折合年化' ||
                     (p.rate4 // 10000)::VARCHAR || '.' || lpad((p.rate4 % 10000)::VARCHAR, 4, '0') || '）' AS ev
              FROM sig JOIN parsed p USING (text)
              WHERE sig.kind IN (SELECT unnest(?)) AND sig.d >= ? AND p.rate4 >= ?)
            GROUP BY i ORDER BY i""", [list(f.threshold["kinds"]), self.since(f.int_("lookback_days")), level]))

    def guaranteed_return(self, f: Feature) -> _Hits:
        self._returns(f)
        return _hits(self.q("""
            SELECT i, CASE WHEN n > 1 THEN ev || '等' || n::VARCHAR || '条' ELSE ev END AS ev FROM (
              SELECT sig.i, count(*) AS n, arg_max(
                     CASE sig.kind WHEN 'advert' THEN '广告' WHEN 'recruitment' THEN '招聘' WHEN 'news' THEN '新闻'
                       ELSE sig.kind END || '：' || p.guarantee, (sig.d, p.text)) AS ev
              FROM sig JOIN parsed p USING (text)
              WHERE sig.kind IN (SELECT unnest(?)) AND sig.d >= ? AND p.guarantee IS NOT NULL GROUP BY sig.i)
            WHERE n >= ? ORDER BY i""", [list(f.threshold["kinds"]), self.since(f.int_("lookback_days")),
                                         f.int_("min_texts")]))

    def capital_paid_in_gap(self, f: Feature) -> _Hits:
        num, den = f.dec("max_paid_in_ratio").as_integer_ratio()
        return _hits(self.q("""
            SELECT i, '注册资本' || yuan(reg) || '，实缴' || yuan(paid) || '（' || (paid * 1000 // reg // 10)::VARCHAR
                   || '.' || (paid * 1000 // reg % 10)::VARCHAR || '%）' AS ev
            FROM e WHERE reg >= ? AND reg > 0 AND paid IS NOT NULL AND paid * ? <= reg * ? ORDER BY i""",
                            [f.int_("min_registered_yuan") * 100, den, num]))

    def capital_young_huge(self, f: Feature) -> _Hits:
        return _hits(self.q("""
            SELECT i, '成立' || (?::DATE - est)::VARCHAR || '天，注册资本' || yuan(reg) AS ev
            FROM e WHERE reg >= ? AND est IS NOT NULL AND est <= ?::DATE AND ?::DATE - est <= ? ORDER BY i""",
                            [self.today, f.int_("min_registered_yuan") * 100, self.today, self.today,
                             f.int_("max_age_days")]))

    def court_records(self, f: Feature) -> _Hits:
        days = f.int_("lookback_days")
        return _hits(self.q(f"""
            SELECT i, '近{days}天司法及执行记录' || n::VARCHAR || '条（最近' || strftime(last_d, '%Y-%m-%d') || '：'
                   || CASE WHEN length(last_t) > 24 THEN left(last_t, 24) || '…' ELSE last_t END || '）' AS ev
            FROM (SELECT i, count(*) AS n, max(d) AS last_d, arg_max(text, (d, text)) AS last_t FROM sig
                  WHERE kind = 'court' AND d >= ? GROUP BY i)
            WHERE n >= ? ORDER BY i""", [self.since(days), f.int_("min_records")]))

    def branches_burst(self, f: Feature) -> _Hits:
        window = f.int_("window_days")
        return _hits(self.q(f"""
            WITH b AS (SELECT DISTINCT h.i AS head, br.i AS branch, br.est FROM l
                         JOIN e h ON h.credit_code = l.src JOIN e br ON br.credit_code = l.dst
                       WHERE l.kind = 'branch' AND l.src_kind = 'company' AND br.est IS NOT NULL
                         AND br.est >= ? AND br.est <= ?),
                 w AS (SELECT head, est, count(*) OVER (PARTITION BY head ORDER BY est
                              RANGE BETWEEN CURRENT ROW AND INTERVAL {window - 1} DAY FOLLOWING) AS c FROM b),
                 best AS (SELECT head, arg_min(est, (-c, est)) AS start, max(c) AS c FROM w GROUP BY head)
            SELECT head AS i, strftime(start, '%Y-%m-%d') || '起{window}天内新设分支机构' || c::VARCHAR || '家' AS ev
            FROM best WHERE c >= ? ORDER BY head""",
                            [self.since(f.int_("lookback_days")), self.today, f.int_("min_branches")]))

    def complaints_count(self, f: Feature) -> _Hits:
        days = f.int_("window_days")
        return _hits(self.q(f"""
            SELECT i, '近{days}天投诉举报' || n::VARCHAR || '件' AS ev FROM (
              SELECT i, count(*) AS n FROM sig WHERE kind = 'complaint' AND d >= ? GROUP BY i)
            WHERE n >= ? ORDER BY i""", [self.since(days), f.int_("min_complaints")]))

    def complaints_rising(self, f: Feature) -> _Hits:
        days = f.int_("window_days")
        num, den = f.dec("min_ratio").as_integer_ratio()
        recent, before = self.since(days), self.since(2 * days)
        return _hits(self.q(f"""
            SELECT i, '近{days}天投诉' || r::VARCHAR || '件，此前{days}天' || p::VARCHAR || '件' AS ev FROM (
              SELECT i, count(*) FILTER (WHERE d >= ?) AS r, count(*) FILTER (WHERE d < ?) AS p FROM sig
              WHERE kind = 'complaint' AND d >= ? GROUP BY i)
            WHERE r >= ? AND r * ? >= p * ? ORDER BY i""",
                            [recent, recent, before, f.int_("min_recent"), den, num]))

    def feature_words_in_texts(self, f: Feature) -> _Hits:
        pat = _word_pattern(self.m.feature_words)
        return _hits(self.q("""
            SELECT i, '特征词“' || array_to_string(w, '”“') || '”' AS ev FROM (
              SELECT i, list_sort(list_distinct(flatten(list(regexp_extract_all(lower(text), ?))))) AS w
              FROM sig WHERE kind IN (SELECT unnest(?)) AND d >= ? GROUP BY i)
            WHERE len(w) >= ? ORDER BY i""", [pat, list(f.threshold["kinds"]), self.since(f.int_("lookback_days")),
                                              f.int_("min_distinct_words")]))

    # -------------------------------------------------------------------------------------------- network

    def network(self) -> nw.Network:
        cfg = self.m.network
        return nw.build_network(self.inputs.enterprises, self.inputs.persons, self.inputs.links,
                                max_shared=int(cfg.get("max_shared", 50)),
                                min_address_chars=int(cfg.get("min_address_chars", 6)),
                                default_area_code=str(cfg.get("default_area_code", "020")))

    def near_blacklisted_person(self, f: Feature, net: nw.Network) -> _Hits:
        p = self.inputs.persons
        flags = pc.fill_null(p.column("blacklisted"), False).to_numpy(zero_copy_only=False)
        sources = np.nonzero(flags)[0].astype(np.int64) + net.n_companies
        if sources.size == 0:
            return _empty()
        dist, origin = nw.hops_from(net, sources, f.int_("max_hops"))
        d = dist[:net.n_companies]
        idx = np.nonzero(d >= 1)[0]
        names = pc.take(p.column("name"), pa.array(origin[idx] - net.n_companies)).to_pylist()
        return _Hits(idx, [f"距黑名单人员 {nm} {h} 跳" for nm, h in zip(names, d[idx].tolist(), strict=True)])

    def near_cased_company(self, f: Feature, net: nw.Network) -> _Hits:
        if not self.inputs.cased:
            return _empty()
        e = self.inputs.enterprises
        pos = pc.index_in(pa.array(sorted(self.inputs.cased), pa.string()), value_set=e.column("credit_code"))
        sources = pc.drop_null(pos).to_numpy().astype(np.int64)
        if sources.size == 0:
            return _empty()
        dist, origin = nw.hops_from(net, sources, f.int_("max_hops"))
        d = dist[:net.n_companies]
        idx = np.nonzero(d >= 1)[0]
        src = pa.array(origin[idx])
        names = pc.take(e.column("name"), src).to_pylist()
        codes = pc.take(e.column("credit_code"), src).to_pylist()
        return _Hits(idx, [f"距在案企业 {nm}（{c}）{h} 跳"
                           for nm, c, h in zip(names, codes, d[idx].tolist(), strict=True)])

    def rings(self, f: Feature | None, net: nw.Network, base: np.ndarray) -> tuple[_Hits, np.ndarray, np.ndarray,
                                                                                   list[str]]:
        """Leiden CPM communities around companies with other signals; the dense_ring hits."""
        cfg = self.m.network.get("leiden") or {}
        flag_min = f.int_("flag_min_points") if f else 1
        flagged = base >= flag_min
        seeds = np.nonzero(flagged)[0].astype(np.int64)
        min_c = f.int_("min_companies") if f else 2
        if seeds.size == 0:
            return _empty(), np.full(self.n, -1, np.int64), np.zeros(self.n, np.int64), []
        com = nw.communities(net, resolution=float(cfg.get("resolution", 0.25)), min_companies=min(min_c, 2),
                             seeds=seeds, radius=int(cfg.get("radius", 2)), n_iterations=int(cfg.get("n_iterations", 4)),
                             seed=int(cfg.get("seed", 1)))
        memb, size = com.of_companies(self.n)
        if f is None or not com.labels:
            return _empty(), memb, size, com.labels
        inside = memb >= 0
        flagged_per = np.bincount(memb[inside & flagged], minlength=len(com.labels))
        others = np.where(inside, flagged_per[np.maximum(memb, 0)] - flagged.astype(np.int64), 0)
        hit = inside & (size >= min_c) & (others >= f.int_("min_flagged_others"))
        idx = np.nonzero(hit)[0]
        ev = [f"所在团伙{com.labels[c]}共{s}家企业，其中另有{o}家有其他风险信号"
              for c, s, o in zip(memb[idx].tolist(), size[idx].tolist(), others[idx].tolist(), strict=True)]
        return _Hits(idx, ev), memb, size, com.labels


@lru_cache(maxsize=200_000)
def _parse_text(text: str) -> tuple[int | None, str | None, str | None]:
    """(best annual rate × 10000, its words, the first guarantee phrase) of one text."""
    r = best_return(text)
    if r is None:
        return None, None, None
    rate = None if r.annual_rate is None else int(r.annual_rate * 10000)
    guarantee = None
    if r.guaranteed:
        if r.annual_rate is None:
            guarantee = r.matched
        else:
            guarantee = next((x.matched for x in parse_returns(text) if x.annual_rate is None), None)
    return rate, (r.matched if rate is not None else None), guarantee


class _Clock:
    """Seconds spent in each phase, written into `timings` when the caller asks for them (benchmarks)."""

    def __init__(self, timings: dict | None) -> None:
        self.timings, self.t = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self.t, 3)
        self.t = now


def _all_hits(inputs: Inputs, model: Model, today: date, clock: _Clock) -> tuple[dict[str, _Hits], np.ndarray,
                                                                                 np.ndarray, list[str]]:
    """Every feature's hits, and each company's ring (community number, company count) with the ring labels."""
    sc = _Scorer(inputs, model, today)
    try:
        clock.lap("load")
        hits = {}
        for f in model.features:
            if f.id not in NETWORK_FEATURES:
                hits[f.id] = getattr(sc, f.id)(f)
                clock.lap("features")
        base = np.zeros(sc.n, np.int64)
        for fid, h in hits.items():
            np.add.at(base, h.idx, model.feature(fid).points)
        net = sc.network()
        clock.lap("graph_build")
        for fid in ("near_blacklisted_person", "near_cased_company"):
            if model.has(fid):
                hits[fid] = getattr(sc, fid)(model.feature(fid), net)
        clock.lap("hops")
        ring_f = model.feature("dense_ring") if model.has("dense_ring") else None
        ring_hits, memb, size, labels = sc.rings(ring_f, net, base)
        if ring_f is not None:
            hits["dense_ring"] = ring_hits
        clock.lap("communities")
    finally:
        sc.con.close()
    return hits, memb, size, labels


def _reasons(model: Model, items: list[tuple[Feature, str]]) -> tuple[dict[str, int], list[dict]]:
    """A company's reasons, biggest first (then in the model's order), cut at the cap so that the reasons and
    the dimensions always add up to the score; a reason cut by the cap says so."""
    order = {f.id: k for k, f in enumerate(model.features)}
    items = sorted(items, key=lambda x: (-x[0].points, order[x[0].id]))
    left = model.cap
    dims = dict.fromkeys(DIMENSIONS, 0)
    reasons = []
    for f, ev in items:
        pts = min(f.points, left)
        left -= pts
        if pts < f.points:
            ev = f"{ev}（已达{model.cap}分上限，计{pts}分）"
        dims[f.dimension] += pts
        reasons.append({"feature": f.id, "dimension": f.dimension, "points": pts, "evidence": ev})
    return dims, reasons


def score_all(inputs: Inputs, model: Model, today: date, top: int | None = None,
              timings: dict | None = None) -> list[CompanyScore]:
    """Every company with points, highest score first (then by credit code); at most `top` of them. Pass a
    dict as `timings` to get the seconds spent in each phase."""
    n = inputs.enterprises.num_rows
    if n == 0:
        return []
    clock = _Clock(timings)
    hits, memb, size, labels = _all_hits(inputs, model, today, clock)
    raw = np.zeros(n, np.int64)
    for fid, h in hits.items():
        np.add.at(raw, h.idx, model.feature(fid).points)
    score = np.minimum(raw, model.cap)
    chosen = np.nonzero(score > 0)[0]
    if chosen.size == 0:
        return []
    codes = inputs.enterprises.column("credit_code")
    t = pa.table({"s": pa.array(score[chosen]), "c": pc.take(codes, pa.array(chosen))})
    ranked = chosen[pc.sort_indices(t, [("s", "descending"), ("c", "ascending")]).to_numpy()]
    if top is not None:
        ranked = ranked[:top]

    # one flat list of (company, feature, evidence), grouped by company
    feats = [model.feature(fid) for fid in hits if hits[fid].idx.size]
    comp = np.concatenate([hits[f.id].idx for f in feats]) if feats else np.empty(0, np.int64)
    feat = np.concatenate([np.full(hits[f.id].idx.size, k, np.int64) for k, f in enumerate(feats)]) if feats else comp
    evidence = [ev for f in feats for ev in hits[f.id].evidence]
    by_comp = np.argsort(comp, kind="stable")
    sorted_comp = comp[by_comp]
    starts = np.searchsorted(sorted_comp, ranked, "left").tolist()
    ends = np.searchsorted(sorted_comp, ranked, "right").tolist()
    names = pc.take(inputs.enterprises.column("name"), pa.array(ranked)).to_pylist()
    code_list = pc.take(codes, pa.array(ranked)).to_pylist()
    by_comp_l, feat_l = by_comp.tolist(), feat.tolist()
    out: list[CompanyScore] = []
    for j, i in enumerate(ranked.tolist()):
        dims, reasons = _reasons(model, [(feats[feat_l[k]], evidence[k]) for k in by_comp_l[starts[j]:ends[j]]])
        c = int(memb[i])
        out.append(CompanyScore(code_list[j], names[j], int(score[i]), dims, reasons,
                                labels[c] if c >= 0 else None, int(size[i]) if c >= 0 else 0))
    clock.lap("results")
    return out
