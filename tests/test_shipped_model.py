"""The tagger shipped in git (models/chain-ie-ner-zh): what `python -m infer` uses without --model, so
it must work right after install, stay small, and be the trained model (not a stub or a cast gone wrong)."""
import json
import subprocess
import sys

import pytest

from infer.model_folder import SHIPPED_MODEL


@pytest.fixture(scope="module")
def shipped(root):
    folder = root / SHIPPED_MODEL
    if not (folder / "model.safetensors").is_file():
        pytest.fail(f"{SHIPPED_MODEL} is missing: it is in git; rebuild it with python -m train main")
    return folder


def test_the_shipped_tagger_is_small_fp16_and_carries_its_card(shipped):
    from safetensors import safe_open

    assert sum(p.stat().st_size for p in shipped.rglob("*") if p.is_file()) <= 30 * 2**20
    with safe_open(shipped / "model.safetensors", "pt") as weights:
        floating = {str(weights.get_tensor(k).dtype) for k in weights.keys() if weights.get_tensor(k).is_floating_point()}
    assert floating == {"torch.float16"}
    card = (shipped / "README.md").read_text(encoding="utf-8")
    assert "test micro-F1" in card and "python -m train main --config configs/default.yaml" in card
    assert (shipped / "main_job.md").is_file() and (shipped / "relations" / "relations.json").is_file()


def test_python_m_infer_without_model_tags_the_seed_articles_like_their_gold(root, shipped, tmp_path, gold_examples):
    """The seed articles are in the shipped model's training data: it must find nearly all their gold
    spans (a wrong fp16 cast, a stale schema or another folder would not)."""
    from train.evaluate import score_predictions
    from infer.spans import Span

    out = tmp_path / "seeds.jsonl"
    run = subprocess.run([sys.executable, "-m", "infer", "--input", str(root / "annotations" / "seeds"),
                          "--output", str(out)], cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    docs = {d["id"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    predictions = []
    for ex in gold_examples:
        doc = docs[ex.doc]
        end = ex.offset + len(ex.text)
        predictions.append([Span(e["start"] - ex.offset, e["end"] - ex.offset, e["label"], e["text"])
                            for e in doc["entities"] if ex.offset <= e["start"] and e["end"] <= end])
    table = score_predictions(gold_examples, predictions, ["COMPANY", "METRIC", "CHAIN", "OFFICIAL"])
    assert table["micro avg"]["f1"] >= 0.85, table
