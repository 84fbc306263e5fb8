"""The hash-chained audit log (审计日志): who, when, what, before/after, why.

Each entry's hash covers its own fields and the previous entry's hash, so an edited
entry breaks its own hash and a deleted entry breaks the sequence and the next link;
the single `audit_head` row records the last sequence number and hash, so deleting
the tail is detected too. Appending locks the head row (SELECT ... FOR UPDATE on
PostgreSQL; SQLite serialises writers), so concurrent writers still form one chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core.db import now
from gzgov.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical(value: object) -> object:
    """A JSON-safe copy with a stable form (dates ISO, Decimals as strings)."""
    return json.loads(json.dumps(value, default=_default, sort_keys=True, ensure_ascii=False))


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, entity_type: str,
               entity_id: str, before: object, after: object, reason: str) -> str:
    body = json.dumps(
        [seq, at.isoformat(), actor, action, entity_type, entity_id, before, after, reason],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(session: Session, actor: str, action: str, entity_type: str, entity_id: object,
           before: object = None, after: object = None, reason: str = "") -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    head = _lock_head(session)
    seq = head.last_seq + 1
    at = now()
    before_c, after_c = canonical(before), canonical(after)
    digest = entry_hash(head.last_hash, seq, at, actor, action, entity_type, str(entity_id),
                        before_c, after_c, reason or "")
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, entity_type=entity_type,
                       entity_id=str(entity_id), before=before_c, after=after_c, reason=reason or "",
                       prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.last_seq, head.last_hash = seq, digest
    session.flush()
    return entry


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    problems: list[str]


def _iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


# Records outside the log whose digests the log holds (evidence files, ...): each returns its problems.
EXTRA_CHECKS = ("gzgov.finreg.cases:verify_evidence",)


def _extra_checks(session: Session) -> list[str]:
    from importlib import import_module

    problems: list[str] = []
    for target in EXTRA_CHECKS:
        module, name = target.split(":")
        problems.extend(getattr(import_module(module), name)(session))
    return problems


def verify(session: Session) -> VerifyResult:
    """Recompute the whole chain; report every edited, missing or re-linked entry, and every record whose
    digest the chain holds (evidence files) that no longer matches."""
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for e in _iter_entries(session):
        count += 1
        if e.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{e.seq - 1} missing (deleted) / 第{expected_seq}至{e.seq - 1}条缺失（被删除）")
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq}: link to previous entry broken / 第{e.seq}条与前一条的链接断开")
        recomputed = entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_id,
                                e.before, e.after, e.reason)
        if recomputed != e.hash:
            problems.append(f"entry {e.seq}: content altered / 第{e.seq}条内容被篡改")
        expected_seq, prev = e.seq + 1, e.hash
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        problems.append(
            f"chain head records entry {head.last_seq} but the log ends at {expected_seq - 1} (tail deleted or altered)"
            f" / 链头记录第{head.last_seq}条，日志止于第{expected_seq - 1}条（末尾被删除或篡改）"
        )
    problems.extend(_extra_checks(session))
    return VerifyResult(ok=not problems, entries=count, problems=problems)
