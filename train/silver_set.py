"""The silver set: labelling functions (train/silver.py) run over the archive, stored stand-off.

Silver leaves out every document the recipe holds out (data.dev_docs, data.test_docs) and every
document that mentions the seed city (聊城), so no evaluated text is ever trained on through silver.
Each kept paragraph (a line with at least one silver span) is a stand-off line in the corpus format
(train/corpus.py: source, doc, offsets, sha256, spans) plus `decided`: the stretches whose labels
the functions decided (their spans with one character either side, and their O decisions), which a
silver stage with `unknown_as: ignore` trains on alone. A sidecar `.meta.json` keys the set by the
archive files' sha256 and the build settings, so a rebuild with the same key is skipped.
"""
from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from infer.io import atomic_writer, write_json
from infer.model_folder import file_sha256, weights_sha256
from train.config import ConfigError
from train.corpus import (SOURCE_PREFIX, Annotated, Passage, archive_documents, passage_text, read_standoff,
                          sha256_text)
from train.data import Example, GoldSpan
from train.silver import Gazetteer, label_document, labelling_functions, mine_gazetteer

SOURCES = tuple(SOURCE_PREFIX)  # the archive files silver reads
SEED_MARK = "聊城"  # the seed articles' city: documents mentioning it are left out


def allowed_documents(archive: Path, held_out: set[str]) -> list[tuple[str, int, str]]:
    """(source, doc index, text) of every archive document silver may use: not held out, not a seed's."""
    out = []
    for source in SOURCES:
        for doc, text in enumerate(archive_documents(archive, source)):
            if f"{source}#{doc}" not in held_out and SEED_MARK not in text and text.strip():
                out.append((source, doc, text))
    return out


def held_out_documents(config: dict) -> set[str]:
    return set(config["data"]["dev_docs"]) | set(config["data"]["test_docs"])


def recipe_gazetteer(config: dict) -> Gazetteer:
    """The company gazetteer mined from the documents silver may use (never from dev or test)."""
    archive = Path(config["data"]["archive"])
    return mine_gazetteer([text for _, _, text in allowed_documents(archive, held_out_documents(config))])


def _line_rows(source: str, doc: int, text: str, entities: list, decided) -> list[dict]:
    """The stand-off lines of one document's paragraphs (its lines) that hold one of `entities` (offsets
    into `text`); decided(start, end, inside) gives a line's decided stretches, offsets into `text`."""
    rows = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        inside = [s for s in entities if start <= s.start and s.end <= end]
        if not inside:
            continue
        rows.append({"id": f"{SOURCE_PREFIX[source]}{doc:04d}-{start}", "source": source, "doc": doc, "start": start,
                     "end": end, "sha256": sha256_text(line),
                     "spans": [{"id": f"s{i}", "start": s.start - start, "end": s.end - start, "label": s.label}
                               for i, s in enumerate(inside)],
                     "relations": [], "decided": sorted([a - start, b - start] for a, b in decided(start, end, inside))})
    return rows


def _paragraphs(source: str, doc: int, text: str, functions) -> list[dict]:
    """The stand-off lines of one document's paragraphs that hold a silver span; decided are its spans
    with one character either side and the functions' O decisions."""
    entities, decided = label_document(text, functions)

    def known(start: int, end: int, inside: list) -> list[tuple[int, int]]:
        return [(max(start, s.start - 1), min(end, s.end + 1)) for s in inside] + [
            (s.start, s.end) for s in decided if start <= s.start and s.end <= end]

    return _line_rows(source, doc, text, entities, known)


