"""Illegal-fundraising monitoring as a service: the enterprise data read from the database into the tables the
risk index is computed on (gzgov.finreg.fundraising.scoring), a scoring run kept with every company's points
and ring, warnings raised for companies over the threshold into the same loop as institutions' warnings, and
the watchlist and profile queries the pages use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.db import now
from gzgov.finreg.models import (
    BlacklistEntry,
    Case,
    Enterprise,
    EnterpriseLink,
    EnterprisePerson,
    FundraisingRun,
    FundraisingScore,
    Institution,
    RiskWarning,
    Signal,
)

RULE_ID = "FR_RISK_INDEX"


def _scoped(actor: Actor, q):
    d = actor.district_filter()
    return q.where(Enterprise.district_code == d) if d else q


def load_tables(session: Session, today: date) -> dict:
    """The scoring input as Arrow tables (columns documented in gzgov.finreg.fundraising.scoring) plus `cased`."""
    licensed = set(session.scalars(select(Institution.credit_code)))
    rows = session.execute(select(Enterprise.credit_code, Enterprise.name, Enterprise.scope,
                                  Enterprise.registered_capital_fen, Enterprise.paid_in_capital_fen,
                                  Enterprise.established, Enterprise.address, Enterprise.phone,
                                  Enterprise.district_code, Enterprise.industry, Enterprise.financial_licence)
                           .order_by(Enterprise.id)).all()
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(11)]
    enterprises = pa.table({
        "credit_code": pa.array(cols[0], pa.string()), "name": pa.array(cols[1], pa.string()),
        "scope": pa.array(cols[2], pa.string()), "registered_capital_fen": pa.array(cols[3], pa.int64()),
        "paid_in_capital_fen": pa.array(cols[4], pa.int64()), "established": pa.array(cols[5], pa.date32()),
        "address": pa.array(cols[6], pa.string()), "phone": pa.array(cols[7], pa.string()),
        "district_code": pa.array(cols[8], pa.string()), "industry": pa.array(cols[9], pa.string()),
        "has_financial_licence": pa.array([bool(lic) or code in licensed for code, lic in zip(cols[0], cols[10],
                                                                                            strict=True)], pa.bool_()),
    })
    barred = set(session.scalars(select(BlacklistEntry.id_index).where(
        BlacklistEntry.kind == "person", BlacklistEntry.valid_from <= today,
        or_(BlacklistEntry.valid_to.is_(None), BlacklistEntry.valid_to >= today))))
    people = session.execute(select(EnterprisePerson.id, EnterprisePerson.name, EnterprisePerson.id_masked,
                                    EnterprisePerson.id_index).order_by(EnterprisePerson.id)).all()
    persons = pa.table({"person_key": pa.array([f"P{p[0]}" for p in people], pa.string()),
                        "name": pa.array([p[1] for p in people], pa.string()),
                        "id_masked": pa.array([p[2] for p in people], pa.string()),
                        "blacklisted": pa.array([p[3] in barred for p in people], pa.bool_())})
    dst, src = aliased(Enterprise), aliased(Enterprise)
    links = session.execute(select(EnterpriseLink.kind, EnterpriseLink.person_id, src.credit_code, dst.credit_code,
                                   EnterpriseLink.share_bp)
                            .join(dst, dst.id == EnterpriseLink.company_id)
                            .outerjoin(src, src.id == EnterpriseLink.other_company_id)
                            .order_by(EnterpriseLink.id)).all()
    links_t = pa.table({
        "kind": pa.array([r[0] for r in links], pa.string()),
        "src_kind": pa.array(["person" if r[1] is not None else "company" for r in links], pa.string()),
        "src": pa.array([f"P{r[1]}" if r[1] is not None else r[2] for r in links], pa.string()),
        "dst": pa.array([r[3] for r in links], pa.string()),
        "share_bp": pa.array([r[4] for r in links], pa.int64())})
    sig = session.execute(select(Enterprise.credit_code, Signal.kind, Signal.on, Signal.text)
                          .join(Enterprise, Enterprise.id == Signal.company_id).order_by(Signal.id)).all()
    signals = pa.table({"credit_code": pa.array([r[0] for r in sig], pa.string()),
                        "kind": pa.array([r[1] for r in sig], pa.string()),
                        "on": pa.array([r[2] for r in sig], pa.date32()),
                        "text": pa.array([r[3] for r in sig], pa.string())})
    cased = set(session.scalars(select(Enterprise.credit_code).join(Case, Case.enterprise_id == Enterprise.id)
                                .where(or_(Case.stage != "closed", Case.finding == "illegal_fundraising"))))
    barred_entities = set(session.scalars(select(BlacklistEntry.id_index).where(
        BlacklistEntry.kind == "entity", BlacklistEntry.valid_from <= today,
        or_(BlacklistEntry.valid_to.is_(None), BlacklistEntry.valid_to >= today))))
    if barred_entities:
        from gzgov.core.identity import get_cipher

        blind = get_cipher().blind_index
        cased |= {c for c in cols[0] if blind(c) in barred_entities}
    return {"enterprises": enterprises, "persons": persons, "links": links_t, "signals": signals, "cased": cased}


@dataclass(frozen=True)
class RunResult:
    run_id: int
    companies: int
    scored: int
    warnings_new: int


def score_and_record(session: Session, actor: Actor, today: date | None = None) -> RunResult:
    """Score every company, keep the run (companies with points only) and raise a warning for each company at or
    over the model's warning threshold, in the same loop as institutions' warnings."""
    from gzgov.finreg import cases
    from gzgov.finreg.fundraising import scoring

    actor.require("finreg.fundraising.score")
    today = today or now().date()
    model = scoring.load_model()
    tables = load_tables(session, today)
    results = scoring.score_all(scoring.Inputs(**tables), model, today)
    run = FundraisingRun(model_version=str(model.version), as_of=today, companies=tables["enterprises"].num_rows,
                         scored=0, run_by=actor.username)
    session.add(run)
    session.flush()
    ids = dict(session.execute(select(Enterprise.credit_code, Enterprise.id)).all())
    rows = []
    for r in results:
        if r.score <= 0:
            continue
        rows.append({"run_id": run.id, "company_id": ids[r.credit_code], "score": r.score,
                     "dimensions": json.dumps(r.dimensions, ensure_ascii=False, sort_keys=True),
                     "reasons": json.dumps([dict(x) for x in r.reasons], ensure_ascii=False),
                     "cluster": None if r.cluster is None else str(r.cluster), "cluster_size": r.cluster_size})
    if rows:
        session.execute(FundraisingScore.__table__.insert(), rows)
    run.scored = len(rows)
    period = f"{today.year}-{today.month:02d}"
    new = 0
    for r in results:
        level = model.level_for(r.score)
        if level is None:
            continue
        _w, created = cases.raise_enterprise_warning(
            session, actor, r.credit_code, RULE_ID, period, level, r.score, model.warn_at, model.basis,
            {"metric": "illegal-fundraising risk index (0–100)", "model": str(model.version), "run": run.id,
             "dimensions": r.dimensions, "top": [dict(x) for x in r.reasons[:5]], "cluster": r.cluster})
        new += created
    run.warnings = new
    audit.record(session, actor.username, "finreg.fundraising.score", "finreg_fundraising_run", run.id,
                 after={"model": run.model_version, "as_of": today, "companies": run.companies, "scored": run.scored,
                        "warnings_new": new})
    session.flush()
    return RunResult(run.id, run.companies, run.scored, new)


def run_scores(session: Session, actor: Actor, run_id: int, top: int | None = None) -> list[dict]:
    """A run's companies with points, highest first (the stable `gzgov finreg fundraising score --json` shape:
    credit_code, name, score, reasons [{feature, points, evidence}], cluster; plus district and dimensions)."""
    actor.require("finreg.view")
    stmt = _scoped(actor, select(FundraisingScore, Enterprise)
                   .join(Enterprise, Enterprise.id == FundraisingScore.company_id)
                   .where(FundraisingScore.run_id == run_id)
                   .order_by(FundraisingScore.score.desc(), Enterprise.credit_code))
    if top:
        stmt = stmt.limit(top)
    out = []
    for s, e in session.execute(stmt):
        reasons = json.loads(s.reasons)
        out.append({"credit_code": e.credit_code, "name": e.name, "district": e.district_code, "score": s.score,
                    "reasons": [{"feature": r["feature"], "points": r["points"], "evidence": r["evidence"]}
                                for r in reasons],
                    "dimensions": json.loads(s.dimensions), "cluster": s.cluster, "cluster_size": s.cluster_size})
    return out


def latest_run(session: Session) -> FundraisingRun | None:
    return session.scalar(select(FundraisingRun).order_by(FundraisingRun.id.desc()).limit(1))


def watchlist(session: Session, actor: Actor, run: FundraisingRun, district: str = "", industry: str = "",
              q: str = "", min_score: int = 0):
    """The run's scored companies the reader may see, highest first (a query for paging)."""
    actor.require("finreg.view", district or None)
    stmt = (select(FundraisingScore, Enterprise).join(Enterprise, Enterprise.id == FundraisingScore.company_id)
            .where(FundraisingScore.run_id == run.id, FundraisingScore.score >= min_score))
    stmt = _scoped(actor, stmt)
    if district:
        stmt = stmt.where(Enterprise.district_code == district)
    if industry:
        stmt = stmt.where(Enterprise.industry == industry)
    if q.strip():
        from gzgov.core.paging import like_pattern

        pattern = like_pattern(q.strip())
        stmt = stmt.where(or_(Enterprise.name.ilike(pattern, escape="\\"), Enterprise.credit_code.ilike(pattern, escape="\\")))
    return stmt.order_by(FundraisingScore.score.desc(), Enterprise.credit_code)


def industries(session: Session) -> list[str]:
    return [i for i in session.scalars(select(Enterprise.industry).distinct().order_by(Enterprise.industry)) if i]


def complaint_trend(session: Session, company_id: int | None = None, months: int = 12,
                    today: date | None = None) -> list[tuple[str, int]]:
    """Complaints per month over the last `months` months, for one company or all."""
    today = today or now().date()
    y, m = today.year, today.month
    keys = []
    for _ in range(months):
        keys.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    keys.reverse()
    start = date(int(keys[0][:4]), int(keys[0][5:]), 1)
    stmt = select(Signal.on).where(Signal.kind == "complaint", Signal.on >= start, Signal.on <= today)
    if company_id is not None:
        stmt = stmt.where(Signal.company_id == company_id)
    counts = dict.fromkeys(keys, 0)
    for (on,) in session.execute(stmt):
        k = f"{on.year}-{on.month:02d}"
        if k in counts:
            counts[k] += 1
    return list(counts.items())


def company_counts(session: Session) -> dict[str, int]:
    return {"enterprises": session.scalar(select(func.count()).select_from(Enterprise)) or 0,
            "signals": session.scalar(select(func.count()).select_from(Signal)) or 0,
            "warnings": session.scalar(select(func.count()).select_from(RiskWarning)
                                       .where(RiskWarning.enterprise_id.is_not(None))) or 0}


