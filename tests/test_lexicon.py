"""Lexicon features (infer/lexicon.py, train/lexicon.py): the torch matcher gives the flags a plain
Python matcher gives, ignores padding and special tokens, starts a pretrained CharNet unchanged,
and travels inside the model folder."""
import json
import os
import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from infer.charnet import CharNetConfig, CharNetForTokenClassification
from infer.lexicon import FLAGS, HASH, INFO_FILE, MAX_WORD, WEIGHTS_FILE, LexiconFeatures, merged_table, word_key
from train.lac import vocab_sha256
from train.lexicon import (CATEGORIES, LICENSE_FILE, LexiconBuildError, attach_lexicon, check_collisions,
                           indicator_name, read_jieba, title_phrases)
from train.vocab import build_tokenizer

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

# Constructed words per category (token ids are those of the project's tokenizer).
WORDS = {
    "general": ["产业", "产业链", "链长", "有限公司", "集团", "增加值", "工业"],
    "company": ["信发集团", "山东信发集团", "信发"],
    "chain": ["有色金属", "有色金属产业", "金属"],
    "official": ["书记", "市委书记", "链长", "长"],
    "indicator": ["工业增加值", "增加值", "营收"],
}
SENTENCES = ["聊城市委书记调研山东信发集团有限公司。", "有色金属产业链链长强调工业增加值增长。", "信发营收长",
             "长", "集团集团集团"]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def token_ids(tokenizer, word: str) -> list[int]:
    return tokenizer.convert_tokens_to_ids(list(word))


def lexicon_folder(folder: Path, tokenizer, words: dict[str, list[str]] = WORDS) -> Path:
    """What `python -m train lexicon` writes, for constructed words instead of jieba and the corpus."""
    vocab = tokenizer.get_vocab()
    tokens = sorted(vocab, key=vocab.__getitem__)
    state = {name: torch.tensor(sorted({word_key(token_ids(tokenizer, w)) for w in words.get(name, [])}),
                                dtype=torch.long) for name in CATEGORIES}
    state["chars"] = torch.tensor([t not in SPECIALS for t in tokens])
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / INFO_FILE).write_text(json.dumps({"categories": list(CATEGORIES), "hash": HASH,
                                                "vocab_sha256": vocab_sha256(tokens)}))
    (folder / LICENSE_FILE).write_text("jieba notice (test copy)")
    return folder


def features_module(tokenizer, words: dict[str, list[str]] = WORDS) -> LexiconFeatures:
    tables = {name: torch.tensor(sorted({word_key(token_ids(tokenizer, w)) for w in words.get(name, [])}),
                                 dtype=torch.long) for name in CATEGORIES}
    keys, bits = merged_table(tables)
    module = LexiconFeatures(len(tokenizer), keys.numel(), len(CATEGORIES))
    module.keys.copy_(keys)
    module.bits.copy_(bits)
    module.chars.copy_(torch.tensor([t not in SPECIALS for t in sorted(tokenizer.get_vocab(),
                                                                        key=tokenizer.get_vocab().__getitem__)]))
    return module


def reference_flags(text: str, words: dict[str, list[str]]) -> list[list[float]]:
    """Per character, the category-major B/M/E/S flags, by scanning the text for each word."""
    out = [[0.0] * (len(FLAGS) * len(CATEGORIES)) for _ in text]
    for c, name in enumerate(CATEGORIES):
        for word in words.get(name, []):
            start = text.find(word)
            while start >= 0:
                end = start + len(word) - 1
                if len(word) == 1:
                    out[start][4 * c + 3] = 1.0
                else:
                    out[start][4 * c] = 1.0
                    out[end][4 * c + 2] = 1.0
                    for i in range(start + 1, end):
                        out[i][4 * c + 1] = 1.0
                start = text.find(word, start + 1)
    return out


def test_torch_flags_equal_a_plain_python_matcher(tokenizer):
    module = features_module(tokenizer)
    for text in SENTENCES:
        ids = torch.tensor([tokenizer(text)["input_ids"]])
        flags = module(ids)[0]
        assert flags[0].sum() == 0 and flags[-1].sum() == 0  # [CLS], [SEP]
        assert flags[1:-1].tolist() == reference_flags(text, WORDS), text


