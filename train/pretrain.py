"""`python -m train pretrain`: build the project's own Chinese encoder from ../shared/data.

Up to three stages, each resumable:
1. character and bigram word2vec embeddings from the unlabeled text (`corpus`), cached in
   `work_dir/embeddings.npz` under a key of the corpus file hashes and the embedding settings;
2. supervised NER on CLUENER2020 train (its ten native classes) for the BiLSTM on top, with Trainer
   checkpoints in `work_dir/checkpoints` (a rerun resumes from the last one), scored on CLUENER
   dev with seqeval; its weights are kept in `work_dir` so a rerun for stage 3 starts there;
3. with `teacher`: the BiLSTM learns Baidu LAC's word classes on archive text (train/teacher.py), so
   LAC's knowledge is in the encoder without LAC running at inference. The CLUENER tag layer is
   kept from stage 2 (CLUENER dev is scored there).
The result is a model folder (fp16 safetensors, tokenizer, pretrain.json with what it saw and
scored) that `model.base` of a fine-tuning recipe points at; the CLUENER tag layer in it is
replaced when fine-tuning on the schema's labels.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from infer.charnet import CharNetConfig, CharNetForTokenClassification
from infer.encoding import CharEncoder
from infer.io import write_json
from infer.model_folder import file_sha256, move_into_place, new_staging, quiet_transformers
from infer.tagger import Tagger
from train.config import ConfigError, load_config, merge_config, read_yaml
from train.data import CLUENER_CLASSES, load_cluener
from train.embeddings import (bigram_table, char_matrix, corpus_files, corpus_stats, held_out_documents,
                              sentences, train_vectors)
from train.evaluate import evaluate_tagger, format_table, metrics_fn
from train.rows import training_rows
from train.teacher import teach
from train.vocab import build_tokenizer

DEFAULTS: dict = {
    "corpus": [],  # [{path, format: text|jsonl|csv|conll}]
    "embeddings": {"char_dim": 128, "bigram_dim": 64, "max_bigrams": 80000, "min_count": 3, "window": 5,
                   "epochs": 5, "workers": 2, "seed": 42},
    "model": {"hidden": 256, "layers": 1, "dropout": 0.3, "crf": False, "max_length": 64, "stride": 16},
    "supervised": {"train": None, "dev": None, "epochs": 10, "batch_size": 32, "learning_rate": 2.0e-3,
                   "patience": 3, "seed": 42},
    # stage 3 (train/teacher.py): a `python -m train lac` folder whose tags the BiLSTM learns on archive text
    "teacher": {"lac": None, "archive": "../shared/data/zh-gov-reports", "max_chars": 2_000_000, "epochs": 1,
                "batch_size": 32, "learning_rate": 1.0e-3, "seed": 42},
    # a fine-tuning recipe whose data.dev_docs and data.test_docs are left out of the corpus
    "held_out_from": None,
    "work_dir": "models/.pretrain-work",
    "output": "models/chain-ie-char-zh",
}
CARD = "README.md"


def settings_key(settings: list) -> str:
    """The sha256 of a stage's settings and inputs as canonical JSON: what its cached output is filed under,
    so a rerun with other settings never reads a stale cache."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def load_pretrain_config(path: str | Path) -> dict:
    return merge_config(DEFAULTS, read_yaml(path))


def _held_out(config: dict) -> dict[str, frozenset[int]]:
    """The dev and test documents of `held_out_from` (a fine-tuning recipe), by archive file name."""
    if not config["held_out_from"]:
        return {}
    recipe = load_config(config["held_out_from"])
    return held_out_documents(recipe["data"]["dev_docs"] + recipe["data"]["test_docs"])


