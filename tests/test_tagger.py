"""Windowing, merging and offset mapping of infer.tagger with a context-free stand-in model:
whatever the windows, a document must get exactly the spans its characters call for."""
from types import SimpleNamespace

import torch
from hypothesis import given, settings, strategies as st

from infer.tagger import Tagger
from infer.schema import load_schema
from train.vocab import build_tokenizer

TOKENIZER = build_tokenizer()
SCHEMA = load_schema()
TAGS = SCHEMA.bio_tags


class DigitsAreMetrics(torch.nn.Module):
    """Tags every digit token B-METRIC/I-METRIC (a run of digits is one span), everything else O."""

    def __init__(self):
        super().__init__()
        self.digit_ids = torch.tensor([TOKENIZER.convert_tokens_to_ids(str(d)) for d in range(10)])
        self.scale = torch.nn.Parameter(torch.tensor(10.0))
        self.config = SimpleNamespace(id2label=dict(enumerate(TAGS)))

    def forward(self, input_ids, attention_mask):
        digit = torch.isin(input_ids, self.digit_ids)
        prev = torch.cat([torch.zeros_like(digit[:, :1]), digit[:, :-1]], dim=1)
        tag = torch.where(digit & ~prev, TAGS.index("B-METRIC"), torch.where(digit, TAGS.index("I-METRIC"), 0))
        return SimpleNamespace(logits=torch.nn.functional.one_hot(tag, len(TAGS)).float() * self.scale)


def stand_in(max_length: int, stride: int) -> Tagger:
    return Tagger.from_model(DigitsAreMetrics(), TOKENIZER, max_length, stride, batch_size=4)


PIECES = st.sampled_from(["聊城", "實(shí)施", "增长", "１２", "7.5", "2024", "\n", " ", "，", "產業", "A", "%"])


@settings(max_examples=60, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=120).map("".join), st.integers(6, 40), st.data())
def test_windows_do_not_change_the_spans(text, size, data):
    stride = data.draw(st.integers(2, size - 3))  # the stand-in looks one token left: overlap of 2 suffices
    [windowed] = stand_in(size, stride).predict([text])
    [whole] = stand_in(10_000, 0).predict([text])
    assert windowed == whole
    for e in windowed:
        assert text[e.start:e.end] == e.text
        assert e.text[0] in "0123456789１２" and e.text[-1] in "0123456789１２"


def test_runs_of_digits_across_a_window_edge_stay_one_span():
    text = "产值" + "1234567890" * 3 + "元"
    [ents] = stand_in(12, 4).predict([text])
    assert [(e.start, e.end) for e in ents] == [(2, 32)]


def test_a_pool_at_a_time_gives_the_spans_of_all_windows_at_once(monkeypatch):
    """Working memory is one pool of windows: documents longer than a pool (and pools that cut through
    a document) get the spans they get with every window tagged in one go."""
    import infer.tagger

    texts = ["产值" + "12345元，增长7.5%，" * 40, "实施(shí)" + "2024年" * 30, "无数字", "9" * 77]
    whole = stand_in(12, 4).predict(texts)
    monkeypatch.setattr(infer.tagger, "POOL_BATCHES", 1)
    pooled = Tagger.from_model(DigitsAreMetrics(), TOKENIZER, 12, 4, batch_size=3)
    seen = []
    tag_windows = pooled._tag_windows
    monkeypatch.setattr(pooled, "_tag_windows", lambda chunks, states: seen.append(len(chunks)) or tag_windows(chunks, states))
    assert pooled.predict(texts) == whole
    assert max(seen) == 3 and len(seen) > 40  # never more than one pool of windows in memory
    assert sum(len(ents) for ents in whole) == 40 * 3 + 30 + 1  # 12345, 7, 5 (the point is no digit); 2024; 9s
