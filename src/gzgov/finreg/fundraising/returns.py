"""Promised returns in Chinese marketing texts, read into an exact annual rate.

Illegal-fundraising ads lure with returns (年化18%、月息2分、日息千分之五、投一万每月返300、一年翻倍) and with
guarantees (保本保息、稳赚不赔、零风险); supervisors want the promised rate as a number they can hold against a
configurable level, and they want percentages that are not returns (增长18%、首付30%、手续费0.6%) left alone.

Conventions (stated here because every figure depends on them):

* Annualising is simple and exact, never compounded: a monthly rate × 12, a weekly rate × 52, a daily rate × 365;
  a rate over a term of N periods (3个月收益5%) is × (periods a year / N); a doubling (一年翻番) is +100 % over its
  period, 翻两番 is +300 %; paying back the principal in a period (三个月回本) is +100 % over that period.
  Results are `Decimal`, quantised half-up to 4 places (0.1800 = 18 % a year); no float is ever used.
* 分/厘 in interest follow the traditional notation (textbook: 黄达《金融学》; Baidu Baike 利率 — 年息、月息、日拆
  all count in 厘: 年息5厘 = 5 % a year, 月息4厘 = 0.4 % a month, 日拆2厘 = 0.02 % a day; 1分 = 10厘):
  年息X分 = X × 10 %/year, 年息X厘 = X %/year; 月息X分 = X %/month, 月息X厘 = X ‰/month; 日息X分 = X ‰/day,
  日息X厘 = X ‱/day (so 借呗's 日息万分之五 is "日息5厘"). 一分半 = 1.5分. A bare "X分利/X分息" without a
  period is the folk shorthand for 月息X分.
* 成 = 10 % (年化收益一成五 = 15 %), read only right after a return word; 个点/个百分点 = %.
* A percentage with no period stated (收益率18%、保息12%) is read as annual, the market's quoting convention,
  and gets the form ``return_percent``; a product term (3年期、12个月期) is a label, not the rate's period.
* A range (年化12%-18%) counts at its upper bound, and its form ends in ``_range_upper``.

A percentage counts only with a return word near it (收益、回报、利息、利率、年化、息、返、分红、红利、派息、赚、
获利、盈利) in the same clause and no word that makes it something else (增长、折扣、首付、手续费、税率、占有率、
持股、合格率、通过率、贷款、存款、违约金、严禁 …) nearby.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = ["Return", "as_json", "best_return", "parse_returns"]

_Q = Decimal("0.0001")
_ONE = Decimal(1)
_WIDE = Context(prec=60)  # room to quantise any rate the bounded numbers can make


def _q(x: Decimal) -> Decimal:
    """Half-up to 4 places, the one rounding a rate ever gets."""
    return x.quantize(_Q, ROUND_HALF_UP, context=_WIDE)


@dataclass(frozen=True)
class Return:
    """One promised return: its simple annual rate (None for a bare guarantee), a stable English key for the
    phrasing, the span of `matched` in the original text, and whether the text also guarantees the return."""

    annual_rate: Decimal | None
    form: str
    span: tuple[int, int]
    matched: str
    guaranteed: bool


@dataclass(frozen=True)
class _Hit:
    """A finding in normalised coordinates; `core` is the figure itself, used to drop double readings."""

    start: int
    end: int
    core: tuple[int, int]
    rate: Decimal | None
    form: str


# ---------------------------------------------------------------------------------------------------- numbers

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
_CN_UNIT = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_DIGITS = "".join(_CN_DIGIT)
_CN_NUM_CHARS = _CN_DIGITS + "".join(_CN_UNIT) + "万"
# a number as ads write it; bounded in length so that no run of digits is ever read as a rate
NUM = (rf"(?:(?<![\d.])(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,12}})(?:\.\d{{1,8}})?(?!\d)"
       rf"|[{_CN_NUM_CHARS}]{{1,12}}(?![{_CN_DIGITS}])(?:点[{_CN_DIGITS}]{{1,8}})?)")


def _cn_int(s: str) -> int:
    """A Chinese integer numeral (十八、一百零五、两万); digits without units read positionally (二〇二〇)."""
    if not any(c in _CN_UNIT or c == "万" for c in s):
        return int("".join(str(_CN_DIGIT[c]) for c in s) or "0")
    total = section = num = 0
    for c in s:
        if c in _CN_DIGIT:
            num = _CN_DIGIT[c]
        elif c in _CN_UNIT:
            section += (num or 1) * _CN_UNIT[c]
            num = 0
        else:  # 万
            total += ((section + num) or 1) * 10000
            section = num = 0
    return total + section + num


def _num(s: str) -> Decimal:
    """A number as written (18、18.5、1,000、十八、百分之十八点五's 十八点五) as an exact Decimal."""
    if s[0].isdigit():
        return Decimal(s.replace(",", ""))
    whole, _, frac = s.partition("点")
    value = Decimal(_cn_int(whole))
    if frac:
        value += Decimal("0." + "".join(str(_CN_DIGIT[c]) for c in frac))
    return value


# -------------------------------------------------------------------------------------------- normalisation


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC (full-width digits and ％ become ASCII), lower case, whitespace and format characters dropped so that
    spaced-out ads (年 化 收 益 率 ：1 8 %) read like plain ones. Returns the normalised text and, for each of its
    characters, the index of the original character it came from."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or unicodedata.category(ch) == "Cf":
            continue
        for c in unicodedata.normalize("NFKC", ch).lower():
            if not c.isspace():
                out.append(c)
                idx.append(i)
    return "".join(out), idx


# ------------------------------------------------------------------------------------------ context words

_CN_OR_DIGIT = rf"[0-9{_CN_NUM_CHARS}]"
_BOUNDARY = "。!?;\n,、…"
_PER_YEAR = {"annual": 1, "monthly": 12, "weekly": 52, "daily": 365}
# the period a figure is quoted for; 年/月/日 after a numeral are dates or terms (read by _TERM_RE), not periods
_PERIOD_RE = re.compile(
    rf"(?P<annual>年化|(?<!{_CN_OR_DIGIT})年(?![龄级轻纪代货会终底初末前后内期]))"
    rf"|(?P<monthly>月化|(?<!{_CN_OR_DIGIT})月(?![份饼光球亮嫂子底初末内]))"
    rf"|(?P<weekly>周化|(?<!{_CN_OR_DIGIT})(?:周|星期)(?![年边末围转期到全知岁]))"
    rf"|(?P<daily>日化|(?<!{_CN_OR_DIGIT})(?:日|天)(?![期本常用记志元报子气然下空津内使猫地堂]))")
# a term of N periods (3个月、90天、半年); N年期 and the like are product labels, not periods
_TERM_RE = re.compile(rf"(?P<n>{NUM}|半)(?:(?P<annual>年)|(?P<monthly>个月)|(?P<weekly>个?周|个星期)"
                      rf"|(?P<daily>天))(?!期)")
_RETURN_RE = re.compile(
    r"收益|回报|利息|利率|年化|月化|周化|日化|分红|红利|派息|付息|获利|盈利|赚"
    r"|(?<![信消休气叹作栖歇平])息"
    r"|(?<!往)返(?![回乡程校岗工现券点航])"
    r"|(?<=[年月日天周])利(?!润)")
# words that make a nearby percentage something other than a promised return, or a warning against one
_NOT_RETURN_RE = re.compile(
    r"增长|增幅|增速|增加|上涨|涨幅|涨价|上升|提高|提升|上调|下降|下跌|跌幅|降幅|降低|下调|降价|同比|环比"
    r"|折扣|打折|优惠|满减|返现|返券|佣金|提成|手续费|服务费|管理费|费率|费用|税率|税收|税负|纳税|税款|增值税|所得税|个税|首付|首期|定金|押金|保证金"
    r"|占有率|占比|份额|持股|股权|股份|比例|合格|通过率|成功率|满意|覆盖率|好评|出勤|入住|利用率|转化率|点击"
    r"|概率|胜率|准确率|完成率|达标|利润率|毛利|净利率|违约|罚息|逾期|滞纳|贷款|房贷|车贷|按揭|存款|国债|lpr"
    r"|基准利率|无风险利率|通胀|cpi|波动|回撤|亏损|损失|严禁|禁止|不得|杜绝|警惕|谨防|防范|不承诺")
_RANGE_SEP = {"-", "~", "〜", "至", "到", "—", "–", "——"}
_LIST_SEP = {"、", "和", "或", "及", "或者"}
_WINDOW = 16  # characters looked back for a period or return word, within the clause
_RIGHT = 6


def _clause_start(norm: str, pos: int, floor: int) -> int:
    """Where the clause holding `pos` begins, looking back no further than `floor`."""
    lo = max(floor, pos - _WINDOW, 0)
    for j in range(pos - 1, lo - 1, -1):
        if norm[j] in _BOUNDARY:
            return j + 1
    return lo


def _right_context(norm: str, end: int) -> str:
    """The few characters after a figure, up to the end of the clause."""
    seg = norm[end:end + _RIGHT]
    for j, c in enumerate(seg):
        if c in _BOUNDARY:
            return seg[:j]
    return seg


@dataclass(frozen=True)
class _Period:
    """The period a rate is quoted for: `kind` in _PER_YEAR or None (unstated), `n` periods (a term if not 1)."""

    kind: str | None
    n: Decimal
    start: int | None = None

    def per_year(self) -> Decimal:
        return Decimal(_PER_YEAR[self.kind or "annual"]) / self.n

    def form(self, unit: str) -> str:
        if self.kind is None:
            return f"return_{unit}"
        if self.n != 1:
            return f"term_{unit}"
        if self.kind == "annual" and unit == "percent":
            return "annualised_percent"
        return f"{self.kind}_{unit}"


_UNSTATED = _Period(None, _ONE)


def _period_matches(seg: str, offset: int) -> Iterator[tuple[int, int, _Period]]:
    """Every period or term marker in `seg` as (end, length, period), in normalised coordinates."""
    for m in _PERIOD_RE.finditer(seg):
        yield offset + m.end(), m.end() - m.start(), _Period(m.lastgroup, _ONE, offset + m.start())
    for m in _TERM_RE.finditer(seg):
        n = Decimal("0.5") if m["n"] == "半" else _num(m["n"])
        if n > 0 and not (m["annual"] and n >= 100):
            kind = next(k for k in _PER_YEAR if m[k])
            yield offset + m.end(), m.end() - m.start(), _Period(kind, n, offset + m.start())


def _nearest_period(seg: str, offset: int) -> _Period | None:
    """The marker closest to the end of `seg` (a term beats a bare period ending at the same place)."""
    best = max(_period_matches(seg, offset), key=lambda t: (t[0], t[1]), default=None)
    return best[2] if best else None


_PAYOUT_FREQUENCY_RE = re.compile(r"付|派|结|分配|发放|返还|到账|计息|复投")


def _first_period(seg: str, offset: int) -> tuple[_Period, int] | None:
    """The period written right after a figure (18%/年、3%每天、18%的年化收益) and where it ends; 18%每月付息 is an
    annual rate paid monthly, so a period followed by a payout word is not the figure's."""
    near = [(end, length, p) for end, length, p in _period_matches(seg, offset)
            if p.start is not None and p.start - offset <= 2 and not _PAYOUT_FREQUENCY_RE.match(seg, end - offset)]
    best = min(near, key=lambda t: (t[2].start, -t[1]), default=None)
    return (best[2], best[0]) if best else None


@dataclass(frozen=True)
class _Context:
    """What the words around a figure say: its period, where the context starts and ends."""

    period: _Period
    start: int
    end: int


def _context(norm: str, start: int, end: int, floor: int, strict: bool = False) -> _Context | None:
    """The context of the figure norm[start:end], or None if it is not a promised return: a return word must be
    in the clause before it (within 4 characters if `strict`) or right after it, and no word making it
    something else may be near."""
    lo = _clause_start(norm, start, floor)
    left = norm[lo:start]
    right = _right_context(norm, end)
    if _NOT_RETURN_RE.search(left) or _NOT_RETURN_RE.search(right[:4]):
        return None
    rets = list(_RETURN_RE.finditer(left))
    if strict:
        rets = [m for m in rets if lo + m.end() >= start - 4]
    rets_right = [] if strict else list(_RETURN_RE.finditer(right))
    if not rets and not rets_right:
        return None
    period = _nearest_period(left, lo)
    ctx_start = lo + rets[-1].start() if rets else start
    ctx_end = end + rets_right[-1].end() if rets_right else end
    if period is None:
        after = _first_period(right, end)
        if after is not None:
            period, ctx_end = after[0], max(ctx_end, after[1])
    else:
        ctx_start = min(ctx_start, period.start if period.start is not None else start)
    if ctx_start > lo and norm[ctx_start - 1] == "每":  # 每月收益3% reads whole
        ctx_start -= 1
    return _Context(period or _UNSTATED, ctx_start, ctx_end)


# --------------------------------------------------------------------------------- percent-family figures

_UNIT_OF = {"%": "percent", "个百分点": "percent", "个点": "percent", "成": "percent", "‰": "permille",
            "‱": "per_ten_thousand", "百分之": "percent", "千分之": "permille", "万分之": "per_ten_thousand"}
_SCALE = {"percent": Decimal("0.01"), "permille": Decimal("0.001"), "per_ten_thousand": Decimal("0.0001")}
_TOKEN_RE = re.compile(rf"(?P<pre>百分之|千分之|万分之)?(?P<num>{NUM})(?P<unit>%|‰|‱|个百分点|个点|成)?")
_CHENG_FRAC_RE = re.compile(rf"[{_CN_DIGITS}0-9](?![{_CN_NUM_CHARS}0-9%])")
# what may follow 成 or 分/厘 for it to be a rate: not another CJK word (八成新、十分利好)
_RATE_END_RE = re.compile(r"$|[^\u4e00-\u9fff]|的|左右|以上|起|多|收益|回报|利|息")


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    value: Decimal
    unit: str | None
    cheng: bool = False


def _tokens(norm: str) -> list[_Token]:
    """Every number in the text with its unit if it has one (bare numbers may be a range's lower bound)."""
    out: list[_Token] = []
    for m in _TOKEN_RE.finditer(norm):
        unit_word = m["pre"] or m["unit"]
        value, end = _num(m["num"]), m.end()
        cheng = unit_word == "成" and not m["pre"]
        if cheng:
            frac = _CHENG_FRAC_RE.match(norm, end)
            if frac:
                value += _num(frac.group()) / 10
                end = frac.end()
            if not _RATE_END_RE.match(norm, end):
                continue
            value *= 10
        out.append(_Token(m.start(), end, value, _UNIT_OF.get(unit_word or ""), cheng))
    return out


@dataclass(frozen=True)
class _Figure:
    start: int
    end: int
    value: Decimal
    unit: str
    ranged: bool
    cheng: bool


def _figures(norm: str, toks: list[_Token]) -> list[_Figure]:
    """Tokens with a unit, a range (12%-18%、12-18%) folded into one figure at its upper bound."""
    figs: list[_Figure] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (nxt is not None and nxt.unit and norm[t.end:nxt.start] in _RANGE_SEP and t.unit in (None, nxt.unit)
                and t.value <= nxt.value and not nxt.cheng):
            figs.append(_Figure(t.start, nxt.end, nxt.value, nxt.unit, True, False))
            i += 2
            continue
        if t.unit:
            figs.append(_Figure(t.start, t.end, t.value, t.unit, False, t.cheng))
        i += 1
    return figs


def _annual(value: Decimal, unit_scale: Decimal, period: _Period) -> Decimal:
    return _q(value * unit_scale * period.per_year())


def _percent_hits(norm: str) -> list[_Hit]:
    """Percentages, permilles and 万分之 figures that a return word makes a promised return."""
    hits: list[_Hit] = []
    prev: _Figure | None = None
    prev_ctx: _Context | None = None
    for f in _figures(norm, _tokens(norm)):
        floor = prev.end if prev else 0
        ctx = _context(norm, f.start, f.end, floor, strict=f.cheng)
        if ctx is None and prev_ctx is not None and prev and norm[prev.end:f.start] in _LIST_SEP:
            ctx = _Context(prev_ctx.period, f.start, f.end)  # 年化12%、15%: the list shares its context
        prev, prev_ctx = f, ctx
        if ctx is None:
            continue
        form = ctx.period.form(f.unit) + ("_range_upper" if f.ranged else "")
        hits.append(_Hit(ctx.start, ctx.end, (f.start, f.end), _annual(f.value, _SCALE[f.unit], ctx.period), form))
    return hits


# ------------------------------------------------------------------------------------------ 分/厘 idioms

_FEN_SCALE = {("annual", "分"): Decimal("0.1"), ("annual", "厘"): Decimal("0.01"),
              ("monthly", "分"): Decimal("0.01"), ("monthly", "厘"): Decimal("0.001"),
              ("daily", "分"): Decimal("0.001"), ("daily", "厘"): Decimal("0.0001")}
_FEN_PERIOD = {"年": "annual", "月": "monthly", "日": "daily", "天": "daily"}
_FEN_RE = re.compile(rf"(?P<per>年|月|日|天)(?:利息|息|利率|利(?!润))(?:为|是|:|达|高达|约|按|足)?"
                     rf"(?P<num>{NUM})(?P<unit>分|厘)(?P<half>半)?(?:利息|利|息)?")
_BARE_FEN_RE = re.compile(rf"(?P<num>{NUM})(?P<unit>分|厘)(?P<half>半)?(?:利息|利|息)(?!率)")


def _fen_hits(norm: str) -> list[_Hit]:
    """年息1分、月息2分、月息8厘、日息5厘、一分半利息; a bare X分利 is 月息X分 (see the module docstring)."""
    hits: list[_Hit] = []
    taken: list[tuple[int, int]] = []
    for rx, bare in ((_FEN_RE, False), (_BARE_FEN_RE, True)):
        for m in rx.finditer(norm):
            if not _RATE_END_RE.match(norm, m.end()) or any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if _NOT_RETURN_RE.search(norm[_clause_start(norm, m.start(), 0):m.start()]):
                continue
            kind = "monthly" if bare else _FEN_PERIOD[m["per"]]
            value = _num(m["num"]) + (Decimal("0.5") if m["half"] else 0)
            rate = _q(value * _FEN_SCALE[(kind, m["unit"])] * _PER_YEAR[kind])
            unit = "fen" if m["unit"] == "分" else "li"
            hits.append(_Hit(m.start(), m.end(), m.span(), rate, f"{kind}_{unit}"))
            taken.append(m.span())
    return hits


# -------------------------------------------------------------------------------------- fixed payouts

_MONEY_UNIT = {"万元": 10000, "万": 10000, "w": 10000, "千元": 1000, "千": 1000, "k": 1000, "百元": 100,
               "元": 1, "块": 1, "块钱": 1, None: 1}
_PAYOUT_PER = {"每月": "monthly", "每个月": "monthly", "月": "monthly", "每天": "daily", "每日": "daily",
               "天": "daily", "日": "daily", "每周": "weekly", "周": "weekly", "每年": "annual", "年": "annual"}
_FIXED_RE = re.compile(
    rf"(?:每?(?:投资|投入|投|存入|存|出借|认购|购买|入股|入金|充值)(?:金额)?|(?P<each>每))"
    rf"(?P<p>{NUM})?(?P<pu>万元|千元|百元|元|块|万|千|w|k)"
    rf"(?P<gap>[^。!?;\n\d]{{0,8}}?)(?P<per>每个月|每月|每天|每日|每周|每年|月|日|天|周|年)"
    rf"(?P<mid>[^。!?;\n\d]{{0,8}}?)(?P<q>{NUM})(?P<qu>万元|千元|百元|元|块钱|块|万|千)?"
    rf"(?![\d%‰.个次天月年期人倍份分成点])")


def _fixed_hits(norm: str) -> list[_Hit]:
    """投资1万元，每月返还利息300元 → 300 × 12 / 10000 = 0.3600: a fixed payout on a stated principal (also
    每万元日收益3元, the money-fund style 万份收益)."""
    hits: list[_Hit] = []
    for m in _FIXED_RE.finditer(norm):
        if m["p"] is None and (m["each"] is None or _MONEY_UNIT[m["pu"]] < 100):
            continue  # 每万元日收益3元 needs no figure before 万; anything else does
        between = m["gap"] + m["per"] + m["mid"]
        if not _RETURN_RE.search(m["per"] + m["mid"]) or _NOT_RETURN_RE.search(between) or "本金" in between:
            continue
        principal = (_num(m["p"]) if m["p"] else _ONE) * _MONEY_UNIT[m["pu"]]
        payout = _num(m["q"]) * _MONEY_UNIT[m["qu"]]
        if principal < 1:
            continue
        rate = _q(payout * _PER_YEAR[_PAYOUT_PER[m["per"]]] / principal)
        hits.append(_Hit(m.start(), m.end(), m.span(), rate, "fixed_payout"))
    return hits


# ------------------------------------------------------------------------------ doubling and payback

_GROWTH_RE = re.compile(r"业绩|销量|销售|营收|营业|收入|利润|规模|用户|产量|人数|订单|粉丝|流量|gdp|产值|客户|会员"
                        r"|市值|房价|股价|价格|体重|成绩|效率|产能")
_SPAN_RE = rf"(?P<n>{NUM}|半)(?:(?P<annual>年)|(?P<monthly>个月)|(?P<weekly>个?周|个星期)|(?P<daily>天))"
_DOUBLE_RE = re.compile(rf"{_SPAN_RE}(?P<gap>[^。!?;\n,\d]{{0,6}}?)"
                        r"(?P<verb>翻一番|翻一倍|翻番|翻倍|翻了一番|翻了一倍|翻两番|翻2番|翻了两番)")
_QUADRUPLE = {"翻两番", "翻2番", "翻了两番"}  # ×4: a gain of 300 %
_PAYBACK_RE = re.compile(rf"{_SPAN_RE}(?P<gap>[^。!?;\n,\d]{{0,4}}?)回本(?![^。!?;\n,]{{0,4}}翻)")


def _span_hits(norm: str) -> list[_Hit]:
    """一年翻番 = 1.0000, 半年翻倍 = 2.0000, 两年翻一番 = 0.5000, 三个月回本 = 4.0000 (simple, per year)."""
    hits: list[_Hit] = []
    for rx, form in ((_DOUBLE_RE, "doubling"), (_PAYBACK_RE, "payback")):
        for m in rx.finditer(norm):
            before = norm[_clause_start(norm, m.start(), 0):m.start()]
            if _GROWTH_RE.search(before + m["gap"]) or _NOT_RETURN_RE.search(before + m["gap"]):
                continue
            n = Decimal("0.5") if m["n"] == "半" else _num(m["n"])
            if n <= 0:
                continue
            kind = next(k for k in _PER_YEAR if m[k])
            gain = Decimal(3) if form == "doubling" and m["verb"] in _QUADRUPLE else _ONE
            rate = _q(gain * _PER_YEAR[kind] / n)
            hits.append(_Hit(m.start(), m.end(), m.span(), rate, form))
    return hits


# ------------------------------------------------------------------------------------------ guarantees

_GUARANTEE_RE = re.compile(
    r"(?P<principal_and_interest_guaranteed>保本保息|保本付息|保本保收益|保本保利|保本又保息|本息保障|本息全保|保本息"
    r"|保证本金和收益)"
    r"|(?P<no_loss_promise>稳赚不赔|只赚不赔|稳赚|包赚|零亏损|绝不亏|不会亏)"
    r"|(?P<zero_risk>零风险|无风险(?!利率|收益率)|没有风险|毫无风险|风险为零)"
    r"|(?P<guaranteed_minimum>保底收益|保底回报|保证收益|承诺收益|保收益|刚性兑付|刚兑|100%兑付|保底(?!工资|薪))"
    r"|(?P<principal_guaranteed>保本)")
_NEGATION_RE = re.compile(r"不|非|未|没|无|禁止|严禁|杜绝|警惕|谨防|防范|打破|所谓|谎称|虚假")


def _guarantee_hits(norm: str) -> list[_Hit]:
    """保本保息、稳赚不赔、零风险 … unless negated or warned against just before (不保本、严禁承诺保本保息)."""
    hits: list[_Hit] = []
    for m in _GUARANTEE_RE.finditer(norm):
        lo = max(_clause_start(norm, m.start(), 0), m.start() - 6)
        if _NEGATION_RE.search(norm[lo:m.start()]):
            continue
        hits.append(_Hit(m.start(), m.end(), m.span(), None, m.lastgroup or "guarantee"))
    return hits


# ------------------------------------------------------------------------------------------------ api


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """One reading per figure: where two readings share characters, the longer figure wins."""
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (-(h.core[1] - h.core[0]), h.core[0])):
        if all(h.core[1] <= k.core[0] or k.core[1] <= h.core[0] for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: (h.start, h.end))