def _embeddings(config: dict, encoder: CharEncoder, vocab_size: int, work: Path) -> dict:
    """Stage 1, or its cached result when the corpus and the settings are unchanged."""
    e = config["embeddings"]
    if e["epochs"] <= 0:  # ablation: random character vectors, no bigrams
        rng = np.random.default_rng(e["seed"])
        return {"chars": rng.normal(0, 0.1, (vocab_size, e["char_dim"])).astype(np.float32),
                "bigram_keys": np.zeros(0, dtype=np.int64), "bigrams": np.zeros((1, e["bigram_dim"]), np.float32),
                "stats": {"random": True}, "key": "random"}
    held_out = _held_out(config)
    files = corpus_files(config["corpus"], held_out)
    if not files:
        raise ConfigError("the corpus names no readable file (is ../shared/data there?)")
    hashes = {str(f.path): file_sha256(f.path) for f in files}
    skipped = {str(f.path): sorted(f.skip) for f in files if f.skip}
    key = settings_key([hashes, e] + ([skipped] if skipped else []))
    cache = work / "embeddings.npz"
    if cache.is_file():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["key"]) == key:
            print(f"embeddings: reusing {cache}", file=sys.stderr)
            return {k: stored[k] for k in stored.files} | {"stats": json.loads(str(stored["stats"]))}
    started = time.time()
    lines = []
    for source in tqdm(files, desc="reading corpus", unit="file", file=sys.stderr):
        lines += list(sentences([source]))
    stats = corpus_stats(lines) | {"files": hashes, "held_out_documents": sum(len(v) for v in skipped.values()),
                                   "held_out_from": config["held_out_from"]}
    print(f"corpus: {stats['lines']} lines, {stats['characters']:,} characters, "
          f"{stats['distinct_characters']} distinct", file=sys.stderr)
    print("training character vectors", file=sys.stderr)
    char_wv = train_vectors(lines, False, e["char_dim"], e)
    print("training bigram vectors", file=sys.stderr)
    bigram_wv = train_vectors(lines, True, e["bigram_dim"], e)
    chars, found = char_matrix(char_wv, encoder, vocab_size, e["char_dim"], e["seed"])
    keys, rows = bigram_table(bigram_wv, encoder, vocab_size, e["max_bigrams"], e["seed"])
    stats |= {"chars_with_vectors": found, "bigrams_kept": int(len(keys)), "bigram_vocabulary": len(bigram_wv),
              "seconds": round(time.time() - started, 1)}
    print(f"embeddings: {found} characters, {len(keys)} bigrams kept of {len(bigram_wv)} "
          f"in {stats['seconds']} s", file=sys.stderr)
    tmp = work / "embeddings.tmp.npz"
    np.savez(tmp, key=key, chars=chars, bigram_keys=keys, bigrams=rows, stats=json.dumps(stats))
    os.replace(tmp, cache)
    return {"chars": chars, "bigram_keys": keys, "bigrams": rows, "stats": stats, "key": key}


def build_encoder(emb: dict, config: dict, tags: list[str], pad_id: int) -> CharNetForTokenClassification:
    """A CharNet whose embedding tables come from stage 1 and whose tag layer is for `tags`."""
    m = config["model"]
    net = CharNetForTokenClassification(CharNetConfig(
        vocab_size=emb["chars"].shape[0], char_dim=emb["chars"].shape[1], n_bigrams=len(emb["bigram_keys"]),
        bigram_dim=emb["bigrams"].shape[1], hidden=m["hidden"], layers=m["layers"], dropout=m["dropout"],
        crf=m["crf"], pad_token_id=pad_id, num_labels=len(tags), id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    ))
    with torch.no_grad():
        net.chars.weight.copy_(torch.from_numpy(emb["chars"]))
        net.bigrams.weight.copy_(torch.from_numpy(emb["bigrams"]))
        net.bigram_keys.copy_(torch.from_numpy(emb["bigram_keys"]))
    return net


