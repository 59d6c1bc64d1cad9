"""Relations: the rule baseline, and the trained extractor that may replace or extend it.

Each rule reads one explicit statement inside one paragraph, as the guide annotates them:
  ANCHORS    以X为链主的Y / 作为Y“链主”企业，X / X作为Y产业链链主(企业)   (a 链主 cue between or next to the pair,
             A、B等链主 / 链主企业A、B / 产业链“链主”A                       and the company it names: in
                                                                         A与Y产业链链主B配套 B is the 链主)
  LEADS      Y产业链链长X / X担任Y(总)链长 / 县委常委、Y产业链链长X…Y    (链长 right after the chain, or the chain in the
                                                                   title leads its next mention; 副链长/副总链长 is no leader)
  MEMBER_OF  X加入/融入/入链/配套…Y / 引入A、B等 / A、B等…链上企业 / 以A、B等为龙头 / A与链主B配套
  tables     a column 所属重点产业链: each row's company is MEMBER_OF the row's chain (ANCHORS in a 链主 table)
  MEASURES   Y…营收增长17.2%；投资X亿元的Y…；A、B分别…X、Y；A、B超100亿元      (the clause's subject; see `measured`)
(the names are the default schema's: the rules find labels and relation types by their schema roles).

The trained extractor (`python -m train relations` writes MODEL_DIR/relations/) classifies every
ordered mention pair of one paragraph whose labels the schema allows, within DISTANCE_CAP tokens,
into NONE or a relation type. A pair is represented by the encoder's last hidden states, kept by
the tagger from its own pass over the document (infer.documents.Doc.states; the encoder never runs a
second time), mean-pooled over each span and over the tokens between them, plus cheap features (distance,
order, label pair, the rules' cue words in between, and optionally the rules' own vote). Which
of rules / model / union / model-with-rule-features is used was chosen on dev relation F1 and
is read from the folder; without the folder the rules are used.
"""
from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from infer.documents import Doc, Paragraph
from infer.model_folder import RELATIONS_DIR, read_relations
from infer.normalize import normalize
from infer.schema import Schema
from infer.spans import Span

CLAUSE_END = re.compile(r"[。；！？\n]")
ANCHOR_CUE = re.compile(r"[链鏈]主")  # the seeds include a traditional-script copy
LEADER_CUE = re.compile(r"[链鏈][长長]")
DEPUTY = re.compile(r"^[^链鏈]{0,2}副(?:[总總])?[链鏈][长長]")
MEMBER_CUE = re.compile(r"加入|融入|入链|纳入|配套|进入|链上")
# A company the text introduces as one of a chain's companies (这家“华龙一号”产业链上的企业——X, Y产业链配套企业X).
MEMBER_INTRO = re.compile(r"(?:上|中)?的?(?:重点|配套|骨干|核心)?(?:企业|公司)(?:——|—|：|:)?")
MAX_GAP = 30
# Tokens allowed between the two spans of a candidate pair. Measured on the gold (all five
# documents, model tokens after normalisation): 39 relations, gaps 0..123, median 22; a cap of 30
# keeps 24/39, 60 keeps 32/39, 128 keeps all 39 at 136 of the 146 allowed pairs, so the cap costs
# almost no extra candidates and is set to cover every gold relation.
DISTANCE_CAP = 128
NONE = "NONE"
COMBINATIONS = ("rules", "model", "union", "model_rules")


@dataclass(frozen=True)
class Relation:
    source: str
    target: str
    type: str
    score: float | None = None  # None: given without one (gold relations read by `python -m infer records`)


def _same_clause(text: str, a: Span, b: Span) -> bool:
    lo, hi = min(a.end, b.end), max(a.start, b.start)
    return not CLAUSE_END.search(text, lo, hi) if lo < hi else True


def _gap(text: str, a: Span, b: Span) -> str:
    first, second = (a, b) if a.start < b.start else (b, a)
    return text[first.end : second.start]


def _nearest(candidates: list[Span], anchor: Span, text: str, before: bool) -> Span | None:
    pool = [c for c in candidates if (c.end <= anchor.start if before else c.start >= anchor.end)
            and _same_clause(text, c, anchor) and len(_gap(text, c, anchor)) <= MAX_GAP]
    if not pool:
        return None
    return max(pool, key=lambda c: c.end) if before else min(pool, key=lambda c: c.start)