def parse_returns(text: str) -> list[Return]:
    """Every promised return in `text`, in order of appearance; a text with a guarantee marks every rate in it
    as guaranteed, and each guarantee phrase is also listed on its own with annual_rate None."""
    norm, idx = _normalise(text)
    guarantees = _guarantee_hits(norm)
    hits = _dedupe(_percent_hits(norm) + _fen_hits(norm) + _fixed_hits(norm) + _span_hits(norm) + guarantees)
    guaranteed = bool(guarantees)
    out: list[Return] = []
    for h in hits:
        a, b = idx[h.start], idx[h.end - 1] + 1
        out.append(Return(h.rate, h.form, (a, b), text[a:b], guaranteed))
    return out


def best_return(text: str) -> Return | None:
    """The highest annual rate promised in `text` (the first on a tie); a guarantee alone if no rate; else None."""
    found = parse_returns(text)
    rated = [r for r in found if r.annual_rate is not None]
    if rated:
        return max(rated, key=lambda r: r.annual_rate or 0)
    return found[0] if found else None


def as_json(r: Return | None, text: str) -> dict:
    """The stable `gzgov finreg parse-return TEXT --json` shape for `r = best_return(text)`; the rate is an exact
    decimal string, never a float. `text` is part of the signature the CLI calls; the shape needs only `r`."""
    if r is None:
        return {"annual_rate": None, "form": None, "message_zh": "未发现承诺收益率", "message_en": "no rate found"}
    return {"annual_rate": None if r.annual_rate is None else str(r.annual_rate), "form": r.form,
            "matched": r.matched, "guaranteed": r.guaranteed}
