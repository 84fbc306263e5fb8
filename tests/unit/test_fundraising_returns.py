"""The promised-return parser: many phrasings read to a hand-worked annual rate, texts without a promised return
left alone, guarantees flagged, and properties that must hold on any text (never raises, spans point at the
original text, spacing and full-width digits change nothing)."""

import json
import random
from decimal import Decimal

import pytest

from gzgov.finreg.fundraising.returns import Return, as_json, best_return, parse_returns

# (text, annual rate worked by hand, form). Conventions: monthly × 12, weekly × 52, daily × 365, simple.
PHRASINGS = [
    ("年化18%", "0.1800", "annualised_percent"),
    ("年化收益率18%", "0.1800", "annualised_percent"),
    ("年 化 收 益 率 ：18 %", "0.1800", "annualised_percent"),
    ("年化收益率稳定在18%左右", "0.1800", "annualised_percent"),
    ("预期年化回报率15.5%", "0.1550", "annualised_percent"),
    ("年化收益高达１２．５％", "0.1250", "annualised_percent"),
    ("年化１８％", "0.1800", "annualised_percent"),
    ("年化收益百分之十八", "0.1800", "annualised_percent"),
    ("年化收益百分之十八点五", "0.1850", "annualised_percent"),
    ("年化十八个点", "0.1800", "annualised_percent"),
    ("年化收益率十二个百分点", "0.1200", "annualised_percent"),
    ("年化收益一成五", "0.1500", "annualised_percent"),  # 成 = 10 %
    ("年化收益一成", "0.1000", "annualised_percent"),
    ("最高年化18%", "0.1800", "annualised_percent"),
    ("年收益率不低于12%", "0.1200", "annualised_percent"),
    ("年回报率20%", "0.2000", "annualised_percent"),
    ("每年分红8%", "0.0800", "annualised_percent"),
    ("18%的年化收益", "0.1800", "annualised_percent"),
    ("收益18%/年", "0.1800", "annualised_percent"),
    ("税后年化收益率8%", "0.0800", "annualised_percent"),
    ("年化收益12%起", "0.1200", "annualised_percent"),
    ("股东分红每年不少于百分之二十", "0.2000", "annualised_percent"),
    ("收益率18%", "0.1800", "return_percent"),  # no period stated: read as annual
    ("收益率最高可达30%", "0.3000", "return_percent"),
    ("收益率18%每月付息", "0.1800", "return_percent"),  # paid monthly, not 18 % a month
    ("年化12%-18%", "0.1800", "annualised_percent_range_upper"),
    ("年化12-18%", "0.1800", "annualised_percent_range_upper"),
    ("年化收益率12%~15%", "0.1500", "annualised_percent_range_upper"),
    ("年化收益率12%至18%", "0.1800", "annualised_percent_range_upper"),
    ("年化收益百分之十二到百分之十八", "0.1800", "annualised_percent_range_upper"),
    ("年化８—１２％", "0.1200", "annualised_percent_range_upper"),
    ("每月收益3%", "0.3600", "monthly_percent"),
    ("月返利5%", "0.6000", "monthly_percent"),
    ("月返利百分之五", "0.6000", "monthly_percent"),
    ("每月收益百分之三点五", "0.4200", "monthly_percent"),
    ("月息3个点", "0.3600", "monthly_percent"),
    ("月化收益5%", "0.6000", "monthly_percent"),
    ("利率：月息1.2%", "0.1440", "monthly_percent"),
    ("周返2%", "1.0400", "weekly_percent"),
    ("每周分红3%", "1.5600", "weekly_percent"),
    ("周收益2.5%", "1.3000", "weekly_percent"),
    ("日收益0.5%", "1.8250", "daily_percent"),
    ("日收益０.５％", "1.8250", "daily_percent"),
    ("日息0.1%", "0.3650", "daily_percent"),
    ("日利率0.05%", "0.1825", "daily_percent"),
    ("日返0.8%", "2.9200", "daily_percent"),
    ("每天返1%", "3.6500", "daily_percent"),
    ("会员每日签到领取0.5%收益", "1.8250", "daily_percent"),
    ("日息千分之五", "1.8250", "daily_permille"),
    ("日息5‰", "1.8250", "daily_permille"),
    ("月息千分之八", "0.0960", "monthly_permille"),
    ("日息万分之五", "0.1825", "daily_per_ten_thousand"),
    ("3个月收益5%", "0.2000", "term_percent"),  # 5 % × 12 / 3
    ("90天收益3%", "0.1217", "term_percent"),  # 3 % × 365 / 90 = 0.121666…
    ("半年收益10%", "0.2000", "term_percent"),
    ("月息2分", "0.2400", "monthly_fen"),  # 月息X分 = X % a month
    ("月息两分", "0.2400", "monthly_fen"),
    ("月息一分半", "0.1800", "monthly_fen"),
    ("月息2.5分", "0.3000", "monthly_fen"),
    ("月息１．５分", "0.1800", "monthly_fen"),
    ("月利1分", "0.1200", "monthly_fen"),
    ("2分利", "0.2400", "monthly_fen"),  # the folk shorthand for 月息2分
    ("三分息", "0.3600", "monthly_fen"),
    ("月息8厘", "0.0960", "monthly_li"),  # 月息X厘 = X ‰ a month
    ("年息1分", "0.1000", "annual_fen"),  # 年息X分 = X × 10 % a year
    ("年息8厘", "0.0800", "annual_li"),
    ("日息1分", "0.3650", "daily_fen"),  # 日息X分 = X ‰ a day
    ("日息5厘", "0.1825", "daily_li"),  # 日息X厘 = X ‱ a day
    ("投资1万元，每月返还利息300元", "0.3600", "fixed_payout"),
    ("投一万每月返300", "0.3600", "fixed_payout"),
    ("存入5万元，每天收益50元", "0.3650", "fixed_payout"),
    ("投资1000元，每周返利20元", "1.0400", "fixed_payout"),
    ("认购2万元，每年分红3000元", "0.1500", "fixed_payout"),
    ("投资10万，年分红2万", "0.2000", "fixed_payout"),
    ("每万元日收益3元", "0.1095", "fixed_payout"),
    ("一年回本翻倍", "1.0000", "doubling"),
    ("一年翻番", "1.0000", "doubling"),
    ("半年翻番", "2.0000", "doubling"),
    ("两年翻一番", "0.5000", "doubling"),
    ("资金三个月翻倍", "4.0000", "doubling"),
    ("一年内本金翻两番", "3.0000", "doubling"),  # ×4 is a gain of 300 %
    ("三个月回本", "4.0000", "payback"),
    ("五年回本", "0.2000", "payback"),
]

