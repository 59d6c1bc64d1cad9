"""Pretrain stage 3 (train/teacher.py): LAC's tags become word spans with exact offsets, the text is cut
into window-sized pieces at sentence ends, held-out documents never reach it, and the stage moves the
encoder's BiLSTM while its own tag layer stays."""
from pathlib import Path

import torch

from infer.charnet import CharNetConfig, CharNetForTokenClassification
from infer.encoding import CharEncoder, token_positions
from tests.test_lac import fake_lac
from train.lac import SPECIALS
from train.teacher import lac_classes, pieces, teach, teacher_texts, word_spans

TAGS = ["n-B", "n-I", "PER-B", "PER-I", "v-B", "v-I", "O", "tag7"]


def test_lac_classes_keep_lac_order_and_drop_its_padding_rows():
    assert lac_classes(TAGS) == ["n", "PER", "v"]


def test_tags_become_words_at_the_original_offsets_across_spaces():
    text = "李 长萍调研企业"
    positions = list(token_positions(text))  # the space is no token
    # 李 长 萍 | 调 研 | 企 业 ; an I of another class starts a word, O ends one, padding rows are no class
    tags = ["PER-B", "PER-I", "PER-I", "v-B", "n-I", "n-B", "O"]
    spans = word_spans(text, positions, [TAGS.index(t) for t in tags], TAGS)
    assert [(s.text, s.label, s.start, s.end) for s in spans] == [
        ("李 长萍", "PER", 0, 4), ("调", "v", 4, 5), ("研", "n", 5, 6), ("企", "n", 6, 7)]


def test_pieces_are_cut_at_sentence_ends_and_never_exceed_a_window():
    sentence = "全市工业投资增长9.5%。"
    text = sentence * 20 + "甲" * 300
    out = pieces(text, limit=40)
    assert all(len(p) <= 40 for p in out)
    assert "".join(out) == text
    assert out[0] == sentence * 3  # three whole sentences fit in 40 characters, a fourth does not


def test_held_out_documents_never_reach_the_teacher_text():
    docs = [("gov_work_reports.txt", 0, "今年全市工业投资增长9.5%。会议在北京召开。"),
            ("gov_work_reports.txt", 2, "东风新材料集团有限公司新增产值3亿元。")]
    texts = teacher_texts(docs, max_chars=10_000, seed=1)
    assert {ref for ref, _ in texts} == {"gov_work_reports.txt#0", "gov_work_reports.txt#2"}
    assert teacher_texts(docs, max_chars=5, seed=1)[:1] and len(teacher_texts(docs, max_chars=5, seed=1)) == 1


def test_the_stage_trains_the_bilstm_and_keeps_the_encoders_own_tag_layer(tmp_path):
    from train.vocab import build_tokenizer

    tokenizer = build_tokenizer()
    tokens = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]
    lac = fake_lac(tmp_path / "lac", tokens, n_tags=len(TAGS))
    info = (lac / "lac.json")
    import json

    meta = json.loads(info.read_text()) | {"tags": TAGS, "source": {"sha256": "test"}}
    info.write_text(json.dumps(meta))
    archive = tmp_path / "archive"
    archive.mkdir()
    docs = ["今年全市工业投资增长9.5%。会议在北京召开。", "东风新材料集团有限公司新增产值3亿元。", "会议在北京召开。" * 3]
    for source in ("gov_work_reports.txt", "policy_and_industry_docs.txt", "econ_news_xinwenlianbo.txt"):
        (archive / source).write_text("\n\n".join(docs), encoding="utf-8")
    torch.manual_seed(0)
    net = CharNetForTokenClassification(CharNetConfig(vocab_size=len(tokens), char_dim=8, bigram_dim=4, hidden=6,
                                                      num_labels=3, dropout=0.0))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    config = {"model": {"max_length": 64, "stride": 16},
              "teacher": {"lac": str(lac), "archive": str(archive), "max_chars": 10_000, "epochs": 1,
                          "batch_size": 4, "learning_rate": 1e-2, "seed": 1}}
    held = {"gov_work_reports.txt#2", "policy_and_industry_docs.txt#2", "econ_news_xinwenlianbo.txt#2"}
    done = teach(net, config, held, tokenizer, CharEncoder(tokenizer), tmp_path / "work", "k")
    assert done["pieces"] == 6 and done["classes"] == ["n", "PER", "v"]  # 2 documents x 3 files
    after = net.state_dict()
    assert not torch.equal(before["lstm.weight_hh_l0"], after["lstm.weight_hh_l0"])
    assert torch.equal(before["classifier.weight"], after["classifier.weight"])
    assert net.config.num_labels == 3
    assert not any((tmp_path / "work").glob("teacher-*"))  # its checkpoints are removed when it is done
    assert teach(net, {"model": {}, "teacher": {"lac": None}}, set(), tokenizer, None, Path("x"), "k") is None


def test_the_teacher_rows_differ_from_the_default_only_in_the_teacher(root):
    import yaml

    from train.pretrain import load_pretrain_config

    def read(*parts):
        return yaml.safe_load((root / "configs").joinpath(*parts).read_text(encoding="utf-8"))

    pretrain, taught = read("pretrain-charnet.yaml"), read("ablation", "pretrain-lac-teacher.yaml")
    assert taught.pop("teacher")["lac"] == "models/lac-zh" and "teacher" not in pretrain
    assert taught.pop("output") == "models/chain-ie-char-lac-zh" and pretrain.pop("output") == "models/chain-ie-char-zh"
    assert taught == pretrain  # same stages 1-2 and work_dir: their cached results are shared
    assert load_pretrain_config(root / "configs" / "ablation" / "pretrain-lac-teacher.yaml")["teacher"]["max_chars"] > 0
    # measured before the default took LAC's first layer: its base recipe is configs/ablation/no-lac.yaml
    base, row = read("ablation", "no-lac.yaml"), read("ablation", "lac-teacher.yaml")
    assert row["model"].pop("base") == "models/chain-ie-char-lac-zh" and base["model"].pop("base")
    assert "ship" not in base and "ship" not in row and row.pop("output") == "models/lac-teacher"
    base.pop("output")
    assert row == base
