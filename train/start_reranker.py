"""Fitting infer/start_reranker.py's context model on a training split's gold METRIC spans.

Each gold span is one choice: its gold start against the other candidate starts of its window
(`candidate_starts` around the gold start), as a softmax over the candidates' summed feature weights.
Full-batch Adam, seeded: 60 steps at a learning rate of 0.25 (about 7 s on 2 cores for the corpus's ~6,500
spans) move the same dev starts as 300 at 0.05 (25 s) for all three LAC seeds' taggers. Weights under
MIN_WEIGHT are left out of the saved file: on dev the pruned model (21k of 107k features) moves the same starts.
"""
from __future__ import annotations

import torch

from infer.start_reranker import StartReranker, candidate_starts, start_features

MIN_WEIGHT = 0.05
STEPS, LEARNING_RATE, L2 = 60, 0.25, 1e-4


def training_groups(examples, label: str) -> list[tuple[list[list[str]], int]]:
    """One group per gold `label` span of `examples`: its candidates' features and the gold start's index."""
    groups = []
    for ex in examples:
        for span in ex.spans:
            if span.label == label:
                starts = candidate_starts(ex.text, span.start, span.end)
                groups.append(([start_features(ex.text, s, span.end) for s in starts], starts.index(span.start)))
    return groups


def fit_weights(groups: list[tuple[list[list[str]], int]], seed: int) -> dict[str, float]:
    """Feature weights of the log-linear model that picks each group's gold candidate."""
    torch.manual_seed(seed)
    names = sorted({f for cands, _ in groups for feats in cands for f in feats})
    index = {name: k for k, name in enumerate(names)}
    flat, offsets, rows, cols = [], [], [], []
    for g, (cands, _) in enumerate(groups):
        for c, feats in enumerate(cands):
            offsets.append(len(flat))
            flat += [index[f] for f in feats]
            rows.append(g)
            cols.append(c)
    table = torch.nn.EmbeddingBag(len(names), 1, mode="sum")
    torch.nn.init.zeros_(table.weight)
    optimizer = torch.optim.Adam(table.parameters(), lr=LEARNING_RATE)
    flat_t, offsets_t, where = torch.tensor(flat), torch.tensor(offsets), (torch.tensor(rows), torch.tensor(cols))
    gold = torch.tensor([g for _, g in groups])
    padded = torch.full((len(groups), max(len(cands) for cands, _ in groups)), -1e4)
    for _ in range(STEPS):
        scores = padded.index_put(where, table(flat_t, offsets_t).squeeze(1))
        loss = torch.nn.functional.cross_entropy(scores, gold) + L2 * table.weight.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return dict(zip(names, table.weight.detach().squeeze(1).tolist()))


def train_start_reranker(examples, label: str, tagger_weight: float, seed: int) -> StartReranker | None:
    """The reranker fitted on `examples`' gold `label` spans (None when they have none)."""
    groups = training_groups(examples, label)
    if not groups:
        return None
    weights = {name: round(w, 4) for name, w in fit_weights(groups, seed).items() if abs(w) >= MIN_WEIGHT}
    return StartReranker(label, weights, tagger_weight)

