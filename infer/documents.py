"""Documents and paragraphs, and the document object the pipeline fills in one pass.

A paragraph is the unit of annotation (one Label Studio task) and of relations: a block of
lines between blank lines. Newspaper pages hard-wrap sentences inside such a block, so the
lines of a block stay together; a block longer than MAX_BLOCK characters is a page with no
blank lines at all (seed 003) and is split at its line breaks instead, and a line longer than
MAX_LINE at its sentence ends. Every paragraph keeps its character offset in the document so spans
map back to the article.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infer.encoding import token_positions
from infer.normalize import NormalizedText, normalize
from infer.spans import Span

if TYPE_CHECKING:
    import torch

    from infer.relations import Relation

MAX_BLOCK = 600
# A line longer than this (a report pasted without line breaks) is cut after its last sentence end
# before the bound (at the bound itself when there is none), so relations and records, which work
# inside one paragraph, cost time and memory in proportion to the document, never its square.
MAX_LINE = 3000
_SENTENCE_END = re.compile(r"[。！？；!?;]")
_BLOCK = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")


@dataclass(frozen=True)
class Paragraph:
    index: int
    offset: int
    text: str


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of `text` with their offsets; `text[p.offset:p.offset+len(p.text)] == p.text`."""
    pieces: list[tuple[int, int]] = []
    for block in _BLOCK.finditer(text):
        start, end = _stripped(text, block.start(), block.end())
        if end - start <= MAX_BLOCK:
            pieces.append((start, end))
            continue
        line_start = start
        for line in text[start:end].split("\n"):
            s, e = _stripped(text, line_start, line_start + len(line))
            if e > s:
                pieces.extend(_cut_long(text, s, e))
            line_start += len(line) + 1
    return [Paragraph(i, s, text[s:e]) for i, (s, e) in enumerate(pieces)]


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) in pieces of at most MAX_LINE characters, each ending at a sentence end where it can."""
    pieces = []
    while end - start > MAX_LINE:
        cut = max((m.end() for m in _SENTENCE_END.finditer(text, start + MAX_LINE // 2, start + MAX_LINE)),
                  default=start + MAX_LINE)
        s, e = _stripped(text, start, cut)
        if e > s:
            pieces.append((s, e))
        start = cut
    s, e = _stripped(text, start, end)
    return pieces + ([(s, e)] if e > s else [])


@dataclass
class Doc:
    """One document as it flows through the pipeline, filled in one pass.

    `prepare` normalises the text and splits its paragraphs once; the tagger adds the entities (and,
    when a relation head will read them, the encoder's last hidden states, one row per token); the
    relation step reads paragraphs, normalised text, token positions and states from here, and the
    records step the normalised text and paragraphs, so no later step normalises or encodes again.
    Entity offsets are into `text`; token i is the character `norm.text[positions[i]]`."""

    id: str
    text: str
    norm: NormalizedText
    paragraphs: list[Paragraph]
    positions: list[int]
    entities: list[Span] = field(default_factory=list)
    states: torch.Tensor | None = None
    relations: list[Relation] = field(default_factory=list)
    records: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The document's output line of `python -m infer` (entities, relations, records; scores when known)."""
        entities = []
        for e in self.entities:
            row = {"id": e.id, "start": e.start, "end": e.end, "label": e.label, "text": self.text[e.start : e.end]}
            if e.score is not None:
                row["score"] = e.score
            entities.append(row)
        relations = []
        for r in self.relations:
            row = {"from": r.source, "to": r.target, "type": r.type}
            if r.score is not None:
                row["score"] = r.score
            relations.append(row)
        return {"id": self.id, "entities": entities, "relations": relations, "records": self.records}


def prepare(doc_id: str, text: str, paragraphs: list[Paragraph] | None = None) -> Doc:
    """A document ready for the pipeline: normalised once, split into paragraphs once (or the given
    ones: a training example is one paragraph by construction)."""
    norm = normalize(text)
    return Doc(doc_id, text, norm, split_paragraphs(text) if paragraphs is None else paragraphs,
               token_positions(norm.text))
