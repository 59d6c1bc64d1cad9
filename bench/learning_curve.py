"""`python -m bench.learning_curve`: how much a user must annotate to reach a given quality.

Trains the recipe (default: configs/ablation/corpus-no-cluener.yaml, the main job's recipe without its
CLUENER stage, which tied with it on dev and would add the same fixed minutes to every point) on the
five seed articles plus 25, 50, 100 and all of the corpus's training passages (`data.corpus_passages`: a
seeded sample, each smaller sample inside the larger ones), and scores each model on the corpus's dev
and test splits, whose regions none of the training passages come from. Writes per-label F1 to
bench/results/learning_curve.json. The test column is reported, never used to choose anything.

A point's model folder (models/learning-curve-N) is reused when its saved recipe equals the one this
run would train and it learnt from the same gold files (their sha256 in its data_hashes.json), so an
interrupted run resumes where it stopped and a grown corpus retrains every point. Needs ../shared/data (the corpus
archive); ~25 min on 2 CPU cores, most of it the last point.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from bench.corpus import RESULTS, ROOT
from infer.cli import ArgumentParser
from infer.io import write_json

DEFAULT_RECIPE = "configs/ablation/corpus-no-cluener.yaml"
ALL = "all"


def size_arg(value: str) -> int | str:
    if value == ALL:
        return ALL
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(f"{value!r}: a number of passages (0 or more) or 'all'")
    return n


def is_current(config: dict) -> bool:
    """Whether `config`'s output folder holds a finished model of this recipe trained on today's gold
    files: the same recipe on a grown corpus draws other passages (data.corpus_passages), so the
    recipe alone does not say a point is up to date."""
    from infer.model_folder import file_sha256
    from train.fit import gold_files

    output = Path(config["output"])
    saved, hashes = output / "config.yaml", output / "data_hashes.json"
    if not (saved.is_file() and hashes.is_file() and (output / "metrics.json").is_file()):
        return False
    learnt = json.loads(hashes.read_text(encoding="utf-8"))
    return (yaml.safe_load(saved.read_text(encoding="utf-8")) == config
            and all(learnt.get(str(f)) == file_sha256(f) for f in gold_files(config)))


def point(config: dict) -> dict:
    """The model folder of `config`, trained unless it is current (`is_current`)."""
    from train.fit import fit

    output = Path(config["output"])
    if not is_current(config):
        fit(config)
    return json.loads((output / "metrics.json").read_text(encoding="utf-8"))


def f1_row(table: dict) -> dict[str, float]:
    return {label: row["f1"] for label, row in table.items() if label != "macro avg"}


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.learning_curve", description=__doc__)
    parser.add_argument("--config", default=DEFAULT_RECIPE, help="the recipe each point trains (default: %(default)s)")
    parser.add_argument("--sizes", type=size_arg, nargs="+", default=[25, 50, 100, ALL],
                        help="corpus training passages per point, or 'all' (default: 25 50 100 all)")
    parser.add_argument("--output", default=str(RESULTS / "learning_curve.json"), help="results JSON")
    args = parser.parse_args(argv)

    from train.config import ConfigError, load_config
    from train.data import load_examples
    from train.fit import split_examples

    try:
        base = load_config(args.config)
        if not base["data"]["corpus"] or not Path(base["data"]["archive"]).is_dir():
            raise ConfigError(f"{args.config}: the learning curve needs the corpus and its archive "
                              f"({base['data']['archive']}), which is not here")
        seed_docs = {ex.doc for ex in load_examples(base["data"]["exports"])}
        points = []
        for size in args.sizes:
            name = f"learning-curve-{size}"
            config = load_config(args.config, {"data": {"corpus_passages": None if size == ALL else size},
                                               "output": str(ROOT / "models" / name)})
            train, dev, test = split_examples(config)
            corpus = sum(1 for ex in train if ex.doc not in seed_docs)
            print(f"{name}: {len(train)} training paragraphs ({corpus} corpus passages)", file=sys.stderr)
            metrics = point(config)
            points.append({"corpus_passages": corpus, "train_paragraphs": len(train),
                           "train_spans": sum(len(ex.spans) for ex in train),
                           "train_seconds": metrics["train_seconds"], "epochs_run": metrics["epochs_run"],
                           "dev_f1": f1_row(metrics["dev"]), "test_f1": f1_row(metrics["test"])})
            row = points[-1]["test_f1"]
            print(f"{corpus:>5} passages: test micro-F1 {row['micro avg']:.4f} ("
                  + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "micro avg") + ")")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_json(args.output, {"recipe": args.config, "dev_paragraphs": len(dev), "test_paragraphs": len(test),
                             "points": points})
    print(f"saved to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
