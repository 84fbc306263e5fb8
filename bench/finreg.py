"""Finreg benchmarks (issue 4, "Performance"), each against a plain baseline measured in the same run:

(a) intake: a 10,000,000-row loans CSV of one small-loan company checked against its contract and stored
    (`intake.submit` into SQLite under var/bench/) — baseline: the same checks row by row (csv.reader and the
    scalar cell converter `intake._convert`, a set of keys, one Parquet write), on the first rows, extrapolated;
(b) the full rule pack of a period over 50,000,000 loan rows of the 116 small-loan companies, stored as the
    store lays them out (loans/<institution>/<period>/v1.parquet, the types intake writes), run by the rule
    engine on DuckDB (`engine.run_period`) — baseline: pandas computing the same rules institution by
    institution over the same files; both verdicts are compared.

Each phase runs in its own process, so that its peak memory (ru_maxrss) is its own; the data (CSV, store,
database) are generated once and kept in var/bench/finreg/. Results go to the `finreg` section of
docs/benchmarks.md. Usage:

    .venv/bin/python bench/finreg.py [--rows 50000000] [--submission-rows 10000000] [--baseline-rows 1000000] \
        [--repeat 3]

The rule pack and its pandas baseline run `--repeat` times, alternating, and the middle run of each is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import _report  # bench/, the folder of the script being run, is on sys.path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "finreg"
PERIOD = "2025-09"
SHARED_BORROWERS = 200_000  # a pool of borrowers who also borrow from other companies
MEMORY_TARGET_MB = 4096


def _env(name: str) -> dict[str, str]:
    """Each data set has its own database and var directory (the store lives under it)."""
    return os.environ | {"GZGOV_DATABASE_URL": f"sqlite:///{WORK / name}.db", "GZGOV_VAR_DIR": str(WORK / name)}


def run_phase(name: str, data: str, *args: str) -> dict:
    return _report.run_phase(__file__, name, *args, env=_env(data))


# ---------------------------------------------------------------- synthetic loans (vectorised)


def loan_table(code: str, n: int, seed: int):
    """n loans of one company as intake stores them (contract field order and types): ~4 loans per borrower,
    5% of loans to borrowers shared with other companies, groups of three borrowers; consumer loans of 1千 to
    20万元 and business loans of 5万 to 300万元 (log-uniform), rates of 6–13.5% and for 8% of the loans
    13.5–24% (some above 4× the LPR); a tenth overdue, 1% of those over 90 days still classed normal."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from gzgov.finreg.contracts import load_datasets
    from gzgov.finreg.intake import ARROW

    rng = np.random.default_rng(seed)

    def ids(prefix: str, numbers, width: int):
        digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
        return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")

    def pick(values: list[str], weights: list[float]):
        return pa.array(values).take(pa.array(rng.choice(len(values), n, p=weights)))

    shared = rng.random(n) < 0.05
    own = rng.integers(0, max(n // 4, 1), n)
    pooled = rng.integers(0, SHARED_BORROWERS, n)
    borrower = pc.if_else(pa.array(shared), ids("S", pooled, 7), ids(f"{code}-B", own, 7))
    group = pc.if_else(pa.array(shared), ids("SG", pooled // 3, 6), ids(f"{code}-G", own // 3, 7))
    contract = np.datetime64("2023-01-01") + rng.integers(0, 1000, n).astype("timedelta64[D]")
    maturity = contract + rng.integers(30, 1080, n).astype("timedelta64[D]")
    consumption = rng.random(n) < 0.45
    low, high = np.where(consumption, 5.0, 6.7), np.where(consumption, 7.3, 8.48)  # log10 of fen
    principal = (10 ** rng.uniform(low, high)).astype(np.int64)
    balance = (principal * rng.random(n)).astype(np.int64)
    rate_bp = np.where(rng.random(n) < 0.92, rng.integers(600, 1350, n), rng.integers(1350, 2400, n))
    overdue = np.where(rng.random(n) < 0.9, 0, rng.integers(1, 400, n))
    grade = np.where(overdue == 0, 0, np.where(overdue <= 90, 1, rng.integers(2, 5, n)))
    grade = np.where((overdue > 90) & (rng.random(n) < 0.01), 0, grade)
    classes = ["normal", "special_mention", "substandard", "doubtful", "loss"]
    # joint lending (金规〔2024〕26号 Art. 15): 30% of loans online; 5% co-funded with a commercial bank (own share
    # 25–60%, so some below the 30% floor), 1% with another licensed lender, 1 in 100,000 with an unlicensed one
    draw = rng.random(n)
    joint = np.where(draw < 0.05, 1, np.where(draw < 0.06, 2, np.where(draw < 0.06001, 3, 0)))
    share = np.where(joint > 0, rng.integers(25, 61, n), 0)
    # loans to three shareholders' related parties (1 in 50,000 loans), each shareholder's stake ¥2,000,000
    holder = np.where(rng.random(n) < 0.00002, rng.integers(1, 4, n), 0)
    # principal paid out in full (Art. 16) but for 1 in 100,000 loans with a tenth kept back; students: 1 in 1,000
    disbursed = np.where(rng.random(n) < 0.00001, principal - principal // 10, principal)
    student = rng.random(n) < 0.001
    columns = {
        "institution_code": pa.array(np.full(n, code)),
        "period": pa.array(np.full(n, PERIOD)),
        "loan_id": ids(f"{code}-L", np.arange(n), 9),
        "borrower_id": borrower,
        "borrower_group_id": group,
        "borrower_type": pick(["natural_person", "individual_business", "small_micro_enterprise", "other_enterprise",
                               "farmer"], [0.4, 0.2, 0.25, 0.05, 0.1]),
        "purpose": pa.array(["business", "consumption"]).take(pa.array(consumption.astype(np.int8))),
        "contract_date": pa.array(contract.astype("datetime64[D]")),
        "maturity_date": pa.array(maturity.astype("datetime64[D]")),
        "principal_fen": pa.array(principal),
        "balance_fen": pa.array(balance),
        "annual_rate": ids("0.", rate_bp, 4),
        "overdue_days": pa.array(overdue.astype(np.int64)),
        "classification": pa.array(classes).take(pa.array(grade)),
        "related_shareholder_id": pc.if_else(pa.array(holder > 0), ids(f"{code}-SH", holder, 1),
                                             pa.scalar(None, pa.string())),
        "shareholder_contribution_fen": pc.if_else(pa.array(holder > 0), pa.scalar(200_000_000),
                                                   pa.scalar(None, pa.int64())),
        "joint_lender_type": pa.array([None, "commercial_bank", "licensed_other", "unlicensed"]).take(pa.array(joint)),
        "is_online": pa.array(rng.random(n) < 0.3),
        "own_funding_share": pc.if_else(pa.array(joint > 0), ids("0.", share, 2), pa.scalar(None, pa.string())),
        "disbursed_fen": pa.array(disbursed),
        "borrower_is_student": pa.array(student),
    }
    fields = load_datasets()["loans"].submitted_fields("small_loan")
    return pa.table({f.name: columns[f.name].cast(ARROW[f.type]) for f in fields})


def _financials_csv(code: str, book_fen: int, internet: bool, seed: int) -> bytes:
    """A statement whose net assets are about the loan book's (some companies leveraged over the limits)."""
    import random

    rng = random.Random(seed)
    net = int(book_fen * rng.uniform(0.3, 1.2)) or 1
    prior = int(net * rng.uniform(0.9, 1.05)) or 1
    bank = int(net * rng.uniform(0.1, 1.3))
    row = {"institution_code": code, "period": PERIOD, "total_assets_fen": net + book_fen, "total_liabilities_fen": book_fen,
           "net_assets_fen": net, "net_assets_prior_year_end_fen": prior, "registered_capital_fen": net,
           "bank_loans_fen": bank, "shareholder_loans_fen": 0, "other_nonstandard_borrowing_fen": 0,
           "bonds_outstanding_fen": int(net * (4.5 if internet and rng.random() < 0.2 else 1)),
           "abs_outstanding_fen": 0,
           # a third accept commercial bills, 5–20% of total assets (Art. 17 caps it at 15%)
           "commercial_acceptance_balance_fen": (int((net + book_fen) * rng.uniform(0.05, 0.20))
                                                 if rng.random() < 1 / 3 else ""),
           # one in twenty raised money through a private fund (Art. 21 forbids it); the others none or empty
           "venue_fund_funding_fen": int(net * 0.01) if rng.random() < 0.05 else rng.choice((0, ""))}
    return (",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n").encode()


# ---------------------------------------------------------------- phases (each in a child process)


def phase_generate_submission(csv_path: str, rows: int) -> dict:
    import pyarrow.csv as pacsv

    t = time.perf_counter()
    table = loan_table("SL-0001", rows, seed=1)
    pacsv.write_csv(table, csv_path, pacsv.WriteOptions(quoting_style="none"))
    return {"seconds": time.perf_counter() - t, "peak_mb": _report.peak_mb(), "bytes": Path(csv_path).stat().st_size}


def _register(codes: int) -> None:
    from gzgov.bootstrap import init_database
    from gzgov.core.auth import SYSTEM
    from gzgov.core.db import session_scope
    from gzgov.finreg import registry
    from gzgov.finreg.demo import population

    init_database()
    with session_scope() as s:
        for inst in [p for p in population() if p.kind == "small_loan"][:codes]:
            registry.register_institution(s, SYSTEM, inst)


def phase_intake(csv_path: str) -> dict:
    """Untimed: a fresh database with the company. Timed: intake.submit (check + Parquet + database row)."""
    from gzgov.core.auth import SYSTEM
    from gzgov.core.db import session_scope
    from gzgov.finreg import intake

    _register(1)
    data = Path(csv_path).read_bytes()
    t = time.perf_counter()
    with session_scope() as s:
        sub, _ = intake.submit(s, SYSTEM, "SL-0001", "loans", PERIOD, data, "loans.csv", channel="cli")
        rows, path = sub.rows, intake.store_dir() / sub.path
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "peak_mb": _report.peak_mb(), "rows": rows, "rows_per_s": rows / seconds,
            "csv_bytes": len(data), "parquet_bytes": path.stat().st_size}


def phase_intake_baseline(csv_path: str, rows: int) -> dict:
    """Plain baseline: csv.reader, each cell through the scalar converter, a set of keys, then one Parquet."""
    import csv
    import io
    import itertools

    import pyarrow as pa
    import pyarrow.parquet as pq

    from gzgov.finreg.contracts import load_datasets
    from gzgov.finreg.intake import ARROW, CODEC, _convert

    ds = load_datasets()["loans"]
    fields = ds.submitted_fields("small_loan")
    data = Path(csv_path).read_bytes()
    t = time.perf_counter()
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    header = next(reader)
    order = [header.index(f.name) for f in fields]
    key = header.index(ds.key[0])
    values: list[list] = [[] for _ in fields]
    seen: set[str] = set()
    errors = n = 0
    for n, row in enumerate(itertools.islice(reader, rows), start=1):  # noqa: B007
        for i, (f, j) in enumerate(zip(fields, order, strict=True)):
            try:
                values[i].append(_convert(f, row[j].strip()))
            except ValueError:
                errors += 1
        errors += row[key] in seen
        seen.add(row[key])
    table = pa.table({f.name: pa.array(v, ARROW[f.type]) for f, v in zip(fields, values, strict=True)})
    pq.write_table(table, WORK / "baseline.parquet", compression=CODEC)
    return {"seconds": time.perf_counter() - t, "peak_mb": _report.peak_mb(), "rows": n, "errors": errors}


def phase_build_store(rows: int, companies: int) -> dict:
    """Untimed set-up: the companies, a statement each (through intake) and their loans written as the store
    lays them out, with the database rows intake would make."""
    import hashlib

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from gzgov.core.auth import SYSTEM
    from gzgov.core.db import session_scope
    from gzgov.finreg import intake
    from gzgov.finreg.models import Institution, Submission

    t = time.perf_counter()
    _register(companies)
    with session_scope() as s:
        insts = sorted(s.query(Institution).all(), key=lambda i: i.code)
        each, extra = divmod(rows, len(insts))
        for k, inst in enumerate(insts):
            n = each + (k < extra)
            table = loan_table(inst.code, n, seed=100 + k)
            rel = Path("loans") / inst.code / PERIOD / "v1.parquet"
            path = intake.store_dir() / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path, compression=intake.CODEC)
            s.add(Submission(institution_id=inst.id, dataset="loans", period=PERIOD, version=1, rows=n,
                             sha256=hashlib.sha256(path.read_bytes()).hexdigest(), path=str(rel), status="current",
                             channel="api", submitted_by="bench"))
            book = pc.sum(table["balance_fen"]).as_py() or 0
            intake.submit(s, SYSTEM, inst.code, "financials", PERIOD,
                          _financials_csv(inst.code, book, inst.subkind == "internet", k), "financials.csv")
    return {"seconds": time.perf_counter() - t, "peak_mb": _report.peak_mb(), "rows": rows, "companies": len(insts)}


def phase_rules() -> dict:
    """The full rule pack of the period on DuckDB, as `gzgov finreg check` runs it; the time of each rule's
    query and of building the views is recorded to show where the time goes."""
    from gzgov.core.db import session_scope
    from gzgov.finreg import engine

    spent: dict[str, float] = {}
    run_rule, load_period = engine._run_rule, engine.load_period

    def timed_rule(data, book, rule, *args):
        t0 = time.perf_counter()
        try:
            return run_rule(data, book, rule, *args)
        finally:
            spent[rule.id] = time.perf_counter() - t0

    def timed_load(*args, **kw):
        t0 = time.perf_counter()
        try:
            return load_period(*args, **kw)
        finally:
            spent["(views over the files)"] = time.perf_counter() - t0

    def timed_materialize(self, name, parts, _materialize=engine.DuckDBBackend.materialize):
        t0 = time.perf_counter()
        try:
            return _materialize(self, name, parts)
        finally:
            spent[f"(shared aggregates {name})"] = time.perf_counter() - t0

    engine._run_rule, engine.load_period = timed_rule, timed_load
    engine.DuckDBBackend.materialize = timed_materialize
    t = time.perf_counter()
    with session_scope() as s:
        run = engine.run_period(s, PERIOD)
    seconds = time.perf_counter() - t
    ran = sorted(run.sql)
    return {"seconds": seconds, "peak_mb": _report.peak_mb(), "rules_run": ran, "breaches": len(run.breaches),
            "verdicts": sorted([b.institution, b.rule] for b in run.breaches),
            "skipped": sorted({f"{k.rule}: {k.reason}" for k in run.skipped}),
            "seconds_by_step": dict(sorted(spent.items(), key=lambda kv: -kv[1]))}


def phase_probe() -> dict:
    """Untimed by the table: the floors of the work, on the engine's own views — one pass over the loans, one
    grouping by borrower, the loans above 4× the LPR, the borrowers at more than three companies — to show
    which costs are the data's and which the way the rules are run."""
    from gzgov.core.db import session_scope
    from gzgov.finreg import engine
    from gzgov.finreg.rules import load_rules

    with session_scope() as s:
        data = engine.load_period(s, load_rules(), PERIOD)
    con, out = data.backend.con, {}

    def timed(name: str, sql: str) -> None:
        t0 = time.perf_counter()
        value = con.execute(sql).fetchall()[0][0]
        out[name] = {"seconds": time.perf_counter() - t0, "rows": int(value)}

    # each sum is consumed (sum(s)), so that the optimiser cannot drop it and time only the grouping
    timed("one pass: balance per company", "SELECT count(*), sum(s) FROM (SELECT institution_code, "
          "sum(balance_fen) AS s FROM loans GROUP BY 1)")
    timed("one grouping by (company, borrower)", "SELECT count(*), sum(s) FROM (SELECT institution_code, "
          "borrower_id, sum(balance_fen) AS s FROM loans GROUP BY 1, 2)")
    timed("loans above 4× the LPR (counted, not ranked)", "SELECT count(*) FROM loans "
          "WHERE annual_rate > 4 * lpr_1y_at_contract")
    timed("borrowers at more than three companies", "SELECT count(*) FROM (SELECT borrower_id FROM loans "
          "WHERE balance_fen > 0 GROUP BY 1 HAVING count(DISTINCT institution_code) > 3)")
    data.backend.close()
    return out | {"peak_mb": _report.peak_mb()}


def phase_pandas(rules: str) -> dict:
    """Plain baseline: pandas over the same Parquet files, one company at a time (so that it fits in memory),
    then the borrowers across companies; the same limits, compared exactly in integers."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import select

    from gzgov.core.db import session_scope
    from gzgov.finreg import intake, reference_rates
    from gzgov.finreg.models import Institution, Submission

    wanted = set(rules.split(","))
    with session_scope() as s:
        files = {(code, ds): intake.store_dir() / path for code, ds, path in s.execute(
            select(Institution.code, Submission.dataset, Submission.path)
            .join(Institution, Institution.id == Submission.institution_id)
            .where(Submission.period == PERIOD, Submission.status == "current"))}
        internet = {i.code for i in s.scalars(select(Institution).where(Institution.subkind == "internet"))}
    lpr = reference_rates.by_field()["lpr_1y_at_contract"]
    starts = np.array([np.datetime64(sp.valid_from) for sp in lpr.spans])
    ends = np.array([np.datetime64(sp.valid_to or date(9999, 12, 31)) for sp in lpr.spans])
    lpr_bp = np.array([int(sp.rate * 10000) for sp in lpr.spans])
    t = time.perf_counter()
    verdicts: set[tuple[str, str]] = set()
    lenders: list[pd.DataFrame] = []
    rows = 0
    for (code, ds), path in sorted(files.items()):
        if ds != "loans":
            continue
        fin = pd.read_parquet(files[(code, "financials")]).iloc[0]
        df = pd.read_parquet(path, columns=["borrower_id", "borrower_group_id", "purpose", "contract_date",
                                            "balance_fen", "annual_rate", "overdue_days", "classification",
                                            "related_shareholder_id", "shareholder_contribution_fen",
                                            "joint_lender_type", "is_online", "own_funding_share",
                                            "principal_fen", "disbursed_fen", "borrower_is_student"])
        rows += len(df)
        bal, od = df["balance_fen"], df["overdue_days"]

        def breach(rule: str, hit: bool, code: str = code) -> None:
            if hit and rule in wanted:
                verdicts.add((code, rule))

        prior = int(fin["net_assets_prior_year_end_fen"])
        breach("SL_SINGLE_BORROWER", int(df.groupby("borrower_id")["balance_fen"].sum().max()) * 100 > 10 * prior)
        breach("SL_BORROWER_GROUP", int(df.groupby("borrower_group_id")["balance_fen"].sum().max()) * 100 > 15 * prior)
        breach("SL_NONSTANDARD_LEVERAGE", int(fin["bank_loans_fen"]) + int(fin["shareholder_loans_fen"])
               + int(fin["other_nonstandard_borrowing_fen"]) > prior)  # 金规〔2024〕26号 Art. 20: prior year-end
        breach("SL_STANDARDISED_LEVERAGE", int(fin["bonds_outstanding_fen"]) + int(fin["abs_outstanding_fen"]) > 4 * prior)
        if code in internet:
            per = df.groupby(["borrower_id", "purpose"])["balance_fen"].sum()
            breach("SL_ONLINE_CONSUMER_PER_BORROWER", bool((per.xs("consumption", level="purpose") > 20_000_000).any()))
            breach("SL_ONLINE_BUSINESS_PER_BORROWER", bool((per.xs("business", level="purpose") > 1_000_000_000).any()))
        total = int(bal.sum())
        breach("CD_OVERDUE_M1_SHARE", int(bal[(od >= 1) & (od <= 30)].sum()) * 100 > 10 * total)
        breach("CD_OVERDUE_M2_SHARE", int(bal[(od >= 31) & (od <= 60)].sum()) * 100 > 5 * total)
        breach("CD_OVERDUE_M3PLUS_SHARE", int(bal[od >= 61].sum()) * 100 > 5 * total)
        npl = df["classification"].isin(["substandard", "doubtful", "loss"])
        breach("CD_NPL_RATIO", int(bal[npl].sum()) * 100 > 5 * total)
        breach("CD_OVERDUE_90_CLASSIFIED", bool(((od > 90) & df["classification"].isin(["normal", "special_mention"]))
                                                .any()))
        if "CD_RATE_ABOVE_4LPR" in wanted:
            day = df["contract_date"].to_numpy(dtype="datetime64[D]")
            span = np.searchsorted(starts, day, side="right") - 1
            known = (span >= 0) & (day <= ends[np.clip(span, 0, None)])
            rate_bp = (df["annual_rate"].astype(float) * 10000).round().astype(np.int64).to_numpy()
            breach("CD_RATE_ABOVE_4LPR", bool((known & (rate_bp > 4 * lpr_bp[np.clip(span, 0, None)])).any()))
        joint, online = df["joint_lender_type"], df["is_online"].fillna(False).astype(bool)
        bank = (joint == "commercial_bank") & online
        share_bp = (df.loc[bank, "own_funding_share"].astype(float) * 10000).round().astype(np.int64)
        breach("SL_JOINT_ONLINE_OWN_SHARE", bool((share_bp < 3000).any()))
        breach("SL_JOINT_UNLICENSED_PARTNER", bool((joint == "unlicensed").any()))
        accepted = fin["commercial_acceptance_balance_fen"]
        breach("SL_COMMERCIAL_ACCEPTANCE", not pd.isna(accepted) and int(accepted) * 100 > 15 * int(fin["total_assets_fen"]))
        paid = df["disbursed_fen"]
        breach("SL_FULL_DISBURSEMENT", bool((paid.notna() & (df["principal_fen"] - paid > 0)).any()))
        breach("SL_ONLINE_CONSUMER_STUDENT", bool((df["borrower_is_student"].fillna(False).astype(bool) & online
                                                   & (df["purpose"] == "consumption")).any()))
        raised = fin.get("venue_fund_funding_fen")
        breach("SL_PROHIBITED_FUNDING", raised is not None and not pd.isna(raised) and int(raised) != 0)
        related = df[df["related_shareholder_id"].notna()].groupby("related_shareholder_id")
        breach("SL_SHAREHOLDER_RELATED", bool((related["balance_fen"].sum() > related["shareholder_contribution_fen"].max())
                                              .any()))
        lenders.append(pd.DataFrame({"borrower_id": df.loc[bal > 0, "borrower_id"].unique(), "code": code}))
    if "CD_MULTI_INSTITUTION_BORROWER" in wanted:
        both = pd.concat(lenders, ignore_index=True)
        many = both.groupby("borrower_id")["code"].transform("size") > 3
        verdicts |= {(c, "CD_MULTI_INSTITUTION_BORROWER") for c in both.loc[many, "code"].unique()}
    return {"seconds": time.perf_counter() - t, "peak_mb": _report.peak_mb(), "rows": rows,
            "verdicts": sorted(list(v) for v in verdicts)}


PHASES = {"generate_submission": phase_generate_submission, "intake": phase_intake,
          "intake_baseline": phase_intake_baseline, "build_store": phase_build_store, "rules": phase_rules,
          "probe": phase_probe, "pandas": phase_pandas}


# ---------------------------------------------------------------- driver


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase")
    ap.add_argument("--rows", type=int, default=50_000_000, help="loan rows for the rule pack")
    ap.add_argument("--companies", type=int, default=116, help="small-loan companies (the plan's 116)")
    ap.add_argument("--submission-rows", type=int, default=10_000_000, help="rows of the one submission")
    ap.add_argument("--baseline-rows", type=int, default=1_000_000, help="rows the row-by-row intake baseline checks")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the rule pack and of its pandas baseline")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.repeat < 1:
        ap.error("--repeat must be at least 1")
    if a.phase:
        _report.serve_phase(PHASES, a.phase, a.args)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    res: dict[str, dict] = {}
    csv_path = WORK / f"loans-{a.submission_rows}.csv"
    if not csv_path.exists():
        print("generate the submission …", file=sys.stderr)
        res["generate_submission"] = run_phase("generate_submission", "unused", str(csv_path), str(a.submission_rows))
    shutil.rmtree(WORK / "intake", ignore_errors=True)
    (WORK / "intake.db").unlink(missing_ok=True)
    print("intake …", file=sys.stderr)
    res["intake"] = run_phase("intake", "intake", str(csv_path))
    print("intake baseline …", file=sys.stderr)
    res["intake_baseline"] = run_phase("intake_baseline", "unused", str(csv_path), str(min(a.baseline_rows,
                                                                                         a.submission_rows)))
    store = f"store-{a.rows}-{a.companies}"
    if not (WORK / f"{store}.db").exists():
        print("build the store …", file=sys.stderr)
        shutil.rmtree(WORK / store, ignore_errors=True)
        res["build_store"] = run_phase("build_store", store, str(a.rows), str(a.companies))
    # the rule pack and its baseline alternate, so that both meet the machine in the same moods; the middle run
    # of each (by time) is reported, with every run's time
    rules, pandas = [], []
    for i in range(a.repeat):
        print(f"rule pack (run {i + 1} of {a.repeat}) …", file=sys.stderr)
        rules.append(run_phase("rules", store))
        print(f"pandas baseline (run {i + 1} of {a.repeat}) …", file=sys.stderr)
        pandas.append(run_phase("pandas", store, ",".join(rules[0]["rules_run"])))
    res["rules"], res["pandas"] = _middle(rules), _middle(pandas)
    print("probe …", file=sys.stderr)
    res["probe"] = run_phase("probe", store)
    write_report(res, a)


def _middle(runs: list[dict]) -> dict:
    """The run of median time (of an odd number of runs; the upper middle of an even one), with the time of
    every run in the order they ran, the highest peak memory of them all, and whether every run gave the same
    verdicts."""
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return middle | {"runs_seconds": [r["seconds"] for r in runs], "peak_mb": max(r["peak_mb"] for r in runs),
                     "same_verdicts_every_run": all(r["verdicts"] == runs[0]["verdicts"] for r in runs)}


def _met(ok: bool, why: list[str]) -> str:
    return "yes" if ok else f"**no** ({', '.join(why)})"


def write_report(res: dict, a: argparse.Namespace) -> None:
    import duckdb
    import pandas
    import pyarrow

    machine, write_section = _report.machine, _report.write_section

    imp, base, rules, pd_ = res["intake"], res["intake_baseline"], res["rules"], res["pandas"]
    probe = res["probe"]
    base_full = base["seconds"] / base["rows"] * imp["rows"]
    imp_miss = [w for w, bad in (("time", imp["seconds"] > 30), ("memory", imp["peak_mb"] >= MEMORY_TARGET_MB)) if bad]
    speedup = pd_["seconds"] / rules["seconds"]
    rule_miss = [w for w, bad in (("time", rules["seconds"] > 5), ("speed-up", speedup < 5),
                                  ("memory", rules["peak_mb"] >= MEMORY_TARGET_MB)) if bad]
    # the loan-level and statement rules pandas computes: compare verdicts on those
    pandas_rules = set(rules["rules_run"])
    ours = {tuple(v) for v in rules["verdicts"] if v[1] in pandas_rules}
    theirs = {tuple(v) for v in pd_["verdicts"]}
    agree = ours == theirs
    steps = rules["seconds_by_step"]
    slow = ", ".join(f"{k} {v:.2f} s" for k, v in list(steps.items())[:6])
    cmd = (f"`.venv/bin/python bench/finreg.py --rows {a.rows} --companies {a.companies} --submission-rows "
           f"{a.submission_rows} --baseline-rows {a.baseline_rows} --repeat {a.repeat}`")
    lines = [
        "## Finreg: intake and rule pack",
        "",
        f"Written by `bench/finreg.py` on {date.today()}. Reproduce with {cmd}; it generates the data once "
        "(kept in `var/bench/finreg/`) and runs each phase in its own process against an embedded SQLite database.",
        "",
        f"Machine: {machine()}; pyarrow {pyarrow.__version__}, DuckDB {duckdb.__version__}, pandas "
        f"{pandas.__version__}.",
        "",
        "Peak memory is each phase's own peak resident set (`ru_maxrss`, MiB; of a repeated phase, the highest of "
        "its runs). Timings are wall-clock seconds, "
        "measured here and asserted by no test. The machine is shared: the same code has timed up to 2× apart "
        "between runs here (the rule pack 13.9–18.4 s in one afternoon), so gzgov is compared with its baseline "
        f"within one run of this script, and the rule pack and its pandas baseline are each run {a.repeat} times, "
        "alternating, the middle run of each (by time) reported — every run's time is listed below the table.",
        "",
        "| work | gzgov | peak memory | baseline, same run | speed-up | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| check and store one loans submission: {imp['rows']:,} rows, {imp['csv_bytes'] / 1e6:,.0f} MB CSV "
        f"(`intake.submit`: contract check, Parquet, database row) | {imp['seconds']:.1f} s = "
        f"{imp['rows_per_s']:,.0f} rows/s | {imp['peak_mb']:,.0f} MiB | row by row (csv.reader, scalar converter): "
        f"{base['seconds']:.1f} s for the first {base['rows']:,} rows = {base['rows'] / base['seconds']:,.0f} rows/s "
        f"→ **~{base_full:,.0f} s for {imp['rows']:,} (extrapolated)** | ~{base_full / imp['seconds']:.0f}× | ≤ 30 s, "
        f"< 4 GiB | {_met(not imp_miss, imp_miss)} |",
        f"| full rule pack of {PERIOD} ({len(rules['rules_run'])} rules run) over {pd_['rows']:,} loan rows of "
        f"{a.companies} small-loan companies (`engine.run_period`, DuckDB) | {rules['seconds']:.1f} s | "
        f"{rules['peak_mb']:,.0f} MiB | pandas, same rules and files, full scale: {pd_['seconds']:.1f} s "
        f"({pd_['peak_mb']:,.0f} MiB) | {speedup:.1f}× | ≤ 5 s, ≥ 5× pandas, < 4 GiB | {_met(not rule_miss, rule_miss)} |",
        "",
        f"Runs: rule pack {', '.join(f'{x:.1f}' for x in rules['runs_seconds'])} s; pandas "
        f"{', '.join(f'{x:.1f}' for x in pd_['runs_seconds'])} s (in the order they ran, alternating).",
        "",
        f"Verdicts: the engine found {rules['breaches']} breaches"
        f"{', the same in every run' if rules['same_verdicts_every_run'] else ', **not the same in every run**'}"
        f"{'' if pd_['same_verdicts_every_run'] else ' (pandas: **not the same in every run**)'}; "
        f"on the rules pandas computes, the engine's (institution, rule) pairs and pandas' "
        f"{'are identical' if agree else '**differ**'} ({len(ours)} pairs).",
        "",
        f"Where the rule pack's time goes (slowest steps): {slow}.",
        "",
        "Floors on the same views, same run (one DuckDB query each): "
        + "; ".join(f"{k} {v['seconds']:.2f} s ({v['rows']:,} rows)" for k, v in probe.items() if k != "peak_mb")
        + ".",
        "",
        *([] if not rule_miss else [
            "**Target missed, and why.** The engine makes one pass per dataset and grouping (the shared "
            "aggregate tables above), fills a grouped table in parts of whole companies of at most 5M rows each "
            "that can reach the grouping (each part computing only the aggregates its companies' rules read), holds one grouped table at a "
            "time, adds up per-company partials for the borrowers across companies with a hash-bucket pre-filter, "
            "and keeps five rows per company with a top-k aggregate instead of ranking every breaching row. What "
            "remains is the data's own cost: grouping 50M loans by (company, borrower) and by (company, borrower "
            "group) into millions of groups with string keys, and regrouping the company–borrower pairs across "
            "companies. One such grouping alone takes the time shown in the floors, on two cores, so 5 s is out "
            "of reach for the pack on this machine. Measured and not adopted: integer borrower keys stored at "
            "intake (−22% on 10M rows, but a contract change for every submitter), dictionary-encoded Parquet "
            "(no gain), DuckDB's compressed in-memory tables (the borrower table 1.8 GB → 0.2 GB, but the "
            "checkpoint that compresses it cost more than it saved), narrower integer columns (still spilled), one "
            "scan for all the per-loan flag rules, reading loan ids only for breaching rows, decimals stored as "
            "Parquet DECIMAL, hashed borrower keys — each measured in docs/finreg-engine.md (Storage).",
            ""]),
        "Baselines:",
        "",
        "* intake: `csv.reader`, every cell through `intake._convert` (the scalar converter that defines what is "
        "accepted), a set for the duplicate keys, then one Arrow table and one Parquet file; no report, no "
        f"database. Run on the first {base['rows']:,} rows; its rate is measured and the full-size time "
        "**extrapolated linearly**.",
        "* rule pack: pandas reads each company's Parquet file (and statement) and computes each rule the engine "
        "ran — concentration per borrower and per group against prior-year net assets, the leverage ratios, the "
        "internet per-borrower caps, the M1/M2/M3+ shares, the NPL ratio, loans over 90 days still performing, "
        "the rate over 4× the LPR at the contract date, the own share of joint online loans with banks, loans "
        "co-funded with unlicensed partners, commercial acceptances against total assets, money raised through "
        "trading venues or private funds, principal not paid out in full, online consumer loans to students, loans to shareholders' "
        "related parties against their stakes — comparing exactly in integers, then the borrowers with "
        "balances at more than three companies. It only decides breach or not (no top-five explanation, no "
        "data-quality reasons), so the speed-up is if anything understated. Full scale, no extrapolation.",
        "",
        "Raw results:",
        "",
        "```json",
        json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "verdicts"} for k, v in res.items()}, indent=2),
        "```",
    ]
    write_section("finreg", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
