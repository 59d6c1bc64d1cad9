"""Helpers every post-edit module shares: span construction, the taken-character set, and the characters
that end a list item or a sentence."""
from __future__ import annotations

from infer.spans import Span

# Characters that end a list item, a name or a title fragment.
BREAKS = set("，。；：、！？,.;:!?（）()“”‘’\"《》〔〕【】\n\r\t 　")


def _span(text: str, start: int, end: int, label: str, score: float | None = None, id: str = "") -> Span:
    return Span(start, end, label, text[start:end], score, id)


class _Taken:
    """The characters of a text that spans cover (linear in the text, whatever the number of spans)."""

    def __init__(self, text: str, spans: list[Span]) -> None:
        self.chars = bytearray(len(text))
        for span in spans:
            self.take(span.start, span.end)

    def free(self, start: int, end: int) -> bool:
        return not any(self.chars[start:end])

    def take(self, start: int, end: int) -> None:
        self.chars[start:end] = b"\x01" * (end - start)


def _in_order(spans: list[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.start, s.end))


def _with(text: str, span: Span, start: int, end: int) -> Span:
    return _span(text, start, end, span.label, span.score, span.id)


def _joined(text: str, first: Span, second: Span) -> Span:
    """One span from `first`'s start to `second`'s end, with `first`'s label and id and the lower of their
    scores (a joined name is as sure as its less sure piece)."""
    scores = [s for s in (first.score, second.score) if s is not None]
    return _span(text, first.start, second.end, first.label, min(scores) if scores else None, first.id)


SENTENCE_ENDS = "。！？；\n"


def run_edits(edits: tuple, text: str, spans: list[Span], label: str) -> list[Span]:
    """A label's boundary edits, each on the spans the one before it left (the order matters: a place
    stripped first lets the rest of a company name be completed, a chain's suffix completed first lets
    `industries` ask whether it ends in 产业)."""
    for edit in edits:
        spans = edit(text, spans, label)
    return spans
