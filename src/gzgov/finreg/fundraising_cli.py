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
