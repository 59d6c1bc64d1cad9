"""Entity-substitution augmentation keeps every span on its text and every relation on its spans."""
from train.augment import augment, mention_pools


def test_copies_keep_spans_aligned_and_swap_names(gold_examples):
    train = [ex for ex in gold_examples if ex.doc.startswith("000")]
    copies = augment(train, copies=2, seed=7)
    with_swappable = [ex for ex in train if any(s.label in ("COMPANY", "OFFICIAL", "CHAIN") for s in ex.spans)]
    assert len(copies) == 2 * len(with_swappable)
    pools = mention_pools(train)
    changed = 0
    for new in copies:
        old = next(ex for ex in train if (ex.doc, ex.para) == (new.doc, new.para))
        assert [s.id for s in new.spans] == [s.id for s in sorted(old.spans, key=lambda s: s.start)]
        assert new.relations == old.relations
        for span, before in zip(new.spans, sorted(old.spans, key=lambda s: s.start)):
            assert new.text[span.start : span.end] == span.text and span.label == before.label
            if span.label == "METRIC":
                assert span.text == old.text[before.start : before.end]
            elif span.label in pools and "\n" not in span.text:
                assert span.text in pools[span.label]
        changed += new.text != old.text
    assert changed > len(copies) // 2


def test_augmentation_is_deterministic(gold_examples):
    first = augment(gold_examples[:40], copies=1, seed=3)
    again = augment(gold_examples[:40], copies=1, seed=3)
    assert [ex.text for ex in first] == [ex.text for ex in again]
    assert augment(gold_examples[:40], copies=0, seed=3) == []


def test_swap_names_in_place_keeps_size_form_and_repeats(gold_examples):
    from train.augment import SUFFIXED, swap_names

    train = [ex for ex in gold_examples if ex.doc.startswith(("000", "001", "002"))]
    swapped = swap_names(train, 0.5, ["COMPANY"], seed=11)
    assert len(swapped) == len(train)  # in place: the training set keeps its size
    pools = mention_pools(train)
    replaced = kept = 0
    for old, new in zip(train, swapped):
        assert (new.doc, new.para) == (old.doc, old.para) and new.relations == old.relations
        names: dict[str, str] = {}
        for before, span in zip(sorted(old.spans, key=lambda s: s.start), new.spans):
            assert span.id == before.id and span.label == before.label and new.text[span.start : span.end] == span.text
            was = old.text[before.start : before.end]
            if span.label != "COMPANY":
                assert span.text == was  # only the labels asked for are swapped
                continue
            assert span.text in pools["COMPANY"] and bool(SUFFIXED.search(span.text)) == bool(SUFFIXED.search(was))
            assert names.setdefault(was, span.text) == span.text  # a repeated name gets the same replacement
            replaced += span.text != was
            kept += span.text == was
    assert replaced > 0 and kept > 0  # about half of the names, not none or all
    assert [ex.text for ex in swap_names(train, 0.5, ["COMPANY"], seed=11)] == [ex.text for ex in swapped]
    assert swap_names(train, 0.0, ["COMPANY"], seed=11) is train


def test_swap_labels_outside_the_swappable_ones_are_refused():
    import pytest

    from train.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="swap_labels"):
        load_config("configs/default.yaml", {"data": {"augment": {"swap_labels": ["METRIC"]}}})
    with pytest.raises(ConfigError, match="data.augment.swap"):
        load_config("configs/default.yaml", {"data": {"augment": {"swap": 1.5}}})
