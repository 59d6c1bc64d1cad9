"""`python -m bench.metric_reranker`: issue 14 item 5's span reranker for METRIC candidates, on dev.

Most of the shipped tagger's METRIC errors on dev are a wrong start with the right end (`签约3543亿元` for
`项目签约3543亿元`, `省级一般性支出压减22.3%` for `一般性支出压减22.3%`). This reranks the start of each
METRIC the tagger (and its post-edits) gives: the candidates are the positions from up to 10 characters
before it (not past a clause break other than `、`) to its value, each scored

    lam * [the tagger's start] + alpha * log P_CRF(span) + w . f(start)

- f: the start's context (one and two characters before it, one to three from it, the indicator's
  length up to the value, whether it opens a clause, a `、` inside), w a log-linear model fitted on the
  training split's gold METRIC spans (each gold start against the other candidates of its window);
- log P_CRF: the tagger's CRF marginal of the candidate span (B at the start, I through the end, not
  continued on either side) in the window that holds the candidates best (`span_log_probs`).

`lam` and `alpha` form a small grid, each point scored on dev against the tagger alone (paired bootstrap
over documents). The test split is never read. The figures and the decision are in the shipped model's card.
Needs ../shared/data (the corpus archive) and a CRF model; ~3 min on 2 CPU cores.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from bench.corpus import RESULTS, ROOT
from infer.cli import ArgumentParser
from infer.io import write_json

LAMBDAS = (0.0, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0)
ALPHAS = (0.0, 0.1, 0.3, 1.0, 3.0)


class Emissions:
    """One text's CRF emissions per tagger window, and each character's token index."""

    def __init__(self, tagger, text: str) -> None:
        from infer.documents import prepare
        from infer.encoding import windows

        doc, enc = prepare("", text), tagger.encoder
        self.token = {doc.norm.to_original(p, p + 1)[0]: k for k, p in enumerate(doc.positions)}
        self.windows = []
        with torch.inference_mode():
            for w in windows(len(doc.positions), tagger.window_chars, tagger.stride):
                ids = torch.tensor([[enc.cls_id, *enc.ids(doc.norm.text, doc.positions[w.start : w.end]), enc.sep_id]])
                logits = tagger.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits.float()[0]
                self.windows.append((w.start, w.end, logits))


def span_log_probs(crf, emissions: Emissions, starts: list[int], end: int, begin_tag: int, inside_tag: int
                   ) -> list[float] | None:
    """log P(the span [s, end) is one entity: B at s, I through end-1, no I just before or after) under the
    CRF, for each s of `starts`, in the window that leaves the most context around them (None when no
    window holds them all, or a character is not a token)."""
    first, last = emissions.token.get(starts[0]), emissions.token.get(end - 1)
    if first is None or last is None or any(s not in emissions.token for s in starts):
        return None
    held = [(min(first - w0, w1 - 1 - last), w0, logits) for w0, w1, logits in emissions.windows if w0 <= first and last < w1]
    if not held:
        return None
    _, w0, logits = max(held, key=lambda h: h[0])
    length = logits.size(0)
    allowed = torch.ones(len(starts), *logits.shape, dtype=torch.bool)
    stop = last - w0 + 1  # +1: the window's [CLS]
    for row, s in enumerate(starts):
        at = emissions.token[s] - w0 + 1
        allowed[row, at:stop + 1] = False
        allowed[row, at, begin_tag] = True
        allowed[row, at + 1 : stop + 1, inside_tag] = True
        allowed[row, at - 1, inside_tag] = False
        if stop + 1 < length:
            allowed[row, stop + 1, inside_tag] = False
    mask = torch.ones(len(starts), length)
    with torch.no_grad():
        log_z, _ = crf._forward(logits.unsqueeze(0), mask[:1])
        constrained, _ = crf._forward(logits.expand(len(starts), -1, -1).masked_fill(~allowed, -1e4), mask)
    return (constrained - log_z).tolist()


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m bench.metric_reranker", description=__doc__)
    parser.add_argument("--config", default="configs/default.yaml", help="recipe whose splits are used (default: %(default)s)")
    parser.add_argument("--model", default=str(ROOT / "models" / "chain-ie-ner-zh"), help="the tagger (default: the shipped one)")
    parser.add_argument("--lambdas", type=float, nargs="+", default=list(LAMBDAS), help="weights of the tagger's own start")
    parser.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS), help="weights of the CRF term (0: none)")
    parser.add_argument("--output", default=str(RESULTS / "metric_reranker.json"), help="results JSON")
    args = parser.parse_args(argv)

    from infer.tagger import Tagger
    from train.config import ConfigError, load_config
    from train.evaluate import difference_intervals, score_predictions
    from train.fit import split_examples
    from train.start_reranker import train_start_reranker

    try:
        config = load_config(args.config)
        if not Path(config["data"]["archive"]).is_dir():
            raise ConfigError(f"the corpus archive {config['data']['archive']} is not here: no dev split to measure on")
        train, dev, _ = split_examples(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tagger = Tagger(args.model)
    tagger.reranker = None  # the baseline: the tagger and its post-edits, without a reranker its folder may hold
    crf = getattr(tagger.model, "crf", None)
    if crf is None:
        print(f"error: {args.model} decodes without a CRF: the reranker's CRF term needs one", file=sys.stderr)
        return 2
    label = tagger.schema.label_for("metric")
    tag_ids = {name: k for k, name in tagger.id2label.items()}
    reranker = train_start_reranker(train, label, 0.0, config["training"]["seed"])
    print(f"start model: {len(reranker.weights)} features from the training split's gold {label} spans", file=sys.stderr)
    labels = tagger.schema.label_names
    base = tagger.predict([ex.text for ex in dev])
    emissions = [Emissions(tagger, ex.text) for ex in dev]
    table = score_predictions(dev, base, labels)
    print(f"tagger alone: dev {label} F1 {table[label]['f1']:.4f}, micro {table['micro avg']['f1']:.4f}")
    begin, inside = tag_ids[f"B-{label}"], tag_ids[f"I-{label}"]

    def crf_term(emitted: Emissions, alpha: float):
        def added(starts: list[int], end: int) -> list[float]:
            log_probs = span_log_probs(crf, emitted, starts, end, begin, inside)
            return [alpha * p for p in log_probs] if log_probs else [0.0] * len(starts)
        return added

    rows = []
    for lam in args.lambdas:
        for alpha in args.alphas:
            reranker.tagger_weight = lam
            reranked = [reranker(ex.text, spans, crf_term(e, alpha) if alpha else None)
                        for ex, spans, e in zip(dev, base, emissions)]
            scored = score_predictions(dev, reranked, labels)
            diff = difference_intervals(dev, reranked, base, labels)
            moved = sum(a.start != b.start for x, y in zip(reranked, base) for a, b in zip(x, y))
            rows.append({"lambda": lam, "alpha": alpha, "metric_f1": scored[label]["f1"],
                         "micro_f1": scored["micro avg"]["f1"], "starts_moved": moved,
                         "metric_gain_interval": diff[label][1:]})
            print(f"lam {lam:<4} alpha {alpha:<5} {label} {scored[label]['f1']:.4f} micro {scored['micro avg']['f1']:.4f} "
                  f"({moved} starts moved; {label} {diff[label][0]:+.4f}, {diff[label][1]:+.4f} to {diff[label][2]:+.4f})")
    write_json(args.output, {"model": args.model, "config": args.config, "features": len(reranker.weights),
                             "dev_paragraphs": len(dev),
                             "tagger_alone": {"metric_f1": table[label]["f1"], "micro_f1": table["micro avg"]["f1"]},
                             "grid": rows})
    print(f"saved to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
