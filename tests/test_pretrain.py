"""Building the project's encoder: corpus readers, embedding tables, the pretrain command, and
fine-tuning from an encoder folder (ours, or a BERT in the hub layout with random weights)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from infer.encoding import CharEncoder
from train.embeddings import Source, bigram_table, char_matrix, sentences, train_vectors
from train.vocab import build_tokenizer


@pytest.fixture(scope="module")
def encoder():
    return CharEncoder(build_tokenizer())


def test_corpus_formats_give_normalised_lines(tmp_path):
    (tmp_path / "a.txt").write_text("產業鏈 發展\n\n１２３家企业\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"text": "链主企业", "label": {}}, ensure_ascii=False) + "\n")
    (tmp_path / "c.csv").write_text('id,标题\n1,"plain English"\n2,"链长制，成效"\n', encoding="utf-8")
    (tmp_path / "d.txt").write_text("链\tO\n长\tO\n\n制\tO\n度\tO\n", encoding="utf-8")
    files = [Source(tmp_path / "a.txt", "text"), Source(tmp_path / "b.json", "jsonl"),
             Source(tmp_path / "c.csv", "csv"), Source(tmp_path / "d.txt", "conll")]
    assert list(sentences(files)) == ["产业链发展", "123家企业", "链主企业", "标题", "链长制，成效", "链长", "制度"]


def test_embedding_tables_follow_the_tokenizer(encoder):
    lines = ["产业链链长制"] * 30 + ["链主企业"] * 20
    e = {"window": 2, "min_count": 1, "epochs": 1, "workers": 1, "seed": 1}
    chars = train_vectors(lines, False, 8, e)
    matrix, found = char_matrix(chars, encoder, 10228, 8, seed=1)
    assert found == len(set("".join(lines)))
    assert np.allclose(matrix[encoder.char_id("链")], chars["链"])
    assert not matrix[encoder.pad_id].any()
    bigrams = train_vectors(lines, True, 4, e)
    keys, rows = bigram_table(bigrams, encoder, 10228, max_bigrams=3, seed=1)
    assert len(keys) == 3 and rows.shape == (4, 4) and list(keys) == sorted(keys)
    a, b = divmod(int(keys[0]), 10228)
    word = next(w for w in bigrams.index_to_key if (encoder.char_id(w[0]), encoder.char_id(w[1])) == (a, b))
    assert np.allclose(rows[1], bigrams[word])
    assert {bigrams.index_to_key[i] for i in range(3)} == {
        next(w for w in bigrams.index_to_key if encoder.char_id(w[0]) * 10228 + encoder.char_id(w[1]) == k)
        for k in keys}  # the most frequent ones are kept


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_pretrain_then_fine_tune_from_the_encoder_folder(root, tmp_path):
    corpus = tmp_path / "corpus.txt"
    lines = ["聊城市委书记主持会议", "信发集团作为链主企业", "新能源汽车产业链营收增长17.2%"]
    corpus.write_text("\n".join(lines * 40), encoding="utf-8")
    distinct_bigrams = {line[i : i + 2] for line in lines for i in range(len(line) - 1)}
    cluener = [{"text": "浙商银行企业信贷部叶老桂博士", "label": {"company": {"浙商银行": [[0, 3]]}, "name": {"叶老桂": [[9, 11]]}}},
               {"text": "市委书记李明说", "label": {"position": {"市委书记": [[0, 3]]}, "name": {"李明": [[4, 5]]}}}] * 8
    (tmp_path / "cl.json").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in cluener), encoding="utf-8")
    config = {
        "corpus": [{"path": str(corpus), "format": "text"}],
        "embeddings": {"char_dim": 16, "bigram_dim": 8, "max_bigrams": 30, "min_count": 1, "epochs": 1, "workers": 1},
        "model": {"hidden": 16},
        "supervised": {"train": str(tmp_path / "cl.json"), "dev": str(tmp_path / "cl.json"), "epochs": 1},
        "work_dir": str(tmp_path / "work"),
        "output": str(tmp_path / "encoder"),
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    first = run("train", "pretrain", "--config", str(tmp_path / "p.yaml"), cwd=root)
    assert first.returncode == 0, first.stderr[-3000:]
    encoder_dir = tmp_path / "encoder"
    info = json.loads((encoder_dir / "pretrain.json").read_text())
    assert len(distinct_bigrams) > 30
    assert info["corpus"]["lines"] == 120 and info["corpus"]["bigrams_kept"] == 30
    assert info["supervised"]["cluener_dev"]["company"]["support"] == 8
    from safetensors import safe_open

    with safe_open(encoder_dir / "model.safetensors", "pt") as f:
        assert f.get_tensor("chars.weight").dtype == torch.float16
    again = run("train", "pretrain", "--config", str(tmp_path / "p.yaml"), cwd=root)
    assert again.returncode == 0 and "reusing" in again.stderr  # stage 1 is cached
    assert "supervised: done before" in again.stderr  # and stage 2: a rerun for stage 3 starts after it
    with safe_open(encoder_dir / "model.safetensors", "pt") as f:
        rerun = f.get_tensor("lstm.weight_hh_l0")
    with safe_open(next((tmp_path / "work").glob("supervised-*.safetensors")), "pt") as f:
        assert torch.equal(f.get_tensor("lstm.weight_hh_l0").half(), rerun)
    config["teacher"] = {"lac": str(tmp_path / "no-lac")}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    missing = run("train", "pretrain", "--config", str(tmp_path / "t.yaml"), cwd=root)
    assert missing.returncode == 2 and "teacher.lac:" in missing.stderr and "python -m train lac" in missing.stderr
    assert "embeddings" not in missing.stderr  # refused before any stage ran

    fit_config = {"data": {"dev_docs": ["004_e34ce637d7128e12"]},
                  "model": {"init": "pretrained", "base": str(encoder_dir), "max_length": 64, "stride": 16},
                  "training": {"max_steps": 5, "batch_size": 8}, "output": str(tmp_path / "tuned")}
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(fit_config))
    fit = run("train", "fit", "--config", str(tmp_path / "f.yaml"), cwd=root)
    assert fit.returncode == 0, fit.stderr[-3000:]
    tuned = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert tuned["model_type"] == "chain-ie-charnet" and tuned["id2label"]["1"] == "B-COMPANY"


def test_a_local_bert_folder_in_the_hub_layout_loads(tmp_path):
    from transformers import BertConfig, BertForMaskedLM

    from infer.schema import load_schema
    from train.config import DEFAULTS, merge_config
    from train.fit import build_model

    tokenizer = build_tokenizer()
    BertForMaskedLM(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    config = merge_config(DEFAULTS, {"model": {"init": "pretrained", "base": str(tmp_path)}})
    model, loaded = build_model(config, load_schema("configs/schema.yaml"))
    assert len(loaded) == len(tokenizer) == 10228
    assert model.config.model_type == "bert" and model.config.num_labels == 9


def test_the_shipped_encoder_is_small_loads_and_reads_its_bigrams(root):
    """models/chain-ie-char-zh: what the main job fine-tunes by default."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from infer.charnet import CharNetForTokenClassification

    folder = root / "models" / "chain-ie-char-zh"
    assert sum(f.stat().st_size for f in folder.iterdir()) < 25 * 2**20
    model = AutoModelForTokenClassification.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert isinstance(model, CharNetForTokenClassification) and len(tokenizer) == model.config.vocab_size == 10228
    encoder = CharEncoder(tokenizer)
    ids = torch.tensor([[encoder.char_id(c) for c in "产业链链长"]])
    left, right = model.bigram_ids(ids)
    assert right[0, 0] > 0 and right[0, 1] > 0 and right[0, 3] > 0  # 产业, 业链, 链长 are frequent pairs
    assert right[0, 2] == 0 and right[0, 4] == 0  # 链链 is not; after the last character comes padding
    assert torch.equal(left[0, 1:], right[0, :-1])  # a pair is the right bigram of one char, the left of the next
    assert model.bigram_keys.tolist() == sorted(model.bigram_keys.tolist())
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "python -m train pretrain --config configs/pretrain-charnet.yaml" in card


def test_held_out_documents_never_reach_pretraining(tmp_path):
    """A recipe's dev and test documents (`file#doc_index`, blocks between blank lines) are skipped
    in the unlabeled corpus, so pretraining never reads held-out text; other files are untouched."""
    from train.config import ConfigError
    from train.embeddings import corpus_files, held_out_documents

    (tmp_path / "reports.txt").write_text("甲市产业链\n第二段\n\n乙省链长制\n\n丙县链主企业\n", encoding="utf-8")
    (tmp_path / "news.txt").write_text("丁市新闻\n\n戊市新闻\n", encoding="utf-8")
    held = held_out_documents(["reports.txt#1", "reports.txt#0"])
    files = corpus_files([{"path": str(tmp_path), "format": "text"}], held)
    assert list(sentences(files)) == ["丁市新闻", "戊市新闻", "丙县链主企业"]
    assert list(sentences(corpus_files([{"path": str(tmp_path), "format": "text"}]))) == [
        "丁市新闻", "戊市新闻", "甲市产业链", "第二段", "乙省链长制", "丙县链主企业"]
    with pytest.raises(ConfigError, match="is not 'file#doc_index'"):
        held_out_documents(["reports.txt"])
