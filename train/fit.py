"""Fine-tuning the character tagger with the Hugging Face Trainer (the run_ner.py recipe), on
`datasets` tables of aligned windows (train/rows.py).

GPU when one is present (bf16 where supported, else fp16), CPU otherwise; seeded; early stopping
on dev micro-F1. The model folder is built in a temporary sibling and renamed into place, so a
failed run never leaves a half-written model behind. It holds the weights, the tokenizer, the
schema, the resolved config, the data hashes and metrics.json (layout: infer.model_folder).
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from functools import partial
from pathlib import Path

import torch

from infer.charnet import MODEL_TYPE, UNKNOWN, CharNetConfig, CharNetForTokenClassification
from infer.encoding import CharEncoder
from infer.io import check_writable, write_json
from infer.model_folder import (MARKERS, METRICS_FILE, file_sha256, is_model_folder, move_into_place, new_staging,
                                quiet_transformers, save_tagger)
from infer.tagger import Tagger
from infer.schema import Schema, load_schema
from train.align import IGNORE
from train.augment import augment, swap_names
from train.average import KEEP_WITHIN, EpochAverage
from train.config import ConfigError
from train.corpus import standoff_files
from train.data import Example, export_files, load_cluener, load_examples
from train.evaluate import evaluate_tagger, format_table, metrics_fn
from train.rows import training_rows
from train.validate import seed_documents, validate
from train.vocab import build_tokenizer


def build_model(config: dict, schema: Schema):
    """(model, tokenizer) for the recipe: an encoder folder or hub id fine-tuned (`init: pretrained`),
    or a fresh BERT or CharNet (`init: scratch`, `arch`) over the project's character vocabulary."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer, BertConfig, BertForTokenClassification

    tags = schema.bio_tags
    id2label = dict(enumerate(tags))
    label2id = {t: i for i, t in enumerate(tags)}
    m = config["model"]
    if m["init"] == "pretrained":
        try:
            with quiet_transformers():  # its report would only say the new tag layer starts untrained
                tokenizer = AutoTokenizer.from_pretrained(m["base"])
                model = AutoModelForTokenClassification.from_pretrained(
                    m["base"], num_labels=len(tags), id2label=id2label, label2id=label2id,
                    ignore_mismatched_sizes=True,
                    **({"crf": m["crf"], "dropout": m["dropout"]} if _is_charnet(m["base"]) else {}),
                )
        except OSError as exc:
            raise ConfigError(
                f"cannot load encoder {m['base']!r} ({exc.__class__.__name__}). Without internet use a local folder "
                "(model.base: /path/to/bert-base-chinese), a mirror (HF_ENDPOINT=...), or the offline recipe "
                "configs/default.yaml (the shipped models/chain-ie-char-zh encoder)"
            ) from exc
        for key in ("lac", "lexicon"):
            if m[key] and not _is_charnet(m["base"]):
                raise ConfigError(f"model.{key} adds features to a CharNet, and {m['base']} is not one")
        return _with_features(model.float(), tokenizer, m), tokenizer
    tokenizer = build_tokenizer()
    if m["arch"] == "charnet":
        return _with_features(CharNetForTokenClassification(CharNetConfig(
            vocab_size=len(tokenizer), char_dim=m["char_dim"], hidden=m["hidden"], layers=m["layers"],
            dropout=m["dropout"], crf=m["crf"], pad_token_id=tokenizer.pad_token_id, num_labels=len(tags),
            id2label=id2label, label2id=label2id,
        )), tokenizer, m), tokenizer
    bert = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=m["hidden"],
        num_hidden_layers=m["layers"],
        num_attention_heads=m["heads"],
        intermediate_size=4 * m["hidden"],
        max_position_embeddings=max(512, m["max_length"]),
        num_labels=len(tags),
        id2label=id2label,
        label2id=label2id,
    )
    return BertForTokenClassification(bert), tokenizer


