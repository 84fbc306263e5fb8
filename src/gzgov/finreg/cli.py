"""`gzgov finreg …`: off-site supervision from the command line (thin: parse, call a service, print)."""

from __future__ import annotations

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