def paragraph_relations(text: str, mentions: list[Span], schema: Schema) -> list[Relation]:
    """Relations the rules read in one paragraph (mentions' offsets are into `text`); labels and
    relation types are the ones playing each role in `schema`."""
    by_role: dict[str, list[Span]] = {}
    roles = {label.name: label.role for label in schema.labels}
    for m in mentions:
        by_role.setdefault(roles.get(m.label, ""), []).append(m)
    companies, chains = by_role.get("company", []), by_role.get("chain", [])
    officials, metrics = by_role.get("official", []), by_role.get("metric", [])
    anchors, member_of = schema.relation_for("anchors"), schema.relation_for("member_of")
    leads, measures = schema.relation_for("leads"), schema.relation_for("measures")
    found: dict[tuple[str, str], Relation] = {}

    def add(source: Span, target: Span, kind: str) -> None:
        found.setdefault((source.id, target.id), Relation(source.id, target.id, kind, 1.0))

    for company in companies:
        for chain in chains:
            if not _same_clause(text, company, chain):
                continue
            gap = _gap(text, company, chain)
            if len(gap) > MAX_GAP:
                continue
            lo, hi = min(company.end, chain.end), max(company.start, chain.start)
            if any(lo <= c.start and c.end <= hi for c in companies):
                continue  # the cue between belongs to the company nearer the chain (A与链主B配套，融入Y)
            end = max(company.end, chain.end)
            after = text[end : end + 12]
            before = text[max(0, min(company.start, chain.start) - 12) : min(company.start, chain.start)]
            named = ANCHOR_CUE.search(after)
            # X作为Y产业链链主(企业): the 链主 after the chain is X's unless it names the company after it
            # (A与Y产业链链主B开展配套: B is the 链主)
            names_next = named is not None and any(end + named.end() <= c.start <= end + named.end() + 4 for c in companies)
            if ANCHOR_CUE.search(gap) or (named and not names_next and company.start < chain.start) or (
                    ANCHOR_CUE.search(before) and chain.start < company.start):
                add(company, chain, anchors)
            elif (MEMBER_CUE.search(gap) and company.start < chain.start or chain.start < company.start
                  and MEMBER_INTRO.fullmatch(gap)) and not _named_anchor(text, company):
                add(company, chain, member_of)
    for group in _coordinated(text, companies):
        after, before = text[group[-1].end : group[-1].end + 12], text[max(0, group[0].start - 12) : group[0].start]
        if LISTED_ANCHOR_AFTER.match(after) or LISTED_ANCHOR_BEFORE.search(before):
            chain = _nearest(chains, group[0], text, before=True) or next(
                (c for c in chains if c.start >= group[-1].end and _same_clause(text, group[-1], c)), None)
            if chain is None:  # the chain named earlier in the paragraph (做强装备制造。发挥A、B等链主优势)
                chain = max((c for c in chains if c.end <= group[0].start), key=lambda c: c.end, default=None)
            for company in group if chain is not None else []:
                add(company, chain, anchors)
    for group in _coordinated(text, companies):  # 引入A、B等企业 / A、B等199家链上企业 / A与链主B配套
        brought_in = MEMBER_LIST_BEFORE.search(text, 0, group[0].start) and re.match(  # not 招引X…项目落户
            r"等|[，,。；;！？\n]|$", text[group[-1].end : group[-1].end + 1])
        if not (brought_in or MEMBER_LIST_AFTER.match(text, group[-1].end)):
            continue
        chain = _statement_chain(text, group, chains)
        for company in group if chain is not None else []:
            if not _named_anchor(text, company):
                add(company, chain, member_of)
    for company, chain, is_anchor in _table_rows(text, companies, chains):  # a column 所属重点产业链
        add(company, chain, anchors if is_anchor else member_of)
    for chain in chains:
        tail = text[chain.end : chain.end + 4]
        official = _nearest(officials, chain, text, before=False)  # Y产业链由X任链长 (not 任副链长)
        if official is not None and _gap(text, official, chain) == "由":
            if re.match(r"(?:担任|出任|任)(?:[总總])?[链鏈][长長]", text[official.end : official.end + 5]):
                add(official, chain, leads)
            continue
        if not LEADER_CUE.search(tail) or DEPUTY.match(tail):  # a deputy (副链长, 副总链长) is no leader
            continue
        official = _nearest(officials, chain, text, before=True)  # X担任/是/作为Y产业链（总）链长, X（Y产业链链长）
        if official is not None and (re.search(r"(?:担任|出任|任|为|是)$", _gap(text, official, chain)) or (
                re.fullmatch(r"[（(]", _gap(text, official, chain)) and re.match(r"[^）)]{0,3}[链鏈][长長][）)]", tail))):
            add(official, chain, leads)
            continue
        official = _nearest(officials, chain, text, before=False)  # Y产业链链长、市委副书记X
        # the official must follow the title directly (担任Y产业链链长的X, Y产业链“链长”、X), and not be the
        # subject of a 任 of its own (…任Y产业链总链长，副市长Z任副总链长: Z is the deputy)
        if official is not None and re.fullmatch(r"[”’\"\s、，,：:的]*", text[chain.end + LEADER_CUE.search(tail).end():
                                                                              official.start]) and not re.match(
                r"(?:担任|出任|任|为)", text[official.end : official.end + 2]):
            add(official, chain, leads)
    for official in officials:  # 县委常委、高端装备产业链链长刘明: the chain is named inside the title
        named = led_in_title(text[official.start : official.end])
        if named is None:
            continue
        core = unplaced_chain_core(named.group(1))
        chain = next((c for c in chains if unplaced_chain_core(text[c.start : c.end]) == core and not (
            official.start <= c.start < official.end)), None)
        if chain is not None:
            add(official, chain, leads)
    for metric, target in measured(text, metrics, companies, chains):
        add(metric, target, measures)
    return list(found.values())


