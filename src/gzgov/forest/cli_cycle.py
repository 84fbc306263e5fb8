"""`gzgov forest cycle …`: the yearly cycle from the command line (same services as the pages)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json
from gzgov.core.money import fmt_yuan

app = typer.Typer(help="年度补偿周期 / the yearly cycle", no_args_is_help=True)
YEAR = typer.Option(..., "--year")
DISTRICT = typer.Option(..., "--district", help="district code, e.g. 440117")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {text}") from exc


@app.command("open")
def open_(year: int = YEAR) -> None:
    """Open a year's cycle (city forestry bureau)."""
    from gzgov.forest.cycle import open_cycle

    with acting() as (session, actor):
        open_cycle(session, actor, year)
    typer.echo(f"已开启 {year} 年补偿周期 / opened the {year} cycle")


@app.command("status")
def status(year: int = YEAR, json_out: bool = typer.Option(False, "--json")) -> None:
    """Each district's state in the cycle."""
    from gzgov.forest.views import cycle_overview

    with acting() as (session, actor):
        data = cycle_overview(session, actor, year)
    if json_out:
        emit_json(data)
        return
    typer.echo(f"{year}: {data['state_zh']} / {data['state_en']}")
    for d in data["districts"]:
        typer.echo(f"  {d['district']} {d['name']}: {d['state_zh']}  明细 {d['lines']}  金额 {d['total']}")


@app.command("verify")
def verify(year: int = YEAR, district: str = DISTRICT, grade_i: str = typer.Option("0", "--grade-i"),
           grade_ii: str = typer.Option("0", "--grade-ii"), grade_iii: str = typer.Option("0", "--grade-iii")) -> None:
    """Record the district's verified area by grade (mu)."""
    from gzgov.forest.cycle import verify_areas

    with acting() as (session, actor):
        verify_areas(session, actor, year, district, {"I": grade_i, "II": grade_ii, "III": grade_iii})
    typer.echo("面积已核定 / areas verified")


@app.command("compute")
def compute(year: int = YEAR, district: str = DISTRICT) -> None:
    """Compute the district's payee lines from the registry."""
    from gzgov.forest.cycle import compute_district

    with acting() as (session, actor):
        n = compute_district(session, actor, year, district)
    typer.echo(f"已生成 {n} 条补偿明细 / {n} lines computed")


@app.command("publicity")
def publicity(year: int = YEAR, district: str = DISTRICT, start: str = typer.Option(..., "--start")) -> None:
    """Post every not-yet-posted village's payee list from START (≥ 15 working days, forest §7)."""
    from gzgov.forest.cycle import post_publicity

    with acting() as (session, actor):
        pubs = post_publicity(session, actor, year, district, _date(start))
    typer.echo(f"{len(pubs)} 个村开始公示，至 {pubs[0].end_date} 止 / {len(pubs)} villages posted until {pubs[0].end_date}")


@app.command("object")
def object_(year: int = YEAR, district: str = DISTRICT, line: list[int] = typer.Option(..., "--line"),
            raised_by: str = typer.Option(..., "--raised-by"), text: str = typer.Option(..., "--text")) -> None:
    """Record an objection holding the given lines."""
    from gzgov.forest.objections import record_objection

    with acting() as (session, actor):
        obj = record_objection(session, actor, year, district, line, raised_by, text)
        oid = obj.id
    typer.echo(f"已登记异议 #{oid} / objection #{oid} recorded")


@app.command("resolve")
def resolve(objection: int = typer.Option(..., "--objection"), resolution: str = typer.Option(..., "--resolution"),
            area: list[str] = typer.Option([], "--area", help="PARCEL=MU"),
            payee: list[str] = typer.Option([], "--payee", help="PARCEL=ID_NUMBER"),
            account: list[str] = typer.Option([], "--account", help="ID_NUMBER=BANK:ACCOUNT")) -> None:
    """Resolve an objection, applying corrections and recomputing the held lines."""
    from gzgov.forest.objections import Change
    from gzgov.forest.objections import resolve as resolve_objection

    changes = [Change("area", *a.split("=", 1)) for a in area] + [Change("payee", *p.split("=", 1)) for p in payee]
    for a in account:
        who, rest = a.split("=", 1)
        bank, acct = rest.split(":", 1)
        changes.append(Change("account", who, acct, bank))
    with acting() as (session, actor):
        resolve_objection(session, actor, objection, resolution, changes)
    typer.echo(f"异议 #{objection} 已处理 / resolved")


@app.command("approve")
def approve(year: int = YEAR, district: str = DISTRICT, reason: str = typer.Option("", "--reason")) -> None:
    """District forestry or finance approval (whichever bureau the user belongs to)."""
    from gzgov.forest.cycle import approve_district

    with acting() as (session, actor):
        dc = approve_district(session, actor, year, district, reason=reason)
        state = dc.state
    typer.echo(f"已审核 / approved ({state})")


@app.command("review")
def review(year: int = YEAR, district: str = DISTRICT, reason: str = typer.Option("", "--reason")) -> None:
    """City review, consolidation and clearing of a district."""
    from gzgov.forest.cycle import city_review

    with acting() as (session, actor):
        city_review(session, actor, year, district, reason=reason)
    typer.echo("市级审查完成 / reviewed")


@app.command("budget")
def budget(year: int = YEAR, note: str = typer.Option(..., "--note")) -> None:
    """Record the next-year budget (city finance bureau)."""
    from gzgov.forest.cycle import set_budget

    with acting() as (session, actor):
        set_budget(session, actor, year, note)
    typer.echo("预算已编制 / budget recorded")


@app.command("pay")
def pay(year: int = YEAR, district: str = DISTRICT) -> None:
    """Issue the district's next bank file."""
    from gzgov.forest.payments import create_batch

    with acting() as (session, actor):
        res = create_batch(session, actor, year, district)
        info = (res.batch.id, res.batch.lines, res.batch.total_fen) if res.batch else None
    for k, v in res.skipped.items():
        if v:
            typer.echo(f"暂不支付 / held back ({k}): {len(v)}")
    if info is None:
        typer.echo("没有可支付的明细 / nothing to pay")
        raise typer.Exit(1)
    typer.echo(f"批次 #{info[0]}：{info[1]} 笔，{fmt_yuan(info[2])} 元 → {res.path}")


@app.command("bank-result")
def bank_result(batch: int = typer.Option(..., "--batch"), file: Path = typer.Argument(...)) -> None:
    """Import the bank's result file for a batch (all rows or nothing)."""
    from gzgov.forest.payments import import_bank_result

    with acting() as (session, actor):
        counts = import_bank_result(session, actor, batch, file.read_bytes(), file.name)
    typer.echo(f"成功 {counts['paid']}，失败 {counts['failed']}，退回 {counts['returned']}")


@app.command("reconcile")
def reconcile(year: int = YEAR, district: str = DISTRICT) -> None:
    """Mark a district reconciled once every line is paid."""
    from gzgov.forest.payments import reconcile_district

    with acting() as (session, actor):
        reconcile_district(session, actor, year, district)
    typer.echo("对账完成 / reconciled")


@app.command("close")
def close(year: int = YEAR) -> None:
    """Close the year's cycle (city forestry bureau)."""
    from gzgov.forest.payments import close_cycle

    with acting() as (session, actor):
        close_cycle(session, actor, year)
    typer.echo(f"{year} 年补偿周期已结束 / closed")
