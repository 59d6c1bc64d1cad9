"""The texts every benchmark runs on: the seed articles and their short paragraphs.

Built from the repository's own annotations/seeds so the figures are reproducible offline and
comparable between runs and machines.
"""
from __future__ import annotations

from pathlib import Path

from infer.inputs import Document, read_documents

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "annotations" / "seeds"
RESULTS = ROOT / "bench" / "results"


def seed_articles(seeds: Path = SEEDS) -> list[Document]:
    return list(read_documents(seeds))


def repeated_articles(min_chars: int, seeds: Path = SEEDS) -> list[Document]:
    """Whole seed articles, cycled in order (ids `stem#k`) until they hold at least `min_chars`."""
    articles = seed_articles(seeds)
    docs: list[Document] = []
    total = 0
    while total < min_chars:
        for art in articles:
            docs.append(Document(f"{art.id}#{len(docs) // len(articles)}", art.text))
            total += len(art.text)
            if total >= min_chars:
                break
    return docs


def seed_paragraphs(seeds: Path = SEEDS) -> list[str]:
    """The non-empty lines of the seed articles, stripped: short real documents."""
    return [line.strip() for art in seed_articles(seeds) for line in art.text.splitlines() if line.strip()]
