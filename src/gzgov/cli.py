"""The root `gzgov` command; each application mounts its own commands under it."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from gzgov.cli_support import acting, emit_json
from gzgov.core import audit
from gzgov.core.auth import Role, create_user

app = typer.Typer(help="gzgov — 广州市政府公报 2021 年第 29 期所述业务系统 / Guangzhou gazette systems",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def main(user: str = typer.Option(None, "--user", envvar="GZGOV_USER",
                                  help="act as this official (default: the local operator)")) -> None:
    if user:
        os.environ["GZGOV_USER"] = user


@app.command("migrate")
def migrate() -> None:
    """Run the database migrations and load reference data (districts, standards, funding)."""
    from gzgov.bootstrap import init_database

    init_database()
    typer.echo("数据库已是最新 / database is up to date")


@app.command("demo")
def demo(parcels: int = typer.Option(1_000_000, help="parcels in the demo registry"),
         payees: int = typer.Option(450_000, help="payees in the demo registry")) -> None:
    """Build the full-scale demo database of every application in the configured database."""
    from gzgov.demo import build_demo

    build_demo(parcels=parcels, payees=payees)


@app.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web pages and API."""
    import uvicorn

    from gzgov.web.app import create_app

    uvicorn.run(create_app(), host=host, port=port)


audit_app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(json_out: bool = typer.Option(False, "--json")) -> None:
    """Recompute the hash chain; exit 1 if any entry was edited or deleted."""
    with acting() as (session, actor):
        actor.require("audit.verify")
        result = audit.verify(session)
    if json_out:
        emit_json({"ok": result.ok, "entries": result.entries, "problems": result.problems})
    else:
        typer.echo(f"审计日志 {result.entries} 条 / {result.entries} audit entries")
        for p in result.problems:
            typer.echo(p)
        typer.echo("完整 / intact" if result.ok else "已被篡改 / TAMPERED")
    if not result.ok:
        raise typer.Exit(1)


calendar_app = typer.Typer(help="工作日历 / working-day calendar", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("load")
def calendar_load(file: Path) -> None:
    """Load an official holiday schedule for a year the calendar package does not know (docs/workdays.md)."""
    from gzgov.core.calendar_store import load_year

    with acting() as (session, actor):
        year = load_year(session, actor, file)
    typer.echo(f"已载入 {year} 年节假日安排 / loaded the {year} schedule")


users_app = typer.Typer(help="用户 / users", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(username: str, role: Role, display_name: str,
                 district: str = typer.Option(None, help="district code for district roles"),
                 unit: str = typer.Option("", help="the unit's name, for a responsible unit (plan)"),
                 password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Create a user."""
    with acting() as (session, actor):
        create_user(session, actor, username, password, role, display_name, district, unit)
    typer.echo(f"已创建 / created {username}")


def _mount() -> None:
    from gzgov.finreg.cli import app as finreg_app
    from gzgov.forest.cli import app as forest_app
    from gzgov.plan.cli import app as plan_app

    app.add_typer(forest_app, name="forest")
    app.add_typer(plan_app, name="plan")
    app.add_typer(finreg_app, name="finreg")


_mount()
