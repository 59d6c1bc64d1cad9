"""`python -m bench.accuracy`: how well the model tags, on the seed dev split and on CLUENER dev
(the fine-tuned model on the two shared classes, and the recipe's own encoder on all ten).

The seed table is the project's own measure (seqeval strict, IOB2, on the recipe's held-out
documents, exactly as `python -m train evaluate` scores them). CLUENER dev (when
../shared/data/cluener is present) is an outside check of the two classes our schema shares with
it, mapped as training maps them (train.data.load_cluener: company -> COMPANY, position+name ->
OFFICIAL); its other eight classes are not entities of this schema and are not scored.
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench.corpus import RESULTS, ROOT
from infer.cli import ArgumentParser
from infer.io import write_json
from infer.model_folder import SHIPPED_MODEL
from infer.tagger import Tagger
from train.config import load_config
from train.data import load_cluener
from train.evaluate import evaluate_tagger, format_table
from train.fit import split_examples

CLUENER_DEV = ROOT.parent / "shared" / "data" / "cluener" / "dev.json"


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.accuracy", description=__doc__)
    parser.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s)")
    parser.add_argument("--config", default="configs/default.yaml", help="recipe naming the dev split")
    parser.add_argument("--cluener", default=str(CLUENER_DEV), help="CLUENER dev.json (skipped when absent)")
    parser.add_argument("--output", default=str(RESULTS / "accuracy.json"), help="results JSON")
    args = parser.parse_args(argv)
    if not (Path(args.model) / "config.json").is_file():
        parser.error(f"{args.model}: no trained model there; run `python -m train main` first")

    tagger = Tagger(args.model)
    config = load_config(args.config)
    _, dev, _ = split_examples(config)
    dev_table = evaluate_tagger(tagger, dev, tagger.schema.label_names)
    print(f"dev ({len({ex.doc for ex in dev})} documents of {args.config}):\n{format_table(dev_table)}")
    results: dict = {"model": args.model, "dev": {"docs": sorted({ex.doc for ex in dev}), "seqeval": dev_table}}

    cluener = Path(args.cluener)
    if cluener.is_file():
        table = evaluate_tagger(tagger, load_cluener(cluener), tagger.schema.label_names)
        shared = {name: row for name, row in table.items() if name in ("COMPANY", "OFFICIAL", "micro avg")}
        print(f"\nCLUENER dev ({cluener}; company -> COMPANY, position+name -> OFFICIAL):\n{format_table(shared)}")
        results["cluener_dev"] = {"file": str(cluener), "seqeval": shared}
        encoder = config["model"]["base"]
        if encoder and (Path(encoder) / "pretrain.json").is_file():  # the project's encoder keeps its CLUENER layer
            from train.pretrain import cluener_table, load_encoder_tagger

            native = cluener_table(load_encoder_tagger(encoder), cluener)
            print(f"\nCLUENER dev, all ten classes, the encoder {encoder} itself:\n{format_table(native)}")
            results["cluener_dev_encoder"] = {"encoder": encoder, "seqeval": native}
    else:
        print(f"\nCLUENER dev skipped: {cluener} not found")
        results["cluener_dev"] = None
    write_json(args.output, results)
    print(f"saved to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
