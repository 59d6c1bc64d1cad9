"""The character vocabulary the project builds itself for `model.init: scratch` encoders.

All GB2312 hanzi, the traditional forms OpenCC maps onto them, GB2312's own symbols (full-width
punctuation, circled numbers, …), printable ASCII in both cases, and a `##` form of every digit
and Latin letter (half- and full-width) so a WordPiece tokenizer run over raw text never turns a
digit or Latin run into [UNK]. The tokenizer keeps case and accents: one token per character.
"""
from __future__ import annotations

import opencc

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def gb2312_chars() -> list[str]:
    """Every character GB2312 encodes (rows 0xA1-0xF7, cells 0xA1-0xFE), in code order."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def traditional_forms(simplified: set[str]) -> list[str]:
    """CJK ideographs that OpenCC's t2s maps onto one of `simplified` (and are not in it)."""
    t2s = opencc.OpenCC("t2s")
    found = []
    for code in range(0x4E00, 0xA000):
        ch = chr(code)
        if ch not in simplified and t2s.convert(ch) in simplified:
            found.append(ch)
    return found


def build_vocab() -> list[str]:
    """The full vocabulary, specials first; deterministic order, no duplicates."""
    gb = gb2312_chars()
    ascii_chars = [chr(c) for c in range(0x21, 0x7F)]
    word_chars = [c for c in ascii_chars if c.isalnum()]
    full_width_alnum = [chr(ord(c) + 0xFEE0) for c in word_chars]
    tokens = SPECIALS + ascii_chars + gb + traditional_forms(set(gb)) + full_width_alnum
    tokens += [f"##{c}" for c in word_chars + full_width_alnum]
    return list(dict.fromkeys(tokens))


def build_tokenizer(tokens: list[str] | None = None):
    """A BertTokenizerFast over the project vocabulary (vocab passed as a dict: transformers 5
    ignores `vocab_file=`), keeping case and accents so each character is its own token."""
    from transformers import BertTokenizerFast

    tokens = tokens or build_vocab()
    return BertTokenizerFast(
        vocab={tok: i for i, tok in enumerate(tokens)},
        do_lower_case=False,
        strip_accents=False,
        tokenize_chinese_chars=True,
    )