def _tagged_paragraphs(tagger, documents: list[tuple[str, int, str]]) -> list[dict]:
    """The stand-off lines of the documents' paragraphs in which a trained tagger (post-edits
    included) finds a span; every character counts as decided (the tagger labels them all)."""
    from infer.documents import prepare

    rows = []
    for batch in range(0, len(documents), 64):
        chunk = documents[batch : batch + 64]
        for (source, doc, text), tagged in zip(chunk, tagger.tag([prepare(f"{s}#{d}", t) for s, d, t in chunk])):
            rows += _line_rows(source, doc, text, tagged.entities, lambda start, end, _: [(start, end)])
        if (batch // 64) % 16 == 15 or batch + len(chunk) == len(documents):  # about every 1,000 documents
            print(f"  {batch + len(chunk)}/{len(documents)} documents tagged, {len(rows)} paragraphs with a span",
                  file=sys.stderr)
    return rows


def build_silver(config: dict, out: Path, max_paragraphs: int, seed: int, force: bool = False,
                 tagger_dir: Path | None = None, require: tuple[str, ...] = ()) -> dict:
    """Write the silver set to `out` (and `out`.meta.json); returns the meta (counts per label, time).
    With `tagger_dir`, a trained tagger labels the paragraphs instead of the labelling functions
    (self-training: its spans, post-edits included, on text no dev or test document shares).
    `require`: keep only paragraphs with a span of one of these labels (the sample is then of those)."""
    started = time.time()
    archive = Path(config["data"]["archive"])
    if not archive.is_dir():
        raise ConfigError(f"{archive}: archive not found; silver is built from ../shared/data/zh-gov-reports")
    held_out = held_out_documents(config)
    key = {"archive": {s: file_sha256(archive / s) for s in SOURCES}, "held_out": sorted(held_out),
           "max_paragraphs": max_paragraphs, "seed": seed, "require": sorted(require)}
    if tagger_dir is not None:  # a rebuild is due when the tagger's weights change
        key["tagger"] = weights_sha256(Path(tagger_dir))
    meta_path = out.with_name(out.name + ".meta.json")
    if not force and out.is_file() and meta_path.is_file() and json.loads(meta_path.read_text())["key"] == key:
        print(f"{out} is up to date (same archive, held-out documents and settings); --force rebuilds it",
              file=sys.stderr)
        return json.loads(meta_path.read_text())
    documents = allowed_documents(archive, held_out)
    print(f"{len(documents)} documents (held out: {len(held_out)} dev/test, and those mentioning {SEED_MARK})",
          file=sys.stderr)
    rows: list[dict] = []
    if tagger_dir is not None:
        from infer.tagger import Tagger

        rows = _tagged_paragraphs(Tagger(tagger_dir), documents)
    else:
        functions = labelling_functions(mine_gazetteer([text for _, _, text in documents]))
        for n, (source, doc, text) in enumerate(documents, 1):
            rows += _paragraphs(source, doc, text, functions)
            if n % 1000 == 0:
                print(f"  {n}/{len(documents)} documents, {len(rows)} paragraphs with silver spans", file=sys.stderr)
    if require:
        rows = [row for row in rows if any(s["label"] in require for s in row["spans"])]
    found = len(rows)
    random.Random(seed).shuffle(rows)
    rows = sorted(rows[:max_paragraphs], key=lambda r: (r["source"], r["doc"], r["start"]))
    with atomic_writer(out) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    labels = Counter(s["label"] for row in rows for s in row["spans"])
    meta = {"key": key, "documents": len(documents), "paragraphs_found": found, "paragraphs": len(rows),
            "labels": dict(sorted(labels.items())), "seconds": round(time.time() - started, 1)}
    write_json(meta_path, meta)
    return meta


def load_silver(path: Path, archive: Path, held_out: set[str], ignore_unknown: bool) -> list[Example]:
    """The silver set as training examples (text cut from the archive, hashes checked). A passage of a
    held-out document is an error: the set was built for another recipe. `ignore_unknown`: each
    example's `known` holds the decided stretches, so the loss skips the rest."""
    if not path.is_file():
        raise ConfigError(f"data.intermediate.silver: {path} not found; build it with "
                          "`python -m train silver --config RECIPE --out PATH`")
    decided = [json.loads(line).get("decided", []) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples = []
    for item, known in zip(read_standoff(path), decided, strict=True):
        p: Passage = item.passage
        if p.document in held_out:
            raise ConfigError(f"{path}: passage {p.id} is from {p.document}, a dev/test document of this recipe; "
                              "rebuild the silver set with this recipe (`python -m train silver --config RECIPE`)")
        examples.append(_example(item, archive, [tuple(k) for k in known] if ignore_unknown else None))
    return examples


def _example(item: Annotated, archive: Path, known: list[tuple[int, int]] | None) -> Example:
    p = item.passage
    text = passage_text(p, archive)
    spans = [GoldSpan(s["id"], s["start"], s["end"], s["label"], text[s["start"] : s["end"]]) for s in item.spans]
    return Example(source=f"silver:{p.id}", doc=p.document, para=p.start, offset=p.start, text=text, spans=spans,
                   known=known)
