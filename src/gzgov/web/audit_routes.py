"""The audit log page (审计日志): latest entries, filters, and the hash-chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gzgov.core import audit
from gzgov.core.auth import Actor
from gzgov.core.models import AuditEntry
from gzgov.core.paging import Pager
from gzgov.web.deps import DB, CurrentActor, is_htmx
from gzgov.web.templating import render, render_page

router = APIRouter()


def _entries(db: Session, entity_type: str, who: str, page: int) -> dict:
    conds = []
    if entity_type:
        conds.append(AuditEntry.entity_type == entity_type)
    if who:
        conds.append(AuditEntry.actor == who.strip())
    total = db.scalar(select(func.count()).select_from(AuditEntry).where(*conds)) or 0
    pager = Pager.of(total, page)
    rows = db.scalars(select(AuditEntry).where(*conds).order_by(AuditEntry.seq.desc())
                      .offset(pager.offset).limit(pager.per_page)).all()
    return {"entries": rows, "pager": pager, "entity_type": entity_type, "who": who,
            "entity_types": db.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)).all(),
            "actors": db.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)).all()}


def _context(db: Session, actor: Actor, entity_type: str, who: str, page: int) -> dict:
    return _entries(db, entity_type, who, page) | {"can_verify": actor.can("audit.verify"), "result": None}


@router.get("/audit")
def audit_log(request: Request, db: DB, actor: CurrentActor, entity_type: str = "",
              who: Annotated[str, Query(alias="actor")] = "", page: int = 1) -> object:
    actor.require("audit.view")
    return render_page(request, "audit.html", "_audit_rows.html", _context(db, actor, entity_type, who, page))


@router.post("/audit/verify")
def audit_verify(request: Request, db: DB, actor: CurrentActor) -> object:
    actor.require("audit.verify")
    result = audit.verify(db)
    if is_htmx(request):
        return render(request, "_verify.html", {"result": result})
    actor.require("audit.view")
    return render(request, "audit.html", _context(db, actor, "", "", 1) | {"result": result})
