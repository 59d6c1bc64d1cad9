"""Entity-substitution augmentation of the gold.

Five articles name only a few dozen companies, officials and chains, so a tagger memorises the
names instead of the contexts (链主企业X, X产业链链长, …). Each augmented copy of a training
paragraph swaps every COMPANY, OFFICIAL and CHAIN span for another mention of the same label,
drawn from the training gold itself and, when given, from CLUENER (companies, and a position
directly followed by a name for officials). METRIC spans stay as they are: their form is the
pattern. Relations keep their span ids, so a copy stays a consistent example.

`swap_names` substitutes in place instead of copying: a fraction of the training paragraphs' names
of some labels (COMPANY by default) are replaced by other names of the same label and form, so the
training set keeps its size (and the main job its time) while fewer of the names it shows are the
ones the tagger could learn by heart. On the multi-region corpus the tagger misses company names it
has never seen in contexts where it finds ones it knows (it tags 海尔集团 and not 传化集团 in the same
sentence).
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable
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


def _replaced(ex: Example, new_text: Callable[[str, str], str], source: str) -> Example:
    """`ex` with each span's text replaced by new_text(label, old text), spans and relations kept on it."""
    pieces, spans, cursor, shift = [], [], 0, 0
    for span in sorted(ex.spans, key=lambda s: s.start):
        pieces.append(ex.text[cursor : span.start])
        new = new_text(span.label, ex.text[span.start : span.end])
        start = span.start + shift
        spans.append(replace(span, start=start, end=start + len(new), text=new))
        pieces.append(new)
        shift += len(new) - (span.end - span.start)
        cursor = span.end
    pieces.append(ex.text[cursor:])
    return Example(source=source, doc=ex.doc, para=ex.para, offset=ex.offset, text="".join(pieces), spans=spans,
                   relations=list(ex.relations))


def substitute(ex: Example, pools: dict[str, list[str]], rng: random.Random, copy: int) -> Example | None:
    """A copy of `ex` with its swappable spans replaced; None when it has none."""
    if not any(s.label in pools and pools[s.label] for s in ex.spans):
        return None
    return _replaced(ex, lambda label, old: rng.choice(pools[label]) if pools.get(label) else old,
                     f"{ex.source} (augmented {copy})")


# A name's form: with a legal or kind suffix (传化集团, 河北一臣畜禽养殖有限公司) or bare (传化, 先导智能). A swap
# keeps the form, so a bare short name inside a project list (衢州先导智能传感器项目) stays a bare short name.
SUFFIXED = re.compile(r"(?:公司|集团|股份|厂|银行|控股|实业|[(（][^)）]*[)）])$")


def swap_names(examples: list[Example], fraction: float, labels: list[str], seed: int,
               extra: list[Example] = ()) -> list[Example]:
    """The training paragraphs with about `fraction` of their `labels` mentions replaced in place by
    another name of the same label and form (`SUFFIXED`), drawn from the training gold and `extra`
    (CLUENER); the same list when `fraction` is 0. Seeded: the same inputs give the same paragraphs."""
    if fraction <= 0:
        return examples
    pools: dict[tuple[str, bool], list[str]] = {}
    for label, texts in mention_pools(examples, extra).items():
        for text in texts:
            pools.setdefault((label, bool(SUFFIXED.search(text))), []).append(text)
    rng = random.Random(seed)

    def swapped(ex: Example) -> Example:
        chosen: dict[str, str] = {}  # a name repeated in the paragraph is replaced by the same name

        def new_text(label: str, old: str) -> str:
            pool = pools.get((label, bool(SUFFIXED.search(old))), [])
            if label not in labels or not pool:
                return old
            if old not in chosen:
                chosen[old] = rng.choice(pool) if rng.random() < fraction else old
            return chosen[old]

        return _replaced(ex, new_text, ex.source)

    return [swapped(ex) if any(s.label in labels for s in ex.spans) else ex for ex in examples]


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

