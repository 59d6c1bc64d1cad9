"""Rule-based relations: the baseline extractor used when a model gives none.

Each rule reads one explicit statement inside one paragraph, as the guide annotates them:
  ANCHORS    以X为链主的Y / 作为Y“链主”企业，X / X…Y产业链…链主   (a 链主 cue between or next to the pair)
  LEADS      Y产业链链长X                                          (链长 right after the chain, official next)
  MEMBER_OF  X加入/融入/入链/配套…Y                                (a joining verb between company and chain)
  MEASURES   Y…营收增长17.2%                                       (metric right after its company/chain, same clause)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from infer.documents import split_paragraphs

CLAUSE_END = re.compile(r"[。；！？\n]")
ANCHOR_CUE = "链主"
LEADER_CUE = "链长"
MEMBER_CUE = re.compile(r"加入|融入|入链|纳入|配套|进入|链上")
MAX_GAP = 30


@dataclass(frozen=True)
class Mention:
    id: str
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Relation:
    source: str
    target: str
    type: str
    score: float


def _same_clause(text: str, a: Mention, b: Mention) -> bool:
    lo, hi = min(a.end, b.end), max(a.start, b.start)
    return not CLAUSE_END.search(text, lo, hi) if lo < hi else True


def _gap(text: str, a: Mention, b: Mention) -> str:
    first, second = (a, b) if a.start < b.start else (b, a)
    return text[first.end : second.start]


def _nearest(candidates: list[Mention], anchor: Mention, text: str, before: bool) -> Mention | None:
    pool = [c for c in candidates if (c.end <= anchor.start if before else c.start >= anchor.end)
            and _same_clause(text, c, anchor) and len(_gap(text, c, anchor)) <= MAX_GAP]
    if not pool:
        return None
    return max(pool, key=lambda c: c.end) if before else min(pool, key=lambda c: c.start)


def paragraph_relations(text: str, mentions: list[Mention]) -> list[Relation]:
    """Relations the rules read in one paragraph (mentions' offsets are into `text`)."""
    by_label: dict[str, list[Mention]] = {}
    for m in mentions:
        by_label.setdefault(m.label, []).append(m)
    companies, chains = by_label.get("COMPANY", []), by_label.get("CHAIN", [])
    officials, metrics = by_label.get("OFFICIAL", []), by_label.get("METRIC", [])
    found: dict[tuple[str, str], Relation] = {}

    def add(source: Mention, target: Mention, kind: str) -> None:
        found.setdefault((source.id, target.id), Relation(source.id, target.id, kind, 1.0))

    for company in companies:
        for chain in chains:
            if not _same_clause(text, company, chain):
                continue
            gap = _gap(text, company, chain)
            if len(gap) > MAX_GAP:
                continue
            after = text[max(company.end, chain.end) : max(company.end, chain.end) + 12]
            before = text[max(0, min(company.start, chain.start) - 12) : min(company.start, chain.start)]
            if ANCHOR_CUE in gap or (ANCHOR_CUE in after and company.start < chain.start) or (
                    ANCHOR_CUE in before and chain.start < company.start):
                add(company, chain, "ANCHORS")
            elif MEMBER_CUE.search(gap) and company.start < chain.start:
                add(company, chain, "MEMBER_OF")
    for chain in chains:
        tail = text[chain.end : chain.end + 4]
        if LEADER_CUE in tail:
            official = _nearest(officials, chain, text, before=False)
            if official is not None and official.start - chain.end <= 12:
                add(official, chain, "LEADS")
    for metric in metrics:
        target = _nearest(companies + chains, metric, text, before=True)
        if target is not None and not any(m.start > target.end and m.end <= metric.start for m in metrics):
            if len(_gap(text, target, metric)) <= 8:
                add(metric, target, "MEASURES")
    return list(found.values())


def rule_relations(text: str, mentions: list[Mention]) -> list[Relation]:
    """Rule relations of a whole document, paragraph by paragraph."""
    relations: list[Relation] = []
    for para in split_paragraphs(text):
        end = para.offset + len(para.text)
        inside = [Mention(m.id, m.start - para.offset, m.end - para.offset, m.label)
                  for m in mentions if para.offset <= m.start and m.end <= end]
        relations += paragraph_relations(para.text, inside)
    return relations
