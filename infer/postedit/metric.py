"""METRIC post-edits: where a METRIC starts (`metric_starts`) and its boundaries (`metric_boundaries`).
The measurements behind each edit are in the package docstring (`infer.postedit`)."""
from __future__ import annotations

import re

from infer.schema import Schema
from infer.spans import Span
from infer.postedit.common import BREAKS, _in_order, _span, _with

# Leading words a METRIC leaves out (guide, "METRIC start"); repeated: 全市完成… loses both. The particle 的
# and the preposition 以 before a number (以35.7%的增速) start no indicator noun phrase either. 全国重点实验室
# is the name of a class of laboratories, not a region before one (the gold keeps it whole: 全国重点实验室达8家).
METRIC_LEAD = re.compile(r"^(?:(?:全市|全省|全县|全区|全州|全国(?!重点实验室)|全盟|我市|我省|我县|我区|本市|本省|全年)|(?:完成|实现)"
                         r"|(?:预计|今年|去年|明年|上半年|下半年|前三季度)|的|以(?=[0-9０-９]))+")
KEPT_VERBS = ("新增", "累计", "引进", "计划", "争取", "新建", "投入", "签约")


def metric_starts(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """METRIC spans without their leading 完成/实现 and region words (kept whole when nothing with a
    digit or Chinese numeral would be left, and for ranks: 全省第1 is the rank's scope, not a region),
    and with a KEPT_VERBS verb right before them taken in (a METRIC fragment that is just the verb
    merges in; a verb that ends a span of another label stays there)."""
    metric = schema.label_for("metric")
    out: list[Span] = []
    for span in spans:
        if span.label == metric:
            lead = METRIC_LEAD.match(span.text)
            rest = span.text[lead.end():] if lead else ""
            if lead and re.search(r"[\d一二三四五六七八九十百千万亿两]", rest) and not rest.startswith("第"):
                start = span.start + lead.end()
                span = Span(start, span.end, span.label, text[start : span.end], span.score, span.id)
            verb = next((v for v in KEPT_VERBS if text.startswith(v, span.start - len(v))), None)
            start = span.start - len(verb) if verb else span.start
            if out and out[-1].label == metric and out[-1].start >= start and out[-1].end <= span.start:
                out.pop()  # the verb tagged as a METRIC of its own: it is this one's start
            if verb and span.start >= len(verb) and not (out and out[-1].end > start):
                span = Span(start, span.end, span.label, text[start : span.end], span.score, span.id)
        out.append(span)
    return out


# --- METRIC boundaries (the guide: one indicator with its value, from the indicator noun phrase through
# the number and unit). Characters that make a value: Arabic or Chinese numerals, 半 (一半), 首 (首位).
VALUE_CHAR = re.compile(r"[0-9０-９零一二三四五六七八九十百千万亿两半首]")
UNIT = (r"(?:个百分点|千瓦时|千瓦|兆瓦|标准箱|标箱|立方米|平方米|公里|美元|欧元|人民币|元|吨|辆|家|个|套|台|座|项|条|户|方|"
        r"件|列|次|位|亩|倍|头|种|艘|只|斤|度|成|%|％)")
# What may follow a number inside its METRIC: 多/余, a multiplier, a unit (per year), 多/以上/左右.
VALUE_TAIL = re.compile(rf"(?:多|余)?[万亿千百]*(?:{UNIT}(?:/年)?)?(?:多|以上|左右)?")
# The second value of a from-to pair starts at its change verb (…数量从410家 / 增加到918家).
CHANGE_TO = re.compile(r"(?:增长|增加|提高|提升|上升|跃升|下降|降低|减少|缩小|扩大|下调|上调|整合|压减|降|升)(?:到|至|为)")
MAX_FRAGMENT_GAP = 3


def metric_fragments(text: str, spans: list[Span], metric: str) -> list[Span]:
    """A METRIC without a value is a fragment (the guide: a METRIC is an indicator *with its value*):
    one followed within its clause (at most MAX_FRAGMENT_GAP characters, no break, no number) by another
    METRIC is that METRIC's indicator start and the two are one span (`全社会` + `研发投入强度达到3%`,
    `上` + `市公司` gap + `再融资增长5倍`; the guide's "indicator nouns in"); any other is dropped (`新`,
    and `连` before `续三年列全省第3位`: a number in the gap makes it a duration, not the indicator)."""
    spans = _in_order(spans)
    out: list[Span] = []
    for k, span in enumerate(spans):
        if span.label == metric and not VALUE_CHAR.search(span.text):
            after = spans[k + 1] if k + 1 < len(spans) else None
            gap = text[span.end : after.start] if after else ""
            if after and after.label == metric and len(gap) <= MAX_FRAGMENT_GAP and not BREAKS & set(gap) \
                    and not VALUE_CHAR.search(gap):
                spans[k + 1] = _with(text, after, span.start, after.end)
            continue
        out.append(span)
    return out


def metric_from_to(text: str, spans: list[Span], metric: str) -> list[Span]:
    """A METRIC that holds a from-to pair is two spans (the guide: `…数量从2021年底的410家`,
    `增加到2024年的918家`): the first ends with its value's unit, the second starts at the change verb
    (CHANGE_TO) after it."""
    out = []
    for span in spans:
        pair = re.search(r"[从由]", span.text) if span.label == metric else None
        verb = CHANGE_TO.search(span.text, pair.end()) if pair else None
        if verb and VALUE_CHAR.search(span.text, pair.end(), verb.start()):
            first = max(m.end() for m in VALUE_CHAR.finditer(span.text, 0, verb.start()))
            first = min(VALUE_TAIL.match(span.text, first).end(), verb.start())
            out.append(_with(text, span, span.start, span.start + first))
            span = _span(text, span.start + verb.start(), span.end, metric, span.score)
        out.append(span)
    return out


def metric_respectively(text: str, spans: list[Span], metric: str) -> list[Span]:
    """In a `分别` list only the first value is a METRIC (the guide: `分别增长18.8%、7.1%` -> `增长18.8%`):
    a METRIC after (or holding) 分别 ends at the `、` after its first value (`居全国第5、第6位` -> `居全国第5`)."""
    out = []
    for span in spans:
        at = span.text.find("分别")
        if span.label == metric and (at >= 0 or text.endswith("分别", 0, span.start)):
            cut = span.text.find("、", at + 1)
            if cut > 0 and VALUE_CHAR.search(span.text, 0, cut):
                span = _with(text, span, span.start, span.start + cut)
        out.append(span)
    return out


def metric_units(text: str, spans: list[Span], metric: str) -> list[Span]:
    """A METRIC that stops inside its value runs on through the unit (the guide: "through the number and
    unit": `1.46万` + `家`, `2000多亿` + `方`) and a following 以上/左右 (in the training gold every METRIC
    followed by 以上 or 左右 holds it: 160 and 67 spans, none outside), when the value then ends at a break
    or in 以上/左右 (not `1.3万亿斤` + `台` of 台阶)."""
    starts = {s.start for s in spans}
    out = []
    for span in spans:
        if span.label == metric and (VALUE_CHAR.match(span.text[-1]) or span.text[-1] in "多余"
                                     or re.search(UNIT + "$", span.text)):
            end = VALUE_TAIL.match(text, span.end).end()
            if end > span.end and not any(span.end <= k < end for k in starts) and (
                    end == len(text) or text[end] in BREAKS or text.endswith(("以上", "左右"), 0, end)):
                span = _with(text, span, span.start, end)
        out.append(span)
    return out


METRIC_EDITS = (metric_fragments, metric_from_to, metric_respectively, metric_units)


def metric_boundaries(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """METRIC_EDITS in order (a fragment joined first, so the joined span is split and completed)."""
    metric = schema.label_for("metric")
    for edit in METRIC_EDITS:
        spans = _in_order(edit(text, spans, metric))
    return spans
