"""`python -m bench.speed [--quick]`: characters per second of chain-ie's inference path against
transformers' `pipeline("token-classification", aggregation_strategy="simple")`, on the same model
instance and the same texts, in one run.

The texts are the seed articles repeated to at least 200k characters (50k with --quick). The
pipeline gets the model's own window (tokenizer.model_max_length = the model's max_length) and
its own `stride` for long texts, as a user of transformers would set it. Each side is timed
--repeats times, alternating so both see the same machine load, and the best run counts (the
least disturbed by other work). The same model is also timed with `--quantize int8`, and both
precisions are scored on the dev split, so the speed of int8 is never reported without its F1.

Where both sides must agree, they are checked: on seed paragraphs and sentences that fit one
window, that normalisation leaves unchanged, and that the pipeline's tokenizer turns into exactly
our per-character token ids, the two must return the same span set.
The last line printed is the speedup of our unquantized path over the pipeline.
"""
from __future__ import annotations

import copy
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from bench.corpus import RESULTS, repeated_articles, seed_paragraphs
from infer.cli import ArgumentParser
from infer.io import write_json
from infer.model_folder import SHIPPED_MODEL
from infer.normalize import normalize
from infer.tagger import Tagger

Spans = set[tuple[int, int, str]]


def make_pipeline(tagger: Tagger):
    """transformers' token-classification pipeline over the tagger's own model instance.

    The tokenizer copy gets the model's window length (so the pipeline cuts long texts into the
    same windows ours does) and only the inputs our model takes (no token_type_ids)."""
    from transformers import pipeline

    tokenizer = copy.deepcopy(tagger.tokenizer)
    tokenizer.model_max_length = tagger.max_length
    tokenizer.model_input_names = ["input_ids", "attention_mask"]
    return pipeline("token-classification", model=tagger.model, tokenizer=tokenizer,
                    aggregation_strategy="simple", stride=tagger.stride, device=tagger.device)


def pipeline_spans(output: list[dict]) -> Spans:
    return {(int(e["start"]), int(e["end"]), e["entity_group"]) for e in output}


def our_spans(entities) -> Spans:
    return {(e.start, e.end, e.label) for e in entities}


def comparable_texts(tagger: Tagger, pipe) -> list[str]:
    """Short seed texts on which both paths feed the model identical token ids in one window."""
    candidates = dict.fromkeys(
        piece for para in seed_paragraphs() for piece in [para, *re.findall(r"[^。！？；]+[。！？；]?", para)]
    )
    chosen = []
    for text in candidates:
        if not text.strip() or len(text) > tagger.window_chars or normalize(text).text != text:
            continue
        ours, _ = tagger.encoder.encode(text)
        theirs = pipe.tokenizer(text, add_special_tokens=False)["input_ids"]
        if ours == theirs:
            chosen.append(text)
    return chosen


def agreement(tagger: Tagger, pipe, texts: list[str]) -> dict:
    """How often the two paths return the same span set; spans counted over all texts. Ours decodes
    by per-token argmax here, as the pipeline does, and without the post-edits: the check is that
    windows, offsets and span assembly agree; the IOB2-constrained (or CRF) decoding and the guide's
    post-edits we use by default are deliberate differences."""
    schema, tagger.constrained, tagger.schema = tagger.schema, False, None
    try:
        ours = [our_spans(ents) for ents in tagger.predict(texts)]
    finally:
        tagger.constrained, tagger.schema = True, schema
    theirs = [pipeline_spans(out) for out in pipe(texts)]
    return {
        "texts": len(texts),
        "identical": sum(a == b for a, b in zip(ours, theirs)),
        "spans_ours": sum(map(len, ours)),
        "spans_pipeline": sum(map(len, theirs)),
        "spans_both": sum(len(a & b) for a, b in zip(ours, theirs)),
        "first_differences": [
            {"text": t, "ours": sorted(a - b), "pipeline": sorted(b - a)}
            for t, a, b in zip(texts, ours, theirs) if a != b
        ][:5],
    }


def best_times(runs: dict[str, Callable[[list[str]], object]], texts: list[str], repeats: int) -> dict[str, list[float]]:
    """Wall times of each run over `texts`, `repeats` rounds, the runs alternating within a round."""
    for run in runs.values():  # warm-up (caches, lazy imports) on a slice: it is not timed
        run(texts[:2])
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run(texts)
            times[name].append(time.perf_counter() - started)
    return times


