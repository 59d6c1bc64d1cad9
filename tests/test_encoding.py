from hypothesis import given, strategies as st

from infer.encoding import CharEncoder, owned_runs, windows
from train.vocab import build_tokenizer, build_vocab, gb2312_chars


@given(st.integers(0, 2000), st.integers(8, 300), st.data())
def test_windows_cover_every_token_with_overlap(n, size, data):
    stride = data.draw(st.integers(0, size - 1))
    ws = windows(n, size, stride)
    assert ws[0].start == 0 and ws[-1].end == n
    assert all(w.end - w.start <= size for w in ws)
    for a, b in zip(ws, ws[1:]):
        assert a.end - b.start == stride
    # each token is owned by the window that sees it farthest from an edge, the earliest on a tie
    owner = [-1] * n
    margin = [-1] * n
    for w_index, w in enumerate(ws):
        for t in range(w.start, w.end):
            if min(t - w.start, w.end - 1 - t) > margin[t]:
                margin[t], owner[t] = min(t - w.start, w.end - 1 - t), w_index
    runs = owned_runs(ws)
    assert [w for w, (lo, hi) in enumerate(runs) for _ in range(lo, hi)] == owner


def test_vocab_and_one_token_per_character(root):
    vocab = build_vocab()
    tokenizer = build_tokenizer(vocab)
    assert len(gb2312_chars()) == 7445  # 6763 hanzi + 682 symbols
    assert len(tokenizer) == len(vocab) > 10000  # the vocab was really loaded (transformers 5 vocab_file trap)
    encoder = CharEncoder(tokenizer)
    for path in sorted((root / "annotations" / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        ids, positions = encoder.encode(text)
        assert len(ids) == len(positions) == sum(not c.isspace() for c in text)
        hanzi_unk = [text[p] for p, i in zip(positions, ids) if i == encoder.unk_id and "\u4e00" <= text[p] <= "\u9fff"]
        assert hanzi_unk == []
    assert tokenizer.tokenize("ABC2024") == ["A", "##B", "##C", "##2", "##0", "##2", "##4"]
    assert tokenizer.tokenize("實施") == ["實", "施"]