def test_random_words_and_sentences_match_the_reference(tokenizer):
    """Words of every length 1..MAX_WORD cut from random sentences over a small alphabet (many overlaps)."""
    rng = random.Random(0)
    alphabet = "产业链长集团有色"
    for _ in range(20):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        words = {name: list({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, MAX_WORD)))
                             for _ in range(6)}) for name in CATEGORIES}
        flags = features_module(tokenizer, words)(torch.tensor([tokenizer(text)["input_ids"]]))[0, 1:-1]
        assert flags.tolist() == reference_flags(text, words), (text, words)


def test_a_word_longer_than_max_word_is_not_matched(tokenizer):
    long_word = "有色金属产业链"
    assert len(long_word) > MAX_WORD
    module = features_module(tokenizer, {"chain": [long_word]})
    assert module(torch.tensor([tokenizer(long_word)["input_ids"]])).sum() == 0


def test_flags_ignore_padding_and_the_rest_of_the_batch(tokenizer):
    module = features_module(tokenizer)
    alone = module(torch.tensor([tokenizer(SENTENCES[2])["input_ids"]]))[0]
    batch = tokenizer(SENTENCES[2:4] + ["集团集团集团集团集团"], padding=True, return_tensors="pt")
    padded = module(batch["input_ids"], batch["attention_mask"])
    assert torch.equal(padded[0, : alone.size(0)], alone)
    assert padded[0, alone.size(0):].sum() == 0 and padded[1, 3:].sum() == 0
    unmasked = module(batch["input_ids"])  # padding ids are not characters: no flags even without a mask
    assert torch.equal(unmasked, padded)


def small_charnet(vocab_size: int, tags: list[str] | None = None) -> CharNetForTokenClassification:
    torch.manual_seed(0)
    tags = tags or ["O", "B-X", "I-X"]
    return CharNetForTokenClassification(CharNetConfig(
        vocab_size=vocab_size, char_dim=8, bigram_dim=4, hidden=6, dropout=0.0, num_labels=len(tags),
        id2label=dict(enumerate(tags)), label2id={t: i for i, t in enumerate(tags)})).eval()


def tokens_of(tokenizer) -> list[str]:
    vocab = tokenizer.get_vocab()
    return sorted(vocab, key=vocab.__getitem__)


