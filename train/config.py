"""Training recipes: one YAML file, merged over defaults, saved resolved into the model folder."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from train.augment import SWAPPED

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
        # train on only this many corpus passages (a seeded sample of the training split's; the seeds'
        # exports always stay): bench.learning_curve's points. null: all of them
        "corpus_passages": None,
        # intermediate supervised NER before the gold, `epochs` epochs per stage: CLUENER mapped onto the
        # schema (skipped with a note when absent), then silver (a set `python -m train silver` wrote; both
        # may be set and run in that order). unknown_as: what the silver stage trains characters no
        # labelling function decided about as: "O", or "ignore" (unknown: a CRF's loss sums over every
        # tag there, a partial CRF; a softmax loss leaves them out)
        "intermediate": {"cluener": None, "silver": None, "epochs": 0, "unknown_as": "O"},
        # entity substitution (train/augment.py), names drawn from the training gold and, when given,
        # CLUENER train: `copies` substituted copies of the training paragraphs, and/or `swap`: the
        # fraction of the `swap_labels` mentions replaced in place (the training set keeps its size)
        "augment": {"copies": 0, "cluener": None, "swap": 0.0, "swap_labels": ["COMPANY"]},
    },
    "model": {
        "base": None,  # hub id or local folder, loaded with from_pretrained
        "init": "scratch",  # or "pretrained" (uses model.base)
        "arch": "bert",  # for init: scratch: "bert" or "charnet" (infer/charnet.py)
        "char_dim": 128,  # charnet only
        "dropout": 0.3,  # charnet only
        "crf": False,  # charnet only: a CRF tag layer instead of per-token softmax
        # charnet only: a `python -m train lac` folder; its frozen Baidu LAC features join the BiLSTM input
        "lac": None,
        # what of model.lac joins: "states" (its BiGRU's top states), "first-layer" (its first BiGRU layer's
        # states: half the GRU's cost) or "embedding" (its character rows)
        "lac_part": "states",
        # charnet only: a `python -m train lexicon` folder; B/M/E/S flags of its word categories join the BiLSTM input
        "lexicon": None,
        # the tagger-start weight of a METRIC start reranker fitted on the training split's gold
        # (infer/start_reranker.py); null: none
        "metric_reranker": None,
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
        # batches of windows of similar length (about 2x faster CPU training of the BiLSTM; false: the
        # plain random sampler of models trained before 2026-12-06)
        "group_by_length": True,
        # > 0: the saved weights are the mean of the weights at the end of every epoch from this one on
        # (checkpoint averaging, train/average.py) instead of the best epoch's; 0: the best epoch's
        "average_from_epoch": 0,
    },
    "output": None,  # the model folder; every recipe names it (or `fit --output`): no silent default
    "ship": None,  # `train main` also writes an fp16 copy of the model here (the shipped tagger)
}


class ConfigError(ValueError):
    """A recipe that cannot be used; the message says which key."""


# Every numeric setting with its type and range (low, high; None: unbounded). A value outside trains
# nothing or fails deep inside the trainer (epochs: -1 wrote a complete, untrained model folder).
NUMERIC: dict[str, tuple[type, float | None, float | None]] = {
    "data.intermediate.epochs": (int, 0, 100),
    "data.augment.copies": (int, 0, 100),
    "data.augment.swap": (float, 0.0, 1.0),
    "model.char_dim": (int, 8, 4096),
    "model.dropout": (float, 0.0, 0.9),
    "model.layers": (int, 1, 48),
    "model.hidden": (int, 8, 8192),
    "model.heads": (int, 1, 128),
    "model.max_length": (int, 8, 4096),
    "model.stride": (int, 0, 4096),
    "training.seed": (int, 0, 2**32 - 1),
    "training.epochs": (int, 1, 10000),
    "training.batch_size": (int, 1, 65536),
    "training.learning_rate": (float, 1e-8, 10.0),
    "training.weight_decay": (float, 0.0, 1.0),
    "training.warmup_ratio": (float, 0.0, 1.0),
    "training.patience": (int, 0, 10000),
    "training.average_from_epoch": (int, 0, 10000),
}


def check_numbers(config: dict, where: str) -> None:
    """One ConfigError naming the first numeric setting of the wrong type or out of its range (a float
    written 5e-4, which YAML reads as a string, is taken as the number). training.max_steps is -1 (no
    cap) or a positive cap."""
    for key, (kind, low, high) in NUMERIC.items():
        *parents, last = key.split(".")
        holder = config
        for part in parents:
            holder = holder[part]
        value = holder[last]
        if kind is float and isinstance(value, str):  # YAML 1.1 reads 5e-4 (no dot) as a string
            try:
                value = holder[last] = float(value)
            except ValueError:
                pass
        ok_type = isinstance(value, int) and not isinstance(value, bool) if kind is int else (
            isinstance(value, (int, float)) and not isinstance(value, bool))
        if not ok_type:
            raise ConfigError(f"{where}: {key} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{where}: {key} must be between {low:g} and {high:g}, not {value!r}")
    passages = config["data"]["corpus_passages"]
    if passages is not None and (not isinstance(passages, int) or isinstance(passages, bool) or passages < 0):
        raise ConfigError(f"{where}: data.corpus_passages must be null (all) or an integer of at least 0, not {passages!r}")
    if not isinstance(config["training"]["group_by_length"], bool):
        raise ConfigError(f"{where}: training.group_by_length must be true or false, "
                          f"not {config['training']['group_by_length']!r}")
    if config["training"]["average_from_epoch"] > config["training"]["epochs"]:
        raise ConfigError(f"{where}: training.average_from_epoch ({config['training']['average_from_epoch']}) is after "
                          f"the last epoch (training.epochs: {config['training']['epochs']})")
    reranker = config["model"]["metric_reranker"]
    if reranker is not None and (not isinstance(reranker, (int, float)) or isinstance(reranker, bool)
                                 or not 0 <= reranker <= 100):
        raise ConfigError(f"{where}: model.metric_reranker must be null (none) or a number between 0 and 100 "
                          f"(the weight of the tagger's own start), not {reranker!r}")
    steps = config["training"]["max_steps"]
    if not isinstance(steps, int) or isinstance(steps, bool) or not (steps == -1 or steps > 0):
        raise ConfigError(f"{where}: training.max_steps must be -1 (no cap) or a positive integer, not {steps!r}")
    labels = config["data"]["augment"]["swap_labels"]
    if not isinstance(labels, list) or not set(labels) <= set(SWAPPED):
        raise ConfigError(f"{where}: data.augment.swap_labels must be a list of {', '.join(SWAPPED)}, not {labels!r}")
    if config["model"]["stride"] >= config["model"]["max_length"] - 2:
        raise ConfigError(f"{where}: model.stride must be smaller than model.max_length - 2 (the window's text)")


def check_feature_folder(model: dict, key: str, features: str, where: str) -> None:
    """One ConfigError unless model.<key> (`lac` or `lexicon`) names a built feature folder for a
    CharNet recipe; the message gives the command that builds it (a pretrained base's type is checked
    when it is loaded)."""
    if key == "lac":
        from infer.lac import LacError as FolderError, read_info
    else:
        from infer.lexicon import LexiconError as FolderError, read_info

    if not isinstance(model[key], str) or not model[key]:
        raise ConfigError(f"{where}: model.{key} must be a folder path (e.g. models/{key}-zh) or null, "
                          f"not {model[key]!r}")
    if model["init"] == "scratch" and model["arch"] != "charnet":
        raise ConfigError(f"{where}: model.{key} adds {features} to a CharNet; model.arch is {model['arch']!r}")
    try:
        read_info(Path(model[key]))
    except FolderError as exc:
        raise ConfigError(f"{where}: model.{key}: {exc}") from exc


def check_intermediate(inter: dict, where: str) -> None:
    """One ConfigError for an intermediate stage that cannot run: a silver path that is not a string,
    an unknown_as other than O/ignore, or unknown_as: ignore without a silver set it would apply to."""
    for key in ("cluener", "silver"):
        if inter[key] is not None and not (isinstance(inter[key], str) and inter[key]):
            raise ConfigError(f"{where}: data.intermediate.{key} must be a file path or null, not {inter[key]!r}")
    if inter["unknown_as"] not in ("O", "ignore"):
        raise ConfigError(f"{where}: data.intermediate.unknown_as must be 'O' or 'ignore', not {inter['unknown_as']!r}")
    if inter["unknown_as"] == "ignore" and not inter["silver"]:
        raise ConfigError(f"{where}: data.intermediate.unknown_as: ignore applies to the silver stage, but "
                          "data.intermediate.silver names no silver set")


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
    if config["ship"] and Path(config["ship"]).resolve() == Path(config["output"]).resolve():
        raise ConfigError(f"{path}: ship must be another folder than output ({config['output']})")
    model = config["model"]
    if model["init"] not in ("scratch", "pretrained"):
        raise ConfigError(f"{path}: model.init must be 'scratch' or 'pretrained', not {model['init']!r}")
    if model["init"] == "pretrained" and not model["base"]:
        raise ConfigError(f"{path}: model.init is 'pretrained' but model.base names no encoder")
    if model["arch"] not in ("bert", "charnet"):
        raise ConfigError(f"{path}: model.arch must be 'bert' or 'charnet', not {model['arch']!r}")
    check_numbers(config, str(path))
    if model["lac"] is not None:
        check_feature_folder(model, "lac", "LAC features", str(path))
    from infer.lac import PARTS as LAC_PARTS

    if model["lac_part"] not in LAC_PARTS:
        raise ConfigError(f"{path}: model.lac_part must be one of {', '.join(map(repr, LAC_PARTS))}, "
                          f"not {model['lac_part']!r}")
    if model["lexicon"] is not None:
        check_feature_folder(model, "lexicon", "lexicon features", str(path))
    check_intermediate(config["data"]["intermediate"], str(path))
    if model["arch"] == "bert" and model["hidden"] % model["heads"]:
        raise ConfigError(f"{path}: model.hidden must be a multiple of model.heads")
    return config


# Settings that shape a network built from scratch; a pretrained base brings its own.
ARCHITECTURE = {"arch", "char_dim", "dropout", "crf", "layers", "hidden", "heads"}


def defaulted_settings(path: str | Path) -> list[str]:
    """`key=value` for every setting the recipe at `path` leaves to DEFAULTS (schema, model and
    training only: data lists have no meaningful default), so a run can say what it assumed."""
    raw = read_yaml(path)
    pretrained = (raw.get("model") or {}).get("init") == "pretrained"
    out = []
    for section in ("model", "training"):
        given = raw.get(section) or {}
        out += [f"{section}.{k}={v}" for k, v in DEFAULTS[section].items()
                if k not in given and not (pretrained and k in ARCHITECTURE)]
    return out

