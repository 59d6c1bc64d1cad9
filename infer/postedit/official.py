"""OFFICIAL post-edits: a title-only fragment joins its name, later bare mentions of a titled official, and
spans that start inside 会议上/大会上. Measurements: the package docstring."""
from __future__ import annotations

import re

from infer.schema import Schema
from infer.spans import Span
from infer.postedit.common import BREAKS, _Taken, _in_order, _joined, _span, _with


# The word that ends a title: 书记, 市长, 局长, 链长, 主任, 总理, 主席, 常委, 委员 ...
TITLE_WORD = re.compile(r"(?:书记|[市县区省州盟镇乡局部厅处组链院行社总]长|主任|总理|主席|常委|委员|组长)")


def person_name(official: str) -> str | None:
    """The name at the end of a titled OFFICIAL (聊城市委书记李长萍 -> 李长萍), None when the span
    does not end in a 2-3 character name after a title word (a title alone, or a name alone)."""
    words = list(TITLE_WORD.finditer(official))
    name = official[words[-1].end():] if words else ""
    return name if 2 <= len(name) <= 3 and not any(c in BREAKS for c in name) else None


def official_mentions(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """OFFICIAL spans as the guide draws them:
    - a title without a name that runs into a titled name through `、` and a few more title words, or
      through 的, is one span with it (`市委常委、副市长、第三次全市经济普查领导小组组长王立新`,
      `时任县委书记的张海`): only a title-only span merges, so `李干杰、何立峰` or
      `北京市委书记蔡奇、市长陈吉宁` stay separate officials (merging any two joined by `、` cost 15
      train spans);
    - a later bare mention of the name of a titled OFFICIAL is the name alone (`随后，王立新前往…`),
      but not inside 习近平新时代中国特色社会主义思想: taking the names of every OFFICIAL span, bare
      ones included, and tagging each occurrence is what lowered OFFICIAL before (that phrase)."""
    official = schema.label_for("official")
    out: list[Span] = []
    for span in spans:
        if out and span.label == official and out[-1].label == official:
            prev, gap = out[-1], text[out[-1].end:span.start]
            joined = (gap.startswith("、") and len(gap) <= 10 and not any(c in BREAKS for c in gap[1:])) \
                or (gap == "的" and len(span.text) <= 3)
            if joined and TITLE_WORD.search(prev.text[-2:]) \
                    and (person_name(span.text) or len(span.text) <= 3):
                span = _joined(text, out.pop(), span)
        out.append(span)
    names = {}
    for span in out:
        name = person_name(span.text) if span.label == official and len(span.text) > 3 else None
        if name and name not in names:
            names[name] = span
    taken = _Taken(text, out)
    for name, first in names.items():
        for m in re.finditer(re.escape(name), text):
            if m.start() >= first.end and not text.startswith(("新时代", "思想"), m.end()) and taken.free(m.start(), m.end()):
                taken.take(m.start(), m.end())
                out.append(_span(text, m.start(), m.end(), official, first.score))
    return _in_order(out)


# A report's header names its speaker after the meeting (…代表大会第五次会议上 省长XXX): 会议上/大会上 ends the
# phrase before the title.
MEETING_END = ("会议上", "大会上")


def official_starts(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """An OFFICIAL that starts inside 会议上/大会上 starts after it (议上自治区人民政府主席… -> 自治区人民政府主席…):
    the guide's span is the title phrase directly before the name, and the gold starts every report
    header's speaker after 会议上 (上海市市长… keeps its 上: no meeting word before it)."""
    official = schema.label_for("official")
    out = []
    for span in spans:
        if span.label == official:
            # the span's first k characters end a meeting word that starts before it
            cut = next((k for k in (1, 2) if any(text.endswith(w, 0, span.start + k) for w in MEETING_END)), 0)
            if cut and len(span.text) - cut >= 2:
                span = _with(text, span, span.start + cut, span.end)
        out.append(span)
    return out


# 链长 as a title word, quoted or not, chief or deputy (链长, 总链长, 副链长, “链长”), and the same with the chain's
# suffix before it when the tagger put the suffix in the official (智能制造 + 产业链链长赵刚).
TITLE = r"[“\"]?副?[总總]?[链鏈][长長]"
CHAIN_TITLE = re.compile(TITLE + r"[”\"]?")
SUFFIXED_TITLE = re.compile(r"(?:产业链条|产业链|產業鏈|链|鏈)?" + CHAIN_TITLE.pattern)
# What names an appointment after an official's name (市委书记张伟任集成电路产业链总链长).
APPOINTED = re.compile(r"担任|出任|兼任|任")
# The chain an appointment names, up to its suffix before the 链长 title.
APPOINTED_CHAIN = re.compile(rf"[^，,。；;：:、！？\s“”]{{1,18}}?(?:产业链|產業鏈|链|鏈)(?={TITLE})")
# A name of two or three characters between a title and an appointment (市委书记 + 刘洋 + 任…链长).
NAME_BEFORE_APPOINTED = re.compile(rf"[\u4e00-\u9fff]{{2,3}}?(?=(?:{APPOINTED.pattern})[^，。；]{{0,20}}?[链鏈][长長])")


def official_chain_titles(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """A chain in an official's title, as the guide draws it ("when a chain name and 链长 sit inside the title
    (`县委常委、高端装备产业链链长刘明`), the whole phrase is one OFFICIAL and the chain inside it is not annotated"):
    - a CHAIN right before an OFFICIAL that starts with its 链长 title (or the chain's suffix and the title:
      智能制造 + 产业链链长赵刚), or right before 链长 and then the OFFICIAL, is part of that title: one OFFICIAL
      (`official_mentions` then joins a title-only fragment before it through 、: 市委常委、副市长、新材料产业链链长王明);
    - a bare 链长 tagged right after the chain in `作为Y产业链链长，副县长X…` is no official: the title is the
      statement's, and X its official;
    - an OFFICIAL that runs on over 任 into the chain the official is appointed to lead (市委书记张伟任集成电路产业链总链)
      ends with the name before 任, and the chain named after 任 is a CHAIN in place of any piece of it the tagger
      tagged (县长王海任 + 特色 + 食品产业链 -> 特色食品产业链); so does one that runs on into the title itself (副市长刘洋任副总
      of …任副总链长); a title-only OFFICIAL followed by a name and 任…链长 takes the name in (市委书记 + 刘洋任…), and
      the chain after an official's 任 is tagged where the tagger left it out (市委书记周强担任 + 数字经济产业链 + 链长).
    The tagger learnt 链长 titles from the seed articles alone."""
    official, chain = schema.label_for("official"), schema.label_for("chain")
    out: list[Span] = []
    dropped: set[int] = set()
    ordered = _in_order(spans)
    for k, span in enumerate(ordered):
        if id(span) in dropped:
            continue
        if out and span.label == official and out[-1].label == chain:
            gap = text[out[-1].end : span.start]
            title = SUFFIXED_TITLE.match(span.text)
            if (gap == "" and title and title.end() < len(span.text)) or (gap and CHAIN_TITLE.fullmatch(gap)):
                span = _span(text, out.pop().start, span.end, official, span.score)
            elif gap == "" and CHAIN_TITLE.fullmatch(span.text):
                continue
        if span.label == official and person_name(span.text) is None and TITLE_WORD.search(span.text[-2:]):
            name = NAME_BEFORE_APPOINTED.match(text, span.end)
            if name and _Taken(text, [s for s in ordered if s is not span]).free(name.start(), name.end()):
                span = _with(text, span, span.start, name.end())
        if span.label == official and person_name(span.text) and (after := APPOINTED.match(text, span.end)):
            named = APPOINTED_CHAIN.match(text, after.end())  # X担任Y产业链链长 with Y产业链 untagged
            if named and _Taken(text, ordered).free(named.start(), named.end()):
                out += [span, _span(text, named.start(), named.end(), chain, span.score)]
                continue
        if span.label == official:
            cut = next((m for m in APPOINTED.finditer(span.text) if person_name(span.text[: m.start()])), None)
            named = APPOINTED_CHAIN.match(text, span.start + cut.end()) if cut else None
            if named or (cut and CHAIN_TITLE.match(text, span.start + cut.end())):  # …，副市长刘洋任副总链长
                out.append(_with(text, span, span.start, span.start + cut.start()))
                pieces = [s for s in ordered[k + 1 :] if s.start < named.end()] if named else []
                if named and all(s.label == chain and s.start >= named.start() for s in pieces):
                    dropped.update(id(s) for s in pieces)
                    out.append(_span(text, named.start(), named.end(), chain, span.score))
                continue
        out.append(span)
    return out
