"""Silver labels: each labelling function on constructed sentences (exact spans, the guide's
exclusions), overlap resolution, the builder's held-out documents, the recipe's silver settings, and
a tiny fit through the silver stage."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infer.encoding import CharEncoder
from infer.charnet import UNKNOWN
from train.align import example_features
from train.config import ConfigError, load_config
from train.data import Example
from train.silver import (Gazetteer, O, chain_lists, chain_names, chain_with_anchor, company_gazetteer, company_lists,
                          company_suffixed, dates, label_document, labelling_functions, metric_ranks, metric_values,
                          mine_gazetteer, officials)
from train.silver_set import build_silver, load_silver


def found(spans, label):
    return [s.text for s in spans if s.label == label]


def test_metric_starts_at_the_indicator_without_region_words_and_keeps_kept_verbs():
    text = "今年上半年，全市规上工业增加值同比增长7.5%，新增高新技术企业26家，实现营业收入突破千亿元。"
    assert found(metric_values(text), "METRIC") == ["规上工业增加值同比增长7.5%", "新增高新技术企业26家", "营业收入突破千亿元"]
    spans = metric_values(text)
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_metric_leaves_out_number_first_counts_bare_list_values_and_dates():
    text = "培育199家链上企业。装备制造、化工分别增长18.8%、7.1%。8月5日，签约项目共12个。"
    spans = metric_values(text)
    assert found(spans, "METRIC") == ["增长18.8%", "签约项目共12个"]
    assert "199家" in found(spans, O) and "7.1%" in found(spans, O)
    assert found(dates(text), O) == ["8月5日"]
    entities, _ = label_document(text, {"metric": metric_values, "dates": dates})
    assert [s.text for s in entities] == ["增长18.8%", "签约项目共12个"]


def test_metric_ranks_and_from_to_values():
    assert found(metric_ranks("全市工业投资增速列全省第7位，居全国前列。"), "METRIC") == ["工业投资增速列全省第7位"]
    text = "高新技术企业数量从410家增加到918家。"
    assert found(metric_values(text), "METRIC") == ["高新技术企业数量从410家", "增加到918家"]


def test_chain_names_drop_place_prefixes_and_generic_mentions():
    text = "围绕省高端化工产业链，打造全产业链，20条重点产业链，延伸生物医药(阿胶+)产业链。"
    spans = chain_names(text)
    assert found(spans, "CHAIN") == ["高端化工产业链", "生物医药(阿胶+)产业链"]
    assert {"全产业链", "产业链"} <= set(found(spans, O))  # 重点 stops the name: nothing is left of it


def test_chain_list_items_and_the_industry_with_a_named_anchor():
    text = "重点打造有色金属、农副产品加工、黑色金属等12条产业链。"
    assert found(chain_lists(text), "CHAIN") == ["有色金属", "农副产品加工", "黑色金属"]
    assert found(chain_with_anchor("以华鲁集团为链主的精细化工，营收增长。"), "CHAIN") == ["精细化工"]


def test_officials_take_the_joined_title_phrase_and_later_bare_names():
    text = "市工业和信息化局党组书记、局长解志超调研企业。解志超指出，要稳链强链。商会副主席张三丰表示支持。"
    spans = officials(text)
    assert found(spans, "OFFICIAL") == ["市工业和信息化局党组书记、局长解志超", "解志超"]
    assert found(spans, O) == ["商会副主席张三丰"]


def test_an_official_title_swallows_the_chain_it_names():
    text = "县委常委、高端装备产业链链长刘明到企业调研。"
    entities, _ = label_document(text, {"officials": officials, "chains": chain_names})
    assert [(s.text, s.label) for s in entities] == [("县委常委、高端装备产业链链长刘明", "OFFICIAL")]


def test_companies_by_suffix_gazetteer_short_forms_and_lists():
    text = "山东信发集团有限公司在当地投资。信发集团营收增长12.5%。该公司表示，"
    spans = company_suffixed(text)
    assert found(spans, "COMPANY") == ["山东信发集团有限公司"] and "该公司" in found(spans, O)
    assert found(company_gazetteer(text, Gazetteer()), "COMPANY") == ["山东信发集团有限公司", "信发集团"]
    gazetteer = mine_gazetteer([text])
    assert found(company_gazetteer("今年，信发集团扩产。", gazetteer), "COMPANY") == ["信发集团"]
    assert found(company_lists("支持鲁晟精工、中通客车等龙头企业发展。"), "COMPANY") == ["鲁晟精工", "中通客车"]
    entities, _ = label_document(text, labelling_functions(gazetteer))
    assert [(s.text, s.label) for s in entities if s.start > 15] == [("信发集团", "COMPANY"), ("营收增长12.5%", "METRIC")]


SOURCES = ("gov_work_reports.txt", "policy_and_industry_docs.txt", "econ_news_xinwenlianbo.txt")
DOCS = ["今年全市工业投资增长9.5%。\n会议在北京召开。",  # #0 of each file
        "东风新材料集团有限公司新增产值3亿元，东风新材料集团投资建设新材料产业链。",  # #1
        "聊城市委书记王某某调研，全市营收增长6%。"]  # #2: the seed city


@pytest.fixture
def archive(tmp_path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    for source in SOURCES:
        (folder / source).write_text("\n\n".join(DOCS), encoding="utf-8")
    return folder


def recipe(archive: Path, dev: list[str], test: list[str]) -> dict:
    return {"data": {"archive": str(archive), "dev_docs": dev, "test_docs": test}}


def test_the_builder_leaves_out_dev_test_and_seed_documents_and_stores_no_text(archive, tmp_path):
    out = tmp_path / "silver.jsonl"
    meta = build_silver(recipe(archive, ["gov_work_reports.txt#1"], ["econ_news_xinwenlianbo.txt#0"]), out, 100, 1)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    docs = {f"{r['source']}#{r['doc']}" for r in rows}
    assert docs == {"gov_work_reports.txt#0", "policy_and_industry_docs.txt#0", "policy_and_industry_docs.txt#1",
                    "econ_news_xinwenlianbo.txt#1"}
    assert all("text" not in r and r["spans"] for r in rows)
    assert sum(meta["labels"].values()) == sum(len(r["spans"]) for r in rows) and meta["paragraphs"] == len(rows)
    examples = load_silver(out, archive, set(), ignore_unknown=True)
    assert {ex.doc for ex in examples} == docs and all(ex.known for ex in examples)
    with pytest.raises(ConfigError, match="a dev/test document of this recipe"):
        load_silver(out, archive, {"policy_and_industry_docs.txt#1"}, ignore_unknown=False)
    out.write_text(out.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert build_silver(recipe(archive, ["gov_work_reports.txt#1"], ["econ_news_xinwenlianbo.txt#0"]), out, 100, 1)[
        "paragraphs"] == len(rows) and len(out.read_text().splitlines()) == 1  # same key: the file is not rebuilt
    assert build_silver(recipe(archive, [], []), out, 2, 1)["paragraphs"] == 2  # another key: rebuilt, capped


def test_unknown_characters_are_ignored_only_in_partially_labelled_examples():
    from train.vocab import build_tokenizer

    encoder = CharEncoder(build_tokenizer())
    label2id = {"O": 0, "B-METRIC": 1, "I-METRIC": 2}
    text = "会议召开。营收增长5%。"
    span = metric_values(text)[0]
    full = Example("t", "d", 0, 0, text, [span])
    partial = Example("t", "d", 0, 0, text, [span], known=[(span.start - 1, span.end + 1)])
    tags_full = example_features(full, encoder, label2id, 64, 16)[0][0].labels[1:-1]
    tags_partial = example_features(partial, encoder, label2id, 64, 16)[0][0].labels[1:-1]
    assert tags_full == [0] * 5 + [1] + [2] * 5 + [0]
    assert tags_partial == [UNKNOWN] * 4 + [0, 1] + [2] * 5 + [0]


@pytest.mark.parametrize("intermediate, message", [
    ({"unknown_as": "skip"}, "data.intermediate.unknown_as must be 'O' or 'ignore', not 'skip'"),
    ({"unknown_as": "ignore"}, "data.intermediate.silver names no silver set"),
    ({"silver": 3}, "data.intermediate.silver must be a file path or null, not 3"),
])
def test_bad_silver_settings_are_one_error_line(tmp_path, root, intermediate, message):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({"data": {"intermediate": intermediate}, "output": str(tmp_path / "m")}))
    with pytest.raises(ConfigError, match=message):
        load_config(config)
    result = subprocess.run([sys.executable, "-m", "train", "fit", "--config", str(config)], cwd=root,
                            capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: {config}: ") and message in lines[0]


def test_silver_out_inside_the_repository_and_a_tagger_that_is_no_model_are_refused(root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "train", "silver", "--out", "annotations/silver.jsonl"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "keep it under models/" in result.stderr
    assert not (root / "annotations" / "silver.jsonl").exists()
    result = subprocess.run([sys.executable, "-m", "train", "silver", "--tagger", str(tmp_path), "--out",
                             str(tmp_path / "pseudo.jsonl")], cwd=root, capture_output=True, text=True)
    assert result.returncode == 2 and "not a chain-ie model folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "pseudo.jsonl").exists()


@pytest.mark.slow
def test_a_tiny_fit_trains_the_silver_stage_before_the_gold(archive, tmp_path, root, tiny_config):
    silver = tmp_path / "silver.jsonl"
    meta = build_silver(recipe(archive, [], []), silver, 100, 1)
    config = tiny_config(tmp_path, 3, {"dev_docs": ["004_e34ce637d7128e12"], "archive": str(archive),
                                       "intermediate": {"silver": str(silver), "epochs": 1, "unknown_as": "ignore"}})
    result = subprocess.run([sys.executable, "-m", "train", "fit", "--config", str(config)], cwd=root,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"intermediate: {meta['paragraphs']} silver sentences, 1 epochs, unknown characters as ignore" in result.stderr
    metrics = json.loads((tmp_path / "tiny" / "metrics.json").read_text())
    assert metrics["intermediate_sentences"] == meta["paragraphs"]
    assert str(silver) in json.loads((tmp_path / "tiny" / "data_hashes.json").read_text())


def test_a_tagger_labels_the_set_for_self_training(archive, tmp_path, root):
    """--tagger: the shipped tagger's own spans (offsets into each archive line), every character decided,
    dev/test and seed documents still left out; --require keeps paragraphs with those labels only."""
    from infer.tagger import Tagger

    shipped = root / "models" / "chain-ie-ner-zh"
    out = tmp_path / "pseudo.jsonl"
    meta = build_silver(recipe(archive, ["gov_work_reports.txt#1"], []), out, 100, 1, tagger_dir=shipped)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert "gov_work_reports.txt#1" not in {f"{r['source']}#{r['doc']}" for r in rows}
    assert all(r["doc"] != 2 for r in rows)  # the seed city's documents
    tagger = Tagger(shipped)
    for ex in load_silver(out, archive, set(), ignore_unknown=True):
        assert ex.known == [(0, len(ex.text))]  # the tagger decided every character
        assert [(s.start, s.end, s.label) for s in ex.spans] == [
            (e.start, e.end, e.label) for e in tagger.predict([ex.text])[0]]
    assert "tagger" in meta["key"] and meta["labels"].get("COMPANY")
    required = build_silver(recipe(archive, [], []), tmp_path / "companies.jsonl", 100, 1, tagger_dir=shipped,
                            require=("COMPANY",))
    kept = [json.loads(line) for line in (tmp_path / "companies.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept and all(any(s["label"] == "COMPANY" for s in r["spans"]) for r in kept)
    assert all(r["doc"] == 1 for r in kept) and required["paragraphs"] == len(kept)  # #0's METRIC-only lines dropped
    assert any(r["doc"] == 0 for r in rows)  # ... which the unfiltered set keeps
