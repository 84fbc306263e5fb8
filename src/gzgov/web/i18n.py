"""Message catalogs (界面文字): Simplified Chinese first, English switchable.

Every visible string of every page comes from here through the `t(key)` template global.
Each message is written once as a (zh, en) pair so the two languages cannot drift apart;
`CATALOGS` holds one dict per language, keyed by message id. A message may carry
`str.format` fields: `t("pager.summary", total=12)`.
"""

from __future__ import annotations

from starlette.requests import Request

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "lang"

_MESSAGES: dict[str, tuple[str, str]] = {
    # --- application frame
    "app.name": ("广州市生态公益林补偿系统", "Guangzhou Eco-Forest Compensation System"),
    "app.short": ("gzgov", "gzgov"),
    "lang.switch": ("English", "中文"),
    "lang.switch_title": ("Switch to English", "切换到中文"),
    "nav.main": ("主导航", "Main navigation"),
    "nav.dashboard": ("总览", "Dashboard"),
    "nav.parcels": ("小班", "Parcels"),
    "nav.payees": ("补偿对象", "Payees"),
    "nav.standards": ("补偿标准", "Standards"),
    "nav.funding": ("资金分担", "Funding"),
    "nav.import": ("登记导入", "Registry import"),
    "nav.publicity": ("公示", "Publicity"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "footer.basis": ("依据《2021—2025 年广州市生态公益林补偿实施方案》（穗林业园林规字〔2021〕2号）",
                     "Based on the 2021–2025 Guangzhou Eco-Forest Compensation Implementation Plan (穗林业园林规字〔2021〕2号)"),
    "footer.privacy": ("证件号码和银行账号均已脱敏显示", "ID and bank account numbers are shown masked"),
    "common.all": ("全部", "All"),
    "common.search": ("查询", "Search"),
    "common.reset": ("重置", "Reset"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.none": ("无", "None"),
    "common.loading": ("加载中…", "Loading…"),
    "common.basis": ("依据", "Basis"),
    "common.basis_is": ("依据：", "Basis: "),
    "common.list_sep": ("、", ", "),
    "common.district": ("区", "District"),
    "common.year": ("年度", "Year"),
    "common.note": ("说明", "Note"),
    "common.reason": ("理由", "Reason"),
    "common.save": ("保存", "Save"),
    "common.updated_by": ("更新人", "Updated by"),
    "common.unit_wan": ("万元", "10k yuan"),
    "common.unit_wanmu": ("万亩", "10k mu"),
    "common.total": ("合计", "Total"),
    "common.back_home": ("返回首页", "Back to the start page"),
    # --- pager
    "pager.summary": ("共 {total} 条，第 {page}/{pages} 页", "{total} records, page {page} of {pages}"),
    "pager.prev": ("上一页", "Previous"),
    "pager.next": ("下一页", "Next"),
    "pager.label": ("分页", "Pagination"),
    # --- login
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.hint": ("请使用市、区主管部门分配的账号登录。连续失败 5 次后须等待 15 分钟。",
                   "Use the account given by your bureau. After 5 failed attempts wait 15 minutes."),
    "login.public_hint": ("公众可直接查看公示信息：", "The public may view the publicity pages directly:"),
    "login.logged_in_as": ("当前已登录：{name}", "Currently logged in as {name}"),
    "flash.logged_out": ("已退出登录", "You have logged out"),
    # --- errors
    "error.title": ("出错了", "Something went wrong"),
    "error.code_is": ("错误代码：{code}", "Error code: {code}"),
    "error.login_required": ("请先登录", "Please log in first"),
    "error.http": ("请求无法完成（HTTP {status}）", "The request could not be completed (HTTP {status})"),
    "error.not_found": ("页面不存在", "Page not found"),
    "error.method": ("不支持此请求方法", "Method not allowed"),
    "error.invalid_input": ("提交的数据无效：{fields}", "Invalid input: {fields}"),
    "error.server": ("系统内部错误，已记录，请稍后再试", "Internal error; it has been logged, try again later"),
    # --- dashboard
    "dash.heading": ("{year} 年度补偿资金总览", "Programme totals for {year}"),
    "dash.year_select": ("选择年度", "Choose the year"),
    "dash.show": ("显示", "Show"),
    "dash.scope_city": ("范围：全市", "Scope: whole city"),
    "dash.scope_district": ("范围：{district}", "Scope: {district}"),
    "dash.total_area": ("生态公益林面积", "Eco-forest area"),
    "dash.compensation": ("损失性补偿", "Loss compensation"),
    "dash.management": ("管护经费", "Management funds"),
    "dash.total": ("补偿资金合计", "Total funds"),
    "dash.by_grade": ("按等级（损失性补偿）", "By grade (loss compensation)"),
    "dash.by_tier": ("按管护档次（管护经费）", "By management tier (management funds)"),
    "dash.by_district": ("按区", "By district"),
    "dash.grade": ("等级", "Grade"),
    "dash.tier": ("档次", "Tier"),
    "dash.area": ("面积（万亩）", "Area (10k mu)"),
    "dash.rate": ("标准（元/亩·年）", "Rate (yuan/mu·year)"),
    "dash.amount": ("金额（万元）", "Amount (10k yuan)"),
    "dash.col_compensation": ("损失性补偿（万元）", "Loss compensation (10k yuan)"),
    "dash.col_management": ("管护经费（万元）", "Management funds (10k yuan)"),
    "dash.col_total": ("合计（万元）", "Total (10k yuan)"),
    "dash.no_management": ("该年度没有管护经费标准", "No management standard for this year"),
    "dash.no_parcels": ("登记中还没有可补偿的小班。请先导入小班登记。", "The registry holds no payable parcels yet. Import the registry first."),
    "dash.chart_district": ("各区补偿资金（万元）", "Funds by district (10k yuan)"),
    "dash.chart_grade": ("面积按等级（万亩）", "Area by grade (10k mu)"),
    "dash.chart_tier": ("面积按管护档次（万亩）", "Area by management tier (10k mu)"),
    "dash.charts_label": ("图表", "Charts"),
    "dash.payable_note": ("只计可补偿小班：原森林管护区小班须经重新划定后方可补偿（第四条（三））。",
                          "Payable parcels only: a former management-zone parcel is paid once re-designated (forest §4(3))."),
    # --- parcels
    "parcels.title": ("小班登记", "Parcel registry"),
    "parcels.search": ("小班号、镇（街）、村或补偿对象", "Parcel code, town, village or payee"),
    "parcels.code": ("小班号", "Parcel code"),
    "parcels.town": ("镇（街）", "Town"),
    "parcels.village": ("村", "Village"),
    "parcels.grade": ("等级", "Grade"),
    "parcels.tier": ("管护档次", "Tier"),
    "parcels.tenure": ("权属", "Tenure"),
    "parcels.former_zone": ("原森林管护区", "Former management zone"),
    "parcels.area": ("面积（亩）", "Area (mu)"),
    "parcels.payee": ("补偿对象", "Payee"),
    "parcels.payee_id": ("证件号码（脱敏）", "ID number (masked)"),
    "parcels.summary": ("筛选结果：{count} 个小班，共 {area} 亩", "Filtered: {count} parcels, {area} mu in total"),
    "parcels.empty": ("没有符合条件的小班", "No parcels match"),
    "parcels.district_locked": ("（仅限本区）", "(your district only)"),
    # --- payees
    "payees.title": ("补偿对象", "Payees"),
    "payees.search": ("补偿对象姓名或名称", "Payee name"),
    "payees.name": ("姓名/名称", "Name"),
    "payees.kind": ("类型", "Kind"),
    "payees.id": ("证件号码（脱敏）", "ID number (masked)"),
    "payees.bank": ("开户银行", "Bank"),
    "payees.account": ("银行账号（脱敏）", "Bank account (masked)"),
    "payees.account_filter": ("银行账号", "Bank account"),
    "payees.with_account": ("已登记账号", "Has an account"),
    "payees.no_account": ("缺少银行账号", "No bank account"),
    "payees.no_account_hint": ("缺少账号的补偿对象不能拨付（“一卡（折）通”，第五条）", "Payees without an account cannot be paid (one-card rule, forest §5)"),
    "payees.parcels": ("小班数", "Parcels"),
    "payees.area": ("面积（亩）", "Area (mu)"),
    "payees.summary": ("筛选结果：{count} 个补偿对象，其中 {missing} 个缺少银行账号", "Filtered: {count} payees, {missing} without a bank account"),
    "payees.empty": ("没有符合条件的补偿对象", "No payees match"),
    # --- standards
    "std.title": ("补偿标准与管护标准", "Compensation and management standards"),
    "std.intro": ("补偿标准由市林业园林局录入、市财政局批准后生效；录入人不能批准自己录入的标准。",
                  "A standard is entered by the city forestry bureau and takes effect once approved by the city finance bureau; nobody approves their own entry."),
    "std.status": ("状态", "Status"),
    "std.status.approved": ("已批准", "Approved"),
    "std.status.proposed": ("待批准", "Awaiting approval"),
    "std.comp": ("损失性补偿（元/亩·年）", "Loss compensation (yuan/mu·year)"),
    "std.mgmt": ("管护经费（元/亩·年）", "Management (yuan/mu·year)"),
    "std.proposed_by": ("录入", "Entered by"),
    "std.approved_by": ("批准", "Approved by"),
    "std.gazette": ("公报载明", "Published in the gazette"),
    "std.propose_title": ("录入年度标准", "Enter a year's standard"),
    "std.propose_submit": ("提交待批准", "Submit for approval"),
    "std.mgmt_optional": ("管护经费标准（可选，三项须同时填写）", "Management standard (optional; all three or none)"),
    "std.basis_input": ("依据（批准文件及条款）", "Basis (approving document and clause)"),
    "std.approve": ("批准", "Approve"),
    "std.approve_reason": ("批准意见", "Approval note"),
    "flash.standard_proposed": ("{year} 年标准已录入，待市财政局批准", "The {year} standard was entered and awaits approval by the city finance bureau"),
    "flash.standard_approved": ("{year} 年标准已批准", "The {year} standard was approved"),
    # --- funding
    "fund.title": ("市区资金分担", "City/district funding split"),
    "fund.intro": ("2012 年基数由市级全额负担；增量部分按现行财政体制由市、区分担（第八条（二））。",
                   "The 2012 base is paid wholly by the city; the increment is shared by city and district under the current fiscal system (forest §8(2))."),
    "fund.placeholder": ("注意：以下数字为示例数据，待市财政局按现行财政体制确认后修改。",
                         "Note: the figures below are placeholders until the city finance bureau records the real ones."),
    "fund.base": ("2012 年基数（万元）", "2012 base (10k yuan)"),
    "fund.base_input": ("2012 年基数（元）", "2012 base (yuan)"),
    "fund.share": ("增量市级分担比例", "City share of the increment"),
    "fund.share_input": ("市级分担比例（0–1）", "City share (0–1)"),
    "fund.district_share": ("区级分担比例", "District share"),
    "fund.edit": ("修改", "Edit"),
    "fund.reason_input": ("调整依据", "Reason and basis of the change"),
    "flash.funding_saved": ("{district}的分担设置已保存", "The funding split of {district} was saved"),
    # --- import
    "imp.title": ("导入小班与补偿对象登记", "Import the parcel and payee registry"),
    "imp.intro": ("上传 CSV（UTF-8）或 XLSX 文件。所有行都通过校验才写入，任何一行有错则整份文件不写入；重复导入同一文件不产生变化。",
                  "Upload a CSV (UTF-8) or XLSX file. Nothing is written unless every row is valid; importing the same file again changes nothing."),
    "imp.file": ("登记文件", "Registry file"),
    "imp.submit": ("导入", "Import"),
    "imp.columns": ("文件列", "File columns"),
    "imp.col_key": ("列名", "Column"),
    "imp.col_zh": ("中文列名", "Chinese header"),
    "imp.col_en": ("英文列名", "English header"),
    "imp.col_required": ("必填", "Required"),
    "imp.rejected": ("导入被拒绝：共 {count} 处错误，未写入任何数据。", "Import rejected: {count} error(s); nothing was written."),
    "imp.more_errors": ("另有 {count} 处错误未列出", "{count} more error(s) not listed"),
    "imp.row": ("行", "Row"),
    "imp.column": ("列", "Column"),
    "imp.reason": ("原因", "Reason"),
    "imp.done": ("导入完成：{filename}", "Imported: {filename}"),
    "imp.unchanged": ("文件内容与现有登记一致，未作任何修改。", "The file matches the registry; nothing changed."),
    "imp.rows": ("数据行", "Data rows"),
    "imp.parcels_created": ("新增小班", "Parcels added"),
    "imp.parcels_updated": ("更新小班", "Parcels updated"),
    "imp.parcels_unchanged": ("未变小班", "Parcels unchanged"),
    "imp.payees_created": ("新增补偿对象", "Payees added"),
    "imp.payees_updated": ("更新补偿对象", "Payees updated"),
    "imp.districts": ("涉及的区", "Districts"),
    "imp.sha256": ("文件摘要（SHA-256）", "File digest (SHA-256)"),
    "imp.no_file": ("请选择要上传的文件", "Choose a file to upload"),
    # --- publicity
    "pub.title": ("生态公益林补偿对象公示", "Publicity of eco-forest compensation payees"),
    "pub.intro": ("补偿对象名单在生态公益林所在自然村和村（居）民委员会所在地公示，公示期不得少于十五个工作日。如有异议，请在公示期内向区林业园林部门提出（第七条）。",
                  "Payee lists are posted in the village and at the villagers' committee for at least fifteen working days. Raise any objection with the district forestry bureau during that period (forest §7)."),
    "pub.empty": ("目前没有正在公示的名单。", "No list is being posted at the moment."),
    # --- audit
    "audit.title": ("审计日志", "Audit log"),
    "audit.intro": ("每一次修改都记入哈希链审计日志：谁、何时、做了什么、修改前后、理由。",
                    "Every change is written to the hash-chained audit log: who, when, what, before and after, why."),
    "audit.seq": ("序号", "No."),
    "audit.at": ("时间", "Time"),
    "audit.actor": ("操作人", "Actor"),
    "audit.action": ("操作", "Action"),
    "audit.entity_type": ("对象类型", "Entity type"),
    "audit.entity": ("对象", "Entity"),
    "audit.change": ("修改内容", "Change"),
    "audit.before": ("修改前", "Before"),
    "audit.after": ("修改后", "After"),
    "audit.empty": ("没有符合条件的记录", "No entries match"),
    "audit.verify": ("校验哈希链", "Verify the chain"),
    "audit.verify_ok": ("审计日志完整：{entries} 条记录均未被篡改。", "The audit log is intact: none of its {entries} entries was altered."),
    "audit.verify_bad": ("审计日志已被篡改：{entries} 条记录中发现以下问题。", "The audit log was tampered with: problems among its {entries} entries."),
}

CATALOGS: dict[str, dict[str, str]] = {
    lang: {key: pair[i] for key, pair in _MESSAGES.items()} for i, lang in enumerate(LANGS)
}


def translate(lang: str, key: str, **fields: object) -> str:
    """The message `key` in `lang`; an unknown key shows itself (and a test lists every key used)."""
    text = CATALOGS.get(lang, CATALOGS[DEFAULT_LANG]).get(key)
    if text is None:
        return key
    return text.format(**fields) if fields else text


def other_lang(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def lang_of(request: Request) -> str:
    """The page language: `?lang=` (also remembered in a cookie), else the cookie, else Chinese."""
    state = getattr(request.state, "lang", None)
    if state in LANGS:
        return state
    query = request.query_params.get("lang")
    if query in LANGS:
        return query
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else DEFAULT_LANG
