"""Helpers the post-edit modules share: span construction, the taken-character set, the characters that
end a list item or a sentence, place names at a position, and the `、` items of a list."""
from __future__ import annotations

import re

from infer.places import PLACES
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


# Places (infer/places.py) with their optional level suffix, where names, list items and projects start.
PLACE_SUFFIX = "省市县区州盟旗"
MAX_PLACE = max(len(p) for p in PLACES)
# Where a `、` list's last item ends: at 等, 这样 or a number (…、3个株洲中车项目).
LIST_CLOSE = re.compile(r"等|这样|[超近约达逾]?[0-9０-９]")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _place_at(text: str, at: int) -> int:
    """The length of the longest place name (with an optional 省/市/县/区 … suffix) at `at`, else 0."""
    for n in range(min(MAX_PLACE, len(text) - at), 1, -1):
        if text[at : at + n] in PLACES:
            return n + (1 if text[at + n : at + n + 1] in set(PLACE_SUFFIX) else 0)
    return 0


def _list_items(text: str, at: int) -> list[tuple[int, int]]:
    """The `、` items (start, end) of the clause around `at` (a clause ends at any other break; the
    last item at LIST_CLOSE)."""
    lo = at
    while lo > 0 and (text[lo - 1] not in BREAKS or text[lo - 1] == "、"):
        lo -= 1
    hi = at
    while hi < len(text) and (text[hi] not in BREAKS or text[hi] == "、"):
        hi += 1
    items, start = [], lo
    for k in range(lo, hi + 1):
        if k == hi or text[k] == "、":
            items.append((start, k))
            start = k + 1
    start, end = items[-1]  # the last item ends where the list does: at 等, a count or 这样 (…、河北旅投等大型企业)
    close = LIST_CLOSE.search(text, start, end)
    items[-1] = (start, close.start() if close else end)
    return items
