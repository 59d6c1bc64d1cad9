"""The project's encoder: bigram lookup, padding invariance, CRF, save/load through the Auto classes."""
import itertools

import pytest
import torch
from transformers import AutoModelForTokenClassification

from infer.charnet import CRF, UNKNOWN, CharNetConfig, CharNetForTokenClassification


def small_net(crf: bool = False, keys: list[int] | None = None) -> CharNetForTokenClassification:
    keys = sorted(keys or [])
    torch.manual_seed(0)
    net = CharNetForTokenClassification(CharNetConfig(vocab_size=20, char_dim=8, n_bigrams=len(keys), bigram_dim=4,
                                                      hidden=6, crf=crf, num_labels=3, dropout=0.0))
    net.bigram_keys.copy_(torch.tensor(keys, dtype=torch.long))
    return net.eval()


def test_bigram_rows_are_found_for_known_pairs_and_zero_otherwise():
    v = 20
    net = small_net(keys=[5 * v + 6, 6 * v + 7, 2 * v + 3])  # stored sorted: (2,3)=row1, (5,6)=row2, (6,7)=row3
    left, right = net.bigram_ids(torch.tensor([[5, 6, 7, 9]]))
    assert left.tolist() == [[0, 2, 3, 0]]  # (pad,5) unknown, (5,6), (6,7), (7,9) unknown
    assert right.tolist() == [[2, 3, 0, 0]]


def test_a_sequence_gets_the_same_logits_alone_and_padded_in_a_batch():
    net = small_net(keys=[5 * 20 + 6])
    seq = torch.tensor([[3, 5, 6, 7, 2]])
    alone = net(input_ids=seq).logits[0]
    batch = torch.tensor([[3, 5, 6, 7, 2, 0, 0], [4, 4, 4, 4, 4, 4, 4]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1] * 7])
    padded = net(input_ids=batch, attention_mask=mask).logits[0, :5]
    assert torch.allclose(alone, padded, atol=1e-5)


def random_crf(seed: int, num_tags: int) -> CRF:
    """A CRF with random transitions, start and end scores (a fresh one has zeros)."""
    torch.manual_seed(seed)
    crf = CRF(num_tags)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


def path_scores(crf: CRF, emissions: torch.Tensor, row: int, n: int) -> dict[tuple, torch.Tensor]:
    """Brute force: the score of every tag path over the first `n` emissions of `row`."""
    scores = {}
    for path in itertools.product(range(emissions.size(2)), repeat=n):
        s = crf.start[path[0]] + crf.end[path[-1]] + sum(emissions[row, t, tag] for t, tag in enumerate(path))
        scores[path] = s + sum(crf.transitions[a, b] for a, b in zip(path, path[1:]))
    return scores


def test_viterbi_finds_the_best_path_by_brute_force():
    crf = random_crf(1, 3)
    emissions = torch.randn(2, 4, 3)
    with torch.no_grad():
        for n in (4, 3, 1):  # shorter rows in the same batch ignore the emissions past their end
            scores = path_scores(crf, emissions, 0, n)
            assert crf.viterbi(emissions, [n, 4])[0] == list(max(scores, key=lambda k: float(scores[k])))


def test_crf_loss_is_the_negative_log_probability_of_the_gold_path():
    torch.manual_seed(2)
    crf = CRF(2)
    emissions = torch.randn(1, 3, 2)
    tags = torch.tensor([[1, 0, 1]])
    nll = crf.nll(emissions, tags, torch.ones(1, 3, dtype=torch.long))
    scores = path_scores(crf, emissions, 0, 3)
    log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
    assert nll.item() == pytest.approx((log_z - scores[(1, 0, 1)]).item(), abs=1e-5)


