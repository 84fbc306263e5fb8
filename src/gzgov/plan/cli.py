"""`gzgov plan …`: plan monitoring from the command line (thin: parse, call a service, print)."""

from __future__ import annotations

from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json

app = typer.Typer(help="金融“十四五”规划监测评估 / plan monitoring", no_args_is_help=True)
values_app = typer.Typer(help="指标数据 / indicator values", no_args_is_help=True)
app.add_typer(values_app, name="values")


def _target_json(t) -> dict:
    if t.comparator == "range":
        return {"comparator": "range", "low": str(t.low), "high": str(t.high)}
    return {"comparator": t.comparator, "value": str(t.value)}


@app.command("indicators")
def indicators(json_out: bool = typer.Option(False, "--json")) -> None:
    """The plan's indicators (专栏2) with baseline, target, trajectory and basis."""
    from gzgov.plan.reference import default_reference

    with acting() as (_session, actor):
        actor.require("plan.public")
    ref = default_reference()
    data = [{"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
             "baseline": str(i.baseline.value), "target": _target_json(i.target), "trajectory": i.trajectory,
             "basis": i.basis} for i in ref.indicators]
    if json_out:
        emit_json(data)
        return
    for d in data:
        t = d["target"]
        target = f"{t['low']}—{t['high']}" if t["comparator"] == "range" else f"{t['comparator']}{t['value']}"
        typer.echo(f"{d['code']:<24} {d['name_zh']}（{d['unit']}） {d['baseline']} → {target}")


@values_app.command("import")
def values_import(file: Path, approve: bool = typer.Option(False, "--approve", help="approve what is entered")) -> None:
    """Import yearly values (indicator_code,year,value,source[,district,note]): all rows or nothing."""
    from gzgov.plan.values import import_values

    with acting() as (session, actor):
        r = import_values(session, actor, file.read_bytes(), file.name, approve)
        out = (r.rows, r.entered, r.approved, r.unchanged)
    typer.echo(f"{out[0]} 行：录入 {out[1]}，批准 {out[2]}，未变 {out[3]} / "
               f"{out[0]} rows: {out[1]} entered, {out[2]} approved, {out[3]} unchanged")


@values_app.command("approve")
def values_approve(value_id: int, note: str = typer.Option("", "--note")) -> None:
    """Approve a submitted value."""
    from gzgov.plan.values import approve_value

    with acting() as (session, actor):
        approve_value(session, actor, value_id, note)
    typer.echo(f"已批准 / approved {value_id}")


@app.command("evaluate")
def evaluate(year: int = typer.Option(2025, "--year"), values: Path | None = typer.Option(
        None, "--values", help="evaluate this file's values instead of the approved ones; nothing is stored"),
        json_out: bool = typer.Option(False, "--json")) -> None:
    """Each indicator's expected, projected and actual values and status as of YEAR."""
    from gzgov.plan.evaluations import evaluate_values, live_results, results_json
    from gzgov.plan.values import read_values

    with acting() as (session, actor):
        if values is None:
            results = live_results(session, actor, year)
        else:
            actor.require("plan.view")
            parsed: dict = {}
            for row in read_values(values.read_bytes(), values.name):
                if not row.district_code:
                    parsed.setdefault(row.code, {})[row.year] = row.value
            results = evaluate_values(parsed, year)
    data = results_json(results, year)
    if json_out:
        emit_json(data["indicators"])
        return
    for r in results:
        e = r.evaluation
        typer.echo(f"{r.indicator.code:<24} {e.status.zh}（{e.status.en}） {e.actual if e.actual is not None else '—'}")


@app.command("projects")
def projects(json_out: bool = typer.Option(False, "--json"), unit: str = typer.Option("", "--unit")) -> None:
    """The 40 key projects with their responsible units and latest status."""
    from gzgov.core.db import now
    from gzgov.plan.projects import STATUSES, overview, projects_json

    with acting() as (session, actor):
        views = overview(session, actor, now().date(), unit=unit or None, public=True)
        data = projects_json(views)
    if json_out:
        emit_json(data)
        return
    for d in data:
        typer.echo(f"{d['number']:>2}. [{STATUSES[d['status']][0]}] {d['title_zh']}  —— {'、'.join(d['responsible_units'])}")
