"""Text normalisation for the model, with a map back to the original characters.

Real reports are noisy: traditional script with inline pinyin (`實(shí)施`), newspaper hard
line-wraps inside sentences, words broken across paragraphs, full-width digits. The model sees
a cleaned text; every cleaned character remembers the one original character it came from, so a
span predicted on the cleaned text points at the caller's original characters. All operations
are one-to-one character rewrites or deletions, never insertions, which keeps the map a simple
increasing list of original indices.
"""
from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# Inline pinyin right after a hanzi: `實(shí)` or `實（shí）`, at least one tone-marked vowel.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = re.compile(
    rf"(?<=[\u3400-\u9fff])[(（][a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*[)）]"
)
# A line break between two pieces of one sentence: whitespace holding at least one newline,
# after a character that does not end a sentence or heading, before a character that continues it.
_BREAK = re.compile(r"[ \t\u3000]*\n\s*")
_ENDS = set("。！？；：!?;:…」』”】》)）|■□●◆◇★☆")
_LINE_MIN = 8  # shorter lines are headings, captions or bylines, not wrapped prose


def _is_continuation(ch: str) -> bool:
    return ch.isalnum() or "\u3400" <= ch <= "\u9fff" or ch in "“‘（(《【"


@lru_cache(maxsize=65536)
def normalize_char(ch: str) -> str:
    """One character for the model: simplified script, half-width ASCII digits/letters/%."""
    code = ord(ch)
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A or ch in "％．":
        return chr(code - 0xFEE0)
    if ch == "\u3000":
        return " "
    if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
        simple = _T2S.convert(ch)
        if len(simple) == 1:
            return simple
    return ch


@dataclass(frozen=True)
class NormalizedText:
    """The cleaned text and, for each of its characters, the index of its original character
    (`origin`, increasing) and, for a hanzi that carried inline pinyin, the end of the original
    stretch it stands for (`carried`: a span ending in `業(yè)` keeps its pinyin as the annotators do).

    `origin` is a 4-byte array, not a list of Python ints: a 5-million-character document costs
    20 MB here instead of about 200 MB, so memory beyond the text itself stays small."""

    original: str
    text: str
    origin: array
    carried: dict[int, int]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty span [start, end) of the cleaned text to the original text."""
        last = self.origin[end - 1]
        return self.origin[start], self.carried.get(last, last + 1)

    def to_normalized(self, start: int, end: int) -> tuple[int, int] | None:
        """Map an original span to the cleaned characters it keeps (None if it keeps none)."""
        lo = bisect.bisect_left(self.origin, start)
        hi = bisect.bisect_left(self.origin, end)
        return (lo, hi) if hi > lo else None


def _deleted(text: str) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """Stretches [start, end) to drop, sorted and disjoint, and the original end of each hanzi that
    carries inline pinyin."""
    gone: list[tuple[int, int]] = []
    carried: dict[int, int] = {}
    for match in _PINYIN.finditer(text):
        gone.append((match.start(), match.end()))
        carried[match.start() - 1] = match.end()
    for match in _BREAK.finditer(text):
        start, end = match.start(), match.end()
        if start == 0 or end >= len(text):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        before, after = text[start - 1], text[end]
        if before not in _ENDS and _is_continuation(after) and start - line_start >= _LINE_MIN:
            gone.append((start, end))
    gone.sort()  # a pinyin match never holds a newline and a break never holds a bracket: disjoint
    return gone, carried


def normalize(text: str) -> NormalizedText:
    """Clean `text` for the model: drop inline pinyin, join hard-wrapped lines, simplify, half-width.

    Work and memory are linear in the text: the kept stretches are copied whole (a translation
    table over the text's distinct characters, not a Python object per character)."""
    gone, carried = _deleted(text)
    table = {ord(ch): normalize_char(ch) for ch in set(text)}
    origin = array("i")
    pieces = []
    at = 0
    for start, end in [*gone, (len(text), len(text))]:
        if start > at:
            origin.extend(range(at, start))
            pieces.append(text[at:start].translate(table))
        at = max(at, end)
    return NormalizedText(text, "".join(pieces), origin, carried)