def _with_features(model, tokenizer, m: dict):
    """`model` with the recipe's extra BiLSTM inputs attached: the frozen LAC features of model.lac
    (train.lac.attach_lac) and the lexicon flags of model.lexicon (train.lexicon.attach_lexicon). Both
    add zero input columns, so a pretrained encoder starts unchanged; `model` itself when neither is set."""
    from infer.lexicon import LexiconError
    from train.lac import LacBuildError, attach_lac
    from train.lexicon import attach_lexicon

    vocab = tokenizer.get_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    for key, attach in (("lac", partial(attach_lac, part=m["lac_part"])), ("lexicon", attach_lexicon)):
        if m[key]:
            try:
                model = attach(model, Path(m[key]), tokens)
            except (LacBuildError, LexiconError) as exc:
                raise ConfigError(f"model.{key}: {exc}") from exc
    return model


def _is_charnet(base: str) -> bool:
    """Whether a local encoder folder holds the project's CharNet (whose CRF/dropout the recipe sets)."""
    config = Path(base) / "config.json"
    return config.is_file() and json.loads(config.read_text(encoding="utf-8")).get("model_type") == MODEL_TYPE


def gold_files(config: dict) -> list[Path]:
    """The files recipe_examples reads the gold from: the exports, and the stand-off corpus when its
    archive is there (each passage's text is checked against the sha256 on its stand-off line, so
    these files' hashes pin the corpus text too)."""
    data = config["data"]
    files = export_files(data["exports"])
    if data["corpus"] and Path(data["archive"]).is_dir():
        files += standoff_files(data["corpus"])
    return files


def recipe_examples(config: dict) -> tuple[list[Example], list[Example]]:
    """The recipe's gold: its Label Studio exports, and its stand-off corpus materialised from the
    archive (without the archive: one note, and no corpus examples)."""
    from train.corpus import load_corpus

    data = config["data"]
    corpus: list[Example] = []
    if data["corpus"]:
        if Path(data["archive"]).is_dir():
            corpus = load_corpus(data["corpus"], data["archive"])
        else:
            print(f"note: {data['archive']} not found: training without the stand-off corpus "
                  f"({', '.join(map(str, data['corpus']))})", file=sys.stderr)
    return load_examples(data["exports"]), corpus


def _sample_passages(train: list[Example], corpus_train: list[Example], n: int, seed: int) -> list[Example]:
    """`train` with only `n` of its corpus passages, drawn with `seed` (the same passages for the same
    n and seed, and a smaller sample is part of a larger one), in their original order."""
    import random

    order = sorted(range(len(corpus_train)), key=lambda i: corpus_train[i].source)
    random.Random(seed).shuffle(order)
    keep = {id(corpus_train[i]) for i in order[:n]}
    corpus_ids = {id(ex) for ex in corpus_train}
    return [ex for ex in train if id(ex) not in corpus_ids or id(ex) in keep]


def split_examples(config: dict) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, dev, test) by document, as the recipe's data.dev_docs and data.test_docs say. Split
    documents whose gold is absent (the corpus without its archive) are dropped from the split;
    data.corpus_passages, when set, keeps only that many of the training split's corpus passages."""
    exports, corpus = recipe_examples(config)
    examples = exports + corpus
    known = {ex.doc for ex in examples}
    dev_docs, test_docs = set(config["data"]["dev_docs"]), set(config["data"]["test_docs"])
    if dev_docs & test_docs:
        raise ConfigError(f"documents in both data.dev_docs and data.test_docs: {sorted(dev_docs & test_docs)[:5]}")
    if not config["data"]["corpus"] or Path(config["data"]["archive"]).is_dir():
        unknown = (dev_docs | test_docs) - known
        if unknown:
            raise ConfigError(f"data.dev_docs/test_docs name documents with no annotations: {sorted(unknown)[:5]}")
    train = [ex for ex in examples if ex.doc not in dev_docs | test_docs]
    dev = [ex for ex in examples if ex.doc in dev_docs]
    test = [ex for ex in examples if ex.doc in test_docs]
    if config["data"]["corpus_passages"] is not None:
        corpus_train = [ex for ex in corpus if ex.doc not in dev_docs | test_docs]
        train = _sample_passages(train, corpus_train, config["data"]["corpus_passages"], config["training"]["seed"])
    if not train:
        raise ConfigError("no training examples left after the dev/test split")
    return train, dev, test


