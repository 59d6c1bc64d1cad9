"""Character and character-bigram embeddings from unlabeled text (word2vec skip-gram, gensim).

The corpus goes through the same normalisation as inference (traditional -> simplified,
full-width -> half-width, pinyin and line breaks removed), so the vectors belong to the
characters the tagger will actually see. Bigrams are pairs of adjacent non-space characters;
only the most frequent `max_bigrams` whose both characters are in the tokenizer's vocabulary
are kept, which bounds the shipped encoder's size.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infer.encoding import CharEncoder
from infer.normalize import normalize
from train.config import ConfigError

FORMATS = ("text", "jsonl", "csv", "conll")


@dataclass(frozen=True)
class Source:
    path: Path
    format: str
    skip: frozenset[int] = frozenset()  # text format: documents (blocks between blank lines) left out


def held_out_documents(docs: Iterable[str]) -> dict[str, frozenset[int]]:
    """`file#doc_index` references (a recipe's dev_docs and test_docs) as {file name: doc indices}."""
    held: dict[str, set[int]] = {}
    for ref in docs:
        name, _, index = str(ref).rpartition("#")
        if not name or not index.isdigit():
            raise ConfigError(f"held-out document {ref!r} is not 'file#doc_index'")
        held.setdefault(name, set()).add(int(index))
    return {name: frozenset(indices) for name, indices in held.items()}


def corpus_files(sources: list[dict], held_out: dict[str, frozenset[int]] | None = None) -> list[Source]:
    """The files a corpus config names (a folder means its *.txt files), in a fixed order. A text
    file named in `held_out` skips those documents: the dev and test documents of the fine-tuning
    recipe must not reach pretraining, even as unlabeled text."""
    held_out = held_out or {}
    files = []
    for entry in sources:
        path, fmt = Path(entry["path"]), entry.get("format", "text")
        if fmt not in FORMATS:
            raise ConfigError(f"corpus entry {path}: format must be one of {FORMATS}, not {fmt!r}")
        if path.is_dir():
            files += [Source(p, fmt, held_out.get(p.name, frozenset())) for p in sorted(path.glob("*.txt"))]
        elif path.is_file():
            files.append(Source(path, fmt, held_out.get(path.name, frozenset())))
        else:
            print(f"note: corpus entry {path} not found, skipped", file=sys.stderr)
    return files


def _raw_lines(source: Source) -> Iterator[str]:
    with source.path.open(encoding="utf-8", newline="" if source.format == "csv" else None) as handle:
        if source.format == "text" and source.skip:  # documents are blocks between blank lines
            for index, block in enumerate(handle.read().split("\n\n")):
                if index not in source.skip:
                    yield from block.splitlines()
        elif source.format == "text":
            yield from handle
        elif source.format == "jsonl":
            for line in handle:
                if line.strip():
                    yield json.loads(line)["text"]
        elif source.format == "csv":
            for row in csv.reader(handle):
                yield from (cell for cell in row if any("\u4e00" <= ch <= "\u9fff" for ch in cell))
        else:  # conll: one character per line, blank line between sentences
            chars: list[str] = []
            for line in handle:
                if line.strip():
                    chars.append(line.split()[0])
                elif chars:
                    yield "".join(chars)
                    chars = []
            if chars:
                yield "".join(chars)


def sentences(files: list[Source]) -> Iterator[str]:
    """Normalised, non-space characters of every non-empty line, one string per line."""
    for source in files:
        for line in _raw_lines(source):
            text = "".join(normalize(line).text.split())
            if len(text) > 1:
                yield text


class CharCorpus:
    """Re-iterable token sequences for gensim: characters, or bigrams ("ab") of adjacent characters."""

    def __init__(self, lines: list[str], bigrams: bool) -> None:
        self.lines = lines
        self.bigrams = bigrams

    def __iter__(self) -> Iterator[list[str]]:
        for line in self.lines:
            yield [line[i : i + 2] for i in range(len(line) - 1)] if self.bigrams else list(line)


def train_vectors(lines: list[str], bigrams: bool, dim: int, e: dict):
    """A gensim KeyedVectors of characters or bigrams (seeded; 1 worker when `e['workers']` is 1 for exact repeatability)."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec
    from tqdm import tqdm

    class Progress(CallbackAny2Vec):
        def __init__(self, bar: tqdm) -> None:
            self.bar = bar

        def on_epoch_end(self, model) -> None:
            self.bar.update(1)

    model = Word2Vec(vector_size=dim, window=e["window"], min_count=e["min_count"], sg=1, negative=5,
                     workers=e["workers"], seed=e["seed"], epochs=e["epochs"])
    corpus = CharCorpus(lines, bigrams)
    model.build_vocab(corpus)
    with tqdm(total=e["epochs"], desc=f"word2vec {'bigrams' if bigrams else 'characters'}", unit="epoch",
              file=sys.stderr) as bar:
        model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs, callbacks=[Progress(bar)])
    return model.wv


def char_matrix(wv, encoder: CharEncoder, vocab_size: int, dim: int, seed: int) -> tuple[np.ndarray, int]:
    """Embedding rows by token id: word2vec vectors where known, small random ones elsewhere."""
    rng = np.random.default_rng(seed)
    scale = float(np.std(wv.vectors)) if len(wv) else 0.1
    matrix = rng.normal(0.0, scale, (vocab_size, dim)).astype(np.float32)
    matrix[encoder.pad_id] = 0.0
    found = 0
    for word in wv.index_to_key:
        token = encoder.char_id(word)
        if token != encoder.unk_id:
            matrix[token] = wv[word]
            found += 1
    return matrix, found


def bigram_table(wv, encoder: CharEncoder, vocab_size: int, max_bigrams: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys left_id * vocab_size + right_id, embedding rows with row 0 = unknown) of the
    `max_bigrams` most frequent bigrams whose characters both have their own token."""
    keys: dict[int, str] = {}
    for word in wv.index_to_key:  # most frequent first
        a, b = encoder.char_id(word[0]), encoder.char_id(word[1])
        if encoder.unk_id in (a, b):
            continue
        keys[a * vocab_size + b] = word
        if len(keys) == max_bigrams:
            break
    order = sorted(keys)
    rng = np.random.default_rng(seed)
    rows = np.empty((len(order) + 1, wv.vector_size), dtype=np.float32)
    rows[0] = rng.normal(0.0, float(np.std(wv.vectors)), wv.vector_size)
    for i, key in enumerate(order, 1):
        rows[i] = wv[keys[key]]
    return np.asarray(order, dtype=np.int64), rows


def corpus_stats(lines: list[str]) -> dict:
    chars = Counter()
    for line in lines:
        chars.update(line)
    return {"lines": len(lines), "characters": sum(chars.values()), "distinct_characters": len(chars)}
