"""The model folder, in one place: its layout, saving it, loading it, its hashes and provenance.

A chain-ie model folder holds the tagger (weights, config.json with id2label, tokenizer), the
schema it was trained on, the recipe (config.yaml), the hashes of its training data
(data_hashes.json), the windowing settings (chain_ie.json), metrics.json and, once `python -m
train relations` ran, relations/ (relations.json, head.pt). Folders are written in a staging
sibling and renamed into place, so a failed run never leaves a half-written folder, with the
modes a folder made by hand would have. Loading checks that the model's labels are its schema's:
a model whose schema.yaml was edited after training would otherwise tag with shifted labels.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from infer.io import remove_stale, temp_prefix, usual_mode, write_json
from infer.schema import Schema, SchemaError, load_schema

SETTINGS_FILE = "chain_ie.json"
SCHEMA_FILE = "schema.yaml"
CONFIG_FILE = "config.yaml"
HASHES_FILE = "data_hashes.json"
METRICS_FILE = "metrics.json"
RELATIONS_DIR = "relations"
RELATIONS_SETTINGS = "relations.json"
HEAD_FILE = "head.pt"
CARD_FILE = "README.md"
MAIN_JOB_FILE = "main_job.md"  # the card `train main` writes, word for word, in a shipped copy
# The tagger shipped in git (fp16): what every command uses when no --model is given. The README's
# main job rebuilds it (the recipe's `ship`).
SHIPPED_MODEL = "models/chain-ie-ner-zh"
MARKERS = (SETTINGS_FILE, CONFIG_FILE, HASHES_FILE)  # what makes a folder one that `fit` may replace


class ModelError(RuntimeError):
    """A model folder that cannot be used; the message says what to do."""


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in MARKERS)


def read_settings(model_dir: Path) -> dict:
    """The windowing settings; a ModelError naming the command that makes a model when there are none."""
    path = model_dir / SETTINGS_FILE
    if not path.is_file():
        raise ModelError(f"{model_dir}: not a chain-ie model folder (no {SETTINGS_FILE}); "
                         "train one with `python -m train fit --config configs/default.yaml` or pass --model")
    return json.loads(path.read_text(encoding="utf-8"))


def read_schema(model_dir: Path) -> Schema:
    try:
        return load_schema(model_dir / SCHEMA_FILE)
    except SchemaError as exc:
        raise ModelError(f"{model_dir}: {exc}") from exc


def check_labels(id2label: dict, schema: Schema, where: Path | str) -> None:
    """A ModelError unless the model's tags are exactly the schema's BIO tags, in order."""
    tags = [id2label[k] for k in sorted(id2label, key=int)]
    if tags != schema.bio_tags:
        raise ModelError(f"{where}: the model was trained for the tags {tags}, but its {SCHEMA_FILE} gives "
                         f"{schema.bio_tags}; restore the schema it was trained with or retrain the model")


def load_tagger_parts(model_dir: Path, quantize: str | None = None) -> tuple[object, object, dict, Schema]:
    """(model in float32, tokenizer, settings, schema) of a model folder, labels checked against the schema."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    import infer.charnet  # noqa: F401  (registers the project's encoder with the transformers Auto classes)

    settings = read_settings(model_dir)
    schema = read_schema(model_dir)
    if quantize not in (None, "int8"):
        raise ModelError(f"unknown --quantize {quantize!r}; use int8")
    try:
        with quiet_transformers():
            model = AutoModelForTokenClassification.from_pretrained(model_dir).float()
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:  # truncated weights, invalid config.json, ...
        # (safetensors raises its own SafetensorError, a subclass of none of these: caught by name below)
        raise ModelError(f"{model_dir}: the model folder cannot be loaded ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:200]}); copy it again or retrain it") from exc
    except Exception as exc:
        if type(exc).__name__ != "SafetensorError":
            raise
        raise ModelError(f"{model_dir}: the weights file is damaged ({str(exc)[:200]}); copy the model folder "
                         "again or retrain it") from exc
    check_labels(model.config.id2label, schema, model_dir)
    if quantize == "int8":
        import torch

        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8)
    return model, tokenizer, settings, schema


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Keep transformers' weight-loading bars and load report off the user's terminal while a model
    folder we wrote ourselves is loaded (its warnings would be about our own saved keys)."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def save_tagger(folder: Path, model, tokenizer, schema_path: str | Path, config: dict, hashes: dict[str, str]) -> None:
    """Write the tagger and its provenance into `folder` (a staging folder: see new_staging)."""
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    shutil.copyfile(schema_path, folder / SCHEMA_FILE)
    (folder / CONFIG_FILE).write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    write_json(folder / SETTINGS_FILE, {"max_length": config["model"]["max_length"], "stride": config["model"]["stride"]})
    write_json(folder / HASHES_FILE, hashes)


