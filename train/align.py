"""Gold character spans -> token labels, through the same normalisation and windows as inference.

A gold span [start, end) on the original paragraph is mapped to the normalised text (inline
pinyin and line breaks removed), then to the tokens of its non-space characters; its first token
is B-, the rest I-. A span that keeps no token (pure whitespace or pinyin) is reported, not
silently dropped.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from infer.charnet import UNKNOWN
from infer.decode import encode_bio
from infer.encoding import CharEncoder, windows
from infer.normalize import normalize
from train.data import Example

IGNORE = -100


@dataclass
class Features:
    input_ids: list[int]
    labels: list[int]
    source: str


def token_spans(ex: Example, positions: list[int], norm) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Token spans of the example's gold spans, and the sources of spans that lost all tokens."""
    spans, lost = [], []
    for span in ex.spans:
        mapped = norm.to_normalized(span.start, span.end)
        if mapped is not None:
            lo = bisect.bisect_left(positions, mapped[0])
            hi = bisect.bisect_left(positions, mapped[1])
            if hi > lo:
                spans.append((lo, hi, span.label))
                continue
        lost.append(f"{ex.source}: span {span.text!r} has no token after normalisation")
    return spans, lost


def _unknown_marked(tags: list[int], known: list[tuple[int, int]], origins: list[int], length: int) -> list[int]:
    """Tags whose original character lies in no known stretch become UNKNOWN: partially labelled
    silver says nothing about them, so the loss should not read them as O (the CRF marginalises over
    them, a softmax loss skips them)."""
    covered = bytearray(length)
    for a, b in known:
        covered[a : min(b, length)] = b"\x01" * (min(b, length) - a)
    return [tag if covered[at] else UNKNOWN for tag, at in zip(tags, origins)]


def example_features(ex: Example, encoder: CharEncoder, label2id: dict[str, int], max_length: int,
                     stride: int) -> tuple[list[Features], list[str]]:
    norm = normalize(ex.text)
    ids, positions = encoder.encode(norm.text)
    spans, lost = token_spans(ex, positions, norm)
    tags = [label2id[t] for t in encode_bio(len(ids), spans)]
    if ex.known is not None:
        tags = _unknown_marked(tags, ex.known, [norm.origin[p] for p in positions], len(ex.text))
    feats = []
    for w in windows(len(ids), max_length - 2, stride):
        feats.append(Features(
            input_ids=[encoder.cls_id, *ids[w.start : w.end], encoder.sep_id],
            labels=[IGNORE, *tags[w.start : w.end], IGNORE],
            source=ex.source,
        ))
    return feats, lost

