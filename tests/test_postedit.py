"""Post-edits of predicted spans: the guide's METRIC start, and names repeated in a document."""
from infer.postedit import propagate, trim_metrics
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
    text = "上半年，全市规上工业增加值同比增长8.4%，完成投资4608亿元，全市完成增长。"
    spans = spans_in(text, [("全市规上工业增加值同比增长8.4%", "METRIC", 0.9), ("完成投资4608亿元", "METRIC", 0.8),
                            ("全市完成增长", "METRIC", 0.5)])
    assert [s.text for s in trim_metrics(text, spans, SCHEMA)] == [
        "规上工业增加值同比增长8.4%", "投资4608亿元", "全市完成增长"]  # nothing with a number left: kept whole
    assert all(text[s.start:s.end] == s.text for s in trim_metrics(text, spans, SCHEMA))


def test_a_confident_name_is_tagged_at_its_repeats_and_an_official_by_the_bare_name():
    # seed article 000: the full title once, the bare name later
    text = "聊城市委书记李长萍到信发集团调研。李长萍强调，信发集团要做强有色金属产业链。"
    spans = spans_in(text, [("聊城市委书记李长萍", "OFFICIAL", 0.97), ("信发集团", "COMPANY", 0.95)])
    out = propagate(text, spans, SCHEMA, threshold=0.9)
    assert [(s.text, s.label) for s in out] == [("聊城市委书记李长萍", "OFFICIAL"), ("信发集团", "COMPANY"),
                                                ("李长萍", "OFFICIAL"), ("信发集团", "COMPANY")]
    # an unsure span teaches nothing, and a repeat inside a predicted span is left to the tagger
    assert propagate(text, [Span(0, 9, "OFFICIAL", text[:9], 0.5)], SCHEMA, threshold=0.9) == [Span(0, 9, "OFFICIAL", text[:9], 0.5)]
