"""BIO decoding that never invents spans.

Repair rule (the conlleval convention, made explicit): a span starts at every B-X, and at an
I-X that does not continue a span of type X (I-X after O, or after a span of another type);
a span ends before the next B-, O or tag of another type. So every predicted span is a maximal
run of tokens whose tags name the same type, split at each B-: no token tagged O ever joins a
span, and the repaired sequence is what a valid IOB2 tagger with the same per-token types
would output. A span's score is the mean probability of its tokens' predicted tags.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
import torch

from infer.spans import Span


def decode(tags: Iterable[str], probs: Sequence[float]) -> list[Span]:
    """Spans (token offsets) from per-token IOB2 tags (possibly ill-formed; any iterable, so a long
    document's tags need not be a list) and each tag's probability."""
    spans: list[Span] = []
    start, label = -1, ""

    def close(end: int) -> None:
        if start >= 0:
            window = probs[start:end]
            spans.append(Span(start, end, label, score=float(sum(window) / len(window))))

    n = 0
    for i, tag in enumerate(tags):
        n = i + 1
        prefix, _, kind = tag.partition("-")
        if prefix == "O" or not kind:
            close(i)
            start, label = -1, ""
        elif prefix == "B" or kind != label:
            close(i)
            start, label = i, kind
    close(n)
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


def viterbi(emissions: torch.Tensor, lengths: list[int], transitions: torch.Tensor, start: torch.Tensor,
            end: torch.Tensor) -> list[list[int]]:
    """Best tag path of each row's first `lengths[i]` emissions [batch, time, tags], batched over rows."""
    emissions = emissions.float()
    steps = max(lengths)
    if steps == 0:
        return [[] for _ in lengths]
    live = torch.arange(steps).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)  # [batch, time]
    best = start + emissions[:, 0]
    back = []
    for t in range(1, steps):
        cand, idx = (best.unsqueeze(2) + transitions).max(1)
        best = torch.where(live[:, t : t + 1], cand + emissions[:, t], best)
        back.append(idx)
    last = (best + end).argmax(-1).tolist()
    back_rows = torch.stack(back, 1).tolist() if back else [[] for _ in lengths]
    paths = []
    for row, n in enumerate(lengths):
        if n == 0:
            paths.append([])
            continue
        tag = last[row]
        path = [tag]
        for t in range(n - 2, -1, -1):
            tag = back_rows[row][t][tag]
            path.append(tag)
        paths.append(path[::-1])
    return paths


def bio_constraints(id2label: dict[int, str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(transitions, start) scores that forbid invalid IOB2: I-X only after B-X or I-X, never first.

    A per-token softmax tagger trained on little data is unsure where a span begins: it often
    gives the first character O and the next ones I-X, which the repair rule turns into a span
    one character short. Decoding its log-probabilities under these constraints picks the best
    valid sequence instead, so that first character becomes B-X when that is the likelier reading.
    """
    n = len(id2label)
    forbid = float("-inf")
    transitions = torch.zeros(n, n)
    start = torch.zeros(n)
    for j in range(n):
        tag = id2label[j]
        if tag.startswith("I-"):
            start[j] = forbid
            for i in range(n):
                if id2label[i] not in (f"B-{tag[2:]}", tag):
                    transitions[i, j] = forbid
    return transitions, start