NO_RATE = [
    "",
    "折扣8折",
    "限时抢购，全场8折优惠",
    "本周新品上市，销量增长18%",
    "市场占有率30%",
    "首付30%",
    "本楼盘首付20%，月供3000元起",
    "首付3成",
    "手续费0.6%",
    "税率13%",
    "增值税税率13%",
    "产品合格率99%",
    "公司营收同比增长18%",
    "收益同比增长18%",
    "每月利息收入增长18%",
    "利润增长两成",
    "CPI同比上涨2.1%",
    "基金过去一年净值增长12%",
    "2020年18日",
    "活动时间：2024年5月18日至6月18日",
    "电话13800138000",
    "欢迎致电020-12345678",
    "持股比例51%",
    "公司持有子公司51%股权",
    "考试通过率95%",
    "好评率99%",
    "客户满意度98%",
    "毛利率35%",
    "点击率5%",
    "分红比例30%",
    "贷款年利率4.35%",
    "银行一年期定期存款利率1.75%",
    "无风险利率3%",
    "违约金按日万分之五计收",
    "逾期利息按日千分之一",
    "十分利好",
    "八成新",
    "年化收益十分可观",
    "公司业绩一年翻番",
    "公司成立于2010年，注册资本1000万元",
    "年销售额突破1000万元",
    "每月固定返还本金1000元",
    "新用户首单立减5元",
    "理财有风险，投资需谨慎",
    "本产品不保本，历史业绩不代表未来收益",
    "严禁承诺保本保息",
    "谨防“稳赚不赔”骗局",
    "投资并非零风险",
    "不保本，不保息",
    "十八岁以上可投资",
]

