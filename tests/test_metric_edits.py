"""METRIC boundary post-edits (the guide's METRIC conventions), on invented sentences, through `post_edit`."""
from infer.postedit import post_edit
from infer.schema import load_schema
from tests.test_postedit import spans_in

SCHEMA = load_schema()


def metrics(text: str, items: list[str]) -> list[str]:
    got = post_edit(text, spans_in(text, [(s, "METRIC", 0.8) for s in items]), SCHEMA)
    assert all(text[s.start:s.end] == s.text for s in got)
    return [s.text for s in got if s.label == "METRIC"]


def test_a_fragment_without_a_value_joins_the_metric_after_it_or_goes():
    # a METRIC is an indicator with its value: 全社会 + 研发投入… is one span, 上 + (市公司) + 再融资… too;
    # a fragment with no METRIC right after it in its clause (稳步, 产能 before a comma) is dropped, and so is
    # one whose gap holds a number (连 + 续五年: a duration, not the indicator)
    text = "今年全社会研发投入强度达到3.1%，上市公司再融资增长4倍，园区企业稳步发展，产能，利润增长9%，连续五年居全省第2位。"
    assert metrics(text, ["全社会", "研发投入强度达到3.1%", "上", "再融资增长4倍", "稳步", "产能", "利润增长9%", "连",
                          "居全省第2位"]) == [
        "全社会研发投入强度达到3.1%", "上市公司再融资增长4倍", "利润增长9%", "居全省第2位"]


def test_a_from_to_pair_is_two_metrics():
    # the guide: …数量从2021年底的410家 / 增加到2024年的918家 are two spans
    text = "高新技术企业数量从2020年的120家增加到2024年的305家，园区由58个整合为21个。"
    assert metrics(text, ["高新技术企业数量从2020年的120家增加到2024年的305家", "园区由58个整合为21个"]) == [
        "高新技术企业数量从2020年的120家", "增加到2024年的305家", "园区由58个", "整合为21个"]


def test_only_the_first_value_of_a_fenbie_list_is_a_metric():
    # the guide: 分别增长18.8%、7.1% -> 增长18.8%; a 、 list without 分别 is left alone
    text = "化工和建材产值分别增长12.5%、8.3%，营收和利润分别居全省第3、第5位，工业投资、民间投资增长6%。"
    assert metrics(text, ["产值分别增长12.5%、8.3%", "居全省第3、第5位", "工业投资、民间投资增长6%"]) == [
        "产值分别增长12.5%", "居全省第3", "工业投资、民间投资增长6%"]


def test_a_metric_runs_on_through_its_unit_and_yishang():
    # the guide: through the number and unit; 以上/左右 belong to the value; 台 of 台阶 is no unit
    text = "规上企业达到1.25万家，年产钢材300万吨以上，粮食产量稳定在1.2万亿斤台阶上。"
    assert metrics(text, ["规上企业达到1.25万", "年产钢材300万吨", "粮食产量稳定在1.2万亿斤"]) == [
        "规上企业达到1.25万家", "年产钢材300万吨以上", "粮食产量稳定在1.2万亿斤"]


def test_a_metric_does_not_start_with_de_or_yi_before_a_number():
    # METRIC start: at the indicator noun phrase; 以 stays where it is part of a word (以旧换新)
    text = "园区每年的研发投入强度保持在5%以上，全县以18.2%的出口增速领先，以旧换新补贴3.5亿元。"
    assert metrics(text, ["的研发投入强度保持在5%以上", "以18.2%的出口增速", "以旧换新补贴3.5亿元"]) == [
        "研发投入强度保持在5%以上", "18.2%的出口增速", "以旧换新补贴3.5亿元"]
