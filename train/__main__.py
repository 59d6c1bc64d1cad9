"""`python -m train {validate,fit,evaluate,main,labelstudio}`: the training side of chain-ie."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from infer.inputs import InputError
from infer.io import write_json
from infer.predict import ModelError
from infer.schema import SchemaError, load_schema
from train.config import ConfigError, load_config
from train.data import DataError, load_examples
from train.labelstudio import LabelStudioError, add_parser as add_labelstudio_parser
from train.validate import seed_documents, validate


def cmd_validate(args) -> int:
    schema = load_schema(args.schema)
    examples = load_examples(args.paths)
    docs = seed_documents(Path(args.seeds)) if args.seeds else None
    report = validate(examples, schema, docs)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{report.tasks} annotated tasks in {len({ex.doc for ex in examples})} documents")
    for name in schema.label_names:
        print(f"  {name:<10} {report.labels[name]:>5} spans")
    for name in schema.relation_names:
        print(f"  {name:<10} {report.relations[name]:>5} relations")
    if report.errors:
        print(f"{len(report.errors)} errors", file=sys.stderr)
        return 1
    print("ok")
    return 0


def cmd_fit(args) -> int:
    from train.fit import fit

    overrides = {"output": args.output} if args.output else None
    output = fit(load_config(args.config, overrides))
    print(f"model written to {output}")
    return 0


def cmd_evaluate(args) -> int:
    from infer.predict import Tagger
    from train.evaluate import evaluate_tagger, format_table

    tagger = Tagger(args.model)
    examples = load_examples(args.data, set(args.docs) if args.docs else None)
    if not examples:
        raise DataError("no annotated examples to evaluate (check --data and --docs)")
    table = evaluate_tagger(tagger, examples, tagger.schema.label_names)
    print(format_table(table))
    out = Path(args.output or Path(args.model) / "eval.json")
    write_json(out, {"model": str(args.model), "data": args.data, "docs": args.docs, "seqeval": table})
    print(f"saved to {out}")
    return 0


def cmd_main(args) -> int:
    """The main job: fit on the exports, evaluate on the held-out documents, tag the seed articles."""
    from infer.__main__ import predict_main
    from train.fit import fit

    started = time.time()
    config = load_config(args.config)
    output = fit(config)
    records = output / "seed_records.jsonl"
    code = predict_main(["--model", str(output), "--input", config["data"]["seeds"], "--output", str(records)])
    metrics = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    print(f"main job done in {(time.time() - started) / 60:.1f} min: model {output}, records {records}")
    if "dev" in metrics:
        print(f"dev micro-F1 {metrics['dev']['micro avg']['f1']:.4f}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train", description="Train and evaluate chain-ie taggers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check Label Studio JSON exports against the schema and the seed articles")
    p.add_argument("paths", nargs="+", help="export files or folders")
    p.add_argument("--schema", default="configs/schema.yaml")
    p.add_argument("--seeds", default="annotations/seeds",
                   help="folder of the annotated articles: every paragraph must have a task ('' to skip)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("fit", help="train a tagger from a YAML recipe")
    p.add_argument("--config", required=True, help="e.g. configs/default.yaml")
    p.add_argument("--output", default=None, help="model folder (default: the recipe's output)")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("evaluate", help="seqeval (strict, IOB2) per-label table of a model on exports")
    p.add_argument("--model", default="models/default")
    p.add_argument("--data", nargs="+", required=True, help="Label Studio JSON exports (files or folders)")
    p.add_argument("--docs", nargs="*", default=None, help="only these documents (e.g. the dev split)")
    p.add_argument("--output", default=None, help="JSON results (default: MODEL/eval.json)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("main", help="fit + evaluate on dev + tag the seed articles (the README's main job)")
    p.add_argument("--config", default="configs/default.yaml")
    p.set_defaults(func=cmd_main)

    add_labelstudio_parser(sub)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataError, SchemaError, ModelError, InputError, LabelStudioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
