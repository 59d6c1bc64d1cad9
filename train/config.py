"""Training recipes: one YAML file, merged over defaults, saved resolved into the model folder."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

DEFAULTS: dict = {
    "schema": "configs/schema.yaml",
    "data": {
        "exports": ["annotations/gold"],  # Label Studio JSON exports (files or folders)
        "seeds": "annotations/seeds",  # the articles the exports annotate (coverage check, batch inference)
        # the stand-off corpus (train/corpus.py): files or folders, and the archive its passages point into
        "corpus": [],
        "archive": "../shared/data/zh-gov-reports",
        "dev_docs": [],  # document-level split: these documents are held out for dev (recipe choices)
        "test_docs": [],  # ... and these for test (reported, never tuned on)
        # intermediate supervised NER before the seed gold (skipped with a note when absent)
        "intermediate": {"cluener": None, "epochs": 0},
        # entity-substitution copies of the training paragraphs (train/augment.py); names drawn from
        # the training gold and, when given, CLUENER train
        "augment": {"copies": 0, "cluener": None},
    },
    "model": {
        "base": None,  # hub id or local folder, loaded with from_pretrained
        "init": "scratch",  # or "pretrained" (uses model.base)
        "arch": "bert",  # for init: scratch: "bert" or "charnet" (infer/charnet.py)
        "char_dim": 128,  # charnet only
        "dropout": 0.3,  # charnet only
        "crf": False,  # charnet only: a CRF tag layer instead of per-token softmax
        "layers": 4,
        "hidden": 256,
        "heads": 4,
        "max_length": 256,  # tokens per window, [CLS]/[SEP] included
        "stride": 64,  # overlap between consecutive windows
    },
    "training": {
        "seed": 42,
        "epochs": 40,
        "batch_size": 16,
        "learning_rate": 5.0e-4,
        "weight_decay": 0.01,
        "warmup_ratio": 0.1,
        "patience": 6,  # epochs without a better dev micro-F1 before stopping
        "max_steps": -1,  # > 0 caps training (tests, smoke runs)
    },
    "output": None,  # the model folder; every recipe names it (or `fit --output`): no silent default
}


class ConfigError(ValueError):
    """A recipe that cannot be used; the message says which key."""


def merge_config(base: dict, override: dict, path: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"unknown config key {path}{key}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key {path}{key} must be a mapping")
            out[key] = merge_config(base[key], value, f"{path}{key}.")
        else:
            out[key] = value
    return out


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys")
    return raw


def load_config(path: str | Path, overrides: dict | None = None) -> dict:
    config = merge_config(DEFAULTS, read_yaml(path))
    if overrides:
        config = merge_config(config, overrides)
    if not config["output"]:
        raise ConfigError(f"{path}: the recipe names no output folder (add `output: models/NAME`, or give --output)")
    model = config["model"]
    if model["init"] not in ("scratch", "pretrained"):
        raise ConfigError(f"{path}: model.init must be 'scratch' or 'pretrained', not {model['init']!r}")
    if model["init"] == "pretrained" and not model["base"]:
        raise ConfigError(f"{path}: model.init is 'pretrained' but model.base names no encoder")
    if model["arch"] not in ("bert", "charnet"):
        raise ConfigError(f"{path}: model.arch must be 'bert' or 'charnet', not {model['arch']!r}")
    if model["arch"] == "bert" and model["hidden"] % model["heads"]:
        raise ConfigError(f"{path}: model.hidden must be a multiple of model.heads")
    return config
