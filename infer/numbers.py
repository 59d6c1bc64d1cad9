"""Reading the number of a METRIC span: value in the base unit, unit, change word, approximation.

`parse_metric("规上工业增加值同比增长7.5%")` -> indicator 规上工业增加值, change 增长, value 7.5, unit %.
Anything ambiguous (a range such as 5-10万亩, two numbers) gives value None rather than a
guess: a wrong number in a record is worse than a missing one.
"""
from __future__ import annotations

import re
from decimal import Decimal
from dataclasses import dataclass

from infer.normalize import normalize

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 1e4, "亿": 1e8}
CN_NUM = "零〇一二两三四五六七八九十百千"

# Change words, longest first; each maps to its normal form (None: a word that is no change).
CHANGES = [
    ("同比增长", "增长"), ("同比下降", "下降"), ("同比提高", "提高"), ("同比降低", "降低"), ("同比增加", "增长"),
    ("增长", "增长"), ("增加", "增长"), ("提升", "提高"), ("提高", "提高"), ("下降", "下降"),
    ("减少", "下降"), ("缩短", "降低"), ("降低", "降低"), ("达到", "达到"), ("突破", "突破"), ("超过", "超过"),
    ("高于", "高于"), ("低于", "低于"), ("占比", "占比"), ("占", "占比"), ("达", "达到"),
    ("超", "超过"), ("过", "超过"), ("列", "排名"), ("居", "排名"), ("位列", "排名"), ("为", "为"),
    ("降至", "达到"), ("降到", "达到"), ("增至", "达到"), ("升至", "达到"), ("收窄至", "达到"), ("跨过", "突破"),
    ("不低于", None), ("不少于", None),  # a floor (approx, see _APPROX_BEFORE), no change; not 低于
]
UNITS = ["个百分点", "个位次", "%", "元", "美元", "吨/年", "吨", "家", "个", "位", "辆", "台", "套", "项", "亩", "千瓦时", "千瓦",
         "兆瓦", "瓦", "千米", "公里", "米", "平方米", "立方米", "公顷", "万人", "人次", "人", "倍", "次", "场", "座", "条", "所",
         "件", "户", "列", "天", "成", "番", "℃", "颗", "席", "方", "度", "斤", "头", "处", "种", "架次"]

# A number that is not a date (2024年, 8月, 5日 are times, not amounts).
# Chinese numerals only count before a multiplier or unit (一企一技术 holds no number), and not
# after 数/几/上 (数十家, 上千家 are no numbers). Digits glued to letters are names (PM10, 5G).
_NUMBER = re.compile(
    rf"(?:(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![\d.A-Za-z])"
    rf"|(?<![数几上{CN_NUM}])[{CN_NUM}]+(?=[余多]?[万亿元家个位名倍辆吨项台套亩人成番]|$)"
    rf"|(?<![数几上{CN_NUM}])[{CN_NUM}]+?(?=千瓦|千米|千克))"  # 一千瓦时: 一 and the unit 千瓦时
    r"(?!\s*[年月日号])(?!\s*[-—–~至]\s*\d+\s*[年月日号])"  # 1—10月份 is a period
)
_CLAUSE_BREAK = re.compile(r"[。，；、,;：:！？!?\n]")
_MEASUREMENT = re.compile(r"\s*(?:%|个百分点|倍|[位名](?![\u4e00-\u9fff]))")
# Chinese decimals and percentages: 三点五亿元 -> 3.5亿元, 百分之十四点二 -> 14.2%.
_CN_DECIMAL = re.compile(rf"([{CN_NUM}]+)点([零〇一二三四五六七八九]+)")
_FRACTION = re.compile(r"(?<![\d./])(\d+)/(\d+)(?![\d./])")  # 稳定在全国1/4 -> 0.25
_PERCENT = re.compile(rf"百分之(\d+(?:\.\d+)?|[{CN_NUM}]+)")
# A range anywhere in the span (5-10万亩, 一至三万亩); 1—10月份 and 2021—2023年 are periods, not ranges.
_RANGE = re.compile(rf"(?:\d|[{CN_NUM}])\s*(?:[-—–~～至到]|、)\s*(?:\d|[{CN_NUM}])(?!\d*\s*[年月日号])")


@dataclass(frozen=True)
class ParsedMetric:
    indicator: str | None
    change: str | None
    value: float | None
    unit: str | None
    approx: bool


def chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral below 10^4 with optional 万/亿 groups (三十五, 两千, 千, 1.5万 is not here)."""
    if not text:
        return None
    total, section, digit = 0.0, 0.0, None
    for ch in text:
        if ch in "零〇" and digit is None and (section or total):
            continue  # a placeholder zero: 五百零一
        if ch in DIGITS:
            if digit is not None:  # digit-by-digit numerals (二〇二三) are years, not amounts
                return None
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        elif ch in BIG_UNITS:
            section += digit or 0
            total += (section or 1) * BIG_UNITS[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _value_and_unit(rest: str) -> tuple[float | None, str | None]:
    """Number, multipliers and unit from the text after the change word."""
    rest = rest.replace(" ", "").replace("\n", "")
    numbers = list(_NUMBER.finditer(rest))
    if not numbers or _RANGE.search(rest):  # 5-10万亩: no value, but the unit after the last number
        return None, _unit(re.sub(r"^[十百千]?[万亿]*", "", rest[numbers[-1].end():]) if numbers else rest)
    first = numbers[0]
    token = first.group(0)
    tail = rest[first.end():]
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        value: float | None = float(token)
    else:
        value = chinese_number(token)
        if value is None and token in SMALL_UNITS:
            value = float(SMALL_UNITS[token])
    if value is None:
        return None, _unit(tail)
    # multipliers right after the number: 千亿, 万亿, 百亿, 亿, 万
    mult = re.match(r"[余多]?([十百千]?[万亿]+)", tail)
    if mult:
        scale = Decimal(1)
        for ch in mult.group(1):
            scale *= SMALL_UNITS.get(ch) or int(BIG_UNITS[ch])
        value = float(Decimal(token if token[0].isdigit() else repr(value)) * scale)
        tail = tail[mult.end():]
    if _NUMBER.search(tail.lstrip("余多")) and not tail.startswith(("个百分点", "个位次")):
        return None, _unit(tail)  # a second number: ambiguous
    return value, _unit(tail)


def _unit(tail: str) -> str | None:
    tail = tail.lstrip("余多")
    for unit in UNITS:
        if tail.startswith(unit):
            return unit
    return None


# Approximation words count only next to the number: 约3亿元, 超百亿元, 300多亿元, 7亿余元, 96%以上;
# not 签约项目, 节约资金, 规模以上企业, nor 超过全省平均水平3.91个百分点 (an exact difference).
_APPROX_BEFORE = re.compile(r"(?:(?<!节)约|近|超过?|逾|不低于|不少于)$")
_APPROX_AFTER = re.compile(r"^[十百千万亿]*[余多]")
_APPROX_END = re.compile(r"(?:以上|左右|之多)$")
# These one-character change words must touch their number (超百亿, 为27.3%): in 过亿元招商引资项目221个
# the 过 qualifies the projects, it is no change of the 221. 占 and 达 take an object first
# (占GDP的比重27.3%, 达年度计划的109%).
_TOUCHING = re.compile(r"[约近余多]?$")
_MUST_TOUCH = set("过超为列居")
# Words that sit between an indicator and its change word or number and are not part of the name.
_INDICATOR_TAIL = re.compile(
    r"(?:(?:从|自|由)?(?:\d{4}年(?:底|末|初)?|去年|上年|今年)的?|同比|比上年|较去年|较上年|已经|已|可|将|年均|均|(?<!节)约|[从由近超逾的])+$"
)
_LEADING_PERIOD = re.compile(
    r"^(?:今年|去年|\d{4}年)?(?:上半年|下半年|前三季度|[一二三四]季度|\d{1,2}[-—–~至]\d{1,2}月份?|\d{1,2}月份?|以来)?"
)
# What stands between the ranked thing and its rank: 列全省, 居全省（计划单列市除外）, 位列全国, 世界, and after a
# rank verb any short scope (稳居西部, 居中国西部, 位居中部地区).
_RANK_SCOPE = re.compile(r"(?:(?:位列|排名|排在|稳居|位居|[列居排])(?:(?![列居排])[\u4e00-\u9fff]){0,6}"
                         r"|全国|全省|全市|全球|世界|国内|省内)?(?:[（(][^）)]*[）)])?$")
_RANK = re.compile(rf"第\s*(\d+|[{CN_NUM}]+)\s*[位名]?$|(首)位$")
_SHARE_LEVEL = (None, "达到", "为", "超过", "突破", "占比")
_MOVES = ("增长", "提高", "下降", "降低")


def _arabic(numeral: str) -> str | None:
    value = chinese_number(numeral)
    return None if value is None else f"{value:g}"


def _clean(text: str) -> str:
    """The span as the rules read it: simplified script, no whitespace, markdown emphasis or thousands
    commas, the OCR misreading 干亿/干万 (a 千 without its stroke) mended, Chinese decimals,
    百分之 percentages and fractions (1/4) written as decimal numbers."""
    text = re.sub(r"[\s*]+", "", normalize(text).text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", re.sub(r"干(?=[万亿])", "千", text))

    def decimal(m: re.Match) -> str:
        whole = _arabic(m.group(1))
        return m.group(0) if whole is None else whole + "." + "".join(str(DIGITS[c]) for c in m.group(2))

    def percent(m: re.Match) -> str:
        number = m.group(1) if m.group(1)[0].isdigit() else _arabic(m.group(1))
        return m.group(0) if number is None else number + "%"

    text = _FRACTION.sub(lambda m: repr(int(m.group(1)) / int(m.group(2))) if int(m.group(2)) else m.group(0), text)
    return _PERCENT.sub(percent, _CN_DECIMAL.sub(decimal, text))


def first_number(span: str) -> int | None:
    """Where the first amount of a span starts (years and dates are no amounts), in the span's own characters."""
    match = _NUMBER.search(span)
    return None if match is None else match.start()