# ---------------------------------------------------------------- a company's neighbourhood (for the page)

class _Walk:
    """Breadth-first over the enterprise tables, one company hop at a time."""

    def __init__(self, session: Session, limit: int) -> None:
        from gzgov.core.identity import get_cipher

        today = now().date()
        self.s, self.limit = session, limit
        self.barred = set(session.scalars(select(BlacklistEntry.id_index).where(
            BlacklistEntry.valid_from <= today, or_(BlacklistEntry.valid_to.is_(None), BlacklistEntry.valid_to >= today))))
        self.blind = get_cipher().blind_index
        self.nodes: dict[str, dict] = {}
        self.edges: set[tuple[str, str, str]] = set()
        self.seen: set[int] = set()

    def company(self, e: Enterprise, depth: int) -> None:
        self.seen.add(e.id)
        self.nodes.setdefault(f"C#{e.id}", {"id": f"C:{e.credit_code}", "name": e.name, "category": "company",
                                            "depth": depth, "code": e.credit_code,
                                            "blacklisted": self.blind(e.credit_code) in self.barred})

    def linked(self, frontier: set[int], depth: int) -> set[int]:
        """Persons and companies linked to the frontier, and every company those persons are linked to."""
        nxt: set[int] = set()
        persons: dict[int, EnterprisePerson] = {}
        for lk, person in self.s.execute(select(EnterpriseLink, EnterprisePerson)
                                         .outerjoin(EnterprisePerson, EnterprisePerson.id == EnterpriseLink.person_id)
                                         .where(or_(EnterpriseLink.company_id.in_(frontier),
                                                    EnterpriseLink.other_company_id.in_(frontier)))):
            if person is not None:
                persons[person.id] = person
            else:
                self.edges.add((f"C#{lk.other_company_id}", f"C#{lk.company_id}", lk.kind))
                nxt |= {lk.other_company_id, lk.company_id}
        for person in persons.values():
            self.nodes.setdefault(f"P#{person.id}", {"id": f"P:{person.id}", "name": f"{person.name}（{person.id_masked}）",
                                                     "category": "person", "depth": depth,
                                                     "blacklisted": person.id_index in self.barred})
        if persons:
            for lk in self.s.scalars(select(EnterpriseLink).where(EnterpriseLink.person_id.in_(list(persons)))):
                self.edges.add((f"P#{lk.person_id}", f"C#{lk.company_id}", lk.kind))
                nxt.add(lk.company_id)
        return nxt

    def sharing(self, frontier: set[int], depth: int) -> set[int]:
        """Companies registered at the same address or with the same phone as a frontier company, compared as the
        network compares them (normalised keys kept on import)."""
        nxt: set[int] = set()
        for e in self.s.scalars(select(Enterprise).where(Enterprise.id.in_(frontier))):
            for kind, key, value in (("address", e.address_key, e.address), ("phone", e.phone_key, e.phone)):
                column = Enterprise.address_key if kind == "address" else Enterprise.phone_key
                others = [x for x in self.s.scalars(select(Enterprise.id).where(column == key).limit(30))
                          if x != e.id] if key else []
                if not others:
                    continue
                nid = f"{kind}#{key}"
                self.nodes.setdefault(nid, {"id": nid, "name": value, "category": kind, "depth": depth})
                for x in (e.id, *others):
                    self.edges.add((f"C#{x}", nid, f"shared_{kind}"))
                nxt.update(others)
        return nxt

    def result(self) -> dict:
        out_edges = [{"source": self.nodes[a]["id"], "target": self.nodes[b]["id"], "kind": kind}
                     for a, b, kind in sorted(self.edges) if a in self.nodes and b in self.nodes and a != b]
        return {"nodes": list(self.nodes.values()), "edges": out_edges}


def neighbourhood(session: Session, credit_code: str, hops: int = 2, limit: int = 150) -> dict:
    """The company's network to `hops` hops — persons through shareholdings, offices and legal
    representation, companies through corporate shareholdings and branches, and companies sharing its address
    or phone — as nodes and edges for the page's graph (at most `limit` nodes, nearest first)."""
    start = session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))
    if start is None:
        return {"nodes": [], "edges": []}
    walk = _Walk(session, limit)
    walk.company(start, 0)
    frontier = {start.id}
    for depth in range(1, hops + 1):
        if not frontier or len(walk.nodes) >= limit:
            break
        nxt = (walk.linked(frontier, depth) | walk.sharing(frontier, depth)) - walk.seen
        nxt = set(sorted(nxt)[:max(0, limit - len(walk.nodes))])
        for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(nxt))):
            walk.company(e, depth)
        frontier = nxt
    return walk.result()
