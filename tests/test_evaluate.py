"""Document-bootstrap intervals: built from the same entities seqeval scores, and as wide as the
documents disagree."""
from dataclasses import replace

import pytest

from train.evaluate import document_counts, f1_intervals, format_table, score_predictions, with_intervals

LABELS = ["COMPANY", "METRIC", "CHAIN", "OFFICIAL"]


def _degraded(examples):
    """Predictions that drop every third gold span and cut one character off every fifth."""
    out = []
    for ex in examples:
        spans = []
        for i, s in enumerate(ex.spans):
            if i % 3 == 2:
                continue
            spans.append(replace(s, end=s.end - 1) if i % 5 == 4 and s.end - s.start > 1 else s)
        out.append(spans)
    return out


def test_summed_document_counts_give_seqeval_scores(gold_examples):
    predictions = _degraded(gold_examples)
    table = score_predictions(gold_examples, predictions, LABELS)
    docs, counts = document_counts(gold_examples, predictions, LABELS)
    assert len(docs) == len({ex.doc for ex in gold_examples}) == counts.shape[0]
    for j, label in enumerate(LABELS):
        tp, fp, fn = counts[:, j].sum(0)
        assert tp + fn == table[label]["support"]
        if table[label]["support"]:
            assert round(2 * tp / (2 * tp + fp + fn), 4) == table[label]["f1"]
    assert table["micro avg"]["f1"] < 1.0  # the degraded predictions do lose spans


def test_intervals_hold_the_figure_and_vanish_when_nothing_varies(gold_examples):
    predictions = _degraded(gold_examples)
    table = score_predictions(gold_examples, predictions, LABELS)
    intervals = f1_intervals(gold_examples, predictions, LABELS, rounds=500, seed=1)
    low, high = intervals["micro avg"]
    assert low < table["micro avg"]["f1"] < high  # five seed documents that differ: a real width
    assert intervals == f1_intervals(gold_examples, predictions, LABELS, rounds=500, seed=1)  # seeded
    perfect = f1_intervals(gold_examples, [ex.spans for ex in gold_examples], LABELS, rounds=200)
    assert perfect["micro avg"] == (1.0, 1.0)
    one_doc = [ex for ex in gold_examples if ex.doc == gold_examples[0].doc]
    lo, hi = f1_intervals(one_doc, _degraded(one_doc), LABELS, rounds=200)["micro avg"]
    assert lo == hi == pytest.approx(score_predictions(one_doc, _degraded(one_doc), LABELS)["micro avg"]["f1"], abs=1e-4)
    printed = format_table(with_intervals(table, intervals))
    assert f"{low:.4f}-{high:.4f}" in printed and "95% interval" in printed


def test_relation_interval_resamples_every_document_of_the_split(gold_examples):
    from train.evaluate import relation_intervals
    from train.relations import ParagraphKeys

    examples = list({ex.doc: ex for ex in gold_examples}.values())  # one paragraph of each seed document
    assert len(examples) == 5
    key = lambda ex, n: (ex.doc, ex.para, n, n + 1, "METRIC", n + 2, n + 3, "COMPANY", "MEASURES")  # noqa: E731
    right = [ParagraphKeys(frozenset({key(ex, 0)}), frozenset({key(ex, 0)})) for ex in examples]
    assert relation_intervals(examples, right, rounds=200) == (1.0, 1.0)
    missed = [ParagraphKeys(frozenset({key(ex, 0)}), frozenset()) for ex in examples]
    assert relation_intervals(examples, missed, rounds=200) == (0.0, 0.0)
    # two documents right, three with a wrong pair: F1 0.4, and another draw of documents moves it
    mixed = [ParagraphKeys(frozenset({key(ex, 0)}), frozenset({key(ex, 0) if i % 2 else key(ex, 5)}))
             for i, ex in enumerate(examples)]
    low, high = relation_intervals(examples, mixed, rounds=500)
    assert low < 0.4 < high
    with pytest.raises(ValueError):
        relation_intervals(examples, mixed[:-1])  # one key set per example paragraph


def test_paired_difference_is_zero_for_the_same_model_and_signed_for_a_better_one(gold_examples):
    from train.evaluate import difference_intervals

    worse = _degraded(gold_examples)
    same = difference_intervals(gold_examples, worse, worse, LABELS, rounds=200)
    assert all(v == (0.0, 0.0, 0.0) for v in same.values())
    better = difference_intervals(gold_examples, [ex.spans for ex in gold_examples], worse, LABELS, rounds=500)
    table = score_predictions(gold_examples, worse, LABELS)
    point, low, high = better["micro avg"]
    assert point == pytest.approx(1.0 - table["micro avg"]["f1"], abs=1e-4)
    assert 0 < low <= point <= high  # gold beats the degraded spans on every resampling
    flipped = difference_intervals(gold_examples, worse, [ex.spans for ex in gold_examples], LABELS, rounds=500)
    assert flipped["micro avg"] == (-point, -high, -low)


def test_evaluate_against_itself_prints_zero_differences(root, tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "train", "evaluate", "--data", "annotations/gold", "--against",
                             "models/chain-ie-ner-zh", "--output", str(tmp_path / "eval.json"), "--bootstrap", "100"],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("  micro avg")]
    assert lines == ["  micro avg  +0.0000  +0.0000 to +0.0000"]
