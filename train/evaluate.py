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
from seqeval.scheme import IOB2, Entities

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


def document_counts(examples: list[Example], predictions: list[list[Span]], labels: list[str]
                    ) -> tuple[list[str], np.ndarray]:
    """Each document's strict true positives, false positives and false negatives per label
    ([documents, labels, 3]), from the same IOB2 entities seqeval scores: summed over all documents
    they give `score`'s P/R/F1."""
    gold = Entities([char_tags(ex.text, [s.key for s in ex.spans]) for ex in examples], IOB2).entities
    pred = Entities([char_tags(ex.text, [e.key for e in ents]) for ex, ents in zip(examples, predictions)],
                    IOB2).entities
    docs = list(dict.fromkeys(ex.doc for ex in examples))
    row = {doc: i for i, doc in enumerate(docs)}
    column = {label: j for j, label in enumerate(labels)}
    counts = np.zeros((len(docs), len(labels), 3), dtype=np.int64)
    for ex, g, p in zip(examples, gold, pred):
        g_keys = {(e.start, e.end, e.tag) for e in g}
        p_keys = {(e.start, e.end, e.tag) for e in p}
        for keys, k in ((g_keys & p_keys, 0), (p_keys - g_keys, 1), (g_keys - p_keys, 2)):
            for *_, tag in keys:
                if tag in column:
                    counts[row[ex.doc], column[tag], k] += 1
    return docs, counts


def _f1(counts: np.ndarray) -> np.ndarray:
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _with_micro(counts: np.ndarray) -> np.ndarray:
    """[documents, labels, 3] counts with the micro row (all labels summed) appended as a last label."""
    return np.concatenate([counts, counts.sum(1, keepdims=True)], axis=1)


def _resampled_f1(counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """F1 of each resampling: `draws` [rounds, documents] picks documents (with replacement) from counts."""
    return _f1(counts[draws].sum(1))


def _draws(documents: int, rounds: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, documents, size=(rounds, documents))


def _interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    return low.round(4), high.round(4)


def bootstrap_f1(counts: np.ndarray, rounds: int = 1000, seed: int = 0, level: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval (low, high) of F1 under resampling documents with replacement, from
    per-document (tp, fp, fn) counts [documents, ..., 3]; the result has the shape of counts[0, ..., 0]."""
    return _interval(_resampled_f1(counts, _draws(len(counts), rounds, seed)), level)


def f1_intervals(examples: list[Example], predictions: list[list[Span]], labels: list[str], rounds: int = 1000,
                 seed: int = 0, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """A percentile bootstrap interval of each label's and the micro F1, resampling documents.

    Why documents: a report's paragraphs share its names, its region and its annotator, so they are
    not independent draws; on a split of a few dozen documents the interval says how far another
    draw of documents could move a figure (e.g. whether 0.67 and 0.70 differ at all)."""
    _, counts = document_counts(examples, predictions, labels)
    low, high = bootstrap_f1(_with_micro(counts), rounds, seed, level)
    return {name: (float(low[j]), float(high[j])) for j, name in enumerate([*labels, "micro avg"])}


def difference_intervals(examples: list[Example], predictions: list[list[Span]], others: list[list[Span]],
                         labels: list[str], rounds: int = 1000, seed: int = 0, level: float = 0.95
                         ) -> dict[str, tuple[float, float, float]]:
    """Each label's and the micro F1 difference (predictions minus others) with its paired bootstrap
    interval: both models are scored on the same resampled documents, so a document that is hard for
    both does not widen the interval. An interval that holds 0 means the split cannot tell the two apart."""
    a = _with_micro(document_counts(examples, predictions, labels)[1])
    b = _with_micro(document_counts(examples, others, labels)[1])
    draws = _draws(len(a), rounds, seed)
    low, high = _interval(_resampled_f1(a, draws) - _resampled_f1(b, draws), level)
    point = _f1(a.sum(0)) - _f1(b.sum(0))
    return {name: (round(float(point[j]), 4), float(low[j]), float(high[j]))
            for j, name in enumerate([*labels, "micro avg"])}


def relation_intervals(examples: list[Example], paragraphs: list, rounds: int = 1000, seed: int = 0
                       ) -> tuple[float, float]:
    """The same interval for a relation micro F1, from each example paragraph's strict keys
    (train.relations.keys_by_paragraph, in the examples' order); documents without any relation are
    drawn too, as they are part of the split."""
    docs = {ex.doc: np.zeros(3, dtype=np.int64) for ex in examples}
    for ex, p in zip(examples, paragraphs, strict=True):
        docs[ex.doc] += [len(p.gold & p.pred), len(p.pred - p.gold), len(p.gold - p.pred)]
    if not docs:
        return (0.0, 0.0)
    low, high = bootstrap_f1(np.stack(list(docs.values())), rounds, seed)
    return float(low), float(high)


def with_intervals(table: dict, intervals: dict[str, tuple[float, float]]) -> dict:
    """The seqeval table with each row's bootstrap interval (f1_low, f1_high) where there is one."""
    return {name: {**row, **({"f1_low": intervals[name][0], "f1_high": intervals[name][1]} if name in intervals else {})}
            for name, row in table.items()}


def format_table(table: dict) -> str:
    intervals = any("f1_low" in row for row in table.values())
    lines = [f"{'label':<10} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"
             + ("  f1 95% interval" if intervals else "")]
    for name, row in table.items():
        line = f"{name:<10} {row['precision']:>9.4f} {row['recall']:>9.4f} {row['f1']:>9.4f} {row['support']:>8d}"
        if "f1_low" in row:
            line += f"  {row['f1_low']:.4f}-{row['f1_high']:.4f}"
        lines.append(line)
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