SENTENCE_END = re.compile(r"[。！？\n]")
# How a chain's name ends (its suffix, or 产业 for an industry the text names as one), where a 链主 title follows it.
CHAIN_END = r"(?:产业链|產業鏈|链|鏈|产业|產業)"
# A company is the subject of its clause when it opens the clause, after at most an adverbial of
# time or focus (如今, 其中, 仅, 2017年 …); a company after a verb (组建X, 支持X, 招引X) is an object.
# Also after an appositive naming its country and kind (德国大众, 丹麦工业巨头丹佛斯, 美国玩具公司孩之宝), after
# 由 (由X承建，总投资…: X builds it), after a numbered heading (〔14〕X：项目总投资…) and after 位于<place>的
# (位于上海的X同时在建14艘船: the place only qualifies the subject), after its kind or origin (法资企业X宣布投资…,
# 来自德国的X宣布增资…), after 预计(全年) (预计全年X投资将超过…) and after its 链主 title (Y产业链链主企业X投资5亿元,
# Y产业链“链主”X营收…: the company, not the chain, is what the clause measures; train and dev unchanged).
CLAUSE_OPEN = re.compile(r"(?:^|[，,；;。：:“\n（(〕】\]])(?:如今的?|目前|其中|例如|比如|仅|同时|此外|另外|近年来|今年以来|"
                         r"(?:预计)?(?:今年|去年|全年)|预计|\d{4}年|\d{1,2}月份?|[一二三四]季度|上半年|前三季度|由)?[，,]?"
                         r"(?:(?:[德美英法日韩泰]国|丹麦|瑞典|瑞士|荷兰|意大利|西班牙|芬兰|挪威|新加坡)"
                         r"(?:[\u4e00-\u9fff]{0,8}?(?:巨头|公司|企业|集团))?|位于[\u4e00-\u9fff]{1,6}的|来自[\u4e00-\u9fff]{1,6}的|"
                         r"(?:跨国|外资|外商|合资|独资|[法美德日韩英港台]资|民营|国有|龙头)企业|"
                         rf"(?:[^，,；;。：:\n]{{1,14}}?{CHAIN_END})?[“\"]?[链鏈]主[”\"]?(?:企业|企業)?)?$")
# Words right after a company that make it a source or an attribute, not the clause's subject:
# X数据显示, X今天发布, X获悉, X的产品, X、Y (a list), and a company in brackets: an alias or an
# example attached to the noun before it (省级园区1个（X）、市级园区2个…), which the guide spans on its own.
NOT_SUBJECT_AFTER = re.compile(r"^(?:的|获悉|了解到|等|、|和|与|及|发布|数据|最新|今天|日前|近日|消息|[）)])")
# A company that names a place or a cluster (风帆工业园, 邦辰众创空间, X高端能源装备集群: parks and clusters are
# no companies or chains in the guide; a tagger may still mark the X of a cluster) is no subject,
# and a company heading a list of projects (A零部件等投资N亿元的N个项目, A…等项目开工) shares the
# list's totals with the others: a `等` in the subject's own clause ends its scope, unless a 、 list of
# something else comes first (X将加大A、B等项目实施力度，…投产新线1000公里: the list is X's objects).
PLACE_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:集群|工业园|产业园|园区|众创空间|孵化器|基地|集聚区|聚集区)")
LISTED_WITH_OTHERS = re.compile(r"等")
# A clause that reports a project's or a newcomer's progress (X落户, …项目投入生产, 4个机场相继建成) closes
# the topic: metrics after it are the region's (中国稀土集团落户，…；数字经济规模突破1万亿元).
PROGRESS_END = re.compile(r"(?:投入运营|投入生产|投入运行|相继建成|顺利完成|初见成效|加速建设|加快建设|加快推进|"
                          r"有序推进|建成投产|竣工投产|开工建设|建成投运|进展顺利|落户|成立运营|获批开业)$")
CLAUSE_BREAK = re.compile(r"[，,；;]")
# A later clause that opens on the region (全县纳税百强企业…, 全县外贸出口总额…) is about the region, which
# gets no MEASURES (the guide), and so are the metrics after it.
REGION_OPEN = re.compile(r"^(?:今年|去年|全年|上半年|前三季度|\d{4}年)?(?:全县|全市|全省|全区|全州|全国|全球|我省|我市|我县|我区|我国)")


def sentence_starts(text: str) -> Callable[[int], int]:
    """Where the sentence holding a position starts, from one scan of the paragraph."""
    starts = [0] + [m.end() for m in SENTENCE_END.finditer(text)]
    return lambda pos: starts[bisect.bisect_right(starts, pos) - 1]


# A company that announces (X今天（…）宣布，…将投入超过N亿元) states its own plan, not a source's data.
ANNOUNCES = re.compile(r"(?:今天|日前|近日)?(?:[（(][^）)]{1,10}[）)])?宣布")


def _is_subject(text: str, span: Span) -> bool:
    opens = CLAUSE_OPEN.search(text[max(0, span.start - 24) : span.start])
    acts = ANNOUNCES.match(text, span.end) or not NOT_SUBJECT_AFTER.match(text[span.end : span.end + 4])
    return bool(opens and acts) and not PLACE_AFTER.match(text[span.end : span.end + 9])


# 该公司/该企业/这家企业 anywhere, and a bare 公司/企业 opening a clause, stand for the paragraph's last company
# named before them (X成立于2009年…。公司注册资本4616万元; 关税政策导致该公司二季度损失11亿美元); a 公司 joined by +
# names a business model (“公司+农户”), not a company.
ANAPHOR = re.compile(r"(该公司|该企业|该集团|这家企业|这家公司)|公司(?![+＋]|[\u4e00-\u9fff]{0,2}(?:达|超|突破|\d))")
# A METRIC is a value (the guide): a span without a number in it is a tagger's slip (链, 全产业) and measures nothing.
NUMBER = re.compile(r"[0-9０-９零一二三四五六七八九十百千万亿两半首倍%％]")
# `投资X亿元的Y…项目`: the metric qualifies the company's project (or the chain: 产值过千亿元的Y产业链), also
# after the county that governs it (投资12.6亿元的安新大无缝铜杆 -> 大无缝; the guide leaves such place words
# out of the company), and before 由X建设的… (投资7.2亿元由X建设的供热项目: X's project).
QUALIFIED = re.compile(r"的[\u4e00-\u9fff]{0,3}|由")


# Funds granted to a company measure it (为X提供了5000万元的建设资金, seed 000), as the guide's 投资2.1亿元 does.
GRANTED = re.compile(r"(?:提供|给予|給予|发放|發放)了?")


