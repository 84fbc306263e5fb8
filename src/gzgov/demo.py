"""`gzgov demo`: a full-scale, seeded demo database for every application, with one login per role."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from pathlib import Path

import typer
from sqlalchemy import func, select

from gzgov.bootstrap import init_database
from gzgov.config import get_settings
from gzgov.core.auth import SYSTEM, Role, create_user
from gzgov.core.db import session_scope
from gzgov.core.geo import BY_CODE
from gzgov.core.models import User
from gzgov.core.money import fmt_area
from gzgov.forest.choices import FOREST_DISTRICTS

DEMO_PASSWORD = "gzgov-demo-2025"
DEMO_YEAR = 2025
PUBLICITY_START = date(2025, 9, 22)  # runs over National Day 2025; ends 2025-10-16
AFTER_PUBLICITY = date(2025, 10, 20)


def demo_users() -> list[tuple[str, Role, str, str | None]]:
    users = [("admin", Role.admin, "系统管理员", None), ("city_forestry", Role.city_forestry, "市林业园林局 业务科", None),
             ("city_finance", Role.city_finance, "市财政局 农业农村处", None), ("auditor", Role.auditor, "市审计局 审计组", None)]
    for code in sorted(FOREST_DISTRICTS):
        d = BY_CODE[code]
        users.append((f"{d.name_en.lower()}_forestry", Role.district_forestry, f"{d.name_zh}林业园林部门", code))
        users.append((f"{d.name_en.lower()}_finance", Role.district_finance, f"{d.name_zh}财政部门", code))
    return users


def _step(label: str) -> float:
    typer.echo(f"· {label} …", err=True)
    return time.perf_counter()


def _done(t0: float, detail: str = "") -> None:
    typer.echo(f"  完成 / done in {time.perf_counter() - t0:.1f}s {detail}", err=True)


def build_demo(parcels: int = 1_000_000, payees: int = 450_000) -> None:
    from gzgov.cli_support import progress_bar
    from gzgov.forest.demo_registry import RegistrySpec, write_registry_csv
    from gzgov.forest.registry import import_registry

    t0 = _step("数据库迁移与基础数据 / migrations and reference data")
    init_database()
    _done(t0)
    with session_scope() as session:
        if session.scalar(select(func.count()).select_from(User)):
            typer.echo("数据库中已有演示数据，跳过生成 / demo data already present; skipping", err=True)
            print_logins()
            return
        for username, role, name, district in demo_users():
            create_user(session, SYSTEM, username, DEMO_PASSWORD, role, name, district)
    spec = RegistrySpec(parcels=parcels, payees=payees)
    path = get_settings().var_dir / "demo" / f"registry-{parcels}-{payees}-{spec.seed}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        t0 = _step(f"生成演示登记 {parcels:,} 个小班、{payees:,} 个补偿对象 / generating the registry")
        update, stop = progress_bar(parcels, "生成 / generating")
        write_registry_csv(path, spec, progress=update)
        stop()
        _done(t0, str(path))
    t0 = _step("导入登记 / importing the registry")
    with session_scope() as session:
        result = import_registry(session, SYSTEM, path.read_bytes(), path.name)
    _done(t0, f"{result.parcels_created:,} parcels, {result.payees_created:,} payees")
    t0 = _step(f"{DEMO_YEAR} 年补偿周期 / the {DEMO_YEAR} cycle")
    run_demo_cycle()
    _done(t0)
    t0 = _step("金融“十四五”规划监测 / plan monitoring")
    from gzgov.plan.demo import build_plan_demo

    build_plan_demo(DEMO_PASSWORD)
    _done(t0)
    t0 = _step("地方金融监管对象 / supervised institutions")
    from gzgov.finreg.demo import build_finreg_demo

    n = build_finreg_demo(DEMO_PASSWORD)
    _done(t0, f"{n:,} institutions")
    t0 = _step("2025年7—9月机构报送、规则检查、预警、评级与处置 / three months of submissions, checks, warnings, "
               "ratings and cases")
    from gzgov.finreg.demo import build_supervision_data

    counts = build_supervision_data(progress=lambda what: typer.echo(f"  {what} …", err=True))
    _done(t0, f"{counts['institutions']:,} institutions, {counts['records']:,} records ({counts['loans']:,} loans), "
              f"{counts['warnings']} rule + {counts['reporting_warnings']} reporting warnings, {counts['cases']} cases")
    t0 = _step("非法集资监测：企业名录、风险评分、案件与黑名单 / illegal-fundraising monitoring: enterprises, risk "
               "index, a case and the blacklist")
    from gzgov.finreg.fundraising_demo import build_fundraising_demo

    fr = build_fundraising_demo()
    _done(t0, f"{fr.companies:,} companies ({fr.planted} in planted rings), {fr.first_run_warnings} warnings; "
              f"case #{fr.case_id} on {fr.case_company} closed as illegal fundraising, {fr.blacklisted} blacklist entries")
    print_logins()


def _actor(session, username: str):
    from gzgov.core.auth import actor_for_username

    return actor_for_username(session, username)


def run_demo_cycle() -> None:
    """Take the demo year through the cycle: every district verified, computed, posted, approved and
    reviewed; the budget set; Huadu paid and reconciled; an objection open in Conghua; the rest ready to pay."""
    from gzgov.forest import cycle, objections, payments
    from gzgov.forest.models import EntitlementLine

    with session_scope() as session:
        cycle.open_cycle(session, _actor(session, "city_forestry"), DEMO_YEAR)
    for code in sorted(FOREST_DISTRICTS):
        name = BY_CODE[code].name_en.lower()
        with session_scope() as session:
            forestry = _actor(session, f"{name}_forestry")
            areas = cycle.registry_areas(session, code)
            cycle.verify_areas(session, forestry, DEMO_YEAR, code,
                               {g.value: fmt_area(a) for g, a in areas.items()}, reason="区林业园林部门核定")
            cycle.compute_district(session, forestry, DEMO_YEAR, code)
            cycle.post_publicity(session, forestry, DEMO_YEAR, code, PUBLICITY_START)
    with session_scope() as session:
        forestry = _actor(session, "conghua_forestry")
        line = session.scalars(select(EntitlementLine).where(EntitlementLine.district_code == "440117")
                               .order_by(EntitlementLine.id).limit(2)).all()
        objections.record_objection(session, forestry, DEMO_YEAR, "440117", [ln.id for ln in line], "村民小组长",
                                    "反映两户承包面积登记有误，请核查")
    for code in sorted(FOREST_DISTRICTS):
        name = BY_CODE[code].name_en.lower()
        with session_scope() as session:
            for who in ("forestry", "finance"):
                cycle.approve_district(session, _actor(session, f"{name}_{who}"), DEMO_YEAR, code,
                                       today=AFTER_PUBLICITY, reason="经公示无异议")
            cycle.city_review(session, _actor(session, "city_forestry"), DEMO_YEAR, code, reason="审查、汇总、清算")
    with session_scope() as session:
        cycle.set_budget(session, _actor(session, "city_finance"), DEMO_YEAR,
                         "列入 2026 年市本级生态公益林补偿资金一般性转移支付预算")
    with session_scope() as session:
        finance = _actor(session, "huadu_finance")
        batch = payments.create_batch(session, finance, DEMO_YEAR, "440114", today=AFTER_PUBLICITY)
        result = _bank_says_paid(batch.path)
        payments.import_bank_result(session, finance, batch.batch.id, result, "huadu-result.csv")
        if payments.reconciliation(session, finance, DEMO_YEAR, "440114")["440114"]["complete"]:
            payments.reconcile_district(session, finance, DEMO_YEAR, "440114")


def _bank_says_paid(path: Path) -> bytes:
    """A stand-in for the bank's result file: every instruction paid (used by the demo only)."""
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["payment_id", "account", "amount", "result", "bank_ref"])
    for r in rows:
        w.writerow([r["payment_id"], r["account"], r["amount"], "paid", f"DEMO{r['payment_id']}"])
    return out.getvalue().encode()


def print_logins() -> None:
    from gzgov.plan.demo import demo_data, plan_users

    typer.echo(f"\n演示账号（密码均为 / every password is: {DEMO_PASSWORD}）")
    for username, role, _name, district in demo_users():
        typer.echo(f"  {username:<22} {role.label_zh}（{role.label_en}）{' ' + BY_CODE[district].name_zh if district else ''}")
    for username, role, _name, unit in plan_users(demo_data()):
        typer.echo(f"  {username:<22} {role.label_zh}（{role.label_en}）{' ' + unit if unit else ''}")
    from gzgov.finreg.demo import DEMO_USERS

    for username, role, _name, district, code in DEMO_USERS:
        where = BY_CODE[district].name_zh if district else code
        typer.echo(f"  {username:<22} {role.label_zh}（{role.label_en}）{' ' + where if where else ''}")
    typer.echo("  公众页面无需登录 / public pages need no login: /forest/publicity, /public/plan")