def split_table(splits: dict[str, list[Example]], schema: Schema) -> str:
    """Documents, paragraphs, spans per label and relations of each split, as a small table."""
    from collections import Counter

    head = f"{'split':<6} {'docs':>5} {'paras':>6} " + " ".join(f"{n:>9}" for n in schema.label_names) + f" {'relations':>9}"
    rows = [head]
    for name, examples in splits.items():
        labels = Counter(s.label for ex in examples for s in ex.spans)
        rels = sum(len(ex.relations) for ex in examples)
        rows.append(f"{name:<6} {len({ex.doc for ex in examples}):>5} {len(examples):>6} "
                    + " ".join(f"{labels[n]:>9}" for n in schema.label_names) + f" {rels:>9}")
    return "\n".join(rows)


def _intermediate_stages(config: dict) -> list[tuple[str, list[Example]]]:
    """The intermediate stages' (name, examples), in training order: CLUENER mapped onto the schema
    (skipped with a note when its file is absent), then the silver set (an error when absent: a recipe
    that names one is about silver). Read before any training, so a bad silver set fails early."""
    inter = config["data"]["intermediate"]
    if inter["epochs"] <= 0:
        return []
    stages = []
    if inter["cluener"]:
        path = Path(inter["cluener"])
        if path.is_file():
            stages.append(("CLUENER", load_cluener(path)))
        else:
            print(f"note: {path} not found, skipping intermediate CLUENER training", file=sys.stderr)
    if inter["silver"]:
        from train.silver_set import held_out_documents, load_silver

        stages.append(("silver", load_silver(Path(inter["silver"]), Path(config["data"]["archive"]),
                                             held_out_documents(config), inter["unknown_as"] == "ignore")))
    return stages


def _intermediate(config: dict, stages: list[tuple[str, list[Example]]], model, tokenizer, encoder: CharEncoder,
                  label2id: dict, staging: Path, args) -> int:
    """Stage 1: supervised NER on CLUENER (mapped labels) and/or silver, so the encoder knows Chinese
    names, organisations and the report's own spans before it sees the small gold. Returns the number
    of sentences used."""
    from transformers import DataCollatorForTokenClassification, Trainer

    inter = config["data"]["intermediate"]
    for name, examples in stages:
        rows = training_rows(examples, encoder, label2id, config["model"])
        if name == "silver" and inter["unknown_as"] == "ignore" and not isinstance(model, CharNetForTokenClassification):
            rows = rows.map(_unknown_skipped, batched=True, desc="unknown characters")
        stage_args = args.__class__(**{
            **args.to_dict(), "output_dir": str(staging / "intermediate"), "num_train_epochs": inter["epochs"],
            "max_steps": config["training"]["max_steps"], "eval_strategy": "no", "save_strategy": "no",
            "load_best_model_at_end": False, "per_device_train_batch_size": 32,
        })
        unknown = f", unknown characters as {inter['unknown_as']}" if name == "silver" else ""
        print(f"intermediate: {len(examples)} {name} sentences, {inter['epochs']} epochs{unknown}", file=sys.stderr)
        Trainer(model=model, args=stage_args, train_dataset=rows,
                data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE)).train()
    return sum(len(examples) for _, examples in stages)


def _unknown_skipped(batch: dict) -> dict:
    """Labels with UNKNOWN as the Trainer's ignore index, for a model whose loss is transformers' own
    cross-entropy (a BERT): skipping an unknown character is what a softmax loss can do with it."""
    return {"labels": [[IGNORE if t == UNKNOWN else t for t in row] for row in batch["labels"]]}