def _owner(text: str, metric: Span, companies: list[Span]) -> Span | None:
    """The company a metric belongs to by the words right before it, wherever the company stands in its
    clause: X的研发投入占比超5% (the indicator is X's own), 为X提供5000万元 (funds granted to X)."""
    for c in companies:
        between = text[c.end : metric.start]
        if between == "的" or (GRANTED.fullmatch(between) and c.start > 0 and text[c.start - 1] in "为為向"):
            return c
    return None


def _shared_project(text: str, metric: Span, company: Span, metrics: list[Span]) -> bool:
    """True when `投资X亿元的Y…` is no project of Y's own: a park named after Y (投资33亿元的风帆工业园),
    or a total over several projects (总投资53亿元的英利光伏电池、永红铸机等10个项目; 总投资29亿元的A…、B…项目)."""
    end = CLAUSE_END.search(text, company.end)
    stop = min([end.start() if end else len(text)] + [m.start for m in metrics if m.start >= company.end])
    phrase = text[company.end : stop]
    if re.search(r"[，,]", phrase):
        phrase = phrase[: re.search(r"[，,]", phrase).start()]
    own = phrase.split("、")[0]
    return bool(re.search(r"工业园|产业园", own) or re.search(r"等\d+个", phrase) or (
        text[metric.start : metric.start + 1] == "总" and "、" in phrase))


def _distributed(text: str, metric: Span, metrics: list[Span], targets: list[Span],
                 sentence_of: Callable[[int], int]) -> list[Span]:
    """`A、B、C分别实现税收X、Y、Z`: the i-th metric after 分别 measures the i-th of a list of companies
    (or chains: 人参、食用菌全产业链产值分别达到X、Y) named right before it in the same clause run; a list
    that goes on with 等 (A、B等5家企业) is not all there, and a 分别 after a `；` is another statement.
    One value that no bare value follows (A和B…充电量分别比去年同期增长30%左右) holds for each of them."""
    sent = sentence_of(metric.start)
    cue = text.rfind("分别", sent, metric.end)  # inside the metric when its indicator is (充电量分别比…增长30%)
    if cue < 0:
        return []
    groups = [g for g in _coordinated(text, [c for c in targets if sent <= c.start and c.end <= cue]) if len(g) >= 2]
    if not groups:
        return []
    listed = groups[-1]
    after = [m for m in metrics if m.end > cue and sentence_of(m.start) == sent]
    if (len(after) > len(listed) or metric not in after or text.startswith("等", listed[-1].end)
            or re.search(r"[；;]", text[listed[-1].end : cue])):
        return []
    if len(after) == 1 and not re.match(r"[、和及与]", text[metric.end : metric.end + 1]):
        return listed
    return [listed[after.index(metric)]]


# `A、B销售收入超1000亿元`, `A、B、C跨入世界500强`: a threshold or rank that holds for each company of a
# list opening the clause links to each (the guide); a total (合计, 共, 总) links to none.
EACH_CUE = re.compile(r"超|突破|跨入|进入|居|位列|以上|均|都|各")
TOTAL_CUE = re.compile(r"合计|共|总|累计")
# A count of companies (A、B等纳税超千万元的企业达到N家) is the region's: the listed companies are counted, not measured.
COMPANY_COUNT = re.compile(r"(?:企业|公司)[^，,。；;]{0,6}?\d+家$")
# The subject's several companies sharing a total (X这N家…企业注册资金共计…): none (the guide).
SHARED_TOTAL = re.compile(r"\d+家[^，,。；;]*?(?:合计|共计|总计|总和)")
# A metric of an industry (X入选…企业，高新技术产业营业收入达N亿元) is the region's, not the company's before it.
INDUSTRY_METRIC = re.compile(r"[\u4e00-\u9fff]{1,8}?产业(?!链)")


def _each(text: str, metric: Span, companies: list[Span]) -> list[Span]:
    groups = [g for g in _coordinated(text, [c for c in companies if c.end <= metric.start]) if len(g) >= 2]
    if not groups:
        return []
    group = groups[-1]
    gap, value = text[group[-1].end : metric.start], text[metric.start : metric.end]
    if (len(gap) > 8 or CLAUSE_END.search(gap) or re.search(r"[，,]", gap) or COMPANY_COUNT.search(value)
            or not CLAUSE_OPEN.search(text[max(0, group[0].start - 8) : group[0].start])
            or TOTAL_CUE.search(gap + value) or not EACH_CUE.search(gap + value)):
        return []
    return group


