"""How good is silver? Each labelling function (train/silver.py) against the dev split's gold.

`python -m bench.silver [--config configs/default.yaml]`: the dev passages are loaded as the trainer
loads them (train.fit.split_examples: the recipe's stand-off corpus, documents in data.dev_docs; never
test). Functions run on the whole archive document, as when silver is built, and their spans inside
each passage are scored: exact (start, end, label) and partial (a predicted span overlapping a gold
span of its label counts for precision, a gold span overlapped by one for recall). Rows: each
function on its own (before overlaps are resolved), then each label of the resolved silver.
Writes bench/results/silver.json and prints the table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.corpus import RESULTS
from infer.io import write_json
from infer.spans import Span
from train.config import load_config
from train.corpus import archive_documents
from train.data import Example
from train.fit import split_examples
from train.silver import O, label_document, labelling_functions
from train.silver_set import recipe_gazetteer


def _in_passage(spans: list[Span], ex: Example) -> list[Span]:
    end = ex.offset + len(ex.text)
    return [s.shifted(ex.offset) for s in spans if ex.offset <= s.start and s.end <= end]


def _prf(p: float, r: float) -> dict[str, float]:
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def score(gold: list[list[Span]], predicted: list[list[Span]], labels: set[str]) -> dict:
    """Exact and partial P/R/F1 of `predicted` against `gold` spans whose label is in `labels`, passage by
    passage (partial: an overlap with a span of the same label)."""
    n_gold = n_pred = exact = pred_hit = gold_hit = 0
    for g_all, p_all in zip(gold, predicted, strict=True):
        g = [s for s in g_all if s.label in labels]
        p = [s for s in p_all if s.label in labels]
        keys = {s.key for s in g}
        n_gold, n_pred = n_gold + len(g), n_pred + len(p)
        exact += sum(s.key in keys for s in p)
        pred_hit += sum(any(s.start < x.end and x.start < s.end and s.label == x.label for x in g) for s in p)
        gold_hit += sum(any(s.start < x.end and x.start < s.end and s.label == x.label for x in p) for s in g)
    precision = (exact / n_pred, pred_hit / n_pred) if n_pred else (0.0, 0.0)
    recall = (exact / n_gold, gold_hit / n_gold) if n_gold else (0.0, 0.0)
    return {"gold": n_gold, "predicted": n_pred, "exact": _prf(precision[0], recall[0]),
            "partial": _prf(precision[1], recall[1])}


def run(config: dict) -> dict:
    _, dev, _ = split_examples(config)
    dev = [ex for ex in dev if "#" in ex.doc]  # the corpus passages (the archive documents silver reads)
    archive = Path(config["data"]["archive"])
    functions = labelling_functions(recipe_gazetteer(config))
    texts = {ex.doc: archive_documents(archive, ex.doc.split("#")[0])[int(ex.doc.split("#")[1])] for ex in dev}
    gold = [ex.spans for ex in dev]
    rows = []
    for name, function in functions.items():
        found = {doc: function(text) for doc, text in texts.items()}
        predicted = [_in_passage(found[ex.doc], ex) for ex in dev]
        for label in sorted({s.label for spans in predicted for s in spans} - {O}):
            rows.append({"function": name, "label": label, **score(gold, predicted, {label})})
    resolved = {doc: label_document(text, functions)[0] for doc, text in texts.items()}
    predicted = [_in_passage(resolved[ex.doc], ex) for ex in dev]
    labels = sorted({s.label for spans in gold for s in spans})
    rows += [{"function": "resolved", "label": label, **score(gold, predicted, {label})} for label in labels]
    rows.append({"function": "resolved", "label": "micro", **score(gold, predicted, set(labels))})
    return {"split": "dev", "passages": len(dev), "documents": len(texts), "rows": rows}


def format_rows(rows: list[dict]) -> str:
    head = f"{'function':<18} {'label':<9} {'gold':>5} {'pred':>5}   {'P':>6} {'R':>6} {'F1':>6}   {'P~':>6} {'R~':>6} {'F1~':>6}"
    lines = [head]
    for row in rows:
        e, p = row["exact"], row["partial"]
        lines.append(f"{row['function']:<18} {row['label']:<9} {row['gold']:>5} {row['predicted']:>5}   "
                     f"{e['p']:>6.3f} {e['r']:>6.3f} {e['f1']:>6.3f}   {p['p']:>6.3f} {p['r']:>6.3f} {p['f1']:>6.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.silver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/default.yaml", help="recipe: its archive, corpus and dev split")
    parser.add_argument("--output", default=str(RESULTS / "silver.json"))
    args = parser.parse_args(argv)
    config = load_config(args.config)
    if not Path(config["data"]["archive"]).is_dir():
        print(f"error: {config['data']['archive']} not found: the dev split is stand-off on it", file=sys.stderr)
        return 2
    result = run(config)
    print(f"dev: {result['passages']} corpus passages of {result['documents']} documents "
          "(exact match; ~ partial overlap)")
    print(format_rows(result["rows"]))
    write_json(Path(args.output), {"config": args.config, **result})
    print(f"saved to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
