"""`gzgov forest …`: the eco-forest compensation commands (thin: parse, call a service, print)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json
from gzgov.core.money import fmt_wan

app = typer.Typer(help="生态公益林补偿 / eco-forest compensation", no_args_is_help=True)


@app.command("standards")
def standards(year: int = typer.Option(..., "--year"), json_out: bool = typer.Option(False, "--json")) -> None:
    """The year's approved compensation and management rates with their basis."""
    from gzgov.forest.standards import standards_json

    with acting() as (session, actor):
        actor.require("forest.view")
        data = standards_json(session, year)
    if json_out:
        emit_json(data)
        return
    typer.echo(f"{year} 年补偿标准（元/亩·年）：Ⅰ级 {data['compensation']['I']}  Ⅱ级 {data['compensation']['II']}  "
               f"Ⅲ级 {data['compensation']['III']}  依据 {data['compensation']['basis']['document']} "
               f"{data['compensation']['basis']['place']}")
    if data["management"]:
        m = data["management"]
        typer.echo(f"管护标准：国有林场 {m['state_forest_farm']}  中南部 {m['central_south']}  北部山区 "
                   f"{m['northern_mountain']}  依据 {m['basis']['document']} {m['basis']['place']}")


@app.command("redesignate")
def redesignate(code: str = typer.Argument(..., help="parcel code"),
                level: str = typer.Option(..., "--level", help="district | city"),
                consent: str = typer.Option(..., "--consent", help="the owner's consent: document number or reference"),
                reason: str = typer.Option("", "--reason")) -> None:
    """Re-designate a former management-zone parcel with the owner's consent (forest §4(3))."""
    from gzgov.forest.parcels import LEVELS
    from gzgov.forest.parcels import redesignate as redesignate_parcel

    with acting() as (session, actor):
        redesignate_parcel(session, actor, code, level, consent, reason)
    typer.echo(f"小班 {code} 已划定为{LEVELS[level][0]} / now {LEVELS[level][1]}")


@app.command("import")
def import_file(file: Path) -> None:
    """Import parcels and payees from CSV/XLSX (docs/forest-import.md): all rows or nothing."""
    from gzgov.forest.registry import import_registry

    data = file.read_bytes()
    with acting() as (session, actor):
        result = import_registry(session, actor, data, file.name)
    typer.echo(f"导入完成 / imported {file.name}: 小班新增 {result.parcels_created} 更新 {result.parcels_updated} "
               f"未变 {result.parcels_unchanged}；补偿对象新增 {result.payees_created} 更新 {result.payees_updated}")


@app.command("compute")
def compute(year: int = typer.Option(..., "--year"), district: str = typer.Option(None),
            json_out: bool = typer.Option(False, "--json")) -> None:
    """Programme totals of a year from the registry: by grade, tier and district."""
    from gzgov.forest.totals import compute_totals, totals_json

    with acting() as (session, actor):
        totals = compute_totals(session, actor, year, district)
    if json_out:
        emit_json(totals_json(totals))
        return
    typer.echo(f"{year} 年 损失性补偿 {fmt_wan(totals.compensation_fen)} 万元，管护经费 "
               f"{fmt_wan(totals.management_fen)} 万元，合计 {fmt_wan(totals.total_fen)} 万元")


@app.command("publicity-end")
def publicity_end(start: str = typer.Option(..., "--start", help="YYYY-MM-DD"),
                  working_days: int = typer.Option(15, "--working-days", min=1),
                  json_out: bool = typer.Option(False, "--json")) -> None:
    """Last day of a publicity of N working days (official calendar), counting a working start day as day 1."""
    from gzgov.core.calendar_store import calendar

    try:
        start_date = date.fromisoformat(start)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {start}") from exc
    with acting() as (session, actor):
        actor.require("forest.publicity.view")
        end = calendar(session).add_working_days(start_date, working_days)
    data = {"start": start_date.isoformat(), "working_days": working_days, "end": end.isoformat()}
    if json_out:
        emit_json(data)
    else:
        typer.echo(f"公示自 {data['start']} 起 {working_days} 个工作日，至 {data['end']} 止")


def _mount() -> None:
    from gzgov.forest.cli_cycle import app as cycle_app

    app.add_typer(cycle_app, name="cycle")


_mount()
