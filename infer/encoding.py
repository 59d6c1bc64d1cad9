"""Characters to token ids, and documents to overlapping windows.

The tagger works on characters: each non-space character of the (normalised) text becomes
exactly one token, whatever tokenizer the encoder ships with, so character offsets and token
positions are the same thing up to skipped whitespace. Training and inference share this code.
"""
from __future__ import annotations

from dataclasses import dataclass


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


def token_positions(text: str) -> list[int]:
    """Indices of the characters of `text` that become tokens: one per non-space character."""
    return [i for i, ch in enumerate(text) if not ch.isspace()]


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


def owner_windows(n_tokens: int, spans: list[Window]) -> list[int]:
    """For each token, the window that sees it farthest from an edge (used to merge predictions)."""
    best = [-1] * n_tokens
    margin = [-1] * n_tokens
    for w_index, w in enumerate(spans):
        for t in range(w.start, w.end):
            m = min(t - w.start, w.end - 1 - t)
            if m > margin[t]:
                margin[t], best[t] = m, w_index
    return best