def save_relations(model_dir: Path, settings: dict, head_state: dict | None) -> None:
    """Replace MODEL_DIR/relations/ atomically with the chosen combination (and its head's weights)."""
    import torch

    folder = model_dir / RELATIONS_DIR
    staging = new_staging(folder)
    try:
        if head_state is not None:
            torch.save(head_state, staging / HEAD_FILE)
        write_json(staging / RELATIONS_SETTINGS, settings)
        move_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_relations(model_dir: Path) -> tuple[dict, dict | None] | None:
    """(settings, head weights or None) of MODEL_DIR/relations/, or None when the folder has none."""
    folder = model_dir / RELATIONS_DIR
    if not (folder / RELATIONS_SETTINGS).is_file():
        return None
    settings = json.loads((folder / RELATIONS_SETTINGS).read_text(encoding="utf-8"))
    if not (folder / HEAD_FILE).is_file():
        return settings, None
    import torch

    return settings, torch.load(folder / HEAD_FILE, map_location="cpu", weights_only=True)


def ship(model_dir: Path, target: Path) -> Path:
    """Write `target` as a copy of the trained folder `model_dir` with its floating-point weights in
    fp16: half the size for git, and loading casts them back to fp32 (the figures move by at most a
    span or two). The target's own README.md, a model card kept by hand with the ablation table, is
    kept; the card `train main` wrote goes beside it as main_job.md. Written atomically."""
    from safetensors.torch import load_file, save_file

    staging = new_staging(target)
    try:
        for path in model_dir.iterdir():
            if path.name == RELATIONS_DIR and path.is_dir():
                shutil.copytree(path, staging / RELATIONS_DIR)
            elif path.is_file() and path.suffix != ".safetensors" and path.name != CARD_FILE:
                shutil.copyfile(path, staging / path.name)
        for weights in model_dir.glob("*.safetensors"):
            tensors = {name: t.half() if t.is_floating_point() else t for name, t in load_file(weights).items()}
            save_file(tensors, staging / weights.name, metadata={"format": "pt"})
            usual_mode(staging / weights.name)
        if (model_dir / CARD_FILE).is_file():
            shutil.copyfile(model_dir / CARD_FILE, staging / MAIN_JOB_FILE)
        card = target / CARD_FILE if (target / CARD_FILE).is_file() else model_dir / CARD_FILE
        if card.is_file():
            shutil.copyfile(card, staging / CARD_FILE)
        move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def new_staging(output: Path) -> Path:
    """A new empty sibling of `output` to build it in, with the mode mkdir would give (mkdtemp makes
    it private; a model folder is meant to be shared)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(output)
    staging = Path(tempfile.mkdtemp(prefix=temp_prefix(output), dir=output.parent))
    usual_mode(staging, 0o777)
    return staging


def move_into_place(staging: Path, output: Path) -> None:
    """Rename the finished `staging` to `output`; an earlier folder there is moved aside first and
    deleted only after the new one is in place."""
    old = None
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(output) + "old.", dir=output.parent))
        os.replace(output, old / output.name)
    os.replace(staging, output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks (weights and archives need not fit in memory)."""
    digest = hashlib.sha256()
    _update(digest, path)
    return digest.hexdigest()


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 over the folder's weight files: names the exact model (Label Studio's model_version)."""
    digest = hashlib.sha256()
    for weights in sorted(model_dir.glob("*.safetensors")):
        _update(digest, weights)
    return digest.hexdigest()


def folder_sha256(model_dir: Path) -> str:
    """SHA-256 over the folder's files (names and bytes): any change of the model changes it."""
    read_settings(model_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0")
        _update(digest, path)
    return digest.hexdigest()


def _update(digest, path: Path) -> None:
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
