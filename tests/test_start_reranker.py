"""The METRIC start reranker (infer/start_reranker.py, train/start_reranker.py): its candidates, its
choice against the tagger's start, its file in a model folder, and what fitting learns."""
from __future__ import annotations

import pytest

from infer.spans import Span
from infer.start_reranker import FILE, StartReranker, candidate_starts, start_features


def metric(text: str, piece: str, label: str = "METRIC", id: str = "") -> Span:
    start = text.index(piece)
    return Span(start, start + len(piece), label, piece, 0.9, id)


def test_candidates_stop_at_a_clause_break_cross_an_enumeration_and_end_at_the_value():
    text = "去年，新增产能、项目投资120亿元。"
    span = metric(text, "投资120亿元")
    starts = candidate_starts(text, span.start, span.end)
    assert text[starts[0] :].startswith("新增产能")  # back over 、, not over ，
    assert text[starts[-1]] == "1"  # the last candidate is the value itself (a bare value), none inside it
    assert span.start in starts
    far = "甲乙丙丁戊己庚辛壬癸子丑寅卯研发投入12亿元"
    first = candidate_starts(far, far.index("研发"), len(far))[0]
    assert far.index("研发") - first == 10  # at most LEFT characters back


def test_the_context_features_name_the_characters_around_the_start():
    text = "全市完成投资120亿元"
    names = start_features(text, text.index("投资"), len(text))
    assert {"b1=成", "b2=完成", "a2=投资", "len=2", "opens=False", "enum=False"} <= set(names)
    assert "opens=True" in start_features(text, 0, len(text))


def test_a_start_moves_only_where_the_context_outweighs_the_taggers_own():
    text = "浙江众成公司，今年项目投资120亿元。"
    company, span = metric(text, "浙江众成公司", "COMPANY", "e1"), metric(text, "投资120亿元", id="e2")
    likes_projects = {"a1=项": 4.0}
    moved = StartReranker("METRIC", likes_projects, tagger_weight=3.0)(text, [company, span])
    assert moved[0] == company
    assert moved[1].text == "项目投资120亿元" and (moved[1].id, moved[1].score, moved[1].end) == ("e2", 0.9, span.end)
    kept = StartReranker("METRIC", likes_projects, tagger_weight=5.0)(text, [company, span])
    assert kept == [company, span]


def test_a_start_never_moves_into_the_span_before_it():
    text = "招商局集团投资120亿元"
    company, span = metric(text, "招商局集团", "COMPANY"), metric(text, "投资120亿元")
    likes_the_company = {"a1=招": 50.0, "a1=局": 50.0}
    out = StartReranker("METRIC", likes_the_company, tagger_weight=0.0)(text, [company, span])
    assert out == [company, span]  # every candidate before 投 lies inside the COMPANY


def test_a_model_folder_keeps_its_reranker_and_one_without_has_none(tmp_path):
    assert StartReranker.load(tmp_path) is None
    StartReranker("METRIC", {"a1=项": 1.5, "bias": 0.0}, 3.0).save(tmp_path)
    assert (tmp_path / FILE).is_file()
    assert StartReranker.load(tmp_path) == StartReranker("METRIC", {"a1=项": 1.5, "bias": 0.0}, 3.0)


def test_fitting_learns_that_a_metric_starts_after_its_leading_verb():
    from train.data import Example, GoldSpan
    from train.start_reranker import train_start_reranker

    examples = []
    for n, (region, thing) in enumerate([("全市", "投资"), ("全省", "营收"), ("全县", "产值"), ("我市", "出口额")] * 5):
        text = f"{region}完成{thing}{n + 10}亿元。"
        start = text.index(thing)
        examples.append(Example(f"t:{n}", f"d{n}", 0, 0, text,
                                [GoldSpan(f"r{n}", start, len(text) - 1, "METRIC", text[start:-1])]))
    reranker = train_start_reranker(examples, "METRIC", tagger_weight=0.0, seed=0)
    text = "全区完成税收9亿元。"
    late, early = metric(text, "收9亿元"), metric(text, "全区完成税收9亿元")
    assert reranker(text, [late])[0].text == "税收9亿元"
    assert reranker(text, [early])[0].text == "税收9亿元"
    assert train_start_reranker(examples, "CHAIN", 3.0, 0) is None  # no gold CHAIN: nothing to fit


def test_a_recipe_refuses_a_reranker_weight_that_is_not_a_number(tmp_path):
    import yaml

    from train.config import ConfigError, load_config

    (tmp_path / "r.yaml").write_text(yaml.safe_dump({"model": {"metric_reranker": "yes"}, "output": "x"}))
    with pytest.raises(ConfigError, match="model.metric_reranker must be null"):
        load_config(tmp_path / "r.yaml")


def test_the_shipped_tagger_reranks_metric_starts():
    from pathlib import Path

    from infer.tagger import Tagger

    folder = Path(__file__).resolve().parent.parent / "models" / "chain-ie-ner-zh"
    tagger = Tagger(folder)
    assert tagger.reranker is not None and tagger.reranker.label == "METRIC" and tagger.reranker.tagger_weight == 3.0


@pytest.mark.slow
def test_a_fit_with_a_reranker_weight_saves_the_reranker_its_tagger_loads(tmp_path, tiny_config):
    import yaml

    from infer.tagger import Tagger
    from train.config import load_config
    from train.fit import fit

    path = tiny_config(tmp_path, 2, {"dev_docs": ["004_e34ce637d7128e12"]})
    recipe = yaml.safe_load(path.read_text())
    recipe["model"]["metric_reranker"] = 2.0
    path.write_text(yaml.safe_dump(recipe))
    folder = fit(load_config(path))
    reranker = Tagger(folder).reranker
    assert reranker is not None and reranker.tagger_weight == 2.0 and reranker.weights
