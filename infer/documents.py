"""Documents and paragraphs.

A paragraph is the unit of annotation (one Label Studio task) and of relations: a block of
lines between blank lines. Newspaper pages hard-wrap sentences inside such a block, so the
lines of a block stay together; a block longer than MAX_BLOCK characters is a page with no
blank lines at all (seed 003) and is split at its line breaks instead. Every paragraph keeps its
character offset in the document so spans map back to the article.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BLOCK = 600
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
                pieces.append((s, e))
            line_start += len(line) + 1
    return [Paragraph(i, s, text[s:e]) for i, (s, e) in enumerate(pieces)]
