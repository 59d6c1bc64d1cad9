"""Post-edits of predicted spans: the guide's METRIC start."""
from infer.postedit import trim_metrics
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
    assert [s.text for s in trim_metrics(text, spans, SCHEMA)] == [
        "规上工业增加值同比增长8.4%", "投资4608亿元", "全市完成增长", "全省第1"]  # no number left / a rank's scope
    assert all(text[s.start:s.end] == s.text for s in trim_metrics(text, spans, SCHEMA))
