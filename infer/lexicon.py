"""Lexicon features (SoftLexicon-style) computed inside CharNet from `input_ids` alone.

A character tagger has to learn where words begin and end from a few hundred paragraphs; a lexicon
tells it directly. For every character and every lexicon category (general words from jieba's
dictionary, and company names, chain names, official titles and indicator names mined from the
training split and silver) four flags say whether some word of that category Begins at it, has it
in its Middle, Ends at it, or is it (Single). `python -m train lexicon` builds the word lists.

No word list travels with the model: each word is stored as the hash of its token-id sequence, so
the model matches every substring of 1..MAX_WORD tokens of a window with torch ops (a rolling hash
and one `searchsorted` into a sorted key table) and callers still pass only `input_ids`. The hash
is two polynomial hashes modulo primes below 2^31, packed into one int64 (< 2^62): no step ever
overflows, so the keys are the same on every device and in the plain-Python reference `word_key`.
The build checks that no two lexicon words share a key; a substring outside the lexicon hits a key
with probability about (keys / 2^62).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

MAX_WORD = 6  # longest word, in tokens, that is matched
FLAGS = ("B", "M", "E", "S")  # per category: begins, middle, ends, single-token word
MODULI = (2_147_483_647, 2_147_483_629)  # primes below 2^31: h * base + token stays below 2^62
BASES = (911_382_323, 972_663_749)
HASH = {"moduli": list(MODULI), "bases": list(BASES), "token_offset": 1, "max_word": MAX_WORD}
BITS_DTYPE = torch.int16  # a key's category bits: up to 15 categories, a quarter of int64's size in the model file
WEIGHTS_FILE = "lexicon.safetensors"
INFO_FILE = "lexicon.json"
BUILD_COMMAND = "python -m train lexicon --config configs/default.yaml --jieba /tmp/jieba/jieba-0.42.1.tar.gz"


class LexiconError(ValueError):
    """A lexicon folder that cannot be used; the message says how to build it."""


def word_key(ids: Sequence[int]) -> int:
    """The key of one word's token ids: the reference the torch matcher must agree with."""
    h1 = h2 = 0
    for token in ids:
        h1 = (h1 * BASES[0] + token + HASH["token_offset"]) % MODULI[0]
        h2 = (h2 * BASES[1] + token + HASH["token_offset"]) % MODULI[1]
    return h1 * MODULI[1] + h2


class LexiconFeatures(nn.Module):
    """B/M/E/S flags per lexicon category for each token, from one sorted table of word keys and a
    bit mask of categories per key (the union of the categories' tables). `chars` says which token
    ids are characters: substrings holding padding or a special token ([CLS], [SEP], [UNK]) match
    nothing, so those positions and the words across them get no flags."""

    def __init__(self, vocab_size: int, n_keys: int, n_categories: int) -> None:
        super().__init__()
        self.n_categories = n_categories
        self.register_buffer("keys", torch.zeros(n_keys, dtype=torch.long))
        self.register_buffer("bits", torch.zeros(n_keys, dtype=BITS_DTYPE))
        self.register_buffer("chars", torch.ones(vocab_size, dtype=torch.bool))

    def matches(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
        """For each word length L = 1..MAX_WORD, [batch, time] category bits of the word of L tokens
        starting at each position (0: none, or the word would run past the window)."""
        valid = self.chars[input_ids]
        if attention_mask is not None:
            valid = valid & attention_mask.bool()
        tokens = input_ids + HASH["token_offset"]
        batch, time = input_ids.shape
        h1 = torch.zeros_like(tokens)
        h2 = torch.zeros_like(tokens)
        ok = torch.ones_like(valid)
        out = []
        for length in range(1, MAX_WORD + 1):
            n = time - length + 1  # start positions with room for the word
            if n <= 0:
                out.append(torch.zeros_like(input_ids))
                continue
            h1 = (h1[:, :n] * BASES[0] + tokens[:, length - 1:]) % MODULI[0]
            h2 = (h2[:, :n] * BASES[1] + tokens[:, length - 1:]) % MODULI[1]
            ok = ok[:, :n] & valid[:, length - 1:]
            key = torch.where(ok, h1 * MODULI[1] + h2, torch.full_like(h1, -1))  # -1: no key is negative
            if self.keys.numel():
                pos = torch.searchsorted(self.keys, key).clamp(max=self.keys.numel() - 1)
                bits = torch.where(self.keys[pos] == key, self.bits[pos].long(), torch.zeros_like(pos))
            else:
                bits = torch.zeros_like(key)
            out.append(torch.cat([bits, bits.new_zeros(batch, time - n)], 1))
        return out

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """[batch, time, n_categories * 4] floats in 0/1, category-major (category c's B, M, E, S are
        columns 4c..4c+3), zero at padding and special tokens."""
        match = self.matches(input_ids, attention_mask)

        def later(bits: torch.Tensor, k: int) -> torch.Tensor:  # bits moved k positions to the right
            return torch.cat([bits.new_zeros(bits.size(0), k), bits[:, :-k]], 1) if k < bits.size(1) \
                else torch.zeros_like(bits)

        begin = middle = end = torch.zeros_like(match[0])
        for length in range(2, MAX_WORD + 1):
            word = match[length - 1]
            begin = begin | word
            end = end | later(word, length - 1)
            for k in range(1, length - 1):
                middle = middle | later(word, k)
        flags = torch.stack([begin, middle, end, match[0]], -1)  # [batch, time, 4] category bit masks
        shifts = torch.arange(self.n_categories, device=input_ids.device)
        per_category = (flags.unsqueeze(-2) >> shifts[:, None]) & 1  # [batch, time, categories, 4]
        return per_category.flatten(2).float()


def read_info(folder: Path) -> dict:
    """The folder's lexicon.json (provenance, categories, counts, hash), or one LexiconError saying how to build it."""
    info = Path(folder) / INFO_FILE
    if not info.is_file() or not (Path(folder) / WEIGHTS_FILE).is_file():
        raise LexiconError(f"{folder}: no lexicon there ({INFO_FILE} and {WEIGHTS_FILE}); build it with "
                           f"`{BUILD_COMMAND} --out {folder}`")
    found = json.loads(info.read_text(encoding="utf-8"))
    if found.get("hash") != HASH:
        raise LexiconError(f"{folder} was built with another word hash ({found.get('hash')}) than this chain-ie "
                           f"computes ({HASH}); rebuild it with `{BUILD_COMMAND} --out {folder}`")
    return found


def load_tables(folder: Path) -> tuple[dict[str, torch.Tensor], torch.Tensor, dict]:
    """({category: sorted int64 keys} in the folder's category order, the `chars` mask over the
    tokenizer's ids, lexicon.json)."""
    from safetensors.torch import load_file

    info = read_info(folder)
    state = load_file(str(Path(folder) / WEIGHTS_FILE))
    return {name: state[name] for name in info["categories"]}, state["chars"], info


def merged_table(tables: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """One sorted key table over all categories and each key's category bits (bit c: the c-th
    category of `tables` holds the word), so the model needs a single `searchsorted` per length."""
    if len(tables) > 15:
        raise LexiconError(f"at most 15 lexicon categories fit a key's {BITS_DTYPE} bits, not {len(tables)}")
    keys = torch.unique(torch.cat(list(tables.values()))) if tables else torch.zeros(0, dtype=torch.long)
    bits = torch.zeros(keys.numel(), dtype=BITS_DTYPE)
    for c, table in enumerate(tables.values()):
        bits[torch.searchsorted(keys, table)] |= 1 << c
    return keys, bits
