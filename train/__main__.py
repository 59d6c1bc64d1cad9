"""`python -m train {validate,fit,pretrain,relations,evaluate,main,labelstudio}`: the training side of chain-ie."""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from infer.inputs import InputError
from infer.io import write_json
from infer.predict import ModelError
from infer.relations import RelationModelError
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


def cmd_pretrain(args) -> int:
    from train.pretrain import load_pretrain_config, pretrain

    config = load_pretrain_config(args.config)
    if args.output:
        config["output"] = args.output
    print(f"encoder written to {pretrain(config)}")
    return 0


def cmd_evaluate(args) -> int:
    from infer.predict import Tagger
    from train.evaluate import format_table, score_predictions

    if args.report and importlib.util.find_spec("matplotlib") is None:
        print("error: --report draws its charts with matplotlib: pip install -e '.[report]'", file=sys.stderr)
        return 2
    if args.cluener:
        from train.pretrain import cluener_table, load_encoder_tagger

        table = cluener_table(load_encoder_tagger(args.model), Path(args.cluener))
        print(format_table(table))
        out = Path(args.output or Path(args.model) / "cluener_eval.json")
        write_json(out, {"model": str(args.model), "cluener": args.cluener, "seqeval": table})
        print(f"saved to {out}")
        return 0
    if not args.data:
        raise DataError("give --data (Label Studio exports) or --cluener (a CLUENER2020 file)")
    tagger = Tagger(args.model)
    examples = load_examples(args.data, set(args.docs) if args.docs else None)
    if not examples:
        raise DataError("no annotated examples to evaluate (check --data and --docs)")
    predictions = tagger.predict([ex.text for ex in examples])
    table = score_predictions(examples, predictions, tagger.schema.label_names)
    print(format_table(table))
    from train.relations import format_relation_report, relation_report

    relations = relation_report(tagger, examples)
    print(format_relation_report(relations["tables"], relations["reachable_end_to_end"]))
    if args.report:
        from train.report import write_report

        source = " ".join(args.data) + (f" (docs {' '.join(args.docs)})" if args.docs else "")
        page = write_report(args.report, examples, predictions, table, tagger.schema,
                            f"chain-ie evaluation: {args.model}", source)
        print(f"report: {page}")
    out = Path(args.output or Path(args.model) / "eval.json")
    write_json(out, {"model": str(args.model), "data": args.data, "docs": args.docs, "seqeval": table,
                     "relations": relations})
    print(f"saved to {out}")
    return 0


def cmd_relations(args) -> int:
    from train.fit import split_examples
    from train.relations import format_relation_report, train_relations

    config = load_config(args.config)
    train, dev = split_examples(config)
    settings = train_relations(args.model, train, dev, config["training"]["seed"])
    print(format_relation_report(settings["dev"], settings["dev_reachable_end_to_end"]))
    print(f"chosen: {settings['combination']} (dev micro-F1 with gold entities, then end to end); "
          f"saved to {Path(args.model) / 'relations'}")
    return 0


def cmd_main(args) -> int:
    """The main job: fit the tagger, train and choose the relation extractor, evaluate on the
    held-out documents, tag the seed articles."""
    from infer.__main__ import predict_main
    from train.fit import fit, split_examples
    from train.relations import format_relation_report, train_relations

    started = time.time()
    config = load_config(args.config)
    output = fit(config)
    train, dev = split_examples(config)
    settings = train_relations(output, train, dev, config["training"]["seed"])
    print(format_relation_report(settings["dev"], settings["dev_reachable_end_to_end"]))
    print(f"relations: {settings['combination']} chosen on dev")
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

    p = sub.add_parser("pretrain", help="build the project's own encoder (char/bigram embeddings + CLUENER) "
                                        "from ../shared/data; resumable")
    p.add_argument("--config", default="configs/pretrain-charnet.yaml")
    p.add_argument("--output", default=None, help="encoder folder (default: the recipe's output)")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("evaluate", help="seqeval (strict, IOB2) per-label table of a model on exports")
    p.add_argument("--model", default="models/default")
    p.add_argument("--data", nargs="+", default=None, help="Label Studio JSON exports (files or folders)")
    p.add_argument("--cluener", default=None,
                   help="instead of --data: a CLUENER2020 file (e.g. ../shared/data/cluener/dev.json), scored with "
                        "the CLUENER tag layer of an encoder folder written by `train pretrain`")
    p.add_argument("--docs", nargs="*", default=None, help="only these documents (e.g. the dev split)")
    p.add_argument("--output", default=None, help="JSON results (default: MODEL/eval.json)")
    p.add_argument("--report", default=None, metavar="DIR",
                   help="also write DIR/report.html: P/R/F1 bars, a span-label confusion matrix and the 20 worst "
                   "errors in context (one self-contained file)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("relations", help="train the relation head on the train docs, choose rules/model/union/"
                       "model+rule-features by dev relation F1, save it into MODEL/relations/")
    p.add_argument("--model", default="models/default", help="tagger model folder whose encoder the head reads")
    p.add_argument("--config", required=True, help="recipe giving the exports, the dev split and the seed")
    p.set_defaults(func=cmd_relations)

    p = sub.add_parser("main", help="fit + evaluate on dev + tag the seed articles (the README's main job)")
    p.add_argument("--config", default="configs/default.yaml")
    p.set_defaults(func=cmd_main)

    add_labelstudio_parser(sub)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataError, SchemaError, ModelError, InputError, RelationModelError, LabelStudioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
