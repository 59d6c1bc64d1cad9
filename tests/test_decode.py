import torch
from hypothesis import given, settings, strategies as st

from infer.decode import bio_constraints, decode, encode_bio, viterbi


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


def test_constrained_decoding_starts_a_span_where_argmax_says_o_then_i():
    id2label = {0: "O", 1: "B-COMPANY", 2: "I-COMPANY"}
    probs = torch.tensor([[[0.5, 0.4, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]])
    transitions, start = bio_constraints(id2label)
    assert probs.argmax(-1).tolist() == [[0, 2, 2, 0]]  # what argmax + repair would make one char short
    assert viterbi(probs.log(), [4], transitions, start, torch.zeros(3)) == [[1, 2, 2, 0]]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 12), st.integers(0, 10_000))
def test_constrained_decoding_only_gives_valid_iob2(length, seed):
    labels = ["O", "B-COMPANY", "I-COMPANY", "B-METRIC", "I-METRIC"]
    id2label = dict(enumerate(labels))
    torch.manual_seed(seed)
    log_p = torch.randn(2, 12, len(labels)).log_softmax(-1)
    transitions, start = bio_constraints(id2label)
    for path, n in zip(viterbi(log_p, [length, 12], transitions, start, torch.zeros(len(labels))), [length, 12]):
        assert len(path) == n
        tags = [labels[i] for i in path]
        for prev, tag in zip(["O", *tags], tags):
            if tag.startswith("I-"):
                assert prev in (f"B-{tag[2:]}", tag)
