"""`gzgov finreg …`: off-site supervision from the command line (thin: parse, call a service, print)."""

from __future__ import annotations

from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json

app = typer.Typer(help="地方金融非现场监管 / off-site supervision", no_args_is_help=True)


@app.command("institutions")
def institutions(kind: str = typer.Option("", "--kind", help="small_loan, guarantee, pawn, leasing, factoring, "
                                                               "trading_venue"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """The supervised institutions the acting user may see."""
    from gzgov.finreg.registry import KINDS, STATUSES
    from gzgov.finreg.registry import institutions as list_institutions

    with acting() as (session, actor):
        rows = [{"code": i.code, "name": i.name, "kind": i.kind, "subkind": i.subkind, "credit_code": i.credit_code,
                 "district": i.district_code, "registered_capital_fen": i.registered_capital_fen, "status": i.status}
                for i in list_institutions(session, actor, kind or None)]
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['code']:<9} {KINDS[r['kind']][0]:<8} {STATUSES[r['status']][0]:<5} {r['name']}")


@app.command("escalate")
def escalate() -> None:
    """Escalate every case past its deadline (run daily)."""
    from gzgov.finreg.cases import escalate_overdue

    with acting() as (session, actor):
        n = len(escalate_overdue(session, actor))
    typer.echo(f"{n} 件逾期案件已升级 / {n} overdue cases escalated")


@app.command("submit")
def submit(target: Path = typer.Argument(..., help="a file named <dataset>.csv|.xlsx|.parquet, or a directory of them"),
           institution: str = typer.Option(..., "--institution"), period: str = typer.Option(..., "--period")) -> None:
    """Submit an institution's data for a period: every file checked first; one bad record and nothing is stored."""
    from gzgov.core.tabular import ImportRejected
    from gzgov.finreg.intake import check_submission
    from gzgov.finreg.intake import submit as store
    from gzgov.finreg.registry import get_institution

    files = sorted(p for p in target.iterdir() if p.is_file()) if target.is_dir() else [target]
    with acting() as (session, actor):
        actor.require("finreg.submit")
        inst = get_institution(session, actor, institution)
        rejected = []
        for f in files:  # check all before storing any
            try:
                check_submission(f.read_bytes(), f.name, f.stem, inst, period)
            except ImportRejected as err:
                rejected.append(err)
        if rejected:
            for err in rejected:
                typer.echo(err.report.render(), err=True)
            raise typer.Exit(2)
        for f in files:
            sub, _created = store(session, actor, institution, f.stem, period, f.read_bytes(), f.name, channel="cli")
            typer.echo(f"{f.stem} {period}: v{sub.version}, {sub.rows} 行 / rows")


@app.command("rules")
def rules(json_out: bool = typer.Option(False, "--json")) -> None:
    """The rule library: every rule with its limit, severity and basis."""
    from gzgov.finreg.rules import load_rules, rules_json

    with acting() as (_session, actor):
        actor.require("finreg.view")
    data = rules_json(load_rules())
    if json_out:
        emit_json(data)
        return
    for r in data:
        typer.echo(f"{r['id']:<28} {r['name_zh']}  {r['limit']}  [{r['severity']}]")


@app.command("rating")
def rating(period: str = typer.Option(..., "--period"), as_of: str = typer.Option("", "--as-of", help="YYYY-MM-DD"),
           save: bool = typer.Option(False, "--save", help="keep the ratings as the period's record (history)"),
           json_out: bool = typer.Option(False, "--json")) -> None:
    """Each institution's class and score for a period, with its parts (tiered supervision)."""
    from datetime import date

    from gzgov.core.db import now
    from gzgov.core.errors import GzgovError
    from gzgov.finreg.rating import check_period_text, rate_period, record_period

    check_period_text(period)
    try:
        day = date.fromisoformat(as_of) if as_of else now().date()
    except ValueError:
        raise GzgovError("bad_date", f"日期格式应为 YYYY-MM-DD：{as_of}", f"Dates must be YYYY-MM-DD: {as_of}") from None
    with acting() as (session, actor):
        rows = [r.as_json() for r in rate_period(session, actor, period, day)]
        if save:
            counts = record_period(session, actor, period, day)
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['institution']:<9} {r['class']} {r['score']:>3}")
    if save:
        typer.echo("已记录 / recorded: " + "  ".join(f"{k} {n}" for k, n in counts.items()))


@app.command("check")
def check(period: str = typer.Option(..., "--period"),
          engine: str = typer.Option("duckdb", "--engine", help="duckdb (one machine) or spark (PySpark; master from "
                                                                 "GZGOV_SPARK_MASTER, default local[2])"),
          warn: bool = typer.Option(False, "--warn", help="also raise a warning for every breach"),
          json_out: bool = typer.Option(False, "--json")) -> None:
    """Run every rule in force over the period's current submissions; print each breach with its basis."""
    from gzgov.finreg import engine as rules_engine

    with acting() as (session, actor):
        actor.require("finreg.view")
        breaches = rules_engine.check_period(session, period, engine=engine)
        results = [r.as_json() for r in breaches]
        if warn:
            created, refreshed = rules_engine.raise_warnings(session, actor, period, breaches=breaches)
    if json_out:
        emit_json(results)
        return
    for r in results:
        typer.echo(f"{r['institution']:<9} {r['rule']:<28} {r['value']} ({r['limit']}) [{r['severity']}] {r['basis']}")
    if warn:
        typer.echo(f"预警：新增 {created}，更新 {refreshed} / warnings: {created} new, {refreshed} refreshed")


def _mount_fundraising() -> None:
    from gzgov.finreg.fundraising_cli import enterprises_app, fundraising_app, parse_return

    app.add_typer(enterprises_app, name="enterprises")
    app.add_typer(fundraising_app, name="fundraising")
    app.command("parse-return")(parse_return)


_mount_fundraising()
