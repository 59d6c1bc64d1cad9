"""COMPANY post-edits: boundaries (`company_boundaries`: places, cut words, fragments, non-companies) and
names propagated within a document (`company_names`). Measurements: the package docstring."""
from __future__ import annotations

import re

from infer.places import PLACES
from infer.schema import Schema
from infer.spans import Span
from infer.postedit.common import (BREAKS, MAX_PLACE, PLACE_SUFFIX, _Taken, _in_order, _is_han, _joined, _list_items, _place_at,
                                    _span, _with, run_edits)

# A company name's leading ownership word is no part of the name (央企长安、民企赛力斯 -> 赛力斯).
COMPANY_LEAD = re.compile(r"^(?:民企|央企|国企|外企)")
# Where another occurrence of a confident company name is not one: a brand, a park, a base (the guide's
# "not annotated"), e.g. 风帆工业园, 雨森品牌.
NOT_COMPANY_AFTER = re.compile(r"[”’\"」]?(?:品牌|工业园|产业园|园区|基地|谷|商标)")
# Words after which a name may start although they are Han characters.
NAME_OPENERS = set("和与及同在对由将为把被向是、")
COMPANY_CONFIDENT = 0.9
# A group's short name: the name without 集团 (传化集团 -> 传化), a name on its own (the guide: short names count),
# tagged only where a break or a function word follows it (传化已经…, 正泰将…, 正泰、传化这样): followed by a noun
# it heads another name (南水北调东线一期工程, 三峡水库, 国家能源局, 金隅绿色建材园).
GROUP_SHORT = re.compile(r"(.{2,})集团")
SHORT_NAME_AFTER = set("已将也在是的等这和与及把被从对向还正都又均")


# --- COMPANY boundaries (the guide: the name only; a place inside the name stays, a place that only
# locates a project in a list does not; places, brands and projects are not companies).
# A legal form ends a full name, and a place at its start is part of it (山东冠洲股份有限公司).
LEGAL_FORM = re.compile(r"(?:公司|集团|厂|股份|控股)$")
LEGAL_NAME = re.compile(r"公司|集团|股份|控股")
# Words that end a company name; a span cut inside one (传化集 / 团, 东方电 / 气) is completed.
NAME_END_WORDS = ("有限公司", "集团", "公司", "股份", "控股", "科技", "电气", "电子", "实业")
# Generic words whose last character a span must not start with (企 / 业兰友科技有限公司).
GENERIC_BEFORE = ("企业", "公司", "集团")