def test_attaching_the_lexicon_leaves_the_tags_unchanged_and_refuses_another_vocabulary(tmp_path, tokenizer):
    folder = lexicon_folder(tmp_path / "lex", tokenizer)
    net = small_charnet(len(tokenizer))
    extended = attach_lexicon(net, folder, tokens_of(tokenizer)).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    assert extended.config.lexicon_dim == len(FLAGS) * len(CATEGORIES)
    assert extended.lexicon(batch["input_ids"], batch["attention_mask"]).sum() > 0  # the flags are there ...
    before = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    after = extended(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    assert torch.equal(before, after)  # ... and read through zero columns
    with pytest.raises(ValueError, match="another tokenizer vocabulary"):
        attach_lexicon(net, folder, tokens_of(tokenizer)[::-1])
    with pytest.raises(ValueError, match="already has lexicon features"):
        attach_lexicon(extended, folder, tokens_of(tokenizer))


def test_lac_and_lexicon_columns_keep_their_order_whichever_is_attached_first(tmp_path, tokenizer):
    """[chars, bigrams, LAC, lexicon]: LAC attached to a model that has the lexicon goes before its flags."""
    from infer.lac import INFO_FILE as LAC_INFO, WEIGHTS_FILE as LAC_WEIGHTS, LacFeatures
    from train.lac import attach_lac

    tokens = tokens_of(tokenizer)
    lex = lexicon_folder(tmp_path / "lex", tokenizer)
    lac = tmp_path / "lac"  # a LAC folder with random weights (tests/test_lac.py's fake_lac)
    lac.mkdir()
    torch.manual_seed(3)
    save_file(LacFeatures(len(tokens)).state_dict(), str(lac / LAC_WEIGHTS))
    (lac / LAC_INFO).write_text(json.dumps({"vocab_sha256": vocab_sha256(tokens), "tags": []}))
    net = small_charnet(len(tokens))
    first = attach_lexicon(attach_lac(net, lac, tokens), lex, tokens)
    second = attach_lac(attach_lexicon(net, lex, tokens), lac, tokens)
    torch.manual_seed(5)
    for model in (first, second):  # the same nonzero weights on the LAC and lexicon columns of both
        lstm = model.lstm.weight_ih_l0.data
        lstm[:, 16:16 + 256] = 0.01
        lstm[:, 16 + 256:] = torch.arange(20.0) / 100
        model.eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    assert torch.equal(first(**batch).logits, second(**batch).logits)


def test_save_and_load_through_the_model_folder_and_the_auto_classes(root, tmp_path, tokenizer):
    from transformers import AutoModelForTokenClassification

    from infer.model_folder import load_tagger_parts, save_tagger, ship
    from infer.schema import load_schema

    folder = lexicon_folder(tmp_path / "lex", tokenizer)
    schema = root / "configs" / "schema.yaml"
    net = small_charnet(len(tokenizer), load_schema(schema).bio_tags)
    extended = attach_lexicon(net, folder, tokens_of(tokenizer)).eval()
    with torch.no_grad():
        extended.lstm.weight_ih_l0[:, -20:] = 0.5  # as if trained: the flags now change the tags
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    logits = extended(**batch).logits
    extended.save_pretrained(tmp_path / "model")
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path / "model").eval()
    assert loaded.config.lexicon_categories == list(CATEGORIES)
    assert torch.equal(loaded.lexicon.keys, extended.lexicon.keys) and loaded.lexicon.chars.dtype == torch.bool
    assert torch.equal(loaded(**batch).logits, logits)

    model_dir = tmp_path / "tagger"
    save_tagger(model_dir, extended, tokenizer, schema, {"model": {"max_length": 64, "stride": 16}}, {})
    model, *_ = load_tagger_parts(model_dir)
    assert torch.equal(model.lexicon.bits, extended.lexicon.bits)
    assert torch.allclose(model(**batch).logits, logits)
    shipped, *_ = load_tagger_parts(ship(model_dir, tmp_path / "shipped"))  # fp16 copy: the keys stay int64
    assert shipped.lexicon.keys.dtype == torch.long and torch.equal(shipped.lexicon.keys, extended.lexicon.keys)


def test_a_recipe_naming_a_missing_lexicon_is_one_line_with_the_build_command(tmp_path):
    import yaml

    from train.config import ConfigError, load_config

    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"model": {"init": "pretrained", "base": "models/chain-ie-char-zh",
                                                               "lexicon": str(tmp_path / "nope")}, "output": "x"}))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "r.yaml")
    assert "\n" not in str(err.value)
    assert "model.lexicon: " in str(err.value) and "python -m train lexicon --config" in str(err.value)
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"model": {"arch": "bert", "lexicon": str(tmp_path)}, "output": "x"}))
    with pytest.raises(ConfigError, match="model.lexicon adds lexicon features to a CharNet"):
        load_config(tmp_path / "b.yaml")


def test_the_ablation_recipe_is_the_recipe_it_was_measured_on_plus_the_lexicon(root):
    import yaml

    # measured before the default took LAC's first layer: its base is configs/ablation/no-lac.yaml
    base = yaml.safe_load((root / "configs" / "ablation" / "no-lac.yaml").read_text(encoding="utf-8"))
    ablation = yaml.safe_load((root / "configs" / "ablation" / "lexicon-features.yaml").read_text(encoding="utf-8"))
    assert ablation["model"].pop("lexicon") == "models/lexicon-zh"
    assert ablation.pop("output") == "models/lexicon-features"
    base.pop("output")
    assert "ship" not in base and "ship" not in ablation  # an ablation never replaces the shipped tagger
    assert ablation == base


def test_domain_words_give_names_titles_and_indicators_not_people():
    assert indicator_name("规上工业增加值同比增长7.5%") == "规上工业增加值"
    assert indicator_name("全市规上工业企业达到1557家") == "规上工业企业"
    assert title_phrases("聊城市委书记李长萍") == ["聊城市委书记", "书记"]
    assert "冠县发展和改革局党组书记" in title_phrases("冠县发展和改革局党组书记、局长呼庆国")
    assert not any("呼庆国" in p for p in title_phrases("冠县发展和改革局党组书记、局长呼庆国"))