GUARANTEES = [
    ("保本保息", "principal_and_interest_guaranteed"),
    ("保本保收益", "principal_and_interest_guaranteed"),
    ("本息保障，随存随取", "principal_and_interest_guaranteed"),
    ("稳赚不赔", "no_loss_promise"),
    ("零风险高收益", "zero_risk"),
    ("保底收益，放心投", "guaranteed_minimum"),
    ("100%保本", "principal_guaranteed"),
]


def _rated(text: str) -> list[tuple[Decimal | None, str]]:
    return [(r.annual_rate, r.form) for r in parse_returns(text) if r.annual_rate is not None]


def test_the_table_is_as_large_as_promised():
    assert len(PHRASINGS) >= 60 and len(NO_RATE) >= 20
    assert len({t for t, _, _ in PHRASINGS}) == len(PHRASINGS)


@pytest.mark.parametrize(("text", "rate", "form"), PHRASINGS, ids=[t for t, _, _ in PHRASINGS])
def test_phrasing_reads_to_its_annual_rate(text, rate, form):
    assert _rated(text) == [(Decimal(rate), form)]
    best = best_return(text)
    assert best is not None and best.annual_rate == Decimal(rate) and best.form == form
    assert best.annual_rate.as_tuple().exponent == -4  # quantised to 4 places, a Decimal not a float
    assert not best.guaranteed


@pytest.mark.parametrize("text", NO_RATE, ids=[t or "<empty>" for t in NO_RATE])
def test_text_without_a_promised_return_gives_nothing(text):
    assert parse_returns(text) == []
    assert best_return(text) is None
    assert as_json(best_return(text), text) == {"annual_rate": None, "form": None,
                                                "message_zh": "未发现承诺收益率", "message_en": "no rate found"}


@pytest.mark.parametrize(("text", "form"), GUARANTEES, ids=[t for t, _ in GUARANTEES])
def test_guarantee_alone_is_flagged_without_a_rate(text, form):
    found = parse_returns(text)
    assert [(r.annual_rate, r.form, r.guaranteed) for r in found] == [(None, form, True)]
    assert best_return(text) == found[0]


def test_a_guarantee_marks_the_rates_of_its_text():
    text = "本平台年化收益率高达18%以上，保本保息，随存随取"
    best = best_return(text)
    assert best is not None and best.annual_rate == Decimal("0.1800") and best.guaranteed
    assert {r.form for r in parse_returns(text)} == {"annualised_percent", "principal_and_interest_guaranteed"}
    assert not best_return("本平台年化收益率高达18%以上，不保本").guaranteed


@pytest.mark.parametrize(("text", "rate", "form", "count"), [
    ("年化12%，月息2分，日息千分之五", "1.8250", "daily_permille", 3),
    ("新手标年化8%，VIP专享年化15%", "0.1500", "annualised_percent", 2),
    ("年化12%、15%、18%", "0.1800", "annualised_percent", 3),
    ("投资1万元，每月返还利息300元，另有年化10%加息", "0.3600", "fixed_payout", 2),
    ("【鑫盛财富】新手专享标，年化收益13.8%，30天到期，本息保障！", "0.1380", "annualised_percent", 1),
    ("首付30%，年化收益18%，手续费0.6%", "0.1800", "annualised_percent", 1),
])
def test_several_rates_best_is_the_highest(text, rate, form, count):
    assert len(_rated(text)) == count
    best = best_return(text)
    assert best is not None and (best.annual_rate, best.form) == (Decimal(rate), form)