def _place_led(text: str, item: tuple[int, int], first: bool) -> bool:
    """An item that starts with a place (the first item of a list: a place anywhere in its first
    half, after the verb that opens the list: 推动台州温玉铁路)."""
    start, end = item
    starts = range(start, start + max(1, (end - start) // 2)) if first else (start,)
    return any(_place_at(text, k) for k in starts)


def place_led_lists(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY in a `、` list whose items start with places (长沙惠科新型显示、湘潭半导体智造 …) loses
    the place(s) it starts with: the place locates the project (株洲中车IGBT、永州紫金锂业 -> 中车,
    紫金锂业; 长沙宁乡圣钘科技 -> 圣钘科技). Kept: a full name with its legal form (河北宏润新型面料有限公司
    in a list of such names), a company alone or in a list where no other item starts with a place
    (衡阳特变电工海上风电变压器…, 浙江恒逸集团), and the names of a list of names, no item of which goes
    on after its company (成功组建河北钢铁、冀中能源、河北港口…: the place is in each name as the text gives it)."""
    ends = [s.end for s in spans if s.label == company]
    out = []
    for span in spans:
        if span.label == company and not LEGAL_FORM.search(span.text):
            start = span.start
            while (n := _place_at(text, start)) and span.end - (start + n) >= 1:
                start += n
            if start > span.start:
                items = _list_items(text, span.start)
                mine = next((k for k, (a, b) in enumerate(items) if a <= span.start <= b), None)
                if mine is None:  # after the list's close (…、3个株洲中车项目): no item of it
                    out.append(span)
                    continue
                if LEGAL_NAME.search(text, span.start, max(span.end, items[mine][1])):
                    out.append(span)  # a full name runs on in its item (山东骏程金属 / 科技有限公司)
                    continue
                projects = [k for k, (a, b) in enumerate(items) if any(a < e < b for e in ends)]
                if any(_place_led(text, item, k == 0) for k, item in enumerate(items) if k != mine) \
                        and projects:
                    span = _with(text, span, start, span.end)
        out.append(span)
    return out


def word_cuts(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY cut inside a word is repaired: a name-ending word the span cuts is completed
    (传化集 -> 传化集团, 东方电 -> 东方电气); a span that starts with the last character of 企业/公司/集团
    loses it (企业兰友科技有限公司: 业兰友… -> 兰友…); a span that ends inside a Latin/digit token loses
    the token's piece (三星V8闪存芯片: 三星V -> 三星)."""
    out = []
    for span in spans:
        if span.label == company:
            start, end = span.start, span.end
            if text[start - 1 : start + 1] in GENERIC_BEFORE and end - start >= 3:
                start += 1
            if end < len(text) and _ascii_alnum(text[end - 1]) and _ascii_alnum(text[end]):
                cut = end
                while cut > start and _ascii_alnum(text[cut - 1]):
                    cut -= 1
                if cut - start >= 2:
                    end = cut
            ext = max((len(w) - k for w in NAME_END_WORDS for k in range(1, len(w))
                       if text[end - k : end] == w[:k] and text.startswith(w[k:], end)), default=0)
            end += ext
            if (start, end) != (span.start, span.end):
                span = _with(text, span, start, end)
        out.append(span)
    return out


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def fragments(text: str, spans: list[Span], company: str) -> list[Span]:
    """A one-character COMPANY glued to the name after it is that name's start (中 + 联重科 -> 中联重科;
    not 省, a level word: 省 + 科技风险投资公司 stays out); a one-character COMPANY left alone is a
    fragment and goes (吉 of 吉林农商行). Two longer spans that touch stay two (三峡集团 + 长江电力:
    a group and its subsidiary, each a name)."""
    out: list[Span] = []
    for span in spans:
        if out and span.label == company and out[-1].label == company and out[-1].end == span.start \
                and out[-1].end - out[-1].start == 1 and out[-1].text not in PLACE_SUFFIX:
            span = _joined(text, out.pop(), span)
        out.append(span)
    return [s for s in out if not (s.label == company and s.end - s.start == 1)]


def places_only(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY that is a place, or the start of one (在吴忠，…; 巴彦 of 巴彦淖尔), is no company (the
    guide: places are not annotated)."""
    return [s for s in spans if not (s.label == company and _place_at(text, s.start) >= s.end - s.start)]


# A name's rest before its name-ending word (蓝 / 思科技): one or two Han characters.
NAME_REST = re.compile(r"[\u4e00-\u9fff]{1,2}?(?:科技|集团|股份|有限公司|公司)")


def name_rests(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY that stops one or two characters before a name-ending word runs on to its end (浏阳蓝思科技
    tagged 蓝 -> 蓝思科技), when no other span starts there."""
    starts = {s.start for s in spans}
    out = []
    for span in spans:
        if span.label == company and span.end - span.start == 1 and (m := NAME_REST.match(text, span.end)) and not any(
                k in starts for k in range(span.end, m.end())):
            span = _with(text, span, span.start, m.end())
        out.append(span)
    return out


def trailing_places(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY that ends in a place at the end of a `、` list item loses the place: it locates the
    project (国电投大安、上海电气洮南 -> 国电投)."""
    out = []
    for span in spans:
        if span.label == company and (span.end == len(text) or text[span.end] in "、等"):
            for n in range(min(MAX_PLACE, span.end - span.start - 2), 1, -1):
                if text[span.end - n : span.end] in PLACES:
                    span = _with(text, span, span.start, span.end - n)
                    break
        out.append(span)
    return out


# An industry word that starts a product compound (吉利汽车零部件: 汽车零部件 is the project's product).
PRODUCT_HEAD = re.compile(r"汽车(?=零部件(?:等|项目))")


def product_heads(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY that ends in the first word of a product compound loses it (吉利汽车零部件项目 -> 吉利)."""
    out = []
    for span in spans:
        if span.label == company:
            m = PRODUCT_HEAD.search(text, span.start, span.end + 6)
            if m and m.end() == span.end and m.start() - span.start >= 2:
                span = _with(text, span, span.start, m.start())
        out.append(span)
    return out


# A list the text counts as roads, mines, brands …: its items are no companies (桑龙、城龙等7条高速公路).
# So is a list the text calls products (the guide: products are not annotated): 京通、京办等智慧终端,
# 氨纶、芳纶等高端化工材料. Not a list of car models: its items may be the makers' names (the gold's 奥迪一汽新能源).
NOT_COMPANY_LIST = re.compile(r"等(?:(?:[0-9]+|[一二三四五六七八九十两]+)(?:条|处|座|个品牌|个商标)"
                              r"|(?:一批)?[^，。；、]{0,4}(?:终端|材料|产品))")


def counted_non_companies(text: str, spans: list[Span], company: str) -> list[Span]:
    """A COMPANY that fills an item of a list closed by 等N条/处/座/个品牌 or 等…终端/材料/产品 is not a company;
    in the first item (which runs back to the clause's start) it ends the item after the verb that opens the list
    (加快邵永、铜吉…等6条高铁); and so is a COMPANY right before such a close, whatever list the clause goes on
    with (力争黄蒿界等6处煤矿、产能…)."""
    out = []
    for span in spans:
        if span.label == company:
            items = _list_items(text, span.start)
            last = items[-1][1]
            if (any((a == span.start or k == 0) and b == span.end for k, (a, b) in enumerate(items))
                    and NOT_COMPANY_LIST.match(text, last)) or NOT_COMPANY_LIST.match(text, span.end):
                continue
        out.append(span)
    return out


COMPANY_EDITS = (place_led_lists, word_cuts, name_rests, fragments, places_only, trailing_places, product_heads, counted_non_companies)


def company_boundaries(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """COMPANY_EDITS in order (a place stripped first, so the rest of the name can be completed)."""
    return run_edits(COMPANY_EDITS, text, spans, schema.label_for("company"))


def company_names(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """COMPANY spans without a leading 民企/央企/国企/外企, and a name tagged with score >= 0.9 tagged
    again at its other occurrences in the text where no span overlaps, the occurrence stands on its own
    (start of text, after a break or one of NAME_OPENERS) and is not a brand, park or base
    (NOT_COMPANY_AFTER). Short forms of a legal name (信发集团 for 山东信发集团有限公司) were tried: no
    dev span changed, so they are not derived."""
    company = schema.label_for("company")
    out: list[Span] = []
    for span in spans:
        lead = COMPANY_LEAD.match(span.text) if span.label == company else None
        if lead and len(span.text) - lead.end() >= 2:
            span = _span(text, span.start + lead.end(), span.end, span.label, span.score, span.id)
        out.append(span)
    names = {s.text: s.score for s in out if s.label == company and (s.score or 0) >= COMPANY_CONFIDENT and len(s.text) >= 2}
    shorts = {}
    for name, score in names.items():
        short = GROUP_SHORT.fullmatch(name)
        if short and short[1] not in names and _place_at(name, 0) < len(short[1]):
            shorts[short[1]] = score
    names.update(shorts)
    taken = _Taken(text, out)
    for name in sorted(names, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            before = text[m.start() - 1] if m.start() else "。"
            after = text[m.end()] if m.end() < len(text) else "。"
            if (before in BREAKS or before in NAME_OPENERS or not _is_han(before)) \
                    and (name not in shorts or after in BREAKS or after in SHORT_NAME_AFTER) \
                    and not NOT_COMPANY_AFTER.match(text, m.end()) and taken.free(m.start(), m.end()):
                taken.take(m.start(), m.end())
                out.append(_span(text, m.start(), m.end(), company, names[name]))
    return _in_order(out)


# `以X为链主(的Y产业链)`: X is the chain's 链主, a company (the guide's ANCHORS cue 以华鲁集团为链主的精细化工).
NAMED_ANCHOR = re.compile(r"以([^，,。；;：:、！？\s“”\"（）()]{2,12}?)为[“\"]?[链鏈]主")
# A kind of company in that place is no name (在通辽，以龙头企业为链主: the dev split's one such statement).
GENERIC_ANCHOR = re.compile(r"^(?:龙头|骨干|重点|领军|头部|大|优质|本地)|企业$")


def anchor_companies(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """The untagged name in `以X为链主` tagged as a COMPANY (the tagger learnt 链主 statements from the seed
    articles alone: it misses 宁德时代 in 以宁德时代为链主的锂电池产业链). Only where no span overlaps the name and
    it is no kind of company (GENERIC_ANCHOR); no dev or train span changes."""
    company = schema.label_for("company")
    taken = _Taken(text, spans)
    out = list(spans)
    for m in NAMED_ANCHOR.finditer(text):
        if taken.free(m.start(1), m.end(1)) and not GENERIC_ANCHOR.search(m.group(1)):
            out.append(_span(text, m.start(1), m.end(1), company))
    return _in_order(out)