def test_collisions_and_a_wrong_jieba_archive_are_one_clear_error(tmp_path):
    with pytest.raises(LexiconBuildError, match="share key"):
        check_collisions({"a": {7: (1, 2)}, "b": {7: (3,)}})
    check_collisions({"a": {7: (1, 2)}, "b": {7: (1, 2)}})  # one word in two categories is fine
    with pytest.raises(LexiconBuildError, match="no such file.*pip download jieba==0.42.1"):
        read_jieba(tmp_path / "jieba-0.42.1.tar.gz")
    (tmp_path / "jieba-0.42.1.tar.gz").write_bytes(b"not jieba")
    with pytest.raises(LexiconBuildError, match="is not the pinned"):
        read_jieba(tmp_path / "jieba-0.42.1.tar.gz")


@pytest.mark.slow
def test_a_tiny_fit_trains_the_new_columns_and_the_tagger_folder_is_self_contained(tmp_path, tokenizer):
    import yaml

    from infer.model_folder import HASHES_FILE
    from infer.tagger import Tagger
    from train.config import load_config
    from train.fit import fit

    base = small_charnet(len(tokenizer))
    base.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    folder = lexicon_folder(tmp_path / "lex", tokenizer)
    recipe = {"data": {"dev_docs": ["004_e34ce637d7128e12"]},
              "model": {"init": "pretrained", "base": str(tmp_path / "base"), "lexicon": str(folder),
                        "max_length": 64, "stride": 16},
              "training": {"max_steps": 3, "batch_size": 8, "learning_rate": 1e-2}, "output": str(tmp_path / "tuned")}
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(recipe))
    fit(load_config(tmp_path / "f.yaml"))
    tagger = Tagger(tmp_path / "tuned")
    assert tagger.model.lexicon is not None
    assert tagger.model.lstm.weight_ih_l0[:, -20:].abs().max() > 0  # started at zero, moved by training
    assert len(tagger.predict(["聊城市委书记调研信发集团。"])) == 1
    assert str(folder / WEIGHTS_FILE) in json.loads((tmp_path / "tuned" / HASHES_FILE).read_text())
    assert (tmp_path / "tuned" / LICENSE_FILE).is_file() and (tmp_path / "tuned" / INFO_FILE).is_file()


JIEBA_PATH = Path(os.environ.get("JIEBA_SDIST", "/tmp/jieba/jieba-0.42.1.tar.gz"))


def test_a_build_from_the_seed_gold_and_jieba_stores_keys_not_words(root, tmp_path, tokenizer):
    """`python -m train lexicon` on a recipe without the archive (its training gold only): the folder
    holds keys that find the seed gold's names, and no word text."""
    import yaml

    from train.lexicon import build_lexicon

    if not JIEBA_PATH.is_file():
        pytest.skip(f"{JIEBA_PATH} absent (set JIEBA_SDIST)")
    recipe = {"schema": str(root / "configs" / "schema.yaml"),
              "data": {"exports": [str(root / "annotations" / "gold")], "seeds": str(root / "annotations" / "seeds"),
                       "archive": str(tmp_path / "no-archive"), "dev_docs": ["004_e34ce637d7128e12"]},
              "output": str(tmp_path / "unused")}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(recipe))
    info = build_lexicon(tmp_path / "r.yaml", JIEBA_PATH, tmp_path / "lex", root / "models" / "chain-ie-char-zh", 1)
    assert info["words"]["general"] > 300_000 and all(info["words"][c] > 0 for c in CATEGORIES)
    assert "silver" not in info["sources"] and info["sources"]["train_documents"] == 4  # seed 004 is dev
    stored = (tmp_path / "lex" / INFO_FILE).read_text(encoding="utf-8")
    assert "信发" not in stored and "书记" not in stored
    extended = attach_lexicon(small_charnet(len(tokenizer)), tmp_path / "lex", tokens_of(tokenizer))
    flags = extended.lexicon(torch.tensor([tokenizer("信发集团市委书记")["input_ids"]]))[0, 1:-1]
    company, official = CATEGORIES.index("company"), CATEGORIES.index("official")
    assert flags[0, 4 * company] == 1 and flags[3, 4 * company + 2] == 1  # 信发集团 begins and ends
    assert flags[6, 4 * official] == 1 and flags[7, 4 * official + 2] == 1  # 书记 (a title word)