def test_span_and_matched_point_into_the_original_text():
    text = "好消息！本产品年 化 收 益 率 ：１８ ％，欢迎咨询"
    (r,) = parse_returns(text)
    assert r.matched == text[r.span[0]:r.span[1]] == "年 化 收 益 率 ：１８ ％"
    (r,) = parse_returns("限时：投资1万元，每月返还利息300元！")
    assert r.matched == "投资1万元，每月返还利息300元"


def test_as_json_shape_is_stable_and_float_free():
    text = "年化18%"
    out = as_json(best_return(text), text)
    assert out == {"annual_rate": "0.1800", "form": "annualised_percent", "matched": "年化18%", "guaranteed": False}
    guarantee = as_json(best_return("保本保息"), "保本保息")
    assert guarantee == {"annual_rate": None, "form": "principal_and_interest_guaranteed", "matched": "保本保息",
                         "guaranteed": True}
    assert json.loads(json.dumps(as_json(best_return("日息千分之五"), "日息千分之五")))["annual_rate"] == "1.8250"


# ------------------------------------------------------------------------------------------- properties

_ALPHABET = list("年化月息日周天返收益率利息回报分红厘成%％‰个点百分之千万一二两三十半0123456789１２.,，。、-~至"
                 "投资元每翻倍番回本保稳赚零风险增长首付折 \t\n“”")


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pool = _ALPHABET + [t for t, _, _ in PHRASINGS] + NO_RATE
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def _check(text: str, found: list[Return]) -> None:
    assert [r.span for r in found] == sorted(r.span for r in found)
    for r in found:
        assert 0 <= r.span[0] < r.span[1] <= len(text) and r.matched == text[r.span[0]:r.span[1]]
        assert r.annual_rate is None or (isinstance(r.annual_rate, Decimal) and r.annual_rate >= 0
                                         and r.annual_rate.as_tuple().exponent == -4)
    assert len({r.guaranteed for r in found}) <= 1


def test_never_raises_and_spans_are_sound_on_arbitrary_text():
    texts = _random_texts(400, seed=20240518)
    rng = random.Random(7)
    texts += ["".join(chr(rng.randint(0x20, 0x2FFFF)) for _ in range(rng.randint(0, 30))) for _ in range(200)]
    texts += ["一" * 5000 + "%", "9" * 5000 + "%", "年化" + "9" * 40 + "%", "投资0.0000001元，每天返9999999999元"]
    for text in texts:
        found = parse_returns(text)
        _check(text, found)
        best = best_return(text)
        rated = [r.annual_rate for r in found if r.annual_rate is not None]
        assert (best is None) == (not found)
        if rated:
            assert best is not None and best.annual_rate == max(rated)
        json.dumps(as_json(best, text))


def test_spacing_never_changes_the_reading():
    rng = random.Random(11)
    for text, _, _ in PHRASINGS:
        spaced = "".join(c + (rng.choice([" ", "\u3000", "\t"]) if rng.random() < 0.4 else "") for c in text)
        assert _rated(spaced) == _rated(text), spaced


def test_full_width_digits_and_signs_never_change_the_reading():
    widen = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
    for text, _, _ in PHRASINGS:
        assert _rated("".join(widen.get(c, c) for c in text)) == _rated(text)


def test_texts_without_returns_change_nothing_next_to_a_promise():
    rng = random.Random(3)
    for _ in range(200):
        text, rate, form = rng.choice(PHRASINGS)
        noise = rng.choice(NO_RATE)
        for joined in (noise + "。" + text, text + "。" + noise):
            best = best_return(joined)
            assert best is not None and (best.annual_rate, best.form) == (Decimal(rate), form), joined


def test_two_promises_best_is_the_larger():
    rng = random.Random(5)
    for _ in range(200):
        (a, ra, _), (b, rb, _) = rng.sample(PHRASINGS, 2)
        best = best_return(a + "；" + b)
        assert best is not None and best.annual_rate == max(Decimal(ra), Decimal(rb)), a + "；" + b
