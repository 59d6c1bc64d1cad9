"""BIO decoding that never invents spans.

Repair rule (the conlleval convention, made explicit): a span starts at every B-X, and at an
I-X that does not continue a span of type X (I-X after O, or after a span of another type);
a span ends before the next B-, O or tag of another type. So every predicted span is a maximal
run of tokens whose tags name the same type, split at each B-: no token tagged O ever joins a
span, and the repaired sequence is what a valid IOB2 tagger with the same per-token types
would output. A span's score is the mean probability of its tokens' predicted tags.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenSpan:
    start: int  # first token index
    end: int  # one past the last token index
    label: str
    score: float


def decode(tags: Sequence[str], probs: Sequence[float]) -> list[TokenSpan]:
    """Spans from per-token IOB2 tags (possibly ill-formed) and each tag's probability."""
    spans: list[TokenSpan] = []
    start, label = -1, ""

    def close(end: int) -> None:
        if start >= 0:
            window = probs[start:end]
            spans.append(TokenSpan(start, end, label, float(sum(window) / len(window))))

    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "O" or not kind:
            close(i)
            start, label = -1, ""
        elif prefix == "B" or kind != label:
            close(i)
            start, label = i, kind
    close(len(tags))
    return spans


def encode_bio(length: int, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for `length` tokens from non-overlapping (start, end, label) token spans."""
    tags = ["O"] * length
    for start, end, label in spans:
        if end <= start:
            continue
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags
