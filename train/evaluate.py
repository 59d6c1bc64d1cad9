"""Span-level evaluation with seqeval (mode="strict", scheme=IOB2) on the original paragraphs.

Gold and predicted spans are both written as IOB2 tags over the non-space characters of the
original paragraph text, so the score judges exactly what a user gets from `python -m infer`
(normalisation, windows and decoding included), not an intermediate tokenisation.
"""
from __future__ import annotations

import bisect

import numpy as np
import torch
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from infer.decode import bio_constraints, encode_bio
from infer.tagger import best_paths
from infer.spans import Span
from train.align import IGNORE
from train.data import Example


def char_tags(text: str, spans: list[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags over the non-space characters of `text` for character spans."""
    positions = [i for i, ch in enumerate(text) if not ch.isspace()]
    token_spans = [
        (bisect.bisect_left(positions, s), bisect.bisect_left(positions, e), label) for s, e, label in spans
    ]
    return encode_bio(len(positions), token_spans)


def score(gold: list[list[str]], pred: list[list[str]], labels: list[str]) -> dict:
    """Per-label and micro/macro precision, recall, F1 and support."""
    report = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    table = {}
    for name in [*labels, "micro avg", "macro avg"]:
        row = report.get(name, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        table[name] = {
            "precision": round(float(row["precision"]), 4),
            "recall": round(float(row["recall"]), 4),
            "f1": round(float(row["f1-score"]), 4),
            "support": int(row["support"]),
        }
    return table


def evaluate_tagger(tagger, examples: list[Example], labels: list[str]) -> dict:
    return score_predictions(examples, tagger.predict([ex.text for ex in examples]), labels)


def score_predictions(examples: list[Example], predictions: list[list[Span]], labels: list[str]) -> dict:
    """The seqeval table of per-example predicted spans against the gold."""
    gold = [char_tags(ex.text, [s.key for s in ex.spans]) for ex in examples]
    pred = [char_tags(ex.text, [e.key for e in ents]) for ex, ents in zip(examples, predictions)]
    return score(gold, pred, labels)


def format_table(table: dict) -> str:
    lines = [f"{'label':<10} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    for name, row in table.items():
        lines.append(f"{name:<10} {row['precision']:>9.4f} {row['recall']:>9.4f} {row['f1']:>9.4f} {row['support']:>8d}")
    return "\n".join(lines)


def metrics_fn(id2label: dict[int, str], labels: list[str], model):
    """Window-level micro-F1 for early stopping, decoded as inference decodes (CRF or constrained)."""
    constraints = bio_constraints(id2label)

    def compute(eval_pred) -> dict:
        logits, gold_ids = eval_pred
        logits = torch.from_numpy(np.asarray(logits, dtype=np.float32))
        sizes = [int((row != IGNORE).sum()) for row in gold_ids]  # labelled tokens sit at 1..n
        paths = best_paths(model, logits, logits.softmax(-1), sizes, constraints)
        gold, pred = [], []
        for path, g_row in zip(paths, gold_ids):
            gold.append([id2label[int(i)] for i in g_row[g_row != IGNORE]])
            pred.append([id2label[i] for i in path])
        table = score(gold, pred, labels)
        return {"f1": table["micro avg"]["f1"], "precision": table["micro avg"]["precision"],
                "recall": table["micro avg"]["recall"]}

    return compute
