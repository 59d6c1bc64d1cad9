"""Relation extraction: the strict evaluator, candidate pairs, a deterministic head, and the
rule fallback, on an untrained tiny encoder (a real model folder, built in a second)."""
import json
import shutil

import pytest
import torch

from infer.documents import Paragraph, prepare
from infer.model_folder import HEAD_FILE, RELATIONS_DIR, RELATIONS_SETTINGS, SETTINGS_FILE
from infer.tagger import Tagger
from infer.relations import DISTANCE_CAP, ParagraphView, RelationExtractor, candidates, rule_relations
from infer.schema import load_schema
from infer.spans import Span
from train.data import Example, GoldRelation
from train.relations import (fit_head, relation_keys, score_relations, tagged_examples, train_relations,
                             training_matrix, with_gold)

SCHEMA = load_schema()


def mentions_of(text: str, spans: list[tuple[str, str]]) -> list[Span]:
    out, at = [], 0
    for i, (s, label) in enumerate(spans):
        start = text.index(s, at)
        at = start + len(s)
        out.append(Span(start, at, label, id=f"m{i}"))
    return out


def view_of(text: str, mentions: list[Span]) -> ParagraphView:
    """A one-paragraph document's view (no encoder states: the cheap features only)."""
    return ParagraphView(prepare("t", text), Paragraph(0, 0, text), mentions)


def document(text: str, mentions: list[Span]):
    doc = prepare("d", text)
    doc.entities = mentions
    return doc


def example(text: str, spans: list[tuple[str, str]], relations: list[tuple[int, int, str]]) -> Example:
    ms = mentions_of(text, spans)
    return Example("t", "doc", 0, 0, text, [Span(m.start, m.end, m.label, text[m.start:m.end], id=m.id) for m in ms],
                   [GoldRelation(f"m{a}", f"m{b}", kind) for a, b, kind in relations])


def test_strict_score_needs_exact_spans_labels_and_type():
    text = "信发集团营收增长12.5%，时风集团投资5亿元。"
    ex = example(text, [("信发集团", "COMPANY"), ("营收增长12.5%", "METRIC"), ("时风集团", "COMPANY"),
                        ("投资5亿元", "METRIC")], [(1, 0, "MEASURES"), (3, 2, "MEASURES")])
    gold = relation_keys(ex, ex.spans, ex.relations)
    shifted = Span(text.index("投资"), text.index("投资") + 4, "METRIC", id="x")  # 投资5亿 without 元
    relabelled = Span(0, 4, "CHAIN", id="y")
    pred_mentions = [*ex.spans, shifted, relabelled]
    pred = relation_keys(ex, pred_mentions, [GoldRelation("m1", "m0", "MEASURES"), GoldRelation("x", "m2", "MEASURES"),
                                             GoldRelation("m1", "y", "MEASURES"), GoldRelation("m2", "m0", "ANCHORS")])
    table = score_relations(gold, pred, SCHEMA.relation_names)
    assert table["MEASURES"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2, "predicted": 3}
    assert table["ANCHORS"]["precision"] == 0.0 and table["ANCHORS"]["predicted"] == 1
    assert table["micro avg"]["precision"] == 0.25 and table["micro avg"]["recall"] == 0.5
    assert table["LEADS"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 0}


def test_candidates_follow_the_schema_and_the_cap():
    text = "聊城市有色金属产业链链长李长萍表示，信发集团" + "的" * 20 + "营收增长12.5%。"
    view = view_of(text, mentions_of(text, [("有色金属产业链", "CHAIN"), ("李长萍", "OFFICIAL"),
                                                  ("信发集团", "COMPANY"), ("营收增长12.5%", "METRIC")]))
    chain, official, company, metric = view.mentions
    found = {(c.source.id, c.target.id): c.distance for c in candidates(view, SCHEMA, cap=10**6)}
    for a in view.mentions:
        for b in view.mentions:
            allowed = any(SCHEMA.allows(r, a.label, b.label) for r in SCHEMA.relation_names)
            assert ((a.id, b.id) in found) == (allowed and a is not b)
    assert found[(metric.id, company.id)] == 20 and found[(official.id, chain.id)] == 2
    capped = {(c.source.id, c.target.id) for c in candidates(view, SCHEMA, cap=20)}
    assert (metric.id, company.id) in capped
    assert (metric.id, company.id) not in {(c.source.id, c.target.id) for c in candidates(view, SCHEMA, cap=19)}
    assert (metric.id, chain.id) not in capped


