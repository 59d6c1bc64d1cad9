"""Choosing report passages to annotate: the active-learning loop chain-ie offers its users.

1. Cut every document of an archive into passages (250-700 characters at paragraph/sentence ends)
   and drop those that mention an excluded term (e.g. the seed city).
2. Score each passage's *cues* for the rare things a model learns least from plain reports: 链长 and
   链主 statements, company names, official titles, chain lists, numbers with units.
3. Tag the best-cued candidates with the current model and rank by least confidence (the lowest span
   score in the passage, as `labelstudio preannotate` ranks tasks) plus label diversity.
4. Pick greedily: every passage with a 链长/链主 statement first, then one passage per uncovered
   region and kind, then by rank, at most `per_doc` passages per document.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from train.corpus import Passage, archive_documents, cut_passages, make_passage, read_manifest

CUES = {
    "statement": re.compile(r"链长|链主"),
    "company": re.compile(r"有限公司|股份|集团|公司"),
    # a title followed by a 2-3 character name, or a name followed by 总书记
    "official": re.compile(r"(?:书记|省长|市长|县长|区长|局长|厅长|部长|主任|主席|总理|链长)[\u4e00-\u9fa5]{2,3}(?=[，。、在说表强指到主])"
                           r"|[\u4e00-\u9fa5]{2,3}总书记"),
    # named chains (X产业链) and the items of chain lists (A、B、C等N条产业链)
    "chain": re.compile(r"(?<![全重点优势现代主导特色条、])[\u4e00-\u9fa5（）()+]{2,10}产业链(?!供应链|主)"
                        r"|[\u4e00-\u9fa5（）()+]{2,12}(?=、)(?=[^。；]{0,80}(?:产业链|产业链条|链条))"),
    "metric": re.compile(r"\d+(?:\.\d+)?\s*(?:%|个百分点|亿元|万元|万吨|吨|家|个|辆|亿千瓦时|万千瓦)"),
}


@dataclass
class Candidate:
    passage: Passage
    cues: Counter
    uncertainty: float = 0.0  # 1 - the least confident predicted span's score
    labels: Counter = field(default_factory=Counter)  # predicted spans per label

    @property
    def statement(self) -> bool:
        return self.cues["statement"] > 0

    def priority(self) -> float:
        """Least confident first, then label diversity and rare cues."""
        kinds = sum(1 for k in ("company", "official", "chain", "metric") if self.cues[k]) + len(self.labels)
        return (self.uncertainty + 0.05 * kinds + 0.03 * min(self.cues["company"], 8)
                + 0.06 * min(self.cues["official"], 6))


def candidates(archive: Path, exclude: list[str], low: int = 250, high: int = 700) -> list[Candidate]:
    """Every passage of every archive file with its cue counts (passages with an excluded term dropped)."""
    manifest = read_manifest(archive)
    files = sorted(p.name for p in Path(archive).glob("*.txt"))
    out = []
    for source in files:
        for doc, text in enumerate(archive_documents(archive, source)):
            for start, end in cut_passages(text, low, high):
                chunk = text[start:end]
                if any(term in chunk for term in exclude):
                    continue
                cues = Counter({name: len(rx.findall(chunk)) for name, rx in CUES.items()})
                if cues["metric"] or cues["statement"] or cues["company"] or cues["chain"]:
                    out.append(Candidate(make_passage(archive, source, doc, start, end, manifest), cues))
    return out


def cue_score(c: Candidate, focus: str | None = None) -> float:
    """How many rare things a passage promises; `focus` (a CUES name) weighs one kind five times."""
    w = {"statement": 5.0, "company": 1.0, "official": 3.0, "chain": 1.5, "metric": 0.5}
    return sum(w[k] * (5 if k == focus else 1) * min(n, 8) for k, n in c.cues.items())


def rank_with_model(cands: list[Candidate], tagger, archive: Path, batch: int = 64) -> None:
    """Fill each candidate's uncertainty and predicted label counts from the tagger."""
    from tqdm import tqdm

    for i in tqdm(range(0, len(cands), batch), desc="tagging candidates", unit="batch"):
        part = cands[i : i + batch]
        texts = [archive_documents(archive, c.passage.source)[c.passage.doc][c.passage.start : c.passage.end]
                 for c in part]
        for c, ents in zip(part, tagger.predict(texts)):
            c.labels = Counter(e.label for e in ents)
            # Spans a post-edit made carry no model score: they say nothing about confidence.
            c.uncertainty = 1.0 - min((e.score for e in ents if e.score is not None), default=1.0)


def select(cands: list[Candidate], count: int, per_doc: int = 2) -> list[Candidate]:
    """The greedy pick described in the module docstring."""
    chosen: list[Candidate] = []
    per: Counter = Counter()
    taken: set[str] = set()

    def take(c: Candidate, capped: bool = True) -> bool:
        if c.passage.id in taken or (capped and per[c.passage.document] >= per_doc) or len(chosen) >= count:
            return False
        chosen.append(c)
        taken.add(c.passage.id)
        per[c.passage.document] += 1
        return True

    ranked = sorted(cands, key=lambda c: (-c.priority(), c.passage.id))
    for c in ranked:
        if c.statement:  # every 链长/链主 statement, whatever the per-document cap
            take(c, capped=False)
    for key in ("region", "kind"):
        seen = {getattr(c.passage, key) for c in chosen}
        for c in ranked:
            if getattr(c.passage, key) not in seen and take(c):
                seen.add(getattr(c.passage, key))
    for c in ranked:
        take(c)
    return chosen
