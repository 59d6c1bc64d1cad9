"""The seed gold (issue 3): valid, complete, split by document, and aligned through normalisation."""
import copy
import json

import pytest

from infer.decode import decode
from infer.encoding import CharEncoder
from infer.normalize import normalize
from infer.schema import load_schema
from train.align import example_features
from train.config import load_config
from train.data import load_export
from train.validate import seed_documents, validate
from train.vocab import build_tokenizer


def test_gold_is_valid_and_covers_every_seed_paragraph(root, gold_examples):
    docs = seed_documents(root / "annotations" / "seeds")
    assert set(docs) == {ex.doc for ex in gold_examples}
    report = validate(gold_examples, load_schema(), docs)
    assert report.errors == []
    assert all(report.labels[label] > 0 for label in ["COMPANY", "METRIC", "CHAIN", "OFFICIAL"])


def test_validator_reports_each_kind_of_error(root, tmp_path):
    tasks = json.loads((root / "annotations/gold/000_21906914d730ea09.json").read_text(encoding="utf-8"))
    bad = copy.deepcopy(tasks)
    regions = [(t, r) for t in bad for r in t["annotations"][0]["result"] if r["type"] == "labels"]
    regions[0][1]["value"]["start"] += 1  # text no longer matches
    regions[1][1]["value"]["labels"] = ["PRODUCT"]  # outside the schema
    del bad[3]  # a paragraph without a task
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    report = validate(load_export(path), load_schema(), seed_documents(root / "annotations" / "seeds"))
    text = "\n".join(report.errors)
    assert "but the text there is" in text
    assert "PRODUCT outside the schema" in text
    assert "has no annotated task" in text


def test_split_keeps_the_traditional_copy_with_its_original(root):
    config = load_config(root / "configs" / "default.yaml")
    dev = set(config["data"]["dev_docs"])
    assert ("000_21906914d730ea09" in dev) == ("003_fb9f74054291eaad" in dev)


@pytest.mark.parametrize("doc", ["003_fb9f74054291eaad", "002_e7cec48a180dbaa5"])
def test_alignment_recovers_every_gold_span(gold_examples, doc):
    """Gold spans -> token labels (through pinyin removal and line joining) -> decoded spans -> original offsets."""
    schema = load_schema()
    label2id = {t: i for i, t in enumerate(schema.bio_tags)}
    encoder = CharEncoder(build_tokenizer())
    for ex in (e for e in gold_examples if e.doc == doc):
        [feat], lost = example_features(ex, encoder, label2id, 1024, 64)
        assert lost == []
        tags = [schema.bio_tags[i] for i in feat.labels[1:-1]]
        norm = normalize(ex.text)
        positions = encoder.encode(norm.text)[1]
        got = set()
        for span in decode(tags, [1.0] * len(tags)):
            got.add(norm.to_original(positions[span.start], positions[span.end - 1] + 1) + (span.label,))
        # a span that ends in dropped pinyin maps back to its last kept character
        want = {norm.to_original(*norm.to_normalized(s.start, s.end)) + (s.label,) for s in ex.spans}
        assert got == want


def test_cluener_labels_map_onto_the_schema(tmp_path):
    from train.data import load_cluener

    row = {"text": "浙商银行行长张三说，市长李四到访", "label": {
        "company": {"浙商银行": [[0, 3]]}, "position": {"行长": [[4, 5]], "市长": [[10, 11]]},
        "name": {"张三": [[6, 7]], "李四": [[12, 13]]}}}
    path = tmp_path / "train.json"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    [ex] = load_cluener(path)
    assert [(s.text, s.label) for s in ex.spans] == [("浙商银行", "COMPANY"), ("行长张三", "OFFICIAL"), ("市长李四", "OFFICIAL")]


def test_a_missing_or_malformed_cluener_file_is_a_clear_error(tmp_path):
    import pytest

    from train.data import DataError, load_cluener

    with pytest.raises(DataError, match="cannot read"):
        load_cluener(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text('{"text": "ok", "label": {}}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match="bad.json:2"):
        load_cluener(tmp_path / "bad.json")


def test_dataset_rows_are_the_aligned_windows_in_order(gold_examples, capsys):
    """training_rows (datasets, batched map) gives the Trainer exactly the windows example_features
    makes, in example order, and prints each lost span once."""
    from dataclasses import replace

    from infer.spans import Span
    from train.rows import training_rows

    label2id = {t: i for i, t in enumerate(load_schema().bio_tags)}
    encoder = CharEncoder(build_tokenizer())
    lost = replace(gold_examples[0], source="lost:1", text="聊城  信发", spans=[Span(2, 4, "COMPANY", "  ")])
    examples = [*gold_examples, lost]
    want = [{"input_ids": f.input_ids, "labels": f.labels}
            for ex in examples for f in example_features(ex, encoder, label2id, 64, 16)[0]]
    rows = training_rows(examples, encoder, label2id, {"max_length": 64, "stride": 16})
    assert rows.column_names == ["input_ids", "labels"]
    assert rows.to_list() == want and len(want) > len(examples)  # long paragraphs: several windows each
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: lost:1: span '  ' has no token after normalisation"]
    assert len(training_rows([], encoder, label2id, {"max_length": 64, "stride": 16})) == 0
