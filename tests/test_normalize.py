"""The offset map of infer.normalize: every cleaned character points at the original one it came from."""
from hypothesis import given, strategies as st

from infer.normalize import normalize, normalize_char

PIECES = st.sampled_from([
    "實", "施", "產", "業", "鏈", "实", "产业链", "(shí)", "(chǎn)", "（yè）", "(abc)", "\n", "\n\n", " ", "　",
    "１２", "Ａ", "，", "。", "信发集团", "聊城市委书记李长萍", "2024年", "％", "a", "Z",
])


@given(st.lists(PIECES, max_size=40).map("".join))
def test_map_points_at_the_source_character(text):
    norm = normalize(text)
    assert len(norm.origin) == len(norm.text)
    assert list(norm.origin) == sorted(set(norm.origin))
    for i, j in enumerate(norm.origin):
        assert norm.text[i] == normalize_char(text[j])


@given(st.lists(PIECES, max_size=40).map("".join), st.data())
def test_spans_round_trip(text, data):
    norm = normalize(text)
    if not norm.text:
        return
    start = data.draw(st.integers(0, len(norm.text) - 1))
    end = data.draw(st.integers(start + 1, len(norm.text)))
    o_start, o_end = norm.to_original(start, end)
    assert norm.to_normalized(o_start, o_end) == (start, end)


def test_traditional_with_pinyin_maps_back():
    text = "聊城實(shí)施制造業(yè)強(qiáng)市戰(zhàn)略"
    norm = normalize(text)
    assert norm.text == "聊城实施制造业强市战略"
    start = norm.text.index("制造业")
    o_start, o_end = norm.to_original(start, start + 3)
    assert text[o_start:o_end] == "制造業(yè)"


def test_hard_wrap_is_joined_but_headings_and_sentence_ends_are_not():
    wrapped = "当发展翻开新的篇章，制造业\n依旧是聊城立市之本。\n\n标题\n正文开始"
    norm = normalize(wrapped)
    assert "制造业依旧是" in norm.text
    assert "立市之本。\n\n标题\n正文" in norm.text


def test_full_width_digits_become_ascii():
    assert normalize("增长１６．８％").text == "增长16.8%"


def test_parenthesised_english_is_not_pinyin():
    assert normalize("公司(abc)").text == "公司(abc)"
