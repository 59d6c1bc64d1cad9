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