def training_environment() -> dict[str, str | int]:
    """What a run's weights depend on besides the recipe and the data: training is deterministic for one
    machine and thread count, but another CPU or torch build gives other weights (the same recipe on two
    Xeons: dev COMPANY 0.7458 against 0.7018), so a model folder says where it was trained."""
    import platform

    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(), "cpu": cpu}


def _staging_dir(output: Path) -> Path:
    """A new staging sibling of `output` (infer.model_folder.new_staging). Under torchrun/accelerate
    rank 0 makes it and every process gets its name: the Trainer's checkpoints and its best-model
    reload need one folder."""
    from accelerate import PartialState
    from accelerate.utils import broadcast_object_list

    state = PartialState(cpu=not torch.cuda.is_available())
    name = [str(new_staging(output)) if state.is_main_process else None]
    if state.num_processes > 1:
        broadcast_object_list(name)
    return Path(name[0])


def _augmented(config: dict, train_ex: list[Example]) -> tuple[list[Example], list[Example]]:
    """The training paragraphs the tagger learns from (names swapped in place by data.augment.swap)
    and the extra substituted copies (data.augment.copies); train/augment.py."""
    a = config["data"]["augment"]
    extra: list[Example] = []
    if (a["copies"] > 0 or a["swap"] > 0) and a["cluener"]:
        path = Path(a["cluener"])
        if path.is_file():
            extra = load_cluener(path)
        else:
            print(f"note: {path} not found, augmenting with the gold's own names only", file=sys.stderr)
    seed = config["training"]["seed"]
    return swap_names(train_ex, a["swap"], a["swap_labels"], seed, extra), augment(train_ex, a["copies"], seed, extra)


def check_output_folder(output: Path) -> None:
    """`fit` replaces a model folder it wrote before, and nothing else: an existing path that is not
    a chain-ie model folder (a file, an empty or unrelated folder) is refused before any training."""
    if output.exists() and not is_model_folder(output):
        raise ConfigError(f"output {output} exists and is not a chain-ie model folder (no "
                          f"{', '.join(MARKERS)}); fit never deletes it: choose another output")
    check_writable(output)  # the staging folder is its sibling: a read-only place fails now, not after training


def _checked_splits(config: dict, schema: Schema) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, dev, test) of the recipe, validated against the schema and the seed articles."""
    train_ex, dev_ex, test_ex = split_examples(config)
    report = validate(train_ex + dev_ex + test_ex, schema, seed_documents(Path(config["data"]["seeds"])))
    if report.errors:
        raise ConfigError("the training data has errors; run `python -m train validate` on it:\n  "
                          + "\n  ".join(report.errors[:20]))
    print(split_table({"train": train_ex, "dev": dev_ex, "test": test_ex}, schema), file=sys.stderr)
    return train_ex, dev_ex, test_ex


def _training_arguments(t: dict, staging: Path, has_dev: bool):
    """The Trainer's arguments: GPU with bf16 (else fp16) when present, CPU otherwise; per-epoch
    evaluation and checkpoints with the best dev F1 reloaded at the end when there is a dev set.
    Batches hold windows of similar length (training.group_by_length): on CPU the packed LSTM's backward pass
    takes about 4x longer for a batch of mixed lengths (one short last window of a paragraph among
    full ones) than for one of equal lengths, so grouping halves the main job's training time."""
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    return TrainingArguments(
        output_dir=str(staging / "checkpoints"),
        num_train_epochs=t["epochs"],
        max_steps=t["max_steps"],
        per_device_train_batch_size=t["batch_size"],
        per_device_eval_batch_size=64,
        learning_rate=t["learning_rate"],
        weight_decay=t["weight_decay"],
        warmup_steps=t["warmup_ratio"],
        lr_scheduler_type="linear",
        eval_strategy="epoch" if has_dev else "no",
        save_strategy="epoch" if has_dev else "no",
        load_best_model_at_end=has_dev,
        metric_for_best_model="f1",
        greater_is_better=True,
        save_total_limit=2,
        logging_strategy="epoch",
        report_to=[],
        seed=t["seed"],
        data_seed=t["seed"],
        bf16=bf16,
        fp16=cuda and not bf16,
        use_cpu=not cuda,  # under torchrun without CUDA: gloo DDP (accelerate's MULTI_CPU), not N lone runs
        train_sampling_strategy="group_by_length" if t["group_by_length"] else "random",
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
        disable_tqdm=False,
    )