def _approx(text: str, start: int, end: int) -> bool:
    return bool(_APPROX_BEFORE.search(text[:start]) or _APPROX_AFTER.match(text[end:]) or _APPROX_END.search(text))


# A comparison closing the indicator is not part of what is measured: 生产效率比传统生产线(提高30%),
# 能耗较改造前(降低20%); 比重, 比例, 占比 and 同比 are no comparisons.
_COMPARISON = re.compile(r"(?:(?<![同占])比(?![重例率])|较)[^，。；比较]{1,15}$")


def _indicator(head: str) -> str | None:
    head = _INDICATOR_TAIL.sub("", _LEADING_PERIOD.sub("", head, count=1)).strip()
    return (_COMPARISON.sub("", head).strip() or head) or None


def parse_metric(span: str) -> ParsedMetric:
    """Indicator, normalised change word, value in the base unit, unit and approx flag of a METRIC span."""
    text = _clean(span)
    rank = _RANK.search(text)
    if rank:
        number = rank.group(1) or "一"
        value = float(number) if number.isdigit() else chinese_number(number)
        indicator = _indicator(_RANK_SCOPE.sub("", text[: rank.start()], count=1))
        return ParsedMetric(indicator, "排名", value, "位", _approx(text, rank.start(), rank.end()))
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return ParsedMetric(text or None, None, None, None, False)
    # The metric's own number is its last when the earlier ones belong to the indicator's name (世界500强企业
    # 达212家, 千亿级产业链达到11条) or start a from-to (从85%提升至99.5%: the value is where it ended). An
    # earlier number that is a measurement of its own (a percentage, a rank) or a clause break between them
    # means two metrics in one span: then the first number rules and a second one makes the value None.
    first_number = numbers[0]
    from_to = len(numbers) == 2 and re.search(r"[从由][^从由]{0,6}$", text[: numbers[0].start()]) \
        and re.search(r"[到至]", text[numbers[0].end() : numbers[1].start()])
    if from_to:
        first_number = numbers[1]
    elif len(numbers) > 1 and not _RANGE.search(text) and not _CLAUSE_BREAK.search(text, numbers[0].end(), numbers[-1].start()) \
            and not any(_MEASUREMENT.match(text, m.end()) or text[: m.start()].endswith("第") for m in numbers[:-1]):
        first_number = numbers[-1]
    head = text[: first_number.start()]
    change, change_at, change_end = None, len(head), len(head)
    best = (-1, 0)
    for word, normal in CHANGES:
        at = head.rfind(word)
        if at < 0 or head[at + len(word) : at + len(word) + 1] == "值":  # 增加值 is a noun
            continue
        if word in _MUST_TOUCH and not _TOUCHING.match(head[at + 1 :]):
            continue
        if (at + len(word), len(word)) > best:
            best = (at + len(word), len(word))
            change, change_at, change_end = normal, at, at + len(word)
    if change in _MOVES and head[change_end : change_end + 1] in ("到", "至") and not re.search(r"[从由]", head[:change_at]):
        change = "达到"  # 增加到918家: the level reached; 从85%提高到99.5% keeps its move (issue: from-to)
    elif change in ("超过", "达到", "突破"):  # 增长超过五成, 下降达30%: the change, then a bound on it
        move = next((w for w, n in CHANGES if len(w) > 1 and n in _MOVES and head[:change_at].endswith(w)), None)
        if move is not None:
            change_at, change = change_at - len(move), dict(CHANGES)[move]
    indicator = head[:change_at]
    if change in _SHARE_LEVEL and ("比重" in head or "占比" in head or head.startswith("占")):
        # 占…比重达45.6%, 产值占比达到52%: a share, whatever level verb follows; the share phrase names it
        change = "占比"
        indicator = re.sub(r"(?:达到|超过|突破|不低于|不少于|[达为到超过])$", "", head)
    value, unit = _value_and_unit(text[change_end:])
    if _RANGE.search(text):
        value = None
    if unit == "个位次":
        unit = "位次"  # 提升8个位次: places moved, not a rank
    return ParsedMetric(_indicator(indicator), change, value, unit,
                        _approx(text, first_number.start(), first_number.end()))