def measured(text: str, metrics: list[Span], companies: list[Span], chains: list[Span]) -> list[tuple[Span, Span]]:
    """(metric, company or chain) pairs the MEASURES rules read in one paragraph. A company that opens
    a clause (also after 由, a heading or a country-and-kind appositive; 该公司/该集团 and a clause-opening
    公司 stand for the company before them) is the subject of the later metrics of its sentence, up to the
    next such company (信发集团交易量…，占…7.47%，交易额…), unless a list (等), a progress clause (X落户, …投入生产)
    or a clause opening on the region (全县…) comes first: those metrics are the region's, which gets none.
    `X的<indicator and value>` and `为X提供<value>` measure X wherever X stands (see `_owner`);
    `投资X亿元的[县]Y项目` (and 投资X亿元由Y建设的…) measures Y (not Y's park, not a total over several
    projects; also a chain: 产值过千亿元的Y产业链); `A、B分别…X、Y` pairs in order (one value: each); a
    threshold holding for each listed company (A、B超100亿元) links to each, a total shared by them
    (`A和B合计X`) to none (the guide). A chain is measured only by a metric right after it in the same
    clause, and not when it is one item of a list (A、B等产业链，…). A METRIC span without a number measures
    nothing.
    With gold entities, MEASURES F1 (train split, where the rules were written / dev): 0.40 with the
    nearest-mention rule on train; 0.652 / 0.683 with the first subject rules; 0.864 / 0.970 with these before
    the train-error pass (anaphors, brackets, 的/为X提供, 由X建设的, chain lists), 0.894 / 0.970 after it; on the
    2,290-passage corpus's train split 0.857 / 0.970, and 0.865 / 0.970 after a company's kind or origin
    (外资企业X, 来自<place>的X) and 预计(全年) joined the clause openers (2026-12-06, eighth session; a clause
    opening on a dash (——X，…) as well cost more precision than it gained: train 0.862).
    Carrying a subject into the next sentence raised recall less than it cost precision (again in that pass,
    even only after a bare time phrase: train +0.001, dev 0.970 -> 0.941), and so did
    a bare 企业 as an anaphor, requiring no comma between a chain and its metric, and taking a chain that
    opens its clause as the subject like a company (train unchanged, dev 0.970 -> 0.833).
    Fourteenth session (2026-12-07; the corpus with round 15, where train was 0.8742 and dev 0.9412 for all
    relation types): a count of companies after a list, a total over the subject's several companies, an
    industry's metric, “公司+” and an announcing company gave train 0.8831 (precision 0.9345 -> 0.9510), dev
    unchanged. Dropped in that pass: 该项目/该工程/项目建成后 carrying the previous sentence's subject (train 0.8742 ->
    0.8698: the gold links a company's project metrics in 3 places and not in 7), and a company as the scene of
    its clause run (在湖南X，…: 2 right, 3 wrong)."""
    pairs = []
    sentence_of = sentence_starts(text)
    subjects = [c for c in companies if _is_subject(text, c)]
    stands_for: dict[str, Span] = {}  # an anaphor's id -> the company it stands for
    for a in ANAPHOR.finditer(text):
        if a.group(1) is None and not CLAUSE_OPEN.search(text[max(0, a.start() - 24) : a.start()]):
            continue
        para = text.rfind("\n", 0, a.start())  # relations stay inside one paragraph (the guide)
        before = [c for c in companies if para < c.start and c.end <= a.start()]
        if before and not any(m.start <= a.start() < m.end for m in metrics) and not any(
                c.start <= a.start() < c.end for c in companies):
            pseudo = Span(a.start(), a.end(), "ANAPHOR", id=f"anaphor{a.start()}")
            stands_for[pseudo.id] = before[-1]
            subjects.append(pseudo)
    subjects.sort(key=lambda c: c.start)
    listed_chains = {c for g in _coordinated(text, chains) if len(g) > 1 for c in g}
    for metric in metrics:
        if not NUMBER.search(text, metric.start, metric.end):
            continue
        owner = _owner(text, metric, companies)
        if owner is not None:
            pairs.append((metric, owner))
            continue
        after = min((c for c in companies + chains if c.start >= metric.end), key=lambda c: c.start, default=None)
        if after is not None and QUALIFIED.fullmatch(text, metric.end, after.start):
            if not _shared_project(text, metric, after, metrics):
                pairs.append((metric, after))
            continue
        listed = _distributed(text, metric, metrics, companies, sentence_of) or _distributed(
            text, metric, metrics, chains, sentence_of) or _each(text, metric, companies)
        if listed:
            pairs += [(metric, target) for target in listed]
            continue
        sent = sentence_of(metric.start)
        own = [c for c in subjects if sent <= c.start and c.end <= metric.start]
        if own:
            subject = own[-1]
            clauses = CLAUSE_BREAK.split(text[subject.end : metric.start])
            if INDUSTRY_METRIC.match(text, metric.start, metric.end) or LISTED_WITH_OTHERS.search(
                    clauses[0].split("、")[0]) or SHARED_TOTAL.search(
                    text[subject.end : metric.end]) or any(
                    PROGRESS_END.search(c) for c in clauses[:-1]) or any(REGION_OPEN.match(c) for c in clauses[1:]):
                continue
            if not any(c is not subject and c.start >= subject.start and c.end <= metric.start
                       and re.fullmatch(r"[、和与及]", text[c.start - 1 : c.start]) for c in companies):
                pairs.append((metric, stands_for.get(subject.id, subject)))
            continue
        target = _nearest(chains, metric, text, before=True)
        if target is not None and (text.startswith("等", target.end) or target in listed_chains):
            continue  # one chain of a list (A、B、C等产业链，…超过120家): the value is shared, as for companies
        if target is not None and not any(m.start > target.end and m.end <= metric.start for m in metrics):
            if len(_gap(text, target, metric)) <= 8:
                pairs.append((metric, target))
    return pairs


# Companies a statement names as joining a chain without leading it: brought in (引入/引进/招引/吸引 A、B等;
# not 招引X…项目, a project of X's),
# listed as the chain's companies or suppliers (A、B等199家链上企业, 以A、B等为龙头), or supplying its 链主
# (A与链主B配套).
MEMBER_LIST_BEFORE = re.compile(r"(?:引入|引进|招引|吸引)了?$")
MEMBER_LIST_AFTER = re.compile(r"等[^，,。；;！？\n]{0,10}?(?:链上企业|配套企业|为龙头)|与[^，,。；;！？\n]{0,20}?[链鏈]主"
                               r"[^，,。；;！？\n]{0,20}?配套")


def _named_anchor(text: str, company: Span) -> bool:
    """True when the text calls the company a 链主 right before or after it (链主X, X等链主)."""
    return bool(LISTED_ANCHOR_BEFORE.search(text, max(0, company.start - 12), company.start)
                or LISTED_ANCHOR_AFTER.match(text, company.end))


