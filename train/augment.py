"""Entity-substitution augmentation of the seed gold.

Five articles name only a few dozen companies, officials and chains, so a tagger memorises the
names instead of the contexts (链主企业X, X产业链链长, …). Each augmented copy of a training
paragraph swaps every COMPANY, OFFICIAL and CHAIN span for another mention of the same label,
drawn from the training gold itself and, when given, from CLUENER (companies, and a position
directly followed by a name for officials). METRIC spans stay as they are: their form is the
pattern. Relations keep their span ids, so a copy stays a consistent example.
"""
from __future__ import annotations

import random
from dataclasses import replace

from train.data import Example

SWAPPED = ("COMPANY", "OFFICIAL", "CHAIN")


def mention_pools(examples: list[Example], extra: list[Example] = ()) -> dict[str, list[str]]:
    """Distinct mention texts per swappable label, in first-seen order (deterministic)."""
    pools: dict[str, dict[str, None]] = {label: {} for label in SWAPPED}
    for ex in [*examples, *extra]:
        for span in ex.spans:
            text = ex.text[span.start : span.end]
            if span.label in pools and "\n" not in text and len(text) > 1:
                pools[span.label][text] = None
    return {label: list(texts) for label, texts in pools.items()}


def substitute(ex: Example, pools: dict[str, list[str]], rng: random.Random, copy: int) -> Example | None:
    """A copy of `ex` with its swappable spans replaced; None when it has none."""
    if not any(s.label in pools and pools[s.label] for s in ex.spans):
        return None
    pieces, spans, cursor, shift = [], [], 0, 0
    for span in sorted(ex.spans, key=lambda s: s.start):
        pieces.append(ex.text[cursor : span.start])
        new = rng.choice(pools[span.label]) if pools.get(span.label) else ex.text[span.start : span.end]
        start = span.start + shift
        spans.append(replace(span, start=start, end=start + len(new), text=new))
        pieces.append(new)
        shift += len(new) - (span.end - span.start)
        cursor = span.end
    pieces.append(ex.text[cursor:])
    return Example(source=f"{ex.source} (augmented {copy})", doc=ex.doc, para=ex.para, offset=ex.offset,
                   text="".join(pieces), spans=spans, relations=list(ex.relations))


def augment(examples: list[Example], copies: int, seed: int, extra: list[Example] = ()) -> list[Example]:
    """`copies` substituted versions of every training paragraph that has a swappable span."""
    if copies <= 0:
        return []
    pools = mention_pools(examples, extra)
    rng = random.Random(seed)
    out = []
    for copy in range(copies):
        for ex in examples:
            new = substitute(ex, pools, rng, copy)
            if new is not None:
                out.append(new)
    return out

