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

# Change words, longest first; each maps to its normal form.
CHANGES = [
    ("同比增长", "增长"), ("同比下降", "下降"), ("同比提高", "提高"), ("同比降低", "降低"), ("同比增加", "增长"),
    ("增长", "增长"), ("增加", "增长"), ("提升", "提高"), ("提高", "提高"), ("下降", "下降"),
    ("减少", "下降"), ("缩短", "降低"), ("降低", "降低"), ("达到", "达到"), ("突破", "突破"), ("超过", "超过"),
    ("高于", "高于"), ("低于", "低于"), ("占比", "占比"), ("占", "占比"), ("达", "达到"),
    ("超", "超过"), ("过", "超过"), ("列", "排名"), ("居", "排名"), ("位列", "排名"), ("为", "为"),
]
UNITS = ["个百分点", "个位次", "%", "元", "美元", "吨", "家", "个", "位", "辆", "台", "套", "项", "亩", "千瓦", "瓦", "千米", "米",
         "平方米", "万人", "人", "倍", "次", "场", "座", "条", "所", "件", "户"]
APPROX = ("约", "余", "多", "超", "近", "以上", "左右", "逾")

# A number that is not a date (2024年, 8月, 5日 are times, not amounts).
# Chinese numerals only count before a multiplier or unit (一企一技术 holds no number).
_NUMBER = re.compile(
    rf"(?:\d+(?:\.\d+)?(?![\d.A-Za-z])|[{CN_NUM}]+(?=[万亿元家个位名倍辆吨项台套亩人]|$))(?!\s*[年月日号])"
)
_RANGE = re.compile(rf"(?:\d|[{CN_NUM}])\s*(?:[-—–~～至到]|、)\s*(?:\d|[{CN_NUM}])")


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
    numbers = _NUMBER.findall(rest)
    if not numbers or _RANGE.search(rest):
        return None, _unit(rest)
    first = _NUMBER.search(rest)
    assert first is not None
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


def parse_metric(span: str) -> ParsedMetric:
    """Indicator, normalised change word, value in the base unit, unit and approx flag of a METRIC span."""
    text = re.sub(r"\s+", "", normalize(span).text)
    approx = any(word in text for word in APPROX)
    rank = re.search(rf"(?:[列居排位]\D{{0,8}}?)?第\s*(\d+|[{CN_NUM}]+)\s*(?:[位名])?$|[列居]\D{{0,8}}?(首)位", text)
    if rank:
        number = rank.group(1) or "一"
        value = float(number) if number.isdigit() else chinese_number(number)
        indicator = text[: rank.start()].strip() or None
        return ParsedMetric(indicator, "排名", value, "位", approx)
    first_number = _NUMBER.search(text)
    if first_number is None:
        return ParsedMetric(text or None, None, None, None, approx)
    head = text[: first_number.start()]
    change, change_at, change_end = None, len(head), len(head)
    best = (-1, 0)
    for word, normal in CHANGES:
        at = head.rfind(word)
        if at >= 0 and (at + len(word), len(word)) > best:
            best = (at + len(word), len(word))
            change, change_at, change_end = normal, at, at + len(word)
    if change is not None:
        indicator = re.sub(r"(同比|比上年|较去年|较上年)$", "", head[:change_at]).strip()
        if "比重" in head or head.startswith("占"):  # 占…比重达45.6%: a share, whatever verb follows
            change, indicator = "占比", head.rstrip("达为到").strip()
        rest = text[change_end:]
    else:
        indicator = head.strip()
        rest = text[first_number.start():]
    indicator = re.sub(r"(从|[约近超逾])$", "", indicator).strip() or None
    value, unit = _value_and_unit(rest)
    if unit == "个位次":
        unit = "位"
    return ParsedMetric(indicator, change, value, unit, approx)