def _statement_chain(text: str, group: list[Span], chains: list[Span]) -> Span | None:
    """The chain a statement about a list of companies is about: the nearest one named before it in its
    sentence, else the first after it in its sentence, else the paragraph's last before it, else its first after."""
    sentence_of = sentence_starts(text)
    sent = sentence_of(group[0].start)
    before = [c for c in chains if c.end <= group[0].start]
    after = [c for c in chains if c.start >= group[-1].end]
    return next((c for c in reversed(before) if c.start >= sent), None) or next(
        (c for c in after if sentence_of(c.start) == sent), None) or (before[-1] if before else None) or (
        after[0] if after else None)


# A table whose header names each row's chain (序号 企业名称 所属重点产业链): each row's company belongs to
# the row's chain; a 链主 table (the title or header says 链主) makes it the chain's 链主.
TABLE_CHAIN_COLUMN = re.compile(r"所属(?:重点)?(?:产业)?[链鏈]")


def _table_rows(text: str, companies: list[Span], chains: list[Span]) -> list[tuple[Span, Span, bool]]:
    header = TABLE_CHAIN_COLUMN.search(text)
    if header is None:
        return []
    header_end = text.find("\n", header.end())
    if header_end < 0:
        return []
    is_anchor = bool(ANCHOR_CUE.search(text, 0, header_end))
    out = []
    row_start = header_end + 1
    while row_start < len(text):
        row_end = text.find("\n", row_start)
        row_end = len(text) if row_end < 0 else row_end
        row_chains = [c for c in chains if row_start <= c.start and c.end <= row_end]
        if row_chains:
            out += [(c, row_chains[0], is_anchor) for c in companies if row_start <= c.start and c.end <= row_end]
        row_start = row_end + 1
    return out


# A list of companies named as 链主 (A、B等链主, 链主企业A、B, 产业链“链主”A): each anchors the chain of
# the statement, or the one the paragraph named before it.
LISTED_ANCHOR_AFTER = re.compile(rf"^等?(?:\d+家)?(?:企业)?(?:(?:为|作为|是)(?:[^，,。；;！？\n]{{1,16}}?{CHAIN_END}的?)?)?"
                                 r"[“\"]?[链鏈]主")
LISTED_ANCHOR_BEFORE = re.compile(r"[链鏈]主(?:企业|企業)?[”\"]?[：:]?$")


# The chain inside an official's title: 高端装备产业链链长, 新材料产业链总链长 (a 副链长 is skipped by DEPUTY).
TITLE_CHAIN = re.compile(r"([\u4e00-\u9fff（）()+]{2,20}?(?:产业链|產業鏈|链|鏈))(?:的)?[“\"]?(?:副)?(?:[总總])?[链鏈][长長]")


def chain_core(name: str) -> str:
    """A chain name as its mentions share it: normalised (simplified script), without line breaks and
    without its 产业链/链条/链/产业 suffix (records key chains on it: infer.records.chain_key)."""
    return re.sub(r"(产业链条|产业链|链条|链|产业)$", "", normalize(name).text.replace("\n", "").strip())


# A place before a chain's name inside a title (东阿县生物医药…, 四川省高端装备…); the guide leaves it out of a CHAIN.
PLACE_PREFIX = re.compile(r"^.*?[省市县区](?=.{2,})")


def unplaced_chain_core(name: str) -> str:
    """chain_core without a place prefix, to match the chain inside a title (东阿县生物医药（阿胶+）产业链链长)
    with a mention (生物医药（阿胶+）产业链)."""
    return PLACE_PREFIX.sub("", chain_core(name))


def led_in_title(title: str) -> re.Match | None:
    """The chain an official's own title says they lead (group 1: 县委常委、高端装备产业链链长 -> 高端装备产业链,
    also 总链长), or None: no chain in it, or a deputy's (副链长, 副总链长)."""
    named = TITLE_CHAIN.search(title)
    return None if named is None or DEPUTY.match(title[named.end(1):]) else named


def _coordinated(text: str, companies: list[Span]) -> list[list[Span]]:
    """Runs of companies joined only by 、/和/及/与 (one list), in text order."""
    groups: list[list[Span]] = []
    for c in sorted(companies, key=lambda c: c.start):
        if groups and re.fullmatch(r"(?:[（(][^）)]{1,8}[）)])?[、和及与,，]?", text[groups[-1][-1].end : c.start]):
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def paragraph_mentions(doc: Doc) -> list[tuple[Paragraph, list[Span]]]:
    """(paragraph, its entities with offsets into it) for each paragraph of a document that has
    entities: relations never cross a paragraph. Entities are found by bisection on their starts, so a
    document with many paragraphs costs time in proportion to its entities, not paragraphs x entities."""
    entities = sorted(doc.entities, key=lambda m: (m.start, m.end))
    starts = [m.start for m in entities]
    out = []
    for para in doc.paragraphs:
        end = para.offset + len(para.text)
        lo, hi = bisect.bisect_left(starts, para.offset), bisect.bisect_left(starts, end)
        inside = [m.shifted(para.offset) for m in entities[lo:hi] if m.end <= end]
        if inside:
            out.append((para, inside))
    return out


def rule_relations(doc: Doc, schema: Schema) -> list[Relation]:
    """Rule relations of a whole document, paragraph by paragraph."""
    return [r for para, inside in paragraph_mentions(doc) for r in paragraph_relations(para.text, inside, schema)]


class RelationModelError(RuntimeError):
    """A relations folder that does not fit the tagger it sits in; the message says what to do."""


