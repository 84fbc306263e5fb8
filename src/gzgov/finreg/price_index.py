"""The Guangzhou lending price index (广州价格, plan chapter 7 §5 一(三)): each month, the principal-weighted
average all-in annualised rate of the small-loan lending newly contracted that month, by term bucket and
borrower type, from the loan records in the current submissions (DuckDB over their Parquet files).

Method: a loan counts in month M when its contract date falls in M and it appears in a current `loans`
submission for period M. Its term is the whole months from contract to maturity; the buckets are ≤ 3, 4–6,
7–12, 13–36 and > 36 months. Rate = Σ(rate × principal) / Σ principal, rounded half-up to 4 decimals (the
weights are integer fen and the rates decimal strings, so the sum is exact before the one rounding)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from gzgov.core.auth import Actor
from gzgov.finreg.intake import _period, store_dir
from gzgov.finreg.models import Submission

BASIS = "穗府办〔2021〕9号 第七章五（一）（三）"
BUCKETS = (("m0_3", 0, 3, "3个月以内", "up to 3 months"), ("m4_6", 4, 6, "4—6个月", "4–6 months"),
           ("m7_12", 7, 12, "7—12个月", "7–12 months"), ("m13_36", 13, 36, "1—3年", "1–3 years"),
           ("m37_plus", 37, 10_000, "3年以上", "over 3 years"))


@dataclass(frozen=True)
class Cell:
    bucket: str  # a BUCKETS key, or "all"
    borrower_type: str  # a borrower type, or "all"
    loans: int
    principal_fen: int
    rate: Decimal  # weighted average annual rate, 4 decimals


def _bucket_sql() -> str:
    cases = " ".join(f"WHEN months BETWEEN {lo} AND {hi} THEN '{key}'" for key, lo, hi, _zh, _en in BUCKETS)
    return f"CASE {cases} END"


def compute(session: Session, actor: Actor, period: str) -> list[Cell]:
    """The index of a month: every (bucket, borrower type) cell, each bucket over all borrowers, and the total."""
    actor.require("finreg.view")
    period = _period(period)
    paths = [str(store_dir() / p) for p in session.scalars(select(Submission.path).where(
        Submission.dataset == "loans", Submission.period == period, Submission.status == "current"))]
    if not paths:
        return []
    con = duckdb.connect()
    try:
        con.read_parquet(paths, union_by_name=True).create_view("loans")
        rows = con.execute(f"""
            WITH new AS (
              SELECT borrower_type, principal_fen, CAST(annual_rate AS DECIMAL(18, 6)) AS rate,
                     date_diff('month', contract_date, maturity_date)
                       - CASE WHEN day(maturity_date) < day(contract_date) THEN 1 ELSE 0 END AS months
              FROM loans
              WHERE strftime(contract_date, '%Y-%m') = ? AND principal_fen > 0 AND maturity_date >= contract_date),
            bucketed AS (SELECT *, {_bucket_sql()} AS bucket FROM new)
            SELECT CASE WHEN grouping(bucket) = 1 THEN 'all' ELSE bucket END,
                   CASE WHEN grouping(borrower_type) = 1 THEN 'all' ELSE borrower_type END,
                   count(*), sum(principal_fen), sum(CAST(rate AS DECIMAL(38, 6)) * principal_fen)
            FROM bucketed GROUP BY GROUPING SETS ((bucket, borrower_type), (bucket), ())
        """, [period]).fetchall()
    finally:
        con.close()
    out = []
    for bucket, borrower, n, principal, weighted in rows:
        rate = (Decimal(weighted) / Decimal(principal)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        out.append(Cell(bucket, borrower, int(n), int(principal), rate))
    order = {key: i for i, (key, *_rest) in enumerate(BUCKETS)} | {"all": len(BUCKETS)}
    return sorted(out, key=lambda c: (order[c.bucket], c.borrower_type == "all", c.borrower_type))
