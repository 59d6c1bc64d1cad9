"""Post-edits of predicted spans: the guide's METRIC start."""
from infer.postedit import metric_starts
from infer.schema import load_schema
from infer.spans import Span

SCHEMA = load_schema()


def spans_in(text: str, items: list[tuple[str, str, float]]) -> list[Span]:
    out, at = [], 0
    for s, label, score in items:
        start = text.index(s, at)
        at = start + len(s)
        out.append(Span(start, at, label, s, score))
    return out


def test_a_metric_starts_at_its_indicator_without_region_words_or_wancheng():
    # the guide's own example: 全市规上工业增加值… -> 规上工业增加值同比增长8.4%
    text = "上半年，全市规上工业增加值同比增长8.4%，完成投资4608亿元，全市完成增长，居全省第1。"
    spans = spans_in(text, [("全市规上工业增加值同比增长8.4%", "METRIC", 0.9), ("完成投资4608亿元", "METRIC", 0.8),
                            ("全市完成增长", "METRIC", 0.5), ("全省第1", "METRIC", 0.7)])
    assert [s.text for s in metric_starts(text, spans, SCHEMA)] == [
        "规上工业增加值同比增长8.4%", "投资4608亿元", "全市完成增长", "全省第1"]  # no number left / a rank's scope
    assert all(text[s.start:s.end] == s.text for s in metric_starts(text, spans, SCHEMA))


def test_a_verb_that_is_part_of_the_indicator_is_taken_in_and_others_are_not():
    # the guide: keep verbs that are part of the indicator (累计营收…, 计划投资15亿元, 引进外资3.2亿元)
    text = "今年累计营收12亿元，计划投资15亿元，新增企业30家，实施项目20个，信发集团新增产能5万吨。"
    spans = spans_in(text, [("营收12亿元", "METRIC", 0.9), ("计划", "METRIC", 0.5), ("投资15亿元", "METRIC", 0.9), ("新增企业30家", "METRIC", 0.9),
                            ("项目20个", "METRIC", 0.9), ("信发集团新增", "COMPANY", 0.9), ("产能5万吨", "METRIC", 0.9)])
    got = metric_starts(text, spans, SCHEMA)
    assert [s.text for s in got] == ["累计营收12亿元", "计划投资15亿元", "新增企业30家", "项目20个", "信发集团新增", "产能5万吨"]
    assert all(text[s.start:s.end] == s.text for s in got)