@dataclass(frozen=True)
class Candidate:
    source: Span
    target: Span
    distance: int  # model tokens strictly between the two spans


class ParagraphView:
    """One paragraph of a tagged document as the encoder saw it: its slice of the document's
    normalised text, token positions and encoder states, and each mention's character and token
    span there (so gaps and cues read the simplified text). Nothing is normalised or encoded here."""

    def __init__(self, doc: Doc, para: Paragraph, mentions: list[Span]) -> None:
        self.text = para.text
        self.mentions = mentions  # offsets into the paragraph
        origin = doc.norm.origin
        lo = bisect.bisect_left(origin, para.offset)
        hi = bisect.bisect_left(origin, para.offset + len(para.text))
        self.norm_text = doc.norm.text[lo:hi]
        t_lo, t_hi = bisect.bisect_left(doc.positions, lo), bisect.bisect_left(doc.positions, hi)
        self.positions = [p - lo for p in doc.positions[t_lo:t_hi]]
        self.states = None if doc.states is None else doc.states[t_lo:t_hi]
        self.chars: dict[str, tuple[int, int]] = {}
        self.tokens: dict[str, tuple[int, int]] = {}
        for m in mentions:
            c_lo = bisect.bisect_left(origin, para.offset + m.start, lo, hi) - lo
            c_hi = max(bisect.bisect_left(origin, para.offset + m.end, lo, hi) - lo, c_lo + 1)
            self.chars[m.id] = (c_lo, c_hi)
            t_lo = bisect.bisect_left(self.positions, c_lo)
            self.tokens[m.id] = (t_lo, max(bisect.bisect_left(self.positions, c_hi), t_lo + 1))

    def distance(self, a: Span, b: Span) -> int:
        (a0, a1), (b0, b1) = self.tokens[a.id], self.tokens[b.id]
        return max(0, max(a0, b0) - min(a1, b1))

    def gap(self, a: Span, b: Span) -> str:
        (a0, a1), (b0, b1) = self.chars[a.id], self.chars[b.id]
        return self.norm_text[min(a1, b1) : max(a0, b0)]


def paragraph_views(doc: Doc) -> list[ParagraphView]:
    """A view of each paragraph of a tagged document that has entities."""
    return [ParagraphView(doc, para, inside) for para, inside in paragraph_mentions(doc)]


def allowed_pairs(schema: Schema) -> list[tuple[str, str]]:
    """(source label, target label) pairs some relation of the schema allows, in a fixed order."""
    return sorted({(s, t) for rel in schema.relations for s in rel.sources for t in rel.targets})


def candidates(view: ParagraphView, schema: Schema, cap: int = DISTANCE_CAP) -> list[Candidate]:
    """Ordered mention pairs of one paragraph with schema-allowed labels, at most `cap` tokens apart."""
    pairs = set(allowed_pairs(schema))
    out = []
    for a in view.mentions:
        for b in view.mentions:
            if a.id != b.id and (a.label, b.label) in pairs:
                d = view.distance(a, b)
                if d <= cap:
                    out.append(Candidate(a, b, d))
    return out


def cheap_features(view: ParagraphView, cand: Candidate, schema: Schema, cap: int,
                   rule_vote: str | None) -> list[float]:
    """Label pair, order, distance, the rules' cue words around the pair, mentions in between,
    and (when `rule_vote` is not None) a one-hot of the type the rules give the pair ('' = none)."""
    a, b = cand.source, cand.target
    gap = view.gap(a, b)
    (lo, _), (_, hi) = sorted([view.chars[a.id], view.chars[b.id]])
    around = view.norm_text[max(0, lo - 12) : lo] + view.norm_text[hi : hi + 12]
    first, second = sorted([view.tokens[a.id], view.tokens[b.id]])
    between = [m for m in view.mentions if first[1] <= view.tokens[m.id][0] and view.tokens[m.id][1] <= second[0]]
    feats = [float((a.label, b.label) == pair) for pair in allowed_pairs(schema)]
    feats += [
        float(a.start < b.start),
        cand.distance / cap,
        math.log1p(cand.distance) / math.log1p(cap),
        float(bool(ANCHOR_CUE.search(gap))),
        float(bool(ANCHOR_CUE.search(around))),
        float(bool(LEADER_CUE.search(gap))),
        float(bool(LEADER_CUE.search(view.norm_text[view.chars[b.id][1] : view.chars[b.id][1] + 4]))),
        float(bool(MEMBER_CUE.search(gap))),
        min(len(CLAUSE_END.findall(gap)), 3) / 3,
        min(gap.count("，") + gap.count(","), 5) / 5,
        min(sum(m.label == a.label for m in between), 3) / 3,
        min(sum(m.label == b.label for m in between), 3) / 3,
    ]
    if rule_vote is not None:
        feats += [float(rule_vote == name) for name in schema.relation_names]
    return feats


def _mean(states: torch.Tensor, lo: int, hi: int, width: int) -> torch.Tensor:
    return states[lo:hi].mean(0) if hi > lo else torch.zeros(width)


