"""Demo of illegal-fundraising monitoring (非法集资监测演示): a synthetic Guangzhou enterprise population with
planted fundraising rings and honest decoys (`gzgov.finreg.fundraising.synthetic`) imported through the same
all-or-nothing import as real data; the persons known from earlier cases put on the blacklist; the risk index
run, warnings raised; the highest-ranked ring company in a district with a demo supervisor taken through the
case loop (monitor → warn → handle → feedback → verify → closed) to a finding of illegal fundraising, which
blacklists it and its controllers; then a second run, in which its ring now sits next to a blacklisted
company and controllers."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from gzgov.core.auth import actor_for_username
from gzgov.core.db import session_scope
from gzgov.finreg import cases
from gzgov.finreg import enterprises as ent
from gzgov.finreg import fundraising_service as fs
from gzgov.finreg import registry as reg
from gzgov.finreg.fundraising.synthetic import write_import_files
from gzgov.finreg.models import BlacklistEntry, Enterprise, RiskWarning

TODAY = date(2025, 10, 31)
COMPANIES = 20_000
RINGS = 10
# districts with a demo supervisor (gzgov.finreg.demo.DEMO_USERS)
SUPERVISORS = {"440106": "tianhe_sup", "440115": "nansha_sup", "440104": "yuexiu_sup"}
EARLIER_CASE = "穗金管〔2023〕非法集资案件处置决定（演示）"
FINDING = "穗金管〔2025〕18号 非法集资性质认定决定（演示）"


@dataclass(frozen=True)
class FundraisingDemo:
    companies: int
    planted: int
    first_run_warnings: int
    case_company: str
    case_id: int
    blacklisted: int
    second_run_warnings: int


def build_fundraising_demo(companies: int = COMPANIES, rings: int = RINGS, today: date = TODAY,
                           seed: int = 20211029) -> FundraisingDemo:
    with tempfile.TemporaryDirectory() as tmp:
        pop, paths = write_import_files(Path(tmp), n=companies, seed=seed, today=today, rings=rings)
        files = [(p.name, p.read_bytes()) for p in paths]
    with session_scope() as s:
        sup = actor_for_username(s, "supervisor")
        ent.import_files(s, sup, files, today)
        people = pop.persons.to_pylist()
        for p, number in zip(people, pop.person_ids.to_pylist(), strict=True):
            if p["blacklisted"]:
                reg.add_to_blacklist(s, sup, "person", p["name"], number, EARLIER_CASE, today - timedelta(days=700),
                                     today + timedelta(days=1126), reason="既往非法集资案件的实际控制人（演示）")
    with session_scope() as s:
        first = fs.score_and_record(s, actor_for_username(s, "supervisor"), today)
    with session_scope() as s:
        run_rows = fs.run_scores(s, actor_for_username(s, "supervisor"), first.run_id)
        pick = next(r for r in run_rows if r["credit_code"] in pop.planted and r["district"] in SUPERVISORS)
        company = s.scalar(select(Enterprise).where(Enterprise.credit_code == pick["credit_code"]))
        warning = s.scalar(select(RiskWarning).where(RiskWarning.enterprise_id == company.id)
                           .order_by(RiskWarning.id.desc()))
        district_sup = actor_for_username(s, SUPERVISORS[company.district_code])
        case = cases.open_case(s, district_sup, warning.id)
        cases.handle(s, district_sup, case.id, "onsite_inspection",
                     "会同市场监管、公安对其经营场所现场检查，调取宣传资料与资金流水（演示）", working_days=10,
                     today=today)
        cases.feedback(s, district_sup, case.id,
                       "现场查实：以“年化收益、保本保息”向社会公众宣传，吸收资金未取得金融许可（演示）",
                       [("现场检查笔录.pdf", b"%PDF-1.4 demo inspection record"),
                        ("宣传单页.jpg", b"\xff\xd8\xff demo leaflet")])
        cases.verify(s, district_sup, case.id, True, "材料属实，提请市局认定（演示）")
        city = actor_for_username(s, "supervisor")
        cases.close(s, city, case.id, FINDING, finding="illegal_fundraising", today=today)
        case_id = case.id
        blacklisted = s.scalar(select(func.count()).select_from(BlacklistEntry)) or 0
    with session_scope() as s:
        second = fs.score_and_record(s, actor_for_username(s, "supervisor"), today)
    return FundraisingDemo(companies, len(pop.planted), first.warnings_new, pick["credit_code"], case_id, blacklisted,
                           second.warnings_new)
