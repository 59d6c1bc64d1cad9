from hypothesis import given, strategies as st

from infer.decode import decode, encode_bio


def spans(tags):
    return [(s.start, s.end, s.label) for s in decode(tags, [1.0] * len(tags))]


def test_repair_rules():
    assert spans(["O", "I-METRIC", "I-METRIC", "O"]) == [(1, 3, "METRIC")]  # I- after O starts a span
    assert spans(["B-COMPANY", "I-CHAIN", "I-CHAIN"]) == [(0, 1, "COMPANY"), (1, 3, "CHAIN")]  # type switch
    assert spans(["B-CHAIN", "B-CHAIN", "I-CHAIN"]) == [(0, 1, "CHAIN"), (1, 3, "CHAIN")]
    assert spans(["O", "O"]) == []


def test_score_is_mean_token_probability():
    [span] = decode(["B-METRIC", "I-METRIC", "O"], [0.9, 0.5, 0.99])
    assert abs(span.score - 0.7) < 1e-9


@st.composite
def span_lists(draw):
    n = draw(st.integers(0, 30))
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=10)))
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if draw(st.booleans()):
            out.append((a, b, draw(st.sampled_from(["COMPANY", "METRIC", "CHAIN", "OFFICIAL"]))))
    return n, out


@given(span_lists())
def test_decode_inverts_encode(case):
    n, gold = case
    assert spans(encode_bio(n, gold)) == gold


@given(st.lists(st.sampled_from(["O", "B-METRIC", "I-METRIC", "B-CHAIN", "I-CHAIN"]), max_size=30))
def test_decoding_never_puts_an_o_token_in_a_span(tags):
    for start, end, label in spans(tags):
        assert all(t != "O" and t.endswith(label) for t in tags[start:end])
