"""The stand-off corpus: passages cut from an archive, materialised with a hash check, validated,
split by document, and the selection command on a tiny archive."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from train.corpus import (Annotated, CorpusError, cut_passages, load_corpus, make_passage, province_of,
                          read_manifest, read_standoff, write_standoff)

DOC_A = ("2025年全市规上工业增加值同比增长8.4%，以华鲁集团为链主的精细化工产业链营收突破千亿元。\n"
         + "四川省委常委、高端装备产业链链长刘明调研东方电气集团，要求加快项目建设。" * 6 + "\n"
         + "新能源汽车产业链引入宁德时代、比亚迪等企业，投资2.1亿元建设电池项目。" * 5)
DOC_B = "国务院常务会议听取汇报。" * 30


@pytest.fixture
def archive(tmp_path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "reports.txt").write_text(DOC_A + "\n\n" + DOC_B, encoding="utf-8")
    (folder / "MANIFEST.tsv").write_text("file\tdoc_index\tkind\tregion\tyear\ttitle\n"
                                         "reports.txt\t0\tprovincial_gwr\t四川省\t2025\t报告\n"
                                         "reports.txt\t1\tnews\t全国\t2024\t【要闻】湖南：会议\n", encoding="utf-8")
    return folder


def test_passages_are_cut_at_line_or_sentence_ends_within_the_bounds():
    text = "甲" * 100 + "\n" + ("乙" * 59 + "。") * 12 + "\n" + "丙" * 300
    for start, end in cut_passages(text, 250, 700):
        assert 250 <= end - start <= 700
        assert start == 0 or text[start - 1] in "\n。"
        assert end == len(text) or text[end] == "\n" or text[end - 1] == "。"
    assert cut_passages("短" * 100) == []


def test_region_is_the_province_or_the_one_province_a_national_title_names():
    assert province_of("河北省保定市易县") == "河北"
    assert province_of("保定市") == "河北"
    assert province_of("全国", "【开好局起好步】湖南：产业链创新") == "湖南"
    assert province_of("全国", "国内联播快讯") == "全国"


def test_standoff_round_trip_materialises_spans_and_checks_the_hash(archive, tmp_path):
    manifest = read_manifest(archive)
    start, end = cut_passages(DOC_A, 250, 700)[0]
    passage = make_passage(archive, "reports.txt", 0, start, end, manifest)
    assert passage.region == "四川" and passage.kind == "provincial_gwr" and passage.document == "reports.txt#0"
    text = DOC_A[start:end]
    s = text.index("华鲁集团")
    item = Annotated(passage, [{"id": "c1", "start": s, "end": s + 4, "label": "COMPANY"}], [])
    standoff = tmp_path / "corpus" / "gold.jsonl"
    write_standoff([item], standoff)
    assert "华鲁集团" not in standoff.read_text(encoding="utf-8")  # stand-off: no text of the archive
    [ex] = load_corpus([standoff.parent], archive)
    assert ex.text == text and ex.doc == "reports.txt#0" and ex.offset == start
    assert [(sp.text, sp.label) for sp in ex.spans] == [("华鲁集团", "COMPANY")]
    # the archive changes under the stand-off record: one clear error naming the passage
    (archive / "reports.txt").write_text(DOC_A.replace("华鲁", "鲁华") + "\n\n" + DOC_B, encoding="utf-8")
    from train import corpus

    corpus._documents.cache_clear()
    with pytest.raises(CorpusError, match=f"passage {passage.id}: .*does not match its sha256"):
        load_corpus([standoff], archive)


def test_a_malformed_standoff_line_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="bad.jsonl:1: not a stand-off passage line"):
        read_standoff(bad)


def test_validate_counts_the_standoff_corpus_and_catches_a_bad_span(archive, tmp_path, root):
    manifest = read_manifest(archive)
    start, end = cut_passages(DOC_A, 250, 700)[0]
    passage = make_passage(archive, "reports.txt", 0, start, end, manifest)
    text = DOC_A[start:end]
    c, ch = text.index("华鲁集团"), text.index("精细化工产业链")
    good = Annotated(passage, [{"id": "c1", "start": c, "end": c + 4, "label": "COMPANY"},
                               {"id": "h1", "start": ch, "end": ch + 7, "label": "CHAIN"}],
                     [{"from": "c1", "to": "h1", "type": "ANCHORS"}])
    write_standoff([good], tmp_path / "ok" / "gold.jsonl")
    run = lambda path: subprocess.run([sys.executable, "-m", "train", "validate", str(path), "--seeds", "",
                                       "--archive", str(archive)], cwd=root, capture_output=True, text=True)
    result = run(tmp_path / "ok")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ("spans: COMPANY=1 METRIC=0 CHAIN=1 OFFICIAL=0 "
                                              "relations: LEADS=0 ANCHORS=1 MEMBER_OF=0 MEASURES=0")
    wrong = Annotated(passage, good.spans, [{"from": "h1", "to": "c1", "type": "ANCHORS"}])
    write_standoff([wrong], tmp_path / "bad" / "gold.jsonl")
    result = run(tmp_path / "bad")
    assert result.returncode == 1 and "ANCHORS is not allowed from CHAIN" in result.stderr


def test_select_ranks_an_archive_and_writes_pointers_only(archive, tmp_path, root, tiny_config):
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    config = tiny_config(model_dir, 2, {"dev_docs": ["004_e34ce637d7128e12"]})
    assert subprocess.run([sys.executable, "-m", "train", "fit", "--config", str(config)], cwd=root,
                          capture_output=True).returncode == 0
    out = tmp_path / "sel.jsonl"
    result = subprocess.run([sys.executable, "-m", "train", "corpus", "select", "--archive", str(archive),
                             "--model", str(model_dir / "tiny"), "--count", "5", "--out", str(out)],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # DOC_B has no number, company or chain: only DOC_A's passages are candidates; the one with a
    # 链长/链主 statement is taken whatever the per-document cap
    assert rows and {r["doc"] for r in rows} == {0}
    assert all(set(r) >= {"id", "source", "doc", "start", "end", "sha256", "region"} and "text" not in r for r in rows)
    assert "with a 链长/链主 statement" in result.stdout


def test_default_splits_keep_seeds_in_train_and_dev_test_regions_out_of_train(root):
    """The recipe's dev/test documents are corpus documents whose regions no training document has;
    the seeds stay in train. Reads only the stand-off records (regions are stored there)."""
    from train.config import load_config

    config = load_config(root / "configs" / "default.yaml")
    dev, test = set(config["data"]["dev_docs"]), set(config["data"]["test_docs"])
    seeds = {p.stem for p in (root / "annotations" / "seeds").glob("*.txt")}
    assert seeds and not seeds & (dev | test) and not dev & test
    passages = [item.passage for item in read_standoff(root / "annotations" / "corpus" / "gold.jsonl")]
    region = {p.document: p.region for p in passages}
    assert dev | test <= set(region)
    train_regions = {r for d, r in region.items() if d not in dev | test} | {"山东"}  # the seeds' province
    assert not {region[d] for d in dev | test} & train_regions


def test_a_smaller_passage_sample_is_inside_a_larger_one_and_the_seeds_stay():
    """data.corpus_passages (bench.learning_curve's points): the same passages for the same size and seed,
    each smaller sample inside the larger ones, every non-corpus example kept, the original order kept."""
    from train.data import Example
    from train.fit import _sample_passages

    seeds = [Example(source=f"gold:{i}", doc="seed", para=i, offset=0, text="x") for i in range(3)]
    corpus = [Example(source=f"corpus:{i:03d}", doc=f"d{i}", para=0, offset=0, text="y") for i in range(40)]
    train = seeds[:2] + corpus + seeds[2:]
    samples = {n: _sample_passages(train, corpus, n, seed=42) for n in (0, 5, 10, 40)}
    assert samples[0] == seeds
    assert samples[40] == train
    for small, large in ((5, 10), (10, 40)):
        assert {e.source for e in samples[small]} < {e.source for e in samples[large]}
    assert len(samples[5]) == 3 + 5 and samples[5] == [e for e in train if e in samples[5]]  # order kept
    assert _sample_passages(train, corpus, 5, seed=42) == samples[5]
    assert {e.source for e in _sample_passages(train, corpus, 5, seed=7)} != {e.source for e in samples[5]}


def test_ranking_ignores_spans_a_post_edit_made_without_a_score(archive):
    """Post-edits add spans with no model score; the selection ranks by the model's own scores."""
    from infer.spans import Span
    from train.select import candidates, rank_with_model

    class Tagger:
        def predict(self, texts):
            return [[Span(0, 2, "COMPANY", score=0.6), Span(3, 5, "CHAIN")] for _ in texts]

    cands = candidates(archive, exclude=[])
    rank_with_model(cands, Tagger(), archive)
    assert cands and all(abs(c.uncertainty - 0.4) < 1e-9 and c.labels["CHAIN"] == 1 for c in cands)


def test_agreement_scores_spans_and_relations_and_a_round_without_relations(archive, tmp_path):
    from bench.agreement import agreement

    passage = make_passage(archive, "reports.txt", 0, *cut_passages(DOC_A, 250, 700)[0], read_manifest(archive))
    text = DOC_A[passage.start:passage.end]
    hua, chain = text.index("华鲁集团"), text.index("精细化工产业链")
    c1 = {"id": "c1", "start": hua, "end": hua + 4, "label": "COMPANY"}
    ch = {"id": "ch1", "start": chain, "end": chain + 7, "label": "CHAIN"}
    wide = {"id": "ch1", "start": chain - 1, "end": chain + 7, "label": "CHAIN"}
    first = [Annotated(passage, [c1, ch], [{"from": "c1", "to": "ch1", "type": "ANCHORS"}])]
    second = [Annotated(passage, [c1, wide], [{"from": "c1", "to": "ch1", "type": "ANCHORS"}])]
    result = agreement(first, second)
    assert result["spans"]["COMPANY"]["f1"] == 1.0 and result["spans"]["CHAIN"]["f1"] == 0.0
    assert result["spans"]["all"] == {"both": 1, "a": 2, "b": 2, "f1": 0.5}
    assert result["relations"]["ANCHORS"]["both"] == 0  # a relation agrees only when both its spans do
    no_relations = agreement([Annotated(passage, [c1], [])], [Annotated(passage, [c1], [])])
    assert no_relations["relations"] == {"all": {"both": 0, "a": 0, "b": 0, "f1": 1.0}}


def test_the_learning_curve_recipe_is_the_main_jobs_without_its_cluener_stage(root):
    from bench.learning_curve import DEFAULT_RECIPE

    default = yaml.safe_load((root / "configs" / "default.yaml").read_text(encoding="utf-8"))
    curve = yaml.safe_load((root / DEFAULT_RECIPE).read_text(encoding="utf-8"))
    assert curve["data"].pop("intermediate") == {"cluener": None, "epochs": 0} and default["data"].pop("intermediate")
    assert default.pop("ship") and "ship" not in curve
    default.pop("output"), curve.pop("output")
    assert default["model"].pop("metric_reranker") == 3.0  # the curve was measured before the reranker
    assert curve == default


def test_a_learning_curve_point_is_retrained_when_its_gold_files_changed(tmp_path, root, tiny_config):
    # the same recipe on a grown corpus draws other passages: an old point must not be reused
    import shutil

    from bench.learning_curve import is_current
    from infer.model_folder import file_sha256
    from train.config import load_config

    exports = tmp_path / "gold"
    shutil.copytree(root / "annotations" / "gold", exports)
    config = load_config(tiny_config(tmp_path, 1, {"exports": [str(exports)], "corpus": []}))
    output = Path(config["output"])
    assert not is_current(config)  # nothing trained yet
    output.mkdir()
    (output / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (output / "metrics.json").write_text("{}", encoding="utf-8")
    files = sorted(exports.glob("*.json"))
    (output / "data_hashes.json").write_text(json.dumps({str(f): file_sha256(f) for f in files}), encoding="utf-8")
    assert is_current(config)
    files[0].write_text(files[0].read_text(encoding="utf-8").replace("}", "} ", 1), encoding="utf-8")
    assert not is_current(config)