def _averaged(trainer, average: EpochAverage | None, has_dev: bool) -> dict:
    """Swap the mean of the late epochs' weights into the trained model (training.average_from_epoch),
    unless its dev window F1 falls more than KEEP_WITHIN below the best epoch's (little data: the first
    epochs are untrained), and say which weights were kept in the metrics entries returned."""
    if average is None:
        return {}
    before = average.apply(trainer.model)
    if before is None:
        print(f"training stopped before epoch {average.first}: kept the best epoch's weights, no average",
              file=sys.stderr)
        return {"averaged_epochs": [], "average_kept": False}
    epochs = f"epochs {average.epochs[0]}-{average.epochs[-1]}"
    out = {"averaged_epochs": list(average.epochs), "average_kept": True}
    if has_dev:
        out["averaged_dev_window_f1"] = f1 = trainer.evaluate()["eval_f1"]
        best = trainer.state.best_metric
        if best is not None and f1 < best - KEEP_WITHIN:
            trainer.model.load_state_dict(before)
            out["average_kept"] = False
            print(f"weights: the best epoch's (dev window F1 {best:.4f}); the mean of {epochs} scored {f1:.4f}, "
                  f"more than {KEEP_WITHIN} below", file=sys.stderr)
            return out
    print(f"weights: the mean of {epochs}"
          + (f" (dev window F1 {out['averaged_dev_window_f1']:.4f})" if has_dev else ""), file=sys.stderr)
    return out


def _data_hashes(config: dict, stages: list[str], augmented: list[Example]) -> dict[str, str]:
    """SHA-256 of every file the model learnt from: exports, stand-off corpus (gold_files), the
    intermediate stages' CLUENER and silver files (when used), a local pretrained encoder's weights,
    the LAC features' weights and the lexicon's keys."""
    hashes = {str(f): file_sha256(f) for f in gold_files(config)}
    for stage, key in (("CLUENER", "cluener"), ("silver", "silver")):
        if stage in stages:
            path = Path(config["data"]["intermediate"][key])
            hashes[str(path)] = file_sha256(path)
    augment_source = config["data"]["augment"]["cluener"]
    if (augmented or config["data"]["augment"]["swap"] > 0) and augment_source and Path(augment_source).is_file():
        hashes[str(augment_source)] = file_sha256(Path(augment_source))
    if config["model"]["lac"]:
        from infer.lac import WEIGHTS_FILE

        lac_weights = Path(config["model"]["lac"]) / WEIGHTS_FILE
        hashes[str(lac_weights)] = file_sha256(lac_weights)
    if config["model"]["lexicon"]:
        from infer.lexicon import WEIGHTS_FILE as LEXICON_FILE

        lexicon_keys = Path(config["model"]["lexicon"]) / LEXICON_FILE
        hashes[str(lexicon_keys)] = file_sha256(lexicon_keys)
    base = config["model"]["base"]
    if config["model"]["init"] == "pretrained" and base and (Path(base) / "model.safetensors").is_file():
        hashes[str(Path(base) / "model.safetensors")] = file_sha256(Path(base) / "model.safetensors")
    return hashes


def _held_out_tables(staging: Path, splits: dict[str, list[Example]], schema: Schema) -> dict[str, dict]:
    """The seqeval table of each non-empty held-out split, tagged by the saved model as a user loads it."""
    tables = {}
    for name, held_out in splits.items():
        if held_out:
            tables[name] = evaluate_tagger(Tagger(staging), held_out, schema.label_names)
            print(f"{name} ({len(held_out)} paragraphs):\n{format_table(tables[name])}")
    return tables