def pair_matrix(views: list[ParagraphView], schema: Schema, cap: int, use_encoder: bool,
                use_rules: bool) -> list[tuple[list[Candidate], torch.Tensor, torch.Tensor]]:
    """Per paragraph: its candidates, their feature rows [n, f] and the mask [n, 1+types] of the
    classes (NONE, then schema relations) each pair's labels allow. With `use_encoder` a row starts
    with the encoder states (from the tagging pass) mean-pooled over each span and the gap."""
    names = schema.relation_names
    out = []
    for view in views:
        st = view.states
        if use_encoder and st is None:
            raise ValueError("relation features need the encoder states: tag the documents with with_states=True")
        cands = candidates(view, schema, cap)
        votes = ({(r.source, r.target): r.type for r in paragraph_relations(view.text, view.mentions, schema)}
                 if use_rules else {})
        rows, masks = [], []
        for c in cands:
            feats = cheap_features(view, c, schema, cap, votes.get((c.source.id, c.target.id), "") if use_rules else None)
            row = torch.tensor(feats)
            if use_encoder:
                width = st.shape[1]
                (a0, a1), (b0, b1) = view.tokens[c.source.id], view.tokens[c.target.id]
                row = torch.cat([_mean(st, a0, a1, width), _mean(st, b0, b1, width),
                                 _mean(st, min(a1, b1), max(a0, b0), width), row])
            rows.append(row)
            masks.append([True] + [schema.allows(n, c.source.label, c.target.label) for n in names])
        out.append((cands, torch.stack(rows) if rows else torch.zeros(0, 0),
                    torch.tensor(masks, dtype=torch.bool).reshape(len(cands), 1 + len(names))))
    return out


class RelationHead(torch.nn.Module):
    """Multinomial logistic regression over standardised pair features. Logits of classes the
    pair's labels do not allow are masked, so an OFFICIAL->CHAIN pair can only be NONE or LEADS."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        return self.linear((x - self.mean) / self.scale).masked_fill(~allowed, float("-inf"))


def decode_pairs(cands: list[Candidate], probs: torch.Tensor, classes: list[str]) -> list[Relation]:
    """The best class of each pair when it is not NONE; then each source keeps its single most
    probable relation, because a metric measures one subject and a company joins one chain in a
    statement (the guide's one-relation-per-statement rule)."""
    best: dict[str, Relation] = {}
    for c, row in zip(cands, probs.tolist()):
        k = max(range(len(row)), key=row.__getitem__)
        if classes[k] == NONE:
            continue
        rel = Relation(c.source.id, c.target.id, classes[k], round(row[k], 4))
        if c.source.id not in best or rel.score > best[c.source.id].score:
            best[c.source.id] = rel
    return list(best.values())


def combine(combination: str, rules: list[Relation], model: list[Relation]) -> list[Relation]:
    """Relations of one paragraph under a combination; in a union a pair the rules read keeps the rules' type."""
    if combination == "rules":
        return rules
    if combination in ("model", "model_rules"):
        return model
    taken = {(r.source, r.target) for r in rules}
    return rules + [r for r in model if (r.source, r.target) not in taken]


class RelationExtractor:
    """Relations of tagged documents with the combination chosen in training.

    `RelationExtractor.load(model_dir, schema)` reads MODEL_DIR/relations/; without that folder it
    falls back to the rules, so every model folder works. A head reads the encoder states the tagger
    kept from its own forward pass (`needs_states`), so the encoder never runs twice."""

    def __init__(self, schema: Schema, combination: str = "rules", head: RelationHead | None = None,
                 cap: int = DISTANCE_CAP) -> None:
        if combination not in COMBINATIONS:
            raise RelationModelError(f"unknown relation combination {combination!r}; expected one of {COMBINATIONS}")
        if combination != "rules" and head is None:
            raise RelationModelError(f"combination {combination!r} needs a trained head")
        self.schema, self.combination, self.head, self.cap = schema, combination, head, cap
        self.classes = [NONE, *schema.relation_names]

    @classmethod
    def load(cls, model_dir: str | Path, schema: Schema) -> RelationExtractor:
        saved = read_relations(Path(model_dir))
        if saved is None:
            return cls(schema)
        settings, state = saved
        head = None
        if settings["combination"] != "rules":
            if settings["classes"] != [NONE, *schema.relation_names]:
                raise RelationModelError(f"{Path(model_dir) / RELATIONS_DIR}: trained for relations "
                                         f"{settings['classes'][1:]}, the model's schema has others; retrain with "
                                         "`python -m train relations --model ...`")
            if state is None:
                raise RelationModelError(f"{Path(model_dir) / RELATIONS_DIR}: combination {settings['combination']!r} "
                                         "but no head weights; retrain with `python -m train relations --model ...`")
            head = RelationHead(state["linear.weight"].shape[1], len(settings["classes"]))
            head.load_state_dict(state)
            head.eval()
        return cls(schema, settings["combination"], head, settings["cap"])

    @property
    def needs_states(self) -> bool:
        """True when the tagger must keep its encoder states for this extractor."""
        return self.combination != "rules"

    @property
    def uses_rule_features(self) -> bool:
        return self.combination == "model_rules"

    def relations(self, docs: list[Doc]) -> list[list[Relation]]:
        """Relations of each tagged document (entities filled; states too when `needs_states`),
        paragraph by paragraph."""
        items = [(d, para, inside) for d, doc in enumerate(docs) for para, inside in paragraph_mentions(doc)]
        found = [paragraph_relations(para.text, inside, self.schema) for _, para, inside in items]
        if self.combination != "rules":
            views = [ParagraphView(docs[d], para, inside) for d, para, inside in items]
            with torch.inference_mode():
                matrices = pair_matrix(views, self.schema, self.cap, True, self.uses_rule_features)
                found = [combine(self.combination, rule_rels,
                                 decode_pairs(cands, self.head(x, allowed).softmax(-1), self.classes) if cands else [])
                         for rule_rels, (cands, x, allowed) in zip(found, matrices)]
        out: list[list[Relation]] = [[] for _ in docs]
        for (d, _, _), rels in zip(items, found):
            out[d] += rels
        return out
