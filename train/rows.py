"""Training data as `datasets.Dataset`s: examples in, the Trainer's {input_ids, labels} windows out.

Every source of examples (Label Studio exports, the stand-off corpus, CLUENER, augmented copies)
becomes one table of paragraphs (`examples_dataset`), and `training_rows` turns it into windows with
a batched `Dataset.map` over train/align.py `example_features`, which stays the one alignment rule.
The mapped function is pure: it returns the messages about spans that lost every token as a column
instead of printing them, so they are printed here once, whatever `datasets` does with the function.
The tables live in memory and `map` writes no cache file: its fingerprint names the function by
module and name, not by its code, so a cache on disk would outlive a change to the normalisation or
the alignment, and aligning is cheap next to training.
"""
from __future__ import annotations

import sys

from datasets import Dataset, Features, List, Value

from infer.encoding import CharEncoder
from infer.spans import Span
from train.align import example_features
from train.data import Example

SPAN = {"start": Value("int64"), "end": Value("int64"), "label": Value("string"), "text": Value("string")}
EXAMPLE = Features({"source": Value("string"), "doc": Value("string"), "para": Value("int64"),
                    "offset": Value("int64"), "text": Value("string"), "spans": List(SPAN),
                    "partial": Value("bool"), "known": List(List(Value("int64")))})
WINDOW = Features({"input_ids": List(Value("int64")), "labels": List(Value("int64"))})
# the mapped table: explicit, or a batch whose paragraphs lost nothing would type `lost` as list<null>
WINDOW_LOST = Features({**WINDOW, "lost": List(Value("string"))})


def examples_dataset(examples: list[Example]) -> Dataset:
    """One row per paragraph: its source ids, text, gold spans and, for partially labelled silver, the
    stretches whose labels are known (relations are not trained here).
    The schema is explicit so an empty split or one without spans keeps the same column types."""
    return Dataset.from_dict({
        "source": [ex.source for ex in examples], "doc": [ex.doc for ex in examples],
        "para": [ex.para for ex in examples], "offset": [ex.offset for ex in examples],
        "text": [ex.text for ex in examples],
        "spans": [[{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in ex.spans]
                  for ex in examples],
        "partial": [ex.known is not None for ex in examples],
        "known": [[list(k) for k in ex.known or []] for ex in examples],
    }, features=EXAMPLE)


def _windows(batch: dict[str, list], encoder: CharEncoder, label2id: dict[str, int], max_length: int,
             stride: int) -> dict[str, list]:
    """The windows of a batch of paragraphs, in order. An example always has at least one window;
    its first carries the example's lost-span messages, the others none."""
    out: dict[str, list] = {"input_ids": [], "labels": [], "lost": []}
    columns = (batch["source"], batch["doc"], batch["para"], batch["offset"], batch["text"], batch["spans"],
               batch["partial"], batch["known"])
    for source, doc, para, offset, text, spans, partial, known in zip(*columns):
        ex = Example(source=source, doc=doc, para=para, offset=offset, text=text,
                     spans=[Span(s["start"], s["end"], s["label"], s["text"]) for s in spans],
                     known=[(a, b) for a, b in known] if partial else None)
        feats, lost = example_features(ex, encoder, label2id, max_length, stride)
        out["input_ids"] += [f.input_ids for f in feats]
        out["labels"] += [f.labels for f in feats]
        out["lost"] += [lost] + [[] for _ in feats[1:]]
    return out


def training_rows(examples: list[Example], encoder: CharEncoder, label2id: dict[str, int], m: dict) -> Dataset:
    """The Trainer's rows {input_ids, labels} of every window of the examples, in example order (`m`:
    the recipe's model section, for max_length and stride); spans that keep no token are warned about."""
    if not examples:  # `map` calls nothing on no rows, so its columns would be missing
        return Dataset.from_dict({name: [] for name in WINDOW}, features=WINDOW)
    rows = examples_dataset(examples).map(
        _windows, batched=True, remove_columns=list(EXAMPLE), features=WINDOW_LOST, desc="aligning",
        fn_kwargs={"encoder": encoder, "label2id": label2id, "max_length": m["max_length"], "stride": m["stride"]},
    )
    for message in (message for lost in rows["lost"] for message in lost):
        print(f"warning: {message}", file=sys.stderr)
    return rows.remove_columns("lost")
