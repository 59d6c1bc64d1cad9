"""Where a METRIC starts, reranked (issue 14 item 5's span reranker for METRIC candidates).

Most of the tagger's METRIC errors left after the post-edits are a wrong start with the right end
(`签约3543亿元` for `项目签约3543亿元`, `玉米全产业链产值达到100亿元` for `产值达到100亿元`). A small log-linear
model, fitted on the training split's gold METRIC spans (train/start_reranker.py), scores each position a
METRIC could start at by its context; the tagger's own start gets `tagger_weight` on top, so a start
moves only where the context speaks clearly against it. The model folder keeps it as
`metric_reranker.json`; a folder without that file tags as before.

Measured with `python -m bench.metric_reranker` (dev only; figures in the shipped model's card): with
tagger_weight 3 the three LAC seeds' dev METRIC F1 rose by 0.0057, 0.0094 and 0.0057 (3-5 starts fixed,
none broken on seed 42); on seed 42, weights 2.5-4 gave +0.0019 to +0.0057, 0-1 lost up to 0.034 (the
context model alone is far weaker than the tagger). The tagger's CRF span marginal as a third term scored
one span more on seeds 43 and 44 and one less on seed 42, at the cost of a constrained forward pass per
METRIC: not used.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infer.postedit.common import BREAKS
from infer.postedit.metric import VALUE_CHAR
from infer.spans import Span

FILE = "metric_reranker.json"
CLAUSE_BREAKS = BREAKS - {"、"}  # a METRIC may hold a `、` (`清理退出、盘活优化各类项目资金140亿元`)
LEFT = 10  # characters a start may move back
RIGHT = 10  # ... and forward (never into the value)


def candidate_starts(text: str, start: int, end: int, left: int = LEFT, right: int = RIGHT) -> list[int]:
    """Starts a METRIC [start, end) could have: back up to `left` characters (not past a clause break),
    forward up to `right` but not past its value's first numeral (a bare value is a candidate)."""
    low = start
    while low > 0 and start - low < left and text[low - 1] not in CLAUSE_BREAKS:
        low -= 1
    value = VALUE_CHAR.search(text, start, end)
    high = min(value.start() if value else end - 1, start + right)
    return list(range(low, max(high, start) + 1))


def _kind(char: str) -> str:
    if char in BREAKS:
        return "break"
    if VALUE_CHAR.match(char):
        return "numeral"
    return "latin" if re.match(r"[A-Za-z]", char) else char


def start_features(text: str, start: int, end: int) -> list[str]:
    """The context of a METRIC [start, end) as feature names: one and two characters before the start,
    one to three from it, their kinds, the indicator's length up to the value, whether the start opens a
    clause, and whether the indicator holds a `、`."""
    before1 = text[start - 1] if start > 0 else "^"
    before2 = text[max(0, start - 2) : start] if start > 1 else "^" + before1
    after2 = text[start : start + 2]
    value = VALUE_CHAR.search(text, start, end)
    indicator = text[start : value.start() if value else end]
    length, opens = min(len(indicator), 8), before1 in BREAKS or start == 0
    return [f"b1={before1}", f"b2={before2}", f"a1={text[start]}", f"a2={after2}", f"a3={text[start:start + 3]}",
            f"b1a1={before1}{text[start]}", f"kind_b1={_kind(before1)}", f"kind_a1={_kind(text[start])}",
            f"len={length}", f"opens={opens}", f"enum={'、' in indicator}", f"b2a2={before2}|{after2}",
            f"len_opens={length}|{opens}", "bias"]


@dataclass
class StartReranker:
    label: str
    weights: dict[str, float]
    tagger_weight: float

    def score(self, text: str, start: int, end: int) -> float:
        return sum(self.weights.get(f, 0.0) for f in start_features(text, start, end))

    def __call__(self, text: str, spans: list[Span],
                 extra: Callable[[list[int], int], list[float]] | None = None) -> list[Span]:
        """`spans` (in text order) with each `label` span's start moved to its best candidate, never into
        the span before it; ids, scores and order are kept. `extra(starts, end)`, when given, adds a score
        to each candidate (bench.metric_reranker's CRF term)."""
        out: list[Span] = []
        for span in spans:
            if span.label == self.label:
                floor = out[-1].end if out else 0
                starts = [s for s in candidate_starts(text, span.start, span.end) if s >= floor]
                added = extra(starts, span.end) if extra else [0.0] * len(starts)
                scores = [self.score(text, s, span.end) + self.tagger_weight * (s == span.start) + a
                          for s, a in zip(starts, added)]
                best = starts[scores.index(max(scores))]
                if best != span.start:
                    span = Span(best, span.end, span.label, text[best : span.end], span.score, span.id)
            out.append(span)
        return out

    def save(self, folder: Path) -> None:
        data = {"label": self.label, "tagger_weight": self.tagger_weight, "weights": self.weights}
        (folder / FILE).write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> StartReranker | None:
        """The folder's reranker, or None when it has none."""
        path = folder / FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["label"], data["weights"], data["tagger_weight"])
