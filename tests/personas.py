"""One test persona per role: a permission case is one line."""

from gzgov.core.auth import Actor, Role

# One persona per role: a permission case is one line.
CITY = Actor("city", Role.city_forestry, None, "市林业园林局 李科长")
FINANCE = Actor("finance", Role.city_finance, None, "市财政局 王科长")
CONGHUA = Actor("conghua", Role.district_forestry, "440117", "从化区林业园林局 陈股长")
CONGHUA_FIN = Actor("conghua_fin", Role.district_finance, "440117", "从化区财政局 黄股长")
HUADU = Actor("huadu", Role.district_forestry, "440114", "花都区林业园林局 张股长")
HUADU_FIN = Actor("huadu_fin", Role.district_finance, "440114", "花都区财政局 周股长")
AUDITOR = Actor("auditor", Role.auditor, None, "市审计局 刘审计师")
ADMIN = Actor("admin", Role.admin, None, "系统管理员")
OUTSIDER = Actor("public", Role.public, None, "公众")
# plan monitoring: the regulator, two responsible units (a district government, a city bureau), an evaluator
REGULATOR = Actor("regulator", Role.plan_regulator, None, "市地方金融监管局 规划处 赵处长", unit="市地方金融监管局")
NANSHA_GOV = Actor("nansha_gov", Role.responsible_unit, None, "南沙区政府 金融工作局 钱科长", unit="南沙区政府")
COMMERCE = Actor("commerce", Role.responsible_unit, None, "市商务局 孙科长", unit="市商务局")
EVALUATOR = Actor("evaluator", Role.evaluator, None, "第三方评估机构 周研究员")
# off-site supervision: the city's supervisors, a district supervisor, one institution's staff
SUPERVISOR = Actor("supervisor", Role.finreg_supervisor, None, "市地方金融监管局 非现场监管处 吴科长")
TIANHE_SUP = Actor("tianhe_sup", Role.district_supervisor, "440106", "天河区金融工作局 郑科长")
INSTITUTION = Actor("sl0001", Role.institution, None, "某小额贷款公司 风控部", institution_code="SL-0001")
PERSONAS = [CITY, FINANCE, CONGHUA, CONGHUA_FIN, HUADU, HUADU_FIN, AUDITOR, ADMIN, REGULATOR, NANSHA_GOV, COMMERCE,
            EVALUATOR, SUPERVISOR, TIANHE_SUP, INSTITUTION]
TEST_PASSWORD = "correct-horse-battery"
