"""Characters to token ids, and documents to overlapping windows.

The tagger works on characters: each non-space character of the (normalised) text becomes
exactly one token, whatever tokenizer the encoder ships with, so character offsets and token
positions are the same thing up to skipped whitespace. Training and inference share this code.
"""
from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass

_NON_SPACE = re.compile(r"\S+")


class CharEncoder:
    """Maps single characters to token ids through the encoder's own tokenizer (cached)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.cls_id: int = tokenizer.cls_token_id
        self.sep_id: int = tokenizer.sep_token_id
        self.pad_id: int = tokenizer.pad_token_id
        self.unk_id: int = tokenizer.unk_token_id
        self._cache: dict[str, int] = {}

    def char_id(self, ch: str) -> int:
        found = self._cache.get(ch)
        if found is None:
            pieces = self.tokenizer.tokenize(ch)
            found = self.tokenizer.convert_tokens_to_ids(pieces[0]) if pieces else self.unk_id
            self._cache[ch] = found
        return found

    def encode(self, text: str) -> tuple[list[int], list[int]]:
        """Token ids of the non-space characters of `text`, and those characters' indices."""
        positions = token_positions(text)
        return self.ids(text, positions), positions

    def ids(self, text: str, positions: list[int]) -> list[int]:
        """Token ids of the characters of `text` at `positions` (a Doc carries its positions already)."""
        cache, char_id = self._cache, self.char_id  # the cache answers almost every character
        return [cache[ch] if ch in cache else char_id(ch) for ch in map(text.__getitem__, positions)]


def token_positions(text: str) -> array:
    """Indices of the characters of `text` that become tokens: one per non-space character (a
    4-byte array: a long document's positions cost 4 bytes a character, not a Python int each)."""
    positions = array("i")
    for run in _NON_SPACE.finditer(text):
        positions.extend(range(run.start(), run.end()))
    return positions


@dataclass(frozen=True)
class Window:
    start: int  # first token index in the document
    end: int  # one past the last token index


def windows(n_tokens: int, size: int, stride: int) -> list[Window]:
    """Overlapping windows of at most `size` tokens covering `n_tokens`; consecutive windows
    overlap by `stride` tokens so every token has context on both sides in some window."""
    if size <= stride:
        raise ValueError(f"window size {size} must exceed stride {stride}")
    if n_tokens <= size:
        return [Window(0, n_tokens)]
    out: list[Window] = []
    start = 0
    while True:
        end = min(start + size, n_tokens)
        out.append(Window(start, end))
        if end == n_tokens:
            return out
        start = end - stride


def _owner(t: int, spans: list[Window], starts: list[int]) -> int:
    """The window that sees token `t` farthest from an edge (the earliest on a tie)."""
    best, margin = -1, -1
    for w_index in range(bisect_right(starts, t) - 1, -1, -1):
        w = spans[w_index]
        if w.end <= t:
            break
        m = min(t - w.start, w.end - 1 - t)
        if m >= margin:
            best, margin = w_index, m
    return best


def owned_runs(spans: list[Window]) -> list[tuple[int, int]]:
    """For each window, the tokens [lo, hi) whose prediction it gives: those it sees farthest from an
    edge (the earliest window on a tie), so every token has context on both sides where it can.

    The owner of a token never decreases along the text, so each window owns one run, found by
    binary search on the token index: no per-token list, whatever the document's length."""
    starts = [w.start for w in spans]
    n = spans[-1].end if spans else 0

    def first_owned_by_at_least(w_index: int) -> int:
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if _owner(mid, spans, starts) >= w_index:
                hi = mid
            else:
                lo = mid + 1
        return lo

    bounds = [first_owned_by_at_least(w) for w in range(len(spans))] + [n]
    return list(zip(bounds, bounds[1:]))