def test_partial_crf_loss_sums_the_paths_that_agree_with_the_known_tags():
    """Silver with unknown characters (UNKNOWN): the loss is -log of the summed probability of every path
    through the known tags, over a padded batch; all-unknown costs nothing, all-known is the full-path loss."""
    crf = random_crf(3, 3)
    emissions = torch.randn(2, 4, 3)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    tags = torch.tensor([[2, UNKNOWN, 0, 0], [UNKNOWN, 1, UNKNOWN, UNKNOWN]])

    def log_prob(row, n, keep):
        scores = path_scores(crf, emissions, row, n)
        log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        return torch.logsumexp(torch.stack([v for k, v in scores.items() if keep(k)]), 0) - log_z

    with torch.no_grad():
        expected = -(log_prob(0, 3, lambda k: k[0] == 2 and k[2] == 0) + log_prob(1, 4, lambda k: k[1] == 1)) / 2
        assert crf.nll(emissions, tags, mask).item() == pytest.approx(expected.item(), abs=1e-5)
        everything = torch.full((2, 4), UNKNOWN)
        assert crf.nll(emissions, everything, mask).item() == pytest.approx(0.0, abs=1e-5)
        known = torch.tensor([[2, 1, 0, 0], [0, 1, 2, 1]])
        mixed = torch.tensor([[2, 1, 0, 0], [0, 1, 2, UNKNOWN]])
        full = crf.nll(emissions, known, mask)
        assert crf.nll(emissions, mixed, mask).item() < full.item()  # one unknown: more paths agree


def test_unknown_labels_train_the_crf_and_are_skipped_by_the_softmax_loss():
    ids = torch.tensor([[3, 5, 6, 7, 2]])
    known = torch.tensor([[-100, 1, 2, 0, -100]])
    unknown = torch.tensor([[-100, 1, UNKNOWN, UNKNOWN, -100]])
    softmax = small_net(crf=False)
    skipped = torch.tensor([[-100, 1, -100, -100, -100]])
    assert softmax(input_ids=ids, labels=unknown).loss.item() == pytest.approx(
        softmax(input_ids=ids, labels=skipped).loss.item())
    net = small_net(crf=True)
    loss = net(input_ids=ids, labels=unknown).loss
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(net.crf.transitions.grad).all()
    assert loss.item() < net(input_ids=ids, labels=known).loss.item()


@pytest.mark.parametrize("crf", [False, True])
def test_save_and_load_through_the_auto_classes(tmp_path, crf):
    net = small_net(crf=crf, keys=[5 * 20 + 6])
    net.save_pretrained(tmp_path)
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, CharNetForTokenClassification)
    ids = torch.tensor([[3, 5, 6, 7, 2]])
    assert torch.allclose(net(input_ids=ids).logits, loaded(input_ids=ids).logits)
    assert loaded.bigram_keys.tolist() == [106]
    assert (loaded.crf is not None) == crf


def test_a_crf_added_when_fine_tuning_starts_at_zero_and_trains(tmp_path):
    small_net(crf=False, keys=[5 * 20 + 6]).save_pretrained(tmp_path)
    net = AutoModelForTokenClassification.from_pretrained(tmp_path, crf=True)
    assert all(torch.equal(p, torch.zeros_like(p)) for p in (net.crf.transitions, net.crf.start, net.crf.end))
    ids = torch.tensor([[3, 5, 6, 7, 2]])
    loss = net(input_ids=ids, labels=torch.tensor([[-100, 1, 2, 0, -100]])).loss
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(net.crf.transitions.grad).all()


def test_a_crf_model_decodes_with_its_crf_and_argmax_only_when_asked_for():
    """bench.speed compares our windows with transformers' pipeline by per-token argmax; a CRF model must
    decode that way there too, and with its CRF everywhere else."""
    from infer.decode import bio_constraints
    from infer.tagger import best_paths

    net = small_net(crf=True)
    with torch.no_grad():  # transitions that forbid staying in tag 1: the CRF path differs from argmax
        net.crf.transitions.zero_()
        net.crf.transitions[1, 1] = -100.0
    logits = torch.tensor([[[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 5.0, 0.0], [0.0, 5.0, 0.0], [5.0, 0.0, 0.0]]])
    probs = logits.softmax(-1)
    assert best_paths(net, logits, probs, [3], None) == [[1, 1, 1]]
    crf_path = best_paths(net, logits, probs, [3], bio_constraints({0: "O", 1: "B-X", 2: "I-X"}))
    assert crf_path == [net.crf.viterbi(logits, [5])[0][1:4]] and crf_path != [[1, 1, 1]]
