"""The one span type: gold regions, the tagger's predictions, relation mentions and report rows.

A span is a stretch [start, end) of some text with a label. Where it came from decides which of
the other fields are filled: gold has its Label Studio region id and text, a prediction its score,
a mention in a document its entity id (e1, e2, ...). Offsets are Python character offsets into
whatever text the span was found in (a document, a paragraph, or a token sequence in decoding).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    text: str = ""
    score: float | None = None
    id: str = ""

    @property
    def key(self) -> tuple[int, int, str]:
        """(start, end, label): what strict scoring compares, whatever the id, text or score."""
        return self.start, self.end, self.label

    def shifted(self, offset: int) -> Span:
        """The same span with its offsets moved by -`offset` (document offsets -> paragraph offsets)."""
        return Span(self.start - offset, self.end - offset, self.label, self.text, self.score, self.id)