def _supervised(config: dict, net, tokenizer, encoder: CharEncoder, work: Path, emb_key: str) -> dict | None:
    """Stage 2: CLUENER train -> BiLSTM; returns the CLUENER dev seqeval table."""
    from transformers import DataCollatorForTokenClassification, EarlyStoppingCallback, Trainer, TrainingArguments


    s, m = config["supervised"], config["model"]
    if not s["train"] or s["epochs"] <= 0:
        return None
    train_path, dev_path = Path(s["train"]), Path(s["dev"])
    for p in (train_path, dev_path):
        if not p.is_file():
            raise ConfigError(f"supervised data {p} not found (is ../shared/data there?)")
    train_ex, dev_ex = load_cluener(train_path, native=True), load_cluener(dev_path, native=True)
    tags = list(net.config.id2label.values())
    label2id = {t: i for i, t in enumerate(tags)}
    train_ds, dev_ds = training_rows(train_ex, encoder, label2id, m), training_rows(dev_ex, encoder, label2id, m)
    # Checkpoints are keyed by the stage's settings and the embeddings under them, so recipes sharing
    # a work_dir never resume from each other's runs, nor from a run over other embeddings.
    stage_key = settings_key([s, m, str(emb_key)])[:12]
    checkpoints = work / f"checkpoints-{stage_key}"
    done = work / f"supervised-{stage_key}.safetensors"
    if done.is_file() and done.with_suffix(".json").is_file():
        from safetensors.torch import load_file

        net.load_state_dict(load_file(str(done)))
        print(f"supervised: done before ({done})", file=sys.stderr)
        return json.loads(done.with_suffix(".json").read_text(encoding="utf-8")) | {"stage_key": stage_key}
    args = TrainingArguments(
        output_dir=str(checkpoints), num_train_epochs=s["epochs"], per_device_train_batch_size=s["batch_size"],
        per_device_eval_batch_size=128, learning_rate=s["learning_rate"], lr_scheduler_type="linear",
        warmup_steps=0.05, weight_decay=0.0, eval_strategy="epoch", save_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="f1", save_total_limit=2, logging_strategy="epoch",
        report_to=[], seed=s["seed"], data_seed=s["seed"], dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(), bf16=torch.cuda.is_available(),
    )
    trainer = Trainer(model=net, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                      data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=-100),
                      compute_metrics=metrics_fn(dict(enumerate(tags)), CLUENER_CLASSES, net),
                      callbacks=[EarlyStoppingCallback(early_stopping_patience=s["patience"])])
    resume = any(checkpoints.glob("checkpoint-*"))
    if resume:
        print(f"supervised: resuming from {checkpoints}", file=sys.stderr)
    trainer.train(resume_from_checkpoint=resume or None)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the best weights are loaded; the stage is done
    tagger = Tagger.from_model(trainer.model.float().eval(), tokenizer, m["max_length"], m["stride"])
    table = evaluate_tagger(tagger, dev_ex, CLUENER_CLASSES)
    print("CLUENER dev (seqeval strict):\n" + format_table(table), file=sys.stderr)
    result = {"train_sentences": len(train_ex), "dev_sentences": len(dev_ex), "epochs_run": trainer.state.epoch,
              "cluener_dev": table, "train_hash": file_sha256(train_path), "dev_hash": file_sha256(dev_path)}
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, str(done.with_suffix(".tmp")))
    write_json(done.with_suffix(".json"), result)
    os.replace(done.with_suffix(".tmp"), done)
    return result | {"stage_key": stage_key}


def cluener_table(tagger: Tagger, dev_path: Path) -> dict:
    """seqeval (strict IOB2) per CLUENER class of a tagger with CLUENER tags, on a CLUENER file."""
    return evaluate_tagger(tagger, load_cluener(dev_path, native=True), CLUENER_CLASSES)


def load_encoder_tagger(model_dir: str | Path, max_length: int = 64, stride: int = 16) -> Tagger:
    """A tagger over an encoder folder as `pretrain` writes it (its CLUENER tag layer included)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    try:
        with quiet_transformers():
            model = AutoModelForTokenClassification.from_pretrained(model_dir).float()
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except OSError as exc:
        raise ConfigError(f"{model_dir}: not an encoder folder ({exc.__class__.__name__})") from exc
    return Tagger.from_model(model, tokenizer, max_length, stride)


def pretrain(config: dict) -> Path:
    """Run both stages and write the encoder folder atomically; returns its path."""
    from transformers import set_seed

    started = time.time()
    if config["teacher"]["lac"]:  # checked before the stages that come first take their minutes
        from infer.lac import LacError, read_info

        try:
            read_info(Path(config["teacher"]["lac"]))
        except LacError as exc:
            raise ConfigError(f"teacher.lac: {exc}") from exc
    set_seed(config["supervised"]["seed"])
    work = Path(config["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    encoder = CharEncoder(tokenizer)
    emb = _embeddings(config, encoder, len(tokenizer), work)
    tags = ["O"] + [f"{p}-{c}" for c in CLUENER_CLASSES for p in ("B", "I")]
    net = build_encoder(emb, config, tags, encoder.pad_id)
    supervised = _supervised(config, net, tokenizer, encoder, work, str(emb["key"]))
    held = {f"{name}#{i}" for name, indices in _held_out(config).items() for i in indices}
    teacher_key = settings_key([config["teacher"], (supervised or {}).get("stage_key"), str(emb["key"])])[:12]
    teacher = teach(net, config, held, tokenizer, encoder, work, teacher_key)

    output = Path(config["output"])
    staging = new_staging(output)
    try:
        net.to(torch.float16).save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if (output / CARD).is_file():
            shutil.copyfile(output / CARD, staging / CARD)
        write_json(staging / "pretrain.json", {
            "config": config, "corpus": emb["stats"], "supervised": supervised, "teacher": teacher,
            "seconds": round(time.time() - started, 1), "parameters": sum(p.numel() for p in net.parameters()),
        })
        move_into_place(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(f.stat().st_size for f in output.iterdir()) / 2**20
    print(f"encoder written to {output} ({size:.1f} MB) in {(time.time() - started) / 60:.1f} min", file=sys.stderr)
    return output