def fit(config: dict) -> Path:
    """Train by the recipe, write the model folder, return its path."""
    from transformers import DataCollatorForTokenClassification, EarlyStoppingCallback, Trainer, set_seed

    started = time.time()
    t = config["training"]
    set_seed(t["seed"])
    schema = load_schema(config["schema"])
    output = Path(config["output"])
    check_output_folder(output)
    train_ex, dev_ex, test_ex = _checked_splits(config, schema)
    model, tokenizer = build_model(config, schema)
    encoder = CharEncoder(tokenizer)
    label2id = {tag: i for i, tag in enumerate(schema.bio_tags)}
    learnt, augmented = _augmented(config, train_ex)
    stages = _intermediate_stages(config)
    train_ds = training_rows(learnt + augmented, encoder, label2id, config["model"])
    dev_ds = training_rows(dev_ex, encoder, label2id, config["model"])
    cuda = torch.cuda.is_available()
    print(f"train: {len(train_ex)} paragraphs, {len(train_ds)} windows; dev: {len(dev_ex)} paragraphs, "
          f"{len(dev_ds)} windows; device: {'cuda' if cuda else 'cpu'}", file=sys.stderr)

    staging = _staging_dir(output)
    try:
        has_dev = bool(dev_ds)
        args = _training_arguments(t, staging, has_dev)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=train_ds,
            eval_dataset=dev_ds or None,
            data_collator=DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE),
            compute_metrics=metrics_fn(dict(enumerate(schema.bio_tags)), schema.label_names, model),
            callbacks=[EarlyStoppingCallback(early_stopping_patience=t["patience"])] if has_dev else [],
        )
        average = EpochAverage(t["average_from_epoch"]) if t["average_from_epoch"] else None
        if average:
            trainer.add_callback(average)
        # hashed before training: a data file edited while the model trains must not be recorded as its data
        hashes = _data_hashes(config, [name for name, _ in stages], augmented)
        intermediate_rows = _intermediate(config, stages, model, tokenizer, encoder, label2id, staging, args)
        result = trainer.train()
        averaged = _averaged(trainer, average, has_dev)
        if not trainer.is_world_process_zero():  # torchrun/accelerate: rank 0 alone writes the folder
            trainer.accelerator.wait_for_everyone()
            return output
        shutil.rmtree(staging / "checkpoints", ignore_errors=True)
        save_tagger(staging, trainer.model, tokenizer, config["schema"], config, hashes)
        if config["model"]["lac"]:
            from train.lac import copy_notice

            copy_notice(Path(config["model"]["lac"]), staging)
        if config["model"]["lexicon"]:
            from train.lexicon import copy_notice as copy_lexicon_notice

            copy_lexicon_notice(Path(config["model"]["lexicon"]), staging)
        if config["model"]["metric_reranker"] is not None:  # before the held-out tables: the folder's tagger uses it
            from train.start_reranker import train_start_reranker

            reranker = train_start_reranker(train_ex, schema.label_for("metric"), config["model"]["metric_reranker"],
                                            t["seed"])
            if reranker is not None:
                reranker.save(staging)
        metrics = {
            "train_paragraphs": len(train_ex), "augmented_paragraphs": len(augmented), "dev_paragraphs": len(dev_ex),
            "train_windows": len(train_ds), "intermediate_sentences": intermediate_rows, "epochs_run": round(float(trainer.state.epoch or 0), 2),
            "train_loss": round(float(result.training_loss), 4),
            "best_dev_window_f1": trainer.state.best_metric,
            **averaged,
            "train_seconds": round(time.time() - started, 1),
            "device": "cuda" if cuda else "cpu",
            "processes": trainer.args.world_size,
            "environment": training_environment(),
            "log_history": trainer.state.log_history,
            **_held_out_tables(staging, {"dev": dev_ex, "test": test_ex}, schema),
        }
        write_json(staging / METRICS_FILE, metrics)
        check_output_folder(output)
        move_into_place(staging, output)
        trainer.accelerator.wait_for_everyone()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return output