def dev_f1(tagger: Tagger, config_path: str) -> dict:
    """seqeval table of the tagger on the recipe's dev documents (what `train evaluate` reports)."""
    from train.config import load_config
    from train.evaluate import evaluate_tagger
    from train.fit import split_examples

    _, dev, _ = split_examples(load_config(config_path))
    return evaluate_tagger(tagger, dev, tagger.schema.label_names)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="at least 50k characters instead of 200k")
    parser.add_argument("--model", default=SHIPPED_MODEL, help="model folder (default: %(default)s)")
    parser.add_argument("--config", default="configs/default.yaml", help="recipe naming the dev split")
    parser.add_argument("--batch-size", type=int, default=32, help="our windows per forward pass (default 32)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds; the best counts (default 3)")
    parser.add_argument("--output", default=str(RESULTS / "speed.json"), help="results JSON")
    args = parser.parse_args(argv)
    if not (Path(args.model) / "config.json").is_file():
        parser.error(f"{args.model}: no trained model there; run `python -m train main` first")
    if args.threads:
        torch.set_num_threads(args.threads)

    docs = repeated_articles(50_000 if args.quick else 200_000)
    texts = [d.text for d in docs]
    chars = sum(map(len, texts))
    tagger = Tagger(args.model, batch_size=args.batch_size)
    tagger_int8 = Tagger(args.model, batch_size=args.batch_size, quantize="int8")
    pipe = make_pipeline(tagger)
    print(f"{len(texts)} documents, {chars} characters; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; window {tagger.max_length}, stride {tagger.stride}", file=sys.stderr)

    times = best_times({
        "ours": tagger.predict,
        "ours_int8": tagger_int8.predict,
        "pipeline": pipe,
        f"pipeline_batch{args.batch_size}": lambda batch: pipe(batch, batch_size=args.batch_size),
    }, texts, args.repeats)
    speed = {name: round(chars / min(t)) for name, t in times.items()}
    for name, cps in speed.items():
        print(f"{name:<18} {cps:>8} chars/s  (runs: {', '.join(f'{t:.2f}' for t in times[name])} s)", file=sys.stderr)

    short = agreement(tagger, pipe, comparable_texts(tagger, pipe))
    whole = agreement(tagger, pipe, [a.text for a in docs[:5]])
    whole.pop("first_differences")
    print(f"argmax decoding on both sides: same spans on {short['identical']}/{short['texts']} short texts where both see the same tokens "
          f"({short['spans_both']} of {short['spans_ours']} ours / {short['spans_pipeline']} pipeline spans shared); "
          f"whole articles (different window merging): {whole['spans_both']} of {whole['spans_ours']} / "
          f"{whole['spans_pipeline']} spans shared", file=sys.stderr)

    f1 = {"fp32": dev_f1(tagger, args.config), "int8": dev_f1(tagger_int8, args.config)}
    micro = {k: v["micro avg"]["f1"] for k, v in f1.items()}
    delta = round(micro["int8"] - micro["fp32"], 4)
    print(f"dev micro-F1: fp32 {micro['fp32']:.4f}, int8 {micro['int8']:.4f} (change {delta:+.4f}); "
          f"int8 speed {speed['ours_int8']} chars/s ({speed['ours_int8'] / speed['pipeline']:.2f}x the pipeline)",
          file=sys.stderr)

    speedup = speed["ours"] / speed["pipeline"]
    write_json(args.output, {
        "quick": args.quick, "documents": len(texts), "characters": chars, "model": args.model,
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine()},
        "batch_size": args.batch_size, "repeats": args.repeats,
        "seconds": {k: [round(t, 4) for t in v] for k, v in times.items()},
        "chars_per_s": speed, "speedup": round(speedup, 3),
        "speedup_int8": round(speed["ours_int8"] / speed["pipeline"], 3),
        "agreement_short_texts": short, "agreement_whole_articles": whole,
        "dev_f1": f1, "dev_micro_f1_change_int8": delta,
    })
    print(f"saved to {args.output}", file=sys.stderr)
    print(f"speedup vs transformers pipeline: {speedup:.2f} (ours {speed['ours']} chars/s, "
          f"pipeline {speed['pipeline']} chars/s)")
    return 0 if short["identical"] == short["texts"] else 1


if __name__ == "__main__":
    sys.exit(main())
