"""`gzgov finreg enterprises …`, `gzgov finreg fundraising …` and `gzgov finreg parse-return`: illegal-fundraising
monitoring from the command line (thin: parse, call a service, print)."""

from __future__ import annotations

from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json

enterprises_app = typer.Typer(help="企业数据 / enterprise data for illegal-fundraising monitoring", no_args_is_help=True)


@enterprises_app.command("import")
def import_enterprises(files: list[Path] = typer.Argument(..., help="CSV, XLSX or JSON-lines files: registry, links, "
                                                                      "signals (docs/fundraising-data.md)"),
                       json_out: bool = typer.Option(False, "--json")) -> None:
    """Import enterprises, their links and signals, all or nothing across the files."""
    from gzgov.core.errors import GzgovError
    from gzgov.finreg.enterprises import import_files

    data = []
    for f in files:
        if not f.is_file():
            from gzgov.cli_support import fail

            fail(GzgovError("no_file", f"找不到文件：{f}", f"No such file: {f}"))
        data.append((f.name, f.read_bytes()))
    with acting() as (session, actor):
        r = import_files(session, actor, data)
    out = {"enterprises_new": r.enterprises_new, "enterprises_updated": r.enterprises_updated,
           "persons_new": r.persons_new, "links_new": r.links_new, "signals_new": r.signals_new, "digest": r.digest}
    if json_out:
        emit_json(out)
        return
    typer.echo(f"企业 新增 {r.enterprises_new} 更新 {r.enterprises_updated}；自然人 新增 {r.persons_new}；关系 新增 "
               f"{r.links_new}；信号 新增 {r.signals_new} / enterprises {r.enterprises_new} new, {r.enterprises_updated} "
               f"updated; persons {r.persons_new}; links {r.links_new}; signals {r.signals_new}")


fundraising_app = typer.Typer(help="非法集资监测 / illegal-fundraising monitoring", no_args_is_help=True)


@fundraising_app.command("score")
def score(top: int = typer.Option(0, "--top", min=0, help="only the N highest (0: every company with points)"),
          as_of: str = typer.Option("", "--as-of", help="YYYY-MM-DD (default today)"),
          json_out: bool = typer.Option(False, "--json")) -> None:
    """Score every company, keep the run and raise a warning for each company over the threshold; print the
    companies with points, highest first, each with every point explained."""
    from datetime import date

    from gzgov.core.errors import GzgovError
    from gzgov.finreg.fundraising_service import run_scores, score_and_record

    with acting() as (session, actor):
        try:
            today = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise GzgovError("bad_date", f"日期应为 YYYY-MM-DD：{as_of}", f"The date must be YYYY-MM-DD: {as_of}") from None
        result = score_and_record(session, actor, today)
        rows = run_scores(session, actor, result.run_id, top or None)
    if json_out:
        emit_json(rows)
        return
    typer.echo(f"评分 {result.companies} 家企业，{result.scored} 家有得分，新增预警 {result.warnings_new} / "
               f"scored {result.companies} companies, {result.scored} with points, {result.warnings_new} new warnings")
    for r in rows:
        typer.echo(f"{r['score']:>3}  {r['credit_code']}  {r['name']}  "
                   + "；".join(f"{x['feature']} +{x['points']}（{x['evidence']}）" for x in r["reasons"]))


def parse_return(text: str = typer.Argument(..., help="营销文本 / a marketing text, e.g. 年化18%，保本保息"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """The highest annual return a text promises (年化、月息X分、日息千分之X…), as an exact decimal."""
    from gzgov.finreg.fundraising.returns import as_json, best_return

    with acting() as (_session, actor):
        actor.require("finreg.view")
    out = as_json(best_return(text), text)
    if json_out:
        emit_json(out)
        return
    if out["annual_rate"] is None:
        guarantee = "；有保本保息承诺 / a guarantee of principal or return" if out.get("guaranteed") else ""
        typer.echo(f"{out.get('message_zh', '未发现承诺收益率')} / {out.get('message_en', 'no rate found')}{guarantee}")
        return
    typer.echo(f"年化 {out['annual_rate']}（{out['form']}：{out['matched']}）/ annual rate {out['annual_rate']}")