def test_distance_counts_model_tokens_not_inline_pinyin():
    plain = "信发集团实施项目营收增长12%"
    noisy = "信發(fā)集團(tuán)實(shí)施項(xiàng)目營收增長12%"
    d = [view_of(t, mentions_of(t, [(t[:4] if t is plain else t[:12], "COMPANY"), (t[-7:], "METRIC")]))
         for t in (plain, noisy)]
    assert [v.distance(*v.mentions) for v in d] == [4, 4]


@pytest.fixture(scope="module")
def tiny_tagger(tmp_path_factory, root):
    from train.config import DEFAULTS, merge_config
    from train.fit import build_model

    torch.manual_seed(0)
    config = merge_config(DEFAULTS, {"model": {"init": "scratch", "arch": "charnet", "char_dim": 16, "hidden": 32,
                                               "layers": 1, "max_length": 64}})
    model, tokenizer = build_model(config, SCHEMA)
    folder = tmp_path_factory.mktemp("tiny")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    shutil.copyfile(root / "configs" / "schema.yaml", folder / "schema.yaml")
    (folder / SETTINGS_FILE).write_text(json.dumps({"max_length": 64, "stride": 16}))
    return Tagger(folder)


def test_head_training_is_deterministic_and_saved_head_is_used(tiny_tagger, gold_examples, tmp_path):
    train = [ex for ex in gold_examples if ex.doc.startswith("000") and ex.relations]
    dev = [ex for ex in gold_examples if ex.doc.startswith("004") and ex.relations]
    x, y, allowed = training_matrix(train, with_gold(tagged_examples(tiny_tagger, train), train), SCHEMA,
                                    use_rules=False)
    assert int((y > 0).sum()) == sum(len(ex.relations) for ex in train)  # every train relation is within the cap
    a, b = (fit_head(x, y, allowed, 1 + len(SCHEMA.relation_names), seed=7).state_dict() for _ in range(2))
    assert all(torch.equal(a[k], b[k]) for k in a)

    folder = tmp_path / "model"
    shutil.copytree(tiny_tagger.model_dir, folder)
    tagger = Tagger(folder)
    settings = train_relations(folder, train, dev, seed=7)
    saved = json.loads((folder / RELATIONS_DIR / RELATIONS_SETTINGS).read_text())
    assert saved["combination"] == settings["combination"] and saved["cap"] == DISTANCE_CAP
    assert (folder / RELATIONS_DIR / HEAD_FILE).is_file() == (settings["combination"] != "rules")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    extractor = RelationExtractor.load(folder, tagger.schema)
    assert extractor.combination == settings["combination"]
    best = settings["dev"][settings["combination"]]["gold_entities"]["micro avg"]["f1"]
    assert best == max(t["gold_entities"]["micro avg"]["f1"] for t in settings["dev"].values())

    from infer.__main__ import predict_main

    text = dev[0].text
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "d", "text": text}, ensure_ascii=False) + "\n")
    assert predict_main(["--model", str(folder), "--input", str(tmp_path / "in.jsonl"),
                         "--output", str(tmp_path / "out.jsonl")]) == 0
    row = json.loads((tmp_path / "out.jsonl").read_text())
    ents = [Span(e["start"], e["end"], e["label"], id=e["id"]) for e in row["entities"]]
    doc = tagger.tag([prepare("d", text)], with_states=extractor.needs_states)[0]
    doc.entities = ents
    [expected] = extractor.relations([doc])
    assert [(r["from"], r["to"], r["type"], r["score"]) for r in row["relations"]] == \
        [(r.source, r.target, r.type, r.score) for r in expected]


def test_without_a_relations_folder_the_rules_are_used(tiny_tagger):
    assert not (tiny_tagger.model_dir / RELATIONS_DIR).exists()
    text = "作为有色金属产业链“链主”企业，信发集团投资300多亿元。\n\n聊城市有色金属产业链链长李长萍说。"
    ms = mentions_of(text, [("有色金属产业链", "CHAIN"), ("信发集团", "COMPANY"), ("投资300多亿元", "METRIC"),
                            ("有色金属产业链", "CHAIN"), ("李长萍", "OFFICIAL")])
    extractor = RelationExtractor.load(tiny_tagger.model_dir, tiny_tagger.schema)
    [found] = extractor.relations([document(text, ms)])
    assert extractor.combination == "rules"
    assert {(r.source, r.target, r.type) for r in found} == {("m1", "m0", "ANCHORS"), ("m2", "m1", "MEASURES"),
                                                            ("m4", "m3", "LEADS")}
    assert found == rule_relations(document(text, ms), SCHEMA)
